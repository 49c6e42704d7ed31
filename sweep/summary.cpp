#include "sweep/summary.hpp"

#include <hdf5.h>
#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "dctwin_version.hpp"
#include "io/hdf5_handle.hpp"

namespace dctwin::sweep {

namespace fs = std::filesystem;
using h5::Handle;

namespace {

constexpr const char* kFormat = "dctwin-sweep-summary";
constexpr std::int64_t kFormatVersion = 1;

// A JSON number (or null) at a path of the run summary; NaN when absent.
double number_at(const nlohmann::json& j, std::initializer_list<const char*> path) {
    const nlohmann::json* p = &j;
    for (const char* k : path) {
        if (!p->is_object() || !p->contains(k)) return std::nan("");
        p = &(*p)[k];
    }
    return p->is_number() ? p->get<double>() : std::nan("");
}

std::string string_at(const nlohmann::json& j, std::initializer_list<const char*> path) {
    const nlohmann::json* p = &j;
    for (const char* k : path) {
        if (!p->is_object() || !p->contains(k)) return {};
        p = &(*p)[k];
    }
    return p->is_string() ? p->get<std::string>() : std::string();
}

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string out = "\"";
    for (const char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

std::string csv_number(double v) { return std::isfinite(v) ? fmt::format("{}", v) : std::string(); }

// A one-line error for a table cell (the excerpt and caret lines stay in the journal).
std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

struct Writer {
    std::string file;
    void ok(herr_t status, const std::string& what) const {
        if (status < 0) throw SweepDirError(fmt::format("summary file '{}': {}: {}", file, what, h5::error_stack()), false);
    }
    Handle handle(hid_t id, Handle::Closer closer, const std::string& what) const {
        if (id < 0) throw SweepDirError(fmt::format("summary file '{}': {}: {}", file, what, h5::error_stack()), false);
        return Handle(id, closer);
    }
    Handle string_type() const {
        Handle t = handle(H5Tcopy(H5T_C_S1), H5Tclose, "string type");
        ok(H5Tset_size(t.get(), H5T_VARIABLE), "string type");
        ok(H5Tset_cset(t.get(), H5T_CSET_UTF8), "string type");
        return t;
    }
    void attribute(hid_t object, const std::string& name, const std::string& value) const {
        Handle type = string_type();
        Handle space = handle(H5Screate(H5S_SCALAR), H5Sclose, name);
        Handle a = handle(H5Acreate2(object, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                          "attribute " + name);
        const char* p = value.c_str();
        ok(H5Awrite(a.get(), type.get(), &p), "attribute " + name);
    }
    void attribute(hid_t object, const std::string& name, std::int64_t value) const {
        Handle space = handle(H5Screate(H5S_SCALAR), H5Sclose, name);
        Handle a = handle(H5Acreate2(object, name.c_str(), H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                          H5Aclose, "attribute " + name);
        ok(H5Awrite(a.get(), H5T_NATIVE_INT64, &value), "attribute " + name);
    }
    Handle dataset(hid_t file_id, const std::string& name, hid_t type, std::size_t n) const {
        const hsize_t dims[1] = {hsize_t(n)};
        Handle space = handle(H5Screate_simple(1, dims, nullptr), H5Sclose, name);
        return handle(H5Dcreate2(file_id, ("/" + name).c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                      H5Dclose, "dataset /" + name);
    }
};

struct Reader {
    std::string file;
    [[noreturn]] void fail(const std::string& what) const {
        const std::string stack = h5::error_stack();
        throw SummaryError(fmt::format("summary file '{}': {}{}", file, what, stack.empty() ? "" : " (HDF5: " + stack + ")"));
    }
    Handle handle(hid_t id, Handle::Closer closer, const std::string& what) const {
        if (id < 0) fail(what);
        return Handle(id, closer);
    }
    std::string string_attribute(hid_t object, const std::string& name) const {
        if (H5Aexists(object, name.c_str()) <= 0) fail(fmt::format("no attribute '{}'", name));
        Handle a = handle(H5Aopen(object, name.c_str(), H5P_DEFAULT), H5Aclose, "attribute " + name);
        Handle type = handle(H5Aget_type(a.get()), H5Tclose, "attribute " + name);
        if (H5Tget_class(type.get()) != H5T_STRING || H5Tis_variable_str(type.get()) <= 0)
            fail(fmt::format("attribute '{}' is not a string", name));
        Handle mem = handle(H5Tcopy(H5T_C_S1), H5Tclose, "string type");
        H5Tset_size(mem.get(), H5T_VARIABLE);
        H5Tset_cset(mem.get(), H5Tget_cset(type.get()));
        char* p = nullptr;
        if (H5Aread(a.get(), mem.get(), &p) < 0) fail("cannot read attribute " + name);
        std::string out = p != nullptr ? p : "";
        H5free_memory(p);
        return out;
    }
};

}  // namespace

std::string parameter_column(const Parameter& p) {
    if (p.unit.empty() || !p.numeric) return p.name;
    std::string u;
    for (const char c : p.unit) {
        if (c == '/') u += "_per_";
        else if (c == '*' || c == ' ') u += "_";
        else if (c == '%') u += "pct";
        else if (c == '^') continue;
        else u += c;
    }
    return p.name + "_" + u;
}

const std::vector<Column>& result_columns() {
    static const std::vector<Column> columns = {
        {"status", "-", "complete, or failed (see error)", true, ""},
        {"error", "-", "why the case failed (first line of the message)", true, ""},
        {"pue", "1", "power usage effectiveness: grid / IT (energy-weighted; steady: at the point)", false, ""},
        {"energy_grid_J", "J", "energy from the grid over the run (0 for a design point)", false, ""},
        {"energy_it_J", "J", "energy to IT loads over the run", false, ""},
        {"energy_cooling_J", "J", "energy of pumps, fans and chillers over the run", false, ""},
        {"energy_losses_J", "J", "conversion losses of the power chain over the run", false, ""},
        {"peak_grid_power_W", "W", "highest grid power at an output time", false, ""},
        {"peak_it_power_W", "W", "highest IT power at an output time", false, ""},
        {"max_junction_temperature_C", "degC", "hottest junction of any device", false, ""},
        {"hottest_device", "-", "path of the device with the hottest junction", true, ""},
        {"throughput_fraction", "1", "work done over work at full clock, every job weighted by its size", false, ""},
        {"throttled_devices_at_end", "1", "devices below full clock at the end", false, ""},
        {"binding_family", "-", "silicon, cooling or power: the family of the constraint closest to its limit", true, ""},
        {"binding_constraint", "-", "path of the constraint closest to its limit", true, ""},
        {"binding_utilisation", "1", "its utilisation (1 at the limit)", false, ""},
        {"results_file", "-", "the case's results file (keep: results)", true, ""},
        // The site KPIs (README "Site KPIs"), after the columns they do not move; empty where the
        // case's summary has null.
        {"wue_L_per_kWh", "L/kWh", "water usage effectiveness (ISO/IEC 30134-9)", false, ""},
        {"erf", "1", "energy reuse factor (ISO/IEC 30134-6)", false, ""},
        {"ref", "1", "renewable energy factor (ISO/IEC 30134-3)", false, ""},
        {"cue_kg_per_kWh", "kg/kWh", "carbon usage effectiveness (ISO/IEC 30134-8)", false, ""},
        {"grid_cost", "-", "grid energy and demand cost, in grid_currency", false, ""},
        {"grid_currency", "-", "currency of grid_cost (power.grid.currency)", true, ""},
    };
    return columns;
}

nlohmann::json result_values(const nlohmann::json& j) {
    nlohmann::json r = nlohmann::json::object();
    auto num = [&](const char* name, double v) { r[name] = std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); };
    num("pue", number_at(j, {"pue"}));
    num("energy_grid_J", number_at(j, {"energy_J", "grid"}));
    num("energy_it_J", number_at(j, {"energy_J", "it"}));
    num("energy_cooling_J", number_at(j, {"energy_J", "cooling"}));
    num("energy_losses_J", number_at(j, {"energy_J", "losses"}));
    num("peak_grid_power_W", number_at(j, {"peak_power_W", "grid"}));
    num("peak_it_power_W", number_at(j, {"peak_power_W", "it"}));
    num("max_junction_temperature_C", number_at(j, {"max_junction_temperature_C"}));
    r["hottest_device"] = string_at(j, {"hottest_device"});
    num("throughput_fraction", number_at(j, {"throughput_fraction"}));
    num("throttled_devices_at_end", number_at(j, {"throttled_devices_at_end"}));
    // The binding constraint, when the model reports it (null family: no constraints).
    r["binding_family"] = string_at(j, {"binding", "family"});
    r["binding_constraint"] = string_at(j, {"binding", "constraint"});
    num("binding_utilisation", number_at(j, {"binding", "utilisation"}));
    r["results_file"] = string_at(j, {"output"});
    num("wue_L_per_kWh", number_at(j, {"kpis", "wue", "value"}));
    num("erf", number_at(j, {"kpis", "erf", "value"}));
    num("ref", number_at(j, {"kpis", "ref", "value"}));
    num("cue_kg_per_kWh", number_at(j, {"kpis", "cue", "value"}));
    num("grid_cost", number_at(j, {"kpis", "grid_cost", "value"}));
    r["grid_currency"] = string_at(j, {"kpis", "grid_cost", "unit"});
    return r;
}

int SummaryTable::find(const std::string& name) const {
    for (std::size_t i = 0; i < columns.size(); ++i)
        if (columns[i].name == name) return int(i);
    // A parameter by its own name: the column that starts with it and has its key path.
    for (std::size_t i = 0; i < columns.size(); ++i)
        if (!columns[i].key.empty() && (columns[i].name == name || columns[i].name.rfind(name + "_", 0) == 0) &&
            attributes.count("parameter:" + columns[i].name) && attributes.at("parameter:" + columns[i].name) == name)
            return int(i);
    return -1;
}

SummaryTable make_table(const Sweep& sweep, const std::map<std::size_t, CaseRecord>& records) {
    SummaryTable t;
    t.rows = sweep.cases.size();
    t.columns.push_back({"case", "1", "case index, from 0 in the order of the design", false, ""});
    for (const auto& p : sweep.parameters) {
        Column c{parameter_column(p), p.numeric ? (p.unit.empty() ? "1" : p.unit) : "-",
                 fmt::format("parameter {}: {}", p.name, p.key), !p.numeric, p.key};
        t.attributes["parameter:" + c.name] = p.name;
        t.columns.push_back(c);
    }
    for (const auto& c : result_columns()) t.columns.push_back(c);
    for (const auto& c : sweep.extra_columns) t.columns.push_back({c.name, c.unit, c.description, c.text, ""});
    t.numbers.resize(t.columns.size());
    t.strings.resize(t.columns.size());
    for (std::size_t k = 0; k < t.columns.size(); ++k) {
        if (t.columns[k].text) t.strings[k].assign(t.rows, std::string());
        else t.numbers[k].assign(t.rows, std::nan(""));
    }
    const std::size_t np = sweep.parameters.size();
    for (std::size_t i = 0; i < t.rows; ++i) {
        t.numbers[0][i] = double(i);
        for (std::size_t k = 0; k < np; ++k) {
            if (t.columns[1 + k].text) t.strings[1 + k][i] = sweep.cases[i].values[k];
            else t.numbers[1 + k][i] = sweep.cases[i].numbers[k];
        }
        const auto it = records.find(i);
        if (it == records.end()) continue;
        const CaseRecord& r = it->second;
        const std::string status = r.value("status", std::string());
        if (status != "complete") ++t.failed;
        const nlohmann::json results = r.contains("results") ? r["results"] : nlohmann::json::object();
        for (std::size_t k = 1 + np; k < t.columns.size(); ++k) {
            const std::string& name = t.columns[k].name;
            if (name == "status") t.strings[k][i] = status;
            else if (name == "error") t.strings[k][i] = first_line(r.value("error", std::string()));
            else if (t.columns[k].text) t.strings[k][i] = results.contains(name) && results[name].is_string() ? results[name].get<std::string>() : "";
            else t.numbers[k][i] = results.contains(name) && results[name].is_number() ? results[name].get<double>() : std::nan("");
        }
    }
    t.attributes["sweep"] = sweep.file;
    t.attributes["name"] = sweep.name;
    t.attributes["base"] = sweep.base_path;
    t.attributes["hash"] = sweep.hash;
    t.attributes["mode"] = sweep.steady ? "steady" : "transient";
    if (sweep.kind != "sweep") t.attributes["kind"] = sweep.kind;
    return t;
}

void write_summary(const SummaryTable& t, const std::string& dir) {
    // CSV: the header, then one line per case; numbers as the shortest text that reads back
    // to the same double; empty for NaN.
    const fs::path csv = fs::path(dir) / "summary.csv", csv_tmp = fs::path(dir) / "summary.csv.tmp";
    {
        std::ofstream out(csv_tmp, std::ios::binary | std::ios::trunc);
        for (std::size_t k = 0; k < t.columns.size(); ++k) out << (k ? "," : "") << csv_field(t.columns[k].name);
        out << "\n";
        for (std::size_t i = 0; i < t.rows; ++i) {
            for (std::size_t k = 0; k < t.columns.size(); ++k)
                out << (k ? "," : "") << (t.columns[k].text ? csv_field(t.strings[k][i]) : csv_number(t.numbers[k][i]));
            out << "\n";
        }
        out.flush();
        if (!out) throw SweepDirError(fmt::format("cannot write '{}'", csv_tmp.string()), false);
    }

    // HDF5: one 1-D dataset per column, named as in the CSV, with `units` and `description`.
    const fs::path h5 = fs::path(dir) / "summary.h5", h5_tmp = fs::path(dir) / "summary.h5.tmp";
    {
        h5::QuietErrors quiet;
        const Writer w{h5_tmp.string()};
        Handle file = w.handle(H5Fcreate(h5_tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose,
                               "cannot create the file");
        Handle root = w.handle(H5Oopen(file.get(), "/", H5P_DEFAULT), H5Oclose, "root group");
        w.attribute(root.get(), "format", std::string(kFormat));
        w.attribute(root.get(), "format_version", kFormatVersion);
        w.attribute(root.get(), "dctwin_version", std::string(DCTWIN_VERSION));
        w.attribute(root.get(), "cases", std::int64_t(t.rows));
        w.attribute(root.get(), "failed", std::int64_t(t.failed));
        for (const auto& [k, v] : t.attributes)
            if (k.rfind("parameter:", 0) != 0) w.attribute(root.get(), k, v);
        Handle stype = w.string_type();
        std::vector<const char*> names;
        for (const auto& c : t.columns) names.push_back(c.name.c_str());
        {
            Handle d = w.dataset(file.get(), "columns", stype.get(), names.size());
            w.ok(H5Dwrite(d.get(), stype.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, names.data()), "/columns");
            w.attribute(d.get(), "units", std::string("-"));
            w.attribute(d.get(), "description", std::string("the columns in order (the datasets named so)"));
        }
        for (std::size_t k = 0; k < t.columns.size(); ++k) {
            const Column& c = t.columns[k];
            const std::string where = "/" + c.name;
            if (c.text) {
                std::vector<const char*> p;
                for (const auto& s : t.strings[k]) p.push_back(s.c_str());
                Handle d = w.dataset(file.get(), c.name, stype.get(), t.rows);
                if (t.rows) w.ok(H5Dwrite(d.get(), stype.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, p.data()), where);
                w.attribute(d.get(), "units", c.unit);
                w.attribute(d.get(), "description", c.description);
                if (!c.key.empty()) w.attribute(d.get(), "key_path", c.key);
                if (!c.key.empty()) w.attribute(d.get(), "parameter", t.attributes.at("parameter:" + c.name));
            } else {
                Handle d = w.dataset(file.get(), c.name, H5T_IEEE_F64LE, t.rows);
                if (t.rows)
                    w.ok(H5Dwrite(d.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.numbers[k].data()), where);
                w.attribute(d.get(), "units", c.unit);
                w.attribute(d.get(), "description", c.description);
                if (!c.key.empty()) w.attribute(d.get(), "key_path", c.key);
                if (!c.key.empty()) w.attribute(d.get(), "parameter", t.attributes.at("parameter:" + c.name));
            }
        }
        root.reset();
        w.ok(file.close(), "cannot close the file");
    }
    std::error_code ec;
    fs::rename(csv_tmp, csv, ec);
    if (!ec) fs::rename(h5_tmp, h5, ec);
    if (ec) throw SweepDirError(fmt::format("cannot rename the summary into '{}': {}", dir, ec.message()), false);
}

SummaryTable read_summary(const std::string& path) {
    h5::QuietErrors quiet;
    const Reader r{path};
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) throw SummaryError(fmt::format("summary file '{}': {}", path, std::strerror(errno)));
    // HDF5 would wait forever for a FIFO's writer.
    if (!S_ISREG(info.st_mode) && !S_ISDIR(info.st_mode))
        throw SummaryError(fmt::format("summary file '{}': not a regular file", path));
    if (H5Fis_hdf5(path.c_str()) <= 0) {
        h5::error_stack();
        throw SummaryError(fmt::format("summary file '{}': not an HDF5 file", path));
    }
    Handle file = r.handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "cannot open the file");
    Handle root = r.handle(H5Oopen(file.get(), "/", H5P_DEFAULT), H5Oclose, "cannot open the root group");
    if (H5Aexists(root.get(), "format") <= 0 || r.string_attribute(root.get(), "format") != kFormat)
        throw SummaryError(fmt::format("'{}' is not a sweep summary (no format attribute \"{}\"; the summary of a sweep "
                                       "is DIR/summary.h5)",
                                       path, kFormat));
    SummaryTable t;
    for (const char* a : {"sweep", "name", "base", "hash", "mode", "kind"})
        if (H5Aexists(root.get(), a) > 0) t.attributes[a] = r.string_attribute(root.get(), a);
    auto read_strings = [&](hid_t d, std::size_t n) {
        Handle mem = r.handle(H5Tcopy(H5T_C_S1), H5Tclose, "string type");
        H5Tset_size(mem.get(), H5T_VARIABLE);
        H5Tset_cset(mem.get(), H5T_CSET_UTF8);
        std::vector<char*> p(n, nullptr);
        if (n && H5Dread(d, mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, p.data()) < 0) r.fail("cannot read strings");
        std::vector<std::string> out;
        for (char* s : p) {
            out.emplace_back(s != nullptr ? s : "");
            H5free_memory(s);
        }
        return out;
    };
    auto extent = [&](hid_t d) {
        Handle space = r.handle(H5Dget_space(d), H5Sclose, "dataspace");
        if (H5Sget_simple_extent_ndims(space.get()) != 1) r.fail("a column is not 1-D");
        hsize_t n = 0;
        H5Sget_simple_extent_dims(space.get(), &n, nullptr);
        return std::size_t(n);
    };
    if (H5Lexists(file.get(), "/columns", H5P_DEFAULT) <= 0) r.fail("no /columns");
    Handle cols = r.handle(H5Dopen2(file.get(), "/columns", H5P_DEFAULT), H5Dclose, "/columns");
    const auto names = read_strings(cols.get(), extent(cols.get()));
    for (const auto& name : names) {
        const std::string where = "/" + name;
        if (H5Lexists(file.get(), where.c_str(), H5P_DEFAULT) <= 0) r.fail(fmt::format("no dataset {}", where));
        Handle d = r.handle(H5Dopen2(file.get(), where.c_str(), H5P_DEFAULT), H5Dclose, where);
        Handle type = r.handle(H5Dget_type(d.get()), H5Tclose, where);
        const std::size_t n = extent(d.get());
        if (t.columns.empty()) t.rows = n;
        else if (n != t.rows) r.fail(fmt::format("{} has {} rows, the first column {}", where, n, t.rows));
        Column c;
        c.name = name;
        c.text = H5Tget_class(type.get()) == H5T_STRING;
        c.unit = H5Aexists(d.get(), "units") > 0 ? r.string_attribute(d.get(), "units") : "";
        c.description = H5Aexists(d.get(), "description") > 0 ? r.string_attribute(d.get(), "description") : "";
        if (H5Aexists(d.get(), "key_path") > 0) {
            c.key = r.string_attribute(d.get(), "key_path");
            t.attributes["parameter:" + name] =
                H5Aexists(d.get(), "parameter") > 0 ? r.string_attribute(d.get(), "parameter") : name;
        }
        t.columns.push_back(c);
        if (c.text) {
            t.strings.push_back(read_strings(d.get(), n));
            t.numbers.emplace_back();
        } else {
            std::vector<double> v(n);
            if (n && H5Dread(d.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()) < 0)
                r.fail(fmt::format("cannot read {}", where));
            t.numbers.push_back(std::move(v));
            t.strings.emplace_back();
        }
    }
    const int status = t.find("status");
    if (status >= 0 && t.columns[std::size_t(status)].text)
        for (const auto& s : t.strings[std::size_t(status)]) t.failed += s != "complete";
    return t;
}

}  // namespace dctwin::sweep
