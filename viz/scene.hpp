#pragma once
// What a results file holds for views: the components drawn as boxes on the floor, their
// fields over time, and the time steps. Shared by the XDMF sidecar (viz/xdmf.hpp), the
// rendered floor view and the charts (viz/render.hpp). Plain HDF5; no VTK here.
//
// Box groups are found generically: every group `/<g>` with `/<g>/geometry` [n x 6: x, y, z
// of the corner, width, depth, height; m] and `/<g>/paths` [n] is a group of n boxes, and
// every 2-D numeric dataset under `/<g>` with one column per box (and, when it names its
// columns, naming `/<g>/paths`) is a cell field. Two groups are derived when the file has no
// geometry for them: `devices` (slabs stacked inside their rack) and `halls` (a floor slab
// under the hall's racks).

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace dctwin {
class ResultsReader;
}

namespace dctwin::viz {

/// A request that the results file cannot answer (unknown field, time outside the run, a file
/// without geometry): the user's input is wrong (exit status 2 on the command line).
class ViewError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// One dataset of a results file.
struct DatasetInfo {
    std::string path;                ///< e.g. "/racks/power"
    std::vector<std::size_t> dims;   ///< as on disk (a killed run's series may hold more rows than are valid)
    bool numeric = false;            ///< integer or floating point
    bool extendible = false;         ///< a series (grows along time) rather than a static dataset
    std::string unit;                ///< its `units` attribute ("" if none)
    std::string description;         ///< its `description` attribute ("" if none)
    std::string columns;             ///< a 2-D series: the path of its labels dataset ("" if none)
};

/// Every dataset of the file, depth first in name order. Throws ResultsError.
std::vector<DatasetInfo> catalogue(const std::string& results);

/// An axis-aligned box: corner (x, y, z) and extent (width along x, depth along y, height
/// along z) [m].
struct Box {
    double x = 0, y = 0, z = 0, width = 0, depth = 0, height = 0;
};

/// The corners of a box in VTK's hexahedron order, as fractions of its extent: the bottom
/// face counter-clockwise seen from above, then the top face. Corner c of box b is
/// (b.x + kBoxCorners[c][0] * b.width, b.y + kBoxCorners[c][1] * b.depth, b.z + kBoxCorners[c][2] * b.height).
inline constexpr int kBoxCorners[8][3] = {{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {0, 1, 0},
                                          {0, 0, 1}, {1, 0, 1}, {1, 1, 1}, {0, 1, 1}};

/// A floor slab under `boxes` (at least one): 0.1 m thick, 1 m beyond them on every side.
Box floor_under(const std::vector<Box>& boxes);

/// A cell field of a box group: one value per box and output row.
struct CellField {
    std::string name;         ///< the dataset's name, e.g. "max_junction_temperature"
    std::string dataset;      ///< e.g. "/racks/max_junction_temperature"
    std::string unit;         ///< e.g. "degC"
    std::string description;  ///< one line
    std::size_t file_rows = 0;  ///< rows of the dataset on disk (>= Scene::rows)
};

/// Components drawn as boxes, with their fields.
struct BoxGroup {
    std::string name;                ///< the group, e.g. "racks"
    std::vector<std::string> paths;  ///< one per box, e.g. "hall/row_a/rack01"
    std::vector<Box> boxes;
    bool derived = false;            ///< geometry made here, not read from `/<name>/geometry`
    std::vector<CellField> fields;
};

struct Scene {
    std::string file;        ///< the results file
    std::string site;        ///< the `site` attribute ("" if none)
    std::string status;      ///< complete, incomplete, interrupted or running
    std::optional<double> calendar;  ///< calendar_start() of the run
    std::size_t rows = 0;    ///< valid rows of every series (`rows`, the shortest series after a kill)
    /// [s] one per time step, strictly increasing: rows sharing a time (before and after a
    /// discontinuity) make one step, the later row.
    std::vector<double> times;
    std::vector<std::size_t> steps;  ///< the row of each time step
    std::vector<BoxGroup> groups;    ///< racks first, then the file's other groups, devices, halls

    /// A field by name: "max_junction_temperature" (the first group that has it) or
    /// "devices/junction_temperature". Throws ViewError listing the fields there are.
    std::pair<const BoxGroup*, const CellField*> field(const std::string& name) const;
    /// The time step nearest to t [s]. Throws ViewError if t lies outside the run.
    std::size_t step_at(double t) const;
    /// Every field as "group/name", for messages.
    std::vector<std::string> field_names() const;
};

/// Reads the layout of a results file. Throws ResultsError (missing, not a results file,
/// unreadable) or ViewError (no output rows, no box group).
Scene load_scene(const std::string& results);

/// A string attribute of an object of the file; "" if either is missing or it is not a string.
std::string text_attribute(const ResultsReader& reader, const std::string& object, const std::string& name);
/// The output times of the file's valid rows: `/time` (a `running` file's up to its `rows`),
/// cut to the `rows` attribute. Throws ResultsError.
std::vector<double> output_times(const ResultsReader& reader);

/// The run's calendar: [s] from January 1, 00:00 of the weather year to t = 0, for a run on
/// an EPW file (`ambient.kind: epw`, its `start`, 0 when absent), read from the resolved site
/// text /metadata/site_yaml; nullopt for a run without a calendar.
std::optional<double> calendar_start(const ResultsReader& reader);
/// EnergyPlus's Date/Time text, " MM/DD  HH:MM:SS", of `since_jan1` [s] after January 1,
/// 00:00 in a 365-day year (wrapping after December 31, as a whole-year EPW file does).
std::string date_time_text(double since_jan1);

/// Row `row` of a 1-D or 2-D series, read alone (a hyperslab). Throws ResultsError.
std::vector<double> read_row(const std::string& results, const std::string& dataset, std::size_t row);

/// Rows [first, first + count) of a 1-D or 2-D series, row-major, cut to the rows it has;
/// *width gets its columns. Throws ResultsError.
std::vector<double> read_rows(const std::string& results, const std::string& dataset, std::size_t first,
                              std::size_t count, std::size_t* width);

/// The highest finite value of each column of a 2-D series over its first `rows` rows (NaN
/// for a column without one), read in blocks of rows: a wide series is never held whole.
/// Throws ResultsError.
std::vector<double> column_peaks(const std::string& results, const std::string& dataset, std::size_t rows);
/// Column `column` of a 2-D series, its first `rows` rows. Throws ResultsError.
std::vector<double> read_column(const std::string& results, const std::string& dataset, std::size_t column,
                                std::size_t rows);

/// A unit as people write it: degC -> °C; others unchanged ("1" -> "").
/// Text for XML and HTML: & < > " as entities (the sidecar's names, the report page's cells).
std::string markup_escape(const std::string& text);
std::string display_unit(const std::string& unit);
/// Widens [lo, hi] about its middle to a least span, so that a wiggle of a few millikelvin is
/// not drawn as a spike or a full colour scale: 1 K for temperatures (unit degC, °C or K), 1 %
/// of the magnitude otherwise (or 0.05 when the values are near zero).
void least_span(const std::string& unit, double& lo, double& hi);
/// "max_junction_temperature" -> "max junction temperature".
std::string display_name(const std::string& name);
/// A time [s] as a clock reads: "45 s", "10 min 05 s", "2:00:00 h", "1 d 02:00:00 h".
std::string clock_text(double t_s);

}  // namespace dctwin::viz
