#pragma once
// Measured data for calibration (docs/calibration.md): a CSV table whose first column is the
// time (`time [s]` of the run, or an ISO 8601 `timestamp`) and whose other columns are named
// by result path with a unit, "site/grid_power [kW]". Read through input/file_reader (a
// regular file, capped); any fault is an InputError placed at file:line:col.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "input/units.hpp"

namespace dctwin::calib {

/// [bytes] a week of 1-minute data in 100 columns is ~10 MB; anything near this is a mistake.
inline constexpr std::size_t kMaxMeasuredBytes = std::size_t(256) << 20;

/// One measured column.
struct MeasuredSeries {
    std::string path;     ///< the result path as written, e.g. "site/grid_power" (no unit)
    std::string unit;     ///< as written between the brackets, e.g. "kW"
    int line = 0, col = 0;  ///< where the heading is (errors found later: unknown path, unit)
    /// value in SI = scale * value + offset (an affine map: degC and degF have an offset).
    double scale = 1.0, offset = 0.0;
    Quantity dim;           ///< the unit's dimension (exponents, offset flag)
    std::vector<double> values;  ///< in the column's own unit; NaN where the field is empty
};

struct MeasuredData {
    std::string file;
    /// [s] strictly increasing: the `time [s]` column, or seconds since `epoch`.
    std::vector<double> time;
    /// With a timestamp column: the first timestamp, [s] since 1970-01-01 00:00 UTC (a
    /// timestamp without a zone is taken as UTC). nullopt with a `time [s]` column.
    std::optional<double> epoch;
    std::vector<int> lines;  ///< the line of each row
    std::vector<MeasuredSeries> series;
};

/// Parses the text of a measured CSV file; `label` names it in messages. Throws InputError.
MeasuredData parse_measured_csv(std::string_view text, const std::string& label);
/// Reads and parses the file `path` (a regular file, at most kMaxMeasuredBytes). Throws InputError.
MeasuredData read_measured_csv(const std::string& path);

/// nvidia-smi's CSV (`nvidia-smi --query-gpu=timestamp,index,power.draw,temperature.gpu,clocks.sm
/// --format=csv`, with or without `,nounits`; also `clocks.max.sm`): one row per GPU and
/// sample, timestamps "YYYY/MM/DD HH:MM:SS.mmm" in the node's local time, taken as UTC. GPU
/// `index` k is the device `gpu_prefix` + k of the results file (e.g. prefix
/// "hall1/rowA/rack01/gpu"). Series: power.draw -> devices/power [W], temperature.gpu ->
/// devices/junction_temperature [degC] (the die sensor nvidia-smi reports), and with
/// clocks.max.sm, clocks.sm / clocks.max.sm -> devices/clock_fraction [1]. "[N/A]" and
/// "[Not Supported]" are no measurement. Throws InputError at file:line:col.
MeasuredData parse_nvidia_smi_csv(std::string_view text, const std::string& label, const std::string& gpu_prefix);

/// A Prometheus metric mapped onto a result path: samples of metric `name` whose labels include
/// every one of `labels` are the series `path`, in `unit`.
struct MetricMap {
    std::string name;
    std::vector<std::pair<std::string, std::string>> labels;
    std::string path, unit;
};
/// "NAME{label=\"v\",...}=result/path [unit]" (the labels optional). Throws std::invalid_argument.
MetricMap parse_metric_map(std::string_view text);

/// Prometheus / OpenMetrics text exposition with a timestamp on every sample used (a dump of
/// scrapes, e.g. DCGM exporter output): `NAME{labels} VALUE TIMESTAMP`, the timestamp in ms
/// since 1970 (Prometheus) or, when below 1e11, in s (OpenMetrics). DCGM exporter's
/// DCGM_FI_DEV_POWER_USAGE [W] and DCGM_FI_DEV_GPU_TEMP [degC] map by their `gpu` label onto
/// devices/power and devices/junction_temperature of device `gpu_prefix` + gpu (when the
/// prefix is given); `maps` add any other metric (facility points). Samples of other metrics
/// are skipped. Throws InputError at file:line:col.
MeasuredData parse_prometheus_text(std::string_view text, const std::string& label, const std::string& gpu_prefix,
                                   const std::vector<MetricMap>& maps);

/// `dcgmi dmon -e 155,150,...` text: a `#Entity NAME ...` header (repeated now and then), an
/// optional `ID unit ...` line, rows `GPU k value ...`. It has no timestamps: the rows of one
/// round (until a GPU repeats) are sample r at r x `interval` [s] of the run. POWER [W] ->
/// devices/power and GTEMP [degC] -> devices/junction_temperature of device `gpu_prefix` + k;
/// other fields and entities are skipped, "N/A" is no measurement. Throws InputError.
MeasuredData parse_dcgmi_dmon(std::string_view text, const std::string& label, const std::string& gpu_prefix,
                              double interval);

/// The formats `dctwin compare` reads.
enum class MeasuredFormat { automatic, csv, nvidia_smi, prometheus, dcgmi };
/// "csv", "nvidia-smi", "prometheus", "dcgmi", "auto"; nullopt for another name.
std::optional<MeasuredFormat> measured_format(std::string_view name);
struct TelemetryOptions {
    std::string gpu_prefix;       ///< device path of GPU k without k, e.g. "hall1/rowA/rack01/gpu"
    std::vector<MetricMap> maps;  ///< Prometheus metrics onto result paths
    double interval = 1.0;        ///< [s] dcgmi dmon's -d (its default: 1000 ms)
};
/// Reads `path` in `format` (automatic: nvidia-smi when the header starts with `timestamp,
/// index` and names a power.draw or temperature.gpu column; Prometheus when the first line is
/// `# HELP`, `# TYPE` or a sample `NAME{...} VALUE ...`; dcgmi when it is `#Entity ...`; else
/// the measured CSV).
MeasuredData read_measured(const std::string& path, MeasuredFormat format, const TelemetryOptions& options);

/// An ISO 8601 date and time, "2026-03-01T00:00:00Z", "2026-03-01 00:00:00.5",
/// "2026-03-01T01:00:00+01:00", as [s] since 1970-01-01 00:00 UTC (no zone: UTC). nullopt
/// when it is not one.
std::optional<double> parse_iso8601(std::string_view text);

/// The affine map of a unit to SI, si = scale * v + offset, and its dimension. "1" or "" is a
/// number. Throws UnitError for text that is not a unit.
struct UnitMap {
    double scale = 1.0, offset = 0.0;
    Quantity dim;
};
UnitMap unit_map(std::string_view unit);

}  // namespace dctwin::calib
