#!/usr/bin/env python3
"""Writes the [[factors]] of datasets/cn-grid.toml from the China electricity factor table.

Inputs: ../shared/data/china-electricity/cn_electricity_factors_2021_2024.csv (a derived tidy
table of the MEE/NBS and MEE/NBS/NEA announcements as transcribed in CPCD, see PROVENANCE.md
§5), the previous released version of the dataset (its factors keep their id, name, kind and
source; their values must not change), and, with --pdf-dir, the two annex PDFs, whose values
are read with pypdf and compared with the table (the script stops on any difference).

    python3 scripts/datasets/cn-grid.py \
        ../shared/data/china-electricity/cn_electricity_factors_2021_2024.csv \
        datasets/archive/cn-grid@2026.2.toml datasets/cn-grid.toml \
        --pdf-dir ../shared/data/china-electricity/source

rewrites datasets/cn-grid.toml from its first [[factors]] on; the header (dataset table and
comments) is written by hand. Python 3.11+ (tomllib); pypdf from pip for --pdf-dir.
"""

import argparse
import csv
import re
import tomllib

REGIONS = {"华北": "north", "东北": "northeast", "华东": "east", "华中": "central",
           "西北": "northwest", "南方": "south", "西南": "southwest"}
REGION_NAMES = {"north": "North China", "northeast": "Northeast China", "east": "East China",
                "central": "Central China", "northwest": "Northwest China",
                "south": "South China (China Southern Grid)", "southwest": "Southwest China"}
TYPES = {"燃煤发电": ("coal", "coal-fired power"), "燃气发电": ("gas", "gas-fired power"),
         "水力发电": ("hydro", "hydropower"), "核能发电": ("nuclear", "nuclear power"),
         "风力发电": ("wind", "wind power"), "光伏发电": ("solar", "photovoltaic power"),
         "光热发电": ("solar-thermal", "solar thermal (CSP) power"),
         "生物质发电": ("biomass", "biomass power")}
PDF_2023 = "MEE-NBS_2023_electricity_CO2_emission_factors_annex.pdf"
PDF_2024 = "MEE-NBS-NEA_2024_electricity_carbon_footprint_factors_annex.pdf"
ANN_CO2 = {"2021": "MEE/NBS announcement 2024 No. 12 (12 April 2024)",
           "2022": "MEE/NBS announcement of the 2022 electricity CO2 emission factors (20 December 2024)",
           "2023": "MEE/NBS announcement of the 2023 electricity CO2 emission factors (January 2026)"}
ANN_FP = {"2023": "MEE/NBS/NEA announcement of the 2023 electricity carbon footprint factors (17 January 2025)",
          "2024": "MEE/NBS/NEA announcement of the 2024 electricity carbon footprint factors (28 September 2025)"}


def factor_of(row):
    """(id, name, kind, category, is_co2) of a table row."""
    y, kind, scope = row["data_year"], row["factor_kind"], row["scope"]
    zh, en = row["region_or_type_zh"], row["region_or_type_en"]
    if kind.startswith("CO2 emission factor"):
        if "fossil-fuel electricity only" in kind:
            return (f"{y}-fossil", f"China national fossil-fuel electricity CO2 emission factor, {y}",
                    "combustion-co2", "grid CO2 (combustion), fossil-fuel power, national")
        if "excl. market-traded" in kind:
            return (f"{y}-excluding-market-non-fossil",
                    f"China national average electricity CO2 emission factor excluding market-traded non-fossil electricity, {y}",
                    "residual-combustion-co2", "grid CO2 (combustion) excluding market-traded non-fossil, national")
        if scope == "national":
            return (y, f"China national average electricity CO2 emission factor, {y}",
                    "combustion-co2", "grid CO2 (combustion), national")
        if scope == "regional_grid":
            r = REGIONS[zh]
            return (f"{y}-{r}", f"{REGION_NAMES[r]} regional grid average electricity CO2 emission factor, {y}",
                    "combustion-co2", "grid CO2 (combustion), regional grid")
        if scope == "provincial":
            p = re.sub(r"[^a-z0-9]+", "-", en.lower()).strip("-")
            return (f"{y}-{p}", f"{en} ({zh}) provincial average electricity CO2 emission factor, {y}",
                    "combustion-co2", "grid CO2 (combustion), province")
    else:
        if scope == "national":
            return (f"{y}-footprint", f"China national average electricity carbon footprint factor (life cycle), {y}",
                    "life-cycle", "electricity carbon footprint (life cycle), national")
        if scope == "generation_type":
            t, words = TYPES[zh]
            return (f"{y}-footprint-{t}", f"China {words} carbon footprint factor (life cycle), {y}",
                    "life-cycle", "electricity carbon footprint (life cycle), by generation type")
        if scope == "transmission_distribution":
            losses = "含线损" in zh and "不含线损" not in zh
            return (f"{y}-footprint-transmission" + ("-with-losses" if losses else ""),
                    f"China transmission and distribution carbon footprint factor (life cycle), "
                    f"{'including' if losses else 'excluding'} line losses, {y}",
                    "life-cycle", "electricity carbon footprint (life cycle), transmission and distribution")
    raise SystemExit(f"unexpected row: {row}")


