//! What verification reports: each check with its result, where the declaration stands, the
//! verdict drawn from both, and the report as `pcf verify` prints it.

use std::fmt;

use pcf_footprint::report::{display_width, pad};
use serde::{Deserialize, Serialize};

/// The result of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    /// Passed.
    Pass,
    /// Passed with a caveat the buyer should read.
    Warn,
    /// Failed: the declaration is not valid.
    Fail,
    /// Not applicable or not possible with what was given.
    Skip,
}

/// One check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// What was checked.
    pub name: String,
    /// The result.
    pub status: CheckStatus,
    /// Why.
    pub detail: String,
}

/// What was verified.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReportKind {
    /// A pcf declaration: a signed credential.
    #[default]
    Declaration,
    /// A plain PACT ProductFootprint with no proof pcf can check: its content only.
    UnsignedPactFootprint,
}

/// The verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Genuine, and current at the instant of verification: no check failed, it is within
    /// its validity period, and the bundle's status evidence shows it active.
    Valid,
    /// Genuine, but not current: superseded, deprecated, expired or not yet valid.
    NotCurrent,
    /// Genuine and within its validity period, but nothing given shows whether it is still
    /// current (no register excerpt): not a verdict to rely on alone.
    StatusUnknown,
    /// At least one check failed: not genuine, or not what it claims.
    Invalid,
    /// A plain PACT footprint whose content checks passed; unsigned, so nothing shows who
    /// wrote it: never to rely on as a declaration.
    Unsigned,
}

impl Verdict {
    /// The exit code `pcf verify` uses: 0 valid and current, 1 invalid, 3 genuine but not
    /// (shown to be) current. 2 is kept for usage errors.
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Valid => 0,
            Verdict::Invalid => 1,
            Verdict::NotCurrent | Verdict::StatusUnknown | Verdict::Unsigned => 3,
        }
    }

    /// The verdict as the report prints it (`VALID`, `UNSIGNED PACT FOOTPRINT`, ...).
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Valid => "VALID",
            Verdict::NotCurrent => "NOT CURRENT",
            Verdict::StatusUnknown => "STATUS UNKNOWN",
            Verdict::Invalid => "INVALID",
            Verdict::Unsigned => "UNSIGNED PACT FOOTPRINT",
        }
    }
}

/// Where a declaration stands at the instant of verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Standing {
    /// Within its validity period and shown active.
    Current,
    /// Within its validity period; no evidence of its status was given.
    Unknown,
    /// Its validity period has not begun.
    NotYetValid,
    /// Its validity period has ended.
    Expired,
    /// Its issuer marked it Deprecated.
    Deprecated,
    /// A later declaration of its issuer replaced it.
    Superseded,
}

/// The status part of a report: where the declaration stands, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Status {
    /// The standing.
    pub standing: Standing,
    /// Every reason, in words.
    pub reasons: Vec<String>,
    /// The ProductFootprint id of the declaration that replaced it, where known.
    pub superseded_by: Option<String>,
    /// The instant it was judged at (RFC 3339).
    pub at: String,
}

/// A verification report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// What was verified: a declaration, or an unsigned PACT footprint.
    #[serde(default)]
    pub kind: ReportKind,
    /// The verdict.
    pub verdict: Verdict,
    /// Where the declaration stands at the instant of verification.
    pub status: Status,
    /// Digest of the declaration's canonical JSON.
    pub digest: Option<String>,
    /// Issuer DID.
    pub issuer: Option<String>,
    /// The footprint's `companyName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// ProductFootprint id.
    pub pf_id: Option<String>,
    /// Product name.
    pub product: Option<String>,
    /// Declared PCF excluding biogenic uptake, with its unit.
    pub pcf: Option<String>,
    /// The primary data share, DQRs with the share of the footprint they rate, and the data it
    /// rests on, as one line ([`crate::declaration::quality::summary`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_quality: Option<String>,
    /// For a CBAM good: CN code, route, specific embedded emissions and the share based on
    /// default values, as one line ([`crate::declaration::cbam::summary`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cbam: Option<String>,
    /// The checks, in order.
    pub checks: Vec<Check>,
}

