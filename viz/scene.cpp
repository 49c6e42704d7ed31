// The layout of a results file for views (viz/scene.hpp): datasets, box groups, time steps.

#include "viz/scene.hpp"

#include "input/units.hpp"
#include "io/hdf5_handle.hpp"
#include "io/results.hpp"

#include <fmt/format.h>
#include <hdf5.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace dctwin::viz {

namespace {

using h5::Handle;
using h5::QuietErrors;

[[noreturn]] void fail(const std::string& file, const std::string& object, const std::string& what) {
    std::string message = fmt::format("results file '{}': {}: {}", file, object, what);
    const std::string stack = h5::error_stack();
    if (!stack.empty()) message += fmt::format(" (HDF5: {})", stack);
    throw ResultsError(message);
}

Handle open_file(const std::string& path) {
    const hid_t id = open_results_file(path);
    if (id < 0) fail(path, "/", "cannot open the file");
    return {id, H5Fclose};
}

struct Walk {
    const ResultsReader* reader;  // for the attributes
    std::string prefix;
    std::vector<DatasetInfo>* out;
};

herr_t visit(hid_t group, const char* name, const H5L_info_t*, void* data) {
    const auto& walk = *static_cast<Walk*>(data);
    Handle object(H5Oopen(group, name, H5P_DEFAULT), H5Oclose);
    if (!object.valid()) return 0;  // a dangling link: not ours to judge here
    const std::string path = walk.prefix + name;
    const H5I_type_t kind = H5Iget_type(object.get());
    if (kind == H5I_GROUP) {
        Walk inner{walk.reader, path + "/", walk.out};
        hsize_t index = 0;
        H5Literate(object.get(), H5_INDEX_NAME, H5_ITER_INC, &index, visit, &inner);
        return 0;
    }
    if (kind != H5I_DATASET) return 0;
    DatasetInfo d;
    d.path = path;
    Handle type(H5Dget_type(object.get()), H5Tclose);
    Handle space(H5Dget_space(object.get()), H5Sclose);
    if (type.valid()) {
        const H5T_class_t c = H5Tget_class(type.get());
        d.numeric = c == H5T_FLOAT || c == H5T_INTEGER;
    }
    if (space.valid()) {
        const int rank = H5Sget_simple_extent_ndims(space.get());
        if (rank > 0 && rank <= 8) {
            hsize_t dims[8], max_dims[8];
            H5Sget_simple_extent_dims(space.get(), dims, max_dims);
            for (int i = 0; i < rank; ++i) d.dims.push_back(static_cast<std::size_t>(dims[i]));
            d.extendible = max_dims[0] == H5S_UNLIMITED;
        }
    }
    auto attribute = [&](const char* name) {
        return H5Aexists(object.get(), name) > 0 ? text_attribute(*walk.reader, path, name) : std::string();
    };
    d.unit = attribute("units");
    d.description = attribute("description");
    d.columns = attribute("columns");
    walk.out->push_back(std::move(d));
    return 0;
}

// `reader` has checked that `results` is a results file.
std::vector<DatasetInfo> list_datasets(const ResultsReader& reader, const std::string& results) {
    QuietErrors quiet;
    Handle file = open_file(results);
    std::vector<DatasetInfo> out;
    Walk walk{&reader, "/", &out};
    hsize_t index = 0;
    if (H5Literate(file.get(), H5_INDEX_NAME, H5_ITER_INC, &index, visit, &walk) < 0)
        fail(results, "/", "cannot list the datasets");
    return out;
}

std::string parent_of(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? std::string{} : path.substr(0, slash);
}

// Devices as slabs stacked bottom-up inside their rack, in the order of /devices/paths:
// a picture of where the hot ones sit, not of the real slot layout.
bool derive_devices(const BoxGroup& racks, BoxGroup& devices) {
    std::map<std::string, std::size_t> rack_of;
    for (std::size_t i = 0; i < racks.paths.size(); ++i) rack_of[racks.paths[i]] = i;
    std::vector<std::size_t> parent(devices.paths.size());
    std::vector<std::size_t> count(racks.paths.size(), 0), slot(devices.paths.size());
    for (std::size_t k = 0; k < devices.paths.size(); ++k) {
        auto it = rack_of.find(parent_of(devices.paths[k]));
        if (it == rack_of.end()) return false;
        parent[k] = it->second;
        slot[k] = count[it->second]++;
    }
    for (std::size_t k = 0; k < devices.paths.size(); ++k) {
        const Box& r = racks.boxes[parent[k]];
        const double pitch = r.height / double(count[parent[k]]);
        devices.boxes.push_back({r.x + 0.08 * r.width, r.y + 0.08 * r.depth, r.z + (double(slot[k]) + 0.1) * pitch,
                                 0.84 * r.width, 0.84 * r.depth, 0.8 * pitch});
    }
    return true;
}

// A hall as a floor slab under its racks.
bool derive_halls(const BoxGroup& racks, BoxGroup& halls) {
    for (const auto& hall : halls.paths) {
        std::vector<Box> under;
        for (std::size_t i = 0; i < racks.paths.size(); ++i)
            if (racks.paths[i].rfind(hall + "/", 0) == 0) under.push_back(racks.boxes[i]);
        if (under.empty()) return false;
        halls.boxes.push_back(floor_under(under));
    }
    return true;
}

}  // namespace

