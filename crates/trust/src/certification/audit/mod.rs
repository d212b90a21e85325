//! Audits: a declaration re-run from the disclosed inventory under the methodology it pins
//! (shipped, carried by the bundle, or given, always found by digest), compared with what was
//! declared: the inventory digest, the methodology digest, every ProductFootprint figure at the
//! declared precision, the CBAM split, the certificates claimed and the suppliers' declarations
//! consumed. The recomputation goes through [`crate::declaration::issue`] itself (with a
//! throwaway key and the declaration's own creation time), so the comparison is with what pcf
//! would declare today from the same inputs.
//!
//! The audit also produces the calculation [`Trace`] (every input, factor with its source and
//! licence, allocation, exclusion under the cut-off rule, contribution, primary data share and
//! certificate serial) and a Markdown report with an SVG contribution chart. Given the trace
//! filed with an earlier audit, the inputs and factors that changed since are named by id.

mod files;
mod recompute;
mod trace;

use std::collections::BTreeMap;
use std::fmt;

use pcf_footprint::report::{display_width, pad};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::certificates::Finding;
use crate::register::Register;
use pcf_base::digest::Digest;
use pcf_footprint::methodology::Methodology;

pub use files::{chart, markdown, write};
pub use recompute::audit;
pub(crate) use recompute::find_product;
pub use trace::{
    TRACE_FORMAT, Trace, TraceCertificate, TraceDeclaration, TraceEmission, TraceFactor,
    TraceInput, TraceInventory, TraceSupplier, compare_traces,
};

/// What to audit with.
#[derive(Debug, Default)]
pub struct AuditOptions<'a> {
    /// The product of the inventory (else found by the declaration's product ids).
    pub product: Option<String>,
    /// A methodology file given by the auditor (used only if its digest is the pinned one,
    /// else reported as a difference and used anyway).
    pub methodology: Option<&'a Methodology>,
    /// The trace filed with an earlier audit, to name changed inputs and factors.
    pub previous_trace: Option<&'a Trace>,
    /// The issuer's register, to check certificate claims across its declarations.
    pub register: Option<&'a Register>,
    /// How the declaration itself is verified first (as by `pcf verify`).
    pub verify: crate::declaration::VerifyOptions,
}

/// Whether the declaration is reproduced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuditVerdict {
    /// Same digests, same figures at the declared precision, no double counting.
    Identical,
    /// Something differs (see the checks).
    Differs,
}

/// The result of one comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckResult {
    /// Declared and recomputed agree.
    Same,
    /// They do not.
    Differs,
    /// Information for the auditor; no comparison.
    Note,
}

/// One comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditCheck {
    /// What was compared.
    pub name: String,
    /// The result.
    pub result: CheckResult,
    /// Details.
    pub detail: String,
}

/// A declared field and its recomputed value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldComparison {
    /// Path in the credential subject (`pcf/pcfExcludingBiogenicUptake`).
    pub field: String,
    /// As declared.
    pub declared: Option<Value>,
    /// As recomputed.
    pub recomputed: Option<Value>,
    /// Recomputed minus declared, for decimals.
    pub difference: Option<f64>,
    /// Whether they agree.
    pub same: bool,
}

/// An input or factor that changed since the previous trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputChange {
    /// `factor` or `input`.
    pub what: String,
    /// Factor id, or `process/input name`.
    pub id: String,
    /// The field that changed (`gases/co2-fossil`, `amount`, `source`...), or `(added)` /
    /// `(removed)`.
    pub field: String,
    /// Previous value.
    pub old: Option<Value>,
    /// Current value.
    pub new: Option<Value>,
}

/// What an audit found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditReport {
    /// The verdict.
    pub verdict: AuditVerdict,
    /// Digest of the declaration.
    pub declaration: Option<Digest>,
    /// Its ProductFootprint id.
    pub pf_id: Option<String>,
    /// The inventory product audited.
    pub product: String,
    /// The comparisons.
    pub checks: Vec<AuditCheck>,
    /// Every compared field.
    pub fields: Vec<FieldComparison>,
    /// Inputs and factors changed since the previous trace (empty without one).
    pub changes: Vec<InputChange>,
    /// Certificate findings.
    pub certificates: Vec<Finding>,
}

/// A full audit: the report and the calculation trace.
#[derive(Debug, Clone)]
pub struct Audit {
    /// What was found.
    pub report: AuditReport,
    /// How the figures were computed.
    pub trace: Trace,
}

impl fmt::Display for AuditReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = match self.verdict {
            AuditVerdict::Identical => "IDENTICAL",
            AuditVerdict::Differs => "DIFFERS",
        };
        writeln!(f, "{verdict}: {} ({})", self.product, self.pf_id.as_deref().unwrap_or("-"))?;
        let width = self.checks.iter().map(|c| display_width(&c.name)).max().unwrap_or(0);
        for c in &self.checks {
            let mark = match c.result {
                CheckResult::Same => "same",
                CheckResult::Differs => "DIFF",
                CheckResult::Note => "note",
            };
            writeln!(f, "  [{mark}] {}  {}", pad(&c.name, width), c.detail)?;
        }
        for c in &self.certificates {
            write!(f, "  {c}")?;
        }
        Ok(())
    }
}

fn leaves(path: String, v: &Value, out: &mut BTreeMap<String, Value>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                leaves(format!("{path}/{k}"), x, out);
            }
        }
        other => {
            out.insert(path, other.clone());
        }
    }
}

fn show(v: &Option<Value>) -> String {
    match v {
        None => "(absent)".into(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    }
}
