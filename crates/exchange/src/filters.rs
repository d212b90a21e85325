//! The PACT v3 filter criteria, shared by `GET /3/footprints` (query parameters) and the
//! `RequestCreated` event (its `data` object): `productId`, `companyId`, `geography`,
//! `classification`, `validOn`, `validAfter`, `validBefore` and `status`.
//!
//! Values within one criterion are alternatives (OR); criteria combine with AND. Matching is
//! case-insensitive. A value that names nothing the issuer declared (an unknown product, a
//! status other than `Active` or `Deprecated`) simply matches nothing; only a value that cannot
//! be read at all (a date that is not a date) is an error.

use serde_json::{Map, Value};

use pcf_base::time::Instant;
use pcf_trust::register::Status;

/// The parameters of `GET /3/footprints` that are criteria, as the specification spells them.
pub const CRITERIA: [&str; 8] = [
    "productId",
    "companyId",
    "geography",
    "classification",
    "validOn",
    "validAfter",
    "validBefore",
    "status",
];

/// A set of filter criteria; the empty set matches every footprint.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Criteria {
    /// Product ids (lower case); a footprint matches if it lists one of them.
    pub product_ids: Vec<String>,
    /// Company ids (lower case).
    pub company_ids: Vec<String>,
    /// Geographies (lower case): a region, an ISO 3166-1 country or an ISO 3166-2 subdivision.
    pub geographies: Vec<String>,
    /// Product classifications (lower case).
    pub classifications: Vec<String>,
    /// Valid on this instant: validity start <= it <= validity end.
    pub valid_on: Option<Instant>,
    /// Validity starts after this instant.
    pub valid_after: Option<Instant>,
    /// Validity ends before this instant.
    pub valid_before: Option<Instant>,
    /// Wanted status.
    pub status: Option<StatusFilter>,
}

/// The `status` criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    /// `Active`.
    Active,
    /// `Deprecated`.
    Deprecated,
    /// Any other value: matches nothing.
    Unknown,
}

/// A criterion whose value cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{criterion} {value:?}: {problem}")]
pub struct CriteriaError {
    /// The criterion.
    pub criterion: String,
    /// The value given (shortened if long).
    pub value: String,
    /// What is wrong with it.
    pub problem: String,
}

impl Criteria {
    /// Adds one query parameter. The name is matched case-insensitively (`productid` is
    /// `productId`); returns `Ok(false)` when it is not a criterion, so the caller can decide
    /// what other parameters mean.
    pub fn push_parameter(&mut self, name: &str, value: &str) -> Result<bool, CriteriaError> {
        let Some(criterion) = CRITERIA.iter().find(|c| c.eq_ignore_ascii_case(name)) else {
            return Ok(false);
        };
        self.push(criterion, value)?;
        Ok(true)
    }

    /// Reads the criteria of a `RequestCreated` event's `data`: arrays of strings for the
    /// list criteria (a single string is taken as a list of one), strings for the others.
    /// `comment` and members starting with `x-` are ignored; any other member is an error, so
    /// that a misspelt criterion is not silently dropped.
    pub fn from_event_data(data: &Map<String, Value>) -> Result<Criteria, CriteriaError> {
        let mut criteria = Criteria::default();
        for (name, value) in data {
            if name == "comment" || name.starts_with("x-") {
                continue;
            }
            let Some(criterion) = CRITERIA.iter().find(|c| **c == name) else {
                return Err(CriteriaError {
                    criterion: name.clone(),
                    value: shorten(&value.to_string()),
                    problem: format!("not a criterion; use {}", CRITERIA.join(", ")),
                });
            };
            let list =
                matches!(*criterion, "productId" | "companyId" | "geography" | "classification");
            let bad = |problem: &str| CriteriaError {
                criterion: name.clone(),
                value: shorten(&value.to_string()),
                problem: problem.into(),
            };
            match value {
                Value::String(s) => criteria.push(criterion, s)?,
                Value::Array(items) if list => {
                    if items.is_empty() {
                        return Err(bad("an empty list; give at least one value or leave it out"));
                    }
                    for item in items {
                        let s = item.as_str().ok_or_else(|| bad("list items must be strings"))?;
                        criteria.push(criterion, s)?;
                    }
                }
                // PACT v3 gives the event's status as a list: one status, or both (any).
                Value::Array(items) if *criterion == "status" => {
                    let mut wanted = Vec::new();
                    for item in items {
                        let s = item.as_str().ok_or_else(|| bad("list items must be strings"))?;
                        criteria.push(criterion, s)?;
                        wanted.push(criteria.status);
                    }
                    if wanted.iter().any(|w| *w != wanted[0]) {
                        criteria.status = None;
                    }
                }
                _ if list => return Err(bad("expected an array of strings")),
                _ => return Err(bad("expected a string")),
            }
        }
        Ok(criteria)
    }

    /// Whether no criterion is set.
    pub fn is_empty(&self) -> bool {
        *self == Criteria::default()
    }