Box floor_under(const std::vector<Box>& boxes) {
    constexpr double kMargin = 1.0, kThickness = 0.1;  // [m]
    double lo[3] = {1e300, 1e300, 1e300}, hi[2] = {-1e300, -1e300};
    for (const Box& b : boxes) {
        lo[0] = std::min(lo[0], b.x), lo[1] = std::min(lo[1], b.y), lo[2] = std::min(lo[2], b.z);
        hi[0] = std::max(hi[0], b.x + b.width), hi[1] = std::max(hi[1], b.y + b.depth);
    }
    return {lo[0] - kMargin, lo[1] - kMargin, lo[2] - kThickness, hi[0] - lo[0] + 2 * kMargin,
            hi[1] - lo[1] + 2 * kMargin, kThickness};
}

std::string text_attribute(const ResultsReader& reader, const std::string& object, const std::string& name) {
    try {
        const AttributeValue v = reader.attribute(object, name);
        if (const auto* t = std::get_if<std::string>(&v)) return *t;
    } catch (const ResultsError&) {
    }
    return {};
}

std::vector<double> output_times(const ResultsReader& reader) {
    std::vector<double> time = reader.time();  // a running file's: up to `rows`
    try {
        const AttributeValue count = reader.attribute("/", "rows");
        if (const auto* n = std::get_if<std::int64_t>(&count))
            time.resize(std::min(time.size(), static_cast<std::size_t>(std::max<std::int64_t>(*n, 0))));
    } catch (const ResultsError&) {
    }
    return time;
}

std::vector<DatasetInfo> catalogue(const std::string& results) {
    const ResultsReader reader(results);  // missing file, not HDF5, not a results file: named errors
    return list_datasets(reader, results);
}

