// Time-series charts of a results file with VTK's charts (viz/render.hpp).

#include "viz/render.hpp"

#include "viz/render_common.hpp"
#include "viz/render_display.hpp"
#include "io/results.hpp"
#include "viz/scene.hpp"

#include <fmt/format.h>

#include <vtkAxis.h>
#include <vtkChartLegend.h>
#include <vtkChartMatrix.h>
#include <vtkChartXY.h>
#include <vtkContextScene.h>
#include <vtkContextView.h>
#include <vtkDoubleArray.h>
#include <vtkNew.h>
#include <vtkPen.h>
#include <vtkPlot.h>
#include <vtkRenderWindow.h>
#include <vtkRenderer.h>
#include <vtkTable.h>
#include <vtkTextProperty.h>
#include <vtkVector.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace dctwin::viz {

namespace {

constexpr std::size_t kTopColumns = 5;  // lines of a 2-D series: its highest columns

struct Line {
    std::string label;
    std::vector<double> values;
    bool limit = false;  // the dashed line at a limit
};

struct Panel {
    std::string title, unit;
    std::vector<Line> lines;
    std::string axis = {};  // the vertical axis's title where the unit alone says too little ("1")
};

// Reads the file's series with its valid rows only.
class Series {
public:
    explicit Series(const std::string& file)
        : file_(file), reader_(file), info_(catalogue(file)), time_(output_times(reader_)) {
        while (!time_.empty() && !std::isfinite(time_.back())) time_.pop_back();
        if (time_.empty()) throw ViewError(fmt::format("results file '{}' has no output rows: nothing to plot", file));
    }
    const std::vector<double>& time() const { return time_; }
    std::string site() const { return text_attribute(reader_, "/", "site"); }
    const DatasetInfo* find(std::string path) const {
        if (path.empty() || path.front() != '/') path = "/" + path;
        for (const auto& d : info_)
            if (d.path == path) return &d;
        return nullptr;
    }
    const std::vector<DatasetInfo>& all() const { return info_; }
    bool is_series(const DatasetInfo& d) const {
        return d.numeric && d.extendible && !d.dims.empty() && d.dims.size() <= 2 && d.path.rfind("/events/", 0) != 0;
    }
    // A 1-D series, or column `c` of a 2-D one, cut or padded (NaN) to the valid rows.
    std::vector<double> column(const DatasetInfo& d, std::size_t c = 0) const {
        std::vector<double> v = d.dims.size() == 2 ? read_column(file_, d.path, c, time_.size())
                                                   : read_column_1d(d);
        v.resize(time_.size(), std::nan(""));
        return v;
    }
    std::vector<double> peaks(const DatasetInfo& d) const { return column_peaks(file_, d.path, time_.size()); }
    std::vector<std::string> labels(const DatasetInfo& d) const {
        std::vector<std::string> out;
        if (!d.columns.empty()) {
            try {
                out = reader_.read_strings(d.columns);
            } catch (const ResultsError&) {
            }
        }
        const std::size_t width = d.dims.size() == 2 ? d.dims[1] : 1;
        if (out.size() != width) {
            out.clear();
            for (std::size_t c = 0; c < width; ++c) out.push_back(fmt::format("{}[{}]", d.path, c));
        }
        return out;
    }

private:
    std::vector<double> read_column_1d(const DatasetInfo& d) const {
        std::vector<double> v = reader_.read(d.path);
        if (v.size() > time_.size()) v.resize(time_.size());
        return v;
    }

    std::string file_;
    ResultsReader reader_;
    std::vector<DatasetInfo> info_;
    std::vector<double> time_;
};

double peak(const std::vector<double>& v) {
    double p = -std::numeric_limits<double>::infinity();
    for (const double x : v)
        if (std::isfinite(x)) p = std::max(p, x);
    return p;
}

// The columns of a 2-D series with the highest peaks (only those are read whole: a wide
// series, such as every power shelf of a campus, would not fit).
void add_top(const Series& s, const DatasetInfo& d, std::vector<std::pair<double, Line>>& out) {
    const auto peaks = s.peaks(d);
    std::vector<std::size_t> order(peaks.size());
    for (std::size_t c = 0; c < order.size(); ++c) order[c] = c;
    auto key = [&](std::size_t c) { return std::isfinite(peaks[c]) ? peaks[c] : -1e300; };
    const std::size_t keep = std::min(order.size(), kTopColumns);
    std::partial_sort(order.begin(), order.begin() + std::ptrdiff_t(keep), order.end(),
                      [&](std::size_t a, std::size_t b) { return key(a) > key(b); });
    const auto names = s.labels(d);
    for (std::size_t i = 0; i < keep; ++i)
        out.push_back({peaks[order[i]], Line{names[order[i]], s.column(d, order[i])}});
}

std::vector<Line> keep_top(std::vector<std::pair<double, Line>> all) {
    std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
        return (std::isfinite(a.first) ? a.first : -1e300) > (std::isfinite(b.first) ? b.first : -1e300);
    });
    std::vector<Line> out;
    for (std::size_t i = 0; i < std::min(all.size(), kTopColumns); ++i) out.push_back(std::move(all[i].second));
    return out;
}

