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
#include "input/site_tables.hpp"

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

using namespace schema;

namespace {

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
