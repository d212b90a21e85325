//! Worked cases of the bundled examples: every figure derived by hand, step by step, from the
//! inventory's amounts, the supplier declaration's figure, the factors, and the methodology's
//! GWPs and rules, then compared with the library (1e-9 relative) and with `pcf footprint
//! --json`. Where a second route exists (by gas instead of by process; conservation of an
//! allocated burden), it is checked too. No expected number here was copied from program output.

use std::path::PathBuf;

use pcf::engine::{self, EngineError, Footprint, Footprints};
use pcf::inventory::Inventory;
use pcf::methodology::Methodology;

use crate::util;

/// GWP100 values the derivations use, as written in the methodology files' `[gwp.factors]`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Gwp {
    pub ch4_fossil: f64,
    pub ch4_non_fossil: f64,
    pub n2o: f64,
    pub hfc_32: f64,
    pub hfc_125: f64,
}

/// IPCC AR6, as in `pact-3.0` and `iso-14067-2018`.
pub(crate) const AR6: Gwp =
    Gwp { ch4_fossil: 29.8, ch4_non_fossil: 27.0, n2o: 273.0, hfc_32: 771.0, hfc_125: 3740.0 };
/// IPCC AR5, as in `eu-cbam-2026`.
pub(crate) const AR5: Gwp =
    Gwp { ch4_fossil: 30.0, ch4_non_fossil: 28.0, n2o: 265.0, hfc_32: 677.0, hfc_125: 3170.0 };

/// Asserts that `m` characterizes with exactly the values of `g` (so a derivation below cannot
/// silently use a table the methodology file does not have).
pub(crate) fn assert_gwp(m: &Methodology, g: &Gwp) {
    let f = &m.rules.gwp.factors;
    for (gas, v) in [
        ("co2-fossil", 1.0),
        ("ch4-fossil", g.ch4_fossil),
        ("ch4-non-fossil", g.ch4_non_fossil),
        ("n2o", g.n2o),
        ("hfc-32", g.hfc_32),
        ("hfc-125", g.hfc_125),
    ] {
        assert_eq!(f.get(gas), Some(&v), "{} GWP of {gas}", m.id());
    }
}

pub(crate) fn close(actual: f64, expected: f64, what: &str) {
    let rel = (actual - expected).abs() / expected.abs().max(1e-300);
    assert!(rel <= 1e-9, "{what}: expected {expected}, got {actual} (relative error {rel:e})");
}

fn example(name: &str) -> PathBuf {
    util::root().join("examples").join(name).join("inventory.toml")
}

fn library(path: &std::path::Path, m: &Methodology) -> Footprints {
    let inv = Inventory::load(path).unwrap_or_else(|e| panic!("{e}"));
    engine::footprint(&inv, m).unwrap_or_else(|e| panic!("{e}"))
}

fn cli(path: &std::path::Path, methodology: &str) -> Footprints {
    let out = util::pcf(
        &util::root(),
        &["footprint", path.to_str().unwrap(), "--methodology", methodology, "--json"],
    );
    assert!(out.status.success(), "{}", util::stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn product<'a>(f: &'a Footprints, id: &str) -> &'a Footprint {
    f.products.iter().find(|p| p.product == id).unwrap_or_else(|| panic!("no product {id}"))
}

// ---------------------------------------------------------------------------------------------
// Steel bracket (examples/steel-bracket/inventory.toml), pact-3.0: 2.709701 kg CO2e per piece
// (2.691439 up to pact-3.0 1.1.0, which counted the GECs at zero).
// ---------------------------------------------------------------------------------------------

/// The bracket's figures derived by hand, kg CO2e.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bracket {
    /// Everything the stamping process emits (before allocation).
    pub stamping: f64,
    /// The blank's share of stamping.
    pub blank_share: f64,
    /// What galvanizing adds itself.
    pub galvanizing: f64,
    /// kg CO2e per bracket.
    pub per_piece: f64,
    /// The excluded stretch film, per bracket.
    pub exempted_per_piece: f64,
}

