#include "input/site_loader.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <type_traits>
#include <unordered_map>

#include "input/catalogue.hpp"
#include "input/file_reader.hpp"
#include "input/series.hpp"
#include "input/units.hpp"

namespace dctwin {

// ---------------------------------------------------------------------------------------
// InputError

namespace {

// Text of the message itself (paths and values a file or --set gave, which may hold any
// byte): control characters, C0 but newline and tab, DEL and C1, become '?'.
std::string printable(std::string_view t) {
    std::string out;
    out.reserve(t.size());
    for (std::size_t i = 0; i < t.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(t[i]);
        const bool c1 = c == 0xC2 && i + 1 < t.size() && static_cast<unsigned char>(t[i + 1]) >= 0x80 &&
                        static_cast<unsigned char>(t[i + 1]) <= 0x9F;
        out += (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f || c1 ? '?' : static_cast<char>(c);
        if (c1) ++i;
    }
    return out;
}

std::string compose(const SourceLoc& loc, const std::string& key_path, const std::string& detail,
                    std::string_view line) {
    std::string place = printable(loc.file);
    if (loc.line > 0) place += fmt::format(":{}:{}", loc.line, std::max(loc.col, 1));
    std::string out = printable(fmt::format("{}: error: {}{}", place, key_path.empty() ? "" : key_path + ": ", detail));
    if (loc.line <= 0 || line.empty()) return out;
    // The excerpt is the user's own line; control bytes are blanked so that a terminal shows
    // what the file holds. The caret pad copies tabs and skips UTF-8 continuation bytes so
    // that it lines up under the column (which counts bytes).
    // A very long line (minified flow YAML) is cut to a window around the column.
    constexpr size_t kWindow = 60;
    size_t col0 = static_cast<size_t>(std::max(loc.col, 1)) - 1;
    size_t from = col0 > kWindow ? col0 - kWindow : 0, to = std::min(line.size(), col0 + kWindow);
    while (from > 0 && (static_cast<unsigned char>(line[from]) & 0xC0) == 0x80) --from;
    while (to < line.size() && (static_cast<unsigned char>(line[to]) & 0xC0) == 0x80) ++to;
    std::string shown = from > 0 ? "..." : "", pad = from > 0 ? "   " : "";
    for (size_t i = from; i < to; ++i) {
        unsigned char c = static_cast<unsigned char>(line[i]);
        // C1 controls (U+0080-U+009F, UTF-8 C2 80-9F) too: U+009B is a terminal's CSI.
        const bool c1 = c == 0xC2 && i + 1 < to && static_cast<unsigned char>(line[i + 1]) >= 0x80 &&
                        static_cast<unsigned char>(line[i + 1]) <= 0x9F;
        shown += (c < 0x20 && c != '\t') || c == 0x7f || c1 ? '?' : static_cast<char>(c);
        if (i < col0 && (c & 0xC0) != 0x80) pad += c == '\t' ? '\t' : ' ';
        if (c1) ++i;  // its continuation byte is part of the '?'
    }
    if (to < line.size()) shown += "...";
    out += fmt::format("\n{:>5} | {}\n{:>5} | {}^", loc.line, shown, "", pad);
    return out;
}

std::vector<std::string> split_lines(std::string_view text) {
    std::vector<std::string> lines;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view l = text.substr(start, end - start);
        if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
        lines.emplace_back(l);
        start = end + 1;
    }
    return lines;
}

// The excerpt of an error found after loading comes from the file again, read as the loader
// reads it (a regular file, capped); no excerpt if that fails.
std::string read_source_line(const std::string& file, int line) {
    if (file == "--set") return {};  // the overrides are not a file (a file of that name is not read)
    std::string text;
    try {
        text = read_input_file(file, kMaxSiteBytes, "a site file");
    } catch (const FileReadError&) {
        return {};
    }
    std::string_view rest(text);
    for (int i = 1; i < line; ++i) {
        const std::size_t nl = rest.find('\n');
        if (nl == std::string_view::npos) return {};
        rest.remove_prefix(nl + 1);
    }
    std::string l(rest.substr(0, rest.find('\n')));
    if (!l.empty() && l.back() == '\r') l.pop_back();
    return l;
}

}  // namespace

InputError::InputError(SourceLoc l, std::string path, std::string d, std::string_view source_line)
    : std::runtime_error(compose(l, path, d, source_line)),
      loc(std::move(l)),
      key_path(std::move(path)),
      detail(std::move(d)) {}

InputError::InputError(SourceLoc l, std::string path, std::string d)
    : InputError(l, path, d, l.line > 0 ? read_source_line(l.file, l.line) : std::string{}) {}

InputError InputError::in_named_file(SourceLoc l, std::string path, std::string d, const SourceLoc& named_at) {
    if (named_at.file.empty()) return InputError(std::move(l), std::move(path), std::move(d), std::string_view{});
    // Not about a place in the file (it cannot be read): placed where the site names it.
    if (l.line <= 0) return InputError(named_at, std::move(path), fmt::format("{}: {}", l.file, d));
    std::string note = fmt::format("\n  note: the file named by {} at {}", path, printable(named_at.file));
    if (named_at.line > 0) note += fmt::format(":{}:{}", named_at.line, std::max(named_at.col, 1));
    InputError e(std::move(l), std::move(path), std::move(d), std::string_view{});
    static_cast<std::runtime_error&>(e) = std::runtime_error(std::string(e.what()) + note);
    return e;
}

namespace {

// ---------------------------------------------------------------------------------------
// The document tree: YAML with a place on every key and value. yaml-cpp's own tree keeps
// only the first of duplicate keys on lookup and cannot tell which text an overridden value
// came from, so the site is copied once into this tree and everything works on the copy.

struct Loc {
    int src = 0;   // index into Context::sources: 0 the file, 1 the --set overrides
    int line = 0;  // 1-based
    int col = 0;   // 1-based, in bytes
};

struct Entry;
struct Node {
    enum class Kind { null, scalar, seq, map } kind = Kind::null;
    std::string text;     // scalar
    bool quoted = false;  // scalar was quoted: kept when writing the resolved YAML
    Loc loc;
    std::vector<Node> items;     // seq
    std::vector<Entry> entries;  // map, in file order
    const Entry* find(std::string_view key) const;
    Entry* find(std::string_view key);
};
struct Entry {
    std::string key;
    Loc key_loc;
    Node value;
};
const Entry* Node::find(std::string_view key) const {
    for (const Entry& e : entries)
        if (e.key == key) return &e;
    return nullptr;
}
Entry* Node::find(std::string_view key) {
    return const_cast<Entry*>(static_cast<const Node*>(this)->find(key));
}

std::string join(const std::string& path, std::string_view key) {
    if (path.empty()) return std::string(key);
    std::string out;
    out.reserve(path.size() + 1 + key.size());
    out += path;
    out += '.';
    out += key;
    return out;
}

std::string list_names(const std::vector<std::string>& names) {
    return names.empty() ? "(none)" : fmt::format("{}", fmt::join(names, ", "));
}

size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1])});
            diag = up;
        }
    }
    return row[b.size()];
}

// " (did you mean "coolant_flow"?)" when one candidate is close to what was written.
std::string did_you_mean(std::string_view found, const std::vector<std::string>& candidates) {
    const std::string* best = nullptr;
    size_t best_d = std::max<size_t>(2, found.size() / 3) + 1;
    for (const auto& c : candidates) {
        size_t d = edit_distance(found, c);
        if (d < best_d) best = &c, best_d = d;
    }
    return best ? fmt::format(" (did you mean \"{}\"?)", *best) : "";
}

struct Source {
    std::string label;
    std::vector<std::string> lines;
};

struct Context {
    std::vector<Source> sources;  // [0] the site file, [1] the overrides, one per line

    SourceLoc where(Loc l) const { return {sources[l.src].label, l.line, l.col}; }

    [[noreturn]] void fail(Loc l, const std::string& path, const std::string& detail) const {
        const auto& lines = sources[l.src].lines;
        std::string_view line;
        if (l.line >= 1 && l.line <= static_cast<int>(lines.size())) line = lines[l.line - 1];
        throw InputError(where(l), path, detail, line);
    }
};

std::string describe_node(const Node& n) {
    switch (n.kind) {
        case Node::Kind::null: return "nothing (an empty value)";
        case Node::Kind::seq: return "a list";
        case Node::Kind::map: return "a map";
        case Node::Kind::scalar: break;
    }
    return fmt::format("\"{}\"", n.text);
}

// Copies yaml-cpp's tree; duplicate keys, non-scalar keys, cycles (an anchor used inside
// itself) and alias bombs are errors here.
class Converter {
public:
    // Without aliases a node takes at least two bytes of text, so `max_nodes` of about the
    // text size lets aliases double the tree but stops a "billion laughs" file.
    Converter(const Context& ctx, std::function<Loc(const YAML::Mark&)> place, size_t max_nodes)
        : ctx_(ctx), place_(std::move(place)), max_nodes_(max_nodes) {}

    Node convert(const YAML::Node& y, const std::string& path, int depth, Loc fallback) {
        constexpr int kMaxDepth = 64;  // a site needs about 8
        Node n;
        YAML::Mark m = y.Mark();
        n.loc = m.is_null() || y.IsNull() ? fallback : place_(m);
        if (depth > kMaxDepth)
            ctx_.fail(n.loc, path, fmt::format("nesting deeper than {} levels", kMaxDepth));
        if (++count_ > max_nodes_)
            ctx_.fail(n.loc, path, "too many values for the size of the file (are aliases (*name) expanding "
                                   "into each other?)");
        switch (y.Type()) {
            case YAML::NodeType::Undefined:
            case YAML::NodeType::Null: n.kind = Node::Kind::null; break;
            case YAML::NodeType::Scalar:
                n.kind = Node::Kind::scalar;
                n.text = y.Scalar();
                n.quoted = y.Tag() == "!";
                break;
            case YAML::NodeType::Sequence: {
                n.kind = Node::Kind::seq;
                size_t i = 0;
                for (const auto& item : y) n.items.push_back(convert(item, join(path, std::to_string(i++)), depth + 1, n.loc));
                break;
            }
            case YAML::NodeType::Map: {
                n.kind = Node::Kind::map;
                std::unordered_map<std::string, Loc> seen;
                for (const auto& kv : y) {
                    Loc key_loc = kv.first.Mark().is_null() ? n.loc : place_(kv.first.Mark());
                    if (!kv.first.IsScalar())
                        ctx_.fail(key_loc, path, fmt::format("a map key must be a plain name, found {}",
                                                             kv.first.IsNull() ? "an empty key" : kv.first.IsMap() ? "a map" : "a list"));
                    std::string key = kv.first.Scalar();
                    auto [it, fresh] = seen.emplace(key, key_loc);
                    if (!fresh)
                        ctx_.fail(key_loc, path, fmt::format("duplicate key \"{}\" (first defined at line {}); "
                                                             "each key may appear once in a map", key, it->second.line));
                    n.entries.push_back({key, key_loc, convert(kv.second, join(path, key), depth + 1, key_loc)});
                }
                break;
            }
        }
        return n;
    }

private:
    const Context& ctx_;
    std::function<Loc(const YAML::Mark&)> place_;
    size_t max_nodes_;
    size_t count_ = 0;
};

void emit(YAML::Emitter& out, const Node& n) {
    switch (n.kind) {
        case Node::Kind::null: out << YAML::Null; break;
        case Node::Kind::scalar:
            if (n.quoted) out << YAML::DoubleQuoted;
            out << n.text;
            break;
        case Node::Kind::seq: {
            bool flat = std::all_of(n.items.begin(), n.items.end(),
                                    [](const Node& i) { return i.kind == Node::Kind::scalar; });
            out << (flat ? YAML::Flow : YAML::Block) << YAML::BeginSeq;
            for (const Node& i : n.items) emit(out, i);
            out << YAML::EndSeq;
            break;
        }
        case Node::Kind::map:
            out << YAML::BeginMap;
            for (const Entry& e : n.entries) {
                out << YAML::Key << e.key << YAML::Value;
                emit(out, e.value);
            }
            out << YAML::EndMap;
            break;
    }
}

// ---------------------------------------------------------------------------------------
// Parameter tables. One Field per key: what it is, whether it has a default, its valid
// range and a description; the same entry validates input and writes the reference.

enum class Kind { quantity, integer, boolean, text, texts, choice, name_ref, section, named_map, list, quantities, numbers, series };

struct Range {
    double lo = -HUGE_VAL, hi = HUGE_VAL;
    bool lo_open = false, hi_open = false;
    bool contains(double v) const {
        return (lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi);
    }
};
Range in(double lo, double hi) { return {lo, hi, false, false}; }      // lo <= x <= hi
Range above(double lo, double hi) { return {lo, hi, true, false}; }    // lo < x <= hi

constexpr double kC = 273.15;                        // [K] at 0 degC
const Range kTemperatureRange = in(kC - 50, kC + 150);  // any temperature in a site
constexpr double kDay = 86400, kYear = 365 * kDay;

struct Param {
    std::string key;
    Kind kind = Kind::quantity;
    Dimension dim = dims::dimensionless;
    bool required = true;
    std::string default_text;          // the documented default when !required
    Range range;
    std::vector<std::string> choices;  // choice; for name_ref: the section named
    std::string ref;                   // section / named_map / list: title of its table
    int count = 0;                     // quantities: how many
    std::string description;
};

class Reader;

// Where a field's value is: its entry in the parent map (null when the key is absent), its
// key path, and the place to blame for a missing key (the parent).
struct Slot {
    const Entry* entry;
    std::string path;
    Loc owner;
};

template <class T>
struct Field {
    Param param;
    std::function<void(T&, const Param&, const Slot&, Reader&)> read;
};

template <class T>
struct Table {
    std::string title;  // key path pattern, e.g. "device_types.<name>"
    std::string intro;
    std::vector<Field<T>> fields;
    // Rules between fields, run after all fields are read; gets the object's map node.
    std::function<void(const T&, const Node&, Reader&, const std::string&)> check = {};
};

std::string range_text(const Param& p) {
    const Range& r = p.range;
    auto num = [&](double v) {
        if (p.kind == Kind::integer || v == 0) return fmt::format("{}", static_cast<long long>(v));
        return format_quantity(v, p.dim);
    };
    bool has_lo = std::isfinite(r.lo), has_hi = std::isfinite(r.hi);
    if (has_lo && has_hi && r.lo == r.hi) return num(r.lo);
    std::string s;
    if (has_lo) s += fmt::format("{} {} ", num(r.lo), r.lo_open ? "<" : "<=");
    if (has_lo || has_hi) s += "x";
    if (has_hi) s += fmt::format(" {} {}", r.hi_open ? "<" : "<=", num(r.hi));
    return s;
}

// "lengths", "temperatures": a list's items, for messages and the reference.
std::string plural(const Dimension& d) { return std::string(d.name) + "s"; }

// An example list of p.count quantities: the default where there is one.
std::string list_example(const Param& p) {
    if (!p.default_text.empty()) return p.default_text.substr(1, p.default_text.size() - 2);
    if (std::string_view(p.dim.name) == dims::length.name) return p.count == 2 ? "0 m, 3 m" : "0.6 m, 1.2 m, 2.3 m";
    std::vector<std::string> v(std::size_t(p.count), p.dim.example);
    return fmt::format("{}", fmt::join(v, ", "));
}

// `a power (e.g. "700 W")`: what a key takes, for messages.
std::string what_text(const Param& p) {
    switch (p.kind) {
        case Kind::quantity: return fmt::format("{} (e.g. \"{}\")", describe(p.dim), p.dim.example);
        case Kind::integer: return "a whole number";
        case Kind::boolean: return "true or false";
        case Kind::text: return "text";
        case Kind::texts: return "a list of texts";
        case Kind::choice: return fmt::format("one of: {}", list_names(p.choices));
        case Kind::name_ref: return fmt::format("the name of an entry of {}", p.choices.at(0));
        case Kind::section: return fmt::format("a map (see {})", p.ref);
        case Kind::named_map: return fmt::format("a map of named entries (see {})", p.ref);
        case Kind::list: return fmt::format("a list of maps (see {})", p.ref);
        case Kind::quantities: return fmt::format("a list of {} {} (e.g. [{}])", p.count, plural(p.dim), list_example(p));
        case Kind::numbers: return fmt::format("a list of {} numbers", p.count);
        case Kind::series:
            return fmt::format("a value (e.g. \"{}\"), or a map with `points` ([[time, value], ...]) or `file` (a CSV "
                               "file)", p.dim.example);
    }
    return "";
}

// Reads and validates values; knows the site being built, for cross references.
class Reader {
public:
    Reader(const Context& ctx, SiteSpec& site) : ctx(ctx), site(site) {}
    const Context& ctx;
    SiteSpec& site;

    [[noreturn]] void fail(Loc l, const std::string& path, const std::string& detail) const { ctx.fail(l, path, detail); }
    SourceLoc where(Loc l) const { return ctx.where(l); }

    [[noreturn]] void wrong_type(const Node& n, const std::string& path, const std::string& expected) const {
        fail(n.loc, path, fmt::format("expected {}, found {}", expected, describe_node(n)));
    }

