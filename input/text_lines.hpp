#pragma once
// The lines of a text input other than the site file (a trace, measured data): blank lines and
// '#' comments skipped, CRLF endings and a spreadsheet's leading BOM accepted, and errors
// located at file:line:col with the key path that named the file. No excerpt is shown: the
// file may be anything a user named (see input/file_reader.hpp).

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "input/site_loader.hpp"

namespace dctwin {

class TextLines {
public:
    /// label: the file's name in messages; key: the site key that named it ("" for none).
    TextLines(std::string_view text, std::string label, std::string key = {})
        : text_(text), label_(std::move(label)), key_(std::move(key)) {
        if (text_.substr(0, 3) == "\xEF\xBB\xBF") text_.remove_prefix(3);
    }
    /// The next line that is neither blank nor a '#' comment; false at the end.
    bool next() {
        while (pos_ <= text_.size()) {
            std::size_t end = text_.find('\n', pos_);
            if (end == std::string_view::npos) end = text_.size();
            line_ = text_.substr(pos_, end - pos_);
            if (!line_.empty() && line_.back() == '\r') line_.remove_suffix(1);
            ++number_;
            pos_ = end + 1;
            const std::size_t first = line_.find_first_not_of(" \t");
            if (first != std::string_view::npos && line_[first] != '#') return true;
        }
        return false;
    }
    std::string_view line() const { return line_; }
    int number() const { return number_; }  ///< 1-based number of the current line
    [[noreturn]] void fail(int col, const std::string& detail) const { fail_at(number_, col, detail); }
    [[noreturn]] void fail_at(int line, int col, const std::string& detail) const {
        throw InputError(SourceLoc{label_, line, col}, key_, detail, std::string_view{});
    }

protected:
    const std::string& label() const { return label_; }
    const std::string& key() const { return key_; }

private:
    std::string_view text_, line_;
    std::string label_, key_;
    std::size_t pos_ = 0;
    int number_ = 0;
};

/// s without its leading and trailing blanks and tabs.
inline std::string_view trim_blanks(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

/// One comma-separated field of a line (no quoting: traces and grid series have none).
struct TextField {
    std::string_view text;  ///< trimmed
    int col = 1;            ///< 1-based column of its first character (of the field if blank)
};

/// The line's fields at every comma, each trimmed and with its column for errors.
inline std::vector<TextField> split_fields(std::string_view line) {
    std::vector<TextField> out;
    std::size_t start = 0;
    while (true) {
        const std::size_t end = std::min(line.find(',', start), line.size());
        const std::string_view raw = line.substr(start, end - start);
        std::size_t lead = 0;
        while (lead < raw.size() && (raw[lead] == ' ' || raw[lead] == '\t')) ++lead;
        out.push_back({trim_blanks(raw), int(start + std::min(lead, raw.size())) + 1});
        if (end == line.size()) break;
        start = end + 1;
    }
    return out;
}

/// A field's number: decimal or exponent form, an optional '+', finite; nothing else (no
/// unit, no blank, no trailing characters).
inline std::optional<double> plain_number(std::string_view s) {
    if (s.empty()) return std::nullopt;
    if (s.front() == '+') s.remove_prefix(1);
    double v = 0.0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

}  // namespace dctwin
