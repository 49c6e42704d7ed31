// libFuzzer target for the sweep file: YAML text in, a Sweep (with its cases and hash) or an
// InputError out. The file is placed in sites/sweeps/, so `base: ../h100-pod.yaml` and the
// other shipped sites resolve as for the shipped sweeps. Anything else escaping is a finding.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "input/site_loader.hpp"
#include "sweep/sweep_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::string label = std::string(DCTWIN_SOURCE_DIR) + "/sites/sweeps/fuzz.yaml";
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const dctwin::sweep::Sweep s = dctwin::sweep::load_sweep_text(text, label);
        if (!s.cases.empty()) (void)s.overrides(s.cases.size() - 1);
    } catch (const dctwin::InputError&) {
    }
    return 0;
}