// Every utilisation the file has: /constraints/utilisation when present (it covers all the
// constraints), else each `utilisation` series (power stages, grid, ...).
std::vector<const DatasetInfo*> utilisations(const Series& s) {
    std::vector<const DatasetInfo*> out;
    if (const auto* c = s.find("/constraints/utilisation"); c != nullptr && s.is_series(*c)) return {c};
    for (const auto& d : s.all())
        if (s.is_series(d) && d.path.size() >= 12 && d.path.compare(d.path.size() - 12, 12, "/utilisation") == 0)
            out.push_back(&d);
    return out;
}

Panel constraints_panel(const Series& s) {
    std::vector<std::pair<double, Line>> all;
    for (const auto* d : utilisations(s)) {
        if (d->dims.size() == 2) {
            add_top(s, *d, all);
        } else {
            auto col = s.column(*d);
            const std::string owner = d->path.substr(1, d->path.size() - 13);
            all.push_back({peak(col), Line{owner, std::move(col)}});
        }
    }
    Panel p{"utilisation of the constraints closest to their limit", "1", keep_top(std::move(all)),
            "value / limit"};
    p.lines.push_back({"limit", std::vector<double>(s.time().size(), 1.0), true});
    return p;
}

Panel panel_for(const Series& s, const std::string& key, bool asked) {
    auto need = [&](const char* path) -> const DatasetInfo* {
        const auto* d = s.find(path);
        if (d == nullptr && asked)
            throw ViewError(fmt::format("results file has no {} (for --series {})", path, key));
        return d;
    };
    if (key == "power") {
        Panel p{"site power", "W", {}};
        for (const auto& [path, label] : std::vector<std::pair<const char*, const char*>>{
                 {"/site/grid_power", "grid"}, {"/site/generator_power", "generator"}, {"/site/it_power", "IT"},
                 {"/site/cooling_power", "cooling"}}) {
            const auto* d = s.find(path);
            if (d == nullptr) continue;
            auto v = s.column(*d);
            if (std::string(label) == "generator" && !(peak(v) > 0)) continue;  // no outage: no line
            p.lines.push_back({label, std::move(v)});
        }
        if (p.lines.empty() && asked) throw ViewError("results file has no /site/*_power series (for --series power)");
        return p;
    }
    if (key == "pue") {
        const auto* d = need("/site/pue");
        return d ? Panel{"PUE (grid / IT power)", "1", {{"PUE", s.column(*d)}}, "PUE"} : Panel{};
    }
    if (key == "junction") {
        const auto* d = need("/site/max_junction_temperature");
        if (!d) return Panel{};
        Panel p{"hottest junction", d->unit, {{"max junction temperature", s.column(*d)}}};
        // The slowdown line: the lowest slowdown temperature of the devices, from the
        // junction constraints' limits (every device type's, where types differ).
        if (const auto* lim = s.find("/constraints/limit"); lim != nullptr && lim->dims.size() == 2) {
            const auto names = s.labels(*lim);
            std::vector<double> lowest(s.time().size(), HUGE_VAL);
            bool any = false;
            for (std::size_t c = 0; c < names.size(); ++c) {
                const std::string& n = names[c];
                if (n.size() < 21 || n.compare(n.size() - 21, 21, "/junction_temperature") != 0) continue;
                const auto col = s.column(*lim, c);
                for (std::size_t r = 0; r < lowest.size() && r < col.size(); ++r)
                    if (std::isfinite(col[r])) lowest[r] = std::min(lowest[r], col[r]), any = true;
            }
            for (double& v : lowest)
                if (!std::isfinite(v)) v = std::nan("");
            if (any) p.lines.push_back({"slowdown temperature", std::move(lowest), true});
        }
        return p;
    }
    if (key == "outdoor") {
        // The weather the run saw: dry-bulb and wet-bulb. Asked for, or by default where
        // the outdoor temperature moves (a design day or a weather file).
        const auto* dry = need("/cooling/outdoor_dry_bulb");
        if (!dry) return Panel{};
        auto d = s.column(*dry);
        double lo = HUGE_VAL, hi = -HUGE_VAL;
        for (double v : d)
            if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
        if (!asked && !(hi - lo > 0.1)) return Panel{};
        Panel p{"outdoor air", dry->unit, {{"dry-bulb", std::move(d)}}};
        if (const auto* wet = s.find("/cooling/outdoor_wet_bulb")) p.lines.push_back({"wet-bulb", s.column(*wet)});
        return p;
    }
    if (key == "constraints") {
        if (utilisations(s).empty()) {
            if (asked) throw ViewError("results file has no utilisation series (for --series constraints)");
            return {};
        }
        return constraints_panel(s);
    }
    const auto* d = s.find(key);
    if (d == nullptr || !s.is_series(*d)) {
        std::string known;
        for (const auto& x : s.all())
            if (s.is_series(x) && x.dims.size() == 1) known += " " + x.path;
        throw ViewError(fmt::format("unknown series '{}': use power, pue, junction, outdoor, constraints or the path of a "
                                    "series, e.g.{}",
                                    key, known));
    }
    Panel p{d->path.substr(1), d->unit, {}};
    if (!d->description.empty()) p.title += ": " + d->description;
    if (d->dims.size() == 1) {
        p.lines.push_back({d->path.substr(d->path.rfind('/') + 1), s.column(*d)});
    } else {
        std::vector<std::pair<double, Line>> all;
        add_top(s, *d, all);
        p.lines = keep_top(std::move(all));
        if (d->dims[1] > kTopColumns) p.title += fmt::format(" (highest {} of {})", kTopColumns, d->dims[1]);
    }
    return p;
}