    const Node& scalar(const Node& n, const Param& p, const std::string& path) const {
        if (n.kind != Node::Kind::scalar) wrong_type(n, path, what_text(p));
        // Values are printed back (summaries, paths in messages): no control character a
        // terminal would obey (YAML's "\e" and "\x9b" make them).
        for (std::size_t i = 0; i < n.text.size(); ++i) {
            const unsigned char c = static_cast<unsigned char>(n.text[i]), next = i + 1 < n.text.size() ? n.text[i + 1] : 0;
            if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f || (c == 0xC2 && next >= 0x80 && next <= 0x9F))
                fail(n.loc, path, fmt::format("a control character (U+{:04X}) in the value", c == 0xC2 ? next : c));
        }
        return n;
    }

    double quantity(const Node& node, const Param& p, const std::string& path) const {
        const Node& n = scalar(node, p, path);
        double v = 0;
        try {
            v = parse_quantity(n.text, p.dim);
        } catch (const UnitError& e) {
            fail(n.loc, path, e.what());
        }
        if (!p.range.contains(v)) {
            std::string hint;
            if (parse_any_quantity(n.text).unitless && !p.dim.same_units(dims::dimensionless))
                hint = p.dim.absolute ? fmt::format("; a number without a unit is in kelvin, write e.g. \"{}\"", p.dim.example)
                                      : fmt::format("; a number without a unit is in SI units, e.g. write \"{}\"", p.dim.example);
            fail(n.loc, path, fmt::format("out of range: found {}, expected {}{}", format_quantity(v, p.dim), range_text(p), hint));
        }
        return v;
    }

    long long integer(const Node& node, const Param& p, const std::string& path) const {
        const Node& n = scalar(node, p, path);
        std::string_view t = n.text;
        if (!t.empty() && t.front() == '+') t.remove_prefix(1);
        long long v = 0;
        auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
        if (ec == std::errc::result_out_of_range)
            fail(n.loc, path, fmt::format("out of range: found {}, expected {}", n.text, range_text(p)));
        if (ec != std::errc{} || ptr != t.data() + t.size() || t.empty()) wrong_type(n, path, what_text(p));
        if (!p.range.contains(static_cast<double>(v)))
            fail(n.loc, path, fmt::format("out of range: found {}, expected {}", v, range_text(p)));
        return v;
    }

    bool boolean(const Node& node, const Param& p, const std::string& path) const {
        const Node& n = scalar(node, p, path);
        for (const char* t : {"true", "True", "TRUE"})
            if (n.text == t) return true;
        for (const char* f : {"false", "False", "FALSE"})
            if (n.text == f) return false;
        wrong_type(n, path, what_text(p));
    }

    std::string choice(const Node& node, const Param& p, const std::string& path) const {
        const Node& n = scalar(node, p, path);
        if (std::find(p.choices.begin(), p.choices.end(), n.text) == p.choices.end())
            fail(n.loc, path, fmt::format("expected one of: {}; found {}{}", list_names(p.choices), describe_node(n),
                                          did_you_mean(n.text, p.choices)));
        return n.text;
    }

    template <class T>
    void object(const Node* node, const Table<T>& table, T& out, const std::string& path, Loc owner) {
        static const Node kEmptyMap = [] { Node n; n.kind = Node::Kind::map; return n; }();
        const Node& n = node ? *node : kEmptyMap;  // an absent section: defaults, or missing keys
        auto keys = [&] {  // for messages
            std::vector<std::string> k;
            for (const auto& f : table.fields) k.push_back(f.param.key);
            return k;
        };
        if (n.kind != Node::Kind::map)
            wrong_type(n, path, fmt::format("a map with the keys {}", list_names(keys())));
        for (const Entry& e : n.entries)
            if (std::none_of(table.fields.begin(), table.fields.end(), [&](const auto& f) { return f.param.key == e.key; }))
                fail(e.key_loc, path, fmt::format("unknown key \"{}\"{}; expected one of: {}", e.key,
                                                  did_you_mean(e.key, keys()), list_names(keys())));
        for (const auto& f : table.fields) {
            const Entry* e = n.find(f.param.key);
            if (!e && f.param.required)
                fail(owner, path, fmt::format("missing required key \"{}\": {}", f.param.key, what_text(f.param)));
            f.read(out, f.param, Slot{e, join(path, f.param.key), owner}, *this);
        }
        if (table.check) table.check(out, n, *this, path);
    }

    // The names a name_ref may use. The root table reads device_types before rack_types and
    // rack_types before halls, so every name is known by the time it is referred to.
    std::vector<std::string> known(std::string_view section) const {
        std::vector<std::string> names;
        if (section == "device_types")
            for (const auto& [k, v] : site.device_types) names.push_back(k);
        if (section == "rack_types")
            for (const auto& [k, v] : site.rack_types) names.push_back(k);
        return names;
    }
};

constexpr std::nullopt_t kRequired = std::nullopt;

template <class T>
void set_loc(T& t, SourceLoc l) {
    if constexpr (requires { t.loc; }) t.loc = std::move(l);
}

template <class T>
Field<T> quantity(std::string key, const Dimension& dim, double T::*m, Range range, std::optional<double> def,
                  std::string desc) {
    Param p;
    p.key = key;
    p.kind = Kind::quantity;
    p.dim = dim;
    p.required = !def;
    p.default_text = def ? format_quantity(*def, dim) : "";
    p.range = range;
    p.description = desc;
    return {p, [m, def](T& t, const Param& p, const Slot& s, Reader& r) {
                t.*m = s.entry ? r.quantity(s.entry->value, p, s.path) : *def;
            }};
}

template <class T>
Field<T> integer(std::string key, int T::*m, int lo, int hi, std::string desc, std::optional<int> def = std::nullopt) {
    Param p;
    p.key = key;
    p.kind = Kind::integer;
    p.range = in(lo, hi);
    p.description = desc;
    if (def) {
        p.required = false;
        p.default_text = std::to_string(*def);
    }
    return {p, [m](T& t, const Param& p, const Slot& s, Reader& r) {
                if (s.entry) t.*m = static_cast<int>(r.integer(s.entry->value, p, s.path));
            }};
}

template <class T>
Field<T> boolean(std::string key, bool T::*m, bool def, std::string desc) {
    Param p;
    p.key = key;
    p.kind = Kind::boolean;
    p.required = false;
    p.default_text = def ? "true" : "false";
    p.description = desc;
    return {p, [m, def](T& t, const Param& p, const Slot& s, Reader& r) {
                t.*m = s.entry ? r.boolean(s.entry->value, p, s.path) : def;
            }};
}

template <class T>
Field<T> text(std::string key, std::string T::*m, std::optional<std::string> def, std::string desc) {
    Param p;
    p.key = key;
    p.kind = Kind::text;
    p.required = !def;
    p.default_text = def ? fmt::format("\"{}\"", *def) : "";
    p.description = desc;
    return {p, [m, def](T& t, const Param& p, const Slot& s, Reader& r) {
                t.*m = s.entry ? r.scalar(s.entry->value, p, s.path).text : *def;
            }};
}

template <class T>
Field<T> choice(std::string key, std::string T::*m, std::vector<std::string> choices, std::optional<std::string> def,
                std::string desc) {
    Param p;
    p.key = key;
    p.kind = Kind::choice;
    p.required = !def;
    p.default_text = def ? *def : "";
    p.choices = std::move(choices);
    p.description = desc;
    return {p, [m, def](T& t, const Param& p, const Slot& s, Reader& r) {
                t.*m = s.entry ? r.choice(s.entry->value, p, s.path) : *def;
            }};
}

// A kind: one of the names of E (KindNames), read into its enum value once, here.
template <class E>
std::vector<std::string> kind_names() {
    return {KindNames<E>::names.begin(), KindNames<E>::names.end()};
}

template <class T, class E>
Field<T> kind(std::string key, E T::*m, std::optional<std::type_identity_t<E>> def, std::string desc) {
    Param p;
    p.key = key;
    p.kind = Kind::choice;
    p.required = !def;
    p.default_text = def ? kind_name(*def) : "";
    p.choices = kind_names<E>();
    p.description = desc;
    return {p, [m, def](T& t, const Param& p, const Slot& s, Reader& r) {
                if (!s.entry) {
                    t.*m = *def;
                    return;
                }
                const std::string name = r.choice(s.entry->value, p, s.path);  // a located error if unknown
                t.*m = E(std::find(p.choices.begin(), p.choices.end(), name) - p.choices.begin());
            }};
}

// A name that must be a key of an earlier section (`device_types` or `rack_types`).
template <class T>
Field<T> name_ref(std::string key, std::string T::*m, std::string section, std::string what, std::string desc) {
    Param p;
    p.key = key;
    p.kind = Kind::name_ref;
    p.choices = {section};
    p.description = desc;
    return {p, [m, what](T& t, const Param& p, const Slot& s, Reader& r) {
                const Node& n = r.scalar(s.entry->value, p, s.path);
                auto names = r.known(p.choices[0]);
                if (std::find(names.begin(), names.end(), n.text) == names.end())
                    r.fail(n.loc, s.path, fmt::format("unknown {} \"{}\"{}; known {}s (in {}): {}", what, n.text,
                                                      did_you_mean(n.text, names), what, p.choices[0], list_names(names)));
                t.*m = n.text;
            }};
}

// A nested map read into part of T (`get` may return T itself: `air:` fills HallSpec).
template <class T, class U>
Field<T> section(std::string key, const Table<U>& table, U& (*get)(T&), bool required, std::string desc) {
    Param p;
    p.key = key;
    p.kind = Kind::section;
    p.required = required;
    p.default_text = required ? "" : "(all keys at their defaults)";
    p.ref = table.title;
    p.description = desc;
    return {p, [&table, get](T& t, const Param&, const Slot& s, Reader& r) {
                U& u = get(t);
                Loc at = s.entry ? s.entry->key_loc : s.owner;
                if constexpr (!std::is_same_v<T, U>) set_loc(u, r.where(at));
                r.object(s.entry ? &s.entry->value : nullptr, table, u, s.path, at);
            }};
}

// A nested map that may be absent (then U::present stays false); when present, its own
// required keys are required.
template <class T, class U>
Field<T> optional_section(std::string key, const Table<U>& table, U& (*get)(T&), std::string desc) {
    Param p;
    p.key = key;
    p.kind = Kind::section;
    p.required = false;
    p.default_text = "(absent)";
    p.ref = table.title;
    p.description = desc;
    return {p, [&table, get](T& t, const Param&, const Slot& s, Reader& r) {
                if (!s.entry) return;
                U& u = get(t);
                u.present = true;
                u.loc = r.where(s.entry->key_loc);
                r.object(&s.entry->value, table, u, s.path, s.entry->key_loc);
            }};
}

// Names are map keys; they appear in key paths, --set and result dataset paths.
void check_name(const Entry& e, const std::string& path, const Reader& r) {
    bool ok = !e.key.empty() && std::all_of(e.key.begin(), e.key.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
    });
    if (!ok)
        r.fail(e.key_loc, path, fmt::format("invalid name \"{}\": a name may contain only letters, digits, \"_\" "
                                            "and \"-\" (it becomes part of key paths and result names)", e.key));
}

// A map of name -> object of table U; at least one entry.
template <class T, class U>
Field<T> named_map(std::string key, const Table<U>& table, void (*add)(T&, U&&), std::string desc,
                   bool required = true) {
    Param p;
    p.key = key;
    p.kind = Kind::named_map;
    p.ref = table.title;
    p.required = required;
    p.default_text = required ? "" : "(none)";
    p.description = desc;
    return {p, [&table, add](T& t, const Param& p, const Slot& s, Reader& r) {
                if (!s.entry) return;  // optional and absent
                const Node& n = s.entry->value;
                if (n.kind != Node::Kind::map) r.wrong_type(n, s.path, what_text(p));
                if (n.entries.empty())
                    r.fail(s.entry->key_loc, s.path, "needs at least one entry");
                for (const Entry& e : n.entries) {
                    check_name(e, s.path, r);
                    U u;
                    u.name = e.key;
                    u.loc = r.where(e.key_loc);
                    r.object(&e.value, table, u, join(s.path, e.key), e.key_loc);
                    add(t, std::move(u));
                }
            }};
}

// A list of objects of table U; at least one.
template <class T, class U>
Field<T> list(std::string key, const Table<U>& table, std::vector<U> T::*m, std::string desc, bool required = true) {
    Param p;
    p.key = key;
    p.kind = Kind::list;
    p.ref = table.title;
    p.required = required;
    p.default_text = required ? "" : "(none)";
    p.description = desc;
    return {p, [&table, m](T& t, const Param& p, const Slot& s, Reader& r) {
                if (!s.entry) return;  // optional and absent
                const Node& n = s.entry->value;
                if (n.kind != Node::Kind::seq) r.wrong_type(n, s.path, what_text(p));
                if (n.items.empty()) r.fail(n.loc, s.path, "needs at least one entry");
                for (size_t i = 0; i < n.items.size(); ++i) {
                    U u;
                    u.loc = r.where(n.items[i].loc);
                    r.object(&n.items[i], table, u, join(s.path, std::to_string(i)), n.items[i].loc);
                    (t.*m).push_back(std::move(u));
                }
            }};
}

// A list of texts, e.g. members: [hall1/rowA, hall1/rowB]; absent: empty.
template <class T>
Field<T> texts(std::string key, std::vector<std::string> T::*m, std::string default_text, std::string desc,
               bool required = false) {
    Param p;
    p.key = key;
    p.kind = Kind::texts;
    p.required = required;
    p.default_text = default_text;
    p.description = desc;
    return {p, [m](T& t, const Param& p, const Slot& s, Reader& r) {
                if (!s.entry) return;
                const Node& n = s.entry->value;
                if (n.kind != Node::Kind::seq || n.items.empty())
                    r.wrong_type(n, s.path, "a non-empty list of texts");
                for (size_t i = 0; i < n.items.size(); ++i)
                    (t.*m).push_back(r.scalar(n.items[i], p, join(s.path, std::to_string(i))).text);
            }};
}

// A fixed-length list of quantities of one dimension, e.g. size: [w, d, h] (lengths),
// leaving_range: [lo, hi] (temperatures).
template <class T>
Field<T> quantities(std::string key, Dimension dim, std::vector<double T::*> members, Range each,
                    std::optional<std::vector<double>> def, std::string desc) {
    std::string def_text;
    if (def) {
        std::vector<std::string> parts;
        for (double v : *def) parts.push_back(format_quantity(v, dim));
        def_text = fmt::format("[{}]", fmt::join(parts, ", "));
    }
    Param p;
    p.key = key;
    p.kind = Kind::quantities;
    p.dim = dim;
    p.required = !def;
    p.default_text = def_text;
    p.range = each;
    p.count = static_cast<int>(members.size());
    p.description = desc;
    return {p, [members, def](T& t, const Param& p, const Slot& s, Reader& r) {
                if (!s.entry) {
                    for (size_t i = 0; i < members.size(); ++i) t.*members[i] = (*def)[i];
                    return;
                }
                const Node& n = s.entry->value;
                if (n.kind != Node::Kind::seq || n.items.size() != members.size())
                    r.fail(n.loc, s.path, fmt::format("expected {}, found {}", what_text(p),
                                                      n.kind == Node::Kind::seq ? fmt::format("a list of {}", n.items.size())
                                                                                : describe_node(n)));
                Param one = p;
                one.kind = Kind::quantity;
                for (size_t i = 0; i < members.size(); ++i)
                    t.*members[i] = r.quantity(n.items[i], one, join(s.path, std::to_string(i)));
            }};
}

// A fixed-length list of plain numbers (curve coefficients).
template <class T>
Field<T> numbers(std::string key, std::vector<double> T::*m, std::vector<double> def, std::string desc) {
    Param p;
    p.key = key;
    p.kind = Kind::numbers;
    p.required = false;
    p.default_text = fmt::format("[{}]", fmt::join(def, ", "));
    p.count = static_cast<int>(def.size());
    p.description = desc;
    return {p, [m, def](T& t, const Param& p, const Slot& s, Reader& r) {
                t.*m = def;
                if (!s.entry) return;
                const Node& n = s.entry->value;
                if (n.kind != Node::Kind::seq || n.items.size() != def.size())
                    r.fail(n.loc, s.path, fmt::format("expected {}, found {}", what_text(p),
                                                      n.kind == Node::Kind::seq ? fmt::format("a list of {}", n.items.size())
                                                                                : describe_node(n)));
                Param one = p;
                one.kind = Kind::quantity;
                one.dim = dims::dimensionless;
                one.range = in(-1e6, 1e6);
                for (size_t i = 0; i < def.size(); ++i) (t.*m)[i] = r.quantity(n.items[i], one, join(s.path, std::to_string(i)));
            }};
}

const Node* child(const Node& n, std::string_view key) {
    const Entry* e = n.find(key);
    return e ? &e->value : nullptr;
}

Loc value_loc(const Node& n, std::string_view key) {
    const Entry* e = n.find(key);
    return e ? e->value.loc : n.loc;
}

// --- the tables -------------------------------------------------------------------------

const Table<SolverSpec>& solver_table() {
    static const Table<SolverSpec> t{
        "simulation.solver", "Settings of the integrator (CVODE's BDF or ARKODE's ESDIRK, with Newton iterations). All optional.",
        {
            quantity<SolverSpec>("rtol", dims::dimensionless, &SolverSpec::rtol, in(1e-12, 1e-2), 1e-6,
                                 "Relative tolerance of every state."),
            quantity<SolverSpec>("atol_temperature", dims::temperature_difference, &SolverSpec::atol_temperature,
                                 above(0, 10), 1e-2,
                                 "Absolute tolerance of temperature states (junctions, plates, coolant, air); the "
                                 "absolute tolerances of the other states (energies, tallies, controls) scale with "
                                 "it. The error of every junction stays within a few times it (bench/accuracy.sh)."),
            quantity<SolverSpec>("max_step", dims::time, &SolverSpec::max_step, in(0, 100 * kYear), 0.0,
                                 "Largest step the integrator may take; 0 s means no limit."),
            choice<SolverSpec>("jacobian", &SolverSpec::jacobian, {"analytic", "finite-difference"}, "analytic",
                               "`analytic`: sparse Jacobian from each component; `finite-difference`: CVODE's "
                               "difference quotients (slower, for checking)."),
            choice<SolverSpec>("linear_solver", &SolverSpec::linear_solver, {"block", "klu", "dense"}, "block",
                               "`block`: each device's states eliminated onto the shared nodes, KLU on the reduced "
                               "system (fastest, scales with the site); `klu`: sparse LU of the whole Newton matrix; "
                               "`dense`: only for tiny sites and debugging."),
            choice<SolverSpec>("method", &SolverSpec::method, {"bdf", "esdirk"}, "bdf",
                               "`bdf`: CVODE's variable-order BDF (the fastest on every site measured); `esdirk`: "
                               "ARKODE's ESDIRK324L2SA (order 3, L-stable, one-step), an independent method to "
                               "check a result against, 1.5 to 4 times the work (bench/README.md)."),
        }};
    return t;
}

SolverSpec& solver_of(SimulationSpec& s) { return s.solver; }

const Table<SimulationSpec>& simulation_table() {
    static const Table<SimulationSpec> t{
        "simulation", "How long to simulate and what to write. The whole section is optional.",
        {
            quantity<SimulationSpec>("duration", dims::time, &SimulationSpec::duration, above(0, 100 * kYear), 3600.0,
                                     "Simulated time span; `dctwin run --duration` overrides it."),
            quantity<SimulationSpec>("output_interval", dims::time, &SimulationSpec::output_interval, in(1e-3, kYear), 10.0,
                                     "Simulated time between rows of the results file (at most 100 million rows per "
                                     "run)."),
            quantity<SimulationSpec>("flush_interval", dims::time, &SimulationSpec::flush_interval, above(0, kDay), 5.0,
                                     "Wall-clock time between flushes of the results file; a killed run keeps what was "
                                     "flushed."),
            boolean<SimulationSpec>("write_states", &SimulationSpec::write_states, true,
                                    "Write the series of every state (every temperature, every device) to the results file."),
            quantity<SimulationSpec>("grid_sample_interval", dims::time, &SimulationSpec::grid_sample_interval,
                                     in(0, kDay), 0.0,
                                     "Step at which the grid power is sampled for the grid analysis of the summary "
                                     "(ramp rates, dynamic range, spectrum); 0 s: at the output rows. Resolving the "
                                     "2-20 Hz band takes 25 ms or less. At most 20 million samples per run."),
            choice<SimulationSpec>("lumping", &SimulationSpec::lumping, {"none", "identical"}, "none",
                                   "`identical`: the devices of a rack that are identical (one type, one manufacturing "
                                   "spread) under identical load (one job, one activity and limit) are modelled as one "
                                   "device standing for all of them, which gives the same answer with fewer states; "
                                   "`none`: every device is modelled."),
            choice<SimulationSpec>("mode", &SimulationSpec::mode, {"full", "power-only"}, "full",
                                   "`full`: power and heat together; `power-only`: a power study, every temperature "
                                   "and cooling controller held at the initial state (the steady state of the first "
                                   "instant, or the declared temperatures with `--cold-start`) while the electrical "
                                   "side runs: device powers at those temperatures, conversion losses, batteries, the "
                                   "grid. Thermal figures (temperatures, heat rejected, the energy balance) are then "
                                   "not computed."),
            integer<SimulationSpec>("threads", &SimulationSpec::threads, 0, 256,
                                    "Threads of one run (the loops over devices, solver blocks and vectors); 0: every "
                                    "core. The results are the same to the bit for any count. `dctwin sweep` runs "
                                    "each case on one thread when it runs several cases at once.",
                                    0),
            section<SimulationSpec, SolverSpec>("solver", solver_table(), solver_of, false, "Integrator settings."),
        }};
    return t;
}