// Amounts of examples/steel-bracket/inventory.toml, in kg, kWh, tkm and TJ.
const COIL_KG: f64 = 935.0 * 1000.0; // supplier input, 935 t
const COIL_PCF: f64 = 2.052577; // suppliers/hot-rolled-coil.json: pcfExcludingBiogenicUptake per 1 kg
const FREIGHT_TKM: f64 = 168_300.0;
const FREIGHT_CO2: f64 = 0.078; // truck-freight, per tkm
const FREIGHT_CH4: f64 = 0.000004;
const FREIGHT_N2O: f64 = 0.000003;
const GRID: f64 = 0.5366; // dataset cn-grid@2022, kg CO2 per kWh
const STAMP_KWH: f64 = 1200.0 * 1000.0;
pub(crate) const STAMP_GEC_KWH: f64 = 400.0 * 1000.0; // serial-numbered GEC, accepted by pact-3.0
const R410A_KG: f64 = 12.0; // composition hfc-32 0.5, hfc-125 0.5
const BLANK_KG: f64 = 850.0 * 1000.0;
const SCRAP_KG: f64 = 85.0 * 1000.0;
const ZINC_KG: f64 = 30.0 * 1000.0;
const ZINC_CO2E: f64 = 3.6;
const NG_TJ: f64 = 1600.0 / 1000.0; // 1600 GJ
const NG_CO2: f64 = 56_100.0; // ipcc-2006 natural-gas-manufacturing, per TJ
const NG_CH4: f64 = 1.0;
const NG_N2O: f64 = 0.1;
const GALV_KWH: f64 = 800.0 * 1000.0;
pub(crate) const GALV_GEC_KWH: f64 = 200.0 * 1000.0;
/// The GECs (technology "wind", no factor) under pact-3.0 1.2.0, gb-t-24067-2024 and
/// iso-14067-2018 1.2.0 (`technology-default`): cn-grid `2024-footprint-wind`, kg CO2e per kWh.
pub(crate) const GEC_WIND: f64 = 0.0324;
/// The GECs under the files that count an instrument without a factor as zero (pact-3.0 and
/// iso-14067-2018 up to 1.1.0, gb-t-24067-2024 up to 1.1.0).
pub(crate) const GEC_ZERO: f64 = 0.0;
const FILM_KG: f64 = 2.0 * 1000.0; // excluded under the cut-off
const FILM_CO2E: f64 = 2.6;
const PIECES: f64 = 1_000_000.0;

/// The bracket by process. `market_based`: the GECs cover their MWh at `gec` kg CO2e per kWh
/// (pact-3.0: market-based, `gec` accepted, serial required and given; no residual mix in the
/// inventory, so the rest is at the grid factor); otherwise every kWh is at the grid factor.
pub(crate) fn bracket_by_hand(g: &Gwp, market_based: bool, gec: f64) -> Bracket {
    let (stamp_gec, galv_gec) =
        if market_based { (STAMP_GEC_KWH, GALV_GEC_KWH) } else { (0.0, 0.0) };
    // Stamping: coil + freight + uncovered electricity + the R-410A blend.
    let coil = COIL_KG * COIL_PCF;
    let freight = FREIGHT_TKM * (FREIGHT_CO2 + FREIGHT_CH4 * g.ch4_fossil + FREIGHT_N2O * g.n2o);
    let stamp_electricity = (STAMP_KWH - stamp_gec) * GRID + stamp_gec * gec;
    let refrigerant = R410A_KG * (0.5 * g.hfc_32 + 0.5 * g.hfc_125);
    let stamping = coil + freight + stamp_electricity + refrigerant;
    // Mass allocation (pact-3.0 default) between blank and scrap.
    let blank_share = BLANK_KG / (BLANK_KG + SCRAP_KG);
    // Galvanizing uses all 850 t of blanks made, so carries all of the blank's share.
    let zinc = ZINC_KG * ZINC_CO2E;
    let gas = NG_TJ * (NG_CO2 + NG_CH4 * g.ch4_fossil + NG_N2O * g.n2o);
    let galv_electricity = (GALV_KWH - galv_gec) * GRID + galv_gec * gec;
    let galvanizing = zinc + gas + galv_electricity;
    Bracket {
        stamping,
        blank_share,
        galvanizing,
        per_piece: (stamping * blank_share + galvanizing) / PIECES,
        exempted_per_piece: FILM_KG * FILM_CO2E / PIECES,
    }
}

