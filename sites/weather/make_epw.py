#!/usr/bin/env python3
"""Makes dctwin's synthetic EPW weather files (standard library only, deterministic).

    sites/weather/temperate-synthetic.epw   a whole year (2021, 8760 rows) of a temperate
                                            climate: mean 12 degC, seasonal amplitude 9 K,
                                            diurnal amplitude 4-6 K, humid nights, passing
                                            weather systems
    sites/weather/hot-week-synthetic.epw    7 days in July (2021-07-10 .. 07-16) of a hot,
                                            dry spell: afternoons at 35-40 degC
    sites/weather/july-{phoenix,dublin,lulea}-synthetic.epw
                                            July (31 days) of a hot-dry, a temperate and a
                                            cold climate, for the example fleet
                                            (sites/fleets/): each shaped on the city's July
                                            normals and ASHRAE design conditions (JULY_CLIMATES)
    tests/robustness/data/weather/*.epw     one-day files with one deliberate fault each

None of these are measurements. The data are generated from smooth seasonal and daily
shapes plus pseudo-random weather systems from a fixed seed; the COMMENTS lines of every
file say so. Running the script again writes the same bytes:

    python3 sites/weather/make_epw.py              # into the repository
    python3 sites/weather/make_epw.py --root DIR   # into DIR/sites/weather/... (to compare)

Each broken file's expected error place (line:column, both 1-based) is printed; the test
tests/models/test_weather.cpp lists the same places.
"""

import argparse
import math
import os
import random

# Hourly fraction of the daily dry-bulb range below the daily maximum, hours 1..24 local
# standard time: ASHRAE Handbook - Fundamentals (2009-2021), ch. 14, Table 6. Used here as
# the shape of the synthetic days (maximum at 14-15 h, minimum at 5 h).
DAILY_FRACTION = [0.88, 0.92, 0.95, 0.98, 1.00, 0.98, 0.91, 0.74, 0.55, 0.38, 0.23, 0.13,
                  0.05, 0.00, 0.00, 0.06, 0.14, 0.24, 0.39, 0.50, 0.59, 0.68, 0.75, 0.82]

MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]  # 2021 is not a leap year
# Data source and uncertainty flags ("?" unknown source, "9" unknown uncertainty), cut
# short to keep the annual file small: EnergyPlus does not read this field.
FLAGS = "?9?9?9?9E0"
# Mean of DAILY_FRACTION: the synthetic days are centred on their daily mean.
MEAN_FRACTION = sum(DAILY_FRACTION) / 24


def pws(t_c):
    """Saturation vapour pressure [Pa] (ASHRAE Handbook - Fundamentals, ch. 1, eqs. 5 and 6,
    Hyland and Wexler): over ice below 0 degC, over liquid water above."""
    t = t_c + 273.15
    if t < 273.15:
        return math.exp(-5.6745359e3 / t + 6.3925247 - 9.6778430e-3 * t + 6.2215701e-7 * t ** 2
                        + 2.0747825e-9 * t ** 3 - 9.4840240e-13 * t ** 4 + 4.1635019 * math.log(t))
    return math.exp(-5.8002206e3 / t + 1.3914993 - 4.8640239e-2 * t + 4.1764768e-5 * t ** 2
                    - 1.4452093e-8 * t ** 3 + 6.5459673 * math.log(t))


def fmt1(x):
    s = "%.1f" % x
    return "0.0" if s == "-0.0" else s


def fmt0(x):
    s = "%d" % round(x)
    return "0" if s == "-0" else s


class Noise:
    """A first-order autoregressive process (mean 0, standard deviation sigma, correlation
    time tau in hours) driven by random.Random.random(), whose sequence for a given seed is
    guaranteed not to change between Python versions."""

    def __init__(self, rng, sigma, tau):
        self.rng, self.sigma = rng, sigma
        self.rho = math.exp(-1.0 / tau)
        self.x = self.gauss() * sigma

    def gauss(self):
        return sum(self.rng.random() for _ in range(12)) - 6.0  # Irwin-Hall, ~N(0, 1)

    def step(self):
        self.x = self.rho * self.x + math.sqrt(1 - self.rho ** 2) * self.sigma * self.gauss()
        return self.x


