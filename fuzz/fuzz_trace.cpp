// libFuzzer target for the trace readers (nvidia-smi CSV and the plain table): text in,
// series or an InputError out. Anything else escaping is a finding.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "input/site_loader.hpp"
#include "models/workload/trace.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const dctwin::GpuTrace g = dctwin::parse_nvidia_smi_csv(text, "fuzz.csv");
        for (const auto& d : g.power.devices) (void)dctwin::trapezoid(d);
    } catch (const dctwin::InputError&) {
    }
    try {
        const dctwin::Trace t = dctwin::parse_table_csv(text, "fuzz.csv");
        for (const auto& d : t.devices) (void)dctwin::trapezoid(d);
    } catch (const dctwin::InputError&) {
    }
    return 0;
}