#[test]
fn steel_bracket_worked_case_pact_3_0() {
    let m = Methodology::shipped("pact-3.0").unwrap();
    assert_gwp(&m, &AR6);
    assert_eq!(m.version(), "1.3.0");
    let hand = bracket_by_hand(&AR6, true, GEC_WIND);
    // Written out: stamping = 1 919 159.495 + 13 285.29906 + (429 280 + 12 960) + 27 066 kg
    // (the 400 MWh GEC at the wind default 0.0324: 12 960 kg); the blank's share 850/935 =
    // 10/11; galvanizing = 108 000 + 89 851.36 + (321 960 + 6 480) kg; per piece 2.709701.
    close(
        hand.stamping,
        1_919_159.495 + 13_285.299_06 + 429_280.0 + 12_960.0 + 27_066.0,
        "stamping",
    );
    close(hand.blank_share, 10.0 / 11.0, "blank share");
    close(hand.galvanizing, 108_000.0 + 89_851.36 + 321_960.0 + 6_480.0, "galvanizing");
    assert_eq!(format!("{:.6}", hand.per_piece), "2.709701");
    // Before (pact-3.0 1.1.0, GECs at zero): 2.691439; the change is the GECs' wind
    // footprint, (12 960 x 10/11 + 6 480) / 1 000 000 = 0.018262 kg per piece.
    let before = bracket_by_hand(&AR6, true, GEC_ZERO).per_piece;
    assert_eq!(format!("{:.6}", before), "2.691439");
    close(hand.per_piece - before, (12_960.0 * 10.0 / 11.0 + 6_480.0) / PIECES, "change");
    let path = util::root().join("methodologies/archive/pact-3.0@1.1.0.toml");
    let old = Methodology::load(&path).unwrap();
    close(
        product(&library(&example("steel-bracket"), &old), "bracket").totals.excluding_uptake,
        before,
        "1.1.0",
    );

    // Second route, by gas (kg of each gas per piece, then characterized), the not-split
    // supplier and zinc figures apart.
    let s = hand.blank_share;
    // The wind default is a life-cycle figure in CO2e, not split by gas.
    let unsplit = (COIL_KG * COIL_PCF * s
        + ZINC_KG * ZINC_CO2E
        + (STAMP_GEC_KWH * s + GALV_GEC_KWH) * GEC_WIND)
        / PIECES;
    let co2 = ((FREIGHT_TKM * FREIGHT_CO2 + (STAMP_KWH - STAMP_GEC_KWH) * GRID) * s
        + NG_TJ * NG_CO2
        + (GALV_KWH - GALV_GEC_KWH) * GRID)
        / PIECES;
    let ch4 = (FREIGHT_TKM * FREIGHT_CH4 * s + NG_TJ * NG_CH4) / PIECES;
    let n2o = (FREIGHT_TKM * FREIGHT_N2O * s + NG_TJ * NG_N2O) / PIECES;
    let hfc = R410A_KG * 0.5 * s / PIECES; // each of hfc-32 and hfc-125
    let by_gas_total =
        unsplit + co2 + ch4 * AR6.ch4_fossil + n2o * AR6.n2o + hfc * AR6.hfc_32 + hfc * AR6.hfc_125;
    close(by_gas_total, hand.per_piece, "by gas vs by process");

    for (route, f) in [
        ("library", library(&example("steel-bracket"), &m)),
        ("cli", cli(&example("steel-bracket"), "pact-3.0")),
    ] {
        let b = product(&f, "bracket");
        let t = &b.totals;
        close(t.excluding_uptake, hand.per_piece, route);
        close(t.including_uptake, hand.per_piece, route); // no biogenic uptake anywhere
        close(t.fossil, hand.per_piece, route); // every source is fossil
        close(t.exempted, hand.exempted_per_piece, route);
        close(
            t.exempted_percent,
            100.0 * hand.exempted_per_piece / (hand.per_piece + hand.exempted_per_piece),
            route,
        );
        assert_eq!((t.direct, t.indirect), (None, None), "{route}: pact-3.0 does not split");
        let line = |name: &str| b.by_process.iter().find(|l| l.name == name).unwrap().kg_co2e;
        close(line("stamping"), hand.stamping * hand.blank_share / PIECES, route);
        close(line("galvanizing"), hand.galvanizing / PIECES, route);
        let gas = |name: &str| b.by_gas.iter().find(|l| l.gas == name).unwrap();
        close(gas("co2-fossil").kg, co2, route);
        close(gas("ch4-fossil").kg, ch4, route);
        close(gas("n2o").kg, n2o, route);
        close(gas("hfc-32").kg, hfc, route);
        close(gas("hfc-125").kg, hfc, route);
        close(gas("CO2e not split by gas (declared or pre-characterized)").kg_co2e, unsplit, route);
        let shares = &b.allocations[0].shares;
        assert_eq!(b.allocations[0].process, "stamping");
        close(shares.iter().find(|s| s.0 == "blank").unwrap().1, 10.0 / 11.0, route);
    }
}

// ---------------------------------------------------------------------------------------------
// Soybean crushing (examples/soybean-crushing/inventory.toml), iso-14067-2018.
// ---------------------------------------------------------------------------------------------

