#pragma once
// Output series as descriptors: one entry says what a series is (path, unit, description,
// width) and computes its values. The results file is laid out from the entries and every row
// is filled from the same entries, so a declaration and its values cannot drift apart.

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace dctwin {

class ResultsWriter;
struct EvalContext;

/// What a descriptor computes from: the state at one output time, evaluated.
struct OutputContext {
    double t = 0.0;                   ///< [s]
    const double* y = nullptr;        ///< state values
    const EvalContext* eval = nullptr;
};

/// Where a descriptor's compute puts its values: exactly the series' width, checked (one more
/// throws before anything is written past the series' end).
class OutputSink {
public:
    OutputSink(double* out, std::size_t width, const std::string& path) : out_(out), width_(width), path_(path) {}
    void operator()(double v) {
        if (n_ == width_) overrun();
        out_[n_++] = v;
    }
    std::size_t count() const { return n_; }

private:
    [[noreturn]] void overrun() const;
    double* out_;
    std::size_t width_, n_ = 0;
    const std::string& path_;
};

/// One series of the results file.
struct OutputSeries {
    std::string path;         ///< dataset path, e.g. "/site/grid_power"
    std::string unit;         ///< e.g. "W", "degC", "1"
    std::string description;  ///< one line
    std::size_t width = 0;    ///< 0: one value per row (1-D); n: n values per row over `columns`
    std::string columns;      ///< for width > 0: the labels dataset naming the columns
    std::function<void(const OutputContext&, OutputSink&)> compute;
    /// Values per row: the width, or 1 for a 1-D series (the writer's row layout).
    std::size_t values() const { return width > 0 ? width : 1; }
};

/// The layout of a results file: labels, static datasets and series in declaration order.
class OutputList {
public:
    void labels(std::string path, std::vector<std::string> labels, std::string description);
    /// A dataset written once: [rows x cols] values.
    void fixed(std::string path, std::vector<double> values, std::size_t rows, std::size_t cols, std::string unit,
               std::string description);
    void series(OutputSeries s);

    /// Declares every entry on the writer, in order.
    void declare(ResultsWriter& w) const;
    /// One row: every series' values in declaration order. Throws std::logic_error naming the
    /// series when a compute writes more or fewer values than its width.
    void fill(const OutputContext& c, std::vector<double>& row) const;

    const std::vector<OutputSeries>& all_series() const { return series_; }
    /// The labels declared at `path` (the columns of 2-D series), or nullptr.
    const std::vector<std::string>* labels_at(const std::string& path) const {
        for (const auto& l : labels_)
            if (l.path == path) return &l.labels;
        return nullptr;
    }
    std::size_t row_width() const { return width_; }

private:
    struct Labels {
        std::string path;
        std::vector<std::string> labels;
        std::string description;
    };
    struct Fixed {
        std::string path;
        std::vector<double> values;
        std::size_t rows, cols;
        std::string unit, description;
    };
    enum class What { labels, fixed, series };
    std::vector<std::pair<What, std::size_t>> order_;  ///< declaration order: which list, index
    std::vector<Labels> labels_;
    std::vector<Fixed> fixed_;
    std::vector<OutputSeries> series_;
    std::size_t width_ = 0;
};

}  // namespace dctwin
