// libFuzzer target for the measured-data readers (calib/measured.hpp: the CSV, nvidia-smi,
// Prometheus text, dcgmi dmon): text in, a table or an InputError out. Anything else escaping is a finding.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "calib/measured.hpp"
#include "input/site_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const auto m = dctwin::calib::parse_measured_csv(text, "fuzz.csv");
        for (const auto& s : m.series)
            if (s.values.size() != m.time.size()) __builtin_trap();  // one value per row, always
    } catch (const dctwin::InputError&) {
    }
    try {
        const auto m = dctwin::calib::parse_nvidia_smi_csv(text, "fuzz.csv", "gpu");
        for (const auto& s : m.series)
            if (s.values.size() != m.time.size()) __builtin_trap();
    } catch (const dctwin::InputError&) {
    }
    try {
        static const std::vector<dctwin::calib::MetricMap> maps{
            dctwin::calib::parse_metric_map("facility_power_watts{point=\"grid\"}=site/grid_power [kW]")};
        const auto m = dctwin::calib::parse_prometheus_text(text, "fuzz.txt", "gpu", maps);
        for (const auto& s : m.series)
            if (s.values.size() != m.time.size()) __builtin_trap();
    } catch (const dctwin::InputError&) {
    }
    try {
        const auto m = dctwin::calib::parse_dcgmi_dmon(text, "fuzz.txt", "gpu", 1.0);
        for (const auto& s : m.series)
            if (s.values.size() != m.time.size()) __builtin_trap();
    } catch (const dctwin::InputError&) {
    }
    return 0;
}
