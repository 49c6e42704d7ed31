#pragma once
// The schema engine of the site format: a located YAML tree (every key and value knows its
// file, line and column), and parameter tables (typed fields with units, ranges, defaults and
// descriptions) that validate a section, fill its spec struct and write the format reference.
// Internal to input/: the tables (input/tables_*.cpp) and the loader (input/site_loader.cpp).

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <functional>
#include <sstream>
#include <unordered_map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "input/catalogue.hpp"
#include "input/series.hpp"
#include "input/site_loader.hpp"
#include "input/units.hpp"

namespace dctwin::schema {


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
inline const Entry* Node::find(std::string_view key) const {
    for (const Entry& e : entries)
        if (e.key == key) return &e;
    return nullptr;
}
inline Entry* Node::find(std::string_view key) {
    return const_cast<Entry*>(static_cast<const Node*>(this)->find(key));
}

inline std::string join(const std::string& path, std::string_view key) {
    if (path.empty()) return std::string(key);
    std::string out;
    out.reserve(path.size() + 1 + key.size());
    out += path;
    out += '.';
    out += key;
    return out;
}

inline std::string list_names(const std::vector<std::string>& names) {
    return names.empty() ? "(none)" : fmt::format("{}", fmt::join(names, ", "));
}

inline size_t edit_distance(std::string_view a, std::string_view b) {
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
inline std::string did_you_mean(std::string_view found, const std::vector<std::string>& candidates) {
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

inline std::string describe_node(const Node& n) {
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

inline void emit(YAML::Emitter& out, const Node& n) {
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
inline Range in(double lo, double hi) { return {lo, hi, false, false}; }      // lo <= x <= hi
inline Range above(double lo, double hi) { return {lo, hi, true, false}; }    // lo < x <= hi

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

inline std::string range_text(const Param& p) {
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
inline std::string plural(const Dimension& d) { return std::string(d.name) + "s"; }

// An example list of p.count quantities: the default where there is one.
inline std::string list_example(const Param& p) {
    if (!p.default_text.empty()) return p.default_text.substr(1, p.default_text.size() - 2);
    if (std::string_view(p.dim.name) == dims::length.name) return p.count == 2 ? "0 m, 3 m" : "0.6 m, 1.2 m, 2.3 m";
    std::vector<std::string> v(std::size_t(p.count), p.dim.example);
    return fmt::format("{}", fmt::join(v, ", "));
}

// `a power (e.g. "700 W")`: what a key takes, for messages.
inline std::string what_text(const Param& p) {
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
inline void check_name(const Entry& e, const std::string& path, const Reader& r) {
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

inline const Node* child(const Node& n, std::string_view key) {
    const Entry* e = n.find(key);
    return e ? &e->value : nullptr;
}

inline Loc value_loc(const Node& n, std::string_view key) {
    const Entry* e = n.find(key);
    return e ? e->value.loc : n.loc;
}

}  // namespace dctwin::schema
