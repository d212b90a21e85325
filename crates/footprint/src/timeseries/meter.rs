//! A [`Meter`] export: the CSV of `docs/meter-data.md` (header `timestamp,kwh`, one reading per
//! interval, at a constant step of 15, 30 or 60 minutes) read by hand, and laid on a [`Grid`].

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};

use super::grid::{ambiguity, local_label, time_zone};
use super::{Grid, TimeSeriesError};

/// A meter export read from CSV: regular readings in kWh per interval, each with the line it
/// came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Meter {
    file: String,
    zone: TimeZone,
    start: Timestamp,
    step_minutes: u32,
    values: Vec<f64>,
    lines: Vec<usize>,
}

impl Meter {
    /// Reads `text` (the contents of `file`, which is only used in errors). Timestamps without
    /// an offset are local times in `zone` (an IANA name or `UTC`).
    pub fn read(file: &str, text: &str, zone: &str) -> Result<Meter, TimeSeriesError> {
        let (tz, zone_name) = time_zone(zone)?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let lines: Vec<&str> =
            text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
        let used = lines.iter().rposition(|l| !l.trim().is_empty());
        let Some(last) = used else {
            return Err(TimeSeriesError::Empty { file: file.to_string() });
        };
        let header: Vec<String> = lines[0].split(',').map(|c| c.trim().to_lowercase()).collect();
        if header != ["timestamp", "kwh"] {
            return Err(TimeSeriesError::Header {
                file: file.to_string(),
                found: lines[0].to_string(),
            });
        }
        let mut readings: Vec<(Timestamp, f64, usize)> = Vec::new();
        for (i, raw) in lines.iter().enumerate().take(last + 1).skip(1) {
            let line = i + 1;
            if raw.trim().is_empty() {
                return Err(TimeSeriesError::BlankLine { file: file.to_string(), line });
            }
            let columns: Vec<&str> = raw.split(',').map(str::trim).collect();
            let [timestamp, kwh] = columns[..] else {
                return Err(TimeSeriesError::Columns {
                    file: file.to_string(),
                    line,
                    found: columns.len(),
                });
            };
            let at = parse_timestamp(file, line, timestamp, &tz, &zone_name)?;
            let value = parse_kwh(file, line, kwh)?;
            readings.push((at, value, line));
        }
        let (start, step) = step_of(file, &tz, &readings)?;
        check_regular(file, &tz, &readings, step)?;
        Ok(Meter {
            file: file.to_string(),
            zone: tz,
            start,
            step_minutes: step,
            values: readings.iter().map(|r| r.1).collect(),
            lines: readings.iter().map(|r| r.2).collect(),
        })
    }

    /// The sum of all readings, in kWh.
    pub fn total(&self) -> f64 {
        self.values.iter().sum()
    }

    /// The step between readings in minutes: 15, 30 or 60.
    pub fn step_minutes(&self) -> u32 {
        self.step_minutes
    }

    /// The start of the first reading's interval.
    pub fn start(&self) -> Timestamp {
        self.start
    }

    /// The readings in kWh per interval, in order.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The line (1-based) of each reading.
    pub fn lines(&self) -> &[usize] {
        &self.lines
    }

    /// The file the readings came from.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The readings laid on `grid`: each slot gets the sum of the readings inside it. The
    /// meter's step must be equal to or finer than the grid's and divide it, and the readings
    /// must start on the grid's slots; the meter must cover the whole grid, and readings
    /// outside the grid are an error too, naming the first such line.
    pub fn on_grid(&self, grid: &Grid) -> Result<Vec<f64>, TimeSeriesError> {
        let file = || self.file.clone();
        let (meter_step, grid_step) = (self.step_minutes, grid.step_minutes());
        if meter_step > grid_step || grid_step % meter_step != 0 {
            return Err(TimeSeriesError::StepMismatch { file: file(), meter_step, grid_step });
        }
        let label = |t: Timestamp| local_label(grid.zone(), t);
        let (grid_start, grid_end) = (grid.start(), grid.end());
        let step = i64::from(meter_step) * 60;
        let offset = self.start.as_second() - grid_start.as_second();
        if offset.rem_euclid(step) != 0 || self.start.subsec_nanosecond() != 0 {
            return Err(TimeSeriesError::Misaligned {
                file: file(),
                line: self.lines.first().copied().unwrap_or(2),
                at: label(self.start),
                grid_step,
                grid_start: label(grid_start),
            });
        }
        let outside = |k: usize| TimeSeriesError::OutsidePeriod {
            file: file(),
            line: self.lines.get(k).copied().unwrap_or(0),
            at: label(self.reading_start(k)),
            start: label(grid_start),
            end: label(grid_end),
        };
        let not_covered = |from: Timestamp, to: Timestamp| TimeSeriesError::NotCovered {
            file: file(),
            from: label(from),
            to: label(to),
            start: label(grid_start),
            end: label(grid_end),
        };
        let meter_end = self.reading_start(self.values.len());
        if offset < 0 {
            return Err(outside(0));
        }
        if offset > 0 {
            return Err(not_covered(grid_start, self.start.min(grid_end)));
        }
        if meter_end < grid_end {
            return Err(not_covered(meter_end, grid_end));
        }
        let mut slots = vec![0.0; grid.len()];
        for (k, value) in self.values.iter().enumerate() {
            // The readings start on the grid and are no coarser than its slots: reading k lies
            // in slot k * meter_step / grid_step, if that slot exists.
            let slot = k * meter_step as usize / grid_step as usize;
            match slots.get_mut(slot) {
                Some(sum) => *sum += value,
                None => return Err(outside(k)),
            }
        }
        Ok(slots)
    }