#[test]
fn soybean_crushing_worked_case_iso_14067() {
    let m = Methodology::shipped("iso-14067-2018").unwrap();
    assert_gwp(&m, &AR6);
    let r = &m.rules.biogenic;
    assert!(r.count_co2_emissions && r.count_uptake && r.count_land_use_change);

    // Inputs of the crushing process (kg, TJ, kWh) and their factors.
    let beans = 1_000_000.0 * 1000.0; // 1 000 000 t
    let (bean_co2, bean_n2o, bean_luc, bean_uptake) = (0.35, 0.0006, 0.30, 1.55); // per kg
    let hexane = 600.0 * 1000.0; // 600 t at 1.1 kg CO2e/kg, pre-characterized (fossil)
    let gas_tj = 700_000.0 / 1000.0; // 700 000 GJ natural gas
    let kwh = 40_000.0 * 1000.0; // grid, no instruments
    let lagoon_ch4 = 180.0 * 1000.0; // ch4-non-fossil, kg

    // Channels of the whole process, kg.
    let fossil = beans * (bean_co2 + bean_n2o * AR6.n2o)
        + hexane * 1.1
        + gas_tj * (56_100.0 + 1.0 * AR6.ch4_fossil + 0.1 * AR6.n2o)
        + kwh * 0.5366;
    let biogenic_non_co2 = lagoon_ch4 * AR6.ch4_non_fossil;
    let luc = beans * bean_luc;
    let uptake = beans * bean_uptake;
    // fossil = 513 800 000 + 660 000 + 39 309 970 + 21 464 000
    close(fossil, 513_800_000.0 + 660_000.0 + 39_309_970.0 + 21_464_000.0, "fossil");
    // Economic allocation on revenue: meal 790 000 t at 3.6, oil 190 000 t at 8.5.
    let (meal_kg, oil_kg) = (790_000.0 * 1000.0, 190_000.0 * 1000.0);
    let (meal_rev, oil_rev) = (meal_kg * 3.6, oil_kg * 8.5);
    let meal_share = meal_rev / (meal_rev + oil_rev);
    let oil_share = oil_rev / (meal_rev + oil_rev);
    close(meal_share, 2844.0 / 4459.0, "meal share");

    for (route, f) in [
        ("library", library(&example("soybean-crushing"), &m)),
        ("cli", cli(&example("soybean-crushing"), "iso-14067-2018")),
    ] {
        for (id, share, kg) in [("meal", meal_share, meal_kg), ("oil", oil_share, oil_kg)] {
            let t = &product(&f, id).totals;
            let what = format!("{route} {id}");
            close(t.fossil, fossil * share / kg, &what);
            close(t.biogenic_non_co2, biogenic_non_co2 * share / kg, &what);
            close(t.land_use_change, luc * share / kg, &what);
            close(t.biogenic_uptake, uptake * share / kg, &what);
            assert_eq!(t.biogenic_co2_emissions, 0.0, "{what}");
            let excluding = (fossil + biogenic_non_co2 + luc) * share / kg;
            close(t.excluding_uptake, excluding, &what);
            close(t.including_uptake, excluding - uptake * share / kg, &what);
            // Invariants: the channels add up; the uptake is counted in "including".
            close(t.fossil + t.biogenic_non_co2 + t.land_use_change, t.excluding_uptake, &what);
            close(t.excluding_uptake - t.biogenic_uptake, t.including_uptake, &what);
        }
        let shares = &product(&f, "meal").allocations[0].shares;
        close(shares.iter().find(|s| s.0 == "meal").unwrap().1, meal_share, route);
        close(shares.iter().find(|s| s.0 == "oil").unwrap().1, oil_share, route);
        // Second route, without the shares: the allocated burdens add back up to the process
        // total, and economic allocation makes the burden per kg proportional to the price.
        let (meal, oil) = (&product(&f, "meal").totals, &product(&f, "oil").totals);
        close(
            meal.excluding_uptake * meal_kg + oil.excluding_uptake * oil_kg,
            fossil + biogenic_non_co2 + luc,
            route,
        );
        close(meal.biogenic_uptake * meal_kg + oil.biogenic_uptake * oil_kg, uptake, route);
        close(meal.excluding_uptake / oil.excluding_uptake, 3.6 / 8.5, route);
    }
}

// ---------------------------------------------------------------------------------------------
// EU CBAM (eu-cbam-2026).
// ---------------------------------------------------------------------------------------------

/// The released eu-cbam-2026 1.0.0, kept byte for byte in methodologies/archive.
fn eu_cbam_1_0_0() -> (PathBuf, Methodology) {
    let path = util::root().join("methodologies/archive/eu-cbam-2026@1.0.0.toml");
    let m = Methodology::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(m.version(), "1.0.0");
    (path, m)
}

