#include "app/compare_cli.hpp"

#include <algorithm>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "calib/compare.hpp"
#include "calib/measured.hpp"
#include "input/site_loader.hpp"
#include "input/units.hpp"
#include "viz/render.hpp"
#include "io/results.hpp"
#include "viz/scene.hpp"

namespace dctwin::app {

CompareCommand::CompareCommand(CLI::App& app) {
    command = app.add_subcommand("compare", "compare measurements (CSV, nvidia-smi, dcgmi dmon, Prometheus) with a "
                                            "results file: CV(RMSE), NMBE, max error, gaps, outliers (docs/calibration.md)");
    command->add_option("RESULTS", results, "results file (HDF5)")->required();
    command->add_option("MEASURED", measured, "measured data: CSV with 'time [s]' or 'timestamp' and 'path [unit]' "
                                                            "columns, or GPU telemetry (--format)")
        ->required();
    command->add_flag("--json", json, "print the comparison as JSON on stdout");
    command->add_option("--gap", gap, "a span without measurement longer than this is a gap, with its unit (10min); "
                                      "default: 3 x the median sample interval");
    command->add_option("--format", format, "MEASURED's format: csv, nvidia-smi, prometheus, dcgmi, auto (default: by its start)")
        ->check(CLI::IsMember({"auto", "csv", "nvidia-smi", "prometheus", "dcgmi"}));
    command->add_option("--interval", interval, "dcgmi dmon: its sample interval (-d), with its unit; default 1s");
    command->add_option("--gpus", gpus, "nvidia-smi, DCGM: the device path of GPU index 0 without its number, e.g. "
                                        "hall1/rowA/rack01/gpu (index k is PREFIXk)");
    command->add_option("--metric", metrics, "prometheus: a metric onto a result path, "
                                             "'NAME{label=\"v\"}=site/grid_power [W]' (repeatable)");
    command->add_option("--plot", plot, "also draw measured against simulated, a chart per series (PNG, VTK; the first "
                                        "8 series)");
    command->add_option("--start", start, "with a timestamp column: the timestamp at t = 0 of the run (ISO 8601); "
                                          "default: the first row's");
}

namespace {

constexpr std::size_t kMaxPanels = 8;  // charts in one picture; more would be unreadable

int draw(const calib::Comparison& c, const std::string& png) {
    std::vector<viz::ComparePanel> panels;
    for (const auto& s : c.series) {
        if (s.t.empty()) continue;
        if (panels.size() == kMaxPanels) break;
        panels.push_back({fmt::format("{}  (CV(RMSE) {}, NMBE {})", s.heading,
                                      s.samples_metrics.cv_rmse ? fmt::format("{:.2f} %", *s.samples_metrics.cv_rmse * 100) : "n/a",
                                      s.samples_metrics.nmbe ? fmt::format("{:.2f} %", *s.samples_metrics.nmbe * 100) : "n/a"),
                          s.unit, s.t, s.m, s.s});
    }
    try {
        viz::render_comparison(panels, png, 1200, std::clamp(int(panels.size()) * 260 + 100, 400, 2200));
    } catch (const viz::ViewError& e) {
        std::cerr << fmt::format("dctwin: error: --plot {}: {}\n", png, e.what());
        return 2;
    } catch (const std::exception& e) {
        std::cerr << fmt::format("dctwin: error: --plot {}: {}\n", png, e.what());
        return 1;
    }
    return 0;
}

}  // namespace

int CompareCommand::run() const {
    if (!command->parsed()) return -1;
    if (!plot.empty() && std::filesystem::path(plot).extension() != ".png") {
        std::cerr << fmt::format("dctwin: error: --plot {}: the plot is a PNG picture, name it with .png\n", plot);
        return 2;
    }
    try {
        calib::CompareOptions opt;
        if (!gap.empty()) opt.gap = parse_duration(gap);
        calib::TelemetryOptions telemetry;
        telemetry.gpu_prefix = gpus;
        if (!interval.empty()) telemetry.interval = parse_duration(interval);
        for (const auto& m : metrics) telemetry.maps.push_back(calib::parse_metric_map(m));
        const calib::MeasuredData data = calib::read_measured(measured, *calib::measured_format(format), telemetry);
        if (!start.empty()) {
            const auto s = calib::parse_iso8601(start);
            if (!s) throw std::invalid_argument(fmt::format("--start: expected an ISO 8601 timestamp, e.g. 2026-03-01T00:00:00Z"));
            if (!data.epoch)
                throw std::invalid_argument(fmt::format("--start: {} has a 'time [s]' column, already the run's time", measured));
            opt.start = *data.epoch - *s;
        }
        calib::Comparison c;
        read_retrying(results, [&] { c = calib::compare(results, data, opt); });
        if (json)
            std::cout << c.to_json().dump(2) << "\n";
        else
            std::cout << c.to_text();
        std::cout.flush();
        return plot.empty() ? 0 : draw(c, plot);
    } catch (const InputError& e) {
        std::cerr << e.what() << "\n";
    } catch (const std::exception& e) {  // UnitError, ResultsError, ViewError: the input is wrong
        std::cerr << fmt::format("dctwin: error: {}\n", e.what());
    }
    return 2;
}

}  // namespace dctwin::app
