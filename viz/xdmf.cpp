// The XDMF 2 sidecar of a results file (viz/xdmf.hpp).

#include "viz/xdmf.hpp"

#include "viz/results.hpp"
#include "viz/scene.hpp"

#include <fmt/format.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>

namespace dctwin::viz {

namespace fs = std::filesystem;

namespace {

std::string xml_escape(const std::string& text) {
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

std::string document(const Scene& s, const std::string& h5_reference) {
    std::string x;
    x += "<?xml version=\"1.0\" ?>\n";
    x += fmt::format(
        "<!-- dctwin results sidecar for {}: the site's boxes over time. ParaView 5.11: File > Open, then\n"
        "     \"Xdmf Reader\" (XDMF 2; the Xdmf3 readers show nothing), or viz/paraview/open_results.py.\n"
        "     Cell fields are rows of the series in the results file; units below. -->\n",
        xml_escape(fs::path(s.file).filename().string()));
    x += "<Xdmf Version=\"2.0\">\n <Domain>\n";
    x += fmt::format("  <Information Name=\"results\" Value=\"{}\"/>\n", xml_escape(h5_reference));
    x += fmt::format("  <Information Name=\"site\" Value=\"{}\"/>\n", xml_escape(s.site));
    x += fmt::format("  <Information Name=\"status\" Value=\"{}\"/>\n", xml_escape(s.status));
    x += "  <Information Name=\"units:time\" Value=\"s\"/>\n";
    for (const auto& g : s.groups)
        for (const auto& f : g.fields)
            x += fmt::format("  <Information Name=\"units:{}/{}\" Value=\"{}\"/>\n", xml_escape(g.name),
                             xml_escape(f.name), xml_escape(f.unit));
    for (const auto& g : s.groups) {
        x += fmt::format("  <Geometry Name=\"{}\" GeometryType=\"XYZ\">\n", xml_escape(g.name));
        x += fmt::format("   <DataItem Dimensions=\"{} 3\" NumberType=\"Float\" Precision=\"8\" Format=\"XML\">\n",
                         8 * g.boxes.size());
        for (const auto& b : g.boxes)
            for (const auto& c : kBoxCorners)
                x += fmt::format("    {} {} {}\n", b.x + c[0] * b.width, b.y + c[1] * b.depth, b.z + c[2] * b.height);
        x += "   </DataItem>\n  </Geometry>\n";
    }
    for (std::size_t gi = 0; gi < s.groups.size(); ++gi) {
        const auto& g = s.groups[gi];
        const std::string name = xml_escape(g.name);
        const std::size_t n = g.boxes.size();
        x += fmt::format("  <Grid Name=\"{}\" GridType=\"Collection\" CollectionType=\"Temporal\">\n", name);
        for (std::size_t k = 0; k < s.times.size(); ++k) {
            x += fmt::format("   <Grid Name=\"{}\" GridType=\"Uniform\">\n    <Time Value=\"{}\"/>\n", name, s.times[k]);
            x += fmt::format("    <Topology TopologyType=\"Hexahedron\" NumberOfElements=\"{}\"/>\n", n);
            x += fmt::format("    <Geometry GeometryType=\"XYZ\" Reference=\"/Xdmf/Domain/Geometry[{}]\"/>\n", gi + 1);
            for (const auto& f : g.fields) {
                x += fmt::format("    <Attribute Name=\"{}\" AttributeType=\"Scalar\" Center=\"Cell\">\n",
                                 xml_escape(f.name));
                x += fmt::format("     <DataItem ItemType=\"HyperSlab\" Dimensions=\"1 {}\" NumberType=\"Float\" "
                                 "Precision=\"8\">\n",
                                 n);
                x += fmt::format("      <DataItem Dimensions=\"3 2\" NumberType=\"Int\" Format=\"XML\">{} 0 1 1 1 {}"
                                 "</DataItem>\n",
                                 s.steps[k], n);
                x += fmt::format("      <DataItem Dimensions=\"{} {}\" NumberType=\"Float\" Precision=\"8\" "
                                 "Format=\"HDF\">{}:{}</DataItem>\n",
                                 f.file_rows, n, xml_escape(h5_reference), xml_escape(f.dataset));
                x += "     </DataItem>\n    </Attribute>\n";
            }
            x += "   </Grid>\n";
        }
        x += "  </Grid>\n";
    }
    x += " </Domain>\n</Xdmf>\n";
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

XdmfSummary write_xdmf(const std::string& results, const std::string& output) {
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
    write_file(sum.path, document(s, reference.string()));
    sum.steps = s.times.size();
    sum.t_first = s.times.front();
    sum.t_last = s.times.back();
    for (const auto& g : s.groups) sum.grids.push_back({g.name, g.boxes.size(), g.fields.size()});
    return sum;
}

int xdmf_command(const std::string& results, const std::string& output) {
    try {
        const XdmfSummary sum = write_xdmf(results, output);
        std::string grids;
        for (const auto& g : sum.grids)
            grids += fmt::format("; {}: {} boxes, {} fields", g.name, g.cells, g.fields);
        fmt::print("{}: {} time steps, {} s to {} s{}\n", sum.path, sum.steps, sum.t_first, sum.t_last, grids);
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
        if (announce) fmt::print("  ParaView: {} (File > Open, Xdmf Reader)\n", sum.path);
    } catch (const std::exception& e) {
        std::fflush(stdout);
        fmt::print(stderr, "dctwin: warning: no ParaView sidecar: {}\n", e.what());
    }
}

}  // namespace dctwin::viz
