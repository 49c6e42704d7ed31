// libFuzzer target for the site loader: site text in, either a SiteSpec and a built SiteModel
// out, or an InputError (or the builder's std::invalid_argument). Anything else escaping, a
// crash, a sanitizer report, a leak, a hang (-timeout) or an allocation beyond -rss_limit_mb is
// a finding. Build with -DDCTWIN_FUZZ=ON (clang); run with fuzz/run.sh.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "input/site_loader.hpp"
#include "models/site_model.hpp"

namespace {

// Sites beyond this many devices are valid but only cost the fuzzer memory and time in the
// builder (a row of 10000 racks of 1000 devices is 10^7 devices): skip building them, so the
// fuzzer explores the parser and the validation rather than the allocator.
constexpr unsigned long long kMaxDevices = 4096;

unsigned long long device_count(const dctwin::SiteSpec& spec) {
    unsigned long long total = 0;
    for (const auto& hall : spec.halls)
        for (const auto& row : hall.rows) {
            const auto rack = spec.rack_types.find(row.rack);
            if (rack == spec.rack_types.end()) continue;  // the loader refuses these
            unsigned long long per_rack = 0;
            for (const auto& group : rack->second.devices) per_rack += static_cast<unsigned long long>(group.count);
            total += per_rack * static_cast<unsigned long long>(row.count);
            if (total > kMaxDevices) return total;
        }
    return total;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    dctwin::SiteSpec spec;
    try {
        spec = dctwin::load_site_text(text, "fuzz.yaml");
    } catch (const dctwin::InputError&) {
        return 0;
    }
    if (device_count(spec) > kMaxDevices) return -1;  // -1: not added to the corpus
    try {
        dctwin::SiteModel model(spec);
        // Touch the built network once, as `dctwin check` and every run do.
        (void)model.network().size();
        (void)model.device_count();
    } catch (const dctwin::InputError&) {
    } catch (const std::invalid_argument&) {
    }
    return 0;
}
