// libFuzzer target for the EPW weather reader: text in, either a Weather (then sampled over
// its span, as a run samples it) or an InputError. Anything else escaping is a finding.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "input/site_loader.hpp"
#include "models/weather/weather.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    // The first byte picks a start offset: from Jan 1 or inside the year.
    dctwin::EpwOptions o;
    o.start_offset = size > 0 ? double(data[0] % 8) * 45 * 86400.0 : 0.0;
    try {
        const auto w = dctwin::load_epw_text(text, "fuzz.epw", o);
        const auto [lo, hi] = w->valid_range();
        const double a = std::isfinite(lo) ? lo : 0.0, b = std::isfinite(hi) ? hi : a + 366 * 86400.0;
        for (int k = 0; k <= 16; ++k) (void)w->at(a + (b - a) * k / 16);
        (void)w->describe();
    } catch (const dctwin::InputError&) {
    } catch (const std::out_of_range&) {  // at() outside a file's period: the documented way out
    }
    return 0;
}
