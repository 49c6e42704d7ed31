#pragma once
// The built-in catalogue of device types. A site's device type may name one with
// `model: h100-sxm` and override any of its keys; the entries are YAML in the site format,
// validated by the same tables as a site file (a test loads every one).
// Sources: shared/reference/parameters.md; tags [P] primary, [S] secondary, [E] estimate.

#include <span>
#include <string_view>

namespace dctwin {

struct CatalogueEntry {
    std::string_view name;     ///< what `model:` takes
    std::string_view summary;  ///< one line for the format reference
    std::string_view yaml;     ///< device_types.<name> keys, in the site format
};

std::span<const CatalogueEntry> device_catalogue();
/// nullptr when there is no such entry.
const CatalogueEntry* find_catalogue_entry(std::string_view name);

}  // namespace dctwin
