#!/usr/bin/env python3
"""Writes the example park's meter exports: synthetic, hourly, June 2025 (Asia/Shanghai).

Illustrative data for pcf's zero-carbon park example, made by the formulas below (no
measurements; CC0). Run from this directory: `python3 generate.py`. Every file is a
`timestamp,kwh` meter export (interval starts, local time with offset), see docs/meter-data.md.

- solar.csv: 28 MWp rooftop PV, a half-sine from 06:00 to 18:00 scaled by a day's cloudiness.
- battery-charge.csv, battery-discharge.csv: a 10 MWh battery charging from the PV at up to
  2,000 kWh/h from 10:00 to 14:00 and discharging 90 % of it from 18:00 to 22:00.
- ppa-wind.csv: a 6 MW wind farm's PPA deliveries, windier at night.
- assembler.csv: a day-shift assembler (Mon-Sat 07:00-19:00 at 10,600 kWh/h, 1,000 otherwise).
- foundry.csv: a 24/7 foundry (5,000 kWh/h, +-5 % with the melt cycle). Both use 3,600 MWh.
- chp-power.csv, grid-import.csv, park-delivered.csv: the park's grey supply (coal CHP up to
  6,000 kWh/h, grid imports for the rest) of what its tenants use beyond their green shares
  (40 % of each green source each) and of the park's air compressors (300 kWh/h).
"""

import datetime as dt
import math

START = dt.datetime(2025, 6, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
HOURS = 30 * 24
SHARE = 0.4


def stamp(h):
    return (START + dt.timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M+08:00")


def write(name, values):
    with open(name, "w", newline="\n") as f:
        f.write("timestamp,kwh\n")
        for h, v in enumerate(values):
            f.write(f"{stamp(h)},{v:.3f}\n")


def at(h):
    t = START + dt.timedelta(hours=h)
    return t.weekday(), t.hour, (t - START).days


solar, charge, discharge, wind, assembler, foundry = [], [], [], [], [], []
for h in range(HOURS):
    weekday, hour, day = at(h)
    sky = 0.55 + 0.4 * abs(math.sin(day * 1.7))
    pv = 28000 * sky * math.sin(math.pi * (hour + 0.5 - 6) / 12) if 6 <= hour < 18 else 0.0
    solar.append(round(pv, 3))
    c = min(2000.0, pv) if 10 <= hour < 14 else 0.0
    charge.append(round(c, 3))
    wind.append(round(max(0.0, 6000 * (0.3 + 0.15 * math.cos(2 * math.pi * (hour - 2) / 24) + 0.1 * math.sin(day * 0.9))), 3))
    assembler.append(10600.0 if weekday < 6 and 7 <= hour < 19 else 1000.0)
    foundry.append(round(5000 * (1 + 0.05 * math.sin(2 * math.pi * hour / 6)), 3))
# Discharge 90 % of each day's charge in the evening, evenly.
for h in range(HOURS):
    weekday, hour, day = at(h)
    daily = sum(charge[day * 24:(day + 1) * 24])
    discharge.append(round(0.9 * daily / 4, 3) if 18 <= hour < 22 else 0.0)

green = [solar[h] - charge[h] for h in range(HOURS)]
grey_delivered, chp, grid = [], [], []
for h in range(HOURS):
    use = 300.0  # compressors
    for load in (assembler[h], foundry[h]):
        mine = SHARE * (green[h] + discharge[h] + wind[h])
        use += max(0.0, load - mine)
    use = round(use, 3)
    c = round(min(use, 6000.0), 3)
    grey_delivered.append(use)
    chp.append(c)
    grid.append(round(use - c, 3))

for name, values in [
    ("solar.csv", solar),
    ("battery-charge.csv", charge),
    ("battery-discharge.csv", discharge),
    ("ppa-wind.csv", wind),
    ("assembler.csv", assembler),
    ("foundry.csv", foundry),
    ("chp-power.csv", chp),
    ("grid-import.csv", grid),
    ("park-delivered.csv", grey_delivered),
]:
    write(name, values)
    print(f"{name}: {sum(values):.3f} kWh")
