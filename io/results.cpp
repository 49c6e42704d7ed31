// The results file writer and reader: plain HDF5 C API (serial). Layout: viz/README.md.

#include "io/results.hpp"

#include "io/hdf5_handle.hpp"

#include <fmt/format.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace dctwin {

namespace {

using h5::Handle;

// Debian's HDF5 is a serial build, not thread-safe: every writer and reader method that calls
// into HDF5 holds this lock, so that runs on several threads (a sweep) may each write their
// own file. Recursive: public methods call each other.
std::recursive_mutex& hdf5_mutex() {
    static std::recursive_mutex m;
    return m;
}
using h5::QuietErrors;

constexpr const char* kFormat = "dctwin-results";
constexpr std::int64_t kFormatVersion = 1;
constexpr std::size_t kMaxColumnChunk = 1024;  // columns per chunk of a 2-D series
constexpr std::size_t kMaxChunkRows = 65536;
constexpr std::size_t kEventChunk = 256;  // rows per chunk of the /events datasets, and buffer size

const char* const kRootReserved[] = {"format", "format_version", "status", "t_reached", "rows"};

// ---- errors -------------------------------------------------------------------------------

[[noreturn]] void fail(const std::string& file, const std::string& object, const std::string& what) {
    std::string message = fmt::format("results file '{}': {}: {}", file, object, what);
    const std::string stack = h5::error_stack();
    // A failed read or write: the system's reason (No space left on device), not HDF5's
    // description of its buffers and descriptors.
    const std::string marker = "error message = '";
    if (const auto at = stack.find(marker); at != std::string::npos) {
        const auto from = at + marker.size(), to = stack.find('\'', from);
        if (to != std::string::npos) throw ResultsError(message + ": " + stack.substr(from, to - from));
    }
    if (!stack.empty()) message += fmt::format(" (HDF5: {})", stack);
    throw ResultsError(message);
}

[[noreturn]] void fail_plain(const std::string& file, const std::string& object, const std::string& what) {
    throw ResultsError(fmt::format("results file '{}': {}: {}", file, object, what));
}

/// Checks HDF5 return values for one file; every failure names the file and the object.
struct Checker {
    const std::string& file;

