#!/usr/bin/env python3
"""Writes datasets/eu-cbam-default-values.toml: every EU CBAM default value of Implementing
Regulation (EU) 2025/2621 as first adopted (the Commission's workbook "DVs as adopted_v20260204",
published for information beside the regulation), every good of every country table.

Input: cbam/default-values-IR-2025-2621/cbam_default_values_DVs_as_adopted_v20260204.csv under
$PCF_SHARED_DATA (default: ../shared/data beside the repository), a third party's CSV export of
the Commission's workbook, re-encoded cp1252 -> UTF-8 and otherwise unchanged (see
../shared/data/PROVENANCE.md section 4). Standard library only, Python 3.9+:

    python3 scripts/datasets/cbam_defaults.py            # writes datasets/eu-cbam-default-values.toml
    python3 scripts/datasets/cbam_defaults.py --check    # exit 1 if the file would change

Every cell is written as the text the source holds ("3.168785", "0.0", "" for a blank): nothing
is recomputed, rounded or filled in, and the quirks stay (fertilisers marked up by 1 % in every
year, the compounded mark-up of five cement rows, Albania's white Portland cement with its values
in the mark-up columns, Chile 7306 11 00 without a 2026 value, Mali's hydrogen at 0.0). The only
things pcf adds are the ISO 3166-1 alpha-2 code of each table (the workbook names its sheets),
a key for each good (the CN code; for the two CN codes the annex lists twice, white and grey
clinker and hydraulic cements, the code and the colour), and the mark-up schedule, stated for
the check that `pcf` and the tests make of each published figure. The output is deterministic.
"""

import argparse
import csv
import hashlib
import os
import re
import sys
from collections import OrderedDict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUB = "cbam/default-values-IR-2025-2621/cbam_default_values_DVs_as_adopted_v20260204.csv"
OUT = ROOT / "datasets" / "eu-cbam-default-values.toml"
VERSION = "2026.2"

# Original (cp1252) file's sha256 as PROVENANCE.md gives it; the UTF-8 file's is computed.
ORIGINAL_SHA256 = "557b88b600985504d83df9bae08e6c31746a3260ebe6bc060640fe8e61aa3395"

COLUMNS = [
    "Default Value (direct emissions)",
    "Default Value (Indirect emissions)",
    "Default Value (total emissions)",
    "2026 Default Value (Including mark-up)",
    "2027 Default Value (Including mark-up)",
    "2028 Default Value (Including mark-up)",
    "Underlying production route determining CBAM BM",
]

FALLBACK_SHEET = "_Other Countries and Territorie"

# The workbook's sheet names (some truncated at Excel's 31 characters) -> ISO 3166-1 alpha-2.
ISO = {
    "Albania": "AL", "Algeria": "DZ", "Angola": "AO", "Argentina": "AR", "Armenia": "AM",
    "Australia": "AU", "Azerbaijan": "AZ", "Bahrain": "BH", "Bangladesh": "BD", "Belarus": "BY",
    "Benin": "BJ", "Bolivia": "BO", "Bosnia and Herzegovina": "BA", "Brazil": "BR", "Brunei": "BN",
    "Cambodia": "KH", "Cameroon": "CM", "Canada": "CA", "Chile": "CL", "China": "CN",
    "Colombia": "CO", "Congo": "CG", "Costa Rica": "CR", "Cuba": "CU", "Curaçao": "CW",
    "Côte d'Ivoire": "CI", "Democratic Republic of the Cong": "CD", "Dominican Republic": "DO",
    "Ecuador": "EC", "Egypt": "EG", "El Salvador": "SV", "Equatorial Guinea": "GQ",
    "Eritrea": "ER", "Eswatini": "SZ", "Ethiopia": "ET", "Gabon": "GA", "Georgia": "GE",
    "Ghana": "GH", "Guatemala": "GT", "Haiti": "HT", "Honduras": "HN", "Hong Kong": "HK",
    "India": "IN", "Indonesia": "ID", "Iran": "IR", "Iraq": "IQ", "Israel": "IL",
    "Jamaica": "JM", "Japan": "JP", "Jordan": "JO", "Kazakhstan": "KZ", "Kenya": "KE",
    "Kuwait": "KW", "Kyrgyzstan": "KG", "Laos": "LA", "Lebanon": "LB", "Libya": "LY",
    "Madagascar": "MG", "Malaysia": "MY", "Mali": "ML", "Mauritania": "MR", "Mauritius": "MU",
    "Mexico": "MX", "Moldova": "MD", "Mongolia": "MN", "Montenegro": "ME", "Morocco": "MA",
    "Mozambique": "MZ", "Myanmar_Burma": "MM", "Namibia": "NA", "Nepal": "NP",
    "New Zealand": "NZ", "Nicaragua": "NI", "Niger": "NE", "Nigeria": "NG", "North Korea": "KP",
    "North Macedonia": "MK", "Oman": "OM", "Pakistan": "PK", "Panama": "PA",
    "Papua New Guinea": "PG", "Paraguay": "PY", "Peru": "PE", "Philippines": "PH", "Qatar": "QA",
    "Russia": "RU", "Rwanda": "RW", "Saudi Arabia": "SA", "Senegal": "SN", "Serbia": "RS",
    "Sierra Leone": "SL", "Singapore": "SG", "South Africa": "ZA", "South Korea": "KR",
    "Sri Lanka": "LK", "Sudan": "SD", "Suriname": "SR", "Syria": "SY", "Taiwan": "TW",
    "Tajikistan": "TJ", "Tanzania": "TZ", "Thailand": "TH", "Togo": "TG",
    "Trinidad and Tobago": "TT", "Tunisia": "TN", "Turkmenistan": "TM", "Türkiye": "TR",
    "Uganda": "UG", "Ukraine": "UA", "United Arab Emirates": "AE", "United Kingdom": "GB",
    "United States": "US", "Uruguay": "UY", "Uzbekistan": "UZ", "Venezuela": "VE",
    "Vietnam": "VN", "Yemen": "YE", "Zambia": "ZM", "Zimbabwe": "ZW",
    FALLBACK_SHEET: "other",
}

