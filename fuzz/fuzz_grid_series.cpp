// libFuzzer target for the grid series reader (input/series.hpp): a CSV of carbon intensity,
// energy price or renewable share in, points or an InputError out; the points are then
// evaluated as a run would. Anything else escaping is a finding.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "input/series.hpp"
#include "input/site_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    for (auto q : {dctwin::SeriesQuantity::carbon_intensity, dctwin::SeriesQuantity::energy_price,
                   dctwin::SeriesQuantity::fraction}) {
        dctwin::TimeSeriesSpec s;
        try {
            dctwin::parse_series_csv(text, "fuzz.csv", "power.grid.carbon_intensity.file", q, "USD", s);
        } catch (const dctwin::InputError&) {
            continue;
        }
        for (bool linear : {false, true}) {
            s.linear = linear;
            s.period = s.time.back() + 3600;
            const dctwin::SeriesTable t(s);
            (void)t.mean(0, 2 * s.period + 17), (void)t.at(s.time.back() * 0.5), (void)t.mean(5, 5);
        }
    }
    return 0;
}