    hid_t id(hid_t value, const std::string& object, const char* what) const {
        if (value < 0) fail(file, object, what);
        return value;
    }
    void ok(herr_t value, const std::string& object, const char* what) const {
        if (value < 0) fail(file, object, what);
    }
    Handle handle(hid_t value, Handle::Closer closer, const std::string& object, const char* what) const {
        return Handle(id(value, object, what), closer);
    }
};

// ---- paths --------------------------------------------------------------------------------

/// An absolute HDF5 path like "/site/grid_power": no empty, "." or ".." components.
bool valid_path(const std::string& path) {
    if (path.size() < 2 || path.front() != '/' || path.back() == '/') return false;
    std::size_t start = 1;
    while (start <= path.size()) {
        std::size_t end = path.find('/', start);
        if (end == std::string::npos) end = path.size();
        const std::string part = path.substr(start, end - start);
        if (part.empty() || part == "." || part == "..") return false;
        start = end + 1;
    }
    return true;
}

bool is_under(const std::string& path, const std::string& group) {
    return path.size() > group.size() && path.compare(0, group.size(), group) == 0 &&
           path[group.size()] == '/';
}

/// Whether every link on the path exists (H5Lexists needs the intermediate ones to exist).
bool link_exists(hid_t file, const std::string& path) {
    if (path == "/") return true;
    if (!valid_path(path)) return false;
    std::size_t pos = 1;
    while (true) {
        const std::size_t end = path.find('/', pos);
        const std::string prefix = path.substr(0, end);
        if (H5Lexists(file, prefix.c_str(), H5P_DEFAULT) <= 0) {
            H5Eclear2(H5E_DEFAULT);
            return false;
        }
        if (end == std::string::npos) return true;
        pos = end + 1;
    }
}

// ---- types and attributes -----------------------------------------------------------------

Handle vlen_string_type(const Checker& check, const std::string& object, H5T_cset_t cset = H5T_CSET_UTF8) {
    Handle type = check.handle(H5Tcopy(H5T_C_S1), H5Tclose, object, "cannot copy the string type");
    check.ok(H5Tset_size(type.get(), H5T_VARIABLE), object, "cannot make a variable-length string type");
    check.ok(H5Tset_cset(type.get(), cset), object, "cannot set the string character set");
    return type;
}

void reclaim_vlen(hid_t type, hid_t space, void* buffer) {
#if H5_VERSION_GE(1, 12, 0)
    H5Treclaim(type, space, H5P_DEFAULT, buffer);
#else
    H5Dvlen_reclaim(type, space, H5P_DEFAULT, buffer);
#endif
}

/// Writes (or replaces) a scalar attribute; an existing one of the same kind is overwritten in
/// place, so that the per-flush updates of `rows` and `t_reached` do not grow the header.
void write_attribute(const Checker& check, hid_t object, const std::string& object_path,
                     const std::string& name, const AttributeValue& value) {
    const std::string where = fmt::format("attribute '{}' of '{}'", name, object_path);
    H5T_class_t wanted = H5T_STRING;
    if (std::holds_alternative<double>(value)) wanted = H5T_FLOAT;
    if (std::holds_alternative<std::int64_t>(value)) wanted = H5T_INTEGER;

    Handle attribute;
    const htri_t exists = H5Aexists(object, name.c_str());
    check.ok(exists, where, "cannot check whether the attribute exists");
    if (exists > 0) {
        attribute = check.handle(H5Aopen(object, name.c_str(), H5P_DEFAULT), H5Aclose, where,
                                 "cannot open the attribute");
        Handle type = check.handle(H5Aget_type(attribute.get()), H5Tclose, where, "cannot get the type");
        Handle space = check.handle(H5Aget_space(attribute.get()), H5Sclose, where, "cannot get the dataspace");
        const bool same = H5Tget_class(type.get()) == wanted &&
                          H5Sget_simple_extent_type(space.get()) == H5S_SCALAR &&
                          (wanted != H5T_STRING || H5Tis_variable_str(type.get()) > 0);
        if (!same) {
            attribute.reset();
            check.ok(H5Adelete(object, name.c_str()), where, "cannot delete the attribute to replace it");
        }
    }
    Handle string_type;
    hid_t file_type = H5T_IEEE_F64LE;
    hid_t memory_type = H5T_NATIVE_DOUBLE;
    if (wanted == H5T_STRING) {
        string_type = vlen_string_type(check, where);
        file_type = memory_type = string_type.get();
    } else if (wanted == H5T_INTEGER) {
        file_type = H5T_STD_I64LE;
        memory_type = H5T_NATIVE_INT64;
    }
    if (!attribute.valid()) {
        Handle space = check.handle(H5Screate(H5S_SCALAR), H5Sclose, where, "cannot create a dataspace");
        attribute = check.handle(H5Acreate2(object, name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                                 H5Aclose, where, "cannot create the attribute");
    }
    if (const auto* text = std::get_if<std::string>(&value)) {
        const char* pointer = text->c_str();
        check.ok(H5Awrite(attribute.get(), memory_type, &pointer), where, "cannot write the attribute");
    } else if (const auto* number = std::get_if<double>(&value)) {
        check.ok(H5Awrite(attribute.get(), memory_type, number), where, "cannot write the attribute");
    } else {
        const auto& integer = std::get<std::int64_t>(value);
        check.ok(H5Awrite(attribute.get(), memory_type, &integer), where, "cannot write the attribute");
    }
}

void write_units(const Checker& check, hid_t dataset, const std::string& path, const std::string& unit,
                 const std::string& description) {
    write_attribute(check, dataset, path, "units", unit);
    write_attribute(check, dataset, path, "description", description);
}

/// Reads a string from a scalar (or one-element) attribute or dataset, fixed or variable length.
std::string read_one_string(const Checker& check, hid_t object, bool is_attribute, const std::string& where) {
    Handle type = check.handle(is_attribute ? H5Aget_type(object) : H5Dget_type(object), H5Tclose, where,
                               "cannot get the type");
    Handle space = check.handle(is_attribute ? H5Aget_space(object) : H5Dget_space(object), H5Sclose, where,
                                "cannot get the dataspace");
    if (H5Tget_class(type.get()) != H5T_STRING) fail_plain(check.file, where, "is not a string");
    const hssize_t count = H5Sget_simple_extent_npoints(space.get());
    if (count != 1) fail_plain(check.file, where, fmt::format("holds {} strings, expected one", count));
    if (H5Tis_variable_str(type.get()) > 0) {
        Handle memory = vlen_string_type(check, where, H5Tget_cset(type.get()));
        char* pointer = nullptr;
        const herr_t status = is_attribute ? H5Aread(object, memory.get(), &pointer)
                                           : H5Dread(object, memory.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &pointer);
        check.ok(status, where, "cannot read the string");
        std::string text = pointer != nullptr ? pointer : "";
        reclaim_vlen(memory.get(), space.get(), &pointer);
        return text;
    }
    const std::size_t size = H5Tget_size(type.get());
    std::string buffer(size, '\0');
    const herr_t status = is_attribute ? H5Aread(object, type.get(), buffer.data())
                                       : H5Dread(object, type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data());
    check.ok(status, where, "cannot read the string");
    buffer.resize(std::strlen(buffer.c_str()));
    if (H5Tget_strpad(type.get()) == H5T_STR_SPACEPAD)
        while (!buffer.empty() && buffer.back() == ' ') buffer.pop_back();
    return buffer;
}

// ---- dataset creation ----------------------------------------------------------------------

/// A link creation property list that creates missing groups on the path.
Handle make_lcpl(const Checker& check) {
    Handle lcpl = check.handle(H5Pcreate(H5P_LINK_CREATE), H5Pclose, "/", "cannot create a property list");
    check.ok(H5Pset_create_intermediate_group(lcpl.get(), 1), "/", "cannot set intermediate group creation");
    check.ok(H5Pset_char_encoding(lcpl.get(), H5T_CSET_UTF8), "/", "cannot set the link name encoding");
    return lcpl;
}

/// An extendible float64 dataset: [0] (width 0) or [0 x width], chunked, optionally compressed.
Handle create_extendible(const Checker& check, hid_t file, hid_t lcpl, const std::string& path, hid_t type,
                         std::size_t width, std::size_t chunk_rows, int compression) {
    const int rank = width == 0 ? 1 : 2;
    const hsize_t dims[2] = {0, static_cast<hsize_t>(width)};
    const hsize_t max_dims[2] = {H5S_UNLIMITED, static_cast<hsize_t>(width)};
    const hsize_t chunk[2] = {static_cast<hsize_t>(chunk_rows),
                              static_cast<hsize_t>(std::max<std::size_t>(1, std::min(width, kMaxColumnChunk)))};
    Handle space = check.handle(H5Screate_simple(rank, dims, max_dims), H5Sclose, path, "cannot create a dataspace");
    Handle dcpl = check.handle(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, path, "cannot create a property list");
    check.ok(H5Pset_chunk(dcpl.get(), rank, chunk), path, "cannot set the chunk size");
    if (H5Tget_class(type) == H5T_FLOAT) {
        const double nan = std::numeric_limits<double>::quiet_NaN();
        check.ok(H5Pset_fill_value(dcpl.get(), H5T_NATIVE_DOUBLE, &nan), path, "cannot set the fill value");
        if (compression > 0) {
            check.ok(H5Pset_shuffle(dcpl.get()), path, "cannot set the shuffle filter");
            check.ok(H5Pset_deflate(dcpl.get(), static_cast<unsigned>(compression)), path,
                     "cannot set the deflate filter");
        }
    }
    return check.handle(H5Dcreate2(file, path.c_str(), type, space.get(), lcpl, dcpl.get(), H5P_DEFAULT),
                        H5Dclose, path, "cannot create the dataset");
}

/// Extends a 1-D or 2-D extendible dataset by `rows` rows at `first` and writes them from
/// `memory_space` (with its selection) in `memory_type`.
void append_rows(const Checker& check, hid_t dataset, const std::string& path, hsize_t first, hsize_t rows,
                 hsize_t width, hid_t memory_type, hid_t memory_space, const void* data) {
    const hsize_t new_dims[2] = {first + rows, width};
    check.ok(H5Dset_extent(dataset, new_dims), path, "cannot extend the dataset");
    Handle file_space = check.handle(H5Dget_space(dataset), H5Sclose, path, "cannot get the dataspace");
    const hsize_t start[2] = {first, 0};
    const hsize_t count[2] = {rows, width};
    check.ok(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr), path,
             "cannot select rows");
    check.ok(H5Dwrite(dataset, memory_type, memory_space, file_space.get(), H5P_DEFAULT, data), path,
             "cannot write rows");
}

/// Why a file could not be created in its directory, in strerror words ("" if unknown).
std::string creation_cause(const std::string& path) {
    std::filesystem::path directory = std::filesystem::path(path).parent_path();
    if (directory.empty()) directory = ".";
    struct stat info {};
    if (::stat(directory.c_str(), &info) != 0)
        return fmt::format("directory '{}': {}", directory.string(), std::strerror(errno));
    if (!S_ISDIR(info.st_mode)) return fmt::format("'{}': {}", directory.string(), std::strerror(ENOTDIR));
    if (::access(directory.c_str(), W_OK | X_OK) != 0)
        return fmt::format("directory '{}': {}", directory.string(), std::strerror(errno));
    return {};
}

struct LabelsDecl {
    std::string path;
    std::vector<std::string> labels;
    std::string description;
};

struct SeriesDecl {
    SeriesSpec spec;
    std::size_t offset = 0;
    Handle dataset;
};

struct StaticDecl {
    std::string path;
    std::vector<double> values;
    std::size_t rows = 0, cols = 0;
    std::string unit, description;
};

struct TextDecl {
    std::string path, text, description;
};

struct PendingAttribute {
    std::string object, name;
    AttributeValue value;
};

// ---- dimension scales ------------------------------------------------------------------------

/// The axes of every array as HDF5 dimension scales (hdf5_hl), for tools that label arrays by
/// them (h5py's `dims`, netCDF-style readers): `/time` is the scale of dimension 0 of every
/// series, a labels dataset the scale of dimension 1 of the 2-D series naming it, `/<g>/paths`
/// the scale of dimension 0 of a static dataset under `/<g>` with as many rows, and
/// `/events/time` the scale of the other `/events` fields. Each scale's NAME is its path
/// without the leading '/'; each attached dimension gets the same text as its label. The
/// `columns` attribute stays: older readers use it.
void attach_dimension_scales(const Checker& c, hid_t file, hid_t time, const std::vector<LabelsDecl>& labels,
                             const std::vector<SeriesDecl>& series, const std::vector<StaticDecl>& statics,
                             const std::vector<hid_t>& event_fields, hid_t event_time) {
    auto open = [&](const std::string& path) {
        return c.handle(H5Dopen2(file, path.c_str(), H5P_DEFAULT), H5Dclose, path, "cannot open the dataset");
    };
    auto attach = [&](hid_t dataset, const std::string& path, hid_t scale, unsigned dim, const std::string& name) {
        c.ok(H5DSattach_scale(dataset, scale, dim), path, "cannot attach a dimension scale");
        c.ok(H5DSset_label(dataset, dim, name.c_str()), path, "cannot label a dimension");
    };
    c.ok(H5DSset_scale(time, "time"), "/time", "cannot make a dimension scale");
    std::vector<std::pair<std::string, Handle>> scales;  // labels path -> open dataset
    for (const auto& decl : labels) {
        Handle scale = open(decl.path);
        c.ok(H5DSset_scale(scale.get(), decl.path.substr(1).c_str()), decl.path, "cannot make a dimension scale");
        scales.emplace_back(decl.path, std::move(scale));
    }
    auto scale_of = [&](const std::string& path) -> hid_t {
        for (const auto& [p, h] : scales)
            if (p == path) return h.get();
        return -1;
    };
    for (const auto& decl : series) {
        attach(decl.dataset.get(), decl.spec.path, time, 0, "time");
        if (decl.spec.width > 0 && !decl.spec.columns.empty())
            attach(decl.dataset.get(), decl.spec.path, scale_of(decl.spec.columns), 1, decl.spec.columns.substr(1));
    }
    for (const auto& decl : statics) {
        const std::string paths = decl.path.substr(0, decl.path.rfind('/')) + "/paths";
        const auto it = std::find_if(labels.begin(), labels.end(), [&](const LabelsDecl& l) { return l.path == paths; });
        if (it == labels.end() || it->labels.size() != decl.rows) continue;
        Handle dataset = open(decl.path);
        attach(dataset.get(), decl.path, scale_of(paths), 0, paths.substr(1));
    }
    c.ok(H5DSset_scale(event_time, "events/time"), "/events/time", "cannot make a dimension scale");
    for (const hid_t field : event_fields) attach(field, "/events", event_time, 0, "events/time");
}

}  // namespace

// ============================================================================================
// ResultsWriter

// An open descriptor of the results file holding an open-file-description write lock
// (fcntl F_OFD_SETLK), so that a second writer fails before it truncates anything. Not flock:
// HDF5 flocks the file itself, and that lock is independent of this one.
struct OutputLock {
    int fd = -1;
    OutputLock() = default;
    OutputLock(const OutputLock&) = delete;
    OutputLock& operator=(const OutputLock&) = delete;
    ~OutputLock() {
        if (fd >= 0) ::close(fd);
    }
};

