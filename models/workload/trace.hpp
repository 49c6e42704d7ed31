#pragma once
// Trace replay: measured power or utilisation logs read into per-device time series, and an
// input signal that interpolates one of them linearly.
//
// Two CSV formats (fields separated by commas, spaces around fields ignored, CRLF and a UTF-8
// byte-order mark accepted, blank lines skipped):
//
// (a) nvidia-smi --query-gpu=timestamp,index,power.draw,utilization.gpu --format=csv
//         timestamp, index, power.draw [W], utilization.gpu [%]
//         2024/05/01 12:00:00.123, 0, 612.45 W, 97 %
//     Columns are found by their header names, in any order; `timestamp`, `index` and one of
//     `power.draw`, `power.draw.average`, `power.draw.instant` are required, `utilization.gpu`
//     is optional, other columns are ignored. Header units must be [W] and [%]; a value may
//     carry its unit (`612.45 W`, `97 %`, as with --format=csv) or not (`nounits`).
//     Timestamps are `YYYY/MM/DD HH:MM:SS[.fff]`, taken as given (no time zone, no DST) and
//     made relative to the first row's timestamp: trace time 0 is the first row.
//     `[N/A]` (also `N/A`, `[Not Supported]`, `[Unknown Error]`) marks a missing value: that
//     quantity has no sample in that row and the interpolation bridges the gap. A device with
//     no valid sample of a quantity is absent from that quantity's list.
//
// (b) a plain table:
//         time, device, power_W
//         0.0, gpu0, 612.4
//     `time` (or `time_s`) in seconds as written (not shifted); `device` (or `gpu`, `index`)
//     any non-empty name; the value column's header names quantity and unit: `power_W`,
//     `power_kW`, `power_MW` (stored in W), `utilization` (fraction 0..1), `utilization_pct`
//     (percent; stored as a fraction); a bare `value` takes the quantity the caller gives, in
//     SI. `#` starts a comment line. `[N/A]` as above.
//
// Rows of different devices may interleave; each device's times must increase strictly.
// Power must be >= 0, utilisation within 0..100 %. Any malformed row throws InputError naming
// the 1-based line and column and what was expected. Files over kMaxTraceBytes are refused.

#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "solver/network.hpp"

namespace dctwin {

inline constexpr long kMaxTraceBytes = 16L << 20;  ///< [bytes] largest trace file read
/// [W] largest power sample: a trace's series is one device, and a value beyond this is a
/// unit or format mistake that would only fail the solver later.
inline constexpr double kMaxTracePower = 1e6;

enum class TraceQuantity { power, utilization };

struct DeviceSeries {
    std::string device;          ///< the index or name in the file
    std::vector<double> time;    ///< [s] strictly increasing
    std::vector<double> value;   ///< [W] for power, [1] for utilization
};

struct Trace {
    TraceQuantity quantity = TraceQuantity::power;
    std::vector<DeviceSeries> devices;  ///< nvidia-smi: by index; table: by first appearance
    const DeviceSeries* find(std::string_view device) const;  ///< nullptr if absent
};

/// Both quantities of an nvidia-smi log (utilization empty if the column is absent).
struct GpuTrace {
    Trace power{TraceQuantity::power, {}};
    Trace utilization{TraceQuantity::utilization, {}};
};

/// `key_path` names the setting that pointed at the file, for the error messages.
GpuTrace read_nvidia_smi_csv(const std::string& path, const std::string& key_path = "workload.trace.file");
GpuTrace parse_nvidia_smi_csv(std::string_view text, const std::string& file_label,
                              const std::string& key_path = "workload.trace.file");

/// `bare` is the quantity of a value column headed just `value`.
Trace read_table_csv(const std::string& path, const std::string& key_path = "workload.trace.file",
                     TraceQuantity bare = TraceQuantity::power);
Trace parse_table_csv(std::string_view text, const std::string& file_label,
                      const std::string& key_path = "workload.trace.file",
                      TraceQuantity bare = TraceQuantity::power);

/// Either format, told apart by the header (nvidia-smi's has a `timestamp` column); a table
/// fills the slot of its quantity.
GpuTrace read_trace_csv(const std::string& path, const std::string& key_path = "workload.trace.file");

/// Trapezoid integral of a series over its whole span [value unit * s] (e.g. energy [J]).
double trapezoid(const DeviceSeries& s);

struct TraceSignalOptions {
    double start = 0.0;   ///< [s] simulation time of trace time 0
    double gain = 1.0;    ///< value = gain * sample + offset (e.g. W -> activity)
    double offset = 0.0;
    /// Replay in a loop with period (last - first + mean sample step); the closing step
    /// interpolates from the last sample back to the first, so the loop stays continuous.
    bool repeat = false;
    /// Value before the first and after the last sample (not repeating); empty: hold the
    /// end samples (continuous).
    std::optional<double> outside;
};

/// Linear interpolation of one device's series: continuous inside the trace, so the only
/// discontinuities reported are the trace's ends. O(log n) per call.
class TraceSignal final : public InputSignal {
public:
    explicit TraceSignal(DeviceSeries s, TraceSignalOptions o = {});
    double value(double t) const override;
    double next_discontinuity(double t) const override;  ///< [s]
    double first_time() const { return o_.start + s_.time.front(); }  ///< [s] simulation time
    double last_time() const { return o_.start + s_.time.back(); }    ///< [s]

private:
    double interpolate(double x) const;  // x: trace time
    DeviceSeries s_;
    TraceSignalOptions o_;
    double period_ = 0.0;  // [s] repeat period
};

}  // namespace dctwin
