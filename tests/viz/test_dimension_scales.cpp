// The results file's axes as HDF5 dimension scales (io/results.cpp), as h5py and
// netCDF-style readers find them.

#include "io/results.hpp"

#include <doctest/doctest.h>
#include <hdf5.h>
#include <hdf5_hl.h>

#include <string>
#include <vector>

#include "viz_test_util.hpp"

namespace {

struct Dataset {
    hid_t id;
    explicit Dataset(hid_t file, const char* path) : id(H5Dopen2(file, path, H5P_DEFAULT)) { REQUIRE(id >= 0); }
    ~Dataset() { H5Dclose(id); }
    Dataset(const Dataset&) = delete;
    Dataset& operator=(const Dataset&) = delete;
};

std::string scale_name(hid_t scale) {
    char name[256] = {};
    return H5DSget_scale_name(scale, name, sizeof name) > 0 ? name : "";
}

std::string label(hid_t dataset, unsigned dim) {
    char text[256] = {};
    return H5DSget_label(dataset, dim, text, sizeof text) > 0 ? text : "";
}

}  // namespace

TEST_CASE("results: every labelled axis is an HDF5 dimension scale, /time the first axis of every series") {
    viz_test::TempDir dir;
    const auto path = dir.file("scales.h5");
    {
        dctwin::ResultsWriter w(path, {});
        w.add_labels("/racks/paths", {"hall/row/rack01", "hall/row/rack02"}, "rack paths");
        w.add_static("/racks/geometry", std::vector<double>(12, 1.0), 2, 6, "m", "rack boxes");
        w.add_static("/site/weights", std::vector<double>(3, 1.0), 3, 1, "1", "no labels of this length");
        w.add_series({"/racks/power", "W", "rack power", 2, "/racks/paths"});
        w.add_series({"/site/grid_power", "W", "grid", 0, ""});
        w.begin();
        const double row[3] = {1, 2, 3};
        w.append(0, row);
        w.append(10, row);
        w.append_event(5, "hall/row/rack01", "trip", "a trip");
        w.finish("complete", 10);
    }
    const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    REQUIRE(file >= 0);
    {
        Dataset time(file, "/time"), paths(file, "/racks/paths"), power(file, "/racks/power"),
            grid(file, "/site/grid_power"), geometry(file, "/racks/geometry"), weights(file, "/site/weights"),
            event_time(file, "/events/time"), kind(file, "/events/kind");
        CHECK(H5DSis_scale(time.id) > 0);
        CHECK(scale_name(time.id) == "time");
        CHECK(H5DSis_scale(paths.id) > 0);
        CHECK(scale_name(paths.id) == "racks/paths");
        CHECK(H5DSis_scale(power.id) == 0);

        CHECK(H5DSis_attached(power.id, time.id, 0) > 0);
        CHECK(H5DSis_attached(power.id, paths.id, 1) > 0);
        CHECK(H5DSis_attached(power.id, paths.id, 0) == 0);
        CHECK(label(power.id, 0) == "time");
        CHECK(label(power.id, 1) == "racks/paths");
        CHECK(H5DSget_num_scales(power.id, 1) == 1);
        CHECK(H5DSis_attached(grid.id, time.id, 0) > 0);
        CHECK(H5DSget_num_scales(grid.id, 0) == 1);
        // /racks/paths labels the geometry's rows; a static of another length stays unlabelled.
        CHECK(H5DSis_attached(geometry.id, paths.id, 0) > 0);
        CHECK(H5DSget_num_scales(geometry.id, 1) == 0);
        CHECK(H5DSget_num_scales(weights.id, 0) == 0);
        CHECK(H5DSis_attached(kind.id, event_time.id, 0) > 0);
    }
    H5Fclose(file);

    // The reader is unaffected: labels, series and the `columns` attribute as before.
    dctwin::ResultsReader r(path);
    CHECK(r.read_strings("/racks/paths") == std::vector<std::string>{"hall/row/rack01", "hall/row/rack02"});
    CHECK(std::get<std::string>(r.attribute("/racks/power", "columns")) == "/racks/paths");
    std::vector<std::size_t> shape;
    CHECK(r.read("/racks/power", &shape) == std::vector<double>{1, 2, 1, 2});
}