struct ResultsWriter::Impl {
    OutputLock output_lock;  // declared first: released after the file is closed
    std::string path;
    Options options;
    enum class State { declaring, open, finished } state = State::declaring;

    // declarations
    std::vector<std::string> declared;  // every dataset path, for duplicate checks
    std::vector<LabelsDecl> labels;
    std::vector<SeriesDecl> series;
    std::vector<StaticDecl> statics;
    std::vector<TextDecl> texts;
    std::vector<PendingAttribute> pending_attributes;
    std::size_t width = 0;

    // the open file (declared first: destroyed last)
    Handle file;
    Handle lcpl;
    Handle time_dataset;
    Handle event_time, event_path, event_kind, event_message;
    Handle string_type;

    // bounded buffers
    std::vector<double> buffer;  // [chunk_rows x width], row-major
    std::vector<double> buffer_time;
    std::size_t buffered = 0;
    std::size_t rows_on_disk = 0;
    std::size_t rows_appended = 0;
    double last_time = -std::numeric_limits<double>::infinity();
    double t_on_disk = std::numeric_limits<double>::quiet_NaN();

    std::vector<double> events_time;
    std::vector<std::string> events_path, events_kind, events_message;
    std::size_t events_on_disk = 0;

    std::chrono::steady_clock::time_point last_flush;
    double unflushed = 0;  // [bytes] written since the last flush, at most (ensure_space)

    Checker check() const { return Checker{path}; }

    void declare(const std::string& object, const char* what) {
        if (state != State::declaring)
            fail_plain(path, object, fmt::format("{} must be declared before begin()", what));
        if (!valid_path(object))
            fail_plain(path, object.empty() ? "(empty path)" : object,
                       fmt::format("{} path must be absolute like '/site/grid_power'", what));
        if (object == "/time" || object == "/events" || is_under(object, "/events"))
            fail_plain(path, object, "path is reserved by the results format");
        for (const auto& other : declared) {
            if (other == object) fail_plain(path, object, "declared twice");
            if (is_under(object, other) || is_under(other, object))
                fail_plain(path, object, fmt::format("conflicts with '{}' (one would be a group of the other)", other));
        }
    }

    void require_open(const char* what) const {
        if (state == State::declaring) fail_plain(path, what, "called before begin()");
        if (state == State::finished) fail_plain(path, what, "called after finish()");
    }

    hid_t open_or_create_object(const std::string& object, Handle& holder) {
        const Checker c = check();
        if (object == "/") {
            holder = c.handle(H5Oopen(file.get(), "/", H5P_DEFAULT), H5Oclose, object, "cannot open the object");
        } else if (link_exists(file.get(), object)) {
            holder = c.handle(H5Oopen(file.get(), object.c_str(), H5P_DEFAULT), H5Oclose, object,
                              "cannot open the object");
        } else {
            holder = c.handle(H5Gcreate2(file.get(), object.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
                              H5Gclose, object, "cannot create the group");
        }
        return holder.get();
    }

    void apply_attribute(const std::string& object, const std::string& name, const AttributeValue& value) {
        Handle holder;
        const hid_t id = open_or_create_object(object, holder);
        write_attribute(check(), id, object, name, value);
    }

    void create_objects() {
        const Checker c = check();
        lcpl = make_lcpl(c);
        string_type = vlen_string_type(c, "/");

        Handle root = c.handle(H5Oopen(file.get(), "/", H5P_DEFAULT), H5Oclose, "/", "cannot open the root group");
        write_attribute(c, root.get(), "/", "format", std::string(kFormat));
        write_attribute(c, root.get(), "/", "format_version", kFormatVersion);
        write_attribute(c, root.get(), "/", "status", std::string("running"));
        write_attribute(c, root.get(), "/", "t_reached", t_on_disk);
        write_attribute(c, root.get(), "/", "rows", std::int64_t{0});

        time_dataset = create_extendible(c, file.get(), lcpl.get(), "/time", H5T_IEEE_F64LE, 0,
                                         options.chunk_rows, options.compression);
        write_units(c, time_dataset.get(), "/time", "s", "output time since the start of the simulation");

        for (const auto& decl : labels) {
            const hsize_t dims[1] = {decl.labels.size()};
            Handle space = c.handle(H5Screate_simple(1, dims, nullptr), H5Sclose, decl.path, "cannot create a dataspace");
            Handle dataset = c.handle(H5Dcreate2(file.get(), decl.path.c_str(), string_type.get(), space.get(),
                                                 lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
                                      H5Dclose, decl.path, "cannot create the dataset");
            if (!decl.labels.empty()) {
                std::vector<const char*> pointers;
                pointers.reserve(decl.labels.size());
                for (const auto& label : decl.labels) pointers.push_back(label.c_str());
                c.ok(H5Dwrite(dataset.get(), string_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()),
                     decl.path, "cannot write the labels");
            }
            write_units(c, dataset.get(), decl.path, "-", decl.description);
        }

        for (auto& decl : series) {
            decl.dataset = create_extendible(c, file.get(), lcpl.get(), decl.spec.path, H5T_IEEE_F64LE,
                                             decl.spec.width, options.chunk_rows, options.compression);
            write_units(c, decl.dataset.get(), decl.spec.path, decl.spec.unit, decl.spec.description);
            if (decl.spec.width > 0)
                write_attribute(c, decl.dataset.get(), decl.spec.path, "columns", decl.spec.columns);
        }

        for (const auto& decl : statics) {
            const hsize_t dims[2] = {decl.rows, decl.cols};
            Handle space = c.handle(H5Screate_simple(2, dims, nullptr), H5Sclose, decl.path, "cannot create a dataspace");
            Handle dataset = c.handle(H5Dcreate2(file.get(), decl.path.c_str(), H5T_IEEE_F64LE, space.get(),
                                                 lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
                                      H5Dclose, decl.path, "cannot create the dataset");
            if (!decl.values.empty())
                c.ok(H5Dwrite(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, decl.values.data()),
                     decl.path, "cannot write the values");
            write_units(c, dataset.get(), decl.path, decl.unit, decl.description);
        }

        for (const auto& decl : texts) {
            Handle space = c.handle(H5Screate(H5S_SCALAR), H5Sclose, decl.path, "cannot create a dataspace");
            Handle dataset = c.handle(H5Dcreate2(file.get(), decl.path.c_str(), string_type.get(), space.get(),
                                                 lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
                                      H5Dclose, decl.path, "cannot create the dataset");
            const char* pointer = decl.text.c_str();
            c.ok(H5Dwrite(dataset.get(), string_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &pointer), decl.path,
                 "cannot write the text");
            write_units(c, dataset.get(), decl.path, "-", decl.description);
        }

        event_time = create_extendible(c, file.get(), lcpl.get(), "/events/time", H5T_IEEE_F64LE, 0, kEventChunk, 0);
        write_units(c, event_time.get(), "/events/time", "s", "time of the event since the start of the simulation");
        event_path = create_extendible(c, file.get(), lcpl.get(), "/events/path", string_type.get(), 0, kEventChunk, 0);
        write_units(c, event_path.get(), "/events/path", "-", "component or constraint the event concerns");
        event_kind = create_extendible(c, file.get(), lcpl.get(), "/events/kind", string_type.get(), 0, kEventChunk, 0);
        write_units(c, event_kind.get(), "/events/kind", "-", "kind of the event");
        event_message =
            create_extendible(c, file.get(), lcpl.get(), "/events/message", string_type.get(), 0, kEventChunk, 0);
        write_units(c, event_message.get(), "/events/message", "-", "what happened, in words");

        attach_dimension_scales(c, file.get(), time_dataset.get(), labels, series, statics,
                                {event_path.get(), event_kind.get(), event_message.get()}, event_time.get());

        for (const auto& attribute : pending_attributes) apply_attribute(attribute.object, attribute.name, attribute.value);
        pending_attributes.clear();
    }

    // A write the disk cannot hold would leave HDF5's metadata pointing at data that never
    // reached it, and a file nothing opens. Checked first, it fails with the file as the last
    // flush left it: status `running`, its rows readable. Rewritten chunks move (no space is
    // reused), so the bound is every chunk the rows touch, uncompressed, plus metadata.
    // HDF5 keeps written chunks and metadata in its caches until a flush: what was written
    // since the last one counts too (`unflushed`).
    void ensure_space(std::size_t rows, std::size_t event_bytes) {
        struct statvfs v {};
        if (output_lock.fd < 0 || ::fstatvfs(output_lock.fd, &v) != 0) return;
        double free = double(v.f_bavail) * double(v.f_frsize);
        const double cr = double(options.chunk_rows);
        const double chunks = rows > 0 ? std::ceil((double(rows_on_disk % options.chunk_rows) + double(rows)) / cr) : 0.0;
        const double write = chunks * cr * double(width + 1) * 8.0 * 1.01 + 2.0 * double(event_bytes);
        double need = unflushed + write + double(1 << 20);
        if (free < need && unflushed > 0) {
            // What the caches hold reaches the disk first (compressed, often far less than
            // the bound); then only this write counts.
            check().ok(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), "/", "cannot flush the file");
            unflushed = 0;
            if (::fstatvfs(output_lock.fd, &v) != 0) return;
            free = double(v.f_bavail) * double(v.f_frsize);
            need = write + double(1 << 20);
        }
        unflushed += write;
        if (free < need)
            throw ResultsError(fmt::format("results file '{}': No space left on device ({:.1f} MB free, the next write "
                                           "needs up to {:.1f} MB); the file keeps the {} rows written before",
                                           path, free / 1e6, need / 1e6, rows_on_disk));
    }

    void write_rows() {
        if (buffered == 0) return;
        ensure_space(buffered, 0);
        const Checker c = check();
        const hsize_t n = buffered;
        const hsize_t first = rows_on_disk;
        if (width > 0) {
            const hsize_t memory_dims[2] = {n, static_cast<hsize_t>(width)};
            for (auto& decl : series) {
                const std::string& object = decl.spec.path;
                Handle memory = c.handle(H5Screate_simple(2, memory_dims, nullptr), H5Sclose, object,
                                         "cannot create a dataspace");
                const hsize_t start[2] = {0, decl.offset};
                const hsize_t count[2] = {n, std::max<hsize_t>(1, decl.spec.width)};
                c.ok(H5Sselect_hyperslab(memory.get(), H5S_SELECT_SET, start, nullptr, count, nullptr), object,
                     "cannot select the columns");
                append_rows(c, decl.dataset.get(), object, first, n, decl.spec.width, H5T_NATIVE_DOUBLE,
                            memory.get(), buffer.data());
            }
        }
        const hsize_t time_dims[1] = {n};
        Handle memory = c.handle(H5Screate_simple(1, time_dims, nullptr), H5Sclose, "/time", "cannot create a dataspace");
        append_rows(c, time_dataset.get(), "/time", first, n, 0, H5T_NATIVE_DOUBLE, memory.get(), buffer_time.data());
        rows_on_disk += buffered;
        t_on_disk = buffer_time[buffered - 1];
        buffered = 0;
    }

    void write_events() {
        if (events_time.empty()) return;
        std::size_t bytes = 0;
        for (std::size_t i = 0; i < events_time.size(); ++i)
            bytes += 8 + events_path[i].size() + events_kind[i].size() + events_message[i].size();
        ensure_space(0, bytes);
        const Checker c = check();
        const hsize_t n = events_time.size();
        const hsize_t first = events_on_disk;
        const hsize_t dims[1] = {n};
        Handle memory = c.handle(H5Screate_simple(1, dims, nullptr), H5Sclose, "/events", "cannot create a dataspace");
        append_rows(c, event_time.get(), "/events/time", first, n, 0, H5T_NATIVE_DOUBLE, memory.get(),
                    events_time.data());
        auto write_strings = [&](hid_t dataset, const char* object, const std::vector<std::string>& values) {
            std::vector<const char*> pointers;
            pointers.reserve(values.size());
            for (const auto& v : values) pointers.push_back(v.c_str());
            append_rows(c, dataset, object, first, n, 0, string_type.get(), memory.get(), pointers.data());
        };
        write_strings(event_path.get(), "/events/path", events_path);
        write_strings(event_kind.get(), "/events/kind", events_kind);
        write_strings(event_message.get(), "/events/message", events_message);
        events_on_disk += events_time.size();
        events_time.clear();
        events_path.clear();
        events_kind.clear();
        events_message.clear();
    }

    void update_progress() {
        const Checker c = check();
        Handle root = c.handle(H5Oopen(file.get(), "/", H5P_DEFAULT), H5Oclose, "/", "cannot open the root group");
        write_attribute(c, root.get(), "/", "t_reached", t_on_disk);
        write_attribute(c, root.get(), "/", "rows", static_cast<std::int64_t>(rows_on_disk));
    }

    void flush_all() {
        // The data reach the disk before the attributes that say how far they go: `rows` and
        // `t_reached` are written only after the rows themselves were flushed, so a kill
        // between the two leaves them behind the data, never ahead of it.
        write_rows();
        write_events();
        check().ok(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), "/", "cannot flush the file");
        update_progress();
        check().ok(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), "/", "cannot flush the file");
        last_flush = std::chrono::steady_clock::now();
        unflushed = 0;
    }

    bool flush_due() const {
        const auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - last_flush).count();
        return elapsed >= options.flush_interval_s;
    }