// W and J get an SI prefix that keeps the numbers short.
std::pair<double, std::string> scale_for(const std::string& unit, const std::vector<Line>& lines) {
    if (unit != "W" && unit != "J") return {1.0, display_unit(unit)};
    double top = 0;
    for (const auto& l : lines)
        for (const double v : l.values)
            if (std::isfinite(v)) top = std::max(top, std::abs(v));
    if (top >= 1e9) return {1e-9, "G" + unit};
    if (top >= 1e6) return {1e-6, "M" + unit};
    if (top >= 1e3) return {1e-3, "k" + unit};
    return {1.0, unit};
}

std::pair<double, std::string> time_scale(double span) {
    if (span <= 600) return {1.0, "s"};
    if (span <= 6 * 3600.0) return {1.0 / 60, "min"};
    if (span <= 3 * 86400.0) return {1.0 / 3600, "h"};
    return {1.0 / 86400, "d"};
}

constexpr unsigned char kPalette[][3] = {{31, 119, 180}, {214, 39, 40},  {44, 160, 44},  {255, 127, 14},
                                         {148, 103, 189}, {140, 86, 75}, {23, 190, 207}, {127, 127, 127}};

}  // namespace

void render_plot(const PlotOptions& o) {
    if (o.fleet) return render_fleet(o);
    if (!o.map.empty()) return render_map(o);
    const Series s(o.input);
    std::vector<Panel> panels;
    const bool asked = !o.series.empty();
    const std::vector<std::string> keys =
        asked ? o.series : std::vector<std::string>{"power", "pue", "junction", "outdoor", "constraints"};
    for (const auto& k : keys) {
        Panel p = panel_for(s, k, asked);
        if (!p.lines.empty()) panels.push_back(std::move(p));
    }
    if (panels.empty()) throw ViewError(fmt::format("results file '{}' has none of the site series to plot", o.input));
    check_output(o.output);

    const std::string site = s.site();

    XDisplay display(o.width, o.height);
    vtkNew<vtkContextView> view;
    offscreen_view(view, o.width, o.height);
    vtkNew<vtkChartMatrix> matrix;
    view->GetScene()->AddItem(matrix);
    const int n = int(panels.size());
    const int font = std::clamp(o.height / (12 * n + 20), 10, 18);
    matrix->SetSize(vtkVector2i(1, n));
    const float gutter = 2.5f * float(font) + 40.f;
    matrix->SetGutter(vtkVector2f(30.f, gutter));
    // The right margin holds the legends: as wide as the longest label of any panel.
    std::size_t longest = 0;
    for (const auto& p : panels)
        for (const auto& l : p.lines) longest = std::max(longest, l.label.size());
    const int legend_w = int(0.56 * font * double(longest)) + 50;
    constexpr float kTop = 40.f, kBottom = 50.f;
    matrix->SetBorders(70, int(kBottom), legend_w + 20, int(kTop));
    const float cell_h = (float(o.height) - kTop - kBottom + gutter) / float(n);

    const auto& time = s.time();
    const auto [tscale, tunit] = time_scale(time.back() - time.front());
    for (int i = 0; i < n; ++i) {
        const Panel& p = panels[std::size_t(i)];
        auto* chart = vtkChartXY::SafeDownCast(matrix->GetChart(vtkVector2i(0, n - 1 - i)));
        if (chart == nullptr) throw std::runtime_error("VTK made no XY chart");
        const auto [scale, unit] = scale_for(p.unit, p.lines);
        std::string title = p.title;
        if (i == 0 && !site.empty()) title = site + ": " + title;
        chart->SetTitle(title);
        chart->GetTitleProperties()->SetFontSize(font + 2);
        chart->GetTitleProperties()->BoldOn();
        chart->SetShowLegend(true);
        // Beside the plot, not over its lines: in the right margin the matrix leaves for it,
        // level with the top of the panel's plot.
        chart->GetLegend()->SetHorizontalAlignment(vtkChartLegend::CUSTOM);
        chart->GetLegend()->SetVerticalAlignment(vtkChartLegend::CUSTOM);
        // The point is the legend's lower left: its height is a row of text per line.
        const float legend_h = float(p.lines.size()) * (float(font) + 5.f) + 10.f;
        chart->GetLegend()->SetPoint(float(o.width - legend_w - 8),
                                     float(o.height) - kTop - float(i) * cell_h - legend_h);
        chart->GetLegend()->SetLabelSize(font);

        vtkNew<vtkTable> table;
        vtkNew<vtkDoubleArray> t;
        t->SetName("time");
        for (const double v : time) t->InsertNextValue(v * tscale);
        table->AddColumn(t);
        double lo = std::numeric_limits<double>::infinity(), hi = -lo;
        for (std::size_t j = 0; j < p.lines.size(); ++j) {
            vtkNew<vtkDoubleArray> a;
            a->SetName(p.lines[j].label.c_str());
            for (const double v : p.lines[j].values) {
                a->InsertNextValue(v * scale);
                if (std::isfinite(v)) lo = std::min(lo, v * scale), hi = std::max(hi, v * scale);
            }
            table->AddColumn(a);
        }
        for (std::size_t j = 0; j < p.lines.size(); ++j) {
            vtkPlot* line = chart->AddPlot(vtkChart::LINE);
            line->SetInputData(table, 0, vtkIdType(j + 1));
            if (p.lines[j].limit) {
                line->SetColor(0, 0, 0, 160);
                line->SetWidth(1.5f);
                line->GetPen()->SetLineType(vtkPen::DASH_LINE);
            } else {
                const auto* c = kPalette[j % std::size(kPalette)];
                line->SetColor(c[0], c[1], c[2], 255);
                line->SetWidth(2.5f);
            }
        }
        if (!(lo <= hi)) lo = 0, hi = 1;
        least_span(unit, lo, hi);
        const double pad = hi - lo > 1e-9 * std::max(1.0, std::abs(hi)) ? 0.06 * (hi - lo)
                                                                         : std::max(0.01 * std::abs(hi), 0.05);
        fixed_axis(chart->GetAxis(vtkAxis::LEFT), p.axis.empty() ? unit : p.axis, lo - pad, hi + pad, font);
        fixed_axis(chart->GetAxis(vtkAxis::BOTTOM), fmt::format("time [{}]", tunit), time.front() * tscale,
                   std::max(time.back(), time.front() + 1e-9) * tscale, font);
    }
    view->GetRenderWindow()->Render();
    save_png(view->GetRenderWindow(), o.output, o.width, o.height);
}

}  // namespace dctwin::viz
