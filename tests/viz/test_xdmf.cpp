// Tests of the view layout of a results file (viz/scene.hpp) and its XDMF sidecar
// (viz/xdmf.hpp). ParaView itself reads a sidecar in tests/viz/paraview_sidecar.sh.

#include "viz/paraview_state.hpp"
#include "viz/scene.hpp"
#include "viz/xdmf.hpp"

#include "io/results.hpp"
#include "viz_test_util.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <hdf5.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using dctwin::ResultsError;
using dctwin::ResultsWriter;
using dctwin::viz::ViewError;
using viz_test::contains;
using viz_test::run_cli;
using viz_test::slurp;
using viz_test::TempDir;

namespace {

std::size_t count(const std::string& text, const std::string& part) {
    std::size_t n = 0;
    for (auto i = text.find(part); i != std::string::npos; i = text.find(part, i + 1)) ++n;
    return n;
}

const std::vector<std::string> kRacks = {"hallA/row1/rack01", "hallA/row1/rack02", "hallA/row2/rack01"};
const std::vector<std::string> kDevices = {"hallA/row1/rack01/gpu0", "hallA/row1/rack01/gpu1",
                                           "hallA/row1/rack02/gpu0", "hallA/row1/rack02/gpu1",
                                           "hallA/row2/rack01/gpu0", "hallA/row2/rack01/gpu1"};
// Output times: a discontinuity at 10 s writes two rows with that time.
const std::vector<double> kTimes = {0, 10, 10, 20, 30};

struct Layout {
    bool cdus = false;         // a group with its own geometry besides the racks
    bool geometry = true;      // /racks/geometry at all
    std::size_t rows = kTimes.size();
};

// A results file shaped like a run's: racks with geometry and fields (one of them added by
// "another engineer", one 2-D series that is not per rack), devices, a hall, site series.
void make_results(const std::string& path, const Layout& layout = {}) {
    ResultsWriter w(path, {});
    w.add_labels("/racks/paths", kRacks, "rack paths");
    if (layout.geometry)
        w.add_static("/racks/geometry", {0, 0, 0, 0.6, 1.2, 2.3, 0.6, 0, 0, 0.6, 1.2, 2.3, 0, 3, 0, 0.6, 1.2, 2.3}, 3, 6,
                     "m", "rack boxes");
    w.add_series({"/racks/power", "W", "rack power", 3, "/racks/paths"});
    w.add_series({"/racks/max_junction_temperature", "degC", "hottest junction", 3, "/racks/paths"});
    w.add_series({"/racks/inlet_air_temperature", "degC", "a field added later", 3, "/racks/paths"});
    w.add_labels("/racks/fan_paths", {"fan a", "fan b", "fan c"}, "three fans, not the racks");
    w.add_series({"/racks/fan_speed", "1", "per fan, not per rack", 3, "/racks/fan_paths"});
    w.add_labels("/devices/paths", kDevices, "device paths");
    w.add_series({"/devices/power", "W", "device power", 6, "/devices/paths"});
    w.add_labels("/halls/paths", {"hallA"}, "halls");
    w.add_series({"/halls/air_temperature", "degC", "hall air", 1, "/halls/paths"});
    w.add_series({"/site/grid_power", "W", "grid", 0, ""});
    if (layout.cdus) {
        w.add_labels("/cdus/paths", {"hallA/cdu1"}, "CDUs");
        w.add_static("/cdus/geometry", {2, 0, 0, 0.8, 1.2, 2.0}, 1, 6, "m", "CDU boxes");
        w.add_series({"/cdus/duty", "W", "heat taken", 1, "/cdus/paths"});
    }
    w.begin();
    std::vector<double> row(w.row_width());
    for (std::size_t i = 0; i < layout.rows; ++i) {
        for (std::size_t k = 0; k < row.size(); ++k) row[k] = 100.0 * double(i) + double(k);
        w.append(kTimes[i], row.data());
    }
    w.finish("complete", layout.rows ? kTimes[layout.rows - 1] : 0.0);
}

// Makes a finished file look killed: status `running`, `rows` below the rows on disk.
void pretend_killed(const std::string& path, std::int64_t rows) {
    const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    REQUIRE(f >= 0);
    const hid_t a = H5Aopen(f, "rows", H5P_DEFAULT);
    REQUIRE(H5Awrite(a, H5T_NATIVE_INT64, &rows) >= 0);
    H5Aclose(a);
    H5Adelete(f, "status");
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    const hid_t space = H5Screate(H5S_SCALAR);
    const hid_t s = H5Acreate2(f, "status", type, space, H5P_DEFAULT, H5P_DEFAULT);
    const char* running = "running";
    REQUIRE(H5Awrite(s, type, &running) >= 0);
    H5Aclose(s);
    H5Sclose(space);
    H5Tclose(type);
    H5Fclose(f);
}

// A results file of `make_results` whose run looks killed with `rows` rows counted.
std::string killed_results(const TempDir& dir, std::int64_t rows) {
    const auto file = dir.file("killed.h5");
    make_results(file);
    pretend_killed(file, rows);
    return file;
}

std::string error_of(const auto& action) {
    try {
        action();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("scene: rack fields are found generically, devices and halls get derived boxes") {
    TempDir dir;
    const auto file = dir.file("run.h5");
    make_results(file);
    const auto s = dctwin::viz::load_scene(file);
    CHECK(s.status == "complete");
    CHECK(s.rows == 5);
    CHECK(s.times == std::vector<double>{0, 10, 20, 30});
    CHECK(s.steps == std::vector<std::size_t>{0, 2, 3, 4});  // the later of the two rows at 10 s
    REQUIRE(s.groups.size() == 3);

    const auto& racks = s.groups[0];
    CHECK(racks.name == "racks");
    CHECK_FALSE(racks.derived);
    CHECK(racks.paths == kRacks);
    REQUIRE(racks.boxes.size() == 3);
    CHECK(racks.boxes[2].y == 3.0);
    CHECK(racks.boxes[2].height == 2.3);
    std::vector<std::string> names;
    for (const auto& f : racks.fields) names.push_back(f.name);
    // Every per-rack series, including one nobody told the viewer about; not the fan series.
    CHECK(names == std::vector<std::string>{"inlet_air_temperature", "max_junction_temperature", "power"});
    CHECK(racks.fields[1].unit == "degC");
    CHECK(racks.fields[1].dataset == "/racks/max_junction_temperature");

    const auto& devices = s.groups[1];
    CHECK(devices.name == "devices");
    CHECK(devices.derived);
    REQUIRE(devices.boxes.size() == 6);
    for (std::size_t k = 0; k < 6; ++k) {  // inside the rack, stacked bottom-up
        const auto& d = devices.boxes[k];
        const auto& r = racks.boxes[k / 2];
        CHECK(d.x > r.x);
        CHECK(d.x + d.width < r.x + r.width);
        CHECK(d.y > r.y);
        CHECK(d.y + d.depth < r.y + r.depth);
        CHECK(d.z >= r.z);
        CHECK(d.z + d.height <= r.z + r.height);
    }
    CHECK(devices.boxes[1].z > devices.boxes[0].z + devices.boxes[0].height);

    const auto& halls = s.groups[2];
    CHECK(halls.name == "halls");
    REQUIRE(halls.boxes.size() == 1);
    const auto& h = halls.boxes[0];  // under every rack
    CHECK(h.x < 0);
    CHECK(h.x + h.width > 1.2);
    CHECK(h.y < 0);
    CHECK(h.y + h.depth > 4.2);
    CHECK(h.z + h.height == doctest::Approx(0.0));
    REQUIRE(halls.fields.size() == 1);
    CHECK(halls.fields[0].name == "air_temperature");
}

TEST_CASE("scene: fields by name, time steps by time, rows by hyperslab") {
    TempDir dir;
    const auto file = dir.file("run.h5");
    make_results(file);
    const auto s = dctwin::viz::load_scene(file);
    CHECK(s.field("max_junction_temperature").first->name == "racks");
    CHECK(s.field("devices/power").first->name == "devices");
    CHECK(s.field("/racks/power").second->name == "power");
    CHECK(s.field("power").first->name == "racks");  // racks first
    const auto unknown = error_of([&] { s.field("inlet_water"); });
    CHECK(contains(unknown, "unknown field 'inlet_water'"));
    CHECK(contains(unknown, "racks/max_junction_temperature"));
    CHECK_THROWS_AS(s.field("racks/fan_speed"), ViewError);

    CHECK(s.step_at(0) == 0);
    CHECK(s.step_at(14) == 1);
    CHECK(s.step_at(16) == 2);
    CHECK(s.step_at(30) == 3);
    const auto outside = error_of([&] { s.step_at(31); });
    CHECK(contains(outside, "time 31 s is outside the run (0 s to 30 s)"));
    CHECK_THROWS_AS(s.step_at(-1), ViewError);
    CHECK_THROWS_AS(s.step_at(std::nan("")), ViewError);

    // Row 2 (the second at 10 s) of /racks/power: columns 0..2 of the row.
    CHECK(dctwin::viz::read_row(file, "/racks/power", 2) == std::vector<double>{200, 201, 202});
    CHECK(dctwin::viz::read_row(file, "/site/grid_power", 4).size() == 1);
    CHECK_THROWS_AS(dctwin::viz::read_row(file, "/racks/power", 5), ResultsError);
    CHECK_THROWS_AS(dctwin::viz::read_row(file, "/racks/nothing", 0), ResultsError);

    // Wide series are read in parts: peaks over the valid rows, single columns.
    CHECK(dctwin::viz::column_peaks(file, "/racks/power", 5) == std::vector<double>{400, 401, 402});
    CHECK(dctwin::viz::column_peaks(file, "/racks/power", 2) == std::vector<double>{100, 101, 102});
    CHECK(dctwin::viz::read_column(file, "/racks/power", 1, 3) == std::vector<double>{1, 101, 201});
    CHECK(dctwin::viz::read_column(file, "/racks/power", 1, 99).size() == 5);
    CHECK_THROWS_AS(dctwin::viz::read_column(file, "/racks/power", 3, 2), ResultsError);
}

TEST_CASE("scene: a killed run shows its valid rows only") {
    TempDir dir;
    const auto s = dctwin::viz::load_scene(killed_results(dir, 2));
    CHECK(s.status == "running");
    CHECK(s.rows == 2);
    CHECK(s.times == std::vector<double>{0, 10});
    CHECK(s.steps == std::vector<std::size_t>{0, 1});
    CHECK(s.groups[0].fields[0].file_rows == 5);  // the rows on disk, for the sidecar's dimensions
}

TEST_CASE("scene: a group with its own geometry joins the view") {
    TempDir dir;
    const auto file = dir.file("cdu.h5");
    make_results(file, {.cdus = true});
    const auto s = dctwin::viz::load_scene(file);
    REQUIRE(s.groups.size() == 4);
    CHECK(s.groups[0].name == "racks");
    CHECK(s.groups[1].name == "cdus");
    CHECK_FALSE(s.groups[1].derived);
    CHECK(s.groups[1].boxes[0].x == 2.0);
    CHECK(s.field("duty").first->name == "cdus");
}

TEST_CASE("scene: missing, foreign, empty or shapeless files are refused with their reason") {
    TempDir dir;
    CHECK(contains(error_of([&] { dctwin::viz::load_scene(dir.file("nothing.h5")); }), "No such file or directory"));
    {
        std::ofstream(dir.file("text.h5")) << "not HDF5\n";
        CHECK(contains(error_of([&] { dctwin::viz::load_scene(dir.file("text.h5")); }), "not an HDF5 file"));
    }
    {
        const hid_t f = H5Fcreate(dir.file("other.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
        H5Fclose(f);
        CHECK(contains(error_of([&] { dctwin::viz::load_scene(dir.file("other.h5")); }), "not a dctwin results file"));
    }
    make_results(dir.file("empty.h5"), {.rows = 0});
    CHECK_THROWS_AS(dctwin::viz::load_scene(dir.file("empty.h5")), ViewError);
    CHECK(contains(error_of([&] { dctwin::viz::load_scene(dir.file("empty.h5")); }), "no output rows"));
    make_results(dir.file("flat.h5"), {.geometry = false});
    CHECK(contains(error_of([&] { dctwin::viz::load_scene(dir.file("flat.h5")); }), "no geometry"));
}

TEST_CASE("xdmf: the sidecar points into the results file, units in array names, shared geometry") {
    TempDir dir;
    const auto file = dir.file("run.h5");
    make_results(file);
    CHECK(dctwin::viz::sidecar_path(file) == dir.file("run.xmf"));
    CHECK(dctwin::viz::sidecar_path("a/b.hdf5") == "a/b.xmf");
    CHECK(dctwin::viz::sidecar_path("a/b.results") == "a/b.results.xmf");

    const auto sum = dctwin::viz::write_xdmf(file);
    CHECK(sum.path == dir.file("run.xmf"));
    CHECK(sum.steps == 4);
    CHECK(sum.t_first == 0);
    CHECK(sum.t_last == 30);
    REQUIRE(sum.grids.size() == 3);
    CHECK(sum.grids[0].name == "racks");
    CHECK(sum.grids[0].cells == 3);
    CHECK(sum.grids[0].fields == 3);
    CHECK(sum.grids[1].cells == 6);

    const std::string x = slurp(sum.path);
    CHECK(contains(x, "<Xdmf Version=\"3.0\" xmlns:xi=\"http://www.w3.org/2001/XInclude\">"));
    // One temporal collection; each step a spatial collection of the three groups.
    CHECK(count(x, "CollectionType=\"Temporal\"") == 1);
    CHECK(count(x, "CollectionType=\"Spatial\"") == 4);
    for (const char* t : {"<Time Value=\"0\"/>", "<Time Value=\"10\"/>", "<Time Value=\"20\"/>", "<Time Value=\"30\"/>"})
        CHECK(count(x, t) == 1);
    // Points and connectivity written once per group (8 points per box), included by every step.
    CHECK(count(x, "<Geometry ") == 3);
    CHECK(contains(x, "<DataItem Dimensions=\"24 3\""));
    CHECK(contains(x, "<DataItem Dimensions=\"48 3\""));
    CHECK(count(x, "<xi:include xpointer=\"xpointer(/Xdmf/Domain/Geometry[1])\"/>") == 4);
    CHECK(count(x, "<xi:include xpointer=\"xpointer(/Xdmf/Domain/Topology[2])\"/>") == 4);
    // Racks around drawn devices are outlines, one 16-point polyline each; devices are boxes.
    CHECK(contains(x, "<Topology Name=\"racks\" TopologyType=\"Polyline\" NodesPerElement=\"16\" NumberOfElements=\"3\">"));
    CHECK(contains(x, "\n16 17 18 19 16 20 21 22 23 20 21 17 18 22 23 19 \n"));
    CHECK(contains(x, "<Topology Name=\"devices\" TopologyType=\"Hexahedron\" NumberOfElements=\"6\">"));
    CHECK(contains(x, "\n40 41 42 43 44 45 46 47 \n"));
    // Fields are rows of the series, by relative path, named with their unit: t = 10 s is
    // row 2 (rows 1 and 2 share it).
    CHECK(count(x, "<Attribute Name=\"power [W]\" Center=\"Cell\">") == 4 * 2);
    CHECK(count(x, ">run.h5:/racks/power|") == 4);
    CHECK(contains(x, ">run.h5:/racks/power|2 0:1 1:1 3:5 3</DataItem>"));
    CHECK_FALSE(contains(x, ">run.h5:/racks/power|1 0:"));
    CHECK(contains(x, "<Attribute Name=\"max_junction_temperature [degC]\" Center=\"Cell\">"));
    CHECK_FALSE(contains(x, "fan_speed"));
    CHECK(contains(x, "<Information Name=\"units:racks/max_junction_temperature\" Value=\"degC\"/>"));
    CHECK(contains(x, "<Information Name=\"status\" Value=\"complete\"/>"));
    CHECK_FALSE(contains(x, "HyperSlab"));

    // The legacy flavour: a HyperSlab of each series (written once) per field and step, one
    // temporal collection per group.
    const auto legacy = dctwin::viz::write_xdmf(file, dir.file("legacy.xmf"), dctwin::viz::XdmfFlavour::legacy);
    const std::string l = slurp(legacy.path);
    CHECK(contains(l, "<Xdmf Version=\"2.0\""));
    CHECK(count(l, "CollectionType=\"Temporal\"") == 3);
    CHECK(count(l, ">run.h5:/racks/power</DataItem>") == 1);
    CHECK(count(l, "ItemType=\"HyperSlab\"") == 4 * 5);  // 4 steps x 5 fields (3 rack, 1 device, 1 hall)
    CHECK(contains(l, ">2 0 1 1 1 3</DataItem>"));
    CHECK_FALSE(contains(l, "|"));

    // Elsewhere: the results file is named from the sidecar's folder.
    fs::create_directories(dir.path / "views");
    dctwin::viz::write_xdmf(file, dir.file("views/run.xmf"));
    CHECK(contains(slurp(dir.file("views/run.xmf")), "../run.h5:/racks/power"));
}

namespace {

// A long run: three racks, one field, `rows` rows a second apart.
void make_long_results(const std::string& path, std::size_t rows) {
    ResultsWriter w(path, {});
    w.add_labels("/racks/paths", {"h/r/rack01", "h/r/rack02", "h/r/rack03"}, "rack paths");
    w.add_static("/racks/geometry", {0, 0, 0, 0.6, 1.2, 2.3, 0.6, 0, 0, 0.6, 1.2, 2.3, 0, 3, 0, 0.6, 1.2, 2.3}, 3, 6,
                 "m", "rack boxes");
    w.add_series({"/racks/max_junction_temperature", "degC", "hottest junction", 3, "/racks/paths"});
    w.begin();
    for (std::size_t i = 0; i < rows; ++i) {
        const double row[3] = {40.0 + 0.001 * double(i), 41.0, 40.5};
        w.append(double(i), row);
    }
    w.finish("complete", double(rows - 1));
}

std::vector<double> sidecar_times(const std::string& xmf) {
    const std::string x = slurp(xmf);
    const std::regex time("<Time Value=\"([^\"]+)\"/>");
    std::vector<double> out;
    for (auto it = std::sregex_iterator(x.begin(), x.end(), time); it != std::sregex_iterator(); ++it)
        out.push_back(std::stod((*it)[1].str()));
    return out;
}

}  // namespace

TEST_CASE("xdmf: the sidecar is no larger than its results: every stride-th output time and the last") {
    TempDir dir;
    const auto file = dir.file("long.h5");
    const std::size_t rows = 3001;
    make_long_results(file, rows);
    const auto results_size = fs::file_size(file);

    // Every output time would make it larger than the results (checked with --all-steps).
    const auto all = dctwin::viz::write_xdmf(file, dir.file("all.xmf"), dctwin::viz::XdmfFlavour::xdmf3, true);
    CHECK(all.stride == 1);
    CHECK(all.steps == rows);
    CHECK(sidecar_times(all.path).size() == rows);
    CHECK(fs::file_size(all.path) > results_size);

    for (const auto flavour : {dctwin::viz::XdmfFlavour::xdmf3, dctwin::viz::XdmfFlavour::legacy}) {
        const auto sum = dctwin::viz::write_xdmf(file, dir.file("thin.xmf"), flavour);
        CAPTURE(int(flavour));
        CHECK(fs::file_size(sum.path) <= results_size);
        CHECK(sum.stride > 1);
        CHECK(sum.output_times == rows);
        // Every stride-th time from the first, then the last.
        std::vector<double> want;
        for (std::size_t k = 0; k < rows; k += sum.stride) want.push_back(double(k));
        if (want.back() != double(rows - 1)) want.push_back(double(rows - 1));
        CHECK(sum.steps == want.size());
        CHECK(sidecar_times(sum.path) == want);
        CHECK(contains(slurp(sum.path), fmt::format("<Information Name=\"stride\" Value=\"{}\"/>", sum.stride)));
        // Not thinner than it needs: the smallest stride that fits uses at least about half
        // of the room (a stride of k + 1 where k just failed).
        CHECK(double(fs::file_size(sum.path)) > 0.4 * double(results_size));
    }
}

TEST_CASE("xdmf: the ParaView state next to the sidecar: reader, colour range, camera") {
    TempDir dir;
    const auto file = dir.file("long.h5");
    make_long_results(file, 11);
    const auto sum = dctwin::viz::write_xdmf(file);
    CHECK(sum.state == dir.file("long.pvsm"));
    CHECK(dctwin::viz::state_path("a/b.xmf") == "a/b.pvsm");
    const std::string x = slurp(sum.state);
    // The sidecar by its absolute path.
    CHECK(contains(x, fmt::format("<Proxy group=\"sources\" type=\"Xdmf3ReaderT\" id=\"100\" servers=\"1\">\n"
                                  "<Property name=\"FileName\" id=\"100.FileName\" number_of_elements=\"1\">"
                                  "<Element index=\"0\" value=\"{}\"/>",
                                  fs::absolute(sum.path).lexically_normal().string())));
    // No devices: the racks coloured by their hottest junction, over the last row (40.01,
    // 41, 40.5 degC; a span of 0.99 K) widened about its middle to 1 K: 40.005 to 41.005.
    CHECK(contains(x, "<Element index=\"4\" value=\"max_junction_temperature [degC]\"/>"));
    const std::regex scale("name=\"RGBPoints\"[^>]*><Element index=\"0\" value=\"([^\"]+)\"/>.*"
                           "<Element index=\"64\" value=\"([^\"]+)\"/>");
    std::smatch m;
    REQUIRE(std::regex_search(x, m, scale));
    CHECK(std::stod(m[1].str()) == doctest::Approx(40.005));
    CHECK(std::stod(m[2].str()) == doctest::Approx(41.005));
    CHECK(contains(x, "value=\"max junction temperature [°C]\""));
    CHECK(contains(x, "value=\"t = {time:.1f} min\""));  // 10 s run: minutes
    // Camera: aimed at the middle of the boxes (x 0..1.2, y 0..4.2, z 0..2.3), at the
    // distance of ParaView's Reset Camera: the bounding sphere in a 30 degree view.
    const auto vec = [&](const std::string& name) {
        const std::regex r("name=\"" + name + "\"[^>]*><Element index=\"0\" value=\"([^\"]+)\"/><Element index=\"1\" "
                           "value=\"([^\"]+)\"/><Element index=\"2\" value=\"([^\"]+)\"/>");
        std::smatch v;
        REQUIRE(std::regex_search(x, v, r));
        return std::vector<double>{std::stod(v[1].str()), std::stod(v[2].str()), std::stod(v[3].str())};
    };
    const auto focus = vec("CameraFocalPoint"), eye = vec("CameraPosition");
    CHECK(focus[0] == doctest::Approx(0.6));
    CHECK(focus[1] == doctest::Approx(2.1));
    CHECK(focus[2] == doctest::Approx(1.15));
    const double radius = 0.5 * std::sqrt(1.2 * 1.2 + 4.2 * 4.2 + 2.3 * 2.3);
    const double distance = std::hypot(eye[0] - focus[0], eye[1] - focus[1], eye[2] - focus[2]);
    CHECK(distance == doctest::Approx(radius / std::sin(15.0 * M_PI / 180.0)));
    CHECK(eye[2] > focus[2]);  // from above
    // The legacy flavour writes no state.
    CHECK(dctwin::viz::write_xdmf(file, dir.file("legacy.xmf"), dctwin::viz::XdmfFlavour::legacy).state.empty());
    CHECK_FALSE(fs::exists(dir.file("legacy.pvsm")));
}

TEST_CASE("xdmf: a run on an EPW file gives its calendar start, others none") {
    TempDir dir;
    const auto file = dir.file("plain.h5");
    make_results(file);
    CHECK_FALSE(dctwin::viz::load_scene(file).calendar);
    CHECK_FALSE(contains(slurp(dctwin::viz::write_xdmf(file).path), "calendar_start"));

    const auto epw = dir.file("epw.h5");
    {
        ResultsWriter w(epw, {});
        w.add_labels("/racks/paths", kRacks, "rack paths");
        w.add_static("/racks/geometry", std::vector<double>(18, 1.0), 3, 6, "m", "rack boxes");
        w.add_series({"/racks/power", "W", "rack power", 3, "/racks/paths"});
        w.add_text("/metadata/site_yaml", "site:\n  name: x\nambient:\n  kind: epw\n  file: w.epw\n  start: 196 d\n",
                   "the site");
        w.begin();
        const double row[3] = {1, 2, 3};
        w.append(0, row);
        w.finish("complete", 0);
    }
    const auto s = dctwin::viz::load_scene(epw);
    REQUIRE(s.calendar);
    CHECK(*s.calendar == 196 * 86400.0);
    CHECK(contains(slurp(dctwin::viz::write_xdmf(epw).path), "<Information Name=\"calendar_start\" Value=\"16934400\"/>"));
    // January 1 + 196 d is July 16 in a 365-day year; the year wraps.
    CHECK(dctwin::viz::date_time_text(196 * 86400.0 + 3600 * 14.5) == " 07/16  14:30:00");
    CHECK(dctwin::viz::date_time_text(365 * 86400.0 + 59) == " 01/01  00:00:59");
    CHECK(dctwin::viz::date_time_text(59 * 86400.0) == " 03/01  00:00:00");
}

TEST_CASE("xdmf: a killed run's sidecar covers its valid rows with the on-disk dimensions") {
    TempDir dir;
    const auto sum = dctwin::viz::write_xdmf(killed_results(dir, 3));
    CHECK(sum.steps == 2);  // rows 0, 1, 2: times 0, 10, 10
    const std::string x = slurp(sum.path);
    CHECK(count(x, "<Time Value=") == 2);
    CHECK(contains(x, ":/racks/power|2 0:1 1:1 3:5 3</DataItem>"));  // the dimensions on disk
    CHECK(contains(x, "<Information Name=\"status\" Value=\"running\"/>"));
}

TEST_CASE("xdmf: an unwritable sidecar is an error that names it and leaves no half file") {
    TempDir dir;
    const auto file = dir.file("run.h5");
    make_results(file);
    CHECK(contains(error_of([&] { dctwin::viz::write_xdmf(file, dir.file("missing/run.xmf")); }),
                   "cannot write '" + dir.file("missing/run.xmf") + "'"));
    fs::create_directories(dir.path / "taken.xmf");
    CHECK(contains(error_of([&] { dctwin::viz::write_xdmf(file, dir.file("taken.xmf")); }), "cannot write"));
    for (const auto& e : fs::directory_iterator(dir.path)) CHECK_FALSE(contains(e.path().string(), ".tmp-"));
}

TEST_CASE("clock text") {
    CHECK(dctwin::viz::clock_text(0) == "0 s");
    CHECK(dctwin::viz::clock_text(12.5) == "12.5 s");
    CHECK(dctwin::viz::clock_text(600) == "10 min 00 s");
    CHECK(dctwin::viz::clock_text(7265) == "2:01:05 h");
    CHECK(dctwin::viz::clock_text(90000) == "1 d 01:00:00 h");
}

TEST_CASE("dctwin xdmf and dctwin run write the sidecar, bad input is exit status 2") {
    TempDir dir;
    const std::string site = robust::site();
    auto r = run_cli(dir, "run " + site + " -o " + dir.file("pod.h5") + " --duration 2min");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(fs::exists(dir.file("pod.xmf")));
    CHECK(fs::exists(dir.file("pod.pvsm")));
    CHECK(contains(r.out, "ParaView: paraview " + dir.file("pod.pvsm") + " (or File > Load State; File > Open " +
                              dir.file("pod.xmf") + ": the data alone)"));
    // An existing state, like an existing sidecar, is refused before the run without --force.
    fs::remove(dir.file("pod.xmf"));
    fs::remove(dir.file("pod.h5"));
    r = run_cli(dir, "run " + site + " -o " + dir.file("pod.h5") + " --duration 2min");
    CHECK(r.exit_code == 1);
    CHECK(contains(r.err, "(the ParaView state of " + dir.file("pod.h5") + ") exists; use --force"));
    CHECK_FALSE(fs::exists(dir.file("pod.h5")));
    r = run_cli(dir, "run " + site + " -o " + dir.file("pod.h5") + " --duration 2min --force");
    REQUIRE(r.exit_code == 0);

    // --json: stdout stays one JSON document.
    r = run_cli(dir, "run " + site + " -o " + dir.file("pod2.h5") + " --duration 1min --json");
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find('{') == 0);
    CHECK_FALSE(contains(r.out, "ParaView"));
    CHECK(fs::exists(dir.file("pod2.xmf")));

    fs::remove(dir.file("pod.xmf"));
    r = run_cli(dir, "xdmf " + dir.file("pod.h5"));
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, dir.file("pod.xmf") + ": 13 time steps, 0 s to 120 s; racks: 4 boxes"));
    CHECK(contains(r.out, dir.file("pod.pvsm") + ": the default view (paraview " + dir.file("pod.pvsm") + ")"));
    CHECK(fs::exists(dir.file("pod.xmf")));
    r = run_cli(dir, "xdmf " + dir.file("pod.h5") + " -o " + dir.file("other.xmf"));
    CHECK(r.exit_code == 0);
    CHECK(fs::exists(dir.file("other.xmf")));
    CHECK_FALSE(contains(slurp(dir.file("other.xmf")), "HyperSlab"));
    r = run_cli(dir, "xdmf " + dir.file("pod.h5") + " --legacy -o " + dir.file("legacy.xmf"));
    CHECK(r.exit_code == 0);
    CHECK(contains(slurp(dir.file("legacy.xmf")), "ItemType=\"HyperSlab\""));

    r = run_cli(dir, "xdmf " + dir.file("absent.h5"));
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "absent.h5': No such file or directory"));
    std::ofstream(dir.file("notes.h5")) << "hello\n";
    r = run_cli(dir, "xdmf " + dir.file("notes.h5"));
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "not an HDF5 file"));
    r = run_cli(dir, "xdmf " + dir.file("pod.h5") + " -o " + dir.file("no/such/dir.xmf"));
    CHECK(r.exit_code == 1);
    CHECK(contains(r.err, "cannot write"));
}