    /// Closes every handle, the file last (no status change).
    void close_all() {
        for (auto& decl : series) decl.dataset.reset();
        time_dataset.reset();
        event_time.reset();
        event_path.reset();
        event_kind.reset();
        event_message.reset();
        string_type.reset();
        lcpl.reset();
        file.reset();
    }
};

ResultsWriter::ResultsWriter(std::string path, Options options) : impl_(std::make_unique<Impl>()) {
    impl_->path = std::move(path);
    impl_->options = options;
    if (impl_->path.empty()) throw ResultsError("results file: empty path");
    if (options.chunk_rows == 0 || options.chunk_rows > kMaxChunkRows)
        fail_plain(impl_->path, "options", fmt::format("chunk_rows must be in 1..{}", kMaxChunkRows));
    if (options.compression < 0 || options.compression > 9)
        fail_plain(impl_->path, "options", "compression must be a deflate level in 0..9");
    if (!(options.flush_interval_s >= 0.0))
        fail_plain(impl_->path, "options", "flush_interval_s must be >= 0");
}

ResultsWriter::~ResultsWriter() {
    const std::lock_guard<std::recursive_mutex> lock(hdf5_mutex());
    if (!impl_) return;
    QuietErrors quiet;
    if (impl_->state == Impl::State::open) {
        try {
            impl_->flush_all();  // keeps status "running": readers see how far the run got
        } catch (...) {
            // The rows could not all be written (a full disk): `rows` and `t_reached` still
            // say how far the data that reached the disk go.
            try {
                impl_->check().ok(H5Fflush(impl_->file.get(), H5F_SCOPE_GLOBAL), "/", "cannot flush the file");
                impl_->update_progress();
                impl_->check().ok(H5Fflush(impl_->file.get(), H5F_SCOPE_GLOBAL), "/", "cannot flush the file");
            } catch (...) {
            }
        }
    }
    impl_->close_all();
}

void ResultsWriter::add_labels(const std::string& path, const std::vector<std::string>& labels,
                               const std::string& description) {
    impl_->declare(path, "labels");
    impl_->declared.push_back(path);
    impl_->labels.push_back({path, labels, description});
}

std::size_t ResultsWriter::add_series(const SeriesSpec& spec) {
    Impl& d = *impl_;
    d.declare(spec.path, "series");
    if (spec.unit.empty()) fail_plain(d.path, spec.path, "series has no unit (use \"1\" for dimensionless)");
    if (spec.width == 0 && !spec.columns.empty())
        fail_plain(d.path, spec.path, fmt::format("a 1-D series (width 0) cannot name columns '{}'", spec.columns));
    if (spec.width > 0) {
        if (spec.columns.empty())
            fail_plain(d.path, spec.path,
                       fmt::format("a 2-D series of width {} needs `columns`, the path of its labels", spec.width));
        const auto it = std::find_if(d.labels.begin(), d.labels.end(),
                                     [&](const LabelsDecl& l) { return l.path == spec.columns; });
        if (it == d.labels.end())
            fail_plain(d.path, spec.path,
                       fmt::format("columns '{}' were not declared with add_labels() before the series", spec.columns));
        if (it->labels.size() != spec.width)
            fail_plain(d.path, spec.path,
                       fmt::format("width {} differs from the {} labels of '{}'", spec.width, it->labels.size(),
                                   spec.columns));
    }
    SeriesDecl decl;
    decl.spec = spec;
    decl.offset = d.width;
    d.declared.push_back(spec.path);
    d.series.push_back(std::move(decl));
    d.width += std::max<std::size_t>(1, spec.width);
    return d.series.back().offset;
}

std::vector<SeriesSpec> ResultsWriter::declared_series() const {
    std::vector<SeriesSpec> out;
    for (const auto& s : impl_->series) out.push_back(s.spec);
    return out;
}

void ResultsWriter::add_static(const std::string& path, const std::vector<double>& values, std::size_t rows,
                               std::size_t cols, const std::string& unit, const std::string& description) {
    Impl& d = *impl_;
    d.declare(path, "static dataset");
    if (unit.empty()) fail_plain(d.path, path, "static dataset has no unit (use \"1\" for dimensionless)");
    if (values.size() != rows * cols)
        fail_plain(d.path, path, fmt::format("{} values for a [{} x {}] dataset", values.size(), rows, cols));
    d.declared.push_back(path);
    d.statics.push_back({path, values, rows, cols, unit, description});
}

