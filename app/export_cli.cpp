#include "app/export_cli.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "io/results.hpp"
#include "viz/scene.hpp"

namespace dctwin::app {

namespace {

constexpr std::size_t kBlockRows = 4096;  // rows read at a time: a wide series is never held whole

struct Column {
    std::string dataset, heading;
    std::size_t width = 0;  // 0: 1-D
};

std::string csv_field(const std::string& text) {
    if (text.find_first_of(",\"\n") == std::string::npos) return text;
    std::string quoted = "\"";
    for (const char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
}

std::string heading(const std::string& path, const std::string& unit) {
    return fmt::format("{} [{}]", path, unit.empty() ? "-" : unit);
}

// The columns of the series asked for (every 1-D series when none is), in the file's order.
std::vector<Column> columns(const std::string& results, const ResultsReader& reader,
                            const std::vector<std::string>& asked) {
    std::vector<viz::DatasetInfo> all;
    for (auto& d : viz::catalogue(results))
        if (d.numeric && d.extendible && d.path != "/time" && d.path.rfind("/events/", 0) != 0 && d.dims.size() <= 2)
            all.push_back(std::move(d));
    std::vector<const viz::DatasetInfo*> chosen;
    if (asked.empty()) {
        for (const auto& d : all)
            if (d.dims.size() == 1) chosen.push_back(&d);
    } else {
        for (const auto& a : asked) {
            const std::string path = a.empty() || a.front() == '/' ? a : "/" + a;
            const auto it = std::find_if(all.begin(), all.end(), [&](const viz::DatasetInfo& d) { return d.path == path; });
            if (it == all.end()) {
                std::string known;
                for (const auto& d : all) known += (known.empty() ? "" : ", ") + d.path;
                throw viz::ViewError(fmt::format("'{}' is not a series of {}; the series are: {}", a, results, known));
            }
            chosen.push_back(&*it);
        }
    }
    std::vector<Column> out;
    for (const auto* d : chosen) {
        if (d->dims.size() == 1) {
            out.push_back({d->path, heading(d->path, d->unit), 0});
            continue;
        }
        // One column per component, "/racks/power:hall1/rowA/rack01 [W]".
        std::vector<std::string> labels;
        if (!d->columns.empty()) labels = reader.read_strings(d->columns);
        for (std::size_t k = 0; k < d->dims[1]; ++k)
            out.push_back({d->path,
                           heading(fmt::format("{}:{}", d->path, k < labels.size() ? labels[k] : std::to_string(k)),
                                   d->unit),
                           d->dims[1]});
    }
    return out;
}

int export_csv(const std::string& results, const std::string& csv, const std::vector<std::string>& asked) {
    std::vector<Column> cols;
    std::vector<double> time;
    std::optional<double> calendar;
    std::shared_ptr<void> snapshot;
    try {
        // The blocks below are read from the copy this read used, for a file being written.
        read_retrying(
            results,
            [&] {
                const ResultsReader reader(results);
                time = viz::output_times(reader);
                cols = columns(results, reader, asked);
                calendar = viz::calendar_start(reader);
            },
            8.0, &snapshot);
    } catch (const std::exception& e) {  // ResultsError, ViewError: the input is wrong
        fmt::print(stderr, "dctwin: error: {}\n", e.what());
        return 2;
    }

    std::ofstream file;
    if (csv != "-") {
        file.open(csv, std::ios::binary);
        if (!file) {
            fmt::print(stderr, "dctwin: error: cannot write '{}'\n", csv);
            return 1;
        }
    }
    std::ostream& out = csv == "-" ? std::cout : file;
    out << "time [s]";
    if (calendar) out << ",Date/Time";
    for (const auto& c : cols) out << ',' << csv_field(c.heading);
    out << '\n';

    try {
        std::string line;
        for (std::size_t first = 0; first < time.size(); first += kBlockRows) {
            const std::size_t n = std::min(kBlockRows, time.size() - first);
            // Each series' block once; its columns follow it in `cols`.
            std::vector<std::vector<double>> blocks;
            std::vector<std::size_t> block_of(cols.size()), widths;
            for (std::size_t i = 0; i < cols.size(); ++i) {
                if (i == 0 || cols[i].dataset != cols[i - 1].dataset) {
                    std::size_t width = 1;
                    blocks.push_back(viz::read_rows(results, cols[i].dataset, first, n, &width));
                    widths.push_back(std::max<std::size_t>(width, 1));
                }
                block_of[i] = blocks.size() - 1;
            }
            for (std::size_t r = 0; r < n; ++r) {
                const double t = time[first + r];
                line = fmt::format("{}", t);
                if (calendar) line += "," + viz::date_time_text(*calendar + t);
                std::size_t column_in_series = 0;
                for (std::size_t i = 0; i < cols.size(); ++i) {
                    column_in_series = i > 0 && block_of[i] == block_of[i - 1] ? column_in_series + 1 : 0;
                    const auto& block = blocks[block_of[i]];
                    const std::size_t at = r * widths[block_of[i]] + column_in_series;
                    line += ',';
                    // Missing values (NaN, or rows a killed run did not write) are empty fields.
                    if (at < block.size() && std::isfinite(block[at])) line += fmt::format("{}", block[at]);
                }
                line += '\n';
                out << line;
            }
        }
    } catch (const std::exception& e) {
        fmt::print(stderr, "dctwin: error: {}\n", e.what());
        return 2;
    }
    out.flush();
    if (!out) {
        fmt::print(stderr, "dctwin: error: cannot write '{}'\n", csv);
        return 1;
    }
    if (csv != "-")
        fmt::print("{}: {} rows, {} columns{}\n", csv, time.size(), cols.size() + 1 + (calendar ? 1 : 0),
                   calendar ? " (with Date/Time)" : "");
    return 0;
}

}  // namespace

ExportCommand::ExportCommand(CLI::App& app) {
    command = app.add_subcommand("export", "write series of a results file as a CSV table");
    command->add_option("RESULTS", results, "results file (HDF5)")->required();
    command->add_option("--csv", csv, "CSV file to write ('-': standard output)")->required();
    command->add_option("--series", series, "series paths, e.g. /site/pue,/racks/power (default: every 1-D series)")
        ->delimiter(',');
}

int ExportCommand::run() const {
    if (!command->parsed()) return -1;
    return export_csv(results, csv, series);
}

}  // namespace dctwin::app