Scene load_scene(const std::string& results) {
    const ResultsReader reader(results);
    Scene s;
    s.file = results;
    s.status = text_attribute(reader, "/", "status");
    s.site = text_attribute(reader, "/", "site");
    s.calendar = calendar_start(reader);
    const std::vector<double> time = output_times(reader);
    std::size_t rows = time.size();

    const std::vector<DatasetInfo> all = list_datasets(reader, results);
    std::map<std::string, const DatasetInfo*> by_path;
    std::set<std::string> top;
    for (const auto& d : all) {
        by_path[d.path] = &d;
        const auto second = d.path.find('/', 1);
        if (second != std::string::npos) top.insert(d.path.substr(1, second - 1));
    }
    auto find = [&](const std::string& p) -> const DatasetInfo* {
        auto it = by_path.find(p);
        return it == by_path.end() ? nullptr : it->second;
    };
    auto labels = [&](const std::string& group) -> std::vector<std::string> {
        const DatasetInfo* p = find("/" + group + "/paths");
        if (p == nullptr || p->numeric || p->dims.size() != 1) return {};
        return reader.read_strings(p->path);
    };
    // Every 2-D series under /<group> with one column per box is a field of the group.
    auto add_fields = [&](BoxGroup& g) {
        const std::string prefix = "/" + g.name + "/";
        for (const auto& d : all) {
            if (d.path.rfind(prefix, 0) != 0 || d.path.find('/', prefix.size()) != std::string::npos) continue;
            if (!d.numeric || d.dims.size() != 2 || d.dims[1] != g.boxes.size() || !d.extendible) continue;
            if (!d.columns.empty() && d.columns != prefix + "paths") continue;
            g.fields.push_back({d.path.substr(prefix.size()), d.path, d.unit, d.description, d.dims[0]});
            rows = std::min(rows, d.dims[0]);
        }
    };

    // Groups with their own geometry: racks first.
    std::vector<std::string> names(top.begin(), top.end());
    std::stable_partition(names.begin(), names.end(), [](const std::string& n) { return n == "racks"; });
    for (const auto& name : names) {
        const DatasetInfo* geo = find("/" + name + "/geometry");
        if (geo == nullptr || !geo->numeric || geo->dims.size() != 2 || geo->dims[1] != 6) continue;
        BoxGroup g;
        g.name = name;
        g.paths = labels(name);
        if (g.paths.size() != geo->dims[0]) continue;
        const std::vector<double> v = reader.read(geo->path);
        for (std::size_t i = 0; i < g.paths.size(); ++i) {
            const double* b = &v[6 * i];
            if (!std::all_of(b, b + 6, [](double x) { return std::isfinite(x); })) continue;
            g.boxes.push_back({b[0], b[1], b[2], b[3], b[4], b[5]});
        }
        if (g.boxes.size() != g.paths.size())
            throw ResultsError(fmt::format("results file '{}': {}: a box is not finite", results, geo->path));
        add_fields(g);
        s.groups.push_back(std::move(g));
    }
    auto has = [&](const char* name) {
        return std::any_of(s.groups.begin(), s.groups.end(), [&](const BoxGroup& g) { return g.name == name; });
    };
    if (has("racks")) {
        s.groups.reserve(s.groups.size() + 2);  // `racks` stays valid
        const BoxGroup& racks = s.groups.front();
        for (const char* name : {"devices", "halls"}) {
            if (has(name)) continue;
            BoxGroup g;
            g.name = name;
            g.derived = true;
            g.paths = labels(name);
            if (g.paths.empty()) continue;
            const bool ok = g.name == "devices" ? derive_devices(racks, g) : derive_halls(racks, g);
            if (!ok) continue;
            add_fields(g);
            if (!g.fields.empty()) s.groups.push_back(std::move(g));
        }
    }

    s.rows = rows;
    for (std::size_t i = 0; i < rows; ++i) {
        const double t = time[i];
        if (!std::isfinite(t)) break;
        if (s.times.empty() || t > s.times.back()) {
            s.times.push_back(t);
            s.steps.push_back(i);
        } else if (t == s.times.back()) {
            s.steps.back() = i;  // after the discontinuity
        }
    }
    if (s.times.empty())
        throw ViewError(fmt::format("results file '{}' has no output rows (status {}): nothing to show", results,
                                    s.status.empty() ? "unknown" : s.status));
    if (s.groups.empty())
        throw ViewError(fmt::format("results file '{}' has no geometry (no /racks/geometry): nothing to draw", results));
    return s;
}

std::vector<std::string> Scene::field_names() const {
    std::vector<std::string> out;
    for (const auto& g : groups)
        for (const auto& f : g.fields) out.push_back(g.name + "/" + f.name);
    return out;
}