void ResultsWriter::add_text(const std::string& path, const std::string& text, const std::string& description) {
    impl_->declare(path, "text");
    impl_->declared.push_back(path);
    impl_->texts.push_back({path, text, description});
}

void ResultsWriter::set_attribute(const std::string& object_path, const std::string& name,
                                  const AttributeValue& value) {
    const std::lock_guard<std::recursive_mutex> lock(hdf5_mutex());
    Impl& d = *impl_;
    if (d.state == Impl::State::finished) fail_plain(d.path, object_path, "set_attribute() called after finish()");
    if (object_path != "/" && !valid_path(object_path))
        fail_plain(d.path, object_path.empty() ? "(empty path)" : object_path, "object path must be absolute");
    if (name.empty()) fail_plain(d.path, object_path, "attribute name is empty");
    if (object_path == "/")
        for (const char* reserved : kRootReserved)
            if (name == reserved)
                fail_plain(d.path, "/", fmt::format("attribute '{}' is managed by the writer", name));
    if (d.state == Impl::State::declaring) {  // applied by begin()
        d.pending_attributes.push_back({object_path, name, value});
        return;
    }
    QuietErrors quiet;
    d.apply_attribute(object_path, name, value);
}

void ResultsWriter::begin() {
    const std::lock_guard<std::recursive_mutex> lock(hdf5_mutex());
    Impl& d = *impl_;
    if (d.state != Impl::State::declaring) fail_plain(d.path, "begin()", "called twice");
    QuietErrors quiet;
    struct stat info {};
    const bool existed = ::lstat(d.path.c_str(), &info) == 0;
    if (existed && !d.options.overwrite)
        throw ResultsError(fmt::format("results file '{}' exists; use --force to overwrite", d.path));
    if (existed && S_ISDIR(info.st_mode))
        throw ResultsError(fmt::format("results file '{}' is a directory", d.path));
    if (existed && S_ISLNK(info.st_mode)) {
        // Overwriting replaces the link itself, never the file it points to.
        if (::unlink(d.path.c_str()) != 0 && errno != ENOENT)
            throw ResultsError(fmt::format("results file '{}': cannot replace the symbolic link: {}", d.path,
                                           std::strerror(errno)));
    }
    // Open and lock before anything is truncated: a second run to the same file fails here and
    // leaves the first one's file whole. O_NOFOLLOW: a link planted meanwhile is not followed.
    // O_EXCL first: only a file this run made is removed when it fails.
    constexpr int kOpen = O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
    d.output_lock.fd = ::open(d.path.c_str(), kOpen | O_CREAT | O_EXCL, 0644);
    const bool created = d.output_lock.fd >= 0;
    if (!created && errno == EEXIST && d.options.overwrite) d.output_lock.fd = ::open(d.path.c_str(), kOpen);
    else if (!created && errno == EEXIST)
        throw ResultsError(fmt::format("results file '{}' exists; use --force to overwrite", d.path));
    if (d.output_lock.fd < 0) {
        const int err = errno;
        std::string cause = creation_cause(d.path);
        throw ResultsError(fmt::format("results file '{}': cannot create: {}", d.path,
                                       cause.empty() ? std::strerror(err) : cause));
    }
    const auto refuse = [&](const std::string& why) {
        if (created) ::unlink(d.path.c_str());
        throw ResultsError(fmt::format("results file '{}': {}", d.path, why));
    };
    struct stat opened {};
    if (::fstat(d.output_lock.fd, &opened) != 0 || !S_ISREG(opened.st_mode))
        refuse("not a regular file: a results file is written only as one");
    struct flock whole {};
    whole.l_type = F_WRLCK;
    whole.l_whence = SEEK_SET;
    if (::fcntl(d.output_lock.fd, F_OFD_SETLK, &whole) != 0) {
        const int err = errno;
        if (err == EAGAIN || err == EACCES) {
            ::close(d.output_lock.fd);
            d.output_lock.fd = -1;
            throw ResultsError(fmt::format("results file '{}' is being written by another dctwin run; it is left as "
                                           "it is",
                                           d.path));
        }
        refuse(fmt::format("cannot lock: {}", std::strerror(err)));
    }

    const Checker c = d.check();
    Handle fapl = c.handle(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "/", "cannot create a property list");
#if H5_VERSION_GE(1, 10, 2)
    // Oldest object formats that can hold the data, never newer than 1.10's: h5dump 1.10 and
    // ParaView 5.11 (linked with HDF5 1.10 on Debian 12) read the file.
    c.ok(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_EARLIEST, H5F_LIBVER_V110), "/",
         "cannot set the library version bounds");
#endif
#if H5_VERSION_GE(1, 10, 7)
    // The lock taken above replaces HDF5's flock: on NFS, where flock is emulated with the
    // same byte-range locks, HDF5's would conflict with it and the file could not be created.
    c.ok(H5Pset_file_locking(fapl.get(), false, true), "/", "cannot set the file locking");
#endif
    // Freed file space is never reused: a compressed chunk rewritten with more rows moves, and
    // its old place must stay intact for the index a killed run left on disk.
    Handle fcpl = c.handle(H5Pcreate(H5P_FILE_CREATE), H5Pclose, "/", "cannot create file-creation properties");
    c.ok(H5Pset_file_space_strategy(fcpl.get(), H5F_FSPACE_STRATEGY_NONE, 0, 1), "/",
         "cannot set the file space strategy");
    // The file is ours (locked above, made empty here); HDF5 opens it by name again.
    const hid_t id = H5Fcreate(d.path.c_str(), H5F_ACC_TRUNC, fcpl.get(), fapl.get());
    if (id < 0) {
        const std::string stack = h5::error_stack();
        std::string cause = creation_cause(d.path);
        if (cause.empty()) cause = stack.empty() ? "unknown HDF5 error" : stack;
        refuse("cannot create: " + cause);
    }
    d.file = Handle(id, H5Fclose);
    if (struct stat now {}; ::stat(d.path.c_str(), &now) != 0 || now.st_ino != opened.st_ino || now.st_dev != opened.st_dev) {
        d.close_all();
        refuse("the path was replaced while the file was being created");
    }
    if (d.options.max_buffer_bytes > 0 && d.width > 0) {
        // Wide sites: fewer rows per chunk, so that the buffer stays within its budget.
        const std::size_t fit = d.options.max_buffer_bytes / (sizeof(double) * d.width);
        d.options.chunk_rows = std::min(d.options.chunk_rows, std::max<std::size_t>(fit, 16));
    }
    try {
        d.create_objects();
        d.buffer.assign(d.options.chunk_rows * d.width, 0.0);
        d.buffer_time.assign(d.options.chunk_rows, 0.0);
        c.ok(H5Fflush(d.file.get(), H5F_SCOPE_GLOBAL), "/", "cannot flush the file");
    } catch (...) {
        d.close_all();
        std::error_code ignored;
        std::filesystem::remove(d.path, ignored);  // a file without its objects is of no use
        throw;
    }
    d.last_flush = std::chrono::steady_clock::now();
    d.state = Impl::State::open;
}

void ResultsWriter::append(double time_s, const double* row) {
    const std::lock_guard<std::recursive_mutex> lock(hdf5_mutex());
    Impl& d = *impl_;
    d.require_open("append()");
    if (!std::isfinite(time_s)) fail_plain(d.path, "/time", fmt::format("non-finite output time {}", time_s));
    if (time_s < d.last_time)
        fail_plain(d.path, "/time", fmt::format("output time {} s precedes the previous one, {} s", time_s, d.last_time));
    if (d.width > 0 && row == nullptr) fail_plain(d.path, "append()", "row is null");
    std::copy(row, row + d.width, d.buffer.begin() + static_cast<std::ptrdiff_t>(d.buffered * d.width));
    d.buffer_time[d.buffered] = time_s;
    ++d.buffered;
    ++d.rows_appended;
    d.last_time = time_s;
    // Writes end on chunk boundaries, so a chunk is written whole unless a flush cut it.
    const bool chunk_full = d.rows_appended % d.options.chunk_rows == 0;
    const bool flush_due = d.flush_due();
    if (!chunk_full && !flush_due) return;
    QuietErrors quiet;
    if (flush_due) d.flush_all();
    else d.write_rows();
}

void ResultsWriter::append_event(double time_s, const std::string& path, const std::string& kind,
                                 const std::string& message) {
    const std::lock_guard<std::recursive_mutex> lock(hdf5_mutex());
    Impl& d = *impl_;
    d.require_open("append_event()");
    d.events_time.push_back(time_s);
    d.events_path.push_back(path);
    d.events_kind.push_back(kind);
    d.events_message.push_back(message);
    const bool flush_due = d.flush_due();
    if (d.events_time.size() < kEventChunk && !flush_due) return;
    QuietErrors quiet;
    if (flush_due) d.flush_all();
    else d.write_events();
}