def solar(doy, hour, lat, lon, tz):
    """Extraterrestrial horizontal and normal irradiation [Wh/m2] of the hour ending at
    `hour`, and the cosine of the zenith angle at mid-hour (Spencer 1971 declination and
    equation of time)."""
    b = 2 * math.pi * (doy - 1) / 365
    decl = (0.006918 - 0.399912 * math.cos(b) + 0.070257 * math.sin(b) - 0.006758 * math.cos(2 * b)
            + 0.000907 * math.sin(2 * b) - 0.002697 * math.cos(3 * b) + 0.00148 * math.sin(3 * b))
    eot = 229.18 * (0.000075 + 0.001868 * math.cos(b) - 0.032077 * math.sin(b)
                    - 0.014615 * math.cos(2 * b) - 0.040849 * math.sin(2 * b))
    solar_time = hour - 0.5 + (4 * (lon - 15 * tz) + eot) / 60
    ha = math.radians(15 * (solar_time - 12))
    phi = math.radians(lat)
    cosz = math.sin(phi) * math.sin(decl) + math.cos(phi) * math.cos(decl) * math.cos(ha)
    e0 = 1367 * (1 + 0.033 * math.cos(2 * math.pi * doy / 365))
    if cosz <= 0:
        return 0.0, 0.0, 0.0
    return e0 * cosz, e0, cosz


def row(date, hour, t, td, p, cloud, wind, wind_dir, site):
    """One EPW data row (35 fields) from dry bulb t and dew point td [degC], station
    pressure p [Pa], total sky cover [tenths], wind speed [m/s] and direction [deg]."""
    month, day, doy = date
    td = min(td, t)
    rh = 100 * pws(round(td, 1)) / pws(round(t, 1))
    etr_h, etr_n, cosz = solar(doy, hour, site["lat"], site["lon"], site["tz"])
    c = cloud / 10
    if cosz > 0:
        dni = etr_n * 0.75 ** (1 / max(cosz, 0.05)) * (1 - 0.9 * c)
        dhi = etr_h * (0.08 + 0.25 * c)
        ghi = dni * cosz + dhi
    else:
        dni = dhi = ghi = 0.0
    # Sky long-wave (Clark and Allen emissivity with a cloud correction).
    tk, tdk = t + 273.15, td + 273.15
    eps = (0.787 + 0.764 * math.log(tdk / 273.0)) * (1 + 0.0224 * cloud - 0.0035 * cloud ** 2 + 0.00028 * cloud ** 3)
    ir = min(eps, 1.0) * 5.6697e-8 * tk ** 4
    fields = [
        "2021", str(month), str(day), str(hour), "0", FLAGS,
        fmt1(t), fmt1(td), fmt0(rh), fmt0(p),
        fmt0(etr_h), fmt0(etr_n), fmt0(ir), fmt0(ghi), fmt0(dni), fmt0(dhi),
        fmt0(ghi * 110), fmt0(dni * 100), fmt0(dhi * 120), "9999",
        fmt0(wind_dir % 360), fmt1(wind), fmt0(cloud), fmt0(max(cloud - 1, 0)),
        "9999", "77777" if cloud < 6 else "1500", "9", "999999999",
        fmt0(max(5.0, 2.0 * pws(td) / 100)), "0.100", "0", "88", "0.200", "0.0", "1.0",
    ]
    assert len(fields) == 35
    return ",".join(fields)


def header(site, comments2, weekday, start, end):
    return [
        "LOCATION,%s,-,-,dctwin synthetic,999999,%.2f,%.2f,%.1f,%.1f"
        % (site["name"], site["lat"], site["lon"], site["tz"], site["elevation"]),
        "DESIGN CONDITIONS,0",
        "TYPICAL/EXTREME PERIODS,0",
        "GROUND TEMPERATURES,0",
        "HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0",
        "COMMENTS 1,SYNTHETIC DATA made by dctwin (sites/weather/make_epw.py) from smooth seasonal "
        "and daily shapes and pseudo-random weather systems; not measured and not a typical year "
        "of any real place",
        "COMMENTS 2," + comments2,  # no commas inside a comment: it is one field
        "DATA PERIODS,1,1,Data,%s,%s,%s" % (weekday, start, end),
    ]