#[test]
fn bundled_examples_under_eu_cbam_fail_with_the_exact_rule() {
    let error = |name: &str, m: &Methodology| {
        let path = example(name);
        let inv = Inventory::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let err = engine::footprint(&inv, m).unwrap_err();
        (path.display().to_string(), err)
    };
    // Under 1.0.0 (the allocation rules are unchanged in 2.0.0, which stops earlier, at the
    // gases): the bracket's stamping splits its burden between blank and scrap by mass; CBAM
    // allows only physical attribution by the goods' functional unit, which needs `physical`.
    let (_, old) = eu_cbam_1_0_0();
    let (file, err) = error("steel-bracket", &old);
    assert_eq!(
        err,
        EngineError::Rule {
            file,
            pointer: "/processes/0/outputs/0".into(),
            problem: "physical allocation needs `physical` on every output of process \
                      \"stamping\""
                .into(),
            help: "add `physical` (per unit of output) to this output".into(),
        }
    );
    // The soybean crushing asks for economic allocation, which CBAM does not allow.
    let (file, err) = error("soybean-crushing", &old);
    assert_eq!(
        err,
        EngineError::Rule {
            file,
            pointer: "/processes/0/allocation".into(),
            problem: "methodology eu-cbam-2026 does not allow economic allocation".into(),
            help: "use one of: physical".into(),
        }
    );
    // 2.0.0 characterizes only the gases of Regulation (EU) 2023/956 Annex I, so the first
    // gas outside them fails: the bracket's refrigerant leak (HFC-125), the soybean plant's
    // non-fossil methane, and the methane of the IPCC coal factor of the park's CHP (which
    // ran under 1.0.0, counting that methane in an aluminium figure).
    let m = Methodology::shipped("eu-cbam-2026").unwrap();
    for (name, pointer, gas) in [
        ("steel-bracket", "/processes/0/emissions/0", "hfc-125"),
        ("soybean-crushing", "/processes/0/emissions/0", "ch4-non-fossil"),
        ("park-utilities", "/processes/0/inputs/0", "ch4-fossil"),
    ] {
        let (file, err) = error(name, &m);
        assert_eq!(
            err,
            EngineError::Rule {
                file,
                pointer: pointer.into(),
                problem: format!(
                    "gas \"{gas}\" is not a greenhouse gas of any CBAM good: Regulation (EU) \
                     2023/956 Annex I, as methodology eu-cbam-2026 encodes it, names only \
                     co2-biogenic, co2-fossil, n2o, pfc-116, pfc-14"
                ),
                help: CBAM_GAS_HELP.into(),
            },
            "{name}"
        );
    }
    assert!(engine::footprint(&Inventory::load(&example("park-utilities")).unwrap(), &old).is_ok());
}

/// The help of the error for a gas outside the CBAM gases.
const CBAM_GAS_HELP: &str = "list only CBAM gases (Regulation (EU) 2023/956 Annex I); for a \
                             fuel, a CO2-only combustion factor, as the EU ETS monitors";

/// examples/steel-bracket-cbam, derived by hand: (direct, indirect) in kg CO2e per kg of
/// bracket (= t CO2e per t of goods), where "indirect" is every indirect emission whether the
/// methodology counts it or not.
///
/// Rules assumed, as in methodologies/eu-cbam-2026.toml (1.0.0 and 2.0.0 alike): AR5 GWPs;
/// purchased inputs count only when marked precursors (the zinc is not: outside); upstream
/// transport outside the boundary; fuels and process emissions direct; electricity indirect at
/// the grid factor except what a serial-numbered PPA covers (a GEC is not accepted); a
/// precursor's declared direct and indirect embedded emissions carried as such; the scrap gets
/// zero by its functional unit. 1.0.0 counts direct + indirect; 2.0.0 counts only direct for
/// these Annex II goods (bracket 7326 90 98, blank 7326 19 90, coil 7208 38 00).
fn bracket_cbam_by_hand() -> (f64, f64) {
    // Stamping: 935 t coil declared at 1850 kg direct + 150 kg indirect per 1000 kg.
    let coil_direct = 935_000.0 * 1850.0 / 1000.0;
    let coil_indirect = 935_000.0 * 150.0 / 1000.0;
    // 1200 MWh; the 400 MWh GEC is refused, the 300 MWh PPA (no factor) covers at zero.
    let stamp_electricity = (1_200_000.0 - 300_000.0) * 0.5366;
    // Functional-unit attribution: blank 850 t x 1.0, scrap 85 t x 0.0.
    let (blank_t, blank_unit, scrap_t, scrap_unit) = (850.0, 1.0, 85.0, 0.0);
    let blank_share = blank_t * blank_unit / (blank_t * blank_unit + scrap_t * scrap_unit);
    // Galvanizing: 1600 GJ natural gas at the CO2-only factor 56 100 kg/TJ, 2 t process CO2,
    // 800 MWh at the grid factor.
    let gas = 1.6 * 56_100.0;
    let limestone = 2000.0;
    let galv_electricity = 800_000.0 * 0.5366;
    let bracket_kg = 880_000.0;
    let direct = (coil_direct * blank_share + gas + limestone) / bracket_kg;
    let indirect =
        ((coil_indirect + stamp_electricity) * blank_share + galv_electricity) / bracket_kg;
    (direct, indirect)
}

