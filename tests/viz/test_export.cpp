// `dctwin export OUT.h5 --csv FILE [--series ...]` (app/export_cli.cpp): the CSV holds the
// results file's values, headed "path [unit]", with a Date/Time column for calendar runs.

#include "io/results.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "viz_test_util.hpp"

using viz_test::contains;
using viz_test::run_cli;
using viz_test::slurp;
using viz_test::TempDir;

namespace {

struct Csv {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
    std::size_t column(const std::string& heading) const {
        for (std::size_t i = 0; i < header.size(); ++i)
            if (header[i] == heading) return i;
        FAIL("no column '" << heading << "'");
        return 0;
    }
};

std::vector<std::string> fields(const std::string& line) {  // no quoted fields in these files
    std::vector<std::string> out;
    std::stringstream in(line);
    for (std::string f; std::getline(in, f, ',');) out.push_back(f);
    if (!line.empty() && line.back() == ',') out.emplace_back();
    return out;
}

Csv parse(const std::string& text) {
    Csv csv;
    std::stringstream in(text);
    std::string line;
    std::getline(in, line);
    csv.header = fields(line);
    while (std::getline(in, line)) csv.rows.push_back(fields(line));
    return csv;
}

double number(const std::string& field) { return field.empty() ? std::nan("") : std::strtod(field.c_str(), nullptr); }

}  // namespace

TEST_CASE("dctwin export: every 1-D series by default, headed 'path [unit]', the file's values exactly") {
    TempDir dir;
    const auto h5 = dir.file("pod.h5"), csv_path = dir.file("pod.csv");
    REQUIRE(run_cli(dir, "run " + robust::site() + " -o " + h5 + " --duration 2min").exit_code == 0);
    const auto r = run_cli(dir, "export " + h5 + " --csv " + csv_path);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(contains(r.out, csv_path + ": 13 rows"));
    const Csv csv = parse(slurp(csv_path));

    const dctwin::ResultsReader reader(h5);
    const auto time = reader.time();
    REQUIRE(csv.rows.size() == time.size());
    CHECK(csv.header.at(0) == "time [s]");
    CHECK(csv.header.at(1) != "Date/Time");  // a constant ambient: no calendar
    const std::regex headed(R"(/[\w/]+ \[[^\]]+\])");
    for (std::size_t i = 1; i < csv.header.size(); ++i) CHECK_MESSAGE(std::regex_match(csv.header[i], headed), csv.header[i]);
    CHECK_FALSE(contains(slurp(csv_path), "/racks/power"));  // 2-D series only when asked

    const auto grid = reader.read("/site/grid_power");
    const auto pue = reader.read("/site/pue");
    const std::size_t g = csv.column("/site/grid_power [W]"), p = csv.column("/site/pue [1]");
    for (std::size_t i = 0; i < time.size(); ++i) {
        CHECK(number(csv.rows[i].at(0)) == time[i]);
        CHECK(number(csv.rows[i].at(g)) == grid[i]);  // shortest round-trip text: exact
        CHECK(number(csv.rows[i].at(p)) == pue[i]);
    }
}

TEST_CASE("dctwin export --series: a 2-D series as one column per component, named by its labels") {
    TempDir dir;
    const auto h5 = dir.file("pod.h5");
    REQUIRE(run_cli(dir, "run " + robust::site() + " -o " + h5 + " --duration 1min").exit_code == 0);
    const auto r = run_cli(dir, "export " + h5 + " --csv - --series racks/power,/site/pue");
    REQUIRE(r.exit_code == 0);
    const Csv csv = parse(r.out);
    const dctwin::ResultsReader reader(h5);
    const auto racks = reader.read_strings("/racks/paths");
    std::vector<std::size_t> shape;
    const auto power = reader.read("/racks/power", &shape);
    REQUIRE(csv.header.size() == 1 + racks.size() + 1);
    for (std::size_t k = 0; k < racks.size(); ++k) {
        const std::size_t c = csv.column("/racks/power:" + racks[k] + " [W]");
        CHECK(c == 1 + k);
        for (std::size_t i = 0; i < shape[0]; ++i) CHECK(number(csv.rows[i].at(c)) == power[i * shape[1] + k]);
    }
    CHECK(csv.header.back() == "/site/pue [1]");
}

TEST_CASE("dctwin export: an EPW run gets EnergyPlus's Date/Time from the weather start, wrapping at the year's end") {
    TempDir dir;
    const auto h5 = dir.file("tower.h5");
    // 364.5 d after January 1 is December 31, 12:00; the run crosses into January 1.
    auto r = run_cli(dir, "run " + robust::site("tower-pod.yaml") + " -o " + h5 +
                              " --duration 1d --set ambient.start=364.5d --set simulation.output_interval=6h");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    r = run_cli(dir, "export " + h5 + " --csv - --series /site/grid_power");
    REQUIRE(r.exit_code == 0);
    const Csv csv = parse(r.out);
    REQUIRE(csv.header == std::vector<std::string>{"time [s]", "Date/Time", "/site/grid_power [W]"});
    REQUIRE(csv.rows.size() == 5);
    const char* expected[] = {" 12/31  12:00:00", " 12/31  18:00:00", " 01/01  00:00:00", " 01/01  06:00:00",
                              " 01/01  12:00:00"};
    for (std::size_t i = 0; i < 5; ++i) {
        CHECK(number(csv.rows[i][0]) == 21600.0 * double(i));
        CHECK(csv.rows[i][1] == expected[i]);
    }
}

TEST_CASE("dctwin export: bad input is exit status 2 with the reason, an unwritable CSV 1") {
    TempDir dir;
    const auto h5 = dir.file("pod.h5");
    REQUIRE(run_cli(dir, "run " + robust::site() + " -o " + h5 + " --duration 1min").exit_code == 0);
    auto r = run_cli(dir, "export " + h5 + " --csv - --series /site/no_such");
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "'/site/no_such' is not a series of " + h5));
    CHECK(contains(r.err, "/site/grid_power"));
    r = run_cli(dir, "export " + h5 + " --csv - --series /racks/paths");  // labels, not a series
    CHECK(r.exit_code == 2);
    r = run_cli(dir, "export " + dir.file("absent.h5") + " --csv -");
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "No such file or directory"));
    r = run_cli(dir, "export " + h5 + " --csv " + dir.file("no/such/dir.csv"));
    CHECK(r.exit_code == 1);
    CHECK(contains(r.err, "cannot write"));
    r = run_cli(dir, "export " + h5);
    CHECK(r.exit_code == 2);  // --csv is required
}