def pdf_values(path):
    """[(table number, label, value)] of an annex PDF."""
    import pypdf  # only with --pdf-dir
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(path).pages)
    table, out = None, []
    for line in text.splitlines():
        line = line.strip()
        m = re.match(r"表\s*(\d+)", line)
        if m:
            table = int(m.group(1))
            continue
        m = re.match(r"^(\S+)\s+(\d+\.\d+)$", line)
        if m and table:
            out.append((table, m.group(1), float(m.group(2))))
    return out


def check_pdfs(rows, pdf_dir):
    """The table's 2023 CO2 and 2024 footprint rows, each matched with the annex value."""
    checked = {}
    co2 = pdf_values(f"{pdf_dir}/{PDF_2023}")
    fp = pdf_values(f"{pdf_dir}/{PDF_2024}")
    for row in rows:
        y, kind, scope, zh = row["data_year"], row["factor_kind"], row["scope"], row["region_or_type_zh"]
        v = float(row["value_kg_per_kwh"])
        if y == "2023" and kind.startswith("CO2"):
            table = 5 if "fossil-fuel" in kind else 4 if "excl." in kind else \
                {"national": 1, "regional_grid": 2, "provincial": 3}[scope]
            hits = [x for t, l, x in co2 if t == table and l == zh]
            pdf = PDF_2023
        elif y == "2024":
            table = {"national": 1, "generation_type": 2, "transmission_distribution": 3}[scope]
            hits = [x for t, l, x in fp if t == table and (l == zh or l.endswith(f"（{zh}）"))]
            pdf = PDF_2024
        else:
            continue
        assert len(hits) == 1, (row, hits)
        assert hits[0] == v, (row, hits)
        checked[(y, kind, scope, zh)] = f"{pdf} table {table}"
    return checked


def toml_str(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("previous")
    ap.add_argument("out")
    ap.add_argument("--pdf-dir")
    a = ap.parse_args()
    rows = list(csv.DictReader(open(a.csv, encoding="utf-8")))
    previous = {f["id"]: f for f in tomllib.load(open(a.previous, "rb"))["factors"]}
    checked = check_pdfs(rows, a.pdf_dir) if a.pdf_dir else {}
    order = {"national": 0, "regional_grid": 1, "provincial": 2, "generation_type": 3, "transmission_distribution": 4}
    sub = {"CO2 emission factor, grid average": 0}
    rows.sort(key=lambda r: (r["data_year"], not r["factor_kind"].startswith("CO2"), order[r["scope"]],
                             sub.get(r["factor_kind"], 1), r["factor_kind"],
                             r["region_or_type_en"] if r["scope"] == "provincial" else ""))
    blocks, seen = [], set()
    for row in rows:
        fid, name, kind, category = factor_of(row)
        assert fid not in seen, fid
        seen.add(fid)
        v = float(row["value_kg_per_kwh"])
        key = (row["data_year"], row["factor_kind"], row["scope"], row["region_or_type_zh"])
        where = (f"checked against the annex PDF ({checked[key]})" if key in checked else
                 "as transcribed in CPCD; the annex was not available to check")
        if fid in previous:
            p = previous[fid]
            old = p.get("co2e", p.get("gases", {}).get("co2-fossil"))
            assert old == v, f"{fid}: {old} in the previous version, {v} in the table"
            name, source = p["name"], p["source"]
            if key in checked and "checked against" not in source:
                source += f"; {where}"
        else:
            ann = (ANN_CO2 if kind != "life-cycle" else ANN_FP)[row["data_year"]]
            unit = "kg CO2/kWh" if kind != "life-cycle" else "kg CO2e/kWh"
            source = (f"{ann}: {row['cpcd_name'] or row['region_or_type_zh']} {row['value_kg_per_kwh']} {unit} "
                      f"(CPCD {row['cpcd_product_id']}); {where}")
        b = [f"id = {toml_str(fid)}", f"name = {toml_str(name)}", f"category = {toml_str(category)}",
             'per = "kWh"', f"kind = {toml_str(kind)}"]
        b.append(f"co2e = {v!r}" if kind == "life-cycle" else f'gases = {{ "co2-fossil" = {v!r} }}')
        b.append(f"source = {toml_str(source)}")
        blocks.append("[[factors]]\n" + "\n".join(b) + "\n")
    missing = sorted(set(previous) - seen)
    assert not missing, f"factors of the previous version not in the table: {missing}"
    text = open(a.out, encoding="utf-8").read()
    head = text[: text.index("[[factors]]")]
    open(a.out, "w", encoding="utf-8").write(head + "\n".join(blocks))
    print(f"{len(blocks)} factors ({len(checked)} checked against the annex PDFs, "
          f"{len(blocks) - len(set(previous))} new)")


if __name__ == "__main__":
    main()