void ResultsWriter::flush() {
    const std::lock_guard<std::recursive_mutex> lock(hdf5_mutex());
    Impl& d = *impl_;
    d.require_open("flush()");
    QuietErrors quiet;
    d.flush_all();
}

void ResultsWriter::finish(const std::string& status, double t_reached_s) {
    const std::lock_guard<std::recursive_mutex> lock(hdf5_mutex());
    Impl& d = *impl_;
    d.require_open("finish()");
    if (status != "complete" && status != "incomplete" && status != "interrupted")
        fail_plain(d.path, "finish()",
                   fmt::format("status '{}' is not one of complete, incomplete, interrupted", status));
    QuietErrors quiet;
    const Checker c = d.check();
    try {
        d.write_rows();
        d.write_events();
        Handle root = c.handle(H5Oopen(d.file.get(), "/", H5P_DEFAULT), H5Oclose, "/", "cannot open the root group");
        write_attribute(c, root.get(), "/", "status", status);
        write_attribute(c, root.get(), "/", "t_reached", t_reached_s);
        write_attribute(c, root.get(), "/", "rows", static_cast<std::int64_t>(d.rows_on_disk));
        root.reset();
        for (auto& decl : d.series) decl.dataset.reset();
        d.time_dataset.reset();
        d.event_time.reset();
        d.event_path.reset();
        d.event_kind.reset();
        d.event_message.reset();
        d.string_type.reset();
        d.lcpl.reset();
        c.ok(d.file.close(), "/", "cannot close the file");
    } catch (...) {
        d.state = Impl::State::finished;
        d.close_all();
        throw;
    }
    d.state = Impl::State::finished;
    d.buffer = {};
    d.buffer_time = {};
    // The file is whole and closed: readers may open it now (they refuse a locked file).
    if (d.output_lock.fd >= 0) ::close(std::exchange(d.output_lock.fd, -1));
}

std::size_t ResultsWriter::row_width() const { return impl_->width; }
std::size_t ResultsWriter::rows_written() const { return impl_->rows_appended; }
const std::string& ResultsWriter::path() const { return impl_->path; }

// ============================================================================================
// ResultsReader

struct ResultsReader::Impl {
    std::string path;
    Handle file;
    // For a file whose writer never finished (status `running`: killed, crashed, or still
    // going), the number of rows on disk at its last flush. Series may be longer than that on
    // disk, with chunks after it that were never written (or half written): reading them can
    // fail or return garbage, so reads of series stop there (viz/README.md).
    std::optional<hsize_t> rows_limit;

    Checker check() const { return Checker{path}; }

    Handle open_dataset(const std::string& object) const {
        if (!link_exists(file.get(), object)) fail_plain(path, object, "no such dataset");
        return check().handle(H5Dopen2(file.get(), object.c_str(), H5P_DEFAULT), H5Dclose, object,
                              "cannot open the dataset");
    }

    std::vector<std::string> strings(const std::string& object) const {
        const Checker c = check();
        Handle dataset = open_dataset(object);
        Handle type = c.handle(H5Dget_type(dataset.get()), H5Tclose, object, "cannot get the type");
        Handle space = c.handle(H5Dget_space(dataset.get()), H5Sclose, object, "cannot get the dataspace");
        if (H5Tget_class(type.get()) != H5T_STRING) fail_plain(path, object, "is not a string dataset");
        const int rank = H5Sget_simple_extent_ndims(space.get());
        if (rank > 1) fail_plain(path, object, fmt::format("has rank {}, expected a 1-D list of strings", rank));
        const hssize_t count = H5Sget_simple_extent_npoints(space.get());
        c.ok(static_cast<herr_t>(count < 0 ? -1 : 0), object, "cannot get the size");
        const auto n = static_cast<std::size_t>(count);
        std::vector<std::string> out;
        out.reserve(n);
        if (n == 0) return out;
        if (H5Tis_variable_str(type.get()) > 0) {
            Handle memory = vlen_string_type(c, object, H5Tget_cset(type.get()));
            std::vector<char*> pointers(n, nullptr);
            c.ok(H5Dread(dataset.get(), memory.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()), object,
                 "cannot read the strings");
            try {
                for (const char* p : pointers) out.emplace_back(p != nullptr ? p : "");
            } catch (...) {
                reclaim_vlen(memory.get(), space.get(), pointers.data());
                throw;
            }
            reclaim_vlen(memory.get(), space.get(), pointers.data());
            return out;
        }
        const std::size_t size = H5Tget_size(type.get());
        std::vector<char> buffer(n * size + 1, '\0');
        c.ok(H5Dread(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()), object,
             "cannot read the strings");
        const bool space_padded = H5Tget_strpad(type.get()) == H5T_STR_SPACEPAD;
        for (std::size_t i = 0; i < n; ++i) {
            const char* begin = buffer.data() + i * size;
            std::string s(begin, strnlen(begin, size));
            if (space_padded)
                while (!s.empty() && s.back() == ' ') s.pop_back();
            out.push_back(std::move(s));
        }
        return out;
    }
};

bool results_being_written(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return false;
    struct flock probe {};
    probe.l_type = F_RDLCK;
    probe.l_whence = SEEK_SET;  // the whole file, as the writer locks it
    const bool held = ::fcntl(fd, F_OFD_GETLK, &probe) == 0 && probe.l_type != F_UNLCK;
    ::close(fd);
    return held;
}

namespace {

// A copy of a file being written that reads open instead of the file (read_retrying): its
// bytes in memory (up to snapshot_max_bytes()), or a temporary file for larger ones, removed
// with the copy (an HDF5 file still open on it keeps reading it).
struct Snapshot {
    std::vector<char> bytes;
    std::string file;
    Snapshot() = default;
    Snapshot(const Snapshot&) = delete;
    Snapshot& operator=(const Snapshot&) = delete;
    ~Snapshot() {
        if (!file.empty()) ::unlink(file.c_str());
    }
};

// Copies by path.
struct Snapshots {
    std::mutex m;
    std::map<std::string, std::shared_ptr<const Snapshot>> by_path;
};
Snapshots& snapshots() {
    static Snapshots s;
    return s;
}

std::string snapshot_key(const std::string& path) {
    std::error_code ec;
    const auto canonical = std::filesystem::weakly_canonical(path, ec);
    return ec ? path : canonical.string();
}

std::shared_ptr<const Snapshot> snapshot_of(const std::string& path) {
    Snapshots& s = snapshots();
    const std::lock_guard<std::mutex> lock(s.m);
    const auto it = s.by_path.find(snapshot_key(path));
    return it == s.by_path.end() ? nullptr : it->second;
}

// Reads fd to its end into `out` (which grows: the file may grow while it is copied).
bool read_all(int fd, std::vector<char>& out, std::size_t expected) {
    out.resize(expected + (1 << 20));
    std::size_t used = 0;
    while (true) {
        if (used == out.size()) out.resize(out.size() * 2);
        const ssize_t got = ::read(fd, out.data() + used, out.size() - used);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
            out.resize(used);
            return got == 0;
        }
        used += std::size_t(got);
    }
}

// A copy that cannot be taken: not a flush met, so not retried.
class CopyError : public ResultsError {
public:
    using ResultsError::ResultsError;
};

// Copies fd to its end into a new temporary file (TMPDIR, else /tmp); its path, or throws
// ResultsError saying why (no space, most likely).
std::string copy_to_temporary(int fd, const std::string& path) {
    const char* dir = std::getenv("TMPDIR");
    std::string name = fmt::format("{}/dctwin-copy-XXXXXX", dir != nullptr && *dir != '\0' ? dir : "/tmp");
    const int out = ::mkostemp(name.data(), O_CLOEXEC);
    if (out < 0)
        throw CopyError(fmt::format("results file '{}' is being written and is larger than {} MB: it is read from a "
                                       "copy, and no temporary file could be made for it in {} ({})",
                                       path, snapshot_max_bytes() >> 20, name.substr(0, name.rfind('/')),
                                       std::strerror(errno)));
    std::vector<char> block(std::size_t{4} << 20);
    int error = 0;
    while (error == 0) {
        const ssize_t got = ::read(fd, block.data(), block.size());
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) error = errno;
        if (got <= 0) break;
        for (ssize_t done = 0; done < got && error == 0;) {
            const ssize_t put = ::write(out, block.data() + done, std::size_t(got - done));
            if (put < 0 && errno != EINTR) error = errno;
            if (put > 0) done += put;
        }
    }
    ::close(out);
    if (error != 0) {
        ::unlink(name.c_str());
        throw CopyError(fmt::format("results file '{}' is being written and is larger than {} MB: it is read from a "
                                       "copy, which could not be written to {} ({}); free space there (or set TMPDIR), or "
                                       "read the file after the run ends",
                                       path, snapshot_max_bytes() >> 20, name, std::strerror(error)));
    }
    return name;
}