const Table<AmbientSpec>& ambient_table() {
    using A = AmbientSpec;
    static const Table<A> t{
        "ambient",
        "The outdoor air the heat-rejection plant and the electrical room see: constant, an ASHRAE design day, or "
        "an EnergyPlus weather (EPW) file, interpolated in time.",
        {
            kind<A>("kind", &A::kind, AmbientKind::constant,
                      "constant: `temperature` (and `wet_bulb`); design_day: `max_dry_bulb`, `daily_range`, "
                      "`max_wet_bulb`; epw: `file`."),
            quantity<A>("temperature", dims::temperature, &A::temperature, in(kC - 60, kC + 60), 0.0,
                        "constant: outdoor dry-bulb temperature."),
            quantity<A>("wet_bulb", dims::temperature, &A::wet_bulb, in(kC - 60, kC + 60), 0.0,
                        "constant: outdoor wet-bulb temperature; needed by cooling towers."),
            quantity<A>("max_dry_bulb", dims::temperature, &A::max_dry_bulb, in(kC - 60, kC + 60), 0.0,
                        "design_day: the day's highest dry-bulb, e.g. the ASHRAE 0.4 % cooling design value."),
            quantity<A>("daily_range", dims::temperature_difference, &A::daily_range, in(0, 40), 0.0,
                        "design_day: highest minus lowest dry-bulb of the day."),
            quantity<A>("max_wet_bulb", dims::temperature, &A::max_wet_bulb, in(kC - 60, kC + 60), 0.0,
                        "design_day: the wet-bulb coincident with the highest dry-bulb."),
            quantity<A>("start_hour", dims::dimensionless, &A::start_hour, in(0, 24), 0.0,
                        "design_day: hour of the day at the start of the run."),
            quantity<A>("pressure", dims::pressure, &A::pressure, in(30e3, 120e3), 101325.0,
                        "constant, design_day: barometric pressure."),
            text<A>("file", &A::file, std::string{}, "epw: the weather file, relative to the site file's folder."),
            quantity<A>("start", dims::time, &A::start_offset, in(0, kYear), 0.0,
                        "epw: time from January 1, 00:00 of the file to the start of the run, e.g. `196 d` for "
                        "July 15."),
        },
        [](const A& a, const Node& n, Reader& r, const std::string& path) {
            auto need = [&](const char* key) {
                if (!n.find(key))
                    r.fail(n.loc, join(path, key),
                           fmt::format("missing required key \"{}\" for kind {}", key, kind_name(a.kind)));
            };
            auto refuse = [&](std::initializer_list<const char*> keys) {
                for (const char* key : keys)
                    if (const Entry* e = n.find(key))
                        r.fail(e->key_loc, join(path, key),
                               fmt::format("\"{}\" does not apply to kind {}", key, kind_name(a.kind)));
            };
            switch (a.kind) {
                case AmbientKind::constant:
                    need("temperature");
                    refuse({"max_dry_bulb", "daily_range", "max_wet_bulb", "start_hour", "file", "start"});
                    if (n.find("wet_bulb") && a.wet_bulb > a.temperature)
                        r.fail(value_loc(n, "wet_bulb"), join(path, "wet_bulb"), "the wet-bulb cannot exceed the dry-bulb");
                    break;
                case AmbientKind::design_day:
                    need("max_dry_bulb"), need("daily_range"), need("max_wet_bulb");
                    refuse({"temperature", "wet_bulb", "file", "start"});
                    if (a.max_wet_bulb > a.max_dry_bulb)
                        r.fail(value_loc(n, "max_wet_bulb"), join(path, "max_wet_bulb"), "the wet-bulb cannot exceed the dry-bulb");
                    break;
                case AmbientKind::epw:
                    need("file");
                    refuse({"temperature", "wet_bulb", "max_dry_bulb", "daily_range", "max_wet_bulb", "start_hour", "pressure"});
                    break;
            }
        }};
    return t;
}

// [kg/m3], [J/(kg K)] at 20 degC, /work/shared/reference/parameters.md [P].
void set_fluid(CoolantSpec& c) {
    if (c.fluid == "water") c.density = 998.2, c.specific_heat = 4180.0;
    if (c.fluid == "pg25") c.density = 1023.7, c.specific_heat = 3910.0;
}

const Table<CoolantSpec>& coolant_table() {
    static const Table<CoolantSpec> t = [] {
        Table<CoolantSpec> t{
            "coolant", "The liquid of the facility loop that every rack's cold plates are connected to.",
            {
                choice<CoolantSpec>("fluid", &CoolantSpec::fluid, {"water", "pg25"}, kRequired,
                                    "`water`: 998.2 kg/m3, 4180 J/(kg K); `pg25` (25 % propylene glycol): 1023.7 kg/m3, "
                                    "3910 J/(kg K), freezes at -9.6 degC. Both at 20 degC [P]."),
                quantity<CoolantSpec>("supply_temperature", dims::temperature, &CoolantSpec::supply_temperature,
                                      kTemperatureRange, kRequired,
                                      "Facility supply temperature: held there without `facility.plant`, the plant's "
                                      "set point with one; ASHRAE classes W17 to W45 name the maximum in degC [S]."),
                choice<CoolantSpec>("liquid_class", &CoolantSpec::liquid_class,
                                    {"W17", "W27", "W32", "W40", "W45", "W+"}, std::string{},
                                    "ASHRAE liquid class of the facility water; its maximum supply temperature is "
                                    "checked as a constraint (W+: above 45 degC, not checked) [S]."),
            },
            [](const CoolantSpec& c, const Node& n, Reader& r, const std::string& path) {
                double freeze = c.fluid == "water" ? kC : kC - 9.6;
                if (c.supply_temperature <= freeze)
                    r.fail(value_loc(n, "supply_temperature"), join(path, "supply_temperature"),
                           fmt::format("{} is at or below the freezing point of {} ({})",
                                       format_quantity(c.supply_temperature, dims::temperature), c.fluid,
                                       format_quantity(freeze, dims::temperature)));
            }};
        auto base = t.fields[0].read;
        t.fields[0].read = [base](CoolantSpec& c, const Param& p, const Slot& s, Reader& r) {
            base(c, p, s, r);
            set_fluid(c);
        };
        return t;
    }();
    return t;
}

const Table<EconomiserSpec>& economiser_table() {
    using E = EconomiserSpec;
    static const Table<E> t{
        "facility.plant.economiser",
        "Free cooling: dry coolers (sink: dry-bulb) or cooling towers (sink: wet-bulb) on the facility water, as a "
        "counterflow exchanger with the air whose conductance grows as fan speed^0.8 and whose fans draw power ~ "
        "speed^3. An integral controller sets the fan speed to bring the leaving water to the set point.",
        {
            kind<E, EconomiserKind>("kind", &E::kind, kRequired,
                      "dry_cooler: approach above dry-bulb (5-10 K [E]); cooling_tower: approach above wet-bulb, "
                      "water lost to evaporation and blow-down."),
            quantity<E>("capacity", dims::power, &E::capacity, above(0, 1e10), kRequired,
                        "Heat rejected at full fans with the design sink temperature and the facility's rated flow."),
            quantity<E>("design_temperature", dims::temperature, &E::design_temperature, in(kC - 40, kC + 60), kRequired,
                        "Sink temperature (dry-bulb or wet-bulb) at which `capacity` holds; a tower: 25.55 degC wet-bulb "
                        "[P] YorkCalc design."),
            quantity<E>("approach", dims::temperature_difference, &E::approach, above(0, 40), kRequired,
                        "Leaving water above the design sink temperature at capacity: dry coolers 5-10 K [E], towers "
                        "3.89 K [P] YorkCalc design."),
            quantity<E>("air_temperature_rise", dims::temperature_difference, &E::air_temperature_rise, above(0, 50), 0.0,
                        "Rise of the air (for a tower, of its equivalent dry air) at capacity; sets the air flow. "
                        "Default: 10 K for a dry cooler [E]; for a tower the water's range at capacity (air and water "
                        "capacity rates equal), which any approach allows, as at the YorkCalc design point [E]."),
            quantity<E>("fan_power", dims::power, &E::fan_power, in(0, 1e9), kRequired, "All fans at full speed."),
            quantity<E>("min_speed", dims::dimensionless, &E::min_speed, in(0.01, 1), 0.1, "Lowest fan speed."),
            quantity<E>("integral_time", dims::time, &E::integral_time, above(0, 86400), 300.0,
                        "Time for the fan controller to go from stop to full speed under a 1 K error."),
            quantity<E>("cycles_of_concentration", dims::dimensionless, &E::cycles, above(1, 100), 4.0,
                        "Cooling tower: blow-down = evaporation / (cycles - 1)."),
        }};
    return t;
}

const Table<ChillerSpec>& chiller_table() {
    using C = ChillerSpec;
    static const Table<C> t{
        "facility.plant.chiller",
        "A chiller after the economiser trims the facility water to the set point (DOE-2 electric EIR model: "
        "capacity = capacity_ref cap_ft(T_leaving, T_condenser); power = capacity / COP_ref eir_ft eir_fplr(PLR), "
        "temperatures in degC and clamped to the curves' range; below 10 % part load it cycles).",
        {
            quantity<C>("capacity", dims::power, &C::capacity, above(0, 1e10), kRequired, "Cooling capacity at the reference point."),
            quantity<C>("cop", dims::dimensionless, &C::cop, above(0, 30), kRequired,
                        "Coefficient of performance at the reference point (DOE-2 centrifugal: 5.50 [P])."),
            kind<C>("condenser", &C::condenser, CondenserKind::air,
                      "air: condenser at the dry-bulb; tower: condenser water at wet-bulb + `tower_approach`."),
            quantity<C>("tower_approach", dims::temperature_difference, &C::tower_approach, above(0, 30), 3.89,
                        "Condenser water above wet-bulb [P] YorkCalc design."),
            quantity<C>("condenser_fan_power", dims::specific_power, &C::condenser_fan_power, in(0, 0.5), 0.01,
                        "Condenser fans per watt rejected [E]."),
            numbers<C>("cap_ft", &C::cap_ft, {0.257896, 0.0389016, -2.1708e-4, 0.0468684, -9.4284e-4, -3.4344e-4},
                       "Capacity over (leaving chilled water x, entering condenser y) in degC: a + b x + c x^2 + d y + "
                       "e y^2 + f x y; default DOE-2 centrifugal 5.50 COP [P]."),
            numbers<C>("eir_ft", &C::eir_ft, {0.933884, -0.058212, 4.50036e-3, 2.43e-3, 4.86e-4, -1.215e-3},
                       "Energy input ratio over the same temperatures; default DOE-2 centrifugal 5.50 COP [P]."),
            numbers<C>("eir_fplr", &C::eir_fplr, {0.222903, 0.313387, 0.463710},
                       "Energy input ratio over part load: a + b PLR + c PLR^2; default DOE-2 centrifugal [P]."),
            quantities<C>("leaving_range", dims::temperature, {&C::leaving_lo, &C::leaving_hi}, in(kC - 20, kC + 60),
                       std::vector<double>{kC + 4.4, kC + 10.0},
                       "Leaving chilled-water range over which the curves hold; the default curves' range."),
            quantities<C>("condenser_range", dims::temperature, {&C::condenser_lo, &C::condenser_hi}, in(kC - 40, kC + 70),
                       std::vector<double>{kC + 12.8, kC + 35.0},
                       "Entering condenser range over which the curves hold; the default curves' range."),
        },
        [](const C& c, const Node& n, Reader& r, const std::string& path) {
            if (!(c.leaving_lo < c.leaving_hi)) r.fail(value_loc(n, "leaving_range"), join(path, "leaving_range"), "the range must increase");
            if (!(c.condenser_lo < c.condenser_hi))
                r.fail(value_loc(n, "condenser_range"), join(path, "condenser_range"), "the range must increase");
        }};
    return t;
}

const Table<PlantSpec>& plant_table() {
    using P = PlantSpec;
    static const Table<P> t{
        "facility.plant",
        "The dynamic facility loop: supply and return pipes as well-mixed segments in series (transport delay and "
        "thermal mass), a variable-speed primary pump (power ~ flow^3) delivering what the consumers draw, and the "
        "heat rejection: an economiser, a trim chiller, or both.",
        {
            quantity<P>("pipe_volume", dims::volume, &P::pipe_volume, above(0, 1e5), kRequired,
                        "Water in each of the supply and return pipes."),
            [] {
                auto f = integer<P>("pipe_segments", &P::pipe_segments, 1, 50,
                                    "Well-mixed segments per pipe: more segments, a sharper transport delay.");
                f.param.required = false;
                f.param.default_text = "4";
                return f;
            }(),
            optional_section<P, EconomiserSpec>("economiser", economiser_table(),
                                                +[](P& p) -> EconomiserSpec& { return p.economiser; },
                                                "Dry coolers or cooling towers."),
            optional_section<P, ChillerSpec>("chiller", chiller_table(), +[](P& p) -> ChillerSpec& { return p.chiller; },
                                             "Trim chiller."),
        },
        [](const P& p, const Node& n, Reader& r, const std::string& path) {
            if (!p.economiser.present && !p.chiller.present)
                r.fail(n.loc, path, "a plant needs an `economiser`, a `chiller`, or both");
        }};
    return t;
}

const Table<FacilitySpec>& facility_table() {
    static const Table<FacilitySpec> t{
        "facility", "Facility cooling: the primary pump and the heat rejection.",
        {
            quantity<FacilitySpec>("pump_head", dims::pressure, &FacilitySpec::pump_head, above(0, 10e6), kRequired,
                                   "Pressure rise of the pump across the whole loop; cold plates take about 50 kPa at "
                                   "nominal flow [P] Modelica Buildings."),
            quantity<FacilitySpec>("pump_efficiency", dims::dimensionless, &FacilitySpec::pump_efficiency, above(0, 1),
                                   kRequired, "Wire-to-water efficiency of the pump."),
            quantity<FacilitySpec>("rejection_specific_power", dims::specific_power,
                                   &FacilitySpec::rejection_specific_power, in(0, 1), 0.0,
                                   "Without `plant`: fan power of heat rejection per watt of heat returned by the "
                                   "liquid loop [E]."),
            optional_section<FacilitySpec, PlantSpec>("plant", plant_table(),
                                                      +[](FacilitySpec& f) -> PlantSpec& { return f.plant; },
                                                      "The facility loop and its heat rejection; without it the "
                                                      "supply is held at `coolant.supply_temperature`."),
        },
        [](const FacilitySpec& f, const Node& n, Reader& r, const std::string& path) {
            if (f.plant.present && n.find("rejection_specific_power"))
                r.fail(n.find("rejection_specific_power")->key_loc, join(path, "rejection_specific_power"),
                       "give either `rejection_specific_power` (a held supply) or `plant`, not both");
        }};
    return t;
}

Table<ConversionSpec> conversion_table(std::string title, std::string intro, double max_rating, std::string eff_source,
                                       std::string rating_source) {
    return {std::move(title), std::move(intro),
            {
                quantity<ConversionSpec>("efficiency", dims::dimensionless, &ConversionSpec::efficiency, above(0, 1),
                                         kRequired, "eta in P_in = (P_out + no_load_loss) / eta. " + eff_source),
                quantity<ConversionSpec>("no_load_loss", dims::power, &ConversionSpec::no_load_loss, in(0, max_rating / 10),
                                         kRequired, "Constant loss c in P_in = (P_out + c) / eta, drawn even at no load."),
                quantity<ConversionSpec>("rating", dims::power, &ConversionSpec::rating, above(0, max_rating), kRequired,
                                         fmt::format("Output rating; the load over the rating is reported as a "
                                                     "constraint.{}", rating_source.empty() ? "" : " " + rating_source)),
            }};
}

const Table<ConversionSpec>& distribution_table() {
    static const Table<ConversionSpec> t = conversion_table(
        "power.distribution",
        "Switchgear and PDUs between the UPS (or, without one, the grid) and the halls, as one stage; without "
        "`transformer` and `ups` it stands for the whole chain. Its loss heats the electrical room.",
        10e9,
        "Double-conversion UPS 0.94-0.97 [S]; LV transformer 0.986-0.993 at 35 % load [P] DOE 10 CFR 431.196.",
        "");
    return t;
}

const Table<CurvePoint>& curve_point_table() {
    static const Table<CurvePoint> t{
        "efficiency_curve[]", "A point of an efficiency curve: efficiency at a fraction of the unit's rating.",
        {
            quantity<CurvePoint>("load", dims::dimensionless, &CurvePoint::load, above(0, 2), kRequired,
                                 "Load as a fraction of the unit's rating, e.g. `50 %`."),
            quantity<CurvePoint>("efficiency", dims::dimensionless, &CurvePoint::efficiency, above(0, 1), kRequired,
                                 "Output over input at that load."),
        }};
    return t;
}

// Curve points strictly increasing in load; one point is a flat curve.
void check_curve(const std::vector<CurvePoint>& c, const Node& owner, const std::string& path, Reader& r) {
    const Entry* e = owner.find("efficiency_curve");
    if (!e) return;
    for (size_t i = 1; i < c.size(); ++i)
        if (!(c[i].load > c[i - 1].load))
            r.fail(value_loc(e->value.items[i], "load"), join(join(path, std::to_string(i)), "load"),
                   "curve points must be in increasing order of load");
}

