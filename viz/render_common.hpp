#pragma once
// Helpers shared by the VTK pictures (viz/render.cpp, viz/render_plot.cpp, viz/render_map.cpp).

#include "viz/scene.hpp"

#include <string>

class vtkAxis;
class vtkContextView;
class vtkRenderWindow;

namespace dctwin::viz {

/// Throws std::runtime_error unless `png` can be written (its folder exists and is
/// writable, it is not a folder), before any rendering is spent on it.
void check_output(const std::string& png);
/// Saves what `window` rendered as a PNG; checks that it is width x height [pixels].
/// Throws std::runtime_error.
void save_png(vtkRenderWindow* window, const std::string& png, int width, int height);
/// A chart view drawn off screen on white, width x height [pixels].
void offscreen_view(vtkContextView* view, int width, int height);
/// A chart axis with its title, a fixed range [lo, hi] and the picture's font size [points].
void fixed_axis(vtkAxis* axis, const std::string& title, double lo, double hi, int font);
// least_span (widening a colour or axis range) is in viz/scene.hpp.

}  // namespace dctwin::viz