// While alive, reads of `path` open a copy of its bytes taken now: in memory up to
// snapshot_max_bytes(), else in a temporary file. A file that does not open is left to the
// read to report (nothing registered).
class SnapshotScope {
public:
    explicit SnapshotScope(const std::string& path) : key_(snapshot_key(path)) {
        const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) return;
        struct stat info {};
        if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
            ::close(fd);
            return;
        }
        auto copy = std::make_shared<Snapshot>();
        bool ok = false;
        try {
            if (std::uint64_t(info.st_size) <= snapshot_max_bytes()) {
                ok = read_all(fd, copy->bytes, std::size_t(info.st_size)) && !copy->bytes.empty();
            } else {
                copy->file = copy_to_temporary(fd, path);
                ok = true;
            }
        } catch (...) {
            ::close(fd);
            throw;
        }
        ::close(fd);
        if (!ok) return;
        Snapshots& s = snapshots();
        const std::lock_guard<std::mutex> lock(s.m);
        registered_ = s.by_path.emplace(key_, std::move(copy)).second;
    }
    ~SnapshotScope() {
        if (!registered_) return;
        Snapshots& s = snapshots();
        const std::lock_guard<std::mutex> lock(s.m);
        s.by_path.erase(key_);
    }
    SnapshotScope(const SnapshotScope&) = delete;
    SnapshotScope& operator=(const SnapshotScope&) = delete;
    bool taken() const { return registered_; }

private:
    std::string key_;
    bool registered_ = false;
};

}  // namespace

std::uint64_t snapshot_max_bytes() {
    // Tests lower it to exercise the copies to a temporary file with small files.
    if (const char* text = std::getenv("DCTWIN_SNAPSHOT_MAX_BYTES"); text != nullptr && *text != '\0') {
        char* end = nullptr;
        errno = 0;
        const unsigned long long v = std::strtoull(text, &end, 10);
        if (errno == 0 && end != text && *end == '\0') return v;
    }
    return kSnapshotMaxBytes;
}

std::string series_missing_last_chunk(std::int64_t file_id) {
    const std::lock_guard<std::recursive_mutex> lock(hdf5_mutex());
    QuietErrors quiet;
    const auto file = static_cast<hid_t>(file_id);
    std::int64_t rows = 0;
    if (H5Aexists(file, "rows") > 0) {
        const Handle attribute(H5Aopen(file, "rows", H5P_DEFAULT), H5Aclose);
        if (!attribute.valid() || H5Aread(attribute.get(), H5T_NATIVE_INT64, &rows) < 0) return "/";
    }
    if (rows <= 0) return "";
    std::vector<std::string> names;
    const auto collect = [](hid_t, const char* name, const H5L_info_t* info, void* data) -> herr_t {
        if (info->type == H5L_TYPE_HARD) static_cast<std::vector<std::string>*>(data)->emplace_back("/").append(name);
        return 0;
    };
    if (H5Lvisit(file, H5_INDEX_NAME, H5_ITER_NATIVE, collect, &names) < 0) return "/";
    for (const std::string& name : names) {
        // /events grows on its own rule (readers take its shortest dataset), not to `rows`.
        if (is_under(name, "/events")) continue;
        const Handle object(H5Oopen(file, name.c_str(), H5P_DEFAULT), H5Oclose);
        if (!object.valid()) return name;
        if (H5Iget_type(object.get()) != H5I_DATASET) continue;
        const Handle space(H5Dget_space(object.get()), H5Sclose);
        const Handle dcpl(H5Dget_create_plist(object.get()), H5Pclose);
        if (!space.valid() || !dcpl.valid()) return name;
        const int rank = H5Sget_simple_extent_ndims(space.get());
        if (rank < 1 || rank > 2 || H5Pget_layout(dcpl.get()) != H5D_CHUNKED) continue;
        hsize_t dims[2] = {0, 0}, max_dims[2] = {0, 0}, chunk[2] = {1, 1};
        if (H5Sget_simple_extent_dims(space.get(), dims, max_dims) < 0 || H5Pget_chunk(dcpl.get(), rank, chunk) < 0)
            return name;
        if (max_dims[0] != H5S_UNLIMITED) continue;  // a series is extendible along time
        const auto last = static_cast<hsize_t>(rows - 1);
        if (dims[0] <= last || chunk[0] == 0) return name;  // its new length not yet in the copy
        // The chunk of the last row (its first column's): HADDR_UNDEF when the index lacks it.
        const hsize_t offset[2] = {last - last % chunk[0], 0};
        haddr_t address = HADDR_UNDEF;
        if (H5Dget_chunk_info_by_coord(object.get(), offset, nullptr, &address, nullptr) < 0 || address == HADDR_UNDEF)
            return name;
    }
    return "";
}

std::int64_t open_results_file(const std::string& path) {
    if (const auto copy = snapshot_of(path)) {
        if (!copy->file.empty()) return H5Fopen(copy->file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
        // Read-only; HDF5 copies the image and frees its copy. Opening the copy itself
        // (H5LT_FILE_IMAGE_DONT_COPY | H5LT_FILE_IMAGE_DONT_RELEASE) leaks 72 bytes of HDF5's
        // own on every open in Debian 12's HDF5 1.10.8 (LeakSanitizer), one more memcpy does not.
        return H5LTopen_file_image(const_cast<char*>(copy->bytes.data()), copy->bytes.size(), 0);
    }
    // A file a run is writing that could not be copied (it did not open): without HDF5's file
    // lock, in case another writer holds one. Otherwise HDF5's defaults, which a program
    // opening the file itself while a reader has it open must match.
    if (results_being_written(path)) {
        const Handle fapl(h5::reader_fapl(), H5Pclose);
        return H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get());
    }
    return H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
}

namespace {

// Throws a ResultsError when the copy of `path` lacks the last chunk of a series. A copy that
// does not open is left to the read itself to report.
void require_last_chunks(const std::string& path) {
    const std::lock_guard<std::recursive_mutex> lock(hdf5_mutex());
    QuietErrors quiet;
    const Handle file(static_cast<hid_t>(open_results_file(path)), H5Fclose);
    if (!file.valid()) return;
    const std::string missing = series_missing_last_chunk(file.get());
    if (!missing.empty())
        fail_plain(path, missing, "its last rows are not in this copy's chunk index: caught in the middle of an update");
}

}  // namespace

void read_retrying(const std::string& path, const std::function<void()>& read, double patience_s,
                   std::shared_ptr<void>* keep) {
    const auto start = std::chrono::steady_clock::now();
    double pause = 0.05;
    int attempts = 0;
    bool live = false;  // this attempt read a copy of a file being written
    while (true) {
        ++attempts;
        try {
            auto copy = std::make_shared<std::optional<SnapshotScope>>();
            live = results_being_written(path);
            if (live) {
                copy->emplace(path);
                // A copy can also catch a flush without failing to read: an old chunk index with
                // the new `rows`, whose newest rows HDF5 then gives as the fill value, NaN. Taken
                // again like a failed read. Only copies pay for it (a finished file has no lock).
                if ((*copy)->taken()) require_last_chunks(path);
            }
            read();
            if (keep != nullptr) *keep = std::move(copy);
            return;
        } catch (const CopyError&) {
            throw;
        } catch (const ResultsError& e) {
            // A copy that failed as its run ended: the file is final now, read it once more
            // (measured: bench/live_reads.sh met it).
            if (!results_being_written(path)) {
                if (!live) throw;
                continue;
            }
            const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            if (waited >= patience_s)
                throw ResultsError(fmt::format(
                    "results file '{}' is being written by a running dctwin run, and {} reads in {:.0f} s each met it "
                    "in the middle of an update; try again (a read that takes longer than the run's simulation.flush_interval "
                    "cannot succeed while it runs). Last error: {}",
                    path, attempts, waited, e.what()));
        }
        // Past the writer's next flush, soon enough for a reader that met one.
        std::this_thread::sleep_for(std::chrono::duration<double>(pause));
        pause = std::min(pause * 2, 2.0);
    }
}

