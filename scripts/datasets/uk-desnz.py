#!/usr/bin/env python3
"""Derives datasets/uk-desnz-2024.toml from the official DESNZ workbook.

Reads "UK Government GHG Conversion Factors for Company Reporting" 2024, full set for advanced
users, v1.1 (the xlsx published by DESNZ on GOV.UK, Crown copyright, Open Government Licence
v3.0) and writes every total "kg CO2e" factor of these sheets:

  Material use, Waste disposal              per tonne           (scope 3)
  Freighting goods, WTT- delivery vehs & freight   per tonne.km (scope 3; km and miles rows skipped)
  Fuels                                     per tonne, litre, cubic metre, kWh (scope 1)
  WTT- fuels                                the same units      (scope 3, well to tank)

Only the total column of each group ("kg CO2e") is taken, not the per-gas columns, which are
kg CO2e of each gas (already characterized with the AR5 GWPs the workbook states), not kg of
gas. Every value is written as read (Python's shortest round-trip repr of the cell's float).

Usage (openpyxl from pip):
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install openpyxl
    /tmp/venv/bin/python scripts/datasets/uk-desnz.py \
        ../shared/data/emission-factors/uk-desnz-ghg-conversion-factors-2024/ghg-conversion-factors-2024-full_set__for_advanced_users__v1_1.xlsx \
        > datasets/uk-desnz-2024.toml

The output is deterministic: the same workbook gives the same file, byte for byte.
"""

import hashlib
import re
import sys

import openpyxl

SHEETS = [
    # (sheet, id prefix, category label, scope, keep the Activity column in the id)
    ("Material use", "material", "material use", "scope 3", False),
    ("Waste disposal", "waste", "waste disposal", "scope 3", False),
    ("Freighting goods", "freight", "freighting goods", "scope 3", True),
    ("WTT- delivery vehs & freight", "wtt-freight", "freighting goods, well to tank", "scope 3", True),
    ("Fuels", "fuel", "fuels", "scope 1", False),
    ("WTT- fuels", "wtt-fuel", "fuels, well to tank", "scope 3", False),
]

# Workbook unit -> (pcf unit, id suffix, words for the name)
UNITS = {
    "tonnes": ("t", "tonne", "per tonne"),
    "litres": ("l", "litre", "per litre"),
    "cubic metres": ("m3", "m3", "per cubic metre"),
    "kWh (Net CV)": ("kWh", "kwh-net-cv", "per kWh (net calorific value)"),
    "kWh (Gross CV)": ("kWh", "kwh-gross-cv", "per kWh (gross calorific value)"),
    "tonne.km": ("tkm", "", "per tonne.km"),
}
SKIPPED_UNITS = {"km", "miles"}  # per vehicle distance: not an amount of goods moved

# The fuel sheets give each fuel per tonne, litre and kWh: the unit is part of the id there.
UNIT_IN_ID = {"fuel", "wtt-fuel"}


def slug(text):
    text = text.lower().replace("&", " and ").replace("%", " percent ").replace("+", " plus ")
    text = text.replace("<", " lt ").replace(">", " gt ")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def cell_name(row, col):
    return f"{openpyxl.utils.get_column_letter(col + 1)}{row}"


def fmt(value):
    return repr(float(value))