def dates(first_doy, days):
    out, doy = [], 0
    for m, n in enumerate(MONTH_DAYS, start=1):
        for d in range(1, n + 1):
            doy += 1
            if first_doy <= doy < first_doy + days:
                out.append((m, d, doy))
    return out


def temperate_year():
    site = {"name": "Synthetic Temperate (dctwin)", "lat": 48.0, "lon": 8.0, "tz": 1.0, "elevation": 120.0}
    rng = random.Random(20210101)
    synoptic = Noise(rng, 2.5, 60.0)    # K: passing weather systems
    moisture = Noise(rng, 1.2, 36.0)    # K: dew-point depression anomaly
    pressure = Noise(rng, 700.0, 48.0)  # Pa
    cloudy = Noise(rng, 1.0, 18.0)
    gust = Noise(rng, 1.2, 8.0)
    veer = Noise(rng, 50.0, 24.0)
    lines = header(site, "Temperate climate: mean 12 degC; seasonal amplitude 9 K (coldest mid-January); "
                   "diurnal amplitude 4-6 K (ASHRAE daily-range shape); station pressure about 99.9 kPa (120 m)",
                   "Friday", " 1/ 1", "12/31")
    p_mean = 101325 * (1 - 2.25577e-5 * site["elevation"]) ** 5.2559
    for month, day, doy in dates(1, 365):
        season = math.cos(2 * math.pi * (doy - 200) / 365)  # +1 in late July, -1 in mid-January
        for hour in range(1, 25):
            mean = 12 + 9 * season + synoptic.step()
            c = min(10.0, max(0.0, 5 + 2.5 * cloudy.step()))
            amp = (5 + season) * (1.1 - 0.04 * c)  # diurnal amplitude; cloudy days swing less
            t = mean + 2 * amp * (MEAN_FRACTION - DAILY_FRACTION[hour - 1])
            depression = 4.0 + 1.5 * season + max(-2.5, moisture.step())
            td = min(t - 0.3, mean - depression)
            p = p_mean + pressure.step()
            wind = max(0.0, 3.2 + 0.4 * (c - 5) / 5 + gust.step())
            lines.append(row((month, day, doy), hour, t, td, p, round(c), wind, 235 + veer.step(), site))
    return lines


HOT_SITE = {"name": "Synthetic Hot Week (dctwin)", "lat": 40.0, "lon": -4.0, "tz": 1.0, "elevation": 250.0}


def hot_days(first_doy, days):
    """Rows of the hot spell from 2021-07-10 (day of year 191)."""
    rng = random.Random(20210710)
    pressure = Noise(rng, 250.0, 48.0)
    moisture = Noise(rng, 0.8, 24.0)
    gust = Noise(rng, 0.8, 6.0)
    maxima = [35.6, 36.9, 38.3, 39.4, 40.0, 38.2, 36.3]  # degC, one per day
    p_mean = 101325 * (1 - 2.25577e-5 * HOT_SITE["elevation"]) ** 5.2559
    lines = []
    for i, (month, day, doy) in enumerate(dates(first_doy, days)):
        for hour in range(1, 25):
            # The daily maximum moves smoothly between days (centred on 15 h).
            x = i + (hour - 15) / 24
            k = min(max(int(math.floor(x)), 0), len(maxima) - 2)
            w = min(max(x - k, 0.0), 1.0)
            t_max = maxima[k] * (1 - w) + maxima[k + 1] * w
            t = t_max - 13.0 * DAILY_FRACTION[hour - 1]
            # Afternoon mixing dries the air a little.
            td = 16.0 - 1.5 * (1 - DAILY_FRACTION[hour - 1]) + moisture.step()
            p = p_mean + pressure.step()
            wind = max(0.0, 2.0 + 2.0 * (1 - DAILY_FRACTION[hour - 1]) + gust.step())
            lines.append(row((month, day, doy), hour, t, td, p, 1, wind, 200, HOT_SITE))
    return lines


def hot_week():
    lines = header(HOT_SITE, "Hot dry spell of 7 days: afternoons at 35-40 degC; daily range 13 K; dew point "
                   "about 15 degC; station pressure about 98.3 kPa (250 m)", "Saturday", " 7/10", " 7/16")
    return lines + hot_days(191, 7)