const Table<StorageSpec>& rack_storage_table() {
    using B = StorageSpec;
    static const Table<B> t{
        "rack_types.<name>.power_shelf.storage",
        "In-rack energy storage at the input of the rack's power shelf, one per rack, for power smoothing: "
        "what the rack draws from its feed follows its demand at most at `ramp_limit` (the same rate-limited "
        "tracker as `power.site_battery`, with `response_time`), the store delivering or absorbing the "
        "difference within `power` and its energy, and returning to `target_soc` over `recharge_time`. Its "
        "losses heat the hall air (where the shelf's loss goes) and are reported as the loss group "
        "`rack_storage`.",
        {
            boolean<B>("enabled", &B::enabled, true,
                       "false: described but not built (`--set rack_types.<name>.power_shelf.storage.enabled=false` "
                       "compares the racks without it)."),
            quantity<B>("capacity", dims::energy, &B::capacity, above(0, 1e10), kRequired,
                        "Usable energy, e.g. `2 kWh` (an OCP ORv3 battery backup shelf holds a few hundred Wh to a few "
                        "kWh [E])."),
            quantity<B>("power", dims::power, &B::power, above(0, 10e6), kRequired, "Largest charge or discharge power."),
            quantity<B>("charge_efficiency", dims::dimensionless, &B::charge_efficiency, above(0, 1), 0.95,
                        "Stored over drawn [E]."),
            quantity<B>("discharge_efficiency", dims::dimensionless, &B::discharge_efficiency, above(0, 1), 0.95,
                        "Delivered over taken from storage [E]."),
            quantity<B>("target_soc", dims::dimensionless, &B::target_soc, in(0.05, 0.95), 0.5,
                        "State of charge it holds between swings (and starts at)."),
            quantity<B>("ramp_limit", dims::power_ramp, &B::ramp_limit, above(0, 1e9), kRequired,
                        "Largest rate of change of the power the rack draws from its feed, e.g. `2 kW/s`."),
            quantity<B>("response_time", dims::time, &B::response_time, in(0.01, 3600), 10.0,
                        "Time constant of the rack's draw following its demand; several iteration periods, so that "
                        "the draw settles at the iterations' mean rather than chasing each phase."),
            quantity<B>("recharge_time", dims::time, &B::recharge_time, in(1, 30 * kDay), 900.0,
                        "Time constant of the return to the target state of charge."),
        }};
    return t;
}

const Table<PowerShelfSpec>& power_shelf_table() {
    using S = PowerShelfSpec;
    auto tag = [](Field<S> f, const char* def) {
        f.param.default_text = def;
        f.param.required = false;
        return f;
    };
    static const Table<S> t{
        "rack_types.<name>.power_shelf",
        "The rack's power shelf, in one of two forms. Lumped: `efficiency`, `no_load_loss` and `rating`, with "
        "P_in = (P_out + no_load_loss) / efficiency. PSUs: `psu_count` PSUs of `psu_rating` share the load and "
        "convert on `efficiency_curve`; `redundancy` of them are spares, so the rating is (psu_count - redundancy) "
        "x psu_rating. Its loss heats the hall air.",
        {
            tag(quantity<S>("efficiency", dims::dimensionless, &S::efficiency, above(0, 1), 0.0,
                            "Lumped form: eta. 80 PLUS Titanium 0.96 at 50 % load [S]; Frontier rectifier 0.96 with 17 W "
                            "constant [P] ExaDigiT RAPS."),
                "(PSU form)"),
            tag(quantity<S>("no_load_loss", dims::power, &S::no_load_loss, in(0, 1e6), 0.0,
                            "Lumped form: constant loss c, drawn even at no load."),
                "0 W"),
            tag(quantity<S>("rating", dims::power, &S::rating, above(0, 10e6), 0.0,
                            "Lumped form: output rating. NVL72: 33 kW per shelf [P] NVIDIA Base Command Manager docs."),
                "(PSU form: derived)"),
            tag(integer<S>("psu_count", &S::psu_count, 1, 1000, "PSU form: PSUs in the shelf (NVL72: 6 per shelf [P])."),
                "0 (lumped form)"),
            tag(quantity<S>("psu_rating", dims::power, &S::psu_rating, above(0, 1e6), 0.0,
                            "PSU form: output rating of one PSU (NVL72: 5.5 kW [P])."),
                "(required with psu_count)"),
            tag(integer<S>("redundancy", &S::redundancy, 0, 999, "PSU form: spare PSUs (N+1: 1, N+N: half)."), "0"),
            list<S, CurvePoint>("efficiency_curve", curve_point_table(), &S::curve,
                                "PSU form: efficiency over a PSU's load. Default 80 PLUS Titanium (230 V internal "
                                "redundant): 90 / 94 / 96 / 91 % at 10 / 20 / 50 / 100 % [S].",
                                false),
            optional_section<S, StorageSpec>("storage", rack_storage_table(), +[](S& s) -> StorageSpec& { return s.storage; },
                                             "In-rack energy storage smoothing the rack's draw (either form)."),
        },
        [](const S& sh, const Node& n, Reader& r, const std::string& path) {
            if (sh.psu_count > 0) {
                for (const char* k : {"efficiency", "no_load_loss", "rating"})
                    if (const Entry* e = n.find(k))
                        r.fail(e->key_loc, join(path, k),
                               fmt::format("`{}` belongs to the lumped form; with psu_count, give psu_rating and "
                                           "efficiency_curve", k));
                if (!n.find("psu_rating")) r.fail(n.loc, path, "missing required key \"psu_rating\" (with psu_count)");
                if (!(sh.redundancy < sh.psu_count))
                    r.fail(value_loc(n, "redundancy"), join(path, "redundancy"),
                           fmt::format("redundancy ({}) must leave at least one working PSU of {}", sh.redundancy,
                                       sh.psu_count));
                check_curve(sh.curve, n, join(path, "efficiency_curve"), r);
            } else {
                for (const char* k : {"psu_rating", "redundancy", "efficiency_curve"})
                    if (const Entry* e = n.find(k))
                        r.fail(e->key_loc, join(path, k), fmt::format("`{}` needs psu_count (the PSU form)", k));
                for (const char* k : {"efficiency", "rating"})
                    if (!n.find(k))
                        r.fail(n.loc, path, fmt::format("missing required key \"{}\" (lumped form; or give psu_count "
                                                        "and psu_rating)", k));
            }
        }};
    return t;
}

// A time series of power.grid (input/series.hpp): a value ("0.4 kg/kWh", a constant), or a map
// of `points` ([[time, value], ...]) or `file` (CSV), with `interpolation` and `period`.
// Values are read with the grid's currency (read before: `currency` comes first in the table).
Field<GridSpec> series(std::string key, TimeSeriesSpec GridSpec::*m, SeriesQuantity q, const Dimension& shown, std::string desc) {
    Param p;
    p.key = key;
    p.kind = Kind::series;
    p.dim = shown;  // for the reference's example only
    p.required = false;
    p.default_text = "(none)";
    p.description = desc;
    return {p, [m, q](GridSpec& g, const Param&, const Slot& s, Reader& r) {
                if (!s.entry) return;
                TimeSeriesSpec& out = g.*m;
                out.present = true;
                out.loc = r.where(s.entry->key_loc);
                const Node& n = s.entry->value;
                auto value = [&](const Node& v, const std::string& path) {
                    Param one;
                    one.kind = Kind::text;
                    const Node& sc = r.scalar(v, one, path);
                    try {
                        return parse_series_value(sc.text, q, g.currency);
                    } catch (const UnitError& e) {
                        r.fail(sc.loc, path, e.what());
                    }
                };
                if (n.kind == Node::Kind::scalar) {
                    out.time = {0.0};
                    out.value = {value(n, s.path)};
                    return;
                }
                const std::vector<std::string> keys{"points", "file", "interpolation", "period"};
                if (n.kind != Node::Kind::map)
                    r.wrong_type(n, s.path, fmt::format("a value (e.g. \"{}\") or a map with the keys {}",
                                                        series_example(q, g.currency), list_names(keys)));
                for (const Entry& e : n.entries)
                    if (std::find(keys.begin(), keys.end(), e.key) == keys.end())
                        r.fail(e.key_loc, s.path, fmt::format("unknown key \"{}\"{}; expected one of: {}", e.key,
                                                              did_you_mean(e.key, keys), list_names(keys)));
                const Entry* points = n.find("points");
                const Entry* file = n.find("file");
                if (!points && !file)
                    r.fail(s.entry->key_loc, s.path, "give the series as `points` ([[time, value], ...]) or as `file` (a CSV file)");
                if (points && file)
                    r.fail(file->key_loc, join(s.path, "file"), "give either `points` or `file`, not both");
                if (const Entry* e = n.find("interpolation")) {
                    Param c;
                    c.kind = Kind::choice;
                    c.choices = {"step", "linear"};
                    out.linear = r.choice(e->value, c, join(s.path, "interpolation")) == "linear";
                }
                if (const Entry* e = n.find("period")) {
                    Param t;
                    t.dim = dims::time;
                    t.range = above(0, 100 * kYear);
                    out.period = r.quantity(e->value, t, join(s.path, "period"));
                }
                if (file) {
                    Param f;
                    f.kind = Kind::text;
                    out.file = r.scalar(file->value, f, join(s.path, "file")).text;
                    if (out.file.empty()) r.fail(file->value.loc, join(s.path, "file"), "expected the path of a CSV file");
                    return;  // read when the model is built (input/series.hpp)
                }
                const std::string ppath = join(s.path, "points");
                const Node& list = points->value;
                if (list.kind != Node::Kind::seq || list.items.empty())
                    r.wrong_type(list, ppath, fmt::format("a non-empty list of [time, value] pairs, e.g. [[0 h, \"{}\"]]",
                                                          series_example(q, g.currency)));
                Param t;
                t.dim = dims::time;
                t.range = in(0, 100 * kYear);
                for (std::size_t i = 0; i < list.items.size(); ++i) {
                    const Node& it = list.items[i];
                    const std::string ipath = join(ppath, std::to_string(i));
                    if (it.kind != Node::Kind::seq || it.items.size() != 2)
                        r.wrong_type(it, ipath, fmt::format("a pair [time, value], e.g. [6 h, \"{}\"]", series_example(q, g.currency)));
                    const double ti = r.quantity(it.items[0], t, join(ipath, "0"));
                    if (i == 0 && ti != 0) r.fail(it.items[0].loc, join(ipath, "0"), "the first point must be at 0 s (the start of the run)");
                    if (i > 0 && !(ti > out.time.back()))
                        r.fail(it.items[0].loc, join(ipath, "0"), "the times of the points must increase");
                    out.time.push_back(ti);
                    out.value.push_back(value(it.items[1], join(ipath, "1")));
                }
                if (out.period > 0 && !(out.period > out.time.back()))
                    r.fail(value_loc(n, "period"), join(s.path, "period"), "the period must be after the last point");
            }};
}

// How the reference shows each series (their Dimension's example; price and share have no
// unit the units library knows).
constexpr Dimension kPriceShown{{-1, -2, 2, 0, 0}, false, "energy price", "0.12 USD/kWh"};
constexpr Dimension kShareShown{{0, 0, 0, 0, 0}, false, "fraction", "0.35"};

const Table<GridSpec>& grid_table() {
    using G = GridSpec;
    static const Table<G> t{
        "power.grid",
        "The grid interconnect: what the utility sees of the site, and what its energy costs in money and carbon "
        "(the `kpis` of the summary). A series (`carbon_intensity`, `energy_price`, `renewable_share`) is a constant "
        "(`0.4 kg/kWh`), or a map of `points` (`[[0 h, 0.45 kg/kWh], [7 h, 0.30 kg/kWh]]`, the first at 0 s) or "
        "`file` (a CSV file relative to the site file: a header `time [h], carbon_intensity [kg/kWh]` with the "
        "columns' units, then `time, value` lines of plain numbers from 0), with `interpolation` (`step`, the "
        "default: each value holds until the next point; or `linear`) and `period` (the series repeats with it, e.g. "
        "`1 d`; without it the last value holds to the end of the run). Times are from the start of the run.",
        {
            quantity<G>("capacity", dims::power, &G::capacity, above(0, 100e9), kRequired,
                        "Contracted import; the grid power over it is reported as a constraint."),
            quantity<G>("ramp_limit", dims::power_ramp, &G::ramp_limit, in(0, 100e9), 0.0,
                        "Allowed rate of change of the import, e.g. `2 MW/s` (0: none). Utilities state ramp "
                        "rates [P] arXiv 2508.14318."),
            text<G>("currency", &G::currency, std::string("USD"),
                    "ISO 4217 code (three capital letters) of every price: `energy_price` and `demand_charge` are "
                    "written in it, e.g. `0.12 EUR/kWh` with `currency: EUR`."),
            series("carbon_intensity", &G::carbon_intensity, SeriesQuantity::carbon_intensity, dims::carbon_intensity,
                   "CO2 emitted per energy drawn from the grid (0 to 5 kg/kWh), e.g. a national average or an "
                   "hourly marginal series; gives the summary's CUE (ISO/IEC 30134-8)."),
            series("energy_price", &G::energy_price, SeriesQuantity::energy_price, kPriceShown,
                   "Price of energy drawn from the grid, in `currency` per energy (-10 to 100 per kWh: negative "
                   "spot prices are allowed); gives the summary's energy cost."),
            series("renewable_share", &G::renewable_share, SeriesQuantity::fraction, kShareShown,
                   "Share of the grid's energy from renewable sources (0 to 1, or a percentage); gives the "
                   "summary's REF (ISO/IEC 30134-3)."),
            Field<G>{[] {
                         Param p;
                         p.key = "demand_charge";
                         p.kind = Kind::text;
                         p.required = false;
                         p.default_text = "\"0 USD/kW\"";
                         p.description = "Charge per power of each billing period's peak demand (the highest mean grid "
                                         "power over a `demand_interval`), in `currency` per power, e.g. `15 USD/kW`.";
                         return p;
                     }(),
                     [](G& g, const Param& p, const Slot& s, Reader& r) {
                         if (!s.entry) return;
                         const Node& n = r.scalar(s.entry->value, p, s.path);
                         try {
                             g.demand_charge = parse_demand_charge(n.text, g.currency);
                         } catch (const UnitError& e) {
                             r.fail(n.loc, s.path, e.what());
                         }
                         if (!(g.demand_charge >= 0 && g.demand_charge <= 1.0))
                             r.fail(n.loc, s.path, fmt::format("out of range: expected 0 <= x <= 1000 {}/kW", g.currency));
                     }},
            quantity<G>("demand_interval", dims::time, &G::demand_interval, in(1, kDay), 900.0,
                        "Averaging interval of the billed demand (15 min is the usual meter interval), in fixed "
                        "intervals from the start of the run."),
            quantity<G>("billing_period", dims::time, &G::billing_period, above(0, 100 * kYear), 30 * kDay,
                        "Each period from the start of the run is charged `demand_charge` on its own peak demand; a "
                        "run that ends inside a period pays that period's charge in full, as a bill would."),
        },
        [](const G& g, const Node& n, Reader& r, const std::string& path) {
            const bool code = g.currency.size() == 3 && std::all_of(g.currency.begin(), g.currency.end(), [](char c) {
                                  return c >= 'A' && c <= 'Z';
                              });
            if (!code)
                r.fail(value_loc(n, "currency"), join(path, "currency"),
                       fmt::format("expected an ISO 4217 currency code of three capital letters (e.g. USD, EUR), found "
                                   "\"{}\"", g.currency));
            if (g.demand_interval > g.billing_period)
                r.fail(value_loc(n, "demand_interval"), join(path, "demand_interval"),
                       "the demand interval must not be longer than the billing period");
        }};
    return t;
}

const Table<TransformerSpec>& transformer_table() {
    using X = TransformerSpec;
    static const Table<X> t{
        "power.transformer",
        "The MV/LV transformer between the grid and everything else: loss = no_load_loss + load loss x (P / "
        "rating)^2, the load loss set by `efficiency` at `reference_load`. Its loss heats the electrical room.",
        {
            quantity<X>("rating", dims::power, &X::rating, above(0, 10e9), kRequired, "Rating (kVA at unity power factor)."),
            quantity<X>("no_load_loss", dims::power, &X::no_load_loss, in(0, 1e9), kRequired,
                        "Core loss, drawn at any load."),
            quantity<X>("efficiency", dims::dimensionless, &X::efficiency, above(0, 1), kRequired,
                        "Efficiency at reference_load. LV dry-type at 35 %: 75 kVA 98.60 %, 300 kVA 99.02 %, 1000 kVA "
                        "99.28 % [P] DOE 10 CFR 431.196; MV liquid-immersed 99.4-99.6 % [E]."),
            quantity<X>("reference_load", dims::dimensionless, &X::reference_load, above(0, 1), 0.35,
                        "Load fraction at which `efficiency` holds (DOE rates at 35 %)."),
        },
        [](const X& x, const Node& n, Reader& r, const std::string& path) {
            const double p = x.reference_load * x.rating;
            if (!(p * (1 / x.efficiency - 1) > x.no_load_loss))
                r.fail(value_loc(n, "no_load_loss"), join(path, "no_load_loss"),
                       fmt::format("no_load_loss ({}) must be below the total loss at the reference load ({})",
                                   format_quantity(x.no_load_loss, dims::power),
                                   format_quantity(p * (1 / x.efficiency - 1), dims::power)));
        }};
    return t;
}

const Table<BatterySpec>& battery_table() {
    using B = BatterySpec;
    static const Table<B> t{
        "power.ups.battery",
        "The UPS battery: carries the UPS's load through a utility outage until the generator has taken it, and "
        "recharges afterwards. When it is empty with load on it, or the load needs more than `max_discharge`, the "
        "UPS drops its load.",
        {
            quantity<B>("capacity", dims::energy, &B::capacity, above(0, 1e13), kRequired,
                        "Usable energy, e.g. `50 kWh`. New designs carry 3-5 min of load [S]."),
            quantity<B>("max_charge", dims::power, &B::max_charge, above(0, 1e10), kRequired,
                        "Power drawn for recharging."),
            quantity<B>("max_discharge", dims::power, &B::max_discharge, in(0, 1e10), 0.0,
                        "Largest power the battery delivers (its inverter or BMS current limit). During an outage a "
                        "load that would need more cannot be carried: the UPS drops its load at that moment (an "
                        "event), as when the battery is empty. 0 W: no limit."),
            quantity<B>("charge_efficiency", dims::dimensionless, &B::charge_efficiency, above(0, 1), 0.95,
                        "Stored over drawn while charging [E]."),
            quantity<B>("discharge_efficiency", dims::dimensionless, &B::discharge_efficiency, above(0, 1), 0.95,
                        "Delivered over taken from storage while discharging [E]."),
            quantity<B>("initial_soc", dims::dimensionless, &B::initial_soc, in(0, 1), 1.0,
                        "State of charge at the start."),
        }};
    return t;
}

