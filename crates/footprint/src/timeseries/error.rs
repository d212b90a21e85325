//! The error of the time-series area: a grid that cannot be built, a meter file that cannot be
//! read, or readings that do not fit a grid. Every message names the file and the 1-based line
//! where there is one, and says what to do. Times in messages are local times with their offset
//! from UTC (`2025-01-01T06:00+08:00`).

use jiff::tz::Offset;

/// A time zone, period, meter file or reading that pcf cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimeSeriesError {
    /// The time zone is not in jiff's bundled tz database.
    #[error(
        "unknown time zone {zone:?}; write an IANA name such as Asia/Shanghai or Europe/Berlin, \
         or UTC"
    )]
    UnknownZone {
        /// The name as given.
        zone: String,
    },
    /// A grid step other than 15, 30 or 60 minutes.
    #[error("a step of {minutes} minutes is not supported; use 15, 30 or 60")]
    GridStep {
        /// The step asked for.
        minutes: u32,
    },
    /// The last day of a period is before its first day.
    #[error("the period {first_day} to {last_day} ends before it starts; give the first day first")]
    EmptyPeriod {
        /// The first day.
        first_day: String,
        /// The last day.
        last_day: String,
    },
    /// A period longer than [`MAX_DAYS`](super::MAX_DAYS) days or outside jiff's dates.
    #[error(
        "the period {first_day} to {last_day} is longer than ten years or outside the years \
         0001 to 9998; split it into reference periods of a year"
    )]
    PeriodTooLong {
        /// The first day.
        first_day: String,
        /// The last day.
        last_day: String,
    },
    /// A period whose length is not a whole number of steps (a daylight saving change of less
    /// than an hour, as on Lord Howe Island).
    #[error(
        "the period {first_day} to {last_day} in {zone} is not a whole number of {minutes}-minute \
         steps; use a step of 15 or 30 minutes"
    )]
    UnevenPeriod {
        /// The first day.
        first_day: String,
        /// The last day.
        last_day: String,
        /// The time zone.
        zone: String,
        /// The step.
        minutes: u32,
    },
    /// A file with no lines, or only blank ones.
    #[error(
        "{file}: the file is empty; write the header timestamp,kwh and then one line per interval"
    )]
    Empty {
        /// The file.
        file: String,
    },
    /// The first line is not the header `timestamp,kwh`.
    #[error(
        "{file}:1: the first line must be the header timestamp,kwh, found {found:?}; start the \
         file with the line timestamp,kwh"
    )]
    Header {
        /// The file.
        file: String,
        /// The first line.
        found: String,
    },
    /// A reading line without exactly two columns.
    #[error(
        "{file}:{line}: {found} columns where 2 (timestamp,kwh) are expected; write one timestamp \
         and one number per line, without thousands separators"
    )]
    Columns {
        /// The file.
        file: String,
        /// The line (1-based).
        line: usize,
        /// How many columns the line has.
        found: usize,
    },
    /// A blank line followed by more readings.
    #[error("{file}:{line}: blank line between readings; remove it")]
    BlankLine {
        /// The file.
        file: String,
        /// The line (1-based).
        line: usize,
    },
    /// A timestamp that is not one of the accepted forms, or not a date and time.
    #[error(
        "{file}:{line}: {value:?} is not a timestamp; write the start of the interval as \
         2025-01-01T00:00 (local time) or 2025-01-01T00:00+08:00 (with its offset from UTC)"
    )]
    Timestamp {
        /// The file.
        file: String,
        /// The line (1-based).
        line: usize,
        /// The text.
        value: String,
    },
    /// A local time without offset that the clocks skip in the zone (spring forward).
    #[error(
        "{file}:{line}: {local} does not exist in {zone} (the clocks jump from {} to {}); write \
         every timestamp with its offset from UTC, as 2025-10-26T02:00+01:00",
        offset_label(*.before),
        offset_label(*.after)
    )]
    Nonexistent {
        /// The file.
        file: String,
        /// The line (1-based).
        line: usize,
        /// The local time as read.
        local: String,
        /// The time zone.
        zone: String,
        /// The offset before the gap.
        before: Offset,
        /// The offset after the gap.
        after: Offset,
    },
    /// A local time without offset that happens twice in the zone (autumn fold).
    #[error(
        "{file}:{line}: {local} is ambiguous in {zone} (it happens at {} and again at {}); write \
         every timestamp with its offset from UTC, {local}{} or {local}{}",
        offset_label(*.before),
        offset_label(*.after),
        offset_label(*.before),
        offset_label(*.after)
    )]
    Ambiguous {
        /// The file.
        file: String,
        /// The line (1-based).
        line: usize,
        /// The local time as read.
        local: String,
        /// The time zone.
        zone: String,
        /// The offset before the fold.
        before: Offset,
        /// The offset after the fold.
        after: Offset,
    },
    /// A reading below zero.
    #[error("{file}:{line}: negative reading {value}; kwh must be 0 or more")]
    Negative {
        /// The file.
        file: String,
        /// The line (1-based).
        line: usize,
        /// The text.
        value: String,
    },
    /// A reading that is not a plain decimal.
    #[error(
        "{file}:{line}: {value:?} is not a number; write kWh as a plain decimal such as 1234.5 \
         (no thousands separators, no exponent, no unit)"
    )]
    NotANumber {
        /// The file.
        file: String,
        /// The line (1-based).
        line: usize,
        /// The text.
        value: String,
    },
    /// A plain decimal too large for a finite number.
    #[error("{file}:{line}: {value:?} is not a finite number; check the kwh column")]
    NotFinite {
        /// The file.
        file: String,
        /// The line (1-based).
        line: usize,
        /// The text.
        value: String,
    },
    /// A file with one reading: the step is unknown.
    #[error(
        "{file}: only one reading, so the step is unknown; add the readings of the whole period"
    )]
    SingleReading {
        /// The file.
        file: String,
    },
    /// The first two readings are not 15, 30 or 60 minutes apart.
    #[error(
        "{file}:{line}: the readings are {} apart; the step must be 15, 30 or 60 minutes",
        duration(*.seconds)
    )]
    Step {
        /// The file.
        file: String,
        /// The line of the second reading (1-based).
        line: usize,
        /// Seconds between the first two readings.
        seconds: i64,
    },
    /// A reading that is neither one step nor a whole number of steps after the previous one.
    #[error(
        "{file}:{line}: this reading is {} after the previous one, but the readings are every \
         {step} minutes; keep one step through the file",
        duration(*.seconds)
    )]
    StepChanged {
        /// The file.
        file: String,
        /// The line (1-based).
        line: usize,
        /// Seconds since the previous reading.
        seconds: i64,
        /// The file's step.
        step: u32,
    },
    /// Readings missing between two lines.
    #[error(
        "{file}:{line}: gap: no reading from {from} to {to} (the readings are every {step} \
         minutes); add the missing readings (a zero where nothing was used)"
    )]
    Gap {
        /// The file.
        file: String,
        /// The line after the gap (1-based).
        line: usize,
        /// Start of the first missing interval.
        from: String,
        /// Start of the reading after the gap.
        to: String,
        /// The file's step.
        step: u32,
    },
    /// Two readings of the same interval.
    #[error("{file}:{second}: duplicate: the reading at {at} is already on line {first}; keep one")]
    Duplicate {
        /// The file.
        file: String,
        /// The line of the first reading (1-based).
        first: usize,
        /// The line of the second reading (1-based).
        second: usize,
        /// The interval's start.
        at: String,
    },
    /// A reading earlier than the one before it.
    #[error(
        "{file}:{line}: out of order: {at} comes before the previous reading at {previous}; sort \
         the readings by time"
    )]
    OutOfOrder {
        /// The file.
        file: String,
        /// The line (1-based).
        line: usize,
        /// The reading's start.
        at: String,
        /// The previous reading's start.
        previous: String,
    },
    /// A meter step coarser than the grid's, or one that does not divide it.
    #[error(
        "{file}: the readings are every {meter_step} minutes, which does not divide the \
         {grid_step}-minute slots of the period; use a grid of {meter_step} minutes or readings \
         at a finer step"
    )]
    StepMismatch {
        /// The file.
        file: String,
        /// The meter's step in minutes.
        meter_step: u32,
        /// The grid's step in minutes.
        grid_step: u32,
    },
    /// Readings that do not start on the grid's clock (a reading would straddle two slots).
    #[error(
        "{file}:{line}: the reading at {at} straddles two {grid_step}-minute slots of the period, \
         which start at {grid_start}; export readings that start on whole slots"
    )]
    Misaligned {
        /// The file.
        file: String,
        /// The line (1-based).
        line: usize,
        /// The reading's start.
        at: String,
        /// The grid's step in minutes.
        grid_step: u32,
        /// The start of the grid's first slot.
        grid_start: String,
    },
    /// Part of the period without readings.
    #[error(
        "{file}: no reading from {from} to {to}, inside the period {start} to {end}; add the \
         readings of the whole period (a zero where nothing was used)"
    )]
    NotCovered {
        /// The file.
        file: String,
        /// Start of the first interval without readings.
        from: String,
        /// End of the stretch without readings.
        to: String,
        /// Start of the period.
        start: String,
        /// End of the period (exclusive).
        end: String,
    },
    /// A reading outside the period.
    #[error(
        "{file}:{line}: the reading at {at} is outside the period {start} to {end}; remove the \
         readings before {start} and from {end} on"
    )]
    OutsidePeriod {
        /// The file.
        file: String,
        /// The line of the first reading outside (1-based).
        line: usize,
        /// The reading's start.
        at: String,
        /// Start of the period.
        start: String,
        /// End of the period (exclusive).
        end: String,
    },
}

/// `90 minutes`, `1 minute`, `-60 minutes`, or `30 seconds` when not whole minutes.
fn duration(seconds: i64) -> String {
    match (seconds % 60, seconds / 60) {
        (0, 1) => "1 minute".to_string(),
        (0, m) => format!("{m} minutes"),
        _ => format!("{seconds} seconds"),
    }
}

/// `+08:00`, `-03:30`, `+00:00`.
pub(super) fn offset_label(offset: Offset) -> String {
    let seconds = offset.seconds();
    let sign = if seconds < 0 { '-' } else { '+' };
    let a = seconds.unsigned_abs();
    let mut text = format!("{sign}{:02}:{:02}", a / 3600, a % 3600 / 60);
    if !a.is_multiple_of(60) {
        text.push_str(&format!(":{:02}", a % 60));
    }
    text
}
