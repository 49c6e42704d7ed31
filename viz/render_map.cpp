// The constraint map of a sweep (viz/render.hpp): every case at its two swept values,
// coloured by the family of the constraint closest to its limit.

#include "viz/render.hpp"

#include "sweep/summary.hpp"
#include "viz/render_common.hpp"
#include "viz/render_display.hpp"
#include "viz/scene.hpp"

#include <fmt/format.h>

#include <vtkAxis.h>
#include <vtkChartLegend.h>
#include <vtkChartXY.h>
#include <vtkContextScene.h>
#include <vtkContextView.h>
#include <vtkDoubleArray.h>
#include <vtkNew.h>
#include <vtkPlotPoints.h>
#include <vtkRenderWindow.h>
#include <vtkRenderer.h>
#include <vtkTable.h>
#include <vtkTextProperty.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

namespace dctwin::viz {

namespace {

struct Family {
    std::string key, label;
    unsigned char rgb[3];
    int marker;
};

// The families of the model's constraints, then cases without one and failed cases.
const Family kFamilies[] = {
    {"silicon", "silicon", {214, 39, 40}, vtkPlotPoints::SQUARE},
    {"cooling", "cooling", {31, 119, 180}, vtkPlotPoints::SQUARE},
    {"power", "power", {255, 127, 14}, vtkPlotPoints::SQUARE},
    {"", "no constraint reported", {170, 170, 170}, vtkPlotPoints::SQUARE},
    {"failed", "failed", {40, 40, 40}, vtkPlotPoints::CROSS},
};

// A numeric parameter column of the summary, by parameter or column name.
std::size_t axis_column(const sweep::SummaryTable& t, const std::string& name, const std::string& file) {
    const int k = t.find(name);
    std::string params;
    for (const auto& c : t.columns)
        if (!c.key.empty()) params += (params.empty() ? "" : ", ") + t.attributes.at("parameter:" + c.name);
    if (k < 0 || t.columns[std::size_t(k)].key.empty())
        throw ViewError(fmt::format("--map: '{}' is not a swept parameter of {}; its parameters: {}", name, file, params));
    if (t.columns[std::size_t(k)].text)
        throw ViewError(fmt::format("--map: parameter '{}' takes text values; the map needs numbers", name));
    return std::size_t(k);
}

std::string axis_title(const sweep::SummaryTable& t, std::size_t k) {
    const auto& c = t.columns[k];
    const std::string name = t.attributes.count("parameter:" + c.name) ? t.attributes.at("parameter:" + c.name) : c.name;
    return c.unit.empty() || c.unit == "1" ? name : fmt::format("{} [{}]", name, c.unit);
}

}  // namespace

void render_map(const PlotOptions& o) {
    if (o.map.size() != 2) throw ViewError("--map takes two swept parameters: --map X,Y");
    sweep::SummaryTable t;
    try {
        t = sweep::read_summary(o.input);
    } catch (const sweep::SummaryError& e) {
        throw ViewError(e.what());
    }
    const std::size_t xk = axis_column(t, o.map[0], o.input), yk = axis_column(t, o.map[1], o.input);
    const int fam = t.find("binding_family"), status = t.find("status");
    if (fam < 0 || status < 0) throw ViewError(fmt::format("{} has no binding_family or status column", o.input));
    check_output(o.output);

    const auto& xs = t.numbers[xk];
    const auto& ys = t.numbers[yk];
    // Cells of the grid the cases make (a product gives one case per cell; a Latin
    // hypercube as many columns as samples): markers fill about 80 % of a cell.
    std::set<double> dx, dy;
    double xlo = std::numeric_limits<double>::infinity(), xhi = -xlo, ylo = xlo, yhi = -xlo;
    for (std::size_t i = 0; i < t.rows; ++i) {
        if (!std::isfinite(xs[i]) || !std::isfinite(ys[i])) continue;
        dx.insert(xs[i]);
        dy.insert(ys[i]);
        xlo = std::min(xlo, xs[i]), xhi = std::max(xhi, xs[i]);
        ylo = std::min(ylo, ys[i]), yhi = std::max(yhi, ys[i]);
    }
    if (dx.empty()) throw ViewError(fmt::format("{}: no case has numbers for both {} and {}", o.input, o.map[0], o.map[1]));
    const double nx = double(dx.size()), ny = double(dy.size());
    const double plot_w = o.width - 180.0, plot_h = o.height - 160.0;  // [pixels] inside the axes and legend
    const float marker = float(std::clamp(0.8 * std::min(plot_w / nx, plot_h / ny), 4.0, 60.0));
    const double padx = xhi > xlo ? (xhi - xlo) / std::max(1.0, nx - 1) * 0.6 : std::max(1.0, std::abs(xlo) * 0.1);
    const double pady = yhi > ylo ? (yhi - ylo) / std::max(1.0, ny - 1) * 0.6 : std::max(1.0, std::abs(ylo) * 0.1);

    XDisplay display(o.width, o.height);
    vtkNew<vtkContextView> view;
    offscreen_view(view, o.width, o.height);
    vtkNew<vtkChartXY> chart;
    view->GetScene()->AddItem(chart);
    const int font = std::clamp(o.height / 45, 10, 20);
    const std::string name = t.attributes.count("name") ? t.attributes.at("name") : std::string("sweep");
    chart->SetTitle(fmt::format("{}: binding constraint family ({} cases)", name, t.rows));
    chart->GetTitleProperties()->SetFontSize(font + 2);
    chart->GetTitleProperties()->BoldOn();
    chart->SetShowLegend(true);
    chart->GetLegend()->SetHorizontalAlignment(vtkChartLegend::RIGHT);
    chart->GetLegend()->SetVerticalAlignment(vtkChartLegend::TOP);
    chart->GetLegend()->SetLabelSize(font);

    const auto& families = t.strings[std::size_t(fam)];
    const auto& statuses = t.strings[std::size_t(status)];
    int shown = 0;  // legend entries
    for (const Family& f : kFamilies) {
        vtkNew<vtkTable> table;
        vtkNew<vtkDoubleArray> x, y;
        x->SetName("x");
        std::size_t count = 0;
        for (std::size_t i = 0; i < t.rows; ++i) {
            if (!std::isfinite(xs[i]) || !std::isfinite(ys[i])) continue;
            const bool failed = statuses[i] != "complete";
            const bool known = families[i] == "silicon" || families[i] == "cooling" || families[i] == "power";
            const std::string key = failed ? "failed" : known ? families[i] : "";
            if (key != f.key) continue;
            x->InsertNextValue(xs[i]);
            y->InsertNextValue(ys[i]);
            ++count;
        }
        if (count == 0) continue;
        ++shown;
        y->SetName(fmt::format("{} ({})", f.label, count).c_str());
        table->AddColumn(x);
        table->AddColumn(y);
        auto* points = vtkPlotPoints::SafeDownCast(chart->AddPlot(vtkChart::POINTS));
        if (points == nullptr) throw std::runtime_error("VTK made no point plot");
        points->SetInputData(table, 0, 1);
        points->SetColor(f.rgb[0], f.rgb[1], f.rgb[2], 255);
        points->SetMarkerStyle(f.marker);
        points->SetMarkerSize(f.marker == vtkPlotPoints::CROSS ? marker * 0.6f : marker);
    }
    fixed_axis(chart->GetAxis(vtkAxis::BOTTOM), axis_title(t, xk), xlo - padx, xhi + padx, font);
    // Headroom above the top row for the legend (top right).
    fixed_axis(chart->GetAxis(vtkAxis::LEFT), axis_title(t, yk), ylo - pady,
               yhi + pady + 0.05 * double(shown) * (yhi - ylo + 2 * pady), font);
    view->GetRenderWindow()->Render();
    save_png(view->GetRenderWindow(), o.output, o.width, o.height);
}

}  // namespace dctwin::viz