#[test]
fn steel_bracket_cbam_variant_worked_case() {
    let m = Methodology::shipped("eu-cbam-2026").unwrap();
    // The GWPs the derivation uses (only CO2 enters it; N2O for the freight outside).
    assert_eq!(m.rules.gwp.factors.get("co2-fossil"), Some(&1.0));
    assert_eq!(m.rules.gwp.factors.get("n2o"), Some(&AR5.n2o));
    // The rules the derivation assumes, read from the file.
    let r = &m.rules;
    assert!(r.reporting.split_direct_indirect);
    assert_eq!(r.boundary.purchased_inputs, pcf::methodology::PurchasedInputs::Precursors);
    assert_eq!(r.electricity.uncovered, pcf::methodology::Uncovered::Grid);
    use pcf::inventory::InstrumentKind as I;
    assert_eq!(r.electricity.accepted_instruments, [I::Ppa, I::Onsite]);
    let cbam = r.cbam.as_ref().unwrap();
    for cn in ["73269098", "73261990", "72083800"] {
        assert!(cbam.category(cn).unwrap().direct_only, "{cn}");
    }
    assert!(cbam.category("72044110").is_none(), "scrap is not a CBAM good");

    let (direct, indirect) = bracket_cbam_by_hand();
    // Written out: direct (1 729 750 + 89 760 + 2000) / 880 000 = 1 821 510 / 880 000
    // = 2.069898; indirect (140 250 + 482 940 + 429 280) / 880 000 = 1 052 470 / 880 000
    // = 1.195989.
    close(direct, 1_821_510.0 / 880_000.0, "direct");
    close(indirect, 1_052_470.0 / 880_000.0, "indirect");

    let path = example("steel-bracket-cbam");
    let (old_path, old) = eu_cbam_1_0_0();
    let old_cli = cli(&path, old_path.to_str().unwrap());
    for (route, f, counts_indirect) in [
        ("library", library(&path, &m), false),
        ("cli", cli(&path, "eu-cbam-2026"), false),
        ("library 1.0.0", library(&path, &old), true),
        ("cli 1.0.0", old_cli, true),
    ] {
        let b = product(&f, "bracket");
        let t = &b.totals;
        close(t.direct.unwrap(), direct, route);
        if counts_indirect {
            // 1.0.0: 2.069898 + 1.195989 = 3.265886 t CO2e per t.
            close(t.indirect.unwrap(), indirect, route);
            close(t.excluding_uptake, direct + indirect, route);
            assert_eq!(t.indirect_not_counted, None, "{route}");
        } else {
            // 2.0.0: 2.069898 embedded; the 1.195989 indirect reported as not counted.
            assert_eq!(t.indirect, Some(0.0), "{route}");
            close(t.indirect_not_counted.unwrap(), indirect, route);
            close(t.excluding_uptake, direct, route);
        }
        assert_eq!(t.exempted, 0.0, "{route}: CBAM allows no cut-off");
        // What is left out, and why, by hand too (AR5; 2.0.0 has no CH4 GWP, and the freight
        // is outside the boundary, so its methane is left out of the reported figure).
        let outside = |item: &str| {
            b.outside_boundary.iter().find(|o| o.item.starts_with(item)).unwrap().kg_co2e
        };
        close(outside("Special high grade zinc"), 30_000.0 * 3.6 / 880_000.0, route);
        let ch4 = if counts_indirect { 0.000004 * AR5.ch4_fossil } else { 0.0 };
        close(
            outside("Road freight"),
            168_300.0 * (0.078 + ch4 + 0.000003 * AR5.n2o) / 880_000.0,
            route,
        );
        let stamping = b.electricity.iter().find(|e| e.process == "stamping").unwrap();
        assert_eq!(stamping.covered, 300_000.0, "{route}");
        let counted: Vec<(bool, f64)> =
            stamping.instruments.iter().map(|i| (i.counted, i.used)).collect();
        assert_eq!(counted, [(false, 0.0), (true, 300_000.0)], "{route}: GEC refused, PPA used");
    }
}

// ---------------------------------------------------------------------------------------------
// Life-cycle electricity (issue 11, correction 2): gb-t-24067-2024 1.1.0 and iso-14067-2018
// 1.1.0 require `life-cycle` electricity factors; the bracket's `dataset:cn-grid@2022` is the
// MEE/NBS combustion CO2 factor (kind `combustion-co2`).
// ---------------------------------------------------------------------------------------------

/// The released gb-t-24067-2024 1.0.0 or iso-14067-2018 1.0.0, kept in methodologies/archive.
fn archived(id: &str) -> Methodology {
    let path = util::root().join(format!("methodologies/archive/{id}@1.0.0.toml"));
    let m = Methodology::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((m.id(), m.version()), (id, "1.0.0"));
    assert_eq!(m.rules.electricity.grid_factor_kind, None);
    m
}

/// Electricity of the bracket not covered by its GECs, kWh per piece: stamping's 800 000 kWh
/// (1 200 000 less the 400 000 kWh GEC) times the blank's mass share 850/935, plus
/// galvanizing's 600 000 kWh (800 000 less 200 000), over 1 000 000 pieces:
/// (727 272.727 + 600 000) / 1 000 000 = 1.327273 kWh.
fn bracket_uncovered_kwh_per_piece() -> f64 {
    let blank_share = BLANK_KG / (BLANK_KG + SCRAP_KG);
    ((STAMP_KWH - STAMP_GEC_KWH) * blank_share + (GALV_KWH - GALV_GEC_KWH)) / PIECES
}

/// The bracket example with its two electricity inputs at `factor` instead of cn-grid@2022.
fn bracket_with_electricity(factor: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = util::bracket_example();
    let path = dir.path().join("inventory.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.matches("factor = \"dataset:cn-grid@2022\"").count(), 2);
    let text = text.replace("dataset:cn-grid@2022", factor);
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

