//! What an auditor files: `trace.json`, the Markdown report and the SVG contribution chart.

use std::fmt::Write as _;
use std::path::Path;

use super::{Audit, AuditVerdict, CheckResult, Trace, show};
use crate::Error;

/// Writes `trace.json`, `report.md` and `contributions.svg` into `dir` (created if needed;
/// existing files are never replaced). Returns the paths written.
pub fn write(audit: &Audit, dir: &Path) -> Result<Vec<std::path::PathBuf>, Error> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, &e))?;
    let files = [
        ("trace.json", serde_json::to_string_pretty(&audit.trace).unwrap_or_default() + "\n"),
        ("report.md", markdown(audit)),
        ("contributions.svg", chart(&audit.trace)),
    ];
    let mut written = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        pcf_base::atomic::write_new(&path, text.as_bytes(), pcf_base::atomic::Mode::Public).map_err(
            |e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    Error::Usage(format!(
                        "{}: already exists; audit files are never overwritten, choose another --out",
                        path.display()
                    ))
                } else {
                    Error::io(&path, &e)
                }
            },
        )?;
        written.push(path);
    }
    Ok(written)
}

/// The contribution chart: the same chart as `pcf footprint --svg` draws of the recomputed
/// footprint (processes, the largest items, shares and the total).
pub fn chart(trace: &Trace) -> String {
    pcf_footprint::chart::footprint(&trace.footprint)
}

