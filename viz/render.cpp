// The floor view with VTK, and the `dctwin render` / `dctwin plot` commands (viz/render.hpp).

#include "viz/render.hpp"

#include "input/units.hpp"
#include "viz/render_common.hpp"
#include "viz/render_display.hpp"
#include "io/results.hpp"
#include "viz/scene.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <vtkActor.h>
#include <vtkCamera.h>
#include <vtkCellData.h>
#include <vtkColorTransferFunction.h>
#include <vtkCellArray.h>
#include <vtkDoubleArray.h>
#include <vtkNew.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkPolyDataMapper.h>
#include <vtkProperty.h>
#include <vtkRenderWindow.h>
#include <vtkRenderer.h>
#include <vtkScalarBarActor.h>
#include <vtkTextActor.h>
#include <vtkTextProperty.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <limits>

namespace dctwin::viz {

namespace {

// Boxes as polygons, six quads each, with `values` (one per box, optional) on every face.
// Polygons rather than hexahedra: VTK 9.1's surface extraction of unstructured grids leaks
// (LeakSanitizer finds it), and the faces are all that is drawn anyway.
vtkSmartPointer<vtkPolyData> box_faces(const std::vector<Box>& boxes, const std::vector<double>* values = nullptr,
                                       const std::string& name = {}) {
    // Corners as in kBoxCorners; counter-clockwise seen from outside: bottom, top, front
    // (y min), right, back, left.
    static constexpr int faces[6][4] = {{0, 3, 2, 1}, {4, 5, 6, 7}, {0, 1, 5, 4},
                                        {1, 2, 6, 5}, {2, 3, 7, 6}, {3, 0, 4, 7}};
    vtkNew<vtkPoints> points;
    points->SetDataTypeToDouble();
    vtkNew<vtkCellArray> polys;
    vtkNew<vtkDoubleArray> scalars;
    scalars->SetName(name.c_str());
    for (std::size_t i = 0; i < boxes.size(); ++i) {
        const Box& b = boxes[i];
        const vtkIdType first = points->GetNumberOfPoints();
        for (const auto& c : kBoxCorners)
            points->InsertNextPoint(b.x + c[0] * b.width, b.y + c[1] * b.depth, b.z + c[2] * b.height);
        for (const auto& f : faces) {
            const vtkIdType ids[4] = {first + f[0], first + f[1], first + f[2], first + f[3]};
            polys->InsertNextCell(4, ids);
            if (values != nullptr) scalars->InsertNextValue((*values)[i]);
        }
    }
    auto data = vtkSmartPointer<vtkPolyData>::New();
    data->SetPoints(points);
    data->SetPolys(polys);
    if (values != nullptr) data->GetCellData()->SetScalars(scalars);
    return data;
}

vtkSmartPointer<vtkActor> box_actor(const std::vector<Box>& boxes, const double rgb[3], double opacity) {
    vtkNew<vtkPolyDataMapper> mapper;
    mapper->SetInputData(box_faces(boxes));
    mapper->ScalarVisibilityOff();
    auto actor = vtkSmartPointer<vtkActor>::New();
    actor->SetMapper(mapper);
    actor->GetProperty()->SetColor(rgb[0], rgb[1], rgb[2]);
    actor->GetProperty()->SetOpacity(opacity);
    return actor;
}

vtkSmartPointer<vtkTextActor> text(const std::string& s, double x, double y, int size, bool top, bool right,
                                   bool bold = false) {
    auto a = vtkSmartPointer<vtkTextActor>::New();
    a->SetInput(s.c_str());
    a->GetPositionCoordinate()->SetCoordinateSystemToNormalizedViewport();
    a->GetPositionCoordinate()->SetValue(x, y);
    auto* p = a->GetTextProperty();
    p->SetFontSize(size);
    p->SetColor(0.12, 0.12, 0.14);
    p->SetBold(bold);
    if (top) p->SetVerticalJustificationToTop();
    if (right) p->SetJustificationToRight();
    return a;
}

std::pair<const BoxGroup*, const CellField*> default_field(const Scene& s) {
    for (const auto& g : s.groups)
        for (const auto& f : g.fields)
            if (f.name == "max_junction_temperature") return {&g, &f};
    for (const auto& g : s.groups)
        if (!g.fields.empty()) return {&g, &g.fields.front()};
    throw ViewError(fmt::format("results file '{}' has no field to colour the boxes by", s.file));
}

}  // namespace

void render_floor(const RenderOptions& o) {
    const Scene s = load_scene(o.input);
    const auto [group, field] = o.field.empty() ? default_field(s) : s.field(o.field);
    std::size_t step = s.times.size() - 1;
    if (!o.time.empty()) step = s.step_at(parse_time_of_run(o.time));
    const double t = s.times[step];
    std::vector<double> values = read_row(o.input, field->dataset, s.steps[step]);
    check_output(o.output);
    // Engineering units: watts, joules and pascals with the prefix that suits the largest
    // value (28 kW, not 2.802e+04 W); the bar, its title and the text all in it.
    std::string unit = display_unit(field->unit);
    {
        double big = 0;
        for (double v : values)
            if (std::isfinite(v)) big = std::max(big, std::abs(v));
        if (unit == "W" || unit == "J" || unit == "Pa" || unit == "W/s") {
            const auto [scale, prefix] = big >= 1e9 ? std::pair{1e9, "G"} : big >= 1e6 ? std::pair{1e6, "M"}
                                       : big >= 1e3 ? std::pair{1e3, "k"} : std::pair{1.0, ""};
            for (double& v : values) v /= scale;
            unit = prefix + unit;
        }
    }

    // The colour range of this picture: the finite values at this time, widened to a least
    // span (render_common.hpp) so that values alike read as alike.
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    std::size_t hottest = 0, finite = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (!std::isfinite(values[i])) continue;
        if (finite == 0 || values[i] > values[hottest]) hottest = i;
        lo = std::min(lo, values[i]);
        hi = std::max(hi, values[i]);
        ++finite;
    }
    if (finite == 0) lo = 0, hi = 1;
    least_span(unit, lo, hi);