    /// The start of reading `k` (`k` steps after the first).
    fn reading_start(&self, k: usize) -> Timestamp {
        let step = i64::from(self.step_minutes) * 60;
        i64::try_from(k)
            .ok()
            .and_then(|k| k.checked_mul(step))
            .and_then(|s| self.start.checked_add(jiff::SignedDuration::from_secs(s)).ok())
            .unwrap_or(Timestamp::MAX)
    }
}

/// The first reading's start and the step: the difference between the first two readings.
fn step_of(
    file: &str,
    tz: &TimeZone,
    readings: &[(Timestamp, f64, usize)],
) -> Result<(Timestamp, u32), TimeSeriesError> {
    match readings {
        [] => Err(TimeSeriesError::Empty { file: file.to_string() }),
        [_] => Err(TimeSeriesError::SingleReading { file: file.to_string() }),
        [(first, _, first_line), (second, _, line), ..] => {
            let d = second.duration_since(*first);
            let seconds = d.as_secs();
            if d.is_zero() {
                return Err(TimeSeriesError::Duplicate {
                    file: file.to_string(),
                    first: *first_line,
                    second: *line,
                    at: local_label(tz, *first),
                });
            }
            if d.is_negative() {
                return Err(TimeSeriesError::OutOfOrder {
                    file: file.to_string(),
                    line: *line,
                    at: local_label(tz, *second),
                    previous: local_label(tz, *first),
                });
            }
            match (seconds, d.subsec_nanos()) {
                (900, 0) => Ok((*first, 15)),
                (1800, 0) => Ok((*first, 30)),
                (3600, 0) => Ok((*first, 60)),
                _ => Err(TimeSeriesError::Step { file: file.to_string(), line: *line, seconds }),
            }
        }
    }
}

/// Every reading exactly one step after the one before it.
fn check_regular(
    file: &str,
    tz: &TimeZone,
    readings: &[(Timestamp, f64, usize)],
    step_minutes: u32,
) -> Result<(), TimeSeriesError> {
    let step = i64::from(step_minutes) * 60;
    for pair in readings.windows(2) {
        let [(previous, _, _), (at, _, line)] = pair else { continue };
        let d = at.duration_since(*previous);
        let seconds = d.as_secs();
        if d.subsec_nanos() == 0 && seconds == step {
            continue;
        }
        let file = file.to_string();
        let line = *line;
        if d.is_negative() || d.is_zero() {
            // An earlier interval: a duplicate if it is one of the (regular) readings so far.
            let first = readings[0].0;
            let since = at.duration_since(first);
            let k = since.as_secs() / step;
            let earlier =
                (!since.is_negative() && since.subsec_nanos() == 0 && since.as_secs() % step == 0)
                    .then(|| usize::try_from(k).ok())
                    .flatten()
                    .and_then(|k| readings.get(k))
                    .filter(|r| r.0 == *at && r.2 < line);
            return Err(match earlier {
                Some(r) => TimeSeriesError::Duplicate {
                    file,
                    first: r.2,
                    second: line,
                    at: local_label(tz, *at),
                },
                None => TimeSeriesError::OutOfOrder {
                    file,
                    line,
                    at: local_label(tz, *at),
                    previous: local_label(tz, *previous),
                },
            });
        }
        if d.subsec_nanos() == 0 && seconds % step == 0 {
            let from = previous.checked_add(jiff::SignedDuration::from_secs(step)).unwrap_or(*at);
            return Err(TimeSeriesError::Gap {
                file,
                line,
                from: local_label(tz, from),
                to: local_label(tz, *at),
                step: step_minutes,
            });
        }
        return Err(TimeSeriesError::StepChanged { file, line, seconds, step: step_minutes });
    }
    Ok(())
}

