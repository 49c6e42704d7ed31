#pragma once
// Pictures of a results file with VTK: the floor view (boxes coloured by a field at one time)
// and time-series charts. Built into the dctwin_vtk library, not dctwin: only the command
// line and the viz tests link VTK.
//
// Debian's VTK renders through X only (no EGL, no OSMesa): without a usable display, a
// private Xvfb is started for the picture and stopped after it (package xvfb).

#include <string>
#include <vector>

#include "viz/report.hpp"

namespace dctwin::viz {

struct RenderOptions {
    std::string input;   ///< results file
    std::string output;  ///< PNG
    std::string time;    ///< "" = the last output time; else "10min", "600 s", "600" (s)
    std::string field;   ///< "" = max_junction_temperature (else the first rack field); "devices/power", ...
    int width = 1280, height = 800;  ///< [pixels]
};

struct PlotOptions {
    std::string input;   ///< results file
    std::string output;  ///< PNG
    /// Panels, top to bottom: "power" (grid, IT, cooling), "pue", "junction" (max junction
    /// temperature), "constraints" (the utilisations that come closest to their limit), or
    /// a series' path ("/site/throughput_fraction"; a 2-D series shows its highest columns).
    /// Empty: power, pue, junction, and constraints when the file has utilisations.
    std::vector<std::string> series;
    /// Of a sweep summary (DIR/summary.h5) instead: two swept parameters X, Y (by name or
    /// column); each case is drawn at its (X, Y), coloured by its binding family.
    std::vector<std::string> map;
    /// Of a fleet (`dctwin fleet -o DIR`: DIR or DIR/summary.h5) instead: a bar chart per
    /// KPI across the sites, grouped by workload, and the map of what limits each placement.
    bool fleet = false;
    int width = 1200, height = 1000;  ///< [pixels]
};

/// Renders the floor view to options.output. Throws ResultsError / ViewError (bad input),
/// UnitError (bad --time), std::runtime_error (no display, cannot write).
void render_floor(const RenderOptions& options);
/// Draws the charts to options.output (or, with options.map, the constraint map of a sweep
/// summary: render_map); throws like render_floor.
void render_plot(const PlotOptions& options);
/// The constraint map of a sweep: the binding family of every case over two swept
/// parameters. Throws ViewError for a file that is not a summary or unknown parameters.
void render_map(const PlotOptions& options);
/// The comparison of a fleet's placements (PlotOptions::fleet). Throws ViewError for a file
/// that is not a fleet's summary.
void render_fleet(const PlotOptions& options);

/// One chart of `dctwin compare --plot`: a measured series (points) and the simulated one
/// at the same times (a line), both in `unit`.
struct ComparePanel {
    std::string title, unit;
    std::vector<double> t, measured, simulated;  ///< [s] of the run; values in unit
};
/// Draws the panels top to bottom to `png` (width x height pixels). Throws ViewError (no
/// panel), std::runtime_error (no display, cannot write).
void render_comparison(const std::vector<ComparePanel>& panels, const std::string& png, int width, int height);

/// `dctwin report OUT.h5 --html PAGE.html`: the report as one self-contained page (the
/// charts and the floor view embedded as PNG); exit status 0, or 2 with the message.
int report_html_command(const ReportOptions& options);

/// What a check needs to know of a PNG: its size and whether it shows anything.
struct PngStats {
    int width = 0, height = 0;  ///< [pixels]
    double variance = 0;        ///< of the grey level (0-255), over every pixel
    double covered = 0;         ///< fraction of the pixels unlike the top-left corner's (the background)
    double coloured = 0;        ///< fraction of the pixels with a hue (channels apart by over 40 of 255)
};
/// Reads a PNG. Throws std::runtime_error if it is missing or not a PNG.
PngStats png_stats(const std::string& png);

/// `dctwin render` and `dctwin plot`: print errors; return the exit status: 0, 1 (cannot
/// render or write the picture), 2 (bad input: missing or foreign file, unknown field or
/// series, time outside the run).
int render_command(const RenderOptions& options);
int plot_command(const PlotOptions& options);

}  // namespace dctwin::viz