#[test]
fn gb_t_requires_life_cycle_electricity_factors() {
    let new = Methodology::shipped("gb-t-24067-2024").unwrap();
    assert_ne!(new.version(), "1.0.0");
    let e = &new.rules.electricity;
    assert_eq!(e.grid_factor_kind, Some(pcf::inventory::FactorKind::LifeCycle));
    assert_eq!(e.on_factor_kind_mismatch, Some(pcf::methodology::KindMismatch::Error));
    assert_eq!(e.accounting, pcf::methodology::ElectricityAccounting::MarketBased);
    assert_eq!(e.uncovered, pcf::methodology::Uncovered::ResidualMixOrGrid);
    let old = archived("gb-t-24067-2024");
    let v1_1 =
        Methodology::load(&util::root().join("methodologies/archive/gb-t-24067-2024@1.1.0.toml"))
            .unwrap();
    assert_gwp(&new, &AR6);
    assert_gwp(&old, &AR6);

    // Before (1.0.0): the combustion CO2 grid factor 0.5366, GECs at zero, mass allocation,
    // exactly the pact-3.0 1.1.0 derivation: 2.691439 kg CO2e per piece.
    let before = bracket_by_hand(&AR6, true, GEC_ZERO).per_piece;
    close(before, 2.691_439_354_6, "bracket before");
    let path = example("steel-bracket");
    close(product(&library(&path, &old), "bracket").totals.excluding_uptake, before, "1.0.0");

    // After (1.1.0 and later): the same inventory is refused, naming the factor and its
    // replacement.
    let inv = Inventory::load(&path).unwrap();
    assert_eq!(engine::footprint(&inv, &v1_1).unwrap_err().to_string(), {
        engine::footprint(&inv, &new).unwrap_err().to_string()
    });
    let err = engine::footprint(&inv, &new).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: at /processes/0/inputs/2: electricity input \"Electricity, stamping presses\" \
             applies factor dataset:cn-grid@2022 of kind combustion-co2; gb-t-24067-2024 \
             requires a life-cycle electricity factor\n  help: use a life-cycle factor \
             instead, e.g. `factor = \"dataset:cn-grid@2024-footprint\"`",
            path.display()
        )
    );

    // 1.1.0 with the 2023 life-cycle factor 0.6205 instead of 0.5366: + 1.327273 kWh x
    // 0.0839 = + 0.111358 kg, so 2.691439 -> 2.802798 kg CO2e per piece (the GECs count at
    // zero up to 1.1.0; 1.2.0 below gives them the wind default, correction 3).
    let kwh = bracket_uncovered_kwh_per_piece();
    close(kwh, 1_327_272.727_272_727_3 / PIECES, "uncovered kWh per piece");
    for (factor, value, expected) in [
        ("dataset:cn-grid@2023-footprint", 0.6205, 2.802_797_536_418_182),
        // 2024: + 1.327273 x (0.5777 - 0.5366) = + 0.054551 -> 2.745990.
        ("dataset:cn-grid@2024-footprint", 0.5777, 2.745_990_263_690_91),
    ] {
        let by_hand = before + kwh * (value - GRID);
        close(by_hand, expected, factor);
        let (_dir, variant) = bracket_with_electricity(factor);
        let bracket = library(&variant, &v1_1);
        let bracket = product(&bracket, "bracket");
        close(bracket.totals.excluding_uptake, expected, &format!("{factor} 1.1.0"));
        assert!(bracket.electricity.iter().all(|r| r.notes.is_empty()), "1.1.0");
    }

    // 1.2.0: the GECs (technology "wind", no factor) take the wind default 0.0324:
    // + (400 000 x 10/11 + 200 000) x 0.0324 / 1 000 000 = + 0.018262 kg per piece, so
    // 2.802798 -> 2.821059 (2023 grid) and 2.745990 -> 2.764252 (2024 grid). No residual mix
    // in the inventory: each record notes the double count.
    let gec = (STAMP_GEC_KWH * 10.0 / 11.0 + GALV_GEC_KWH) * GEC_WIND / PIECES;
    close(gec, 0.018_261_818_181_818_18, "GECs at the wind default");
    for (factor, value, expected) in [
        ("dataset:cn-grid@2023-footprint", 0.6205, 2.821_059_354_6),
        ("dataset:cn-grid@2024-footprint", 0.5777, 2.764_252_081_872_727),
    ] {
        let by_hand = before + kwh * (value - GRID) + gec;
        close(by_hand, expected, factor);
        let (_dir, variant) = bracket_with_electricity(factor);
        let grid = factor.replace("dataset:cn-grid@", "dataset.cn-grid.");
        let note = |claimed: u32, consumed: u32| {
            format!(
                "{claimed} kWh of {consumed} kWh are claimed by instruments while the uncovered \
                 {} kWh take the grid average {grid} for want of a residual-mix factor: the \
                 claimed generation is also in the grid average, so its attributes are counted \
                 twice (gb-t-24067-2024 `electricity.on_claim_without_residual = \"note\"`)",
                consumed - claimed
            )
        };
        for (route, f) in
            [("library", library(&variant, &new)), ("cli", cli(&variant, "gb-t-24067-2024"))]
        {
            let bracket = product(&f, "bracket");
            close(bracket.totals.excluding_uptake, expected, &format!("{factor} {route}"));
            let notes: Vec<_> = bracket.electricity.iter().map(|r| r.notes.clone()).collect();
            assert_eq!(notes, [[note(400_000, 1_200_000)], [note(200_000, 800_000)]], "{route}");
        }
    }
}