/// `YYYY-MM-DD[T ]hh:mm[:ss]` then nothing (local time in `tz`), `Z` or `±hh:mm`.
fn parse_timestamp(
    file: &str,
    line: usize,
    text: &str,
    tz: &TimeZone,
    zone_name: &str,
) -> Result<Timestamp, TimeSeriesError> {
    let err =
        || TimeSeriesError::Timestamp { file: file.to_string(), line, value: text.to_string() };
    let b = text.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let digits = b.get(r)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(digits.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
    };
    let at = |i: usize, c: &[u8]| b.get(i).is_some_and(|x| c.contains(x));
    if !(at(4, b"-") && at(7, b"-") && at(10, b"T t") && at(13, b":")) {
        return Err(err());
    }
    let fields = (num(0..4), num(5..7), num(8..10), num(11..13), num(14..16));
    let (Some(y), Some(mo), Some(d), Some(h), Some(mi)) = fields else {
        return Err(err());
    };
    let (second, rest) = if at(16, b":") {
        (num(17..19).ok_or_else(err)?, b.get(19..).unwrap_or_default())
    } else {
        (0, b.get(16..).unwrap_or_default())
    };
    let small = |n: i64| i8::try_from(n).map_err(|_| err());
    let year = i16::try_from(y).map_err(|_| err())?;
    let dt = DateTime::new(year, small(mo)?, small(d)?, small(h)?, small(mi)?, small(second)?, 0)
        .map_err(|_| err())?;
    let offset = match rest {
        [] => None,
        [b'Z' | b'z'] => Some(Offset::UTC),
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let two = |x: &u8, y: &u8| {
                (x.is_ascii_digit() && y.is_ascii_digit())
                    .then(|| i32::from(x - b'0') * 10 + i32::from(y - b'0'))
            };
            let (Some(hh), Some(mm)) = (two(h1, h2), two(m1, m2)) else {
                return Err(err());
            };
            if mm >= 60 {
                return Err(err());
            }
            let seconds = (hh * 3600 + mm * 60) * if *sign == b'-' { -1 } else { 1 };
            Some(Offset::from_seconds(seconds).map_err(|_| err())?)
        }
        _ => return Err(err()),
    };
    if let Some(offset) = offset {
        return offset.to_timestamp(dt).map_err(|_| err());
    }
    let ambiguous = tz.to_ambiguous_timestamp(dt);
    if let Some((gap, before, after)) = ambiguity(ambiguous.offset()) {
        let local = format!("{:04}-{:02}-{:02}T{:02}:{:02}", y, mo, d, h, mi);
        let local = if second == 0 { local } else { format!("{local}:{second:02}") };
        let (file, zone) = (file.to_string(), zone_name.to_string());
        return Err(if gap {
            TimeSeriesError::Nonexistent { file, line, local, zone, before, after }
        } else {
            TimeSeriesError::Ambiguous { file, line, local, zone, before, after }
        });
    }
    ambiguous.compatible().map_err(|_| err())
}

/// A plain decimal, `123`, `0.5`, `12.`: no sign but `-` (to say it is negative), no
/// exponent, no thousands separator.
fn parse_kwh(file: &str, line: usize, text: &str) -> Result<f64, TimeSeriesError> {
    let (file, value) = (file.to_string(), text.to_string());
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let plain = !whole.is_empty()
        && whole.bytes().all(|c| c.is_ascii_digit())
        && fraction.bytes().all(|c| c.is_ascii_digit());
    let parsed = if plain { text.parse::<f64>().ok() } else { None };
    let Some(number) = parsed else {
        return Err(TimeSeriesError::NotANumber { file, line, value });
    };
    if !number.is_finite() {
        return Err(TimeSeriesError::NotFinite { file, line, value });
    }
    if number < 0.0 {
        return Err(TimeSeriesError::Negative { file, line, value });
    }
    // `-0` reads as zero.
    Ok(number + 0.0)
}