ResultsReader::ResultsReader(const std::string& path) : impl_(std::make_unique<Impl>()) {
    const std::lock_guard<std::recursive_mutex> lock(hdf5_mutex());
    impl_->path = path;
    QuietErrors quiet;
    try {
        struct stat info {};
        if (::stat(path.c_str(), &info) != 0)
            throw ResultsError(fmt::format("results file '{}': {}", path, std::strerror(errno)));
        // HDF5 opens by name and would wait forever for a FIFO's writer (a directory is
        // left to HDF5: "not an HDF5 file").
        if (!S_ISREG(info.st_mode) && !S_ISDIR(info.st_mode))
            throw ResultsError(fmt::format("results file '{}': not a regular file", path));
        const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
        if (is_hdf5 <= 0) {
            h5::error_stack();
            throw ResultsError(fmt::format("results file '{}': not an HDF5 file", path));
        }
        const Checker c = impl_->check();
        impl_->file = c.handle(open_results_file(path), H5Fclose, "/", "cannot open the file");
        Handle root = c.handle(H5Oopen(impl_->file.get(), "/", H5P_DEFAULT), H5Oclose, "/", "cannot open the root group");
        const htri_t has_format = H5Aexists(root.get(), "format");
        c.ok(has_format, "/", "cannot check for the format attribute");
        if (has_format == 0) fail_plain(path, "/", "not a dctwin results file (no `format` attribute)");
        Handle attribute = c.handle(H5Aopen(root.get(), "format", H5P_DEFAULT), H5Aclose, "/", "cannot open `format`");
        const std::string format = read_one_string(c, attribute.get(), true, "attribute 'format' of '/'");
        if (format == "dctwin-sweep-summary")
            fail_plain(path, "/", "a sweep summary, not a run's results file: `dctwin plot SUMMARY.h5 --map X,Y -o MAP.png` "
                                  "draws it; the cases' own results files are in the sweep's cases/ folder");
        if (format != kFormat)
            fail_plain(path, "/", fmt::format("not a dctwin results file (format '{}', expected '{}')", format, kFormat));
        const AttributeValue version = this->attribute("/", "format_version");
        const auto* number = std::get_if<std::int64_t>(&version);
        if (number == nullptr || *number < 1)
            fail_plain(path, "/", "attribute `format_version` is not a positive integer");
        if (*number > kFormatVersion)
            fail_plain(path, "/",
                       fmt::format("format_version {} is newer than this dctwin reads ({}); update dctwin", *number,
                                   kFormatVersion));
        if (H5Aexists(root.get(), "status") > 0 && H5Aexists(root.get(), "rows") > 0) {
            const AttributeValue status = this->attribute("/", "status");
            const AttributeValue rows = this->attribute("/", "rows");
            const auto* text = std::get_if<std::string>(&status);
            const auto* count = std::get_if<std::int64_t>(&rows);
            if (text != nullptr && *text == "running" && count != nullptr && *count >= 0)
                impl_->rows_limit = static_cast<hsize_t>(*count);
        }
    } catch (...) {
        impl_->file.reset();  // closed under the lock, not by the unwinding after it
        throw;
    }
}

ResultsReader::~ResultsReader() {
    const std::lock_guard<std::recursive_mutex> lock(hdf5_mutex());
    if (!impl_) return;
    QuietErrors quiet;
    impl_->file.reset();
}

bool ResultsReader::exists(const std::string& object_path) const {
    const std::lock_guard<std::recursive_mutex> lock(hdf5_mutex());
    QuietErrors quiet;
    return link_exists(impl_->file.get(), object_path);
}

std::vector<double> ResultsReader::time() const { return read("/time"); }

std::vector<double> ResultsReader::read(const std::string& path, std::vector<std::size_t>* shape) const {
    const std::lock_guard<std::recursive_mutex> lock(hdf5_mutex());
    QuietErrors quiet;
    const Checker c = impl_->check();
    Handle dataset = impl_->open_dataset(path);
    Handle type = c.handle(H5Dget_type(dataset.get()), H5Tclose, path, "cannot get the type");
    const H5T_class_t type_class = H5Tget_class(type.get());
    if (type_class != H5T_FLOAT && type_class != H5T_INTEGER) fail_plain(impl_->path, path, "is not numeric");
    Handle space = c.handle(H5Dget_space(dataset.get()), H5Sclose, path, "cannot get the dataspace");
    const int rank = H5Sget_simple_extent_ndims(space.get());
    c.ok(rank, path, "cannot get the rank");
    if (rank > 2) fail_plain(impl_->path, path, fmt::format("has rank {}; read() handles 1-D and 2-D", rank));
    hsize_t dims[2] = {1, 1};
    hsize_t max_dims[2] = {1, 1};
    if (rank > 0) c.ok(H5Sget_simple_extent_dims(space.get(), dims, max_dims), path, "cannot get the dimensions");
    // An unfinished file: a series (extendible along time; /events has its own rule) is read
    // up to the rows of the last flush.
    const bool clamp = impl_->rows_limit && rank > 0 && max_dims[0] == H5S_UNLIMITED && !is_under(path, "/events") &&
                       dims[0] > *impl_->rows_limit;
    if (clamp) dims[0] = *impl_->rows_limit;
    std::size_t count = 1;
    std::vector<std::size_t> dimensions;
    for (int i = 0; i < rank; ++i) {
        dimensions.push_back(static_cast<std::size_t>(dims[i]));
        count *= static_cast<std::size_t>(dims[i]);
    }
    std::vector<double> values(count);
    if (count > 0 && clamp) {
        const hsize_t start[2] = {0, 0};
        c.ok(H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start, nullptr, dims, nullptr), path,
             "cannot select the rows on disk");
        Handle memory = c.handle(H5Screate_simple(rank, dims, nullptr), H5Sclose, path, "cannot create a dataspace");
        c.ok(H5Dread(dataset.get(), H5T_NATIVE_DOUBLE, memory.get(), space.get(), H5P_DEFAULT, values.data()), path,
             "cannot read the values");
    } else if (count > 0) {
        c.ok(H5Dread(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), path,
             "cannot read the values");
    }
    if (shape != nullptr) *shape = std::move(dimensions);
    return values;
}

std::vector<std::string> ResultsReader::read_strings(const std::string& path) const {
    const std::lock_guard<std::recursive_mutex> lock(hdf5_mutex());
    QuietErrors quiet;
    return impl_->strings(path);
}

std::string ResultsReader::read_text(const std::string& path) const {
    const std::lock_guard<std::recursive_mutex> lock(hdf5_mutex());
    QuietErrors quiet;
    Handle dataset = impl_->open_dataset(path);
    return read_one_string(impl_->check(), dataset.get(), false, path);
}

std::string ResultsReader::unit(const std::string& dataset_path) const {
    const AttributeValue value = attribute(dataset_path, "units");
    const auto* text = std::get_if<std::string>(&value);
    if (text == nullptr) fail_plain(impl_->path, dataset_path, "attribute `units` is not a string");
    return *text;
}

AttributeValue ResultsReader::attribute(const std::string& object_path, const std::string& name) const {
    const std::lock_guard<std::recursive_mutex> lock(hdf5_mutex());
    QuietErrors quiet;
    const Checker c = impl_->check();
    if (!link_exists(impl_->file.get(), object_path)) fail_plain(impl_->path, object_path, "no such object");
    Handle object = c.handle(H5Oopen(impl_->file.get(), object_path.c_str(), H5P_DEFAULT), H5Oclose, object_path,
                             "cannot open the object");
    const std::string where = fmt::format("attribute '{}' of '{}'", name, object_path);
    const htri_t exists = H5Aexists(object.get(), name.c_str());
    c.ok(exists, where, "cannot check whether the attribute exists");
    if (exists == 0) fail_plain(impl_->path, object_path, fmt::format("no attribute '{}'", name));
    Handle attribute = c.handle(H5Aopen(object.get(), name.c_str(), H5P_DEFAULT), H5Aclose, where,
                                "cannot open the attribute");
    Handle type = c.handle(H5Aget_type(attribute.get()), H5Tclose, where, "cannot get the type");
    Handle space = c.handle(H5Aget_space(attribute.get()), H5Sclose, where, "cannot get the dataspace");
    const H5T_class_t type_class = H5Tget_class(type.get());
    if (type_class == H5T_STRING) return read_one_string(c, attribute.get(), true, where);
    if (H5Sget_simple_extent_npoints(space.get()) != 1)
        fail_plain(impl_->path, where, "is not a single value");
    if (type_class == H5T_FLOAT) {
        double value = 0;
        c.ok(H5Aread(attribute.get(), H5T_NATIVE_DOUBLE, &value), where, "cannot read the attribute");
        return value;
    }
    if (type_class == H5T_INTEGER) {
        std::int64_t value = 0;
        c.ok(H5Aread(attribute.get(), H5T_NATIVE_INT64, &value), where, "cannot read the attribute");
        return value;
    }
    fail_plain(impl_->path, where, "is not a string, float or integer");
}

std::vector<ResultsReader::Event> ResultsReader::events() const {
    const std::vector<double> times = read("/events/time");
    const std::vector<std::string> paths = read_strings("/events/path");
    const std::vector<std::string> kinds = read_strings("/events/kind");
    const std::vector<std::string> messages = read_strings("/events/message");
    // After a crash the four datasets may differ in length: the shortest is complete.
    const std::size_t n = std::min({times.size(), paths.size(), kinds.size(), messages.size()});
    std::vector<Event> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) out.push_back({times[i], paths[i], kinds[i], messages[i]});
    return out;
}

}  // namespace dctwin