/// The report an auditor files, as Markdown (the chart is `contributions.svg` beside it).
pub fn markdown(audit: &Audit) -> String {
    use pcf_footprint::report::num;
    let (r, t) = (&audit.report, &audit.trace);
    let fp = &t.footprint;
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut s = String::new();
    let _ = writeln!(s, "# Audit of a product carbon footprint declaration\n");
    let _ = writeln!(
        s,
        "**Verdict: {}**\n",
        match r.verdict {
            AuditVerdict::Identical =>
                "IDENTICAL - the declaration is reproduced from the disclosed inventory",
            AuditVerdict::Differs => "DIFFERS - see the checks below",
        }
    );
    let _ = writeln!(s, "| | |\n|---|---|");
    let _ = writeln!(
        s,
        "| Product | {} ({}), per 1 {} |",
        cell(&fp.name),
        cell(&fp.product),
        fp.declared_unit
    );
    let _ = writeln!(s, "| Declaration | {} |", t.declaration.pf_id.as_deref().unwrap_or("-"));
    let _ = writeln!(
        s,
        "| Declaration digest | `{}` |",
        t.declaration.digest.map_or("-".into(), |d| d.to_string())
    );
    let _ = writeln!(s, "| Issuer | `{}` |", t.declaration.issuer.as_deref().unwrap_or("-"));
    let _ = writeln!(s, "| Created | {} |", t.declaration.created.as_deref().unwrap_or("-"));
    let _ = writeln!(
        s,
        "| Methodology | {} {} (`{}`) |",
        t.methodology.id, t.methodology.version, t.methodology.digest
    );
    let _ = writeln!(s, "| Inventory | `{}` |", t.inventory.digest);
    let _ = writeln!(s, "| Recomputed with | {} |\n", t.engine);

    let _ = writeln!(s, "## Checks\n\n| check | result | detail |\n|---|---|---|");
    for c in &r.checks {
        let res = match c.result {
            CheckResult::Same => "same",
            CheckResult::Differs => "**DIFFERS**",
            CheckResult::Note => "note",
        };
        let _ = writeln!(s, "| {} | {res} | {} |", cell(&c.name), cell(&c.detail));
    }

    let _ = writeln!(
        s,
        "\n## Declared and recomputed figures\n\n| field | declared | recomputed | difference |\n|---|---|---|---|"
    );
    for f in &r.fields {
        let _ = writeln!(
            s,
            "| {}{} | {} | {} | {} |",
            cell(&f.field),
            if f.same { "" } else { " **(differs)**" },
            cell(&show(&f.declared)),
            cell(&show(&f.recomputed)),
            f.difference.map_or(String::new(), num)
        );
    }
    if !r.changes.is_empty() {
        let _ = writeln!(
            s,
            "\n## Inputs and factors changed since the previous trace\n\n| what | id | field | before | now |\n|---|---|---|---|---|"
        );
        for c in &r.changes {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} |",
                c.what,
                cell(&c.id),
                cell(&c.field),
                cell(&show(&c.old)),
                cell(&show(&c.new))
            );
        }
    }

    let _ = writeln!(s, "\n## Contributions\n\n![Contribution chart](contributions.svg)\n");
    let _ = writeln!(s, "| process | item | kind | kg CO2e | share |\n|---|---|---|---|---|");
    for h in &fp.hotspots {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {:.1} % |",
            cell(&h.process),
            cell(&h.item),
            h.kind,
            num(h.kg_co2e),
            h.percent
        );
    }
    let tt = &fp.totals;
    let _ = writeln!(
        s,
        "\nTotal excluding biogenic uptake {} kg CO2e; including uptake {}; fossil {}; biogenic non-CO2 {}; land-use change {}; biogenic uptake {} kg CO2.",
        num(tt.excluding_uptake),
        num(tt.including_uptake),
        num(tt.fossil),
        num(tt.biogenic_non_co2),
        num(tt.land_use_change),
        num(tt.biogenic_uptake)
    );

    let _ = writeln!(
        s,
        "\n## Emission factors\n\n| id | per | value | source | licence | dataset | used |\n|---|---|---|---|---|---|---|"
    );
    for f in &t.factors {
        let mut value: Vec<String> =
            f.gases.iter().map(|(g, v)| format!("{g} {}", num(*v))).collect();
        if f.co2e != 0.0 {
            value.push(format!("CO2e {}", num(f.co2e)));
        }
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} |",
            cell(&f.id),
            f.per,
            cell(&value.join(", ")),
            cell(&f.source),
            cell(&f.licence),
            cell(f.dataset.as_deref().unwrap_or("-")),
            if f.used { "yes" } else { "no" }
        );
    }

    let _ = writeln!(
        s,
        "\n## Inputs\n\n| process | input | kind | refers to | amount | stage | data | excluded |\n|---|---|---|---|---|---|---|---|"
    );
    for i in &t.inputs {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} {} | {} | {} | {} |",
            cell(&i.process),
            cell(&i.name),
            i.kind,
            cell(&i.refers_to),
            num(i.amount),
            i.unit,
            i.stage,
            i.data,
            cell(i.excluded.as_deref().unwrap_or(""))
        );
    }
    if !t.emissions.is_empty() {
        let _ = writeln!(
            s,
            "\n## Direct emissions\n\n| process | gas | kg | blend |\n|---|---|---|---|"
        );
        for e in &t.emissions {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} |",
                cell(&e.process),
                e.gas,
                num(e.kg),
                cell(e.blend.as_deref().unwrap_or(""))
            );
        }
    }
    if !t.suppliers.is_empty() {
        let _ = writeln!(
            s,
            "\n## Suppliers' declarations\n\n| supplier | product | kg CO2e per unit | primary data share | signed | digest |\n|---|---|---|---|---|---|"
        );
        for x in &t.suppliers {
            let _ = writeln!(
                s,
                "| {} | {} | {} per {} | {} | {} | `{}` |",
                cell(x.company.as_deref().unwrap_or("-")),
                cell(&x.product),
                num(x.excluding_uptake),
                x.unit,
                x.primary_data_share.map_or("-".into(), |p| format!("{p:.2} %")),
                if x.signed { "yes" } else { "no" },
                x.digest
            );
        }
    }

    let _ = writeln!(s, "\n## Allocation\n");
    if fp.allocations.is_empty() {
        let _ = writeln!(s, "No process has co-products.");
    } else {
        for a in &fp.allocations {
            let shares: Vec<String> =
                a.shares.iter().map(|(p, x)| format!("{p} {:.4}", x)).collect();
            let _ = writeln!(s, "- {}: {} allocation ({})", a.process, a.method, shares.join(", "));
        }
    }
    let _ = writeln!(s, "\n## Exclusions under the cut-off rule\n");
    if fp.exclusions.is_empty() {
        let _ = writeln!(s, "None.");
    } else {
        for e in &fp.exclusions {
            let _ = writeln!(
                s,
                "- {} / {}: {} kg CO2e ({:.3} %), reason: {}",
                e.process,
                e.item,
                num(e.kg_co2e),
                e.percent,
                e.reason
            );
        }
        let _ = writeln!(s, "\nExempted in total: {:.3} %.", tt.exempted_percent);
    }
    if !fp.outside_boundary.is_empty() {
        let _ = writeln!(s, "\nOutside the boundary (not counted):\n");
        for o in &fp.outside_boundary {
            let _ = writeln!(
                s,
                "- {} / {}: {} kg CO2e ({})",
                o.process,
                o.item,
                num(o.kg_co2e),
                o.reason
            );
        }
    }
    let _ = writeln!(s, "\n## Electricity and certificates\n");
    for e in &fp.electricity {
        let _ = writeln!(
            s,
            "- {} / {}: {} {} consumed, {} covered by instruments ({}); rest at {}",
            e.process,
            e.input,
            num(e.consumed),
            e.unit,
            num(e.covered),
            e.accounting,
            e.uncovered_factor
        );
        for i in &e.instruments {
            let _ = writeln!(
                s,
                "  - {} {}: holds {}, used {} - {}",
                i.kind,
                i.serial.as_ref().map_or("(no serial)", |s| s.as_str()),
                num(i.quantity),
                num(i.used),
                i.reason
            );
        }
    }
    if !t.certificates.is_empty() {
        let _ = writeln!(
            s,
            "\n| serial | claimed by this declaration, kWh | certificate holds, kWh |\n|---|---|---|"
        );
        for c in &t.certificates {
            let _ = writeln!(
                s,
                "| {} | {} | {} |",
                cell(&c.serial),
                num(c.claimed_kwh),
                c.quantity_kwh.map_or("-".into(), num)
            );
        }
    }
    for f in &r.certificates {
        let _ = writeln!(s, "\n- {}", cell(&f.to_string().replace('\n', " ")));
    }
    let q = &fp.quality;
    let _ = writeln!(s, "\n## Primary data share and data quality\n");
    let _ = writeln!(
        s,
        "Primary data share {}; DQR technological {}, temporal {}, geographical {} (rated share {}).",
        q.primary_data_share.map_or("-".into(), |x| format!("{x:.2} %")),
        q.technological.map_or("-".into(), |x| format!("{x:.2}")),
        q.temporal.map_or("-".into(), |x| format!("{x:.2}")),
        q.geographical.map_or("-".into(), |x| format!("{x:.2}")),
        q.rated_share.map_or("-".into(), |x| format!("{x:.1} %"))
    );
    let _ = writeln!(
        s,
        "\n## Method\n\nThe declaration was recomputed from the inventory with digest `{}` under methodology {} {} (`{}`), through the same code that issues declarations, and every figure compared at the declared precision. The full calculation trace is `trace.json` beside this report.",
        t.inventory.digest, t.methodology.id, t.methodology.version, t.methodology.digest
    );
    s
}