# July climates of the example fleet. The synthetic month is shaped on, per city: the July
# mean daily maximum and minimum dry bulb of the 1991-2020 climate normals (NOAA NCEI for
# Phoenix Sky Harbor, Met Eireann for Dublin Airport, SMHI for Lulea-Kallax), and the ASHRAE
# Handbook - Fundamentals (2021) climatic design conditions of the station: the 0.4 %
# cooling dry bulb (the hottest hour of the month is scaled to reach it) and its mean
# coincident wet bulb (which sets the dew point of the hottest afternoon). The figures are
# rounded and were entered by hand: check them against the tables before relying on them.
JULY_CLIMATES = [
    # name, station, lat, lon, tz, elevation [m], mean max, mean min, 0.4 % DB, MCWB [degC], seed
    ("phoenix", "Phoenix Sky Harbor AZ USA", 33.43, -112.02, -7.0, 337.0, 41.4, 29.4, 43.6, 21.1, 71),
    ("dublin", "Dublin Airport IE", 53.43, -6.24, 0.0, 71.0, 19.5, 11.5, 22.8, 16.5, 72),
    ("lulea", "Lulea-Kallax SE", 65.54, 22.12, 1.0, 17.0, 20.9, 11.3, 25.9, 17.7, 73),
]


def july(climate):
    """31 days of July (2021-07-01 .. 07-31) shaped on a city's normals and design day."""
    key, station, lat, lon, tz, elev, tmax, tmin, design_db, mcwb, seed = climate
    site = {"name": "Synthetic July %s (dctwin)" % station.split()[0], "lat": lat, "lon": lon, "tz": tz,
            "elevation": elev}
    rng = random.Random(20210700 + seed)
    synoptic = Noise(rng, 1.6, 72.0)    # K: passing weather systems
    moisture = Noise(rng, 1.0, 36.0)    # K
    pressure = Noise(rng, 400.0, 48.0)  # Pa
    cloudy = Noise(rng, 1.0, 18.0)
    gust = Noise(rng, 1.0, 8.0)
    p_mean = 101325 * (1 - 2.25577e-5 * elev) ** 5.2559
    days = dates(182, 31)
    # Daily maxima: the mean maximum plus the weather systems (centred), then stretched
    # so that the hottest day reaches the 0.4 % design dry bulb.
    anomaly = [synoptic.step() for _ in days]
    mean_anomaly = sum(anomaly) / len(anomaly)
    anomaly = [a - mean_anomaly for a in anomaly]  # the month keeps its mean maximum
    top = max(anomaly)
    stretch = (design_db - tmax) / top if top > 0 else 1.0
    maxima = [tmax + a * max(stretch, 0.0) for a in anomaly]
    daily_range = tmax - tmin
    # Dew point of the design afternoon from its coincident wet bulb (psychrometric
    # equation, ASHRAE Fundamentals ch. 1 eq. 35, with the vapour pressure at saturation).
    p_kpa = p_mean / 1000
    pv = pws(mcwb) - 0.000662 * p_kpa * 1000 * (design_db - mcwb)
    td_design = max(-30.0, min(mcwb, 243.04 * math.log(max(pv, 1.0) / 610.94) / (17.625 - math.log(max(pv, 1.0) / 610.94))))
    lines = header(site, "July shaped on %s: mean daily max %.1f degC and min %.1f degC (1991-2020 normals); "
                   "hottest hour at the ASHRAE 0.4 %% cooling dry bulb %.1f degC with mean coincident wet bulb "
                   "%.1f degC; see JULY_CLIMATES in make_epw.py" % (station, tmax, tmin, design_db, mcwb),
                   "Thursday", " 7/ 1", " 7/31")
    for i, (month, day, doy) in enumerate(days):
        c = min(10.0, max(0.0, 4 + 2.5 * cloudy.step()))
        for hour in range(1, 25):
            t = maxima[i] - daily_range * DAILY_FRACTION[hour - 1]
            td = min(t - 0.5, td_design + moisture.step())
            p = p_mean + pressure.step()
            wind = max(0.0, 3.0 + 1.5 * (1 - DAILY_FRACTION[hour - 1]) + gust.step())
            lines.append(row((month, day, doy), hour, t, td, p, round(c), wind, 220, site))
    return key, lines


