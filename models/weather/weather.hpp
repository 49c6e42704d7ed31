#pragma once
// The outdoor air the cooling plant sees, as a function of time: dry bulb, thermodynamic
// wet bulb, relative humidity and station pressure. Three sources:
//
//   constant_weather   fixed conditions (design checks, tests);
//   design_day         an ASHRAE design day that repeats every 24 h;
//   load_epw           an EnergyPlus weather file (hourly), interpolated linearly in time.
//
// A Weather is immutable once built, so any number of threads may call at() at once.
// at() is O(1) and does not allocate: it runs inside every right-hand-side evaluation.
//
// Psychrometrics follow ASHRAE Handbook - Fundamentals (2017), chapter 1: ideal-gas moist
// air, saturation over ice below 0 degC and over liquid water above (Hyland-Wexler), and
// the thermodynamic wet bulb of eqs. 33 and 35. Relative humidity is p_w / p_ws(T).

#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "input/site_spec.hpp"

namespace dctwin {

struct WeatherSample {
    double dry_bulb = 0;           ///< [K]
    double wet_bulb = 0;           ///< [K] thermodynamic wet-bulb
    double relative_humidity = 0;  ///< [1]
    double pressure = 101325;      ///< [Pa]
};

class Weather {
public:
    virtual ~Weather() = default;
    /// t [s] since the start of the run. Throws std::out_of_range for a t the source does
    /// not cover (a file's period, a non-finite t).
    virtual WeatherSample at(double t) const = 0;
    /// A short description for reports, e.g. "EPW sites/weather/x.epw from 07-15 00:00".
    virtual std::string describe() const = 0;
    /// The times [s] at() accepts, [first, second]; infinite ends for repeating sources.
    /// Lets a caller check a run's span once, before it starts.
    virtual std::pair<double, double> valid_range() const {
        constexpr double inf = std::numeric_limits<double>::infinity();
        return {-inf, inf};
    }
};

/// Fixed conditions. Throws std::invalid_argument for impossible ones (wet bulb above dry
/// bulb or below the wet bulb of dry air, values outside the EPW limits below).
std::unique_ptr<Weather> constant_weather(double dry_bulb, double wet_bulb, double pressure = 101325);

/// An ASHRAE design day (Handbook - Fundamentals, ch. 14, "Generating Design-Day Data"):
/// dry bulb = max_dry_bulb - f(h) daily_range, with f the hourly fraction of the daily
/// range of ch. 14 Table 6 (maximum at 14-15 h, minimum at 5 h), taken as the value at the
/// full hour and interpolated linearly between hours so that the signal is continuous.
/// The wet bulb follows the same fractions with its own range (the "mean coincident
/// wet-bulb range" of the ch. 14 tables; ASHRAE RP-1363 found one profile fits both),
/// capped at the dry bulb.
struct DesignDay {
    double max_dry_bulb;     ///< [K]
    double daily_range;      ///< [K] max - min of the dry bulb
    double max_wet_bulb;     ///< [K] coincident with max_dry_bulb
    double pressure = 101325;  ///< [Pa]
    double start_hour = 0;   ///< [h] hour of day at t = 0
    /// [K] wet-bulb range (ch. 14 tables, column MCWBR). NaN (the default): the range that
    /// keeps the humidity ratio of the hottest hour at the coolest hour, i.e. dry air that
    /// only warms and cools during the day (the assumption design days made before 2009).
    double wet_bulb_range = std::numeric_limits<double>::quiet_NaN();
};
/// Throws std::invalid_argument for impossible parameters.
std::unique_ptr<Weather> design_day(const DesignDay& d);

struct EpwOptions {
    double start_offset = 0;  ///< [s] from Jan 1 00:00 of the file's year to t = 0
    bool wrap = true;         ///< a whole-year file repeats: past Dec 31 24:00 comes Jan 1
    std::string key = "ambient.file";  ///< the site key naming the file, in messages
    SourceLoc named_at;       ///< where the site names it (a note under each error)
};

/// The largest weather file read [bytes] (as for site files).
inline constexpr long kMaxWeatherBytes = 16L << 20;

/// Reads an hourly EPW file: 8 header lines (LOCATION, DESIGN CONDITIONS, TYPICAL/EXTREME
/// PERIODS, GROUND TEMPERATURES, HOLIDAYS/DAYLIGHT SAVINGS, COMMENTS 1, COMMENTS 2, DATA
/// PERIODS), then one row of 35 fields per hour in calendar order, covering exactly the
/// one data period the DATA PERIODS line declares (a whole year or a shorter span of whole
/// days; 1 record per hour). Uses dry bulb, relative humidity and station pressure; the
/// wet bulb is computed from them. Field "hour" h (1-24) is the hour ending at h:00: its
/// values are taken at that instant and interpolated linearly in time; before the first
/// row's instant its values hold for that first hour.
///
/// Time: t = 0 is `start_offset` after Jan 1 00:00. The calendar has Feb 29 only when the
/// file does (the year field is not read: typical-year files mix years). A whole-year
/// file wraps when `wrap` is set; otherwise, and always for a shorter file, a t outside the
/// covered span makes at() throw std::out_of_range.
///
/// Missing values (EnergyPlus markers: 99.9 for dry bulb and dew point, 999 for relative
/// humidity, 999999 for pressure): a missing relative humidity is computed from the dry
/// bulb and dew point of the same row when the dew point is there; otherwise a run of at
/// most 6 missing hours with values on both sides is filled by linear interpolation (as
/// the at() between hours would); a longer run, or one at the start or end of the file,
/// is an error. describe() counts the filled values.
///
/// Throws InputError (input/site_loader.hpp) with key path `o.key`, the line and column of
/// the offending field and a note of `o.named_at` for anything wrong with the file; the
/// message shows no excerpt of the file and quotes a field only when it is a short token.
std::unique_ptr<Weather> load_epw(const std::string& path, const EpwOptions& o = {});
/// As load_epw, from text in memory; `file_label` names it in messages and describe().
std::unique_ptr<Weather> load_epw_text(std::string_view text, const std::string& file_label,
                                       const EpwOptions& o = {});

// Psychrometrics. Temperatures [K], pressures [Pa]. Arguments outside the stated domains
// throw std::domain_error.

/// Saturation pressure of water vapour [Pa] over ice below 273.15 K, over liquid water
/// from 273.15 K: ASHRAE Handbook - Fundamentals (2017), ch. 1, eqs. 5 and 6 (Hyland and
/// Wexler). T in 173.15-473.15 K.
double saturation_pressure(double T);
/// Relative humidity [1] of air at dry_bulb whose dew point is dew_point: p_ws(Td) / p_ws(T).
/// Above 1 when the dew point is above the dry bulb (supersaturation is not clipped).
double relative_humidity_from_dew_point(double dry_bulb, double dew_point);
/// Humidity ratio [kg water / kg dry air] of air at dry_bulb whose thermodynamic wet bulb
/// is wet_bulb (ch. 1 eq. 33, eq. 35 below 0 degC). Negative when wet_bulb is below the
/// wet bulb of dry air.
double humidity_ratio_from_wet_bulb(double dry_bulb, double wet_bulb, double pressure);
/// Relative humidity [1] from dry bulb and thermodynamic wet bulb (via the humidity ratio).
double relative_humidity_from_wet_bulb(double dry_bulb, double wet_bulb, double pressure);
/// Thermodynamic wet-bulb temperature [K] (eq. 33/35 solved for t*) of air at dry_bulb with
/// relative_humidity in [0, 1]; the vapour pressure of saturation at dry_bulb must be below
/// `pressure` (air below its boiling point). Eqs. 33 (wet wick) and 35 (iced wick) do not
/// meet at 0 degC: the few humidity ratios between them get exactly 273.15 K.
double wet_bulb_temperature(double dry_bulb, double relative_humidity, double pressure);

}  // namespace dctwin
