//! The [`Grid`] of a reference period: consecutive slots of 15, 30 or 60 minutes from local
//! midnight of the first day to local midnight after the last, and the [`Granularity`] buckets
//! green electricity is matched in.

use jiff::civil::{Date, Time};
use jiff::tz::{Offset, TimeZone};
use jiff::{Timestamp, tz::AmbiguousOffset};

use super::TimeSeriesError;
use super::error::offset_label;

/// The longest period a grid covers, in days (ten years with their leap days): a bound on the
/// memory a grid and its buckets take (about 350,000 slots of 15 minutes).
pub const MAX_DAYS: i64 = 3653;

/// The slots of a reference period: consecutive intervals of `step_minutes` from local midnight
/// of `first_day` to local midnight after `last_day`, in time zone `zone`.
///
/// Slots are intervals of the time line, so a day on which daylight saving time starts has 23
/// hourly slots and one on which it ends has 25. Where midnight itself does not exist (a zone
/// that springs forward at midnight), the day starts at the first instant it has.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    start: Timestamp,
    step_minutes: u32,
    len: usize,
    zone: TimeZone,
    zone_name: String,
    first_day: Date,
    last_day: Date,
}

/// How slots are grouped for matching green electricity to consumption: over the whole
/// period, per local calendar month, or per local clock hour.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Granularity {
    /// One bucket for the whole grid.
    Annual,
    /// One bucket per local calendar month.
    Monthly,
    /// One bucket per hour of the grid.
    Hourly,
}

impl Granularity {
    /// The name as a methodology file writes it (`annual`, `monthly`, `hourly`).
    pub fn name(self) -> &'static str {
        match self {
            Granularity::Annual => "annual",
            Granularity::Monthly => "monthly",
            Granularity::Hourly => "hourly",
        }
    }

    /// How matching at this granularity reads in a sentence (`matched hour by hour`).
    pub fn phrase(self) -> &'static str {
        match self {
            Granularity::Annual => "over the reference period",
            Granularity::Monthly => "month by month",
            Granularity::Hourly => "hour by hour",
        }
    }
}

impl Grid {
    /// The grid of the days `first_day` to `last_day` (both included) in `zone`, in slots of
    /// `step_minutes`. `step_minutes` must be 15, 30 or 60; `zone` an IANA name
    /// (`Asia/Shanghai`, `Europe/Berlin`) or `UTC`. The period may not be longer than
    /// [`MAX_DAYS`] days.
    pub fn of_period(
        first_day: Date,
        last_day: Date,
        zone: &str,
        step_minutes: u32,
    ) -> Result<Grid, TimeSeriesError> {
        if !matches!(step_minutes, 15 | 30 | 60) {
            return Err(TimeSeriesError::GridStep { minutes: step_minutes });
        }
        let (tz, zone_name) = time_zone(zone)?;
        let (first, last) = (first_day.to_string(), last_day.to_string());
        if last_day < first_day {
            return Err(TimeSeriesError::EmptyPeriod { first_day: first, last_day: last });
        }
        let too_long =
            || TimeSeriesError::PeriodTooLong { first_day: first.clone(), last_day: last.clone() };
        let days = first_day.until(last_day).map_err(|_| too_long())?.get_days();
        if i64::from(days) >= MAX_DAYS {
            return Err(too_long());
        }
        let start = local_midnight(&tz, first_day).ok_or_else(too_long)?;
        let end =
            last_day.tomorrow().ok().and_then(|d| local_midnight(&tz, d)).ok_or_else(too_long)?;
        let seconds = end.duration_since(start).as_secs();
        let step = i64::from(step_minutes) * 60;
        let len = usize::try_from(seconds / step).ok().filter(|_| seconds % step == 0);
        let Some(len) = len.filter(|&n| n > 0) else {
            return Err(TimeSeriesError::UnevenPeriod {
                first_day: first,
                last_day: last,
                zone: zone_name,
                minutes: step_minutes,
            });
        };
        Ok(Grid { start, step_minutes, len, zone: tz, zone_name, first_day, last_day })
    }

    /// The number of slots.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the grid has no slot (never, for a grid [`Grid::of_period`] built).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The length of a slot in minutes: 15, 30 or 60.
    pub fn step_minutes(&self) -> u32 {
        self.step_minutes
    }

    /// The time zone's name (`Asia/Shanghai`, `UTC`).
    pub fn zone_name(&self) -> &str {
        &self.zone_name
    }