const Table<GeneratorSpec>& generator_table() {
    using G = GeneratorSpec;
    Field<G> steps = [] {
        Param p;
        p.key = "load_steps";
        p.kind = Kind::texts;
        p.required = false;
        p.default_text = "[50 %, 80 %, 100 %]";
        p.description = "Cumulative fractions of the rating accepted, one per step: ISO 8528-5 G2 0-50-80-100 % [S].";
        return Field<G>{p, [](G& g, const Param& p, const Slot& s, Reader& r) {
                            if (!s.entry) return;
                            const Node& n = s.entry->value;
                            if (n.kind != Node::Kind::seq || n.items.empty())
                                r.wrong_type(n, s.path, "a non-empty list of fractions, e.g. [50 %, 100 %]");
                            Param one = p;
                            one.kind = Kind::quantity;
                            one.dim = dims::dimensionless;
                            one.range = above(0, 1);
                            g.load_steps.clear();
                            for (size_t i = 0; i < n.items.size(); ++i) {
                                const std::string path = join(s.path, std::to_string(i));
                                g.load_steps.push_back(r.quantity(n.items[i], one, path));
                                if (i > 0 && !(g.load_steps[i] > g.load_steps[i - 1]))
                                    r.fail(n.items[i].loc, path, "load steps must increase");
                            }
                        }};
    }();
    static const Table<G> t{
        "power.generator",
        "The standby generator: on a utility outage it starts, then accepts the UPS's load in steps; the battery "
        "bridges the gap. Cooling loads come back with its first step.",
        {
            quantity<G>("rating", dims::power, &G::rating, above(0, 1e10), kRequired, "Rated output."),
            quantity<G>("start_delay", dims::time, &G::start_delay, in(0, 3600), 10.0,
                        "Outage to the first accepted step: 10 s for NFPA 110 Type 10 [P]."),
            steps,
            quantity<G>("step_interval", dims::time, &G::step_interval, above(0, 600), 5.0,
                        "Time between load steps (ISO 8528-5 G2 recovery within 5 s [S])."),
        }};
    return t;
}

const Table<ScenarioEvent>& scenario_event_table() {
    using E = ScenarioEvent;
    static const Table<E> t{
        "scenario[]", "Something that happens to the site.",
        {
            quantity<E>("at", dims::time, &E::at, in(0, 100 * kYear), kRequired, "When it happens."),
            kind<E, ScenarioKind>("kind", &E::kind, kRequired,
                      "utility_outage: the grid is lost for `duration`; generator_failure: the generator will not "
                      "start from `at` on; cdu_pump_trip: the secondary pump of CDU `target` stops; chiller_trip: "
                      "the chiller stops; economiser_fan_loss: `fraction` of the economiser's fans fail; "
                      "facility_supply_step: the facility supply set point becomes `temperature`; psu_failure: "
                      "`count` PSUs leave the shelf of rack `target` (until `duration` has passed), the rest carry "
                      "its load if they can, otherwise the rack is shed; pdu_failure: the PDU `target` fails and "
                      "everything it feeds is shed."),
            quantity<E>("duration", dims::time, &E::duration, in(0, 100 * kYear), 0.0,
                        "How long it lasts; 0 s: to the end of the run (a utility_outage needs one; a pdu_failure "
                        "lasts to the end)."),
            text<E>("target", &E::target, std::string{},
                    "cdu_pump_trip: the name of the CDU; psu_failure: the rack's path (`hall1/rowA/rack01`); "
                    "pdu_failure: a hall's busway (`hall1/busway`) or `power/distribution`."),
            integer<E>("count", &E::count, 1, 1000, "psu_failure: PSUs that fail at once.", 1),
            quantity<E>("fraction", dims::dimensionless, &E::fraction, above(0, 1), 0.0,
                        "economiser_fan_loss: share of the fan capacity lost."),
            quantity<E>("temperature", dims::temperature, &E::temperature, kTemperatureRange, 0.0,
                        "facility_supply_step: the new facility supply set point."),
        },
        [](const E& e, const Node& n, Reader& r, const std::string& path) {
            using K = ScenarioKind;
            if (e.kind == K::utility_outage && !(e.duration > 0))
                r.fail(n.loc, join(path, "duration"), "a utility_outage needs a positive duration");
            // A key of some kinds only; needed by them unless optional.
            auto only = [&](const char* key, std::vector<K> kinds, bool optional = false) {
                const Entry* x = n.find(key);
                const bool applies = std::find(kinds.begin(), kinds.end(), e.kind) != kinds.end();
                std::vector<std::string> names;
                for (K k : kinds) names.push_back(kind_name(k));
                if (x && !applies)
                    r.fail(x->key_loc, join(path, key), fmt::format("\"{}\" applies to {} only", key, list_names(names)));
                if (!x && applies && !optional)
                    r.fail(n.loc, join(path, key), fmt::format("a {} needs \"{}\"", kind_name(e.kind), key));
            };
            only("target", {K::cdu_pump_trip, K::psu_failure, K::pdu_failure});
            only("count", {K::psu_failure}, true);
            only("fraction", {K::economiser_fan_loss});
            only("temperature", {K::facility_supply_step});
            if (e.kind == K::facility_supply_step && n.find("duration"))
                r.fail(n.find("duration")->key_loc, join(path, "duration"), "a set-point step holds to the end of the run");
            if (e.kind == K::pdu_failure && n.find("duration"))
                r.fail(n.find("duration")->key_loc, join(path, "duration"),
                       "what a failed PDU fed stays shed to the end of the run: a pdu_failure has no duration");
        }};
    return t;
}

const Table<UpsSpec>& ups_table() {
    using U = UpsSpec;
    static const Table<U> t{
        "power.ups",
        "The UPS, between the transformer (or grid) and the distribution, converting on an efficiency curve over "
        "its load. Its loss heats the electrical room.",
        {
            quantity<U>("rating", dims::power, &U::rating, above(0, 10e9), kRequired, "Output rating."),
            choice<U>("mode", &U::mode, {"double_conversion", "eco"}, std::string("double_conversion"),
                      "Sets the default curve: double conversion 94 / 96 / 97 / 97 % at 25 / 50 / 75 / 100 % load "
                      "(94-97 %, lower at part load [S][E]); eco 98 / 99 / 99 / 99 % [S]."),
            list<U, CurvePoint>("efficiency_curve", curve_point_table(), &U::curve,
                                "Efficiency over the UPS's load; replaces the mode's default.", false),
            optional_section<U, BatterySpec>("battery", battery_table(), +[](U& u) -> BatterySpec& { return u.battery; },
                                             "Its battery (without one, an outage drops the load at once)."),
        },
        [](const U& u, const Node& n, Reader& r, const std::string& path) {
            check_curve(u.curve, n, join(path, "efficiency_curve"), r);
        }};
    return t;
}

const Table<BuswaySpec>& busway_table() {
    using B = BuswaySpec;
    static const Table<B> t{
        "halls.<name>.busway",
        "The hall's busway (or PDU run) between the distribution and its racks: three-phase, loss = 3 I^2 R = "
        "P^2 R / V^2 at unity power factor. Its loss heats the hall air; its current is checked against ampacity.",
        {
            quantity<B>("voltage", dims::voltage, &B::voltage, above(0, 100e3), kRequired, "Line-to-line voltage, e.g. `415 V`."),
            quantity<B>("ampacity", dims::current, &B::ampacity, above(0, 100e3), kRequired, "Rated current per phase."),
            quantity<B>("resistance", dims::resistance, &B::resistance, above(0, 10), kRequired,
                        "Resistance per phase of the whole run, e.g. `2 mohm`."),
        }};
    return t;
}

const Table<PowerSpec>& electrical_room_table() {
    static const Table<PowerSpec> t{
        "power.electrical_room", "The room that holds the distribution equipment and receives its losses.",
        {
            quantity<PowerSpec>("heat_capacity", dims::heat_capacity, &PowerSpec::electrical_room_heat_capacity,
                                above(0, 1e12), kRequired, "Air and equipment mass of the room."),
            quantity<PowerSpec>("conductance", dims::conductance, &PowerSpec::electrical_room_conductance,
                                above(0, 1e10), kRequired, "Heat transfer from the room to the outdoor air (its cooling)."),
        }};
    return t;
}

ConversionSpec& distribution_of(PowerSpec& p) { return p.distribution; }
PowerSpec& self(PowerSpec& p) { return p; }

const Table<SiteBatterySpec>& site_battery_table() {
    using B = SiteBatterySpec;
    static const Table<B> t{
        "power.site_battery",
        "A site battery (BESS) at the MV transformer: the grid-facing power follows the site's demand at most at "
        "`ramp_limit` (a rate-limited tracker with `response_time`), the battery delivering or absorbing the "
        "difference and returning to `target_soc` over `recharge_time`. Idle during utility outages.",
        {
            boolean<B>("enabled", &B::enabled, true,
                       "false: the battery is described but not built (`--set power.site_battery.enabled=false` "
                       "compares the site without it)."),
            quantity<B>("capacity", dims::energy, &B::capacity, above(0, 1e14), kRequired, "Usable energy."),
            quantity<B>("power", dims::power, &B::power, above(0, 1e10), kRequired, "Largest charge or discharge power."),
            quantity<B>("charge_efficiency", dims::dimensionless, &B::charge_efficiency, above(0, 1), 0.95,
                        "Stored over drawn."),
            quantity<B>("discharge_efficiency", dims::dimensionless, &B::discharge_efficiency, above(0, 1), 0.95,
                        "Delivered over taken from storage."),
            quantity<B>("target_soc", dims::dimensionless, &B::target_soc, in(0.05, 0.95), 0.5,
                        "State of charge it holds between swings (and starts at)."),
            quantity<B>("ramp_limit", dims::power_ramp, &B::ramp_limit, in(0, 100e9), 0.0,
                        "Largest rate of change of the grid-facing power; 0: the grid's `ramp_limit`."),
            quantity<B>("response_time", dims::time, &B::response_time, in(0.01, 3600), 1.0,
                        "Time constant of the grid-facing power following slow changes of demand."),
            quantity<B>("recharge_time", dims::time, &B::recharge_time, in(1, 30 * kDay), 900.0,
                        "Time constant of the return to the target state of charge."),
        }};
    return t;
}

const Table<PowerSpec>& power_table() {
    static const Table<PowerSpec> t{
        "power", "The electrical path from the grid to the racks.",
        {
            optional_section<PowerSpec, GridSpec>("grid", grid_table(), +[](PowerSpec& p) -> GridSpec& { return p.grid; },
                                                  "The grid interconnect."),
            optional_section<PowerSpec, TransformerSpec>("transformer", transformer_table(),
                                                         +[](PowerSpec& p) -> TransformerSpec& { return p.transformer; },
                                                         "The MV/LV transformer."),
            optional_section<PowerSpec, UpsSpec>("ups", ups_table(), +[](PowerSpec& p) -> UpsSpec& { return p.ups; },
                                                 "The UPS."),
            optional_section<PowerSpec, GeneratorSpec>("generator", generator_table(),
                                                       +[](PowerSpec& p) -> GeneratorSpec& { return p.generator; },
                                                       "The standby generator."),
            optional_section<PowerSpec, SiteBatterySpec>("site_battery", site_battery_table(),
                                                         +[](PowerSpec& p) -> SiteBatterySpec& { return p.site_battery; },
                                                         "A site battery holding the grid-facing ramp rate."),
            section<PowerSpec, ConversionSpec>("distribution", distribution_table(), distribution_of, true,
                                               "Switchgear and PDUs between the UPS (or grid) and the halls."),
            section<PowerSpec, PowerSpec>("electrical_room", electrical_room_table(), self, true,
                                          "Where the distribution losses go."),
        },
        [](const PowerSpec& p, const Node& n, Reader& r, const std::string& path) {
            if (!p.site_battery.present || !p.site_battery.enabled) return;
            const Entry* e = n.find("site_battery");
            if (!p.transformer.present)
                r.fail(e->key_loc, join(path, "site_battery"),
                       "the site battery sits at the MV transformer: give `power.transformer`");
            if (!(p.site_battery.ramp_limit > 0) && !(p.grid.present && p.grid.ramp_limit > 0))
                r.fail(e->key_loc, join(join(path, "site_battery"), "ramp_limit"),
                       "the battery holds a ramp limit: give it `ramp_limit`, or the grid one (`power.grid.ramp_limit`)");
        }};
    return t;
}

std::vector<std::string> catalogue_names() {
    std::vector<std::string> names;
    for (const auto& e : device_catalogue()) names.emplace_back(e.name);
    return names;
}

const Table<DeviceTypeSpec>& device_type_table() {
    using D = DeviceTypeSpec;
    constexpr double kMaxDevicePower = 10e3;  // [W] a 2025 GPU is 700-1400 W
    const auto P = [](const char* key, double D::*m, std::optional<double> def, const char* desc) {
        return quantity<D>(key, dims::power, m, in(0, kMaxDevicePower), def, desc);
    };
    // The power cap defaults to max_power, a value of the same map: read after max_power.
    Field<D> power_cap = [] {
        Param p;
        p.key = "power_cap";
        p.dim = dims::power;
        p.required = false;
        p.default_text = "max_power";
        p.range = above(0, kMaxDevicePower);
        p.description = "Power limit set by the user (nvidia-smi -pl), between power_cap_min and max_power.";
        return Field<D>{p, [](D& d, const Param& p, const Slot& s, Reader& r) {
                            d.power_cap = s.entry ? r.quantity(s.entry->value, p, s.path) : d.max_power;
                        }};
    }();
    static const Table<D> t{
        "device_types.<name>",
        "A kind of device (GPU or CPU), defined once and used by rack types. `model:` starts from a catalogue "
        "entry (see below) whose keys the map may override. Power = idle + activity x dynamic x g(clock) + "
        "leakage(T_junction) + memory, g = f V(f)^2 relative to full clock. The clock is the highest that "
        "respects the power cap, the thermal slowdown ramp and any external limit. Thermal masses: junction, "
        "cold plate (or heat sink), and memory when memory_power > 0.",
        {
            choice<D>("model", &D::model, catalogue_names(), std::string{},
                      "Catalogue entry to start from; every key it sets may be overridden here."),
            kind<D, DeviceKind>("kind", &D::kind, kRequired, "What the device is."),
            kind<D>("cooling", &D::cooling, DeviceCooling::liquid,
                      "liquid: cold plate on the rack's coolant; air: heat sink in the server air (hall air)."),
            P("idle_power", &D::idle_power, kRequired, "Power at activity 0 without leakage and memory. MI250X idle 88 W [P] ExaDigiT RAPS."),
            quantity<D>("max_power", dims::power, &D::max_power, above(0, kMaxDevicePower), kRequired,
              "Total power at activity 1, full clock and the leakage reference temperature (includes leakage and "
              "memory). H100 SXM 700 W [P] nvidia-smi; B200 1000 W, GB200 1200 W [S]."),
            power_cap,
            P("power_cap_min", &D::power_cap_min, 0.0, "Lowest power limit the device accepts. H100 SXM 200 W [P] nvidia-smi."),
            P("leakage_power", &D::leakage_power, kRequired,
              "Leakage at the reference temperature, part of max_power; 3-5 % of total power per 10 K [E]."),
            quantity<D>("leakage_temperature_coefficient", dims::inverse_temperature,
                        &D::leakage_temperature_coefficient, in(0, 1), kRequired,
                        "k in leakage ~ exp(k (T_junction - T_ref)); roughly exponential [E]."),
            quantity<D>("leakage_reference_temperature", dims::temperature, &D::leakage_reference_temperature,
                        kTemperatureRange, kRequired, "T_ref: junction temperature at which leakage_power holds."),
            quantity<D>("max_clock", dims::frequency, &D::max_clock, above(0, 10e9), kRequired,
                        "Highest clock. H100 SXM 1980 MHz [P] nvidia-smi."),
            quantity<D>("min_clock", dims::frequency, &D::min_clock, above(0, 10e9), kRequired,
                        "Lowest clock DVFS may choose [E]."),
            quantity<D>("min_clock_voltage_ratio", dims::dimensionless, &D::min_clock_voltage_ratio, above(0, 1), 0.7,
                        "Voltage at min_clock over voltage at max_clock; voltage is linear in clock between [E]. With "
                        "0.65, capping an H100 from 700 to 600 W costs 11 % of clock (published: 10-15 % of step "
                        "time [S])."),
            quantity<D>("junction_heat_capacity", dims::heat_capacity, &D::junction_heat_capacity, above(0, 1e6),
                        kRequired, "Die and package; die and cold plate time constants are 1-10 s [E]."),
            quantity<D>("plate_heat_capacity", dims::heat_capacity, &D::plate_heat_capacity, above(0, 1e6), kRequired,
                        "Cold plate (or heat sink) and the coolant in it."),
            quantity<D>("junction_to_plate_resistance", dims::thermal_resistance, &D::junction_to_plate_resistance,
                        above(0, 100), kRequired,
                        "Junction to cold plate. Junction to coolant in total is 0.02-0.05 K/W per GPU [E]."),
            quantity<D>("plate_to_coolant_resistance", dims::thermal_resistance, &D::plate_to_coolant_resistance,
                        above(0, 100), kRequired,
                        "Cold plate to the coolant (air cooling: heat sink to the air) at the nominal flow."),
            quantity<D>("nominal_coolant_flow", dims::volume_flow, &D::nominal_coolant_flow, in(0, 1), 0.0,
                        "Coolant flow per device at which plate_to_coolant_resistance holds; the device's share of "
                        "its rack's flow sets the actual resistance. 0: no flow dependence. 1.5 L/min/kW [S] OCP."),
            quantity<D>("nominal_air_flow", dims::volume_flow, &D::nominal_air_flow, in(0, 10), 0.0,
                        "Air cooling: fan flow per device at which the heat-sink resistance holds. 0: no flow dependence."),
            quantity<D>("flow_exponent", dims::dimensionless, &D::flow_exponent, in(0, 2), 0.8,
                        "n in R(flow) = R_nom (flow_nom / flow)^n; 0.8 for turbulent forced convection (Dittus-Boelter)."),
            quantity<D>("slowdown_temperature", dims::temperature, &D::slowdown_temperature, kTemperatureRange,
                        kRequired, "Junction temperature at which thermal throttling starts (an event). H100 89 degC "
                                   "[P] nvidia-smi."),
            quantity<D>("slowdown_band", dims::temperature_difference, &D::slowdown_band, above(0, 50), 2.0,
                        "The clock falls linearly from max_clock at slowdown_temperature to min_clock this much above [E]."),
            quantity<D>("shutdown_temperature", dims::temperature, &D::shutdown_temperature, kTemperatureRange,
                        kRequired, "Junction temperature at which the device drops out (an event; its job stalls). "
                                   "H100 92 degC [P] nvidia-smi."),
            P("memory_power", &D::memory_power, 0.0, "Memory (HBM) power at activity 1, part of max_power; > 0 adds a memory thermal node [E]."),
            P("memory_idle_power", &D::memory_idle_power, 0.0, "Memory power at activity 0 [E]."),
            quantity<D>("memory_heat_capacity", dims::heat_capacity, &D::memory_heat_capacity, in(0, 1e6), 0.0,
                        "Memory stacks; required when memory_power > 0."),
            quantity<D>("memory_to_plate_resistance", dims::thermal_resistance, &D::memory_to_plate_resistance,
                        in(0, 100), 0.0, "Memory to cold plate; required when memory_power > 0."),
            quantity<D>("memory_max_temperature", dims::temperature, &D::memory_max_temperature, kTemperatureRange,
                        kC + 95, "Memory limit, reported as an event. H100 HBM 95 degC [P] nvidia-smi."),
        },
        [](const D& d, const Node& n, Reader& r, const std::string& path) {
            auto pw = [](double v) { return format_quantity(v, dims::power); };
            if (!(d.max_power > d.idle_power + d.leakage_power + d.memory_power))
                r.fail(value_loc(n, "max_power"), join(path, "max_power"),
                       fmt::format("max_power ({}) must exceed idle_power + leakage_power + memory_power ({} + {} + {} "
                                   "= {}): the rest is the dynamic power at activity 1",
                                   pw(d.max_power), pw(d.idle_power), pw(d.leakage_power), pw(d.memory_power),
                                   pw(d.idle_power + d.leakage_power + d.memory_power)));
            if (!(d.slowdown_temperature < d.shutdown_temperature))
                r.fail(value_loc(n, "slowdown_temperature"), join(path, "slowdown_temperature"),
                       fmt::format("slowdown_temperature ({}) must be below shutdown_temperature ({})",
                                   format_quantity(d.slowdown_temperature, dims::temperature),
                                   format_quantity(d.shutdown_temperature, dims::temperature)));
            if (!(d.min_clock <= d.max_clock))
                r.fail(value_loc(n, "min_clock"), join(path, "min_clock"),
                       fmt::format("min_clock ({}) must not exceed max_clock ({})", format_quantity(d.min_clock, dims::frequency),
                                   format_quantity(d.max_clock, dims::frequency)));
            if (!(d.power_cap >= d.power_cap_min && d.power_cap <= d.max_power))
                r.fail(value_loc(n, "power_cap"), join(path, "power_cap"),
                       fmt::format("power_cap ({}) must be within the device's range, power_cap_min to max_power ({} to {})",
                                   pw(d.power_cap), pw(d.power_cap_min), pw(d.max_power)));
            if (d.memory_power > 0 && !(d.memory_heat_capacity > 0 && d.memory_to_plate_resistance > 0))
                r.fail(value_loc(n, "memory_power"), join(path, "memory_power"),
                       "a device with memory_power needs memory_heat_capacity and memory_to_plate_resistance");
            if (!(d.memory_idle_power <= d.memory_power))
                r.fail(value_loc(n, "memory_idle_power"), join(path, "memory_idle_power"),
                       fmt::format("memory_idle_power ({}) must not exceed memory_power ({})", pw(d.memory_idle_power),
                                   pw(d.memory_power)));
        }};
    return t;
}