NUMBER = re.compile(r"^\d+(\.\d+)?$")

HEADER = """\
# EU CBAM default values for the definitive period (from 2026): every good (CN code) of every
# country table of Annex I to Commission Implementing Regulation (EU) 2025/2621 as first
# adopted, with the default values for direct, indirect and total emissions and the values
# including the mark-up for 2026, 2027 and 2028, tonnes CO2e per tonne of good.
#
# GENERATED by scripts/datasets/cbam_defaults.py from the Commission's workbook
# "DVs as adopted_v20260204" (a third party's CSV export; see [cbam] below for the file and its
# sha256). Do not edit by hand: change the script and run it again.
#
# Layout: [[cbam.goods]] lists each good once (key, CN code, sector, description as the annex
# words it); each [[cbam.tables]] is one country table, named as the workbook's sheet and given
# its ISO 3166-1 alpha-2 code ("other" for "Other countries and territories"), with one row per
# good: [good key, direct, indirect, total, 2026, 2027, 2028, route], each cell the text the
# source holds, "" where the source is blank.
#
# Rule of the annex (introductory part): where a country is not listed, or is listed but gives
# no value for a good, the value of the table "Other countries and territories" is used. pcf
# applies it and says so in every lookup and every inventory factor made from this file.
#
# NOT VERIFIED AGAINST THE OFFICIAL JOURNAL: the workbook is published "for information
# purposes only"; the binding values are the annex in the Official Journal (OJ L, 2025/2621,
# 31.12.2025), which prints them rounded to two or three decimals. Secondary sources report
# that Implementing Regulation (EU) 2026/1740 (OJ L, 2026/1740, 31.7.2026) replaced Annexes I
# and IV retroactively from 1 January 2026, deleting the per-year columns including the
# mark-up and re-keying the cement lines to TARIC codes; its text could not be obtained here.

"""


def toml_str(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def shared_csv():
    base = os.environ.get("PCF_SHARED_DATA")
    base = Path(base) if base else ROOT.parent / "shared" / "data"
    return base / SUB


def read_rows(path):
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter=";"))
    for r in rows:
        for c in COLUMNS[:6]:
            v = r[c]
            if v and not NUMBER.match(v):
                raise SystemExit(f"{r['Country']} {r['Product CN Code']}: {c} = {v!r} is not a number")
        route = r[COLUMNS[6]]
        if route and not re.match(r"^\([A-Z]\)$", route):
            raise SystemExit(f"{r['Country']} {r['Product CN Code']}: route {route!r}")
    return rows


def good_keys(rows):
    """(cn, description) -> key, in the order goods first appear; and the goods."""
    goods = OrderedDict()
    for r in rows:
        k = (r["Product CN Code"], r["Description"])
        if k not in goods:
            goods[k] = r["Sector"]
        elif goods[k] != r["Sector"]:
            raise SystemExit(f"{k}: two sectors")
    by_cn = {}
    for cn, desc in goods:
        by_cn.setdefault(cn, []).append(desc)
    keys = {}
    for (cn, desc) in goods:
        if len(by_cn[cn]) == 1:
            keys[(cn, desc)] = cn
        else:
            colour = desc.split()[0].lower()
            if colour not in ("white", "grey"):
                raise SystemExit(f"CN {cn} twice, and {desc!r} is not white or grey")
            keys[(cn, desc)] = f"{cn}-{colour}"
    if len(set(keys.values())) != len(keys):
        raise SystemExit("good keys collide")
    return goods, keys


