// Tests of the results file writer and reader (io/results.hpp).

#include "io/results.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <hdf5.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "viz_test_util.hpp"

namespace fs = std::filesystem;
using dctwin::AttributeValue;
using dctwin::ResultsError;
using dctwin::ResultsReader;
using dctwin::ResultsWriter;
using dctwin::SeriesSpec;

namespace {

/// A fresh directory under the system temp folder, removed at the end of the test.
using viz_test::TempDir;

std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string error_of(const auto& action) {
    try {
        action();
    } catch (const ResultsError& e) {
        return e.what();
    }
    return "(no ResultsError)";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The standard declaration used by several tests: two 1-D series around a 2-D one of width 3.
const std::vector<std::string> kRacks = {"/hall/rack_a", "/hall/rack_b", "/hall/rack_ü"};

void declare_standard(ResultsWriter& writer) {
    writer.add_labels("/devices/names", kRacks, "rack paths");
    CHECK(writer.add_series({"/site/grid_power", "W", "power drawn from the grid", 0, ""}) == 0);
    CHECK(writer.add_series({"/devices/junction_temperature", "degC", "junction temperature", 3, "/devices/names"}) ==
          1);
    CHECK(writer.add_series({"/site/pue", "1", "power usage effectiveness", 0, ""}) == 4);
    CHECK(writer.row_width() == 5);
}

/// Row i of the standard layout (distinct value per row and column).
std::vector<double> standard_row(std::size_t i) {
    const double x = static_cast<double>(i);
    return {1000.0 + x, 20.0 + x, 30.0 + x, 40.0 + x, 1.5 + 0.001 * x};
}

double standard_time(std::size_t i) { return 60.0 * static_cast<double>(i); }

void append_standard(ResultsWriter& writer, std::size_t first, std::size_t count) {
    for (std::size_t i = first; i < first + count; ++i) {
        const auto row = standard_row(i);
        writer.append(standard_time(i), row.data());
    }
}

/// Checks that the file holds rows [0, n) of the standard layout.
void check_standard_rows(const ResultsReader& reader, std::size_t n) {
    const auto time = reader.time();
    REQUIRE(time.size() >= n);
    std::vector<std::size_t> shape;
    const auto power = reader.read("/site/grid_power", &shape);
    REQUIRE(shape == std::vector<std::size_t>{power.size()});
    REQUIRE(power.size() >= n);
    const auto junction = reader.read("/devices/junction_temperature", &shape);
    REQUIRE(shape.size() == 2);
    REQUIRE(shape[1] == 3);
    REQUIRE(shape[0] >= n);
    const auto pue = reader.read("/site/pue");
    REQUIRE(pue.size() >= n);
    for (std::size_t i = 0; i < n; ++i) {
        const auto row = standard_row(i);
        CHECK(time[i] == standard_time(i));
        CHECK(power[i] == row[0]);
        for (std::size_t j = 0; j < 3; ++j) CHECK(junction[i * 3 + j] == row[1 + j]);
        CHECK(pue[i] == row[4]);
    }
}

std::string string_attribute(const ResultsReader& reader, const std::string& object, const std::string& name) {
    const AttributeValue value = reader.attribute(object, name);
    REQUIRE(std::holds_alternative<std::string>(value));
    return std::get<std::string>(value);
}

std::int64_t int_attribute(const ResultsReader& reader, const std::string& object, const std::string& name) {
    const AttributeValue value = reader.attribute(object, name);
    REQUIRE(std::holds_alternative<std::int64_t>(value));
    return std::get<std::int64_t>(value);
}

double double_attribute(const ResultsReader& reader, const std::string& object, const std::string& name) {
    const AttributeValue value = reader.attribute(object, name);
    REQUIRE(std::holds_alternative<double>(value));
    return std::get<double>(value);
}

/// Storage properties of a dataset, read with the plain HDF5 API.
struct Storage {
    std::vector<hsize_t> chunk;
    std::vector<hsize_t> max_dims;
    std::vector<H5Z_filter_t> filters;
};

Storage storage_of(const std::string& file, const std::string& dataset) {
    Storage s;
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    REQUIRE(f >= 0);
    const hid_t d = H5Dopen2(f, dataset.c_str(), H5P_DEFAULT);
    REQUIRE(d >= 0);
    const hid_t space = H5Dget_space(d);
    const int rank = H5Sget_simple_extent_ndims(space);
    s.max_dims.resize(static_cast<std::size_t>(rank));
    std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
    H5Sget_simple_extent_dims(space, dims.data(), s.max_dims.data());
    const hid_t dcpl = H5Dget_create_plist(d);
    if (H5Pget_layout(dcpl) == H5D_CHUNKED) {
        s.chunk.resize(static_cast<std::size_t>(rank));
        H5Pget_chunk(dcpl, rank, s.chunk.data());
    }
    const int nfilters = H5Pget_nfilters(dcpl);
    for (int i = 0; i < nfilters; ++i) {
        unsigned flags = 0;
        std::size_t n = 0;
        unsigned config = 0;
        s.filters.push_back(H5Pget_filter2(dcpl, static_cast<unsigned>(i), &flags, &n, nullptr, 0, nullptr, &config));
    }
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Dclose(d);
    H5Fclose(f);
    return s;
}

bool have_h5dump() { return std::system("command -v h5dump > /dev/null 2>&1") == 0; }

/// Ends the calling process at once with SIGKILL: no destructors, no atexit handlers.
[[noreturn]] void kill_now() {
    ::raise(SIGKILL);
    ::_exit(4);
}

/// Runs `body` in a child process; the body ends with kill_now() while its writer is still in
/// scope, so the file is left as a real crash leaves it. Returns whether the child died that way.
template <class Body>
bool run_and_kill(Body body) {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        try {
            body();
        } catch (...) {
            ::_exit(3);
        }
        ::_exit(5);  // the body did not kill itself
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

}  // namespace

TEST_CASE("results: round trip of series, statics, labels, text, attributes and events") {
    for (const int compression : {0, 4}) {
        CAPTURE(compression);
        TempDir dir;
        const std::string file = dir.file("run.h5");
        const std::size_t chunk_rows = 7;
        const std::size_t n = 7 * 5 + 3;  // more than chunk_rows, not a multiple of it
        {
            ResultsWriter writer(file, {.flush_interval_s = 1e9, .compression = compression, .chunk_rows = chunk_rows});
            declare_standard(writer);
            writer.add_static("/geometry/rack_position", {0, 0, 0, 0.6, 0, 0, 1.2, 0, 0}, 3, 3, "m", "rack corners");
            writer.add_text("/metadata/site_yaml", "site:\n  name: täst\n", "the resolved site");
            writer.set_attribute("/metadata", "dctwin_version", std::string("0.1.0"));  // before begin(): queued
            CHECK_FALSE(fs::exists(file));
            writer.begin();
            CHECK(fs::exists(file));
            writer.set_attribute("/solver", "steps", std::int64_t{1234});
            writer.set_attribute("/solver", "rtol", 1e-6);
            writer.set_attribute("/site/grid_power", "note", std::string("metered"));
            writer.set_attribute("/solver", "steps", std::int64_t{1235});           // replaced in place
            writer.set_attribute("/solver", "rtol", std::string("one in a million"));  // replaced, other type
            append_standard(writer, 0, 20);
            writer.append_event(600.0, "/hall/rack_a", "trip", "breaker opened");
            append_standard(writer, 20, n - 20);
            writer.append_event(1200.0, "/site", "limit", "grid limit reached");
            writer.append_event(1260.0, "/hall/rack_ü", "warning", "");
            CHECK(writer.rows_written() == n);
            writer.finish("complete", standard_time(n - 1) + 30.0);
            CHECK_THROWS_AS(writer.append(1e6, standard_row(0).data()), ResultsError);
            CHECK_THROWS_AS(writer.append_event(1e6, "/", "x", "y"), ResultsError);
            CHECK_THROWS_AS(writer.flush(), ResultsError);
            CHECK(contains(error_of([&] { writer.append(1e6, standard_row(0).data()); }), "after finish()"));
        }

        ResultsReader reader(file);
        check_standard_rows(reader, n);
        CHECK(reader.time().size() == n);
        CHECK(reader.read("/devices/junction_temperature").size() == 3 * n);

        // root attributes
        CHECK(string_attribute(reader, "/", "format") == "dctwin-results");
        CHECK(int_attribute(reader, "/", "format_version") == 1);
        CHECK(string_attribute(reader, "/", "status") == "complete");
        CHECK(double_attribute(reader, "/", "t_reached") == standard_time(n - 1) + 30.0);
        CHECK(int_attribute(reader, "/", "rows") == static_cast<std::int64_t>(n));

        // units and descriptions on every dataset
        CHECK(reader.unit("/time") == "s");
        CHECK(reader.unit("/site/grid_power") == "W");
        CHECK(reader.unit("/devices/junction_temperature") == "degC");
        CHECK(reader.unit("/site/pue") == "1");
        CHECK(reader.unit("/devices/names") == "-");
        CHECK(reader.unit("/geometry/rack_position") == "m");
        CHECK(reader.unit("/metadata/site_yaml") == "-");
        CHECK(reader.unit("/events/time") == "s");
        for (const char* field : {"/events/path", "/events/kind", "/events/message"}) CHECK(reader.unit(field) == "-");
        CHECK(string_attribute(reader, "/site/grid_power", "description") == "power drawn from the grid");
        CHECK(string_attribute(reader, "/time", "description").size() > 0);
        CHECK(string_attribute(reader, "/events/message", "description").size() > 0);
        CHECK(string_attribute(reader, "/devices/junction_temperature", "columns") == "/devices/names");

        // labels, static, text, user attributes
        CHECK(reader.read_strings("/devices/names") == kRacks);
        std::vector<std::size_t> shape;
        CHECK(reader.read("/geometry/rack_position", &shape) == std::vector<double>{0, 0, 0, 0.6, 0, 0, 1.2, 0, 0});
        CHECK(shape == std::vector<std::size_t>{3, 3});
        CHECK(reader.read_text("/metadata/site_yaml") == "site:\n  name: täst\n");
        CHECK(string_attribute(reader, "/metadata", "dctwin_version") == "0.1.0");
        CHECK(int_attribute(reader, "/solver", "steps") == 1235);
        CHECK(string_attribute(reader, "/solver", "rtol") == "one in a million");
        CHECK(string_attribute(reader, "/site/grid_power", "note") == "metered");

        // events
        const auto events = reader.events();
        REQUIRE(events.size() == 3);
        CHECK(events[0].time == 600.0);
        CHECK(events[0].path == "/hall/rack_a");
        CHECK(events[0].kind == "trip");
        CHECK(events[0].message == "breaker opened");
        CHECK(events[1].message == "grid limit reached");
        CHECK(events[2].path == "/hall/rack_ü");
        CHECK(events[2].message.empty());

        // storage: chunked along time, extendible, compressed only when asked
        for (const char* path : {"/time", "/site/grid_power"}) {
            const Storage s = storage_of(file, path);
            CHECK(s.chunk == std::vector<hsize_t>{chunk_rows});
            CHECK(s.max_dims == std::vector<hsize_t>{H5S_UNLIMITED});
            if (compression > 0)
                CHECK(s.filters == std::vector<H5Z_filter_t>{H5Z_FILTER_SHUFFLE, H5Z_FILTER_DEFLATE});
            else
                CHECK(s.filters.empty());
        }
        const Storage s2 = storage_of(file, "/devices/junction_temperature");
        CHECK(s2.chunk == std::vector<hsize_t>{chunk_rows, 3});
        CHECK(s2.max_dims == std::vector<hsize_t>{H5S_UNLIMITED, 3});
        CHECK(s2.filters.size() == (compression > 0 ? 2u : 0u));
    }
}

TEST_CASE("results: wide 2-D series get column chunks of at most 1024 columns") {
    TempDir dir;
    const std::string file = dir.file("wide.h5");
    const std::size_t width = 2500;
    std::vector<std::string> labels;
    for (std::size_t j = 0; j < width; ++j) labels.push_back("/hall/rack_" + std::to_string(j));
    {
        ResultsWriter writer(file, {.flush_interval_s = 1e9, .compression = 1, .chunk_rows = 4});
        writer.add_labels("/racks/names", labels, "rack paths");
        writer.add_series({"/racks/inlet_temperature", "degC", "inlet", width, "/racks/names"});
        writer.begin();
        std::vector<double> row(width);
        for (std::size_t i = 0; i < 6; ++i) {
            for (std::size_t j = 0; j < width; ++j) row[j] = static_cast<double>(i * 10000 + j);
            writer.append(static_cast<double>(i), row.data());
        }
        writer.finish("complete", 5.0);
    }
    const Storage s = storage_of(file, "/racks/inlet_temperature");
    CHECK(s.chunk == std::vector<hsize_t>{4, 1024});
    ResultsReader reader(file);
    std::vector<std::size_t> shape;
    const auto values = reader.read("/racks/inlet_temperature", &shape);
    REQUIRE(shape == std::vector<std::size_t>{6, width});
    for (std::size_t i = 0; i < 6; ++i)
        for (std::size_t j = 0; j < width; j += 499) CHECK(values[i * width + j] == static_cast<double>(i * 10000 + j));
    CHECK(reader.read_strings("/racks/names") == labels);
}

TEST_CASE("results: a buffer budget lowers the rows per chunk of a wide site, never below 16") {
    TempDir dir;
    const std::size_t width = 2500;  // a row of the buffer is 2500 x 8 bytes, 20 kB
    std::vector<std::string> labels(width, "r");
    for (std::size_t j = 0; j < width; ++j) labels[j] += std::to_string(j);
    auto chunk_rows_with = [&](const std::string& name, std::size_t budget) {
        const std::string file = dir.file(name);
        {
            ResultsWriter writer(file, {.flush_interval_s = 1e9, .chunk_rows = 256, .max_buffer_bytes = budget});
            writer.add_labels("/racks/names", labels, "rack paths");
            writer.add_series({"/racks/power", "W", "power", width, "/racks/names"});
            writer.begin();
            std::vector<double> row(width, 1.0);
            for (int i = 0; i < 40; ++i) writer.append(double(i), row.data());
            writer.finish("complete", 39.0);
        }
        ResultsReader reader(file);
        CHECK(reader.read("/racks/power").size() == 40 * width);  // every row, across chunks
        return storage_of(file, "/racks/power").chunk.at(0);
    };
    CHECK(chunk_rows_with("none.h5", 0) == 256);
    CHECK(chunk_rows_with("1MB.h5", 1u << 20) == (1u << 20) / (8 * 2500));  // 52
    CHECK(chunk_rows_with("tiny.h5", 1000) == 16);
}

TEST_CASE("results: an existing file is not overwritten without overwrite=true") {
    TempDir dir;
    const std::string file = dir.file("run.h5");
    {
        ResultsWriter writer(file, {});
        declare_standard(writer);
        writer.begin();
        append_standard(writer, 0, 3);
        writer.finish("complete", 120.0);
    }
    const std::string before = read_bytes(file);
    REQUIRE(before.size() > 0);
    {
        ResultsWriter writer(file, {});
        declare_standard(writer);
        const std::string message = error_of([&] { writer.begin(); });
        CHECK(contains(message, file));
        CHECK(contains(message, "exists; use --force to overwrite"));
    }
    CHECK(read_bytes(file) == before);
    {
        ResultsReader reader(file);
        CHECK(reader.time().size() == 3);
    }
    {
        ResultsWriter writer(file, {.overwrite = true});
        writer.add_series({"/other", "W", "another layout", 0, ""});
        writer.begin();
        const double value = 7.0;
        writer.append(0.0, &value);
        writer.finish("incomplete", 0.0);
    }
    ResultsReader reader(file);
    CHECK(reader.read("/other") == std::vector<double>{7.0});
    CHECK_FALSE(reader.exists("/site/grid_power"));
    CHECK(string_attribute(reader, "/", "status") == "incomplete");
}

TEST_CASE("results: a file that cannot be created is a ResultsError with the cause") {
    TempDir dir;
    SUBCASE("missing directory") {
        const std::string file = dir.file("no/such/dir/run.h5");
        ResultsWriter writer(file, {});
        const std::string message = error_of([&] { writer.begin(); });
        CHECK(contains(message, file));
        CHECK(contains(message, "No such file or directory"));
    }
    SUBCASE("a regular file in place of the directory") {
        const std::string blocker = dir.file("plain");
        std::ofstream(blocker) << "x";
        const std::string file = blocker + "/run.h5";
        ResultsWriter writer(file, {});
        const std::string message = error_of([&] { writer.begin(); });
        CHECK(contains(message, file));
        CHECK(contains(message, "Not a directory"));
    }
    SUBCASE("a directory without write permission") {
        if (::geteuid() == 0) {
            MESSAGE("running as root: permission bits do not stop root, case skipped");
            return;
        }
        const fs::path locked = dir.path / "locked";
        fs::create_directory(locked);
        fs::permissions(locked, fs::perms::owner_read | fs::perms::owner_exec);
        const std::string file = (locked / "run.h5").string();
        ResultsWriter writer(file, {});
        const std::string message = error_of([&] { writer.begin(); });
        fs::permissions(locked, fs::perms::owner_all);
        CHECK(contains(message, file));
        CHECK(contains(message, "Permission denied"));
    }
}

TEST_CASE("results: declaration errors are reported at add time, before any file exists") {
    TempDir dir;
    const std::string file = dir.file("run.h5");
    ResultsWriter writer(file, {});
    writer.add_labels("/devices/names", {"a", "b"}, "two devices");
    writer.add_series({"/site/grid_power", "W", "grid", 0, ""});

    CHECK(contains(error_of([&] { writer.add_series({"/site/grid_power", "W", "again", 0, ""}); }), "declared twice"));
    CHECK(contains(error_of([&] { writer.add_text("/devices/names", "x", "clash"); }), "declared twice"));
    CHECK(contains(error_of([&] { writer.add_series({"/devices/t", "degC", "t", 2, "/devices/missing"}); }),
                   "/devices/missing"));
    CHECK(contains(error_of([&] { writer.add_series({"/devices/t", "degC", "t", 3, "/devices/names"}); }),
                   "width 3 differs from the 2 labels"));
    CHECK(contains(error_of([&] { writer.add_series({"/devices/t", "degC", "t", 2, ""}); }), "needs `columns`"));
    CHECK(contains(error_of([&] { writer.add_series({"/devices/u", "degC", "u", 0, "/devices/names"}); }),
                   "1-D series"));
    CHECK(contains(error_of([&] { writer.add_series({"/site/v", "", "no unit", 0, ""}); }), "no unit"));
    CHECK(contains(error_of([&] { writer.add_series({"site/relative", "W", "x", 0, ""}); }), "absolute"));
    CHECK(contains(error_of([&] { writer.add_series({"/site//double", "W", "x", 0, ""}); }), "absolute"));
    CHECK(contains(error_of([&] { writer.add_series({"/time", "s", "x", 0, ""}); }), "reserved"));
    CHECK(contains(error_of([&] { writer.add_series({"/events/extra", "s", "x", 0, ""}); }), "reserved"));
    CHECK(contains(error_of([&] { writer.add_series({"/site/grid_power/sub", "W", "x", 0, ""}); }), "conflicts"));
    CHECK(contains(error_of([&] { writer.add_series({"/site", "W", "x", 0, ""}); }), "conflicts"));
    CHECK(contains(error_of([&] { writer.add_static("/geometry/x", {1, 2, 3}, 2, 2, "m", "x"); }), "3 values"));
    CHECK(contains(error_of([&] { writer.set_attribute("/", "status", std::string("done")); }), "managed"));
    // a series whose columns are declared later is an error too: labels come first
    CHECK_THROWS_AS(writer.add_series({"/racks/t", "degC", "t", 1, "/racks/names"}), ResultsError);
    CHECK(writer.row_width() == 1);
    CHECK_THROWS_AS(writer.append(0.0, nullptr), ResultsError);  // before begin()
    CHECK_THROWS_AS(writer.finish("complete", 0.0), ResultsError);
    CHECK_FALSE(fs::exists(file));

    // the valid declarations still make a file; after begin() declarations are refused
    writer.begin();
    CHECK(contains(error_of([&] { writer.add_series({"/late", "W", "late", 0, ""}); }), "before begin()"));
    CHECK_THROWS_AS(writer.begin(), ResultsError);
    const double v = 1.0;
    writer.append(10.0, &v);
    CHECK(contains(error_of([&] { writer.append(5.0, &v); }), "precedes"));
    CHECK(contains(error_of([&] { writer.finish("done", 10.0); }), "not one of"));
    writer.finish("complete", 10.0);
    ResultsReader reader(file);
    CHECK(reader.read("/site/grid_power") == std::vector<double>{1.0});
}

TEST_CASE("results: a writer destroyed without finish() leaves a readable 'running' file") {
    TempDir dir;
    const std::string file = dir.file("crash.h5");
    const std::size_t n = 4 * 3 + 2;
    {
        ResultsWriter writer(file, {.flush_interval_s = 1e9, .compression = 4, .chunk_rows = 4});
        declare_standard(writer);
        writer.begin();
        append_standard(writer, 0, 9);
        writer.append_event(100.0, "/hall/rack_b", "trip", "fan failure");
        writer.flush();
        append_standard(writer, 9, n - 9);
        // the writer goes out of scope here, as during unwinding after an exception
    }
    ResultsReader reader(file);
    CHECK(string_attribute(reader, "/", "status") == "running");
    const std::int64_t rows = int_attribute(reader, "/", "rows");
    CHECK(rows == static_cast<std::int64_t>(n));
    const auto time = reader.time();
    CHECK(time.size() == static_cast<std::size_t>(rows));
    CHECK(double_attribute(reader, "/", "t_reached") == time.back());
    check_standard_rows(reader, static_cast<std::size_t>(rows));
    REQUIRE(reader.events().size() == 1);
    CHECK(reader.events()[0].message == "fan failure");
}

TEST_CASE("results: a killed writer leaves a file readable up to its last flush") {
    TempDir dir;
    const std::string file = dir.file("killed.h5");
    // 10 rows with chunks of 4: chunk writes at rows 4 and 8, flush() at 10; then 5 more rows
    // (a chunk write at 12, 3 rows only in memory) and SIGKILL.
    const bool killed = run_and_kill([&] {
        ResultsWriter writer(file, {.flush_interval_s = 1e9, .compression = 4, .chunk_rows = 4});
        declare_standard(writer);
        writer.begin();
        append_standard(writer, 0, 10);
        writer.append_event(30.0, "/site", "limit", "grid limit reached");
        writer.flush();
        append_standard(writer, 10, 5);
        kill_now();
    });
    REQUIRE(killed);
    ResultsReader reader(file);
    CHECK(string_attribute(reader, "/", "status") == "running");
    const std::int64_t rows = int_attribute(reader, "/", "rows");
    CHECK(rows == 10);
    CHECK(double_attribute(reader, "/", "t_reached") == standard_time(9));
    check_standard_rows(reader, static_cast<std::size_t>(rows));
    REQUIRE(reader.events().size() == 1);
    CHECK(reader.events()[0].kind == "limit");
    if (have_h5dump()) CHECK(std::system(("h5dump -H '" + file + "' > /dev/null 2>&1").c_str()) == 0);
}

TEST_CASE("results: the wall-clock flush interval bounds what a kill loses") {
    TempDir dir;
    SUBCASE("interval 0: every row is flushed") {
        const std::string file = dir.file("every.h5");
        REQUIRE(run_and_kill([&] {
            ResultsWriter writer(file, {.flush_interval_s = 0.0, .compression = 0, .chunk_rows = 100});
            declare_standard(writer);
            writer.begin();
            append_standard(writer, 0, 3);
            kill_now();
        }));
        ResultsReader reader(file);
        CHECK(int_attribute(reader, "/", "rows") == 3);
        CHECK(double_attribute(reader, "/", "t_reached") == standard_time(2));
        check_standard_rows(reader, 3);
    }
    SUBCASE("long interval: rows still in the buffer are lost, the file is valid") {
        const std::string file = dir.file("never.h5");
        REQUIRE(run_and_kill([&] {
            ResultsWriter writer(file, {.flush_interval_s = 1e9, .compression = 0, .chunk_rows = 100});
            declare_standard(writer);
            writer.begin();
            append_standard(writer, 0, 3);
            kill_now();
        }));
        ResultsReader reader(file);
        CHECK(string_attribute(reader, "/", "status") == "running");
        CHECK(int_attribute(reader, "/", "rows") == 0);
        CHECK(std::isnan(double_attribute(reader, "/", "t_reached")));
        CHECK(reader.time().empty());
    }
}

namespace {

/// series_missing_last_chunk's answer for `file`, opened with plain HDF5.
std::string missing_last_chunk(const std::string& file) {
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    REQUIRE(f >= 0);
    std::string missing = dctwin::series_missing_last_chunk(f);
    H5Fclose(f);
    return missing;
}

void set_rows(const std::string& file, std::int64_t rows) {
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    REQUIRE(f >= 0);
    const hid_t a = H5Aopen(f, "rows", H5P_DEFAULT);
    REQUIRE(a >= 0);
    CHECK(H5Awrite(a, H5T_NATIVE_INT64, &rows) >= 0);
    H5Aclose(a);
    H5Fclose(f);
}

}  // namespace

TEST_CASE("results: a copy whose chunk index lacks a series' last rows is taken again, not read as NaN") {
    TempDir dir;
    const std::string file = dir.file("run.h5");
    const std::size_t n = 10;  // chunks of 4 rows: rows 8-9 in a third, partly filled one
    {
        ResultsWriter writer(file, {.flush_interval_s = 1e9, .chunk_rows = 4});
        declare_standard(writer);
        writer.begin();
        append_standard(writer, 0, n);
    }  // status `running`, rows = n, every chunk written
    CHECK(missing_last_chunk(file).empty());

    // What a copy taken mid-flush can hold: the new flush's lengths and `rows` (two chunks
    // more), the old chunk index, without their chunks.
    {
        const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
        REQUIRE(f >= 0);
        for (const char* series : {"/time", "/site/grid_power", "/devices/junction_temperature", "/site/pue"}) {
            const hid_t d = H5Dopen2(f, series, H5P_DEFAULT);
            REQUIRE(d >= 0);
            const hsize_t dims[2] = {n + 8, 3};  // a 1-D series uses dims[0] only
            CHECK(H5Dset_extent(d, dims) >= 0);
            H5Dclose(d);
        }
        H5Fclose(f);
    }
    set_rows(file, n + 8);
    CHECK(missing_last_chunk(file) == "/devices/junction_temperature");  // the first by name
    {
        // Read in place (no writer: no copy, no check), HDF5 gives the missing rows as NaN.
        const std::vector<double> power = ResultsReader(file).read("/site/grid_power");
        REQUIRE(power.size() == n + 8);
        CHECK(power[n - 1] == doctest::Approx(standard_row(n - 1)[0]));
        CHECK(std::isnan(power.back()));
    }

    // A run writing it, as ResultsWriter locks it: each copy is refused, then the usual message.
    const int fd = ::open(file.c_str(), O_RDWR | O_CLOEXEC);
    REQUIRE(fd >= 0);
    struct flock whole_file {};
    whole_file.l_type = F_WRLCK;
    whole_file.l_whence = SEEK_SET;
    REQUIRE(::fcntl(fd, F_OFD_SETLK, &whole_file) == 0);
    REQUIRE(dctwin::results_being_written(file));
    int reads = 0;
    const auto read = [&] {
        ++reads;
        const std::vector<double> power = ResultsReader(file).read("/site/grid_power");
        for (double v : power) CHECK_FALSE(std::isnan(v));
    };
    const std::string refused = error_of([&] { dctwin::read_retrying(file, read, 0.2); });
    CHECK(contains(refused, "is being written by a running dctwin run"));
    CHECK(contains(refused, "not in this copy's chunk index"));
    CHECK(reads == 0);  // refused before the read

    // A whole copy of the running file passes and reads its rows.
    set_rows(file, n);
    CHECK(missing_last_chunk(file).empty());
    CHECK(error_of([&] { dctwin::read_retrying(file, read, 0.2); }) == "(no ResultsError)");
    CHECK(reads == 1);
    ::close(fd);
}

namespace {

/// Holds the whole-file lock a running ResultsWriter holds, while alive.
struct WriterLock {
    int fd;
    explicit WriterLock(const std::string& file) : fd(::open(file.c_str(), O_RDWR | O_CLOEXEC)) {
        REQUIRE(fd >= 0);
        struct flock whole_file {};
        whole_file.l_type = F_WRLCK;
        whole_file.l_whence = SEEK_SET;
        REQUIRE(::fcntl(fd, F_OFD_SETLK, &whole_file) == 0);
    }
    ~WriterLock() { ::close(fd); }
    WriterLock(const WriterLock&) = delete;
    WriterLock& operator=(const WriterLock&) = delete;
};

/// Sets an environment variable while alive.
struct ScopedEnv {
    std::string name;
    explicit ScopedEnv(const std::string& n, const std::string& value) : name(n) { ::setenv(n.c_str(), value.c_str(), 1); }
    ~ScopedEnv() { ::unsetenv(name.c_str()); }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;
};

std::size_t entries(const fs::path& folder) {
    return std::size_t(std::distance(fs::directory_iterator(folder), fs::directory_iterator()));
}

}  // namespace

TEST_CASE("results: a running file over the memory cap is read from a temporary copy, chunk check included") {
    TempDir dir;
    const std::string file = dir.file("run.h5");
    const std::size_t n = 10;
    {
        ResultsWriter writer(file, {.flush_interval_s = 1e9, .chunk_rows = 4});
        declare_standard(writer);
        writer.begin();
        append_standard(writer, 0, n);
    }
    const fs::path tmp = dir.path / "tmp";
    fs::create_directory(tmp);
    // Every file is "large": copies go to TMPDIR.
    const ScopedEnv cap("DCTWIN_SNAPSHOT_MAX_BYTES", "1"), tmpdir("TMPDIR", tmp.string());
    CHECK(dctwin::snapshot_max_bytes() == 1);
    const WriterLock lock(file);
    REQUIRE(dctwin::results_being_written(file));

    int reads = 0;
    std::size_t copies_seen = 0;
    const auto read = [&] {
        ++reads;
        copies_seen = entries(tmp);  // the copy exists while it is read
        const std::vector<double> power = ResultsReader(file).read("/site/grid_power");
        REQUIRE(power.size() == n);
        for (std::size_t i = 0; i < n; ++i) CHECK(power[i] == doctest::Approx(standard_row(i)[0]));
    };
    CHECK(error_of([&] { dctwin::read_retrying(file, read, 0.2); }) == "(no ResultsError)");
    CHECK(reads == 1);
    CHECK(copies_seen == 1);
    CHECK(entries(tmp) == 0);  // removed with the copy

    // A copy with `rows` ahead of its chunk index is refused as a memory copy is.
    {
        const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
        REQUIRE(f >= 0);
        const hid_t d = H5Dopen2(f, "/site/grid_power", H5P_DEFAULT);
        REQUIRE(d >= 0);
        const hsize_t dims[1] = {n + 8};
        CHECK(H5Dset_extent(d, dims) >= 0);
        H5Dclose(d);
        H5Fclose(f);
    }
    set_rows(file, n + 8);
    const std::string refused = error_of([&] { dctwin::read_retrying(file, read, 0.2); });
    CHECK(contains(refused, "is being written by a running dctwin run"));
    CHECK(contains(refused, "not in this copy's chunk index"));
    CHECK(reads == 1);
    CHECK(entries(tmp) == 0);
    set_rows(file, n);

    // No place for the copy: refused with the reason, not read in place.
    const ScopedEnv nowhere("TMPDIR", (dir.path / "missing").string());
    const std::string no_room = error_of([&] { dctwin::read_retrying(file, read, 0.2); });
    CHECK(contains(no_room, "no temporary file could be made"));
    CHECK(contains(no_room, "missing"));
    CHECK(reads == 1);
}

TEST_CASE("results: a copy that fails as its run ends is read once more, from the finished file") {
    TempDir dir;
    const std::string file = dir.file("run.h5");
    {
        ResultsWriter writer(file, {.flush_interval_s = 1e9, .chunk_rows = 4});
        declare_standard(writer);
        writer.begin();
        append_standard(writer, 0, 10);
    }
    auto lock = std::make_unique<WriterLock>(file);
    int reads = 0;
    // The first read (of a copy) fails and the run ends meanwhile; the second reads the file.
    const auto read = [&] {
        if (++reads == 1) {
            lock.reset();
            throw dctwin::ResultsError("addr overflow (as a copy that met the last flush)");
        }
        CHECK_FALSE(dctwin::results_being_written(file));
        CHECK(ResultsReader(file).read("/site/grid_power").size() == 10);
    };
    CHECK(error_of([&] { dctwin::read_retrying(file, read, 5.0); }) == "(no ResultsError)");
    CHECK(reads == 2);
    // Without a run at the start, a failure passes through at once, as before.
    reads = 0;
    const auto broken = [&] {
        ++reads;
        throw dctwin::ResultsError("broken");
    };
    CHECK(error_of([&] { dctwin::read_retrying(file, broken, 5.0); }) == "broken");
    CHECK(reads == 1);
}

TEST_CASE("results: reader errors name the file and the object") {
    TempDir dir;
    const std::string file = dir.file("run.h5");
    CHECK(contains(error_of([&] { ResultsReader r(file); }), file));
    {
        std::ofstream(dir.file("text.h5")) << "not hdf5";
        CHECK(contains(error_of([&] { ResultsReader r(dir.file("text.h5")); }), "not an HDF5 file"));
    }
    {
        ResultsWriter writer(file, {});
        declare_standard(writer);
        writer.add_text("/metadata/site_yaml", "x", "site");
        writer.begin();
        writer.finish("interrupted", 0.0);
    }
    ResultsReader reader(file);
    CHECK(reader.exists("/site/grid_power"));
    CHECK(reader.exists("/site"));
    CHECK(reader.exists("/"));
    CHECK_FALSE(reader.exists("/site/nothing"));
    CHECK_FALSE(reader.exists("/no/such/group"));
    CHECK(reader.time().empty());
    CHECK(reader.events().empty());
    CHECK(string_attribute(reader, "/", "status") == "interrupted");
    const std::string missing = error_of([&] { reader.read("/site/nothing"); });
    CHECK(contains(missing, "/site/nothing"));
    CHECK(contains(missing, file));
    CHECK(contains(error_of([&] { reader.read_strings("/no/labels"); }), "/no/labels"));
    CHECK(contains(error_of([&] { reader.unit("/no/dataset"); }), "/no/dataset"));
    CHECK(contains(error_of([&] { reader.attribute("/site/grid_power", "nope"); }), "nope"));
    CHECK(contains(error_of([&] { reader.read("/metadata/site_yaml"); }), "not numeric"));
    CHECK(contains(error_of([&] { reader.read_strings("/site/grid_power"); }), "not a string"));
}

TEST_CASE("results: h5dump reads a written file") {
    if (!have_h5dump()) {
        MESSAGE("h5dump is not on PATH: skipped");
        return;
    }
    TempDir dir;
    const std::string file = dir.file("dump.h5");
    {
        ResultsWriter writer(file, {.chunk_rows = 5});
        declare_standard(writer);
        writer.add_static("/geometry/rack_position", {0, 1, 2, 3, 4, 5}, 3, 2, "m", "racks");
        writer.add_text("/metadata/site_yaml", "site: {}\n", "site");
        writer.begin();
        append_standard(writer, 0, 12);
        writer.append_event(60.0, "/site", "limit", "grid limit reached");
        writer.finish("complete", standard_time(11));
    }
    CHECK(std::system(("h5dump -H '" + file + "' > /dev/null 2>&1").c_str()) == 0);
    CHECK(std::system(("h5dump '" + file + "' > /dev/null 2>&1").c_str()) == 0);
}
