// Output descriptors (models/outputs.hpp): every example site's series get exactly their width
// of values with their unit, and a compute that writes another width is an error.

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "input/site_loader.hpp"
#include "models/outputs.hpp"
#include "models/simulation.hpp"
#include "models/site_model.hpp"
#include "tests/models/model_test_util.hpp"
#include "io/results.hpp"

using namespace dctwin;
namespace fs = std::filesystem;

namespace {

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const std::logic_error& e) {
        return e.what();
    }
    return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("outputs: every example site writes every declared series at its width, with its unit") {
    std::vector<fs::path> sites;
    for (const auto& e : fs::directory_iterator(fs::path(DCTWIN_SOURCE_DIR) / "sites"))
        if (e.path().extension() == ".yaml") sites.push_back(e.path());
    std::sort(sites.begin(), sites.end());
    REQUIRE(sites.size() >= 10);
    for (const fs::path& site : sites) {
        const std::string name = site.stem().string();
        CAPTURE(name);
        SiteModel model(load_site(site.string()));
        const OutputList& outputs = model.outputs();
        REQUIRE(!outputs.all_series().empty());

        // The writer's layout is the descriptors', series by series.
        ResultsWriter layout("(layout)", {});
        model.declare_outputs(layout);
        const auto declared = layout.declared_series();
        REQUIRE(declared.size() == outputs.all_series().size());
        CHECK(layout.row_width() == outputs.row_width());
        for (std::size_t i = 0; i < declared.size(); ++i) {
            const OutputSeries& s = outputs.all_series()[i];
            CHECK(declared[i].path == s.path);
            CHECK(declared[i].unit == s.unit);
            CHECK(declared[i].width == s.width);
        }

        // A short run from the declared state: two output intervals.
        RunOptions o;
        o.output = test::scratch("outputs", name + ".h5");
        o.duration = 2 * model.spec().simulation.output_interval;
        o.cold_start = true;
        o.force = true;
        const RunSummary sum = run_site(model, o);
        REQUIRE(sum.rows >= 2);
        ResultsReader r(o.output);
        for (const OutputSeries& s : outputs.all_series()) {
            CAPTURE(s.path);
            std::vector<std::size_t> shape;
            const std::vector<double> v = r.read(s.path, &shape);
            CHECK(r.unit(s.path) == s.unit);
            if (s.width == 0) {
                CHECK(shape == std::vector<std::size_t>{sum.rows});
            } else {
                CHECK(shape == std::vector<std::size_t>{sum.rows, s.width});
                CHECK(r.read_strings(s.columns).size() == s.width);
            }
            CHECK(v.size() == sum.rows * s.values());
        }
        fs::remove(o.output);
    }
}

TEST_CASE("outputs: a compute that writes more or fewer values than its width is an error") {
    auto list_with = [](std::size_t width, int writes) {
        OutputList l;
        l.series({"/a/first", "W", "one value", 0, {}, [](const OutputContext&, OutputSink& out) { out(1.0); }});
        if (width > 0) l.labels("/a/paths", std::vector<std::string>(width, "x"), "columns");
        l.series({"/a/second", "1", "the one under test", width, width > 0 ? "/a/paths" : "",
                  [writes](const OutputContext&, OutputSink& out) {
                      for (int k = 0; k < writes; ++k) out(double(k));
                  }});
        l.series({"/a/third", "1", "after it", 0, {}, [](const OutputContext&, OutputSink& out) { out(7.0); }});
        return l;
    };
    std::vector<double> row;
    SUBCASE("the declared width fills the row in order") {
        list_with(3, 3).fill({}, row);
        CHECK(row == std::vector<double>{1, 0, 1, 2, 7});
        list_with(0, 1).fill({}, row);
        CHECK(row == std::vector<double>{1, 0, 7});
    }
    SUBCASE("one value too many stops before it is written past the series") {
        const OutputList l = list_with(3, 4);
        const std::string e = error_of([&] { l.fill({}, row); });
        CHECK(contains(e, "/a/second"));
        CHECK(contains(e, "more than its width of 3"));
        CHECK(row.size() == 5);
        CHECK(contains(error_of([&] { list_with(0, 2).fill({}, row); }), "/a/second"));
    }
    SUBCASE("too few values") {
        CHECK(contains(error_of([&] { list_with(3, 2).fill({}, row); }), "output /a/second: compute wrote 2 values, its width is 3"));
        CHECK(contains(error_of([&] { list_with(0, 0).fill({}, row); }), "compute wrote 0 values, its width is 1"));
    }
    SUBCASE("a series without a compute is refused when declared") {
        OutputList l;
        CHECK(contains(error_of([&] { l.series({"/a/none", "1", "nothing", 0, {}, {}}); }), "no compute"));
    }
}