def render(path, rows):
    raw = path.read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    goods, keys = good_keys(rows)
    tables = OrderedDict()
    for r in rows:
        name = r["Country"]
        if name not in ISO:
            raise SystemExit(f"no ISO code for the sheet {name!r}")
        tables.setdefault(name, []).append(r)
    fallback = tables.pop(FALLBACK_SHEET)
    ordered = [(FALLBACK_SHEET, fallback)] + list(tables.items())
    out = [HEADER]
    w = out.append
    w("[dataset]\n")
    w('id = "eu-cbam-default-values"\n')
    w(f'version = "{VERSION}"\n')
    w('title = "EU CBAM default values, definitive period: every good of every country table '
      'of Implementing Regulation (EU) 2025/2621 as adopted, with the 2026-2028 values including '
      'the mark-up"\n')
    w('publisher = "European Commission (DG TAXUD)"\n')
    w('source = "Commission Implementing Regulation (EU) 2025/2621 of 16 December 2025 laying down '
      'rules for the application of Regulation (EU) 2023/956 as regards the establishment of '
      'default values (OJ L, 2025/2621, 31.12.2025), Annex I, as given at full precision in the '
      'Commission\'s workbook \\"DVs as adopted_v20260204\\" (published for information beside '
      'the regulation; read from a third party\'s CSV export of it, re-encoded to UTF-8, values '
      'unchanged)"\n')
    w('licence = "Commission documents may be reused with acknowledgement of the source '
      '(Commission Decision 2011/833/EU on the reuse of Commission documents; the Commission\'s '
      'reuse policy names CC BY 4.0 as the default licence). Source: European Commission. '
      'Changes: layout only (one table per country, cells as published)."\n')
    w('notes = "Values as adopted (workbook of 4 February 2026), before Implementing Regulation '
      '(EU) 2026/1740, which secondary sources report replaced Annexes I and IV retroactively from '
      '1 January 2026 (deleting the per-year columns including the mark-up; cement lines keyed by '
      'TARIC code). Its text could not be obtained and is NOT reflected here. The workbook is for '
      'information; the Official Journal annex (values rounded) is binding. Where a country has no '
      'table, or its row gives no value, lookups use the table Other countries and territories '
      'and say so. Quirks kept as published: fertilisers carry a 1 % mark-up in every year; five '
      'cement rows (Angola, Argentina) compound the mark-up (x1.1, x1.21, x1.331); Albania CN '
      '25232100 has no direct, indirect or total value and 1.23, 0.14, 1.37 in the mark-up columns '
      '(treated as no value); Chile CN 73061100 has no 2026 value (treated as no value for 2026); '
      'Mali CN 28041000 (hydrogen) is 0.0."\n')
    w('basis = "activity"\n\n')
    w("[cbam]\n")
    w(f'source_file = "{path.name}"\n')
    w(f'source_sha256 = "{sha}"\n')
    w(f'original_sha256 = "{ORIGINAL_SHA256}"\n')
    w('columns = ["good", "direct", "indirect", "total", "2026", "2027", "2028", "route"]\n\n')
    w("# The mark-ups the published columns apply to the total (stated by pcf for the check of\n"
      "# each published figure; lookups use the published figure). 2028 applies to later years.\n")
    for year, pct in ((2026, 10.0), (2027, 20.0), (2028, 30.0)):
        w(f"[[cbam.markups]]\nyear = {year}\npercent = {pct}\n\n")
    for year in (2026, 2027, 2028):
        w(f'[[cbam.markups]]\nsector = "Fertilisers"\nyear = {year}\npercent = 1.0\n\n')
    for (cn, desc), sector in goods.items():
        w("[[cbam.goods]]\n")
        w(f"key = {toml_str(keys[(cn, desc)])}\n")
        w(f"cn = {toml_str(cn)}\n")
        w(f"sector = {toml_str(sector)}\n")
        w(f"description = {toml_str(desc)}\n\n")
    for name, trs in ordered:
        w("[[cbam.tables]]\n")
        w(f"country = {toml_str(ISO[name])}\n")
        w(f"name = {toml_str(name)}\n")
        w("rows = [\n")
        for r in trs:
            cells = [keys[(r["Product CN Code"], r["Description"])]] + [r[c] for c in COLUMNS]
            w("  [" + ", ".join(toml_str(c) for c in cells) + "],\n")
        w("]\n\n")
    text = "".join(out).rstrip("\n") + "\n"
    return text, len(goods), len(ordered)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--csv", type=Path, default=None, help="the source CSV (default: under $PCF_SHARED_DATA)")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--check", action="store_true", help="exit 1 if --out differs from what would be written")
    a = ap.parse_args()
    path = a.csv or shared_csv()
    rows = read_rows(path)
    text, n_goods, n_tables = render(path, rows)
    if (len(rows), n_goods, n_tables) != (12532, 287, 120):
        raise SystemExit(f"expected 12532 rows, 287 goods, 120 tables; read {len(rows)}, {n_goods}, {n_tables}")
    if a.check:
        same = a.out.exists() and a.out.read_text(encoding="utf-8") == text
        print(f"{a.out}: {'up to date' if same else 'DIFFERS'}")
        sys.exit(0 if same else 1)
    a.out.write_text(text, encoding="utf-8")
    print(f"{a.out}: {len(rows)} rows, {n_goods} goods, {n_tables} tables")


if __name__ == "__main__":
    main()