    XDisplay display(o.width, o.height);
    vtkNew<vtkRenderer> renderer;
    renderer->SetBackground(0.97, 0.97, 0.98);

    // The coloured group.
    const auto faces = box_faces(group->boxes, &values, field->name);
    // Viridis (perceptually uniform, readable in grey and by colour-blind eyes): no grey in it,
    // so that equal values (drawn at its middle) never look like missing ones (NaN: grey).
    vtkNew<vtkColorTransferFunction> colours;
    colours->SetColorSpaceToRGB();
    const double viridis[5][3] = {{0.267, 0.005, 0.329}, {0.229, 0.322, 0.546}, {0.128, 0.567, 0.551},
                                  {0.369, 0.789, 0.383}, {0.993, 0.906, 0.144}};
    for (int k = 0; k < 5; ++k) colours->AddRGBPoint(lo + (hi - lo) * k / 4.0, viridis[k][0], viridis[k][1], viridis[k][2]);
    colours->SetNanColor(0.6, 0.6, 0.6);
    vtkNew<vtkPolyDataMapper> mapper;
    mapper->SetInputData(faces);
    mapper->SetScalarModeToUseCellData();
    mapper->SetLookupTable(colours);
    mapper->SetScalarRange(lo, hi);
    mapper->UseLookupTableScalarRangeOn();
    vtkNew<vtkActor> actor;
    actor->SetMapper(mapper);
    actor->GetProperty()->EdgeVisibilityOn();
    actor->GetProperty()->SetEdgeColor(0.15, 0.15, 0.18);
    actor->GetProperty()->SetAmbient(0.25);
    actor->GetProperty()->SetDiffuse(0.8);
    actor->GetProperty()->SetSpecular(0.1);
    renderer->AddActor(actor);

    // Context: halls as floor, other groups in grey, racks as glass around coloured devices.
    const double floor_rgb[3] = {0.72, 0.73, 0.75}, grey[3] = {0.85, 0.86, 0.88};
    bool has_floor = group->name == "halls";
    std::vector<Box> everything;
    for (const auto& g : s.groups) {
        everything.insert(everything.end(), g.boxes.begin(), g.boxes.end());
        if (&g == group) continue;
        if (g.name == "halls") {
            renderer->AddActor(box_actor(g.boxes, floor_rgb, 1.0));
            has_floor = true;
        } else if (g.name == "racks" && group->name == "devices") {
            auto racks = box_actor(g.boxes, grey, 0.12);
            racks->GetProperty()->EdgeVisibilityOn();
            racks->GetProperty()->SetEdgeColor(0.3, 0.3, 0.35);
            renderer->AddActor(racks);
        } else if (g.name != "devices") {
            auto other = box_actor(g.boxes, grey, 1.0);
            other->GetProperty()->EdgeVisibilityOn();
            other->GetProperty()->SetEdgeColor(0.4, 0.4, 0.45);
            renderer->AddActor(other);
        }
    }
    if (!has_floor) renderer->AddActor(box_actor({floor_under(everything)}, floor_rgb, 1.0));

