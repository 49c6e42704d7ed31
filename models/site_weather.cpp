// The site's outdoor air: a constant, a design day or an EPW file (models/weather), optionally
// shifted, as the dry-bulb and wet-bulb inputs of the network.

#include <cmath>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "input/site_loader.hpp"
#include "models/site_model.hpp"
#include "models/weather/weather.hpp"

namespace dctwin {

namespace {

// The weather at the last time asked: dry-bulb and wet-bulb are two inputs read at the same t
// in every evaluation, and one look-up serves both. A network is evaluated by one thread at a
// time, and each site model has its own cache.
struct WeatherCache {
    std::shared_ptr<const Weather> weather;
    double t = std::nan("");
    WeatherSample sample;
    const WeatherSample& at(double time) {
        if (time != t) sample = weather->at(time), t = time;
        return sample;
    }
};

// A source with its dry and wet bulb moved by the same amount (a warmer site, same swings).
class ShiftedWeather final : public Weather {
public:
    ShiftedWeather(std::shared_ptr<const Weather> w, double shift) : w_(std::move(w)), shift_(shift) {}
    WeatherSample at(double t) const override {
        WeatherSample s = w_->at(t);
        s.dry_bulb += shift_, s.wet_bulb += shift_;
        return s;
    }
    std::string describe() const override { return fmt::format("{}, shifted by {:+.2f} K", w_->describe(), shift_); }
    std::pair<double, double> valid_range() const override { return w_->valid_range(); }

private:
    std::shared_ptr<const Weather> w_;
    double shift_;
};

// One field of the outdoor weather as an input signal (continuous: no discontinuities).
class WeatherSignal final : public InputSignal {
public:
    WeatherSignal(std::shared_ptr<WeatherCache> w, bool wet) : w_(std::move(w)), wet_(wet) {}
    double value(double t) const override {
        const WeatherSample& s = w_->at(t);
        return wet_ ? s.wet_bulb : s.dry_bulb;
    }
    double next_discontinuity(double) const override { return HUGE_VAL; }

private:
    std::shared_ptr<WeatherCache> w_;
    bool wet_;
};

}  // namespace

void SiteModel::build_weather(const SiteSpec& spec) {
    const auto& a = spec.ambient;
    try {
        switch (a.kind) {
            case AmbientKind::constant:
                weather_ = constant_weather(a.temperature, a.wet_bulb > 0 ? a.wet_bulb : a.temperature, a.pressure);
                break;
            case AmbientKind::design_day:
                weather_ = design_day(DesignDay{a.max_dry_bulb, a.daily_range, a.max_wet_bulb, a.pressure, a.start_hour});
                break;
            case AmbientKind::epw: {
                std::filesystem::path file(a.file);
                if (file.is_relative()) file = std::filesystem::path(spec.source_file).parent_path() / file;
                EpwOptions o;
                o.start_offset = a.start_offset;
                o.named_at = a.loc;
                weather_ = load_epw(file.string(), o);
                // A file shorter than a year must hold the run's first instant; the span of the
                // whole run is checked when its duration is known (check_weather_span).
                const auto [lo, hi] = weather_->valid_range();
                if (!(lo <= 0.0 && 0.0 <= hi))
                    throw InputError(a.loc, "ambient.start",
                                     fmt::format("the run starts outside the weather file's data: {} covers t = {:.0f} s "
                                                 "to {:.0f} s of the run, which starts at t = 0 s (a start within the "
                                                 "file's period)",
                                                 a.file, lo, hi));
                break;
            }
        }
    } catch (const InputError&) {
        throw;
    } catch (const std::exception& e) {
        throw InputError(a.loc, "ambient", e.what());
    }
    if (a.shift != 0.0) weather_ = std::make_shared<ShiftedWeather>(weather_, a.shift);
    auto cache = std::make_shared<WeatherCache>();
    cache->weather = weather_;
    dry_bulb_input_ = net_.add_input(std::make_unique<WeatherSignal>(cache, false));
    wet_bulb_input_ = net_.add_input(std::make_unique<WeatherSignal>(cache, true));
}

std::pair<double, double> SiteModel::outdoor(double t) const {
    const WeatherSample w = weather_->at(t);
    return {w.dry_bulb, w.wet_bulb};
}

void SiteModel::check_weather_span(double duration) const {
    const auto [lo, hi] = weather_->valid_range();
    if (lo > 0 || hi < duration)
        throw InputError(spec_.ambient.loc, "ambient.file",
                         fmt::format("the weather covers {:.0f} s to {:.0f} s of the run, which needs 0 s to {:.0f} s",
                                     std::max(lo, 0.0), hi, duration));
}

}  // namespace dctwin