def toml_str(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def sheet_factors(ws, prefix, category, scope, activity_in_id):
    rows = list(ws.iter_rows(values_only=True))
    header_meta = {}
    for row in rows[:8]:
        cells = [c for c in row if c is not None]
        for k, v in zip(cells, cells[1:]):
            if isinstance(k, str) and k.strip().rstrip(":") in ("Scope", "Version", "Year"):
                header_meta[k.strip().rstrip(":")] = v
    assert header_meta.get("Year") == 2024, (ws.title, header_meta)
    assert header_meta.get("Version") == 1.1, (ws.title, header_meta)
    assert str(header_meta.get("Scope", "")).lower() == scope, (ws.title, header_meta)

    out = []
    i = 0
    while i < len(rows):
        row = rows[i]
        if not (row and row[0] == "Activity"):
            i += 1
            continue
        header = [c if isinstance(c, str) else None for c in row]
        unit_col = header.index("Unit")
        dim_cols = list(range(0, unit_col))  # Activity, Material/Type/Fuel, Size...
        total_cols = [j for j, h in enumerate(header) if h == "kg CO2e"]
        # Group labels (Primary material production, 50% Laden, Diesel, With RF...) sit on the
        # row above, at the first column of their group.
        above = rows[i - 1] if i > 0 else ()
        labels = {j: c.strip() for j, c in enumerate(above) if isinstance(c, str) and c.strip()}
        groups = {}
        for j in total_cols:
            left = [k for k in labels if k <= j and k >= unit_col]
            groups[j] = labels[max(left)] if left else None
        if len(total_cols) > 1:
            assert all(groups.values()), (ws.title, i + 1, groups)
        carried = [None] * unit_col
        i += 1
        while i < len(rows):
            row = rows[i]
            if not row or all(c is None or (isinstance(c, str) and not c.strip()) for c in row):
                break
            if row[0] == "Activity" or row[0] == "FAQs":
                break
            for j in dim_cols:
                v = row[j] if j < len(row) else None
                if isinstance(v, str) and v.strip():
                    carried[j] = v.strip()
                    for k in dim_cols[j + 1:]:
                        carried[k] = None  # a new Activity or Type starts its own sub-rows
            unit = row[unit_col] if unit_col < len(row) else None
            if unit in SKIPPED_UNITS or unit is None:
                i += 1
                continue
            assert unit in UNITS, (ws.title, i + 1, unit)
            pcf_unit, unit_id, unit_words = UNITS[unit]
            dims = [carried[j] for j in dim_cols]
            # A later row may give a dimension again (Fuels repeats "Butane"); carried keeps it.
            assert dims[0] is not None and all(d is not None for d in dims[1:]), (ws.title, i + 1, dims)
            for j in total_cols:
                v = row[j] if j < len(row) else None
                if not isinstance(v, (int, float)):
                    continue
                words = [slug(d) for d in (dims if activity_in_id else dims[1:])]
                # "WTT- HGV" in a WTT sheet and "Freight flights" in the freight sheet would
                # repeat the prefix: wtt-freight-wtt-hgv..., freight-freight-flights...
                words[0] = re.sub(r"^wtt-", "", words[0])
                last = prefix.split("-")[-1]
                if words[0].startswith(last + "-"):
                    words[0] = words[0][len(last) + 1:]
                id_parts = [prefix] + words
                if prefix in UNIT_IN_ID and unit_id:
                    id_parts.append(unit_id)
                if groups[j]:
                    id_parts.append(slug(groups[j]))
                name_dims = dims if activity_in_id else dims[1:]
                name = ", ".join(name_dims + ([groups[j]] if groups[j] else []))
                out.append({
                    "id": "-".join(id_parts),
                    "name": f"{category[0].upper()}{category[1:]}: {name}, kg CO2e {unit_words}",
                    "per": pcf_unit,
                    "co2e": v,
                    "category": f"{category} ({scope}): {dims[0]}",
                    "source": f"DESNZ 2024 v1.1 workbook, sheet '{ws.title}', cell {cell_name(i + 1, j)}"
                              + (f" (column group '{groups[j]}')" if groups[j] else ""),
                })
            i += 1
    return out


def main(path):
    data = open(path, "rb").read()
    digest = hashlib.sha256(data).hexdigest()
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    intro = " ".join(str(c) for row in wb["Introduction"].iter_rows(values_only=True) for c in row if c)
    assert "Fifth Assessment Report (AR5) over a 100-year period" in intro, "GWP basis changed"
    factors = []
    counts = []
    for sheet, prefix, category, scope, activity_in_id in SHEETS:
        fs = sheet_factors(wb[sheet], prefix, category, scope, activity_in_id)
        counts.append((sheet, len(fs)))
        factors += fs
    ids = [f["id"] for f in factors]
    dupes = sorted({x for x in ids if ids.count(x) > 1})
    assert not dupes, dupes

    w = sys.stdout.write
    w("# UK Government GHG Conversion Factors for Company Reporting 2024 (DESNZ), full set for\n")
    w("# advanced users, v1.1: the material use, waste disposal, freighting goods (per tonne.km) and\n")
    w("# fuel factors, with the well-to-tank factors of fuels and freight, in kg CO2e per unit.\n")
    w("#\n")
    w("# GENERATED by scripts/datasets/uk-desnz.py from the official workbook\n")
    w(f"# ghg-conversion-factors-2024-full_set__for_advanced_users__v1_1.xlsx (sha256 {digest});\n")
    w("# do not edit by hand: change the script and run it again.\n")
    w("#\n")
    w("# Contains public sector information licensed under the Open Government Licence v3.0.\n")
    w("# (c) Crown copyright 2024, Department for Energy Security and Net Zero:\n")
    w("# https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/\n")
    w("#\n")
    w("# Columns taken: the total \"kg CO2e\" column of each group, never the per-gas columns (those are\n")
    w("# kg CO2e of CO2, CH4 and N2O, already characterized). GWP basis: IPCC AR5, 100 years, as the\n")
    w("# workbook's Introduction sheet states for every factor; a methodology on AR6 gets AR5-based\n")
    w("# CO2e from these factors. Material use: 'Primary material production', 'Re-used',\n")
    w("# 'Open-loop source' and 'Closed-loop source' (cradle to gate; no avoided burdens). Waste\n")
    w("# disposal: 'Re-use', 'Open-loop', 'Closed-loop', 'Combustion', 'Composting', 'Landfill',\n")
    w("# 'Anaerobic digestion'. Freighting goods: the tonne.km rows only (vans by fuel, HGVs by\n")
    w("# laden state, freight flights with and without radiative forcing, rail, sea tankers and\n")
    w("# cargo ships by size); the per-km and per-mile vehicle rows are left out. Fuels: scope 1\n")
    w("# (combustion) per tonne, litre, cubic metre and kWh on a net and on a gross calorific value\n")
    w("# basis; WTT (well to tank, scope 3) factors are separate factors whose ids start with wtt-.\n")
    w("# Empty cells (no factor) give no factor. Each factor names its cell in `source`. For air\n")
    w("# freight the workbook advises including the indirect non-CO2 effects: the 'With RF' factors\n")
    w("# (the whole effect applied to CO2, +70 %).\n")
    w("#\n")
    w("# Checked: every value is read from the official xlsx by the script (no transcription); the\n")
    w("# sheets' Year (2024), Version (1.1) and Scope are asserted by the script, and so is the AR5\n")
    w("# statement. tests/factor_libraries.rs compares every factor with the cell its source names\n")
    w("# and finds spot values by their labels in the workbook. The 2025 flat\n")
    w("# CSV in ../shared/data is a third party's conversion of another year and was not used.\n")
    w("# Counts: " + ", ".join(f"{s} {n}" for s, n in counts) + f"; {len(factors)} factors.\n")
    w("#\n")
    w("# Reference in an inventory as `factor = \"dataset:uk-desnz-2024@material-metal-steel-cans-primary-material-production\"`.\n\n")
    w("[dataset]\n")
    w('id = "uk-desnz-2024"\n')
    w('version = "1.0.0"\n')
    w('title = "UK Government GHG Conversion Factors for Company Reporting 2024 (DESNZ): materials, waste, freight, fuels"\n')
    w('publisher = "Department for Energy Security and Net Zero (DESNZ), UK Government"\n')
    w('source = "UK Government GHG Conversion Factors for Company Reporting 2024, full set for advanced users, v1.1 (DESNZ, GOV.UK), '
      f'xlsx sha256 {digest}"\n')
    w('licence = "Contains public sector information licensed under the Open Government Licence v3.0 (OGL-UK-3.0), '
      '(c) Crown copyright 2024; attribution required: https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"\n')
    w('basis = "activity"\n')
    w('gwp = "AR5"\n')
    w('notes = "kg CO2e per unit, IPCC AR5 GWP100 (as the workbook states). Material use factors are cradle to gate '
      '(extraction, processing, manufacturing, transport to the point of sale), by source of the material: primary, '
      're-used, open-loop or closed-loop recycled. Waste factors are per tonne by treatment. Freight factors are per '
      'tonne.km (the whole vehicle\'s emissions shared by load). Fuel factors are scope 1 combustion; the wtt- factors '
      'are the upstream (well-to-tank) emissions of the same fuel or freight and add to them. Biofuel blends: the '
      'biogenic CO2 of the bio part is not in the factor (DESNZ reports it outside of scopes). UK averages: secondary data."\n')
    for f in factors:
        w("\n[[factors]]\n")
        w(f"id = {toml_str(f['id'])}\n")
        w(f"name = {toml_str(f['name'])}\n")
        w(f"category = {toml_str(f['category'])}\n")
        w(f"per = {toml_str(f['per'])}\n")
        w(f"co2e = {fmt(f['co2e'])}\n")
        w(f"source = {toml_str(f['source'])}\n")


if __name__ == "__main__":
    main(sys.argv[1])