def one_day():
    """A valid one-day file, the base of the broken ones (lines 9..32 hold hours 1..24)."""
    lines = header(HOT_SITE, "One day of the hot spell: the base of dctwin's deliberately broken test files",
                   "Saturday", " 7/10", " 7/10")
    return lines + hot_days(191, 1)


def field_col(line, k):
    """1-based column of the first non-blank character of field k (1-based) of a
    comma-separated line: where an error about that field points."""
    fields = line.split(",")
    f = fields[k - 1]
    return sum(len(x) + 1 for x in fields[:k - 1]) + 1 + (len(f) - len(f.lstrip(" ")))


def set_field(line, k, value):
    f = line.split(",")
    f[k - 1] = value
    return ",".join(f)


def broken_files():
    """name -> (lines, expected line, expected column, what is wrong)."""
    base = one_day()
    out = {}

    def variant(name, edit, what):
        lines = list(base)
        line, col = edit(lines)
        out[name] = (lines, line, col, what)

    def bad_number(ls):
        ls[13] = set_field(ls[13], 7, "abc")
        return 14, field_col(ls[13], 7)

    def field_count(ls):
        ls[19] = ",".join(ls[19].split(",")[:34])
        return 20, len(ls[19]) + 1

    def short_header(ls):
        del ls[7]  # no DATA PERIODS line: the first hourly row stands where it should be
        return 8, 1

    def duplicate_hour(ls):
        ls[14] = ls[13]  # hour 6 twice, hour 7 gone
        return 15, field_col(ls[14], 4)

    def out_of_order(ls):
        ls[17], ls[18] = ls[18], ls[17]  # hours 10 and 11 swapped
        return 18, field_col(ls[17], 4)

    def dry_bulb_range(ls):
        ls[21] = set_field(ls[21], 7, "75.0")
        return 22, field_col(ls[21], 7)

    def rh_range(ls):
        ls[15] = set_field(ls[15], 9, "150")
        return 16, field_col(ls[15], 9)

    def pressure_range(ls):
        ls[11] = set_field(ls[11], 10, "25000")
        return 12, field_col(ls[11], 10)

    def truncated(ls):
        del ls[28:]  # 20 of 24 rows: the error points at the declared end date
        return 8, field_col(ls[7], 7)

    def missing_gap(ls):
        for i in range(11, 18):  # 7 hours of missing dry bulb: too long to fill
            ls[i] = set_field(ls[i], 7, "99.9")
        return 12, field_col(ls[11], 7)

    variant("bad-number", bad_number, "dry bulb temperature is not a number")
    variant("field-count", field_count, "a row with 34 fields instead of 35")
    variant("short-header", short_header, "only 7 header lines (no DATA PERIODS)")
    variant("duplicate-hour", duplicate_hour, "hour 6 twice")
    variant("out-of-order", out_of_order, "hours 10 and 11 swapped")
    variant("dry-bulb-range", dry_bulb_range, "dry bulb 75 degC")
    variant("rh-range", rh_range, "relative humidity 150 %")
    variant("pressure-range", pressure_range, "station pressure 25 kPa")
    variant("truncated", truncated, "20 rows of a one-day data period")
    variant("missing-gap", missing_gap, "7 consecutive hours of missing dry bulb (99.9)")
    return out


def write(path, lines):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="ascii", newline="\n") as f:
        f.write("\n".join(lines) + "\n")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(here)),
                    help="repository root to write under (default: this script's repository)")
    root = ap.parse_args().root
    write(os.path.join(root, "sites/weather/temperate-synthetic.epw"), temperate_year())
    write(os.path.join(root, "sites/weather/hot-week-synthetic.epw"), hot_week())
    for climate in JULY_CLIMATES:
        key, lines = july(climate)
        write(os.path.join(root, "sites/weather/july-%s-synthetic.epw" % key), lines)
    for name, (lines, line, col, what) in sorted(broken_files().items()):
        write(os.path.join(root, "tests/robustness/data/weather", name + ".epw"), lines)
        print("tests/robustness/data/weather/%s.epw  %d:%d  %s" % (name, line, col, what))


if __name__ == "__main__":
    main()
