#include "models/outputs.hpp"

#include <stdexcept>

#include <fmt/format.h>

#include "io/results.hpp"

namespace dctwin {

void OutputSink::overrun() const {
    throw std::logic_error(fmt::format("output {}: compute writes more than its width of {} values", path_, width_));
}

void OutputList::labels(std::string path, std::vector<std::string> labels, std::string description) {
    order_.emplace_back(What::labels, labels_.size());
    labels_.push_back({std::move(path), std::move(labels), std::move(description)});
}

void OutputList::fixed(std::string path, std::vector<double> values, std::size_t rows, std::size_t cols,
                       std::string unit, std::string description) {
    order_.emplace_back(What::fixed, fixed_.size());
    fixed_.push_back({std::move(path), std::move(values), rows, cols, std::move(unit), std::move(description)});
}

void OutputList::series(OutputSeries s) {
    if (!s.compute) throw std::logic_error(fmt::format("output {}: no compute", s.path));
    width_ += s.values();
    order_.emplace_back(What::series, series_.size());
    series_.push_back(std::move(s));
}

void OutputList::declare(ResultsWriter& w) const {
    for (const auto& [what, i] : order_) switch (what) {
            case What::labels: w.add_labels(labels_[i].path, labels_[i].labels, labels_[i].description); break;
            case What::fixed: {
                const Fixed& f = fixed_[i];
                w.add_static(f.path, f.values, f.rows, f.cols, f.unit, f.description);
                break;
            }
            case What::series: {
                const OutputSeries& s = series_[i];
                w.add_series({s.path, s.unit, s.description, s.width, s.columns});
                break;
            }
        }
}

void OutputList::fill(const OutputContext& c, std::vector<double>& row) const {
    row.resize(width_);
    std::size_t at = 0;
    for (const OutputSeries& s : series_) {
        OutputSink sink(row.data() + at, s.values(), s.path);
        s.compute(c, sink);
        if (sink.count() != s.values())
            throw std::logic_error(
                fmt::format("output {}: compute wrote {} values, its width is {}", s.path, sink.count(), s.values()));
        at += s.values();
    }
}

}  // namespace dctwin