std::pair<const BoxGroup*, const CellField*> Scene::field(const std::string& name) const {
    std::string group, field = name;
    if (!field.empty() && field.front() == '/') field.erase(0, 1);
    if (const auto slash = field.find('/'); slash != std::string::npos) {
        group = field.substr(0, slash);
        field = field.substr(slash + 1);
    }
    for (const auto& g : groups) {
        if (!group.empty() && g.name != group) continue;
        for (const auto& f : g.fields)
            if (f.name == field) return {&g, &f};
    }
    std::string known;
    for (const auto& n : field_names()) known += (known.empty() ? "" : ", ") + n;
    throw ViewError(fmt::format("results file '{}': unknown field '{}'; the fields are: {}", file, name, known));
}

std::size_t Scene::step_at(double t) const {
    const double tol = 1e-9 * std::max(1.0, std::abs(times.back()));
    if (!std::isfinite(t) || t < times.front() - tol || t > times.back() + tol)
        throw ViewError(fmt::format("results file '{}': time {} s is outside the run ({} s to {} s{})", file, t,
                                    times.front(), times.back(),
                                    status == "complete" ? "" : fmt::format(", status {}", status)));
    const auto it = std::lower_bound(times.begin(), times.end(), t);
    if (it == times.end()) return times.size() - 1;
    const auto i = static_cast<std::size_t>(it - times.begin());
    return (i > 0 && t - times[i - 1] < times[i] - t) ? i - 1 : i;
}

namespace {

// A 1-D or 2-D numeric dataset open for partial reads.
struct Series2D {
    std::string file, path;
    Handle h5, dataset;
    int rank = 0;
    hsize_t dims[2] = {0, 1};

    Series2D(const std::string& results, const std::string& object) : file(results), path(object) {
        h5 = open_file(results);
        if (H5Lexists(h5.get(), object.c_str(), H5P_DEFAULT) <= 0) fail(results, object, "no such dataset");
        dataset = Handle(H5Dopen2(h5.get(), object.c_str(), H5P_DEFAULT), H5Dclose);
        if (!dataset.valid()) fail(results, object, "cannot open the dataset");
        Handle space(H5Dget_space(dataset.get()), H5Sclose);
        rank = space.valid() ? H5Sget_simple_extent_ndims(space.get()) : -1;
        if (rank != 1 && rank != 2) fail(results, object, "is not a 1-D or 2-D series");
        H5Sget_simple_extent_dims(space.get(), dims, nullptr);
    }
    // The block [row0, row0 + rows) x [col0, col0 + cols), row-major.
    std::vector<double> block(hsize_t row0, hsize_t rows, hsize_t col0, hsize_t cols) const {
        if (row0 + rows > dims[0] || col0 + cols > dims[1])
            fail(file, path, fmt::format("has no rows {}..{} or columns {}..{}", row0, row0 + rows, col0, col0 + cols));
        Handle space(H5Dget_space(dataset.get()), H5Sclose);
        const hsize_t start[2] = {row0, col0}, count[2] = {rows, cols};
        if (H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr) < 0)
            fail(file, path, "cannot select the values");
        Handle memory(H5Screate_simple(rank, count, nullptr), H5Sclose);
        std::vector<double> out(static_cast<std::size_t>(rows * cols));
        if (!out.empty() &&
            H5Dread(dataset.get(), H5T_NATIVE_DOUBLE, memory.get(), space.get(), H5P_DEFAULT, out.data()) < 0)
            fail(file, path, "cannot read the values");
        return out;
    }
};

}  // namespace

std::vector<double> read_row(const std::string& results, const std::string& dataset, std::size_t row) {
    QuietErrors quiet;
    const Series2D s(results, dataset);
    if (row >= s.dims[0]) fail(results, dataset, fmt::format("has no row {}", row));
    return s.block(row, 1, 0, s.dims[1]);
}

std::vector<double> read_rows(const std::string& results, const std::string& dataset, std::size_t first,
                              std::size_t count, std::size_t* width) {
    QuietErrors quiet;
    const Series2D s(results, dataset);
    if (width) *width = static_cast<std::size_t>(s.dims[1]);
    if (first >= s.dims[0]) return {};
    return s.block(first, std::min<hsize_t>(count, s.dims[0] - first), 0, s.dims[1]);
}