const Table<RackDeviceGroupSpec>& device_group_table() {
    using G = RackDeviceGroupSpec;
    static const Table<G> t{
        "rack_types.<name>.devices.<name>", "A group of identical devices in a rack.",
        {
            name_ref<G>("type", &G::type, "device_types", "device type", "A name from `device_types`."),
            integer<G>("count", &G::count, 1, 1000, "How many of these devices the rack holds (NVL72: 72 GPUs)."),
        }};
    return t;
}

const Table<RackTypeSpec>& rack_type_table() {
    using R = RackTypeSpec;
    static const Table<R> t{
        "rack_types.<name>",
        "A kind of rack, defined once and placed by rows. Its devices' cold plates share one well-mixed coolant "
        "volume fed from the facility supply.",
        {
            named_map<R, RackDeviceGroupSpec>("devices", device_group_table(),
                             +[](R& r, RackDeviceGroupSpec&& g) { r.devices.push_back(std::move(g)); },
                             "Device groups by name, e.g. `gpu: { type: h100, count: 32 }`."),
            quantity<R>("coolant_flow", dims::volume_flow, &R::coolant_flow, above(0, 1), kRequired,
                        "Coolant flow through the rack manifold. Sizing: 1.5 L/min/kW (1.25-2.0) for dT <= 10 K [S] "
                        "OCP."),
            quantity<R>("coolant_volume", dims::volume, &R::coolant_volume, above(0, 10), kRequired,
                        "Coolant in the rack loop (manifolds, hoses, cold plates), treated as well mixed."),
            quantity<R>("other_power", dims::power, &R::other_power, in(0, 10e6), kRequired,
                        "Constant IT power besides the devices (NICs, switches, fans, memory); heats the hall air."),
            section<R, PowerShelfSpec>("power_shelf", power_shelf_table(), +[](R& r) -> PowerShelfSpec& { return r.power_shelf; },
                                       true, "The rack's power conversion."),
            quantity<R>("server_air_flow", dims::volume_flow, &R::server_air_flow, in(0, 100), 0.0,
                        "Total server fan flow through the rack; required when it holds air-cooled devices, whose "
                        "heat sinks share it equally."),
            quantities<R>("size", dims::length, {&R::width, &R::depth, &R::height}, above(0, 10), std::vector<double>{0.6, 1.2, 2.3},
                       "[width, depth, height] for visualisation; the default is a 600 x 1200 mm, 48U rack."),
        }};
    return t;
}

const Table<HallSpec>& hall_air_table() {
    using H = HallSpec;
    static const Table<H> t{
        "halls.<name>.air", "The air of the hall, cooled by air handlers (CRAH).",
        {
            quantity<H>("heat_capacity", dims::heat_capacity, &H::air_heat_capacity, above(0, 1e12), kRequired,
                        "Hall air plus the mass that exchanges heat with it quickly."),
            quantity<H>("cooling_conductance", dims::conductance, &H::air_cooling_conductance, above(0, 1e10),
                        0.0, "Without `crah`: heat transfer from the hall air to a held air-side supply."),
            quantity<H>("supply_temperature", dims::temperature, &H::air_supply_temperature, kTemperatureRange,
                        0.0, "Without `crah`: the held air-side supply temperature."),
            choice<H>("class", &H::air_class, {"A1", "A2", "A3", "A4"}, std::string{},
                      "ASHRAE air class; the server inlet (the hall air) is checked against its allowable maximum: "
                      "A1 32, A2 35, A3 40, A4 45 degC (recommended 18-27 degC) [S]."),
        }};
    return t;
}

const Table<CrahSpec>& crah_table() {
    using C = CrahSpec;
    static const Table<C> t{
        "halls.<name>.crah",
        "Air handlers (CRAH units or fan walls) of the hall: their fans pull the hall air through coils on the "
        "facility water, q = eps C_min (T_air - T_water) (counterflow epsilon-NTU). Fans run at constant speed; "
        "their heat stays in the hall.",
        {
            quantity<C>("air_flow", dims::volume_flow, &C::air_flow, above(0, 1e4), kRequired, "Air flow of all units."),
            quantity<C>("water_flow", dims::volume_flow, &C::water_flow, above(0, 100), kRequired,
                        "Facility water through all coils."),
            quantity<C>("ua", dims::conductance, &C::ua, above(0, 1e9), kRequired, "Conductance of all coils."),
            quantity<C>("fan_power", dims::power, &C::fan_power, in(0, 1e8), kRequired, "All fans."),
        }};
    return t;
}

const Table<RowSpec>& row_table() {
    using W = RowSpec;
    static const Table<W> t{
        "halls.<name>.rows.<name>", "A row of identical racks; it gives each rack a floor position.",
        {
            name_ref<W>("rack", &W::rack, "rack_types", "rack type", "A name from `rack_types`."),
            integer<W>("count", &W::count, 1, 10000, "Racks in the row."),
            quantities<W>("origin", dims::length, {&W::origin_x, &W::origin_y}, in(-1e4, 1e4), std::nullopt,
                       "[x, y] floor position of the first rack's corner."),
            quantity<W>("pitch", dims::length, &W::pitch, above(0, 100), 0.6,
                        "Distance between rack origins along the row (a standard rack is 0.6 m wide)."),
            choice<W>("direction", &W::direction, {"x", "y"}, "x", "The floor axis the row runs along."),
        }};
    return t;
}

HallSpec& hall_self(HallSpec& h) { return h; }

const Table<HallSpec>& hall_table() {
    using H = HallSpec;
    static const Table<H> t{
        "halls.<name>", "A data hall: one air volume and rows of racks.",
        {
            section<H, H>("air", hall_air_table(), hall_self, true, "The hall air."),
            named_map<H, RowSpec>("rows", row_table(), +[](H& h, RowSpec&& r) { h.rows.push_back(std::move(r)); },
                                  "Rows by name, in file order."),
            optional_section<H, BuswaySpec>("busway", busway_table(), +[](H& h) -> BuswaySpec& { return h.busway; },
                                            "The hall's busway."),
            optional_section<H, CrahSpec>("crah", crah_table(), +[](H& h) -> CrahSpec& { return h.crah; },
                                          "Air handlers on facility water (instead of a held air supply)."),
        },
        [](const H& h, const Node& n, Reader& r, const std::string& path) {
            const Node* air = child(n, "air");
            for (const char* key : {"cooling_conductance", "supply_temperature"}) {
                const Entry* e = air ? air->find(key) : nullptr;
                if (h.crah.present && e)
                    r.fail(e->key_loc, join(join(path, "air"), key),
                           "the hall has `crah`: its air is cooled by the air handlers, not a held supply");
                if (!h.crah.present && !e)
                    r.fail(air ? air->loc : n.loc, join(join(path, "air"), key),
                           fmt::format("missing required key \"{}\" (or give the hall `crah`)", key));
            }
        }};
    return t;
}

// A schedule step: `value` holds from `at` on.
Table<ActivityStep> step_table_of(std::string title, std::string intro, const Dimension& dim, Range range,
                                  std::string value_desc) {
    return {std::move(title), std::move(intro),
            {
                quantity<ActivityStep>("at", dims::time, &ActivityStep::at, in(0, 100 * kYear), kRequired,
                                       "Simulated time from which `value` holds."),
                quantity<ActivityStep>("value", dim, &ActivityStep::value, range, kRequired, std::move(value_desc)),
            }};
}

const Table<ActivityStep>& step_table() {
    static const Table<ActivityStep> t = step_table_of(
        "workload.activity[]", "One step of an activity schedule (also `workload.jobs.<name>.activity[]`).",
        dims::dimensionless, in(0, 1), "Activity, 0 (idle) to 1 (full load).");
    return t;
}

const Table<ActivityStep>& power_step_table() {
    static const Table<ActivityStep> t = step_table_of(
        "workload.jobs.<name>.power_limit[]", "One step of an external power limit on every member of a job.",
        dims::power, above(0, 10e3),
        "Limit per device, passed down by the site (a power-capping controller, a utility request); throttling it "
        "causes is reported as `external`.");
    return t;
}

// Steps sorted by time, the first at 0 s: the schedule has a value from the start.
void check_steps(const std::vector<ActivityStep>& steps, const Node* list_node, const std::string& path, Reader& r) {
    if (!list_node) return;
    for (size_t i = 0; i < steps.size(); ++i) {
        const bool first_late = i == 0 && steps[0].at != 0, out_of_order = i > 0 && !(steps[i].at > steps[i - 1].at);
        if (!first_late && !out_of_order) continue;  // the place and key path only for a message
        std::string p = join(join(path, std::to_string(i)), "at");
        Loc at = value_loc(list_node->items[i], "at");
        if (first_late)
            r.fail(at, p, fmt::format("the first step must be at 0 s (the schedule needs a value from the start), "
                                      "found {}", format_quantity(steps[0].at, dims::time)));
        if (out_of_order)
            r.fail(at, p, fmt::format("steps must be in increasing order of time: this step at {} follows one at {}",
                                      format_quantity(steps[i].at, dims::time),
                                      format_quantity(steps[i - 1].at, dims::time)));
    }
}

const Table<TrainingSpec>& training_table() {
    using T = TrainingSpec;
    static const Table<T> t{
        "workload.jobs.<name>.training",
        "A training profile: every iteration is a compute phase and a communication phase, every member in step; "
        "checkpoints pause the iterations at start + k interval; a start ramp scales the activity above idle.",
        {
            quantity<T>("start", dims::time, &T::start, in(0, 100 * kYear), 0.0, "The first iteration."),
            quantity<T>("stop", dims::time, &T::stop, in(0, 100 * kYear), 0.0, "Idle from then on; 0 s: never."),
            quantity<T>("iteration_period", dims::time, &T::iteration_period, above(0, kDay), kRequired,
                        "Mean period of one iteration."),
            quantity<T>("compute_fraction", dims::dimensionless, &T::compute_fraction, above(0, 1), 0.7,
                        "Share of each iteration in the compute phase."),
            quantity<T>("compute_activity", dims::dimensionless, &T::compute_activity, in(0, 1), 1.0,
                        "Activity in the compute phase."),
            quantity<T>("communication_activity", dims::dimensionless, &T::communication_activity, in(0, 1), 0.3,
                        "Activity in the communication phase."),
            quantity<T>("idle_activity", dims::dimensionless, &T::idle_activity, in(0, 1), 0.0,
                        "Activity before start and after stop."),
            quantity<T>("jitter", dims::dimensionless, &T::jitter, in(0, 0.3), 0.0,
                        "Relative standard deviation of the iteration period (seeded: the same seed, the same run)."),
            integer<T>("seed", &T::seed, 0, 2147483647, "Seed of the jitter.", 0),
            quantity<T>("checkpoint_interval", dims::time, &T::checkpoint_interval, in(0, kYear), 0.0,
                        "Between checkpoint starts (wall-clock, from start); 0 s: no checkpoints."),
            quantity<T>("checkpoint_duration", dims::time, &T::checkpoint_duration, in(0, kDay), 0.0,
                        "Length of each checkpoint; less than the interval."),
            quantity<T>("checkpoint_activity", dims::dimensionless, &T::checkpoint_activity, in(0, 1), 0.0,
                        "Activity during a checkpoint."),
            quantity<T>("ramp_duration", dims::time, &T::ramp_duration, in(0, kDay), 0.0,
                        "Start ramp of the activity above idle; 0 s: full activity at start."),
            integer<T>("ramp_steps", &T::ramp_steps, 0, 1000, "0: a linear ramp; n: n equal steps.", 0),
            choice<T>("resolution", &T::resolution, {"iterations", "averaged"}, std::string("iterations"),
                      "iterations: every phase resolved; averaged: the iteration-averaged activity (long runs), the "
                      "swing reported in the summary."),
        },
        [](const T& p, const Node& n, Reader& r, const std::string& path) {
            if (p.stop > 0 && !(p.stop > p.start))
                r.fail(value_loc(n, "stop"), join(path, "stop"), "stop must come after start");
            if (p.checkpoint_interval > 0 && !(p.checkpoint_duration < p.checkpoint_interval))
                r.fail(value_loc(n, "checkpoint_duration"), join(path, "checkpoint_duration"),
                       "a checkpoint must be shorter than the interval between checkpoints");
        }};
    return t;
}

const Table<InferenceSpec>& inference_table() {
    using I = InferenceSpec;
    static const Table<I> t{
        "workload.jobs.<name>.inference",
        "An inference profile: activity = batch_utilisation x (mean_demand + amplitude cos(2 pi (clock - peak_time) "
        "/ 1 d)) between start and stop, idle otherwise.",
        {
            quantity<I>("start", dims::time, &I::start, in(0, 100 * kYear), 0.0, "Serving begins."),
            quantity<I>("stop", dims::time, &I::stop, in(0, 100 * kYear), 0.0, "Idle from then on; 0 s: never."),
            quantity<I>("mean_demand", dims::dimensionless, &I::mean_demand, in(0, 1), 0.6,
                        "Daily mean demand, a fraction of capacity."),
            quantity<I>("amplitude", dims::dimensionless, &I::amplitude, in(0, 1), 0.3,
                        "Half the peak-to-trough swing of the demand; mean +- amplitude stays within 0..1."),
            quantity<I>("peak_time", dims::time, &I::peak_time, in(0, kDay), 14 * 3600.0,
                        "Clock time (after midnight) of the daily peak."),
            quantity<I>("time_of_day_at_start", dims::time, &I::time_of_day_at_start, in(0, kDay), 0.0,
                        "Clock time (after midnight) at t = 0."),
            quantity<I>("batch_utilisation", dims::dimensionless, &I::batch_utilisation, in(0, 1), 0.8,
                        "Activity at full demand."),
            quantity<I>("idle_activity", dims::dimensionless, &I::idle_activity, in(0, 1), 0.0,
                        "Activity outside serving."),
        },
        [](const I& p, const Node& n, Reader& r, const std::string& path) {
            if (p.stop > 0 && !(p.stop > p.start))
                r.fail(value_loc(n, "stop"), join(path, "stop"), "stop must come after start");
            if (p.mean_demand - p.amplitude < 0 || p.mean_demand + p.amplitude > 1)
                r.fail(value_loc(n, "amplitude"), join(path, "amplitude"),
                       fmt::format("mean_demand +- amplitude must stay within 0..1 (found {:.3g} +- {:.3g})",
                                   p.mean_demand, p.amplitude));
        }};
    return t;
}

const Table<TraceJobSpec>& trace_job_table() {
    using T = TraceJobSpec;
    static const Table<T> t{
        "workload.jobs.<name>.trace",
        "Replays measured logs: `nvidia-smi --query-gpu=timestamp,index,power.draw,utilization.gpu --format=csv` "
        "output or a `time, device, value` table (see the trace formats below the reference). Member k of the job, in "
        "build order, replays the trace's device k modulo their number, interpolated linearly. Power becomes activity "
        "through the member's own power figures at the leakage reference temperature: (P - idle - leakage - idle "
        "memory) / (max - the same), at least 0.",
        {
            text<T>("file", &T::file, std::nullopt, "The trace file; a relative path is taken from the site file's folder."),
            choice<T>("quantity", &T::quantity, {"power", "utilization"}, std::string("power"),
                      "Which series drives the activity: power draw, or GPU utilisation taken as the activity."),
            quantity<T>("start", dims::time, &T::start, in(0, 100 * kYear), 0.0, "Simulation time of the trace's first sample."),
            boolean<T>("repeat", &T::repeat, false, "Loop the trace; otherwise its first and last values hold outside it."),
        }};
    return t;
}

const Table<SmoothingSpec>& smoothing_table() {
    using S = SmoothingSpec;
    static const Table<S> t{
        "workload.jobs.<name>.smoothing",
        "GPU power smoothing on every member (the settings of NVIDIA's power-smoothing profiles): a floor the power "
        "never drops below, and limits on how fast it rises and falls, the fall only after the request has stayed "
        "below for the hysteresis. It acts on the job's activity, with the power figures of the job's first member "
        "(put GPUs and CPUs in separate jobs). The summary reports the energy it burns and holds back.",
        {
            quantity<S>("floor", dims::dimensionless, &S::floor, in(0, 0.9), 0.0,
                        "Minimum power as a fraction of the device's max_power (products: 20-90 %); 0: none."),
            quantity<S>("ramp_up_rate", dims::power_ramp, &S::ramp_up_rate, in(0, 1e9), 0.0,
                        "Largest rise of a device's power; 0: unlimited."),
            quantity<S>("ramp_down_rate", dims::power_ramp, &S::ramp_down_rate, in(0, 1e9), 0.0,
                        "Largest fall of a device's power; 0: unlimited."),
            quantity<S>("ramp_down_hysteresis", dims::time, &S::ramp_down_hysteresis, in(0, 3600), 0.0,
                        "How long the request must stay below the drawn power before it falls."),
            quantity<S>("sample_interval", dims::time, &S::sample_interval, in(1e-4, 1), 0.01,
                        "Step of the filter (at most 20 million steps per run)."),
        }};
    return t;
}

