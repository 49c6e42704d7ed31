#pragma once
// Reading the batch files of sweep/ (sweep files, fleet files): a YAML file's lines for
// located errors with an excerpt, and the small readers both formats share (maps in file
// order with unknown and duplicate keys refused, scalars, whole files with a cap).

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "input/file_reader.hpp"
#include "input/schema.hpp"
#include "input/site_loader.hpp"

namespace dctwin::sweep::yaml {

inline const char* kind_of(const YAML::Node& n) {
    switch (n.Type()) {
        case YAML::NodeType::Map: return "a map";
        case YAML::NodeType::Sequence: return "a list";
        case YAML::NodeType::Scalar: return "a single value";
        case YAML::NodeType::Null: return "nothing (null)";
        default: return "nothing";
    }
}

/// Where the file is and its lines, for errors with an excerpt (InputError: file:line:col,
/// key path, what was expected).
class Source {
public:
    Source(std::string label, std::string_view text) : label_(std::move(label)) {
        std::size_t start = 0;
        while (start <= text.size()) {
            std::size_t end = text.find('\n', start);
            if (end == std::string_view::npos) end = text.size();
            std::string_view l = text.substr(start, end - start);
            if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
            lines_.emplace_back(l);
            start = end + 1;
        }
    }
    /// line, col 1-based (0: no place known).
    [[noreturn]] void fail(int line, int col, const std::string& key, const std::string& detail) const {
        const std::string excerpt =
            line >= 1 && line <= int(lines_.size()) ? lines_[std::size_t(line - 1)] : std::string();
        throw InputError({label_, line, col}, key, detail, excerpt);
    }
    [[noreturn]] void fail(const YAML::Node& at, const std::string& key, const std::string& detail) const {
        const YAML::Mark m = at.Mark();
        fail(m.is_null() ? 0 : m.line + 1, m.is_null() ? 0 : m.column + 1, key, detail);
    }
    const std::string& label() const { return label_; }

private:
    std::string label_;
    std::vector<std::string> lines_;
};

using schema::did_you_mean;

inline std::string join(const std::string& a, const std::string& b) { return a.empty() ? b : a + "." + b; }

using Entries = std::vector<std::pair<std::string, YAML::Node>>;

/// The entries of a map in file order, refusing duplicate keys and (with `allowed` not empty)
/// unknown ones, with a did-you-mean.
inline Entries entries(const Source& src, const YAML::Node& map, const std::string& path,
                       const std::vector<std::string>& allowed) {
    if (!map.IsMap()) src.fail(map, path, fmt::format("expected a map, found {}", kind_of(map)));
    Entries out;
    for (const auto& kv : map) {
        if (!kv.first.IsScalar()) src.fail(kv.first, path, "expected a name as the key");
        const std::string key = kv.first.Scalar();
        for (const auto& e : out)
            if (e.first == key) src.fail(kv.first, join(path, key), fmt::format("duplicate key \"{}\"", key));
        if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
            std::string list;
            for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
            src.fail(kv.first, join(path, key),
                     fmt::format("unknown key \"{}\"{}; expected one of: {}", key, did_you_mean(key, allowed),
                                 list));
        }
        out.emplace_back(key, kv.second);
    }
    return out;
}

/// The document of a `what` file ("fleet", "sweep") as a map: a NUL byte, a YAML syntax
/// error or another kind of document is a located error, the last with `start` (how such a
/// file starts).
inline YAML::Node load_map(const Source& src, std::string_view text, const char* what, const std::string& start) {
    if (text.find('\0') != std::string_view::npos)
        src.fail(0, 0, "", fmt::format("this is not a text file (it contains a NUL byte); a {} file is YAML text", what));
    YAML::Node doc;
    try {
        doc = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
        src.fail(e.mark.is_null() ? 0 : e.mark.line + 1, e.mark.is_null() ? 0 : e.mark.column + 1, "",
                 "YAML syntax error: " + e.msg);
    }
    if (!doc.IsMap()) src.fail(doc, "", fmt::format("expected a map of {} settings, found {}; {}", what, kind_of(doc), start));
    return doc;
}

inline const YAML::Node* find(const Entries& es, const std::string& key) {
    for (const auto& e : es)
        if (e.first == key) return &e.second;
    return nullptr;
}

inline std::string scalar(const Source& src, const YAML::Node& n, const std::string& path, const char* expected) {
    if (!n.IsScalar()) src.fail(n, path, fmt::format("expected {}, found {}", expected, kind_of(n)));
    return n.Scalar();
}

/// A regular file's text, at most `limit` bytes; InputError naming the file otherwise.
inline std::string read_text(const std::string& path, const char* what, long limit) {
    try {
        return read_input_file(path, std::size_t(limit), what);
    } catch (const FileReadError& e) {
        throw InputError({path, 0, 0}, "", e.what(), "");
    }
}

}  // namespace dctwin::sweep::yaml
