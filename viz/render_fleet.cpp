// The comparison of a fleet (viz/render.hpp): a bar chart per KPI across the sites, a bar per
// workload at each site, and a map of what limits each placement (sites x workloads).

#include "viz/render.hpp"

#include "sweep/summary.hpp"
#include "viz/render_common.hpp"
#include "viz/render_display.hpp"
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
#include <vtkPlotBar.h>
#include <vtkPlotPoints.h>
#include <vtkRenderWindow.h>
#include <vtkRenderer.h>
#include <vtkStringArray.h>
#include <vtkTable.h>
#include <vtkTextProperty.h>
#include <vtkVector.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

namespace dctwin::viz {

namespace {

struct Kpi {
    std::string column, title;
};

// The KPIs compared, in the picture's order.
const Kpi kKpis[] = {
    {"energy_grid_J", "grid energy"},          {"grid_cost", "grid cost"},
    {"carbon_kg", "carbon (grid)"},            {"water_m3", "water"},
    {"throughput_fraction", "throughput"},     {"pue", "PUE"},
    {"peak_grid_power_W", "peak grid power"},  {"max_ramp_W_per_s", "steepest grid ramp"},
};

// Engineering units: the scale that brings the largest value to 1..1000 in a named unit.
std::pair<double, std::string> engineering(const std::string& unit, double top, const std::string& currency) {
    if (unit == "J") {
        const double mwh = top / 3.6e9;
        if (mwh >= 1000) return {1 / 3.6e12, "GWh"};
        if (mwh >= 1) return {1 / 3.6e9, "MWh"};
        return {1 / 3.6e6, "kWh"};
    }
    if (unit == "W" || unit == "W/s") {
        const std::string per = unit == "W/s" ? "/s" : "";
        if (top >= 1e6) return {1e-6, "MW" + per};
        if (top >= 1e3) return {1e-3, "kW" + per};
        return {1.0, "W" + per};
    }
    if (unit == "kg") return top >= 1e3 ? std::pair{1e-3, std::string("t")} : std::pair{1.0, std::string("kg")};
    if (unit == "-" && !currency.empty()) {  // the grid cost, in the grid's currency
        if (top >= 1e6) return {1e-6, "M" + currency};
        if (top >= 1e3) return {1e-3, "k" + currency};
        return {1.0, currency};
    }
    if (unit == "1") return {1.0, ""};
    return {1.0, unit};
}

struct Family {
    std::string key, label;
    unsigned char rgb[3];
    bool fits;   // the placements it marks fit (a circle: the family closest to its limit)
};
// What limits a placement: the constraint families of the model (over the limit: the
// placement does not fit, a square; closest to it in a placement that fits, a circle), the
// GPU count, failures.
const Family kFamilies[] = {
    {"gpus", "GPUs: too few free", {120, 120, 120}, false},
    {"power", "power: over its limit", {255, 127, 14}, false},
    {"cooling", "cooling: over its limit", {31, 119, 180}, false},
    {"power", "power: closest to its limit", {255, 187, 120}, true},
    {"cooling", "cooling: closest to its limit", {158, 202, 225}, true},
    {"silicon", "silicon: closest to its limit", {214, 39, 40}, true},
    {"none", "no constraint", {200, 200, 200}, true},
    {"failed", "failed", {40, 40, 40}, false},
};

constexpr unsigned char kPalette[][3] = {{31, 119, 180}, {44, 160, 44}, {148, 103, 189}, {140, 86, 75},
                                         {23, 190, 207}, {255, 127, 14}, {127, 127, 127}, {214, 39, 40}};

std::size_t column(const sweep::SummaryTable& t, const std::string& name, const std::string& file) {
    const int k = t.find(name);
    if (k < 0)
        throw ViewError(fmt::format("--fleet: {} has no {} column: it is not the summary of `dctwin fleet`", file, name));
    return std::size_t(k);
}

}  // namespace

void render_fleet(const PlotOptions& o) {
    std::string file = o.input;
    if (std::filesystem::is_directory(file)) file = (std::filesystem::path(file) / "summary.h5").string();
    sweep::SummaryTable t;
    try {
        t = sweep::read_summary(file);
    } catch (const sweep::SummaryError& e) {
        throw ViewError(e.what());
    }
    if (!t.attributes.count("kind") || t.attributes.at("kind") != "fleet")
        throw ViewError(fmt::format("--fleet: {} is a sweep's summary, not a fleet's (dctwin fleet FLEET -o DIR)", file));
    const std::size_t site_k = column(t, "site", file), wl_k = column(t, "workload", file), fits_k = column(t, "fits", file),
                      fam_k = column(t, "fit_binding_family", file), status_k = column(t, "status", file);
    check_output(o.output);

    // Sites and workloads in the order of the summary (the fleet file's).
    std::vector<std::string> sites, workloads;
    for (std::size_t i = 0; i < t.rows; ++i) {
        if (std::find(sites.begin(), sites.end(), t.strings[site_k][i]) == sites.end()) sites.push_back(t.strings[site_k][i]);
        if (std::find(workloads.begin(), workloads.end(), t.strings[wl_k][i]) == workloads.end())
            workloads.push_back(t.strings[wl_k][i]);
    }
    auto index_of = [](const std::vector<std::string>& v, const std::string& s) {
        return double(std::find(v.begin(), v.end(), s) - v.begin());
    };
    std::string currency;
    if (const int c = t.find("grid_currency"); c >= 0)
        for (const auto& s : t.strings[std::size_t(c)])
            if (!s.empty()) currency = s;
    // Site labels: a star marks a site where some workload does not fit.
    vtkNew<vtkDoubleArray> site_ticks;
    vtkNew<vtkStringArray> site_labels;
    bool starred = false;
    for (std::size_t s = 0; s < sites.size(); ++s) {
        bool all_fit = true;
        for (std::size_t i = 0; i < t.rows; ++i)
            if (t.strings[site_k][i] == sites[s] && !(t.numbers[fits_k][i] == 1.0)) all_fit = false;
        starred = starred || !all_fit;
        site_ticks->InsertNextValue(double(s));
        site_labels->InsertNextValue(all_fit ? sites[s] : sites[s] + " *");
    }

    XDisplay display(o.width, o.height);
    vtkNew<vtkContextView> view;
    offscreen_view(view, o.width, o.height);
    vtkNew<vtkChartMatrix> matrix;
    view->GetScene()->AddItem(matrix);
    constexpr int kCols = 2, kKpiRows = 4, kRows = kKpiRows + 1;
    const int font = std::clamp(o.height / 75, 10, 16);
    matrix->SetSize(vtkVector2i(kCols, kRows));
    matrix->SetGutter(vtkVector2f(90.f, 2.5f * float(font) + 45.f));
    std::size_t longest = 0;
    for (const auto& w : workloads) longest = std::max(longest, w.size());
    for (const auto& f : kFamilies) longest = std::max(longest, f.label.size());
    const int legend_w = int(0.6 * font * double(longest)) + 60;
    constexpr int kTop = 50, kBottom = 50;
    matrix->SetBorders(80, kBottom, legend_w + 20, kTop);
    // The map spans the bottom row.
    matrix->SetChartSpan(vtkVector2i(0, 0), vtkVector2i(kCols, 1));
    const float cell_h = float(o.height - kTop - kBottom) / float(kRows);
    const std::string name = t.attributes.count("name") ? t.attributes.at("name") : std::string("fleet");

    for (std::size_t k = 0; k < std::size(kKpis); ++k) {
        const Kpi& kpi = kKpis[k];
        const int row = kRows - 1 - int(k) / kCols, col = int(k) % kCols;
        auto* chart = vtkChartXY::SafeDownCast(matrix->GetChart(vtkVector2i(col, row)));
        if (chart == nullptr) throw std::runtime_error("VTK made no XY chart");
        const int kc = t.find(kpi.column);
        double top = 0;
        bool any = false;
        if (kc >= 0)
            for (const double v : t.numbers[std::size_t(kc)])
                if (std::isfinite(v)) top = std::max(top, std::abs(v)), any = true;
        const std::string unit = kc >= 0 ? t.columns[std::size_t(kc)].unit : "";
        auto [scale, shown] = engineering(unit, top, currency);
        if (kpi.column == "throughput_fraction") scale = 100, shown = "%";
        std::string title = kpi.title;
        if (k == 0) title = name + ": " + title;
        if (!any) title += ": no figures (the sites lack its inputs)";
        else if (top == 0) title += ": 0 at every site";
        chart->SetTitle(title);
        chart->GetTitleProperties()->SetFontSize(font + 2);
        chart->GetTitleProperties()->BoldOn();
        chart->SetBarWidthFraction(0.8f);
        double hi = 0;
        for (std::size_t w = 0; w < workloads.size(); ++w) {
            vtkNew<vtkTable> table;
            vtkNew<vtkDoubleArray> x, y;
            x->SetName("site");
            y->SetName(workloads[w].c_str());
            for (std::size_t s = 0; s < sites.size(); ++s) {
                double v = 0;  // no figure (a placement that did not run): no bar
                for (std::size_t i = 0; i < t.rows; ++i)
                    if (kc >= 0 && t.strings[site_k][i] == sites[s] && t.strings[wl_k][i] == workloads[w] &&
                        std::isfinite(t.numbers[std::size_t(kc)][i]))
                        v = t.numbers[std::size_t(kc)][i] * scale;
                x->InsertNextValue(double(s));
                y->InsertNextValue(v);
                hi = std::max(hi, v);
            }
            table->AddColumn(x);
            table->AddColumn(y);
            auto* bar = vtkPlotBar::SafeDownCast(chart->AddPlot(vtkChart::BAR));
            if (bar == nullptr) throw std::runtime_error("VTK made no bar plot");
            bar->SetInputData(table, 0, 1);
            const auto* c = kPalette[w % std::size(kPalette)];
            bar->SetColor(c[0], c[1], c[2], 255);
        }
        // One legend for every bar chart, in the right margin beside the first.
        chart->SetShowLegend(k == 0);
        if (k == 0) {
            chart->GetLegend()->SetHorizontalAlignment(vtkChartLegend::CUSTOM);
            chart->GetLegend()->SetVerticalAlignment(vtkChartLegend::CUSTOM);
            const float legend_h = float(workloads.size()) * (float(font) + 5.f) + 10.f;
            chart->GetLegend()->SetPoint(float(o.width - legend_w - 8), float(o.height - kTop) - legend_h);
            chart->GetLegend()->SetLabelSize(font);
        }
        vtkAxis* xa = chart->GetAxis(vtkAxis::BOTTOM);
        fixed_axis(xa, "", -0.6, double(sites.size()) - 0.4, font);
        xa->SetCustomTickPositions(site_ticks, site_labels);
        fixed_axis(chart->GetAxis(vtkAxis::LEFT), shown.empty() ? kpi.title : fmt::format("{} [{}]", kpi.title, shown), 0,
                   hi > 0 ? hi * 1.12 : 1.0, font);
    }

    // The map: sites across, workloads up, a square per placement coloured by what limits it.
    auto* map = vtkChartXY::SafeDownCast(matrix->GetChart(vtkVector2i(0, 0)));
    if (map == nullptr) throw std::runtime_error("VTK made no XY chart");
    map->SetTitle(starred ? "what limits each placement (* a workload does not fit there)" : "what limits each placement");
    map->GetTitleProperties()->SetFontSize(font + 2);
    map->GetTitleProperties()->BoldOn();
    const double plot_w = double(o.width - legend_w - 120), plot_h = double(cell_h) - 80;
    const float marker = float(std::clamp(0.6 * std::min(plot_w / double(sites.size()), plot_h / double(workloads.size())),
                                          6.0, 60.0));
    int shown = 0;
    for (const Family& f : kFamilies) {
        vtkNew<vtkTable> table;
        vtkNew<vtkDoubleArray> x, y;
        x->SetName("site");
        std::size_t count = 0;
        for (std::size_t i = 0; i < t.rows; ++i) {
            const bool failed = t.strings[status_k][i] != "complete";
            std::string key = failed ? "failed" : t.strings[fam_k][i];
            if (key.empty()) key = "none";
            const bool fits = t.numbers[fits_k][i] == 1.0;
            if (key != f.key || (key != "failed" && key != "gpus" && fits != f.fits)) continue;
            x->InsertNextValue(index_of(sites, t.strings[site_k][i]));
            y->InsertNextValue(index_of(workloads, t.strings[wl_k][i]));
            ++count;
        }
        if (count == 0) continue;
        ++shown;
        y->SetName(fmt::format("{} ({})", f.label, count).c_str());
        table->AddColumn(x);
        table->AddColumn(y);
        auto* points = vtkPlotPoints::SafeDownCast(map->AddPlot(vtkChart::POINTS));
        if (points == nullptr) throw std::runtime_error("VTK made no point plot");
        points->SetInputData(table, 0, 1);
        points->SetColor(f.rgb[0], f.rgb[1], f.rgb[2], 255);
        points->SetMarkerStyle(f.fits ? vtkPlotPoints::CIRCLE : vtkPlotPoints::SQUARE);
        points->SetMarkerSize(marker);
    }
    map->SetShowLegend(true);
    map->GetLegend()->SetHorizontalAlignment(vtkChartLegend::CUSTOM);
    map->GetLegend()->SetVerticalAlignment(vtkChartLegend::CUSTOM);
    const float legend_h = float(shown) * (float(font) + 5.f) + 10.f;
    map->GetLegend()->SetPoint(float(o.width - legend_w - 8), float(kBottom) + cell_h - legend_h - 30.f);
    map->GetLegend()->SetLabelSize(font);
    vtkAxis* mx = map->GetAxis(vtkAxis::BOTTOM);
    fixed_axis(mx, "site", -0.6, double(sites.size()) - 0.4, font);
    mx->SetCustomTickPositions(site_ticks, site_labels);
    vtkNew<vtkDoubleArray> wl_ticks;
    vtkNew<vtkStringArray> wl_labels;
    for (std::size_t w = 0; w < workloads.size(); ++w) wl_ticks->InsertNextValue(double(w)), wl_labels->InsertNextValue(workloads[w]);
    vtkAxis* my = map->GetAxis(vtkAxis::LEFT);
    fixed_axis(my, "workload", -0.6, double(workloads.size()) - 0.4, font);
    my->SetCustomTickPositions(wl_ticks, wl_labels);

    view->GetRenderWindow()->Render();
    save_png(view->GetRenderWindow(), o.output, o.width, o.height);
}

}  // namespace dctwin::viz