const Table<JobSpec>& job_table() {
    using J = JobSpec;
    static const Table<J> t{
        "workload.jobs.<name>",
        "A job over a group of devices. Its members switch activity together; a training job is synchronous and "
        "advances at the pace of its slowest member (a member that drops out stalls it). Devices in no job idle.",
        {
            texts<J>("members", &J::members, "(every device)",
                     "Path prefixes of the devices it runs on: a hall, a row or a rack (`hall1`, `hall1/rowA`, "
                     "`hall1/rowA/rack02`) or a device (`hall1/rowA/rack02/gpu3`). A device is in one job at most."),
            kind<J>("kind", &J::kind, JobKind::training,
                      "training: synchronous, at the slowest member's pace; independent: the members' mean pace."),
            list<J, ActivityStep>("activity", step_table(), &J::activity,
                                  "Activity steps: sorted, the first at 0 s. Give this, `training` or `inference`.",
                                  false),
            optional_section<J, TrainingSpec>("training", training_table(),
                                              +[](J& j) -> TrainingSpec& { return j.training; },
                                              "A training profile (iterations, checkpoints, start ramp)."),
            optional_section<J, InferenceSpec>("inference", inference_table(),
                                               +[](J& j) -> InferenceSpec& { return j.inference; },
                                               "An inference profile (daily demand)."),
            optional_section<J, TraceJobSpec>("trace", trace_job_table(),
                                              +[](J& j) -> TraceJobSpec& { return j.trace; },
                                              "A replayed trace of measured power or utilisation."),
            optional_section<J, SmoothingSpec>("smoothing", smoothing_table(),
                                               +[](J& j) -> SmoothingSpec& { return j.smoothing; },
                                               "Power smoothing of its members (floor, ramp rates)."),
            list<J, ActivityStep>("power_limit", power_step_table(), &J::power_limit,
                                  "External power limit steps per device: sorted, the first at 0 s.", false),
        },
        [](const J& j, const Node& n, Reader& r, const std::string& path) {
            const int given = int(n.find("activity") != nullptr) + int(j.training.present) + int(j.inference.present) +
                              int(j.trace.present);
            if (given != 1)
                r.fail(n.loc, path,
                       given == 0 ? "missing `activity`, `training`, `inference` or `trace`: what the job does"
                                  : "give one of `activity`, `training`, `inference` or `trace`, not several");
            check_steps(j.activity, child(n, "activity"), join(path, "activity"), r);
            check_steps(j.power_limit, child(n, "power_limit"), join(path, "power_limit"), r);
        }};
    return t;
}

SiteSpec& site_self(SiteSpec& s) { return s; }

const Table<SiteSpec>& workload_table() {
    static const Table<SiteSpec> t{
        "workload", "What the devices do over time: one activity schedule for every device, or jobs.",
        {
            list<SiteSpec, ActivityStep>("activity", step_table(), &SiteSpec::activity,
                                         "One job over every device (named `site`): steps sorted by `at`, the first "
                                         "at 0 s. Give this or `jobs`.", false),
            named_map<SiteSpec, JobSpec>("jobs", job_table(),
                                         +[](SiteSpec& s, JobSpec&& j) { s.jobs.push_back(std::move(j)); },
                                         "Jobs by name. Give this or `activity`.", false),
        },
        [](const SiteSpec& s, const Node& n, Reader& r, const std::string& path) {
            const bool a = n.find("activity"), j = n.find("jobs");
            if (a == j)
                r.fail(a ? n.find("jobs")->key_loc : n.loc, path,
                       a ? "give either `activity` (one job over every device) or `jobs`, not both"
                         : "missing `activity` or `jobs`: what the devices do");
            check_steps(s.activity, child(n, "activity"), join(path, "activity"), r);
        }};
    return t;
}

const Table<VariabilitySpec>& variability_table() {
    using V = VariabilitySpec;
    static const Table<V> t{
        "variability",
        "Manufacturing spread between devices of one type, sampled per device from a seeded stream: the same seed "
        "gives the same site on every machine.",
        {
            [] {
                Param p;
                p.key = "seed";
                p.kind = Kind::integer;
                p.required = false;
                p.default_text = "1";
                p.range = in(0, 9.0e15);
                p.description = "Seed of the random stream.";
                return Field<V>{p, [](V& v, const Param& p, const Slot& s, Reader& r) {
                                    v.seed = s.entry ? std::uint64_t(r.integer(s.entry->value, p, s.path)) : 1;
                                }};
            }(),
            quantity<V>("thermal_resistance", dims::dimensionless, &V::thermal_resistance, in(0, 0.5), 0.0,
                        "Relative standard deviation of a device's thermal resistances (both scaled together)."),
            quantity<V>("leakage", dims::dimensionless, &V::leakage, in(0, 1), 0.0,
                        "Relative standard deviation of a device's leakage power."),
        }};
    return t;
}

const Table<CduSpec>& cdu_table() {
    using C = CduSpec;
    static const Table<C> t = [] {
        Table<C> t{
            "cdus.<name>",
            "A coolant distribution unit: a counterflow liquid-to-liquid exchanger between its racks' secondary loop "
            "and the facility water, a secondary pump (affinity laws), and a PI controller (integrator as state, "
            "back-calculation anti-windup) that opens the primary valve to hold the secondary supply temperature.",
            {
                texts<C>("racks", &C::racks, "",
                         "Path prefixes of the racks it serves: a hall, a row or a rack (`hall1/rowA`). A rack is "
                         "served by one CDU at most; racks with liquid-cooled devices in no CDU take facility water "
                         "directly.",
                         true),
                quantity<C>("capacity", dims::power, &C::capacity, above(0, 1e9), kRequired,
                            "Rated heat duty (units up to about 2.6 MW [S])."),
                quantity<C>("approach", dims::temperature_difference, &C::approach, above(0, 30), 3.0,
                            "Secondary supply above facility supply at rated duty with the valve open: 3-5 K [S]."),
                quantity<C>("supply_temperature", dims::temperature, &C::supply_temperature, kTemperatureRange, kRequired,
                            "Secondary supply set point (17-45 degC [S])."),
                quantity<C>("primary_flow", dims::volume_flow, &C::primary_flow, above(0, 100), kRequired,
                            "Facility water with the valve fully open."),
                quantity<C>("pump_head", dims::pressure, &C::pump_head, above(0, 10e6), kRequired,
                            "Secondary pump pressure rise at rated flow (the racks' flows summed)."),
                quantity<C>("pump_efficiency", dims::dimensionless, &C::pump_efficiency, above(0, 1), 0.7,
                            "Wire-to-water efficiency of the secondary pump [E]."),
                quantity<C>("volume", dims::volume, &C::volume, above(0, 1000), kRequired,
                            "Secondary fluid in the exchanger and supply header."),
                choice<C>("fluid", &C::fluid, {"water", "pg25"}, std::string("water"),
                          "Secondary fluid (properties as in `coolant.fluid`)."),
                quantity<C>("gain", dims::inverse_temperature, &C::gain, above(0, 100), 0.1,
                            "Proportional gain: valve opening per kelvin above the set point [E]."),
                quantity<C>("integral_time", dims::time, &C::integral_time, above(0, 86400), 60.0,
                            "Integral time of the valve controller [E]."),
                quantity<C>("min_valve", dims::dimensionless, &C::min_valve, in(0.001, 1), 0.05,
                            "Lowest valve opening (minimum flow) [E]."),
            }};
        auto base = t.fields[9].read;  // fluid
        t.fields[9].read = [base](C& c, const Param& p, const Slot& s, Reader& r) {
            base(c, p, s, r);
            if (c.fluid == "pg25") c.density = 1023.7, c.specific_heat = 3910.0;
        };
        return t;
    }();
    return t;
}

const Table<SiteSpec>& site_info_table() {
    static const Table<SiteSpec> t{
        "site", "What the file describes.",
        {
            text<SiteSpec>("name", &SiteSpec::name, kRequired, "Name of the site, written into results."),
            text<SiteSpec>("description", &SiteSpec::description, std::string{}, "One line about the site."),
        }};
    return t;
}

const Table<SiteSpec>& root_table() {
    using S = SiteSpec;
    static const Table<S> t{
        "", "The sections of a site file.",
        {
            [] {
                Param p;
                p.key = "dctwin";
                p.kind = Kind::integer;
                p.range = in(kSiteFormatVersion, kSiteFormatVersion);
                p.description = "Format version of the file; this dctwin reads format 1.";
                return Field<S>{p, [](S& s, const Param& p, const Slot& slot, Reader& r) {
                                    Param any = p;
                                    any.range = {};
                                    long long v = r.integer(slot.entry->value, any, slot.path);
                                    if (v != kSiteFormatVersion)
                                        r.fail(slot.entry->value.loc, slot.path,
                                               fmt::format("this file is format {}, this dctwin reads format {}", v,
                                                           kSiteFormatVersion));
                                    s.format_version = static_cast<int>(v);
                                }};
            }(),
            section<S, S>("site", site_info_table(), site_self, true, "Name and description."),
            section<S, SimulationSpec>("simulation", simulation_table(), +[](S& s) -> SimulationSpec& { return s.simulation; },
                                       false, "Simulated time, output and solver settings."),
            section<S, AmbientSpec>("ambient", ambient_table(), +[](S& s) -> AmbientSpec& { return s.ambient; }, true,
                                    "Outdoor conditions."),
            section<S, CoolantSpec>("coolant", coolant_table(), +[](S& s) -> CoolantSpec& { return s.coolant; }, true,
                                    "The facility liquid loop."),
            section<S, FacilitySpec>("facility", facility_table(), +[](S& s) -> FacilitySpec& { return s.facility; },
                                     true, "Pump and heat rejection."),
            section<S, PowerSpec>("power", power_table(), +[](S& s) -> PowerSpec& { return s.power; }, true,
                                  "Power distribution."),
            named_map<S, DeviceTypeSpec>("device_types", device_type_table(),
                                         +[](S& s, DeviceTypeSpec&& d) { s.device_types.emplace(d.name, std::move(d)); },
                                         "Device types by name."),
            named_map<S, RackTypeSpec>("rack_types", rack_type_table(),
                                       +[](S& s, RackTypeSpec&& r) { s.rack_types.emplace(r.name, std::move(r)); },
                                       "Rack types by name."),
            named_map<S, HallSpec>("halls", hall_table(), +[](S& s, HallSpec&& h) { s.halls.push_back(std::move(h)); },
                                   "Halls by name, in file order."),
            named_map<S, CduSpec>("cdus", cdu_table(), +[](S& s, CduSpec&& c) { s.cdus.push_back(std::move(c)); },
                                  "Coolant distribution units by name; without them racks take facility water directly.",
                                  false),
            section<S, S>("workload", workload_table(), site_self, true, "What the devices do."),
            list<S, ScenarioEvent>("scenario", scenario_event_table(), &S::scenario,
                                   "Events: utility outages, generator, PSU and PDU failures, cooling faults; in order of time.",
                                   false),
            section<S, VariabilitySpec>("variability", variability_table(),
                                        +[](S& s) -> VariabilitySpec& { return s.variability; }, false,
                                        "Spread between devices (none by default)."),
        }};
    return t;
}

// ---------------------------------------------------------------------------------------
// Loading

// Byte offset of the first byte that is not valid UTF-8, or npos.
size_t invalid_utf8(std::string_view s) {
    auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
    for (size_t i = 0; i < s.size();) {
        unsigned char c = byte(i);
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t n = c >= 0xC2 && c <= 0xDF ? 1 : c >= 0xE0 && c <= 0xEF ? 2 : c >= 0xF0 && c <= 0xF4 ? 3 : 0;
        if (n == 0 || i + n >= s.size()) return i;
        unsigned char b1 = byte(i + 1);  // no overlong forms, surrogates or code points past U+10FFFF
        if ((c == 0xE0 && b1 < 0xA0) || (c == 0xED && b1 > 0x9F) || (c == 0xF0 && b1 < 0x90) || (c == 0xF4 && b1 > 0x8F))
            return i;
        for (size_t k = 1; k <= n; ++k)
            if ((byte(i + k) & 0xC0) != 0x80) return i;
        i += n + 1;
    }
    return std::string_view::npos;
}

Loc loc_of_offset(std::string_view text, size_t offset) {
    Loc l{0, 1, 1};
    for (size_t i = 0; i < offset; ++i) {
        if (text[i] == '\n') ++l.line, l.col = 1;
        else ++l.col;
    }
    return l;
}

std::string yaml_message(const YAML::Exception& e, std::string_view line) {
    // yaml-cpp reports its nesting limit as "bad file".
    if (dynamic_cast<const YAML::DeepRecursion*>(&e)) return "YAML nesting is too deep";
    std::string msg = e.msg.empty() ? std::string("invalid YAML") : e.msg;
    std::string out = "YAML syntax error: " + msg;
    auto indent_end = line.find_first_not_of(" \t");
    if (line.substr(0, indent_end).find('\t') != std::string_view::npos)
        out += "; this line is indented with a tab, and YAML allows only spaces for indentation";
    else if (msg == "illegal map value")
        out += " (a value that contains \": \" must be quoted)";
    return out;
}

// Records where each YAML document starts and ignores everything else.
struct DocumentStarts : YAML::EventHandler {
    std::vector<YAML::Mark> marks;
    void OnDocumentStart(const YAML::Mark& m) override { marks.push_back(m); }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}
};

// One segment of an override's key path, and where it was written.
struct Seg {
    std::string key;
    Loc loc;
};

// Puts `value` at the key path `segs` of the tree (an override, from --set or a set file).
void graft(Node& root, const std::vector<Seg>& segs, Node value, const Context& ctx) {
    Node* cur = &root;
    std::string walked;
    for (size_t i = 0; i < segs.size(); ++i) {
        const Seg& s = segs[i];
        bool last = i + 1 == segs.size();
        Node* next = nullptr;
        if (cur->kind == Node::Kind::map) {
            if (Entry* e = cur->find(s.key)) {
                next = &e->value;
            } else if (last) {
                cur->entries.push_back({s.key, s.loc, std::move(value)});
                return;  // a new key; validation decides whether it is allowed
            } else {
                // A section the file leaves out (simulation.solver.rtol on a site without a
                // solver section): a new map, which validation checks like any new key.
                Node section;
                section.kind = Node::Kind::map;
                section.loc = s.loc;
                cur->entries.push_back({s.key, s.loc, std::move(section)});
                next = &cur->entries.back().value;
            }
        } else if (cur->kind == Node::Kind::seq) {
            size_t idx = 0;
            auto [p, ec] = std::from_chars(s.key.data(), s.key.data() + s.key.size(), idx);
            if (ec != std::errc{} || p != s.key.data() + s.key.size())
                ctx.fail(s.loc, walked, fmt::format("this is a list of {} entries: expected an index, found \"{}\"",
                                                    cur->items.size(), s.key));
            if (idx == cur->items.size() && last) {
                cur->items.push_back(std::move(value));  // append one entry
                return;
            }
            if (idx >= cur->items.size())
                ctx.fail(s.loc, walked, fmt::format("index {} is past the end of this list of {} entries{}", idx,
                                                    cur->items.size(), last ? " (an index equal to the length appends)" : ""));
            next = &cur->items[idx];
        } else {
            ctx.fail(s.loc, walked, fmt::format("this is a single value ({}); it has no key \"{}\"",
                                                describe_node(*cur), s.key));
        }
        walked = join(walked, s.key);
        if (last) *next = std::move(value);
        cur = next;
    }
}

