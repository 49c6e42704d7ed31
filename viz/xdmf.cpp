// The XDMF sidecar of a results file (viz/xdmf.hpp).

#include "viz/xdmf.hpp"

#include "io/results.hpp"
#include "viz/paraview_state.hpp"
#include "viz/scene.hpp"

#include <fmt/format.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>

namespace dctwin::viz {

namespace fs = std::filesystem;

namespace {


// A box's 12 edges as one 16-point polyline (three edges drawn twice), in kBoxCorners order:
// a rack drawn this way is one cell, coloured by its field, with its devices visible inside.
constexpr int kBoxOutline[16] = {0, 1, 2, 3, 0, 4, 5, 6, 7, 4, 5, 1, 2, 6, 7, 3};

std::string ordinal(std::size_t n) {
    const char* suffix = n % 100 / 10 == 1 ? "th" : n % 10 == 1 ? "st" : n % 10 == 2 ? "nd" : n % 10 == 3 ? "rd" : "th";
    return fmt::format("{}{}", n, suffix);
}

std::string array_name(const CellField& f) { return fmt::format("{} [{}]", f.name, f.unit.empty() ? "-" : f.unit); }

// The sidecar of `s` showing the time steps `shown` (indices into s.times, increasing).
std::string document(const Scene& s, const std::string& h5_reference, XdmfFlavour flavour,
                     const std::vector<std::size_t>& shown, std::size_t stride) {
    const bool legacy = flavour == XdmfFlavour::legacy;
    const std::string h5 = markup_escape(h5_reference);
    // Racks become outlines when the devices inside them are drawn.
    const bool outline_racks =
        std::any_of(s.groups.begin(), s.groups.end(), [](const BoxGroup& g) { return g.name == "devices"; });
    std::string x;
    x.reserve(shown.size() * 160 * (1 + s.field_names().size()));
    x += "<?xml version=\"1.0\" ?>\n";
    x += fmt::format(
        "<!-- dctwin results sidecar for {}: the site's boxes over time, for ParaView (File > Open, any XDMF reader{}).\n"
        "     Cell fields are rows of the series in the results file, named \"field [unit]\"; time in s. -->\n",
        markup_escape(fs::path(s.file).filename().string()),
        legacy ? "; this one is for \"XDMF Reader\" (XDMF 2)" : ": Xdmf3ReaderS/T; \"XDMF Reader\" shows no fields");
    x += fmt::format("<Xdmf Version=\"{}\" xmlns:xi=\"http://www.w3.org/2001/XInclude\">\n<Domain>\n",
                     legacy ? "2.0" : "3.0");
    x += fmt::format("<Information Name=\"results\" Value=\"{}\"/>\n", h5);
    x += fmt::format("<Information Name=\"site\" Value=\"{}\"/>\n", markup_escape(s.site));
    x += fmt::format("<Information Name=\"status\" Value=\"{}\"/>\n", markup_escape(s.status));
    x += "<Information Name=\"units:time\" Value=\"s\"/>\n";
    // Every `stride`-th output time and the last (1: every one): the sidecar no larger than
    // its results file (write_xdmf).
    x += fmt::format("<Information Name=\"stride\" Value=\"{}\"/>\n", stride);
    // For views that show dates: t = 0 is this long after January 1, 00:00 (EPW runs).
    if (s.calendar) x += fmt::format("<Information Name=\"calendar_start\" Value=\"{}\"/>\n", *s.calendar);
    for (const auto& g : s.groups)
        for (const auto& f : g.fields)
            x += fmt::format("<Information Name=\"units:{}/{}\" Value=\"{}\"/>\n", markup_escape(g.name),
                             markup_escape(f.name), markup_escape(f.unit));
    // Written once, included by every step (XInclude: both ParaView XDMF readers resolve it).
    for (const auto& g : s.groups) {
        const std::size_t n = g.boxes.size();
        const bool outline = outline_racks && g.name == "racks";
        if (outline)
            x += fmt::format("<Topology Name=\"{}\" TopologyType=\"Polyline\" NodesPerElement=\"16\" "
                             "NumberOfElements=\"{}\">\n<DataItem Dimensions=\"{} 16\" NumberType=\"Int\" Format=\"XML\">",
                             markup_escape(g.name), n, n);
        else
            x += fmt::format("<Topology Name=\"{}\" TopologyType=\"Hexahedron\" NumberOfElements=\"{}\">\n"
                             "<DataItem Dimensions=\"{} 8\" NumberType=\"Int\" Format=\"XML\">",
                             markup_escape(g.name), n, n);
        for (std::size_t i = 0; i < n; ++i) {
            x += '\n';
            if (outline)
                for (const int c : kBoxOutline) x += fmt::format("{} ", 8 * i + std::size_t(c));
            else
                for (std::size_t c = 0; c < 8; ++c) x += fmt::format("{} ", 8 * i + c);
        }
        x += "\n</DataItem>\n</Topology>\n";
        x += fmt::format("<Geometry Name=\"{}\" GeometryType=\"XYZ\">\n"
                         "<DataItem Dimensions=\"{} 3\" NumberType=\"Float\" Precision=\"8\" Format=\"XML\">\n",
                         markup_escape(g.name), 8 * n);
        for (const auto& b : g.boxes)
            for (const auto& c : kBoxCorners)
                x += fmt::format("{} {} {}\n", b.x + c[0] * b.width, b.y + c[1] * b.depth, b.z + c[2] * b.height);
        x += "</DataItem>\n</Geometry>\n";
    }
    // The legacy reader selects a row with a HyperSlab item around the whole series, also
    // written once; the Xdmf3 readers cannot type a HyperSlab (they skip it) and take the
    // selection in the HDF reference itself: FILE:/DATASET|start:stride:count:dims.
    std::vector<std::vector<std::size_t>> series_item(s.groups.size());
    std::size_t items = 0;
    if (legacy)
        for (std::size_t gi = 0; gi < s.groups.size(); ++gi)
            for (const auto& f : s.groups[gi].fields) {
                series_item[gi].push_back(++items);
                x += fmt::format("<DataItem Dimensions=\"{} {}\" NumberType=\"Float\" Precision=\"8\" Format=\"HDF\">"
                                 "{}:{}</DataItem>\n",
                                 f.file_rows, s.groups[gi].boxes.size(), h5, markup_escape(f.dataset));
            }
    auto group_grid = [&](std::size_t gi, std::size_t k, const std::string& time) {
        const auto& g = s.groups[gi];
        const std::size_t n = g.boxes.size();
        x += fmt::format("<Grid Name=\"{}\">{}<xi:include xpointer=\"xpointer(/Xdmf/Domain/Topology[{}])\"/>"
                         "<xi:include xpointer=\"xpointer(/Xdmf/Domain/Geometry[{}])\"/>\n",
                         markup_escape(g.name), time, gi + 1, gi + 1);
        for (std::size_t fi = 0; fi < g.fields.size(); ++fi) {
            const auto& f = g.fields[fi];
            x += fmt::format("<Attribute Name=\"{}\" Center=\"Cell\">", markup_escape(array_name(f)));
            if (legacy)
                x += fmt::format("<DataItem ItemType=\"HyperSlab\" Dimensions=\"1 {}\" NumberType=\"Float\" "
                                 "Precision=\"8\"><DataItem Dimensions=\"3 2\" NumberType=\"Int\" Format=\"XML\">"
                                 "{} 0 1 1 1 {}</DataItem><xi:include xpointer=\"xpointer(/Xdmf/Domain/DataItem[{}])\"/>"
                                 "</DataItem>",
                                 n, s.steps[k], n, series_item[gi][fi]);
            else  // start: row 0; stride: 1 1; count: n (ParaView 5.11 refuses "1 n"); dims on disk
                x += fmt::format("<DataItem Dimensions=\"{}\" NumberType=\"Float\" Precision=\"8\" Format=\"HDF\">"
                                 "{}:{}|{} 0:1 1:1 {}:{} {}</DataItem>",
                                 n, h5, markup_escape(f.dataset), s.steps[k], n, f.file_rows, n);
            x += "</Attribute>\n";
        }
        x += "</Grid>\n";
    };
    if (legacy) {
        // One temporal collection per group: the legacy reader names a block after its grid
        // only when the name is unique ("racks", not "racks[60]").
        for (std::size_t gi = 0; gi < s.groups.size(); ++gi) {
            x += fmt::format("<Grid Name=\"{}\" GridType=\"Collection\" CollectionType=\"Temporal\">\n",
                             markup_escape(s.groups[gi].name));
            for (const std::size_t k : shown) group_grid(gi, k, fmt::format("<Time Value=\"{}\"/>", s.times[k]));
            x += "</Grid>\n";
        }
    } else {
        // One temporal collection, each step a spatial collection of the groups: Xdmf3ReaderT
        // makes a block per group, Xdmf3ReaderS a piece per group in this order.
        x += "<Grid Name=\"site\" GridType=\"Collection\" CollectionType=\"Temporal\">\n";
        for (const std::size_t k : shown) {
            x += fmt::format("<Grid GridType=\"Collection\" CollectionType=\"Spatial\"><Time Value=\"{}\"/>\n",
                             s.times[k]);
            for (std::size_t gi = 0; gi < s.groups.size(); ++gi) group_grid(gi, k, "");
            x += "</Grid>\n";
        }
        x += "</Grid>\n";
    }
    x += "</Domain>\n</Xdmf>\n";
    return x;
}

void write_file(const std::string& path, const std::string& text) {
    // Written aside and renamed: ParaView may be reading the old sidecar.
    const std::string aside = fmt::format("{}.tmp-{}", path, ::getpid());
    // A new file of our own (O_EXCL, no link followed); the rename then replaces whatever is
    // at `path`, a symbolic link included, never the file a link points to.
    const int fd = ::open(aside.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    std::unique_ptr<FILE, int (*)(FILE*)> f(fd >= 0 ? ::fdopen(fd, "wb") : nullptr, std::fclose);
    if (fd >= 0 && !f) ::close(fd);
    if (!f) throw std::runtime_error(fmt::format("cannot write '{}': {}", path, std::strerror(errno)));
    const bool written = std::fwrite(text.data(), 1, text.size(), f.get()) == text.size();
    const int saved = errno;
    if (!written || std::fclose(f.release()) != 0) {
        const int cause = written ? errno : saved;
        std::remove(aside.c_str());
        throw std::runtime_error(fmt::format("cannot write '{}': {}", path, std::strerror(cause)));
    }
    if (std::rename(aside.c_str(), path.c_str()) != 0) {
        const int cause = errno;
        std::remove(aside.c_str());
        throw std::runtime_error(fmt::format("cannot write '{}': {}", path, std::strerror(cause)));
    }
}

}  // namespace

std::string sidecar_path(const std::string& results) {
    fs::path p(results);
    const auto ext = p.extension().string();
    if (ext == ".h5" || ext == ".hdf5") return p.replace_extension(".xmf").string();
    return results + ".xmf";
}

XdmfSummary write_xdmf(const std::string& results, const std::string& output, XdmfFlavour flavour, bool all_steps) {
    const Scene s = load_scene(results);
    XdmfSummary sum;
    sum.path = output.empty() ? sidecar_path(results) : output;
    if (std::error_code same; fs::equivalent(results, sum.path, same))
        throw ViewError(fmt::format("-o {}: that is the results file itself; the sidecar would replace it", sum.path));
    // The rename would replace a device node or FIFO (as root, /dev/null itself); a link is
    // replaced, not followed; a directory makes the rename fail ("cannot write").
    if (struct stat st {};
        ::lstat(sum.path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode) && !S_ISDIR(st.st_mode))
        throw ViewError(fmt::format("-o {}: not a regular file; a sidecar is written only as one", sum.path));
    // The HDF5 file as seen from the sidecar's folder: the pair can be moved together.
    std::error_code ec;
    const fs::path folder = fs::absolute(sum.path, ec).parent_path();
    fs::path reference = fs::relative(fs::absolute(results, ec), folder, ec);
    if (ec || reference.empty()) reference = fs::absolute(results, ec);
    // At most as many steps as keep the sidecar no larger than its results file (one XML item
    // per field and step, ~200 bytes, against ~65 bytes per row of a field in the compressed
    // results): every `stride`-th output time and the last; all of them with `all_steps`.
    const std::size_t n = s.times.size();
    std::size_t stride = 1;
    if (!all_steps && n > 2) {
        const std::string ref = reference.string();
        // Measured on the last steps, whose row numbers and times are the longest.
        const std::size_t one = document(s, ref, flavour, {n - 1}, n).size();
        const std::size_t per_step = document(s, ref, flavour, {n - 2, n - 1}, n).size() - one;
        const std::uintmax_t budget = fs::file_size(results, ec);
        const std::size_t fit = ec || budget <= one ? 2 : std::max<std::size_t>(2, 1 + (budget - one) / per_step);
        if (n > fit) stride = (n - 1 + (fit - 1) - 1) / (fit - 1);
    }
    std::vector<std::size_t> shown;
    for (std::size_t k = 0; k < n; k += stride) shown.push_back(k);
    if (shown.back() != n - 1) shown.push_back(n - 1);
    write_file(sum.path, document(s, reference.string(), flavour, shown, stride));
    // The default view as a ParaView state next to it (not for the legacy reader's flavour).
    if (flavour == XdmfFlavour::xdmf3) {
        sum.state = state_path(sum.path);
        if (std::error_code same; fs::equivalent(results, sum.state, same))
            throw ViewError(fmt::format("{}: that is the results file itself; the ParaView state would replace it", sum.state));
        write_file(sum.state, paraview_state(s, sum.path));
    }
    sum.steps = shown.size();
    sum.output_times = n;
    sum.stride = stride;
    sum.t_first = s.times.front();
    sum.t_last = s.times.back();
    for (const auto& g : s.groups) sum.grids.push_back({g.name, g.boxes.size(), g.fields.size()});
    return sum;
}

int xdmf_command(const std::string& results, const std::string& output, XdmfFlavour flavour, bool all_steps) {
    try {
        XdmfSummary sum;
        read_retrying(results, [&] { sum = write_xdmf(results, output, flavour, all_steps); });
        std::string grids;
        for (const auto& g : sum.grids)
            grids += fmt::format("; {}: {} boxes, {} fields", g.name, g.cells, g.fields);
        fmt::print("{}: {} time steps, {} s to {} s{}\n", sum.path, sum.steps, sum.t_first, sum.t_last, grids);
        if (sum.stride > 1)
            fmt::print("  every {} of the {} output times and the last: the sidecar no larger than its results "
                       "(--all-steps for every one)\n",
                       ordinal(sum.stride), sum.output_times);
        if (!sum.state.empty()) fmt::print("{}: the default view (paraview {})\n", sum.state, sum.state);
        return 0;
    } catch (const ResultsError& e) {
        fmt::print(stderr, "dctwin: error: {}\n", e.what());
        return 2;
    } catch (const ViewError& e) {
        fmt::print(stderr, "dctwin: error: {}\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        fmt::print(stderr, "dctwin: error: {}\n", e.what());
        return 1;
    }
}

void write_sidecar_after_run(const std::string& results, bool announce) {
    try {
        const XdmfSummary sum = write_xdmf(results);
        if (announce)
            fmt::print("  ParaView: paraview {} (or File > Load State; File > Open {}: the data alone)\n", sum.state,
                       sum.path);
    } catch (const std::exception& e) {
        std::fflush(stdout);
        fmt::print(stderr, "dctwin: warning: no ParaView sidecar: {}\n", e.what());
    }
}

}  // namespace dctwin::viz
