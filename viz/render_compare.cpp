// Measured against simulated, one chart per series (`dctwin compare --plot`, viz/render.hpp).

#include "viz/render.hpp"

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
#include <vtkPlot.h>
#include <vtkRenderWindow.h>
#include <vtkTable.h>
#include <vtkTextProperty.h>
#include <vtkVector.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace dctwin::viz {

void render_comparison(const std::vector<ComparePanel>& panels, const std::string& png, int width, int height) {
    if (panels.empty()) throw ViewError("nothing to plot: no measured series lies inside the run");
    check_output(png);
    XDisplay display(width, height);
    vtkNew<vtkContextView> view;
    offscreen_view(view, width, height);
    vtkNew<vtkChartMatrix> matrix;
    view->GetScene()->AddItem(matrix);
    const int n = int(panels.size());
    const int font = std::clamp(height / (12 * n + 20), 10, 18);
    matrix->SetSize(vtkVector2i(1, n));
    const float gutter = 2.5f * float(font) + 40.f;
    matrix->SetGutter(vtkVector2f(30.f, gutter));
    const int legend_w = int(0.56 * font * 10) + 50;  // "simulated"
    constexpr float kTop = 40.f, kBottom = 50.f;
    matrix->SetBorders(90, int(kBottom), legend_w + 20, int(kTop));
    const float cell_h = (float(height) - kTop - kBottom + gutter) / float(n);

    for (int i = 0; i < n; ++i) {
        const ComparePanel& p = panels[std::size_t(i)];
        auto* chart = vtkChartXY::SafeDownCast(matrix->GetChart(vtkVector2i(0, n - 1 - i)));
        if (chart == nullptr) throw std::runtime_error("VTK made no XY chart");
        chart->SetTitle(p.title);
        chart->GetTitleProperties()->SetFontSize(font + 2);
        chart->GetTitleProperties()->BoldOn();
        chart->SetShowLegend(true);
        chart->GetLegend()->SetHorizontalAlignment(vtkChartLegend::CUSTOM);
        chart->GetLegend()->SetVerticalAlignment(vtkChartLegend::CUSTOM);
        chart->GetLegend()->SetPoint(float(width - legend_w - 8), float(height) - kTop - float(i) * cell_h - 2 * (float(font) + 5.f) - 10.f);
        chart->GetLegend()->SetLabelSize(font);
        // The time axis in the unit that keeps its numbers short.
        const double span = p.t.empty() ? 1.0 : p.t.back() - p.t.front();
        const auto [tscale, tunit] = span <= 600 ? std::pair{1.0, "s"}
                                     : span <= 6 * 3600.0 ? std::pair{1.0 / 60, "min"}
                                     : span <= 3 * 86400.0 ? std::pair{1.0 / 3600, "h"}
                                                           : std::pair{1.0 / 86400, "d"};
        vtkNew<vtkTable> table;
        vtkNew<vtkDoubleArray> t, m, s;
        t->SetName("time");
        m->SetName("measured");
        s->SetName("simulated");
        double lo = std::numeric_limits<double>::infinity(), hi = -lo;
        // The simulated values are read at the samples' times: across a gap of the measurements
        // the line is broken (a NaN row) rather than drawn straight as if simulated so.
        std::vector<double> dt;
        for (std::size_t k = 1; k < p.t.size(); ++k) dt.push_back(p.t[k] - p.t[k - 1]);
        double gap = std::numeric_limits<double>::infinity();
        if (!dt.empty()) {
            std::nth_element(dt.begin(), dt.begin() + std::ptrdiff_t(dt.size() / 2), dt.end());
            gap = 3 * dt[dt.size() / 2];
        }
        const double nan = std::numeric_limits<double>::quiet_NaN();
        for (std::size_t k = 0; k < p.t.size(); ++k) {
            if (k > 0 && p.t[k] - p.t[k - 1] > gap) {
                t->InsertNextValue(0.5 * (p.t[k] + p.t[k - 1]) * tscale);
                m->InsertNextValue(nan);
                s->InsertNextValue(nan);
            }
            t->InsertNextValue(p.t[k] * tscale);
            m->InsertNextValue(p.measured[k]);
            s->InsertNextValue(p.simulated[k]);
            for (const double v : {p.measured[k], p.simulated[k]})
                if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
        }
        table->AddColumn(t);
        table->AddColumn(m);
        table->AddColumn(s);
        // Measured as points (a sensor samples; gaps stay visible), simulated as a line.
        vtkPlot* pm = chart->AddPlot(vtkChart::POINTS);
        pm->SetInputData(table, 0, 1);
        pm->SetColor(214, 39, 40, 255);
        pm->SetWidth(1.5f);
        vtkPlot* ps = chart->AddPlot(vtkChart::LINE);
        ps->SetInputData(table, 0, 2);
        ps->SetColor(31, 119, 180, 255);
        ps->SetWidth(2.5f);
        if (!(lo <= hi)) lo = 0, hi = 1;
        const double least = 0.01 * std::max({std::abs(lo), std::abs(hi), 1e-9});
        if (hi - lo < least) {
            const double mid = 0.5 * (lo + hi);
            lo = mid - 0.5 * least, hi = mid + 0.5 * least;
        }
        const double pad = 0.06 * (hi - lo);
        fixed_axis(chart->GetAxis(vtkAxis::LEFT), display_unit(p.unit), lo - pad, hi + pad, font);
        const double t0 = p.t.empty() ? 0 : p.t.front(), t1 = p.t.empty() ? 1 : p.t.back();
        fixed_axis(chart->GetAxis(vtkAxis::BOTTOM), fmt::format("time of the run [{}]", tunit), t0 * tscale,
                   std::max(t1, t0 + 1e-9) * tscale, font);
    }
    view->GetRenderWindow()->Render();
    save_png(view->GetRenderWindow(), png, width, height);
}

}  // namespace dctwin::viz
