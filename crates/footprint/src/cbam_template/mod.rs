//! The EU CBAM communication template for installations (the Commission's Excel workbook,
//! v2.1.1) in and out: [`xlsx_bytes`] writes a workbook in the template's layout from a
//! [`Communication`] and the inventory behind it (its production processes, source streams and
//! purchased precursors), and [`read_bytes`] reads a filled template, pcf's or an operator's,
//! back into a [`Communication`]. [`from_footprints`] makes the communication from computed
//! footprints (the goods whose totals carry CBAM figures). [`layout::CELLS`] says which cell
//! holds which figure; the writer and the reader both follow it.
//!
//! pcf does not copy the Commission's file: it writes a new workbook with the template's 19
//! sheet names and puts its figures in the template's cells, with a note in `0_Versions!A1`
//! saying so. It writes values, not the template's formulas, so the summary sheets hold the
//! figures themselves. The reader never panics on what a user typed: every problem is a
//! [`TemplateError`] naming the file, sheet and cell, what is wrong and what to do.
//!
//! ```
//! use pcf_footprint::cbam_template;
//! use pcf_footprint::inventory::communication::*;
//! let c = Communication {
//!     format: FORMAT.into(),
//!     installation: Installation { name: "Mill".into(), operator: None, country: "TR".into(),
//!         address: None, unlocode: None },
//!     period: Period { start: "2025-01-01".into(), end: "2025-12-31".into() },
//!     goods: vec![CommunicatedGood { cn: "72083800".into(), name: "Coil".into(), route: None,
//!         unit: "t".into(), direct: 1.85, indirect: 0.15, default_share: None,
//!         electricity_factor: None, electricity_factor_source: None }],
//!     source: None,
//! };
//! let book = cbam_template::xlsx_bytes(&c, None).unwrap();
//! let back = cbam_template::read_bytes("mill.xlsx", &book).unwrap();
//! assert_eq!(back.goods, c.goods);
//! ```

pub mod layout;
mod read;
mod write;

use crate::engine::Footprints;
use crate::inventory::Inventory;
use crate::inventory::communication::{
    CommunicatedGood, Communication, FORMAT, Installation, Period,
};

pub use read::{read, read_bytes};
pub use write::xlsx_bytes;

/// Why a communication template could not be read or written.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// The file could not be read.
    #[error("{file}: cannot read: {message}")]
    Read {
        /// The file.
        file: String,
        /// What went wrong.
        message: String,
    },
    /// A file, sheet or cell holds something the layout cannot take.
    #[error("{place}: {problem}\n  help: {help}")]
    At {
        /// Where: `file`, `file!Sheet` or `file!Sheet!C14`.
        place: String,
        /// What is wrong.
        problem: String,
        /// What to do.
        help: String,
    },
    /// The communication does not fit the template.
    #[error("cannot write the communication template: {problem}\n  help: {help}")]
    Write {
        /// What does not fit.
        problem: String,
        /// What to do.
        help: String,
    },
}

/// The communication of the goods among `fps`' products: those whose totals carry CBAM
/// figures (computed under a CBAM methodology), with the installation and period from the
/// inventory's header (`[inventory]`: name, company, geography, reference period). The
/// indirect SEE is the good's indirect emissions, counted or not.
pub fn from_footprints(inv: &Inventory, fps: &Footprints) -> Communication {
    let meta = &inv.meta;
    let name = meta
        .name
        .clone()
        .or_else(|| meta.company_name.clone())
        .unwrap_or_else(|| inv.path.display().to_string());
    let country = meta
        .geography
        .as_deref()
        .map(|g| g.split('-').next().unwrap_or(g).to_ascii_uppercase())
        .unwrap_or_default();
    let (start, end) = meta.reference_period.clone().unwrap_or_default();
    let goods = fps
        .products
        .iter()
        .filter_map(|p| {
            let g = p.totals.cbam.as_ref()?;
            Some(CommunicatedGood {
                cn: g.cn.clone(),
                name: p.name.clone(),
                route: g.route.clone(),
                unit: g.unit.clone(),
                direct: g.direct,
                // The template reports the indirect SEE of every good; whether they count
                // (not for iron and steel, say) is the importer's rule, not the installation's.
                indirect: g.indirect + g.indirect_not_counted,
                default_share: Some(g.default_value_percent / 100.0),
                electricity_factor: None,
                electricity_factor_source: None,
            })
        })
        .collect();
    Communication {
        format: FORMAT.to_string(),
        installation: Installation {
            name,
            operator: meta.company_name.clone(),
            country,
            address: None,
            unlocode: None,
        },
        period: Period { start, end },
        goods,
        source: None,
    }
}
