#pragma once
// Reading a site file: YAML text -> overrides (--set) -> strict validation -> SiteSpec.
// Every rule lives in one parameter table per object kind (site_loader.cpp), which also
// generates the format reference in sites/README.md.

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "input/site_spec.hpp"

namespace dctwin {

/// A problem with the user's input. what() is the complete, printable message:
///
///     sites/x.yaml:12:19: error: rack_types.hgx.coolant_flow: expected a volume flow (e.g. "60 L/min"), found "35 degC" (a temperature)
///        12 |     coolant_flow: 35 degC
///           |                   ^
///
/// Overrides use the label `--set` with the override's position on the command line as
/// its line number.
class InputError : public std::runtime_error {
public:
    /// `source_line` is the text of line `loc.line`, shown with a caret under `loc.col`.
    InputError(SourceLoc loc, std::string key_path, std::string detail, std::string_view source_line);
    /// As above; reads the source line from the file `loc.file` if it can (for errors
    /// found after loading, e.g. while building the model from a SiteSpec).
    InputError(SourceLoc loc, std::string key_path, std::string detail);

    /// An error in a file the site names (weather, trace): placed in that file but shown
    /// without an excerpt of it (its content is not the site's to print), with a note of the
    /// site key and place that named the file. An error of the whole file (it cannot be
    /// read) is placed where the site names it.
    static InputError in_named_file(SourceLoc loc, std::string key_path, std::string detail,
                                    const SourceLoc& named_at);

    SourceLoc loc;          ///< where; line 0 when no place is known
    std::string key_path;   ///< dotted path of the offending key, e.g. "halls.hall1.rows.rowA.count"
    std::string detail;     ///< the message without place, key path and excerpt
};

/// Reads, overrides and validates a site file. `overrides` are "key.path=value" strings as
/// given to --set; `set_files` are YAML files of `key.path: value` (--set-file, e.g. what
/// `dctwin calibrate -o` writes), applied in order before the overrides, their errors placed
/// in the file. Throws InputError for anything wrong with the file or the overrides.
SiteSpec load_site(const std::string& path, const std::vector<std::string>& overrides = {},
                   const std::vector<std::string>& set_files = {});

/// As load_site, from text already in memory; `file_label` names it in messages.
SiteSpec load_site_text(std::string_view text, const std::string& file_label,
                        const std::vector<std::string>& overrides = {}, const std::vector<std::string>& set_files = {});

/// A set file's overrides as --set texts ("key.path=value", the value as YAML flow), in file
/// order: keys are key paths, dotted or as nested maps (joined). Read through
/// input/file_reader (a regular file, at most kMaxSiteBytes). Throws InputError at
/// file:line:col for a file that is not such a map.
std::vector<std::string> read_set_file(const std::string& path);

/// The format reference (Markdown) generated from the parameter tables; sites/README.md
/// holds a copy between its GENERATED markers and a test keeps the two equal.
std::string format_reference_markdown();
/// The site format as a JSON Schema (draft 2020-12) from the same tables: keys, types,
/// choices, required keys; editors validate and complete site files with it.
std::string format_json_schema();

/// The largest site file read [bytes].
inline constexpr long kMaxSiteBytes = 16L << 20;

/// The format version this build reads (the `dctwin:` key).
inline constexpr int kSiteFormatVersion = 1;

}  // namespace dctwin