#[test]
fn iso_14067_warns_about_combustion_electricity_factors() {
    let new = Methodology::shipped("iso-14067-2018").unwrap();
    assert_ne!(new.version(), "1.0.0");
    let e = &new.rules.electricity;
    assert_eq!(e.grid_factor_kind, Some(pcf::inventory::FactorKind::LifeCycle));
    assert_eq!(e.on_factor_kind_mismatch, Some(pcf::methodology::KindMismatch::Warn));
    let old = archived("iso-14067-2018");
    let v1_1 =
        Methodology::load(&util::root().join("methodologies/archive/iso-14067-2018@1.1.0.toml"))
            .unwrap();
    let path = example("steel-bracket");
    // 1.1.0 leaves the figure unchanged (mass allocation, GECs at zero, cn-grid@2022 counted):
    // 2.691439.
    let before = bracket_by_hand(&AR6, true, GEC_ZERO).per_piece;
    let (a, b) = (library(&path, &old), library(&path, &v1_1));
    close(product(&a, "bracket").totals.excluding_uptake, before, "1.0.0");
    close(product(&b, "bracket").totals.excluding_uptake, before, "1.1.0");
    // ... but each electricity record carries the warning, and `pcf footprint` prints it.
    let note = |input: &str| {
        format!(
            "electricity input \"{input}\" applies factor dataset:cn-grid@2022 of kind \
             combustion-co2; iso-14067-2018 requires a life-cycle electricity factor (counted; \
             use a life-cycle factor instead, e.g. `factor = \"dataset:cn-grid@2024-footprint\"`)"
        )
    };
    let notes: Vec<Vec<String>> =
        product(&b, "bracket").electricity.iter().map(|r| r.notes.clone()).collect();
    assert_eq!(
        notes,
        [vec![note("Electricity, stamping presses")], vec![note("Electricity, galvanizing line")]]
    );
    assert!(product(&a, "bracket").electricity.iter().all(|r| r.notes.is_empty()));
    let out = util::pcf(
        &util::root(),
        &["footprint", path.to_str().unwrap(), "--methodology", "iso-14067-2018"],
    );
    assert!(out.status.success(), "{}", util::stderr(&out));
    let text = util::stdout(&out);
    assert!(text.contains(&format!("    note: {}", note("Electricity, stamping presses"))));

    // An inline factor without a kind is accepted and noted, not checked.
    let (_dir, variant) = bracket_with_electricity("grid-inline");
    let inventory = std::fs::read_to_string(&variant).unwrap()
        + "\n[[factors]]\nid = \"grid-inline\"\nname = \"Grid, inline\"\nper = \"kWh\"\n\
           gases = { \"co2-fossil\" = 0.5366 }\nsource = \"test\"\nlicence = \"test\"\n";
    std::fs::write(&variant, inventory).unwrap();
    let f = library(&variant, &v1_1);
    close(product(&f, "bracket").totals.excluding_uptake, before, "inline");
    assert_eq!(
        product(&f, "bracket").electricity[0].notes,
        ["factor \"grid-inline\" does not state its kind; iso-14067-2018 requires life-cycle \
          electricity factors (accepted, not checked)"]
    );

    // 1.2.0: the GECs (technology "wind") take the wind default (correction 3): 2.691439 +
    // (400 000 x 10/11 + 200 000) x 0.0324 / 1 000 000 = 2.709701; no residual mix, so the
    // double count is noted before the kind warning (correction 4).
    let after = bracket_by_hand(&AR6, true, GEC_WIND).per_piece;
    assert_eq!(format!("{after:.6}"), "2.709701");
    let c = library(&path, &new);
    close(product(&c, "bracket").totals.excluding_uptake, after, "1.2.0");
    let stamping = &product(&c, "bracket").electricity[0];
    assert_eq!(stamping.notes.len(), 2);
    assert!(stamping.notes[0].starts_with(
        "400000 kWh of 1200000 kWh are claimed by instruments while the uncovered 800000 kWh \
         take the grid average dataset.cn-grid.2022"
    ));
    assert_eq!(stamping.notes[1], note("Electricity, stamping presses"));
}