impl Report {
    pub(super) fn add(&mut self, name: &str, status: CheckStatus, detail: impl Into<String>) {
        self.checks.push(Check { name: name.into(), status, detail: detail.into() });
    }

    /// The failed checks, except those named (for example `issuer` where the caller decides
    /// trust itself).
    pub fn failures_except(&self, names: &[&str]) -> Vec<&Check> {
        self.checks
            .iter()
            .filter(|c| c.status == CheckStatus::Fail && !names.contains(&c.name.as_str()))
            .collect()
    }

    /// Whether the declaration is genuine: no check failed but, possibly, issuer trust.
    pub fn is_genuine(&self) -> bool {
        self.failures_except(&["issuer"]).is_empty()
    }

    /// Adds a check from outside verification (an approval) and recomputes the verdict.
    pub fn push_check(&mut self, check: Check) {
        self.checks.push(check);
        self.verdict = verdict_of(&self.checks, &self.status, self.kind);
    }

    /// The failed checks as one line, `name: detail; ...`.
    pub fn failure_summary(&self, except: &[&str]) -> String {
        self.failures_except(except)
            .iter()
            .map(|c| format!("{}: {}", c.name, c.detail))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

pub(super) fn verdict_of(checks: &[Check], status: &Status, kind: ReportKind) -> Verdict {
    if checks.iter().any(|c| c.status == CheckStatus::Fail) {
        return Verdict::Invalid;
    }
    if kind == ReportKind::UnsignedPactFootprint {
        return Verdict::Unsigned;
    }
    match status.standing {
        Standing::Current => Verdict::Valid,
        Standing::Unknown => Verdict::StatusUnknown,
        _ => Verdict::NotCurrent,
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let product = self.product.as_deref().unwrap_or("(unknown product)");
        writeln!(f, "{}: {product}", self.verdict.label())?;
        if self.kind == ReportKind::UnsignedPactFootprint {
            writeln!(f, "  kind       unsigned PACT footprint (no proof: its content only)")?;
            if let Some(c) = &self.company {
                writeln!(f, "  company    {c}")?;
            }
        }
        let standing = match self.status.standing {
            Standing::Current => "current",
            Standing::Unknown => "unknown",
            Standing::NotYetValid => "not yet valid",
            Standing::Expired => "expired",
            Standing::Deprecated => "deprecated",
            Standing::Superseded => "superseded",
        };
        match self.verdict {
            Verdict::Invalid => writeln!(f, "  status     not judged: a check failed")?,
            _ if self.status.reasons.is_empty() => {
                writeln!(f, "  status     {standing} (judged at {})", self.status.at)?
            }
            _ => writeln!(
                f,
                "  status     {standing} (judged at {}): {}",
                self.status.at,
                self.status.reasons.join("; ")
            )?,
        }
        if let Some(by) = &self.status.superseded_by {
            writeln!(f, "  replaced   by {by}")?;
        }
        if let Some(p) = &self.pcf {
            writeln!(f, "  footprint  {p}")?;
        }
        if let Some(q) = &self.data_quality {
            writeln!(f, "  quality    {q}")?;
        }
        if let Some(c) = &self.cbam {
            writeln!(f, "  cbam       {c}")?;
        }
        if self.kind == ReportKind::Declaration || self.issuer.is_some() {
            writeln!(f, "  issuer     {}", self.issuer.as_deref().unwrap_or("(none)"))?;
        }
        writeln!(f, "  id         {}", self.pf_id.as_deref().unwrap_or("(none)"))?;
        writeln!(f, "  digest     {}", self.digest.as_deref().unwrap_or("(none)"))?;
        let width = self.checks.iter().map(|c| display_width(&c.name)).max().unwrap_or(0);
        for c in &self.checks {
            let mark = match c.status {
                CheckStatus::Pass => "pass",
                CheckStatus::Warn => "WARN",
                CheckStatus::Fail => "FAIL",
                CheckStatus::Skip => "skip",
            };
            writeln!(f, "  [{mark}] {}  {}", pad(&c.name, width), c.detail)?;
        }
        Ok(())
    }
}
