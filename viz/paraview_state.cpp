// The ParaView state of a results file (viz/paraview_state.hpp).

#include "viz/paraview_state.hpp"

#include "viz/scene.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <limits>
#include <vector>

namespace dctwin::viz {

namespace fs = std::filesystem;

namespace {

// matplotlib's viridis at 17 points (ParaView's "Viridis (matplotlib)" preset, every 16th of
// its 256 colours), as `dctwin render` draws: no grey in the scale, unlike ParaView's default.
constexpr double kViridis[17][4] = {
    {0.0000, 0.267004, 0.004874, 0.329415}, {0.0627, 0.282327, 0.094955, 0.417331},
    {0.1255, 0.278826, 0.175490, 0.483397}, {0.1882, 0.258965, 0.251537, 0.524736},
    {0.2510, 0.229739, 0.322361, 0.545706}, {0.3137, 0.199430, 0.387607, 0.554642},
    {0.3765, 0.172719, 0.448791, 0.557885}, {0.4392, 0.149039, 0.508051, 0.557250},
    {0.5020, 0.127568, 0.566949, 0.550556}, {0.5647, 0.120638, 0.625828, 0.533488},
    {0.6275, 0.157851, 0.683765, 0.501686}, {0.6902, 0.246070, 0.738910, 0.452024},
    {0.7529, 0.369214, 0.788888, 0.382914}, {0.8157, 0.515992, 0.831158, 0.294279},
    {0.8784, 0.678489, 0.863742, 0.189503}, {0.9412, 0.845561, 0.887322, 0.099702},
    {1.0000, 0.993248, 0.906157, 0.143936}};

// Proxy ids: fixed, any distinct numbers do.
constexpr int kReader = 100, kBlock = 200, kBlockRep = 300, kClock = 400, kClockRep = 401, kTitle = 410,
              kTitleRep = 411, kLut = 500, kBar = 501, kView = 600, kLayout = 610, kKeeper = 620, kScene = 630,
              kCue = 631;

std::string element(double v) { return fmt::format("{}", v); }

std::string property(int id, const std::string& name, const std::vector<std::string>& values) {
    std::string x = fmt::format("<Property name=\"{}\" id=\"{}.{}\" number_of_elements=\"{}\">", name, id, name,
                                values.size());
    for (std::size_t i = 0; i < values.size(); ++i)
        x += fmt::format("<Element index=\"{}\" value=\"{}\"/>", i, markup_escape(values[i]));
    return x + "</Property>\n";
}
std::string property(int id, const std::string& name, const std::string& value) {
    return property(id, name, std::vector<std::string>{value});
}
std::string property(int id, const std::string& name, std::initializer_list<double> values) {
    std::vector<std::string> v;
    for (const double d : values) v.push_back(element(d));
    return property(id, name, v);
}
std::string proxies(int id, const std::string& name, const std::vector<int>& ids) {
    std::string x = fmt::format("<Property name=\"{}\" id=\"{}.{}\" number_of_elements=\"{}\">", name, id, name,
                                ids.size());
    for (const int p : ids) x += fmt::format("<Proxy value=\"{}\"/>", p);
    return x + "</Property>\n";
}
std::string input(int id, int source) {
    return fmt::format("<Property name=\"Input\" id=\"{}.Input\" number_of_elements=\"1\"><Proxy value=\"{}\" "
                       "output_port=\"0\"/></Property>\n",
                       id, source);
}
std::string open(const char* group, const char* type, int id, int servers) {
    return fmt::format("<Proxy group=\"{}\" type=\"{}\" id=\"{}\" servers=\"{}\">\n", group, type, id, servers);
}

// The field shown: the devices' junction temperature, else the racks' hottest junction, else
// the first field there is.
std::pair<const BoxGroup*, const CellField*> shown_field(const Scene& s) {
    for (const auto& [group, name] : {std::pair<const char*, const char*>{"devices", "junction_temperature"},
                                      {"racks", "max_junction_temperature"}})
        for (const auto& g : s.groups)
            if (g.name == group)
                for (const auto& f : g.fields)
                    if (f.name == name) return {&g, &f};
    for (const auto& g : s.groups)
        if (!g.fields.empty()) return {&g, &g.fields.front()};
    return {nullptr, nullptr};
}

}  // namespace

std::string state_path(const std::string& sidecar) {
    fs::path p(sidecar);
    if (p.extension() == ".xmf") return p.replace_extension(".pvsm").string();
    return sidecar + ".pvsm";
}

std::string paraview_state(const Scene& s, const std::string& sidecar) {
    std::error_code ec;
    const std::string xmf = fs::absolute(sidecar, ec).lexically_normal().string();
    const auto [group, field] = shown_field(s);
    const bool outline_racks =
        std::any_of(s.groups.begin(), s.groups.end(), [](const BoxGroup& g) { return g.name == "devices"; });
    const double t_last = s.times.back();

    // Colour range: the shown field at the last output time, widened to its least span.
    std::string array = field ? fmt::format("{} [{}]", field->name, field->unit.empty() ? "-" : field->unit) : "";
    double lo = 0, hi = 1;
    if (field) {
        double a = std::numeric_limits<double>::infinity(), b = -a;
        for (const double v : read_row(s.file, field->dataset, s.steps.back()))
            if (std::isfinite(v)) a = std::min(a, v), b = std::max(b, v);
        if (a <= b) lo = a, hi = b;
        least_span(field->unit, lo, hi);
    }

    // Camera as ParaView's ResetCamera places it (the bounding sphere filling a 30 degree
    // view), from the front left and above.
    double box_lo[3] = {1e300, 1e300, 1e300}, box_hi[3] = {-1e300, -1e300, -1e300};
    for (const auto& g : s.groups)
        for (const auto& b : g.boxes) {
            const double c0[3] = {b.x, b.y, b.z}, c1[3] = {b.x + b.width, b.y + b.depth, b.z + b.height};
            for (int k = 0; k < 3; ++k) box_lo[k] = std::min(box_lo[k], c0[k]), box_hi[k] = std::max(box_hi[k], c1[k]);
        }
    double focus[3], radius = 0;
    for (int k = 0; k < 3; ++k) {
        focus[k] = 0.5 * (box_lo[k] + box_hi[k]);
        radius += (box_hi[k] - box_lo[k]) * (box_hi[k] - box_lo[k]);
    }
    radius = radius > 0 ? 0.5 * std::sqrt(radius) : 1.0;
    const double view_angle = 30;  // [degree] ParaView's default
    const double pi = std::acos(-1.0);
    const double distance = radius / std::sin(view_angle * pi / 360.0);
    const double dir[3] = {-0.55, -1.0, 0.85};
    const double norm = std::sqrt(dir[0] * dir[0] + dir[1] * dir[1] + dir[2] * dir[2]);
    double eye[3];
    for (int k = 0; k < 3; ++k) eye[k] = focus[k] + distance * dir[k] / norm;

    // The time in the run's unit: min up to 2 h, h up to 2 days, d beyond.
    const auto [unit_name, scale] = t_last <= 7200    ? std::pair<const char*, double>{"min", 1.0 / 60}
                                    : t_last <= 172800 ? std::pair<const char*, double>{"h", 1.0 / 3600}
                                                       : std::pair<const char*, double>{"d", 1.0 / 86400};

    std::string x;
    x += "<?xml version=\"1.0\"?>\n";
    x += fmt::format("<!-- dctwin: ParaView 5.11 state for {} (`paraview {}`, or File > Load State). Written by "
                     "dctwin, not by ParaView: unset properties take ParaView's defaults. -->\n",
                     markup_escape(fs::path(xmf).filename().string()),
                     markup_escape(fs::path(state_path(xmf)).filename().string()));
    x += "<ParaView>\n<ServerManagerState version=\"5.11.0\">\n";
    x += open("sources", "Xdmf3ReaderT", kReader, 1) + property(kReader, "FileName", xmf) + "</Proxy>\n";

    std::vector<int> reps, sources{kReader};
    std::string collection_sources = fmt::format("<Item id=\"{}\" name=\"{}\"/>\n", kReader,
                                                 markup_escape(fs::path(xmf).filename().string()));
    std::string collection_reps;
    for (std::size_t gi = 0; gi < s.groups.size(); ++gi) {
        const BoxGroup& g = s.groups[gi];
        const int block = kBlock + int(gi), rep = kBlockRep + int(gi);
        const bool coloured = &g == group;
        const bool outline = outline_racks && g.name == "racks";
        x += open("filters", "ExtractBlock", block, 1) + input(block, kReader) +
             property(block, "Selectors", "/Root/" + g.name) + "</Proxy>\n";
        x += open("representations", "UnstructuredGridRepresentation", rep, 21) + input(rep, block);
        // Edges outline racks and halls; on the thin device slabs they would hide the colours.
        x += property(rep, "Representation", g.name == "devices" || outline ? "Surface" : "Surface With Edges");
        x += property(rep, "EdgeColor", {0.15, 0.15, 0.18});
        x += property(rep, "LineWidth", {outline ? (coloured ? 3.0 : 2.0) : 1.0});
        if (coloured) {
            x += property(rep, "ColorArrayName", std::vector<std::string>{"", "", "", "1", array});
            x += proxies(rep, "LookupTable", {kLut});
        } else {
            x += property(rep, "ColorArrayName", std::vector<std::string>{"", "", "", "1", ""});
            const double grey = outline ? 0.3 : 0.72;
            x += property(rep, "AmbientColor", {grey, grey + 0.01, grey + 0.03});
            x += property(rep, "DiffuseColor", {grey, grey + 0.01, grey + 0.03});
        }
        x += "</Proxy>\n";
        reps.push_back(rep);
        sources.push_back(block);
        collection_sources += fmt::format("<Item id=\"{}\" name=\"{}\"/>\n", block, markup_escape(g.name));
        collection_reps += fmt::format("<Item id=\"{}\" name=\"{}\"/>\n", rep, markup_escape(g.name));
    }

    // The time, and the title.
    x += open("filters", "TimeToTextConvertor", kClock, 1) + input(kClock, kReader) +
         property(kClock, "Format", fmt::format("t = {{time:.1f}} {}", unit_name)) +
         property(kClock, "Scale", {scale}) + "</Proxy>\n";
    const std::string title =
        field ? fmt::format("{}: {} of the {}", s.site.empty() ? fs::path(s.file).filename().string() : s.site,
                            display_name(field->name), group->name)
              : s.site;
    x += open("sources", "TextSource", kTitle, 1) + property(kTitle, "Text", title) + "</Proxy>\n";
    for (const auto& [rep, source, corner] : {std::array<int, 3>{kClockRep, kClock, 5}, {kTitleRep, kTitle, 4}}) {
        x += open("representations", "TextSourceRepresentation", rep, 21) + input(rep, source) +
             property(rep, "WindowLocation", {double(corner)}) + property(rep, "FontSize", {18}) +
             property(rep, "Color", {0.1, 0.1, 0.12}) + "</Proxy>\n";
        reps.push_back(rep);
    }
    sources.push_back(kClock);
    sources.push_back(kTitle);
    collection_sources += fmt::format("<Item id=\"{}\" name=\"time\"/>\n<Item id=\"{}\" name=\"title\"/>\n", kClock, kTitle);
    collection_reps += fmt::format("<Item id=\"{}\" name=\"time\"/>\n<Item id=\"{}\" name=\"title\"/>\n", kClockRep, kTitleRep);

    // The colour scale and its bar.
    std::vector<std::string> points;
    for (const auto& p : kViridis)
        for (int k = 0; k < 4; ++k) points.push_back(element(k == 0 ? lo + p[0] * (hi - lo) : p[k]));
    x += open("lookup_tables", "PVLookupTable", kLut, 21) + property(kLut, "RGBPoints", points) +
         property(kLut, "ColorSpace", {0}) + property(kLut, "NanColor", {0.6, 0.6, 0.6}) +
         property(kLut, "AutomaticRescaleRangeMode", {-1}) + property(kLut, "ScalarRangeInitialized", {1}) +
         "</Proxy>\n";
    const std::string unit = field ? display_unit(field->unit) : "";
    x += open("representations", "ScalarBarWidgetRepresentation", kBar, 21) + proxies(kBar, "LookupTable", {kLut}) +
         property(kBar, "Title", field ? display_name(field->name) + (unit.empty() ? "" : " [" + unit + "]") : "") +
         property(kBar, "ComponentTitle", "") + property(kBar, "TitleColor", {0.1, 0.1, 0.12}) +
         property(kBar, "LabelColor", {0.1, 0.1, 0.12}) + property(kBar, "TitleFontSize", {16}) +
         property(kBar, "LabelFontSize", {14}) + property(kBar, "RangeLabelFormat", "%-#.4g") +
         property(kBar, "WindowLocation", {2}) + property(kBar, "Visibility", {field ? 1.0 : 0.0}) +
         property(kBar, "Enabled", {field ? 1.0 : 0.0}) + "</Proxy>\n";
    reps.push_back(kBar);

    x += open("views", "RenderView", kView, 21) + proxies(kView, "Representations", reps) +
         property(kView, "CameraPosition", {eye[0], eye[1], eye[2]}) +
         property(kView, "CameraFocalPoint", {focus[0], focus[1], focus[2]}) +
         property(kView, "CameraViewUp", {0, 0, 1}) + property(kView, "CameraViewAngle", {view_angle}) +
         property(kView, "CenterOfRotation", {focus[0], focus[1], focus[2]}) +
         property(kView, "OrientationAxesVisibility", {1}) + property(kView, "Background", {0.98, 0.98, 0.99}) +
         property(kView, "UseColorPaletteForBackground", {0}) + property(kView, "ViewTime", {t_last}) + "</Proxy>\n";
    x += open("misc", "ViewLayout", kLayout, 20) +
         fmt::format("<Layout number_of_elements=\"1\"><Item direction=\"0\" fraction=\"0.5\" view=\"{}\"/></Layout>\n",
                     kView) +
         "</Proxy>\n";
    x += open("misc", "TimeKeeper", kKeeper, 16) + property(kKeeper, "Time", {t_last}) +
         proxies(kKeeper, "TimeSources", sources) + proxies(kKeeper, "Views", {kView}) + "</Proxy>\n";
    x += open("animation", "AnimationScene", kScene, 16) + property(kScene, "AnimationTime", {t_last}) +
         proxies(kScene, "Cues", {kCue}) + property(kScene, "StartTime", {s.times.front()}) +
         property(kScene, "EndTime", {t_last}) + property(kScene, "PlayMode", {2}) +  // snap to time steps
         proxies(kScene, "TimeKeeper", {kKeeper}) + proxies(kScene, "ViewModules", {kView}) + "</Proxy>\n";
    x += open("animation", "TimeAnimationCue", kCue, 16) + proxies(kCue, "AnimatedProxy", {kKeeper}) +
         property(kCue, "AnimatedPropertyName", "Time") + property(kCue, "UseAnimationTime", {1}) + "</Proxy>\n";

    x += "<ProxyCollection name=\"sources\">\n" + collection_sources + "</ProxyCollection>\n";
    x += "<ProxyCollection name=\"representations\">\n" + collection_reps + "</ProxyCollection>\n";
    x += fmt::format("<ProxyCollection name=\"scalar_bars\"><Item id=\"{}\" name=\"ScalarBar\"/></ProxyCollection>\n", kBar);
    x += fmt::format("<ProxyCollection name=\"lookup_tables\"><Item id=\"{}\" name=\"{}.PVLookupTable\"/></ProxyCollection>\n",
                     kLut, markup_escape(array));
    x += fmt::format("<ProxyCollection name=\"views\"><Item id=\"{}\" name=\"RenderView1\"/></ProxyCollection>\n", kView);
    x += fmt::format("<ProxyCollection name=\"layouts\"><Item id=\"{}\" name=\"Layout #1\"/></ProxyCollection>\n", kLayout);
    x += fmt::format("<ProxyCollection name=\"timekeeper\"><Item id=\"{}\" name=\"TimeKeeper1\"/></ProxyCollection>\n", kKeeper);
    x += fmt::format("<ProxyCollection name=\"animation\"><Item id=\"{}\" name=\"AnimationScene1\"/>"
                     "<Item id=\"{}\" name=\"TimeAnimationCue1\"/></ProxyCollection>\n",
                     kScene, kCue);
    x += "</ServerManagerState>\n</ParaView>\n";
    return x;
}

}  // namespace dctwin::viz
