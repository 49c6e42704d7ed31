#pragma once
// The results file: one HDF5 file per run, written incrementally. See viz/README.md for the
// layout. Every dataset carries a `units` attribute; every series has one value (1-D) or one
// row of values (2-D, [time x columns]) per output time.

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace dctwin {

/// An error writing or reading a results file (I/O failure, wrong layout). The message names
/// the file and the object.
class ResultsError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// One time series of the results file.
struct SeriesSpec {
    std::string path;         ///< dataset path, e.g. "/site/grid_power" or "/devices/junction_temperature"
    std::string unit;         ///< e.g. "W", "degC", "1", "J"
    std::string description;  ///< one line
    std::size_t width = 0;    ///< 0: a 1-D series (one value per time); n: 2-D [time x n]
    std::string columns;      ///< for 2-D: path of the label dataset naming the columns (see add_labels)
};

using AttributeValue = std::variant<std::string, double, std::int64_t>;

class ResultsWriter {
public:
    struct Options {
        double flush_interval_s = 5.0;  ///< [s] wall-clock time between H5Fflush calls
        int compression = 1;            ///< deflate level 0-9 (0: none); 1 writes twice as fast as 4 for a third more bytes
        std::size_t chunk_rows = 256;   ///< rows per chunk along time
        /// [bytes] cap on the row buffer (chunk_rows x row width x 8): begin() lowers chunk_rows
        /// to fit, down to 16 rows. 0: no cap.
        std::size_t max_buffer_bytes = 0;
        bool overwrite = false;         ///< replace an existing file
    };

    /// Opens nothing yet: the file is created by begin(), so that a declaration error leaves
    /// no file behind.
    ResultsWriter(std::string path, Options options);
    ~ResultsWriter();  // closes the file; an unfinished file keeps status "running"
    ResultsWriter(const ResultsWriter&) = delete;
    ResultsWriter& operator=(const ResultsWriter&) = delete;

    // --- declarations, before begin() -------------------------------------------------------
    /// A 1-D string dataset of labels (component paths), shared by the 2-D series that name it.
    void add_labels(const std::string& path, const std::vector<std::string>& labels,
                    const std::string& description);
    /// Declares a series; returns its offset in the row passed to append().
    std::size_t add_series(const SeriesSpec& spec);
    /// The series declared so far, in declaration order (the layout a file of them has).
    std::vector<SeriesSpec> declared_series() const;
    /// A static dataset written once (e.g. rack geometry): [rows x cols] doubles with units.
    void add_static(const std::string& path, const std::vector<double>& values, std::size_t rows,
                    std::size_t cols, const std::string& unit, const std::string& description);
    /// A text dataset written once (e.g. "/metadata/site_yaml").
    void add_text(const std::string& path, const std::string& text, const std::string& description);

    // --- any time after begin() --------------------------------------------------------------
    /// Sets (or replaces) an attribute on a group or dataset (created as groups if missing).
    void set_attribute(const std::string& object_path, const std::string& name,
                       const AttributeValue& value);

    /// Creates the file and every declared object; sets root attributes format="dctwin-results",
    /// format_version=1, status="running". Throws ResultsError if the file exists and
    /// !options.overwrite, or if it cannot be created.
    void begin();
    /// Appends one output row: `row` holds row_width() values, series in declaration order.
    void append(double time_s, const double* row);
    /// Appends an event to /events (time [s], path, kind, message), flushed with the series.
    void append_event(double time_s, const std::string& path, const std::string& kind,
                      const std::string& message);
    /// Writes buffered rows and calls H5Fflush, whatever the interval.
    void flush();
    /// Writes everything, sets status ("complete", "incomplete", "interrupted") and
    /// t_reached [s], and closes the file.
    void finish(const std::string& status, double t_reached_s);

    std::size_t row_width() const;
    std::size_t rows_written() const;
    const std::string& path() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// Read access for tests, reports and views.
/// True while a dctwin run holds the file's write lock (it is being written).
bool results_being_written(const std::string& path);

/// Runs `read`, which reads the results file at `path` (a ResultsReader and the views' reads).
/// A file a run is writing is read from a copy taken at the start (in memory up to
/// snapshot_max_bytes(); larger ones in a temporary file in TMPDIR or /tmp, a ResultsError
/// saying so when it cannot be written): HDF5 without SWMR shows a reader that meets a
/// flush a mix of old and new metadata, and a copy takes milliseconds where a read may take
/// seconds. A copy that caught a flush fails to read (a ResultsError), or is refused when a
/// series lacks the chunk of its last row (series_missing_last_chunk; the rows up to `rows` do
/// not move once flushed); while the file is being written such a failure
/// is retried from a new copy, with growing pauses, for `patience_s`; then ResultsError
/// "... is being written ...; try again". Other errors, and any error once the writer is gone,
/// pass through unchanged. With `keep`, the copy the successful read used stays the one later
/// reads open for as long as *keep holds it (a read in parts: `export`).
void read_retrying(const std::string& path, const std::function<void()>& read, double patience_s = 8.0,
                   std::shared_ptr<void>* keep = nullptr);

/// The largest file being written that read_retrying copies to memory to read it; larger ones
/// are copied to a temporary file.
constexpr std::uint64_t kSnapshotMaxBytes = std::uint64_t{256} << 20;
/// kSnapshotMaxBytes, or the environment's DCTWIN_SNAPSHOT_MAX_BYTES (bytes; tests lower it).
std::uint64_t snapshot_max_bytes();

/// Opens a results file read-only for plain HDF5 calls: the copy read_retrying took of a file
/// being written, else the file itself (without HDF5's file lock while a run writes it). A file id to H5Fclose, or
/// negative as H5Fopen (HDF5's error stack set).
std::int64_t open_results_file(const std::string& path);

/// For a file open by open_results_file (read_retrying checks each copy it takes): the first
/// series (extendible along time; /events aside) shorter than the root attribute `rows`, or
/// whose chunk holding row `rows` - 1 is not in the chunk index ("/" if the file's structure
/// cannot be read); "" when none is, or without `rows`. A copy taken during a flush can pair the new `rows` with the old index, and HDF5
/// then reads the newest rows as the fill value (NaN) without an error.
std::string series_missing_last_chunk(std::int64_t file);

class ResultsReader {
public:
    explicit ResultsReader(const std::string& path);  ///< throws ResultsError
    ~ResultsReader();
    ResultsReader(const ResultsReader&) = delete;
    ResultsReader& operator=(const ResultsReader&) = delete;

    bool exists(const std::string& object_path) const;
    std::vector<double> time() const;  ///< /time [s]
    /// A numeric dataset, row-major; shape gets its dimensions (1 or 2 entries).
    std::vector<double> read(const std::string& path, std::vector<std::size_t>* shape = nullptr) const;
    std::vector<std::string> read_strings(const std::string& path) const;
    std::string read_text(const std::string& path) const;
    std::string unit(const std::string& dataset_path) const;  ///< its `units` attribute
    AttributeValue attribute(const std::string& object_path, const std::string& name) const;
    struct Event {
        double time;
        std::string path, kind, message;
    };
    std::vector<Event> events() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace dctwin