std::vector<double> column_peaks(const std::string& results, const std::string& dataset, std::size_t rows) {
    QuietErrors quiet;
    const Series2D s(results, dataset);
    const hsize_t width = s.dims[1], n = std::min<hsize_t>(rows, s.dims[0]);
    const hsize_t step = std::max<hsize_t>(1, (hsize_t{4} << 20) / std::max<hsize_t>(width, 1));  // ~32 MB
    std::vector<double> peak(static_cast<std::size_t>(width), std::nan(""));
    for (hsize_t r = 0; r < n; r += step) {
        const hsize_t count = std::min(step, n - r);
        const std::vector<double> v = s.block(r, count, 0, width);
        for (std::size_t i = 0; i < v.size(); ++i) {
            double& p = peak[i % width];
            if (std::isfinite(v[i]) && !(p >= v[i])) p = v[i];
        }
    }
    return peak;
}

std::vector<double> read_column(const std::string& results, const std::string& dataset, std::size_t column,
                                std::size_t rows) {
    QuietErrors quiet;
    const Series2D s(results, dataset);
    if (column >= s.dims[1]) fail(results, dataset, fmt::format("has no column {}", column));
    return s.block(0, std::min<hsize_t>(rows, s.dims[0]), column, 1);
}

std::string markup_escape(const std::string& text) {
    std::string out;
    for (const char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}

void least_span(const std::string& unit, double& lo, double& hi) {
    const bool temperature = unit == "°C" || unit == "degC" || unit == "K";
    const double least =
        temperature ? 1.0 : std::max(0.01 * std::max(std::abs(lo), std::abs(hi)), 0.05);
    if (hi - lo < least) {
        const double mid = 0.5 * (lo + hi);
        lo = mid - 0.5 * least, hi = mid + 0.5 * least;
    }
}

std::string display_unit(const std::string& unit) {
    if (unit == "degC") return "\u00b0C";
    if (unit == "1" || unit == "-") return {};
    return unit;
}

std::string display_name(const std::string& name) {
    std::string out = name;
    std::replace(out.begin(), out.end(), '_', ' ');
    return out;
}

std::optional<double> calendar_start(const ResultsReader& reader) {
    if (!reader.exists("/metadata/site_yaml")) return std::nullopt;
    try {
        const YAML::Node site = YAML::Load(reader.read_text("/metadata/site_yaml"));
        const YAML::Node ambient = site["ambient"];
        if (!ambient || !ambient["kind"] || ambient["kind"].as<std::string>() != "epw") return std::nullopt;
        if (!ambient["start"]) return 0.0;
        return parse_quantity(ambient["start"].as<std::string>(), dims::time);
    } catch (const std::exception&) {
        return std::nullopt;  // a site text this version cannot read has no calendar for it
    }
}

std::string date_time_text(double since_jan1) {
    static constexpr int kMonthDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const long long seconds = std::llround(since_jan1);
    const long long day_seconds = 86400;
    long long day = (seconds / day_seconds) % 365;
    const long long in_day = seconds % day_seconds;
    int month = 0;
    while (day >= kMonthDays[month]) day -= kMonthDays[month++];
    return fmt::format(" {:02}/{:02}  {:02}:{:02}:{:02}", month + 1, day + 1, in_day / 3600, in_day / 60 % 60,
                       in_day % 60);
}

std::string clock_text(double t_s) {
    if (!std::isfinite(t_s)) return fmt::format("{} s", t_s);
    const double whole = std::round(t_s);
    if (std::abs(t_s - whole) > 1e-6 || std::abs(t_s) < 60) return fmt::format("{:.6g} s", t_s);
    const bool negative = whole < 0;
    auto s = static_cast<long long>(std::abs(whole));
    const long long d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60;
    s %= 60;
    std::string out;
    if (d > 0)
        out = fmt::format("{} d {:02}:{:02}:{:02} h", d, h, m, s);
    else if (h > 0)
        out = fmt::format("{}:{:02}:{:02} h", h, m, s);
    else
        out = fmt::format("{} min {:02} s", m, s);
    return negative ? "-" + out : out;
}

}  // namespace dctwin::viz
