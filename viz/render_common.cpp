// Helpers shared by the VTK pictures (viz/render_common.hpp).

#include "viz/render_common.hpp"

#include "viz/render.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <vtkAxis.h>
#include <vtkContextView.h>
#include <vtkRenderer.h>
#include <vtkErrorCode.h>
#include <vtkImageData.h>
#include <vtkNew.h>
#include <vtkPNGReader.h>
#include <vtkPNGWriter.h>
#include <vtkRenderWindow.h>
#include <vtkTextProperty.h>
#include <vtkWindowToImageFilter.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace dctwin::viz {

namespace fs = std::filesystem;

void check_output(const std::string& png) {
    std::error_code ec;
    if (fs::is_directory(png, ec)) throw std::runtime_error(fmt::format("cannot write '{}': it is a directory", png));
    fs::path folder = fs::path(png).parent_path();
    if (folder.empty()) folder = ".";
    if (!fs::is_directory(folder, ec))
        throw std::runtime_error(fmt::format("cannot write '{}': no directory '{}'", png, folder.string()));
    if (::access(folder.c_str(), W_OK) != 0 || (fs::exists(png, ec) && ::access(png.c_str(), W_OK) != 0))
        throw std::runtime_error(fmt::format("cannot write '{}': {}", png, std::strerror(errno)));
}

void save_png(vtkRenderWindow* window, const std::string& png, int width, int height) {
    vtkNew<vtkWindowToImageFilter> grab;
    grab->SetInput(window);
    grab->SetInputBufferTypeToRGB();
    grab->ReadFrontBufferOff();
    grab->Update();
    int dims[3] = {0, 0, 0};
    grab->GetOutput()->GetDimensions(dims);
    if (dims[0] != width || dims[1] != height)
        throw std::runtime_error(fmt::format("the renderer made a {} x {} picture, not {} x {} (too large for the "
                                             "display?)",
                                             dims[0], dims[1], width, height));
    vtkNew<vtkPNGWriter> writer;
    writer->SetFileName(png.c_str());
    writer->SetInputConnection(grab->GetOutputPort());
    writer->Write();
    if (writer->GetErrorCode() != 0)
        throw std::runtime_error(fmt::format("cannot write '{}': {}", png,
                                             vtkErrorCode::GetStringFromErrorCode(writer->GetErrorCode())));
}

PngStats png_stats(const std::string& png) {
    vtkNew<vtkPNGReader> reader;
    if (!fs::is_regular_file(png) || reader->CanReadFile(png.c_str()) == 0)
        throw std::runtime_error(fmt::format("'{}' is not a PNG", png));
    reader->SetFileName(png.c_str());
    reader->Update();
    vtkImageData* image = reader->GetOutput();
    int dims[3] = {0, 0, 0};
    image->GetDimensions(dims);
    PngStats s;
    s.width = dims[0];
    s.height = dims[1];
    const int channels = image->GetNumberOfScalarComponents();
    if (image->GetScalarType() != VTK_UNSIGNED_CHAR || channels < 1 || s.width <= 0 || s.height <= 0) return s;
    const auto* p = static_cast<const unsigned char*>(image->GetScalarPointer());
    const std::size_t n = std::size_t(s.width) * std::size_t(s.height);
    // Rows run bottom-up in VTK: the top-left pixel is the first of the last row.
    const unsigned char* corner = p + (n - std::size_t(s.width)) * std::size_t(channels);
    double sum = 0, sum2 = 0;
    std::size_t differ = 0, hued = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const unsigned char* px = p + i * std::size_t(channels);
        if (channels >= 3)
            hued += std::max({px[0], px[1], px[2]}) - std::min({px[0], px[1], px[2]}) > 40 ? 1 : 0;
        double grey = 0;
        bool same = true;
        for (int c = 0; c < std::min(channels, 3); ++c) {
            grey += px[c];
            same = same && std::abs(int(px[c]) - int(corner[c])) <= 8;
        }
        grey /= std::min(channels, 3);
        sum += grey;
        sum2 += grey * grey;
        differ += same ? 0 : 1;
    }
    const double mean = sum / double(n);
    s.variance = sum2 / double(n) - mean * mean;
    s.covered = double(differ) / double(n);
    s.coloured = double(hued) / double(n);
    return s;
}

void offscreen_view(vtkContextView* view, int width, int height) {
    view->GetRenderWindow()->SetOffScreenRendering(1);
    view->GetRenderWindow()->SetSize(width, height);
    view->GetRenderer()->SetBackground(1, 1, 1);
}

void fixed_axis(vtkAxis* axis, const std::string& title, double lo, double hi, int font) {
    axis->SetTitle(title);
    axis->SetBehavior(vtkAxis::FIXED);
    axis->SetRange(lo, hi);
    axis->GetTitleProperties()->SetFontSize(font);
    axis->GetLabelProperties()->SetFontSize(font);
}

}  // namespace dctwin::viz