// The segments of a dotted key path written at `at(0)`; `at(i)` places byte i of `path_text`.
template <class At>
std::vector<Seg> split_key_path(std::string_view path_text, At at, const Context& ctx) {
    std::vector<Seg> segs;
    size_t start = 0;
    while (true) {
        size_t dot = path_text.find('.', start);
        std::string_view raw = path_text.substr(start, dot == std::string_view::npos ? dot : dot - start);
        size_t lead = raw.find_first_not_of(" \t");
        size_t trail = raw.find_last_not_of(" \t");
        if (lead == std::string_view::npos)
            ctx.fail(at(start), std::string(path_text), "empty key in the key path (two dots, or a dot at an end)");
        segs.push_back({std::string(raw.substr(lead, trail - lead + 1)), at(start + lead)});
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return segs;
}

// Applies one "key.path=value" override to the tree. `index` is 1-based.
void apply_override(Node& root, const std::string& text, int index, const Context& ctx) {
    auto at = [&](size_t col0) { return Loc{1, index, static_cast<int>(col0) + 1}; };
    size_t eq = text.find('=');
    if (eq == std::string::npos)
        ctx.fail(at(0), "", "an override must look like key.path=value (e.g. coolant.supply_temperature=35degC); "
                            "found no \"=\"");
    std::string_view path_text = std::string_view(text).substr(0, eq);
    if (path_text.find_first_not_of(" \t") == std::string_view::npos)
        ctx.fail(at(0), "", "an override must look like key.path=value; the key path is empty");
    const std::vector<Seg> segs = split_key_path(path_text, at, ctx);

    // The value is YAML (a scalar, or a flow list/map), placed after the '='.
    const size_t value_col0 = eq + 1;
    std::string value_text = text.substr(value_col0);
    Converter conv(ctx, [&](const YAML::Mark& m) {
        return at(value_col0 + (m.line == 0 ? static_cast<size_t>(std::max(m.column, 0)) : 0));
    }, text.size() + 10000);
    std::string path;
    for (const auto& s : segs) path = join(path, s.key);
    Node value;
    try {
        value = conv.convert(YAML::Load(value_text), path, 0, at(value_col0));
    } catch (const YAML::Exception& e) {
        ctx.fail(at(value_col0 + (e.mark.line == 0 ? std::max(e.mark.column, 0) : 0)), path,
                 "invalid value: " + yaml_message(e, ""));
    }
    graft(root, segs, std::move(value), ctx);
}

// The text of a YAML file as a tree placed in source `src` of the context: the checks of a
// site file (size, NUL, UTF-8, one document, node count) with errors at file:line:col.
Node parse_yaml_source(std::string_view input, int src, Context& ctx, const std::string& what) {
    if (input.size() > std::size_t(kMaxSiteBytes))
        ctx.fail({src, 0, 0}, "", fmt::format("the text is too large ({} MB) for {} (at most {} MB)",
                                              input.size() >> 20, what, kMaxSiteBytes >> 20));
    std::string_view text = input;
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 byte order mark
    auto placed = [src](Loc l) { return Loc{src, l.line, l.col}; };
    if (auto nul = text.find('\0'); nul != std::string_view::npos)
        ctx.fail(placed(loc_of_offset(text, nul)), "",
                 fmt::format("this is not a text file (it contains a NUL byte); {} is YAML text in UTF-8", what));
    if (auto bad = invalid_utf8(text); bad != std::string_view::npos)
        ctx.fail(placed(loc_of_offset(text, bad)), "",
                 fmt::format("this is not UTF-8 text (byte 0x{:02X}); save the {} as UTF-8",
                             static_cast<unsigned char>(text[bad]), what.substr(what.find(' ') + 1)));
    ctx.sources[std::size_t(src)].lines = split_lines(text);
    const auto& lines = ctx.sources[std::size_t(src)].lines;
    YAML::Node doc;
    try {
        // Documents are counted with the parser first: yaml-cpp's LoadAll never ends (and eats
        // memory) on a stray "," at the top level, where each document consumes no input.
        const std::string owned(text);
        std::istringstream stream(owned);
        YAML::Parser parser(stream);
        DocumentStarts starts;
        while (starts.marks.size() < 3 && parser.HandleNextDocument(starts)) {
            const auto& m = starts.marks;
            if (m.size() >= 2 && m[m.size() - 1].pos == m[m.size() - 2].pos)
                ctx.fail({src, m.back().line + 1, m.back().column + 1}, "",
                         fmt::format("YAML syntax error: unexpected \"{}\"", owned.substr(m.back().pos, 1)));
        }
        if (starts.marks.size() > 1)
            ctx.fail({src, starts.marks[1].line + 1, starts.marks[1].column + 1}, "",
                     fmt::format("a second YAML document starts here; {} holds exactly one", what));
        doc = YAML::Load(owned);
    } catch (const YAML::Exception& e) {
        Loc l{src, e.mark.line + 1, e.mark.column + 1};
        if (e.mark.is_null()) l = {src, 0, 0};
        std::string_view line = l.line >= 1 && l.line <= static_cast<int>(lines.size())
                                    ? std::string_view(lines[std::size_t(l.line) - 1]) : std::string_view();
        ctx.fail(l, "", yaml_message(e, line));
    } catch (const InputError&) {
        throw;
    } catch (const std::exception& e) {
        ctx.fail({src, 0, 0}, "", fmt::format("cannot parse the file: {}", e.what()));
    }
    try {
        Converter conv(ctx, [src](const YAML::Mark& m) { return Loc{src, m.line + 1, m.column + 1}; }, text.size() + 10000);
        return conv.convert(doc, "", 0, {src, 1, 1});
    } catch (const YAML::Exception& e) {  // not expected from a loaded tree; never crash
        ctx.fail({src, 0, 0}, "", fmt::format("cannot read the YAML tree: {}", e.what()));
    }
}

// The overrides of a set file (docs/calibration.md): a map whose keys are key paths (dotted,
// or nested maps, joined) and whose values replace the site's. Calls `leaf` for each in file
// order with the segments (placed in the file) and the value.
template <class Leaf>
void walk_set_file(const Node& n, std::vector<Seg>& prefix, const Context& ctx, Leaf&& leaf) {
    for (const Entry& e : n.entries) {
        // A plain key's segments are placed at their own columns; a quoted one at its start.
        auto at = [&](size_t i) { return Loc{e.key_loc.src, e.key_loc.line, e.key_loc.col + static_cast<int>(i)}; };
        std::vector<Seg> segs = split_key_path(e.key, at, ctx);
        const std::size_t before = prefix.size();
        prefix.insert(prefix.end(), segs.begin(), segs.end());
        if (e.value.kind == Node::Kind::map && !e.value.entries.empty())
            walk_set_file(e.value, prefix, ctx, leaf);
        else
            leaf(prefix, e.value);
        prefix.resize(before);
    }
}

// Reads a set file into source `src` of the context; its root must be a map.
Node read_set_file_node(const std::string& file, Context& ctx) {
    const int src = static_cast<int>(ctx.sources.size());
    ctx.sources.push_back({file, {}});
    std::string text;
    try {
        text = read_input_file(file, kMaxSiteBytes, "a set file");
    } catch (const FileReadError& e) {
        throw InputError({file, 0, 0}, "", e.what(), "");
    }
    Node root = parse_yaml_source(text, src, ctx, "a set file");
    if (root.kind == Node::Kind::null) ctx.fail({src, 1, 1}, "", "the set file is empty: expected a map of key.path: value");
    if (root.kind != Node::Kind::map)
        ctx.fail(root.loc, "", fmt::format("a set file is a map of key.path: value (as --set takes), found {}",
                                           describe_node(root)));
    return root;
}

}  // namespace

// A device type with `model: name` takes every key of that catalogue entry it does not set
// itself. The entry's text becomes a source of its own, so an error in a merged key would
// point at the catalogue.
void merge_catalogue(Node& root, Context& ctx) {
    Entry* types = root.find("device_types");
    if (!types || types->value.kind != Node::Kind::map) return;
    for (Entry& t : types->value.entries) {
        if (t.value.kind != Node::Kind::map) continue;
        const Entry* model = t.value.find("model");
        if (!model || model->value.kind != Node::Kind::scalar) continue;  // validation reports it
        const CatalogueEntry* c = find_catalogue_entry(model->value.text);
        if (!c) continue;  // the `model` choice reports unknown names with the list
        const int src = static_cast<int>(ctx.sources.size());
        ctx.sources.push_back({fmt::format("catalogue {}", c->name), split_lines(c->yaml)});
        Converter conv(ctx, [src](const YAML::Mark& m) { return Loc{src, m.line + 1, m.column + 1}; }, 100000);
        const Node base = conv.convert(YAML::Load(std::string(c->yaml)), "", 0, {src, 1, 1});
        for (const Entry& e : base.entries)
            if (!t.value.find(e.key)) t.value.entries.push_back(e);
    }
}

SiteSpec load_site_text(std::string_view input, const std::string& file_label, const std::vector<std::string>& overrides,
                        const std::vector<std::string>& set_files) {
    Context ctx;
    ctx.sources.push_back({file_label, {}});
    ctx.sources.push_back({"--set", overrides});
    for (auto& l : ctx.sources[1].lines) l = split_lines(l).front();  // an excerpt is one line

    // YAML trees take about a hundred times their text in memory: a site file is kilobytes,
    // a thousand-rack site well under a megabyte.
    const std::string kStart = "a site file starts with `dctwin: 1` (see sites/README.md)";
    Node root = parse_yaml_source(input, 0, ctx, "a site file");
    if (root.kind == Node::Kind::null) ctx.fail({0, 1, 1}, "", "the file is empty (no YAML content); " + kStart);
    if (root.kind != Node::Kind::map)
        ctx.fail(root.loc, "", fmt::format("expected a map of sections at the top level, found {}; {}",
                                           describe_node(root), kStart));
    // The format version first: a file of another version fails on it, not on its new keys.
    const Entry* version = root.find("dctwin");
    if (!version)
        ctx.fail(root.loc, "", "missing required key \"dctwin\" (the format version); " + kStart);

    // Set files first, in order, then --set: the command line has the last word.
    for (const auto& f : set_files) {
        const Node file_root = read_set_file_node(f, ctx);
        std::vector<Seg> prefix;
        walk_set_file(file_root, prefix, ctx, [&](const std::vector<Seg>& segs, const Node& v) { graft(root, segs, v, ctx); });
    }
    for (size_t i = 0; i < overrides.size(); ++i) apply_override(root, overrides[i], static_cast<int>(i + 1), ctx);
    merge_catalogue(root, ctx);

    SiteSpec site;
    Reader reader(ctx, site);
    root_table().fields[0].read(site, root_table().fields[0].param, Slot{root.find("dctwin"), "dctwin", root.loc}, reader);
    reader.object(&root, root_table(), site, "", root.loc);

    site.source_file = file_label;
    YAML::Emitter out;
    emit(out, root);
    site.resolved_yaml = std::string(out.c_str()) + "\n";
    return site;
}

SiteSpec load_site(const std::string& path, const std::vector<std::string>& overrides,
                   const std::vector<std::string>& set_files) {
    std::string text;
    try {
        text = read_input_file(path, kMaxSiteBytes, "a site file");
    } catch (const FileReadError& e) {
        throw InputError({path, 0, 0}, "", e.what(), "");
    }
    return load_site_text(text, path, overrides, set_files);
}

std::vector<std::string> read_set_file(const std::string& path) {
    Context ctx;
    ctx.sources.push_back({"--set", {}});  // unused: keeps the file at its own index
    const Node root = read_set_file_node(path, ctx);
    std::vector<std::string> out;
    std::vector<Seg> prefix;
    walk_set_file(root, prefix, ctx, [&](const std::vector<Seg>& segs, const Node& v) {
        std::string key;
        for (const auto& s : segs) key = join(key, s.key);
        YAML::Emitter e;
        e << YAML::Flow;
        emit(e, v);
        out.push_back(key + "=" + e.c_str());
    });
    return out;
}

// ---------------------------------------------------------------------------------------
// The format reference

namespace {

struct DocTable {
    std::string title, intro;
    std::vector<Param> params;
};

template <class T>
DocTable doc(const Table<T>& t) {
    DocTable d{t.title, t.intro, {}};
    for (const auto& f : t.fields) d.params.push_back(f.param);
    return d;
}

std::string cell(std::string s) {
    std::string out;
    for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
    return out;
}

// The documented default as a value, or nullopt for none (a text default, or a placeholder
// outside the valid range that stands for "not given": -273.15 degC, 0 W/K against 0 < x).
std::optional<double> real_default(const Param& p) {
    if (p.required || p.kind != Kind::quantity || p.default_text.empty()) return std::nullopt;
    try {
        const double v = parse_quantity(p.default_text, p.dim);
        if (p.range.contains(v)) return v;
    } catch (const UnitError&) {
    }
    return std::nullopt;
}

// A default written as a value outside the valid range: it stands for "not given".
bool is_placeholder(const Param& p) {
    try {
        return !p.range.contains(parse_quantity(p.default_text, p.dim));
    } catch (const UnitError&) {
        return false;  // a default described in words ("max_power")
    }
}

// An example inside the key's range: the dimension's own if it fits, else the default, else
// a value from the range.
std::string example_text(const Param& p) {
    auto fits = [&](double v) { return std::isfinite(v) && p.range.contains(v); };
    try {
        if (fits(parse_quantity(p.dim.example, p.dim))) return p.dim.example;
    } catch (const UnitError&) {
    }
    if (const auto d = real_default(p); d && *d != 0) return p.default_text;
    const Range& r = p.range;
    for (double v : {std::isfinite(r.lo) && std::isfinite(r.hi) ? 0.5 * (r.lo + r.hi) : NAN, r.lo, r.hi,
                     std::isfinite(r.lo) ? r.lo + 1 : NAN, std::isfinite(r.hi) ? r.hi - 1 : NAN})
        if (fits(v)) return format_quantity(v, p.dim);
    return p.dim.example;
}

std::string type_cell(const Param& p) {
    switch (p.kind) {
        case Kind::quantity: return fmt::format("{}, e.g. `{}`", p.dim.name, example_text(p));
        case Kind::integer: return "whole number";
        case Kind::boolean: return "`true` or `false`";
        case Kind::text: return "text";
        case Kind::texts: return "list of texts";
        case Kind::choice: {
            std::vector<std::string> c;
            for (const auto& s : p.choices) c.push_back("`" + s + "`");
            return "one of " + fmt::format("{}", fmt::join(c, ", "));
        }
        case Kind::name_ref: return fmt::format("name of a `{}` entry", p.choices.at(0));
        case Kind::section: return fmt::format("map, see `{}`", p.ref);
        case Kind::named_map: return fmt::format("map of names to `{}`", p.ref);
        case Kind::list: return fmt::format("list of `{}`", p.ref);
        case Kind::quantities: return fmt::format("list of {} {}", p.count, plural(p.dim));
        case Kind::numbers: return fmt::format("list of {} numbers", p.count);
        case Kind::series: return fmt::format("series: a value, e.g. `{}`, or a map with `points` or `file`", p.dim.example);
    }
    return "";
}

}  // namespace

std::vector<DocTable> all_tables();
std::string format_reference_tables(const std::vector<DocTable>& tables, std::string out);

std::string format_reference_markdown() {
    const std::vector<DocTable> tables = all_tables();
    std::string out = fmt::format(
        "This reference is generated from the parameter tables in `input/site_loader.cpp` (format {}).\n"
        "`<name>` stands for a name you choose; `[]` for each entry of a list. Ranges are inclusive unless "
        "written with `<`; `x` is the value.\n",
        kSiteFormatVersion);
    return format_reference_tables(tables, out);
}

std::vector<DocTable> all_tables() {
    return {
        doc(root_table()),          doc(site_info_table()),   doc(simulation_table()), doc(solver_table()),
        doc(ambient_table()),       doc(coolant_table()),     doc(facility_table()),   doc(power_table()),
        doc(grid_table()),          doc(transformer_table()), doc(ups_table()),        doc(battery_table()),
        doc(generator_table()),     doc(site_battery_table()),  doc(distribution_table()),
        doc(electrical_room_table()), doc(plant_table()),  doc(economiser_table()), doc(chiller_table()),
        doc(cdu_table()),           doc(crah_table()),        doc(device_type_table()),
        doc(rack_type_table()),     doc(device_group_table()), doc(power_shelf_table()), doc(rack_storage_table()),
        doc(curve_point_table()),
        doc(hall_table()),          doc(busway_table()),
        doc(hall_air_table()),      doc(row_table()),         doc(workload_table()),   doc(step_table()),
        doc(job_table()),           doc(training_table()),   doc(inference_table()),   doc(trace_job_table()), doc(smoothing_table()), doc(power_step_table()),  doc(variability_table()), doc(scenario_event_table()),
    };
}

std::string format_reference_tables(const std::vector<DocTable>& tables, std::string out) {
    for (const DocTable& t : tables) {
        out += t.title.empty() ? fmt::format("\n### Top level\n\n{}\n\n", t.intro)
                               : fmt::format("\n### `{}`\n\n{}\n\n", t.title, t.intro);
        out += "| key | type | required / default | valid range | description |\n";
        out += "|---|---|---|---|---|\n";
        for (const Param& p : t.params) {
            std::string def = p.required ? "**required**" : p.default_text.empty() ? "\"\"" : "`" + p.default_text + "`";
            if (p.kind == Kind::quantity && !p.required && !real_default(p) && is_placeholder(p)) def = "none";
            if (!p.required && p.kind == Kind::section) def = p.default_text;
            std::string range = p.kind == Kind::quantity || p.kind == Kind::integer || p.kind == Kind::quantities
                                    ? range_text(p) : "";
            if (p.kind == Kind::quantities) range = "each " + range;
            if (p.kind == Kind::named_map || p.kind == Kind::list) range = "at least one entry";
            out += fmt::format("| `{}` | {} | {} | {} | {} |\n", p.key, cell(type_cell(p)), cell(def), cell(range),
                               cell(p.description));
        }
    }
    out += "\n### Device catalogue\n\nNames that `device_types.<name>.model` takes; the entry's keys are the "
           "defaults of that device type. Tags: [P] primary source, [S] secondary, [E] estimate.\n\n"
           "| model | what |\n|---|---|\n";
    for (const auto& e : device_catalogue()) out += fmt::format("| `{}` | {} |\n", e.name, cell(std::string(e.summary)));
    return out;
}

namespace {
// A JSON Schema name for a table title: "device_types.<name>" -> "device_types.name".
std::string def_name(const std::string& title) {
    std::string d;
    for (char c : title.empty() ? std::string("root") : title)
        if (c != '<' && c != '>' && c != '[' && c != ']') d += c;
    return d;
}

nlohmann::json param_schema(const Param& p) {
    using J = nlohmann::json;
    auto ref = [&] { return J{{"$ref", "#/$defs/" + def_name(p.ref)}}; };
    // A quantity is a bare SI number or a text with its unit, "700 W" (checked by dctwin).
    const J quantity = {{"type", J::array({"number", "string"})}};
    J s;
    switch (p.kind) {
        case Kind::quantity: s = quantity; break;
        case Kind::integer: s = {{"type", "integer"}}; break;
        case Kind::boolean: s = {{"type", "boolean"}}; break;
        case Kind::text: s = {{"type", "string"}}; break;
        case Kind::texts: s = {{"type", "array"}, {"items", {{"type", "string"}}}}; break;
        case Kind::choice: s = {{"enum", p.choices}}; break;
        case Kind::name_ref: s = {{"type", "string"}}; break;
        case Kind::section: s = ref(); break;
        case Kind::named_map: s = {{"type", "object"}, {"additionalProperties", ref()}, {"minProperties", 1}}; break;
        case Kind::list: s = {{"type", "array"}, {"items", ref()}, {"minItems", 1}}; break;
        case Kind::quantities:
            s = {{"type", "array"}, {"items", quantity}, {"minItems", p.count}, {"maxItems", p.count}};
            break;
        case Kind::numbers:
            s = {{"type", "array"}, {"items", {{"type", "number"}}}, {"minItems", p.count}, {"maxItems", p.count}};
            break;
        case Kind::series: {
            // A constant, or inline points or a file with how to interpolate and repeat them.
            const J point = {{"type", "array"}, {"items", quantity}, {"minItems", 2}, {"maxItems", 2}};
            const J map = {{"type", "object"},
                           {"properties",
                            {{"points", {{"type", "array"}, {"items", point}, {"minItems", 1}}},
                             {"file", {{"type", "string"}}},
                             {"interpolation", {{"enum", {"step", "linear"}}}},
                             {"period", quantity}}},
                           {"additionalProperties", false}};
            s = {{"anyOf", J::array({quantity, map})}};
            break;
        }
    }
    std::string d = p.description;
    if (p.kind == Kind::quantity) d += fmt::format(" [{}, e.g. {}; range {}]", p.dim.name, example_text(p), range_text(p));
    // A placeholder outside the range stands for "not given" (the reference says none).
    const bool placeholder = p.kind == Kind::quantity && !real_default(p) && is_placeholder(p);
    if (!p.required && !p.default_text.empty() && p.kind != Kind::section && !placeholder)
        d += " Default: " + p.default_text + ".";
    s["description"] = d;
    return s;
}
}  // namespace

std::string format_json_schema() {
    using J = nlohmann::json;
    J defs = J::object();
    for (const DocTable& t : all_tables()) {
        J props = J::object(), required = J::array();
        for (const Param& p : t.params) {
            props[p.key] = param_schema(p);
            if (p.required) required.push_back(p.key);
        }
        J d = {{"type", "object"}, {"description", t.intro}, {"properties", props}, {"additionalProperties", false}};
        // A catalogue `model` supplies the keys a table otherwise requires (device types).
        if (!required.empty() && props.contains("model"))
            d["if"] = {{"not", {{"required", {"model"}}}}}, d["then"] = {{"required", required}};
        else if (!required.empty())
            d["required"] = required;
        defs[def_name(t.title)] = d;
    }
    J schema = {{"$schema", "https://json-schema.org/draft/2020-12/schema"},
                {"$id", "https://dctwin.invalid/site.schema.json"},
                {"title", fmt::format("dctwin site file, format {}", kSiteFormatVersion)},
                {"description", "Generated from the parameter tables in input/site_loader.cpp (dctwin schema --json). "
                                "Keys, types, choices and required keys; units, ranges and the rules between values "
                                "are checked by `dctwin check`."},
                {"$ref", "#/$defs/root"},
                {"$defs", defs}};
    return schema.dump(2) + "\n";
}

}  // namespace dctwin