    // From the front left, above: rows run along x, the aisles along y.
    renderer->ResetCamera();
    vtkCamera* camera = renderer->GetActiveCamera();
    double focal[3];
    camera->GetFocalPoint(focal);
    camera->SetPosition(focal[0] - 0.55, focal[1] - 1.0, focal[2] + 0.85);
    camera->SetViewUp(0, 0, 1);
    renderer->ResetCamera();
    camera->SetWindowCenter(0, -0.2);  // room for the colour bar below

    const int size = std::max(12, o.height / 45);
    const std::string title = display_name(field->name) + (unit.empty() ? "" : " [" + unit + "]");
    vtkNew<vtkScalarBarActor> bar;
    bar->SetLookupTable(colours);
    bar->SetOrientationToHorizontal();
    bar->SetTitle(title.c_str());
    bar->SetNumberOfLabels(5);
    bar->SetLabelFormat("%-#.3g");
    bar->UnconstrainedFontSizeOn();
    bar->GetPositionCoordinate()->SetCoordinateSystemToNormalizedViewport();
    bar->GetPositionCoordinate()->SetValue(0.3, 0.02);
    bar->SetWidth(0.4);
    bar->SetHeight(0.1);
    for (auto* p : {bar->GetTitleTextProperty(), bar->GetLabelTextProperty()}) {
        p->SetColor(0.12, 0.12, 0.14);
        p->ShadowOff();
        p->ItalicOff();
        p->SetFontSize(p == bar->GetTitleTextProperty() ? size : size * 4 / 5);
    }
    renderer->AddActor2D(bar);

    const std::string site = s.site.empty() ? std::string("site") : s.site;
    renderer->AddActor2D(text(fmt::format("{}: {} of the {}", site, display_name(field->name), group->name), 0.02, 0.97,
                              size * 3 / 2, true, false, true));
    std::string sub = field->description;
    if (s.status != "complete" && !s.status.empty())
        sub += fmt::format("{}run {} at {}", sub.empty() ? "" : "; ", s.status, clock_text(s.times.back()));
    const double line = 1.6 * size / o.height;  // [normalised viewport]
    renderer->AddActor2D(text(sub, 0.02, 0.97 - 1.2 * line - 1.5 * size / o.height, size, true, false));
    // A run on a weather file has a calendar: the date first, as EnergyPlus writes it.
    const std::string when = s.calendar ? fmt::format("{}  (t = {})", date_time_text(*s.calendar + t), clock_text(t))
                                        : fmt::format("t = {}", clock_text(t));
    renderer->AddActor2D(text(when, 0.98, 0.97, size * 3 / 2, true, true, true));
    if (finite > 0)
        renderer->AddActor2D(text(fmt::format("highest {:.3g}{} at {}", values[hottest], unit.empty() ? "" : " " + unit,
                                              group->paths[hottest]),
                                  0.02, 0.97 - 2.2 * line - 1.5 * size / o.height, size, true, false));

    vtkNew<vtkRenderWindow> window;
    window->SetOffScreenRendering(1);
    window->SetSize(o.width, o.height);
    window->AddRenderer(renderer);
    window->Render();
    save_png(window, o.output, o.width, o.height);
}

namespace {

// The picture's path: not empty, and not the results file itself (which the PNG would replace).
// Nor a device or FIFO: VTK deletes a picture it could not finish, and /dev/full (as root)
// would be gone. (A directory is left to save_png: "is a directory", exit 1.)
void check_output(const std::string& input, const std::string& output) {
    if (output.empty()) throw ViewError("-o: the picture's path is empty");
    std::error_code ec;
    if (std::filesystem::equivalent(input, output, ec))
        throw ViewError(fmt::format("-o {}: that is the results file itself; the picture would replace it", output));
    if (struct stat st {}; ::stat(output.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        throw ViewError(fmt::format("-o {}: not a regular file; a picture is written only as one", output));
}

template <class Draw>
int command(const std::string& input, const std::string& output, Draw draw) {
    try {
        check_output(input, output);
        read_retrying(input, draw);
        fmt::print("wrote {}\n", output);
        return 0;
    } catch (const ResultsError& e) {
        std::cerr << fmt::format("dctwin: error: {}\n", e.what());
    } catch (const ViewError& e) {
        std::cerr << fmt::format("dctwin: error: {}\n", e.what());
    } catch (const UnitError& e) {
        std::cerr << fmt::format("dctwin: error: --time: {}\n", e.what());
    } catch (const std::exception& e) {
        std::cerr << fmt::format("dctwin: error: {}: {}\n", input, e.what());
        return 1;
    }
    return 2;
}

}  // namespace

int render_command(const RenderOptions& options) {
    return command(options.input, options.output, [&] { render_floor(options); });
}

int plot_command(const PlotOptions& options) {
    return command(options.input, options.output, [&] { render_plot(options); });
}

}  // namespace dctwin::viz