    /// Whether a footprint with these filter keys and this status (the register's) satisfies
    /// every criterion.
    pub fn matches(&self, keys: &FilterKeys, status: Status) -> bool {
        let any = |wanted: &[String], have: &[String]| {
            wanted.is_empty() || wanted.iter().any(|w| have.contains(w))
        };
        if !any(&self.product_ids, &keys.product_ids)
            || !any(&self.company_ids, &keys.company_ids)
            || !any(&self.geographies, &keys.geographies)
            || !any(&self.classifications, &keys.classifications)
        {
            return false;
        }
        if let Some(wanted) = self.status {
            let ok = matches!(
                (wanted, status),
                (StatusFilter::Active, Status::Active)
                    | (StatusFilter::Deprecated, Status::Deprecated)
            );
            if !ok {
                return false;
            }
        }
        if self.valid_on.is_none() && self.valid_after.is_none() && self.valid_before.is_none() {
            return true;
        }
        // A footprint whose validity cannot be determined matches no date criterion.
        let Some((start, end)) = keys.validity else {
            return false;
        };
        self.valid_on.is_none_or(|t| start <= t && t <= end)
            && self.valid_after.is_none_or(|t| start > t)
            && self.valid_before.is_none_or(|t| end < t)
    }

    fn push(&mut self, criterion: &str, value: &str) -> Result<(), CriteriaError> {
        let date = |v: &str| {
            Instant::parse_pact(v).map_err(|_| CriteriaError {
                criterion: criterion.into(),
                value: shorten(v),
                problem: "not an RFC 3339 date-time (write 2025-04-01T00:00:00Z)".into(),
            })
        };
        let lower = value.trim().to_ascii_lowercase();
        match criterion {
            "productId" => self.product_ids.push(lower),
            "companyId" => self.company_ids.push(lower),
            "geography" => self.geographies.push(lower),
            "classification" => self.classifications.push(lower),
            "validOn" => self.valid_on = Some(date(value)?),
            "validAfter" => self.valid_after = Some(date(value)?),
            "validBefore" => self.valid_before = Some(date(value)?),
            _ => {
                self.status = Some(match lower.as_str() {
                    "active" => StatusFilter::Active,
                    "deprecated" => StatusFilter::Deprecated,
                    _ => StatusFilter::Unknown,
                })
            }
        }
        Ok(())
    }
}

/// The filter keys of a footprint, lower case, computed once when the catalogue is loaded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FilterKeys {
    /// `productIds`.
    pub product_ids: Vec<String>,
    /// `companyIds`.
    pub company_ids: Vec<String>,
    /// `productClassifications`.
    pub classifications: Vec<String>,
    /// The region, country and subdivision, plus the country of the subdivision (`cn` for
    /// `CN-JS`): a footprint for Jiangsu lies within China.
    pub geographies: Vec<String>,
    /// The validity period: `validityPeriodStart`/`End` if declared, else three years from
    /// the end of the reference period, as PACT specifies.
    pub validity: Option<(Instant, Instant)>,
}

impl FilterKeys {
    /// The keys of a ProductFootprint.
    pub fn of(subject: &Value) -> FilterKeys {
        let strings = |v: &Value| -> Vec<String> {
            v.as_array()
                .map(|a| a.iter().filter_map(Value::as_str).map(str::to_ascii_lowercase).collect())
                .unwrap_or_default()
        };
        let pcf = &subject["pcf"];
        let mut geographies = Vec::new();
        for field in
            ["geographyRegionOrSubregion", "geographyCountry", "geographyCountrySubdivision"]
        {
            if let Some(g) = pcf[field].as_str() {
                let g = g.to_ascii_lowercase();
                if field == "geographyCountrySubdivision"
                    && let Some((country, _)) = g.split_once('-')
                {
                    geographies.push(country.to_string());
                }
                geographies.push(g);
            }
        }
        let instant = |v: &Value| v.as_str().and_then(|t| Instant::parse_pact(t).ok());
        let validity = match (
            instant(&subject["validityPeriodStart"]),
            instant(&subject["validityPeriodEnd"]),
            instant(&pcf["referencePeriodEnd"]),
        ) {
            (Some(start), Some(end), _) => Some((start, end)),
            (Some(start), None, Some(reference_end)) => Some((start, reference_end.plus_years(3))),
            (None, Some(end), Some(reference_end)) => Some((reference_end, end)),
            (None, None, Some(reference_end)) => Some((reference_end, reference_end.plus_years(3))),
            _ => None,
        };
        FilterKeys {
            product_ids: strings(&subject["productIds"]),
            company_ids: strings(&subject["companyIds"]),
            classifications: strings(&subject["productClassifications"]),
            geographies,
            validity,
        }
    }
}

fn shorten(s: &str) -> String {
    if s.chars().count() <= 80 {
        s.to_string()
    } else {
        s.chars().take(77).collect::<String>() + "..."
    }
}
