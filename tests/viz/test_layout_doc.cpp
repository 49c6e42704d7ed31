// viz/README.md lists every series a results file can hold between two markers, generated
// from the writer's declarations of every example site (the code that fills the rows
// declares them), so the documented layout cannot drift from the files. To regenerate:
//   DCTWIN_UPDATE_DOCS=1 build/tests/test_viz -tc="layout*"
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "input/site_loader.hpp"
#include "models/site_model.hpp"
#include "io/results.hpp"

using namespace dctwin;
namespace fs = std::filesystem;

namespace {

std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string cell(std::string s) {
    std::string out;
    for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
    return out;
}

// The table: every series of every example site, in declaration order of first appearance.
std::string series_table() {
    std::vector<fs::path> sites;
    for (const auto& e : fs::directory_iterator(fs::path(DCTWIN_SOURCE_DIR) / "sites"))
        if (e.path().extension() == ".yaml") sites.push_back(e.path());
    std::sort(sites.begin(), sites.end());
    std::vector<SeriesSpec> order;
    std::map<std::string, std::vector<std::string>> in_sites;
    for (const auto& site : sites) {
        SiteModel model(load_site(site.string()));
        ResultsWriter w("(layout)", {});
        model.declare_outputs(w);
        for (const SeriesSpec& s : w.declared_series()) {
            auto& list = in_sites[s.path];
            if (list.empty()) order.push_back(s);
            list.push_back(site.stem().string());
        }
    }
    std::string out = fmt::format(
        "Generated from the declarations of the {} example sites (`sites/*.yaml`). Shape: `time` for one value "
        "per output row, `time x L` for one column per entry of the labels dataset L.\n\n"
        "| dataset | shape | units | what | written by |\n|---|---|---|---|---|\n",
        sites.size());
    for (const SeriesSpec& s : order) {
        const auto& list = in_sites[s.path];
        std::string who = list.size() == sites.size() ? "every site" : "";
        if (who.empty())
            for (const auto& n : list) who += (who.empty() ? "" : ", ") + n;
        out += fmt::format("| `{}` | {} | {} | {} | {} |\n", s.path,
                           s.width == 0 ? std::string("time") : fmt::format("time x `{}`", s.columns), s.unit,
                           cell(s.description), who);
    }
    return out;
}

}  // namespace

TEST_CASE("layout: viz/README.md lists every series the example sites write, generated") {
    const fs::path readme = fs::path(DCTWIN_SOURCE_DIR) / "viz" / "README.md";
    std::string text = read_all(readme);
    const std::string begin_mark = "<!-- BEGIN GENERATED SERIES -->\n", end_mark = "<!-- END GENERATED SERIES -->";
    auto b = text.find(begin_mark), e = text.find(end_mark);
    REQUIRE(b != std::string::npos);
    REQUIRE(e != std::string::npos);
    b += begin_mark.size();
    const std::string generated = series_table();
    CHECK(generated.find("`/cooling/facility_supply_temperature`") != std::string::npos);
    const char* update = std::getenv("DCTWIN_UPDATE_DOCS");
    if (update && std::string(update) == "1" && text.substr(b, e - b) != generated) {
        text.replace(b, e - b, generated);
        std::ofstream(readme, std::ios::binary) << text;
        MESSAGE("rewrote the generated series of viz/README.md");
        return;
    }
    CHECK_MESSAGE(text.substr(b, e - b) == generated,
                  "viz/README.md is out of date: DCTWIN_UPDATE_DOCS=1 build/tests/test_viz -tc=\"layout*\"");
}