    /// The time zone.
    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }

    /// The first day of the period.
    pub fn first_day(&self) -> Date {
        self.first_day
    }

    /// The last day of the period (included).
    pub fn last_day(&self) -> Date {
        self.last_day
    }

    /// The start of slot 0: local midnight of the first day.
    pub fn start(&self) -> Timestamp {
        self.start
    }

    /// The end of the last slot (exclusive): local midnight after the last day.
    pub fn end(&self) -> Timestamp {
        self.slot_start(self.len)
    }

    /// The start of slot `i`: `i` steps after [`Grid::start`]. Past the end of the grid this
    /// goes on counting steps (saturating at jiff's last instant).
    pub fn slot_start(&self, i: usize) -> Timestamp {
        let step = i64::from(self.step_minutes) * 60;
        i64::try_from(i)
            .ok()
            .and_then(|i| i.checked_mul(step))
            .and_then(|s| s.checked_add(self.start.as_second()))
            .and_then(|s| Timestamp::from_second(s).ok())
            .unwrap_or(Timestamp::MAX)
    }

    /// Index of the slot containing `t`, `None` outside the grid.
    pub fn slot_of(&self, t: Timestamp) -> Option<usize> {
        if t < self.start {
            return None;
        }
        let seconds = t.duration_since(self.start).as_secs();
        let i = usize::try_from(seconds / (i64::from(self.step_minutes) * 60)).ok()?;
        (i < self.len).then_some(i)
    }

    /// Bucket ids per slot for matching: one bucket for the whole grid (annual), the local
    /// calendar month (0 = first month of the grid, in order), or the local clock hour as a
    /// running index over the grid's hours (slot `i` -> `i * step / 60`). Returns (ids per slot,
    /// number of buckets).
    pub fn buckets(&self, granularity: Granularity) -> (Vec<u32>, usize) {
        match granularity {
            Granularity::Annual => (vec![0; self.len], usize::from(self.len > 0)),
            Granularity::Monthly => {
                let mut ids = Vec::with_capacity(self.len);
                let mut current = None;
                let mut id = 0u32;
                for i in 0..self.len {
                    let local = self.zone.to_datetime(self.slot_start(i));
                    let month = (local.year(), local.month());
                    if current.is_some_and(|c| c != month) {
                        id += 1;
                    }
                    current = Some(month);
                    ids.push(id);
                }
                let n = if ids.is_empty() { 0 } else { id as usize + 1 };
                (ids, n)
            }
            Granularity::Hourly => {
                let step = self.step_minutes as usize;
                // At most MAX_DAYS * 25 hours: the ids fit a u32.
                let ids = (0..self.len).map(|i| (i * step / 60) as u32).collect();
                (ids, (self.len * step).div_ceil(60))
            }
        }
    }

    /// Label of bucket `b` for tables and charts: the year (`2025`) for a period of one whole
    /// calendar year and `2025-01-06/2025-01-12` for any other period; the month
    /// (`2025-03`); the local start of the hour with its offset (`2025-03-01T13:00+08:00`).
    pub fn bucket_label(&self, granularity: Granularity, b: u32) -> String {
        match granularity {
            Granularity::Annual => {
                let whole_year = self.first_day == self.first_day.first_of_year()
                    && self.last_day == self.first_day.last_of_year();
                if whole_year {
                    format!("{:04}", self.first_day.year())
                } else {
                    format!("{}/{}", self.first_day, self.last_day)
                }
            }
            Granularity::Monthly => {
                let first =
                    i64::from(self.first_day.year()) * 12 + i64::from(self.first_day.month()) - 1;
                let month = first + i64::from(b);
                format!("{:04}-{:02}", month.div_euclid(12), month.rem_euclid(12) + 1)
            }
            Granularity::Hourly => {
                let slot = (b as usize).saturating_mul(60) / self.step_minutes as usize;
                local_label(&self.zone, self.slot_start(slot))
            }
        }
    }

    /// Local hour of day (0..24) of each slot, for an "average day" chart.
    pub fn local_hours(&self) -> Vec<u8> {
        (0..self.len).map(|i| self.zone.to_datetime(self.slot_start(i)).hour() as u8).collect()
    }
}

/// The time zone of an IANA name or `UTC` (any case), with the name pcf shows.
pub(super) fn time_zone(name: &str) -> Result<(TimeZone, String), TimeSeriesError> {
    if name.eq_ignore_ascii_case("utc") {
        return Ok((TimeZone::UTC, "UTC".to_string()));
    }
    let unknown = || TimeSeriesError::UnknownZone { zone: name.to_string() };
    let tz = TimeZone::get(name).map_err(|_| unknown())?;
    if tz.is_unknown() {
        return Err(unknown());
    }
    let shown = tz.iana_name().unwrap_or(name).to_string();
    Ok((tz, shown))
}

/// A local time with its offset, to the minute (`2025-01-01T06:00+08:00`; seconds only where
/// there are some).
pub(super) fn local_label(tz: &TimeZone, t: Timestamp) -> String {
    let dt = tz.to_datetime(t);
    let mut text = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute()
    );
    if dt.second() != 0 {
        text.push_str(&format!(":{:02}", dt.second()));
    }
    text.push_str(&offset_label(tz.to_offset(t)));
    text
}

/// The offsets of an ambiguous local time: `None` when it is unambiguous.
pub(super) fn ambiguity(offset: AmbiguousOffset) -> Option<(bool, Offset, Offset)> {
    match offset {
        AmbiguousOffset::Unambiguous { .. } => None,
        AmbiguousOffset::Gap { before, after } => Some((true, before, after)),
        AmbiguousOffset::Fold { before, after } => Some((false, before, after)),
    }
}

/// The first instant of `date` in `tz`: midnight, or the end of a gap that swallows it.
fn local_midnight(tz: &TimeZone, date: Date) -> Option<Timestamp> {
    tz.to_ambiguous_timestamp(date.to_datetime(Time::midnight())).compatible().ok()
}
