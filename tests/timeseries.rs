//! Tests: interval energy data (`pcf_footprint::timeseries`). Grids of reference periods in time
//! zones with and without daylight saving time, meter exports summed onto them, load shapes
//! scaled to a total, and every way a meter file can be wrong, each asserted exactly. Expected
//! numbers are computed by hand here, never by calling the code under test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use jiff::civil::date;
use pcf_footprint::timeseries::{Granularity, Grid, LoadShape, Meter, TimeSeriesError};

/// `n` hourly readings of 1 kWh in local time from `first` (`2025-01-01T00:00`), one a line.
fn hourly(first_hour: &str, hours: usize) -> String {
    let day = &first_hour[..10];
    let start: usize = first_hour[11..13].parse().unwrap();
    let mut csv = "timestamp,kwh\n".to_string();
    for h in start..start + hours {
        csv.push_str(&format!("{day}T{h:02}:00,1\n"));
    }
    csv
}

fn read_err(csv: &str, zone: &str) -> TimeSeriesError {
    Meter::read("meters/foundry.csv", csv, zone).unwrap_err()
}

fn file() -> String {
    "meters/foundry.csv".to_string()
}

#[test]
fn day_shift_over_a_week_is_scaled_to_the_total() {
    // Monday 6 to Sunday 12 January 2025: 168 hours, 5 x 10 = 50 working hours of weight 1
    // and 118 others of weight 0.1, so the weights sum to 50 + 11.8 = 61.8.
    let grid = Grid::of_period(date(2025, 1, 6), date(2025, 1, 12), "Europe/Berlin", 60).unwrap();
    assert_eq!(grid.len(), 168);
    let values = LoadShape::named("day-shift").unwrap().on_grid(&grid, 1000.0);
    let (work, other) = (1000.0 / 61.8, 100.0 / 61.8);
    assert!((work - 16.181_229_773_462_78_f64).abs() < 1e-12);
    assert!((other - 1.618_122_977_346_278_f64).abs() < 1e-12);
    for (i, v) in values.iter().enumerate() {
        let (day, hour) = (i / 24, i % 24);
        let expected = if day < 5 && (8..18).contains(&hour) { work } else { other };
        assert!((v - expected).abs() < 1e-9, "slot {i}: {v} != {expected}");
    }
    assert!((values.iter().sum::<f64>() - 1000.0).abs() < 1e-9);
}

#[test]
fn the_four_shapes_are_listed_and_sub_hourly_slots_take_their_hours_weight() {
    let names: Vec<&str> = LoadShape::all().iter().map(|s| s.name).collect();
    assert_eq!(names, ["continuous", "day-shift", "two-shift", "weekdays"]);
    assert!(LoadShape::named("bdew-g0").is_none());
    // Saturday 11 January 2025 in 15-minute slots: `weekdays` is 0.1 all day, so flat.
    let grid = Grid::of_period(date(2025, 1, 11), date(2025, 1, 11), "UTC", 15).unwrap();
    let values = LoadShape::named("weekdays").unwrap().on_grid(&grid, 96.0);
    assert_eq!(values.len(), 96);
    assert!(values.iter().all(|v| (v - 1.0).abs() < 1e-12), "{values:?}");
    // Monday 6 January 2025, two-shift: 16 hours of 1 and 8 of 0.1, sum 16.8; in quarter
    // hours each slot has its hour's weight, so 67.2 weights of quarters.
    let grid = Grid::of_period(date(2025, 1, 6), date(2025, 1, 6), "Asia/Shanghai", 15).unwrap();
    let values = LoadShape::named("two-shift").unwrap().on_grid(&grid, 672.0);
    assert_eq!(values.len(), 96);
    assert!((values[4 * 6] - 10.0).abs() < 1e-9); // 06:00: 672 / 67.2
    assert!((values[4 * 6 - 1] - 1.0).abs() < 1e-9); // 05:45
    assert!((values[4 * 22] - 1.0).abs() < 1e-9); // 22:00
    assert!((values[4 * 22 - 1] - 10.0).abs() < 1e-9); // 21:45
}

#[test]
fn a_quarter_hour_meter_sums_onto_an_hourly_grid() {
    // 1 January 2025 in Asia/Shanghai, quarter q of hour h reads h + q/4 kWh: the hour sums
    // to 4h + (0 + 0.25 + 0.5 + 0.75) = 4h + 1.5.
    let mut csv = "Timestamp , KWH\r\n".to_string();
    for h in 0..24 {
        for q in 0..4 {
            csv.push_str(&format!(
                "2025-01-01 {h:02}:{:02},{}\r\n",
                q * 15,
                h as f64 + q as f64 / 4.0
            ));
        }
    }
    csv.push_str("\r\n\r\n");
    let meter = Meter::read("meters/hall.csv", &format!("\u{feff}{csv}"), "Asia/Shanghai").unwrap();
    assert_eq!(meter.step_minutes(), 15);
    assert_eq!(meter.values().len(), 96);
    // Sum of 4h + 1.5 over 24 hours: 4 * 276 + 36.
    assert_eq!(meter.total(), 1140.0);
    let grid = Grid::of_period(date(2025, 1, 1), date(2025, 1, 1), "Asia/Shanghai", 60).unwrap();
    let expected: Vec<f64> = (0..24).map(|h| 4.0 * h as f64 + 1.5).collect();
    assert_eq!(meter.on_grid(&grid).unwrap(), expected);
    // On a 30-minute grid: the first half hour of hour h is h + h + 0.25 = 2h + 0.25.
    let grid = Grid::of_period(date(2025, 1, 1), date(2025, 1, 1), "Asia/Shanghai", 30).unwrap();
    let halves = meter.on_grid(&grid).unwrap();
    assert_eq!(halves[2 * 5], 10.25);
    assert_eq!(halves[2 * 5 + 1], 11.25);
}

#[test]
fn a_year_in_shanghai_has_twelve_monthly_buckets() {
    let grid = Grid::of_period(date(2025, 1, 1), date(2025, 12, 31), "Asia/Shanghai", 60).unwrap();
    assert_eq!(grid.len(), 365 * 24);
    assert_eq!(grid.zone_name(), "Asia/Shanghai");
    assert_eq!(grid.start().to_string(), "2024-12-31T16:00:00Z");
    let (ids, n) = grid.buckets(Granularity::Monthly);
    assert_eq!(n, 12);
    assert_eq!(ids.iter().filter(|&&b| b == 0).count(), 31 * 24);
    assert_eq!(ids.iter().filter(|&&b| b == 1).count(), 28 * 24);
    assert_eq!(ids[31 * 24 - 1], 0);
    assert_eq!(ids[31 * 24], 1);
    assert_eq!(ids[365 * 24 - 1], 11);
    assert_eq!(grid.bucket_label(Granularity::Monthly, 0), "2025-01");
    assert_eq!(grid.bucket_label(Granularity::Monthly, 11), "2025-12");
    assert_eq!(grid.buckets(Granularity::Annual), (vec![0; 8760], 1));
    assert_eq!(grid.bucket_label(Granularity::Annual, 0), "2025");
    let (ids, n) = grid.buckets(Granularity::Hourly);
    assert_eq!(n, 8760);
    assert_eq!(ids[8759], 8759);
    // 1 March 13:00: (31 + 28) days and 13 hours into the year.
    assert_eq!(grid.bucket_label(Granularity::Hourly, 59 * 24 + 13), "2025-03-01T13:00+08:00");
    assert_eq!(grid.slot_of("2025-03-01T05:30:00Z".parse().unwrap()), Some(59 * 24 + 13));
    assert_eq!(grid.slot_of("2024-12-31T15:59:59Z".parse().unwrap()), None);
    assert_eq!(grid.slot_of("2025-12-31T16:00:00Z".parse().unwrap()), None);
    assert_eq!(grid.slot_start(1).to_string(), "2024-12-31T17:00:00Z");
    assert_eq!(grid.local_hours()[..3], [0, 1, 2]);
}

#[test]
fn quarter_hour_grids_bucket_by_hour() {
    let grid = Grid::of_period(date(2025, 6, 1), date(2025, 6, 7), "UTC", 15).unwrap();
    assert_eq!(grid.len(), 7 * 96);
    let (ids, n) = grid.buckets(Granularity::Hourly);
    assert_eq!(n, 7 * 24);
    assert_eq!(ids[..9], [0, 0, 0, 0, 1, 1, 1, 1, 2]);
    assert_eq!(grid.bucket_label(Granularity::Hourly, 25), "2025-06-02T01:00+00:00");
    assert_eq!(grid.bucket_label(Granularity::Annual, 0), "2025-06-01/2025-06-07");
    assert_eq!(grid.local_hours()[..6], [0, 0, 0, 0, 1, 1]);
}

#[test]
fn days_of_daylight_saving_change_have_23_and_25_hours() {
    let spring =
        Grid::of_period(date(2025, 3, 30), date(2025, 3, 30), "Europe/Berlin", 60).unwrap();
    assert_eq!(spring.len(), 23);
    assert_eq!(spring.start().to_string(), "2025-03-29T23:00:00Z");
    let hours: Vec<u8> = (0..24).filter(|&h| h != 2).collect();
    assert_eq!(spring.local_hours(), hours);
    let autumn =
        Grid::of_period(date(2025, 10, 26), date(2025, 10, 26), "Europe/Berlin", 60).unwrap();
    assert_eq!(autumn.len(), 25);
    assert_eq!(autumn.local_hours()[..5], [0, 1, 2, 2, 3]);
    assert_eq!(autumn.bucket_label(Granularity::Hourly, 2), "2025-10-26T02:00+02:00");
    assert_eq!(autumn.bucket_label(Granularity::Hourly, 3), "2025-10-26T02:00+01:00");
    let quarters =
        Grid::of_period(date(2025, 3, 30), date(2025, 3, 30), "Europe/Berlin", 15).unwrap();
    assert_eq!(quarters.len(), 92);
    // The year has 8760 hours everywhere: one short day and one long one.
    let year = Grid::of_period(date(2025, 1, 1), date(2025, 12, 31), "Europe/Berlin", 60).unwrap();
    assert_eq!(year.len(), 8760);
    let (ids, _) = year.buckets(Granularity::Monthly);
    assert_eq!(ids.iter().filter(|&&b| b == 2).count(), 31 * 24 - 1);
    assert_eq!(ids.iter().filter(|&&b| b == 9).count(), 31 * 24 + 1);
}

#[test]
fn local_times_across_the_spring_gap_are_an_error_and_offsets_are_fine() {
    // A naive export writes all 24 clock hours, 02:00 included: line 4.
    let naive = hourly("2025-03-30T00:00", 24);
    assert_eq!(
        read_err(&naive, "Europe/Berlin"),
        TimeSeriesError::Nonexistent {
            file: file(),
            line: 4,
            local: "2025-03-30T02:00".into(),
            zone: "Europe/Berlin".into(),
            before: jiff::tz::offset(1),
            after: jiff::tz::offset(2),
        }
    );
    // The same day with offsets: 00:00 and 01:00 at +01:00, then 03:00 to 23:00 at +02:00.
    let mut csv = "timestamp,kwh\n".to_string();
    for h in (0..24).filter(|&h| h != 2) {
        let offset = if h < 2 { "+01:00" } else { "+02:00" };
        csv.push_str(&format!("2025-03-30T{h:02}:00:00{offset},{h}\n"));
    }
    let grid = Grid::of_period(date(2025, 3, 30), date(2025, 3, 30), "Europe/Berlin", 60).unwrap();
    let meter = Meter::read("meters/foundry.csv", &csv, "Europe/Berlin").unwrap();
    let expected: Vec<f64> = (0..24).filter(|&h| h != 2).map(f64::from).collect();
    assert_eq!(meter.on_grid(&grid).unwrap(), expected);
    // Local times that skip 02:00 are fine too; so is UTC with `Z`.
    let skipping = naive.replace("2025-03-30T02:00,1\n", "");
    assert_eq!(
        Meter::read("m.csv", &skipping, "Europe/Berlin").unwrap().on_grid(&grid).unwrap().len(),
        23
    );
    let utc = "timestamp,kwh\n2025-03-29T23:00Z,1\n2025-03-30T00:00:00Z,2\n";
    assert_eq!(Meter::read("m.csv", utc, "Europe/Berlin").unwrap().total(), 3.0);
}

#[test]
fn local_times_in_the_autumn_fold_are_ambiguous() {
    let err = read_err(&hourly("2025-10-26T00:00", 4), "Europe/Berlin");
    assert_eq!(
        err.to_string(),
        "meters/foundry.csv:4: 2025-10-26T02:00 is ambiguous in Europe/Berlin (it happens at \
         +02:00 and again at +01:00); write every timestamp with its offset from UTC, \
         2025-10-26T02:00+02:00 or 2025-10-26T02:00+01:00"
    );
    let csv = "timestamp,kwh\n2025-10-26T00:00,1\n2025-10-26T01:00,1\n2025-10-26T02:00+02:00,2\n\
               2025-10-26T02:00+01:00,3\n2025-10-26T03:00,1\n";
    let meter = Meter::read("m.csv", csv, "Europe/Berlin").unwrap();
    assert_eq!(meter.values(), [1.0, 1.0, 2.0, 3.0, 1.0]);
    assert_eq!(meter.step_minutes(), 60);
}

#[test]
fn a_gap_names_the_missing_interval() {
    let csv = hourly("2025-01-01T00:00", 6) + "2025-01-01T07:00,1\n";
    let err = read_err(&csv, "Asia/Shanghai");
    insta::assert_snapshot!(err, @"meters/foundry.csv:8: gap: no reading from 2025-01-01T06:00+08:00 to 2025-01-01T07:00+08:00 (the readings are every 60 minutes); add the missing readings (a zero where nothing was used)");
}

#[test]
fn duplicates_and_readings_out_of_order_name_their_lines() {
    let csv = hourly("2025-01-01T00:00", 4) + "2025-01-01T01:00,1\n";
    assert_eq!(
        read_err(&csv, "UTC"),
        TimeSeriesError::Duplicate {
            file: file(),
            first: 3,
            second: 6,
            at: "2025-01-01T01:00+00:00".into()
        }
    );
    let csv = "timestamp,kwh\n2025-01-01T00:00,1\n2025-01-01T00:00,1\n";
    assert_eq!(
        read_err(csv, "UTC").to_string(),
        "meters/foundry.csv:3: duplicate: the reading at 2025-01-01T00:00+00:00 is already on \
         line 2; keep one"
    );
    let csv = hourly("2025-01-01T00:00", 3) + "2025-01-01T00:30,1\n";
    assert_eq!(
        read_err(&csv, "UTC"),
        TimeSeriesError::OutOfOrder {
            file: file(),
            line: 5,
            at: "2025-01-01T00:30+00:00".into(),
            previous: "2025-01-01T02:00+00:00".into()
        }
    );
    let csv = "timestamp,kwh\n2025-01-01T01:00,1\n2025-01-01T00:00,1\n";
    assert!(matches!(read_err(csv, "UTC"), TimeSeriesError::OutOfOrder { line: 3, .. }));
}

#[test]
fn steps_must_be_15_30_or_60_minutes_and_constant() {
    let csv = "timestamp,kwh\n2025-01-01T00:00,1\n2025-01-01T02:00,1\n";
    assert_eq!(
        read_err(csv, "UTC"),
        TimeSeriesError::Step { file: file(), line: 3, seconds: 7200 }
    );
    assert_eq!(
        read_err(csv, "UTC").to_string(),
        "meters/foundry.csv:3: the readings are 120 minutes apart; the step must be 15, 30 or 60 \
         minutes"
    );
    let csv = "timestamp,kwh\n2025-01-01T00:00,1\n2025-01-01T00:15,1\n2025-01-01T00:35,1\n";
    assert_eq!(
        read_err(csv, "UTC"),
        TimeSeriesError::StepChanged { file: file(), line: 4, seconds: 1200, step: 15 }
    );
    let csv = "timestamp,kwh\n2025-01-01T00:00,1\n";
    assert_eq!(read_err(csv, "UTC"), TimeSeriesError::SingleReading { file: file() });
}

#[test]
fn values_must_be_plain_decimals_of_zero_or_more() {
    let with = |v: &str| format!("timestamp,kwh\n2025-01-01T00:00,{v}\n2025-01-01T01:00,1\n");
    assert_eq!(
        read_err(&with("-0.5"), "UTC"),
        TimeSeriesError::Negative { file: file(), line: 2, value: "-0.5".into() }
    );
    for bad in ["abc", "1e3", "NaN", "inf", "", ".5", "1 000", "12 kWh", "+1"] {
        assert_eq!(
            read_err(&with(bad), "UTC"),
            TimeSeriesError::NotANumber { file: file(), line: 2, value: bad.trim().into() },
            "{bad:?}"
        );
    }
    let huge = "9".repeat(400);
    assert_eq!(
        read_err(&with(&huge), "UTC"),
        TimeSeriesError::NotFinite { file: file(), line: 2, value: huge.clone() }
    );
    assert_eq!(
        read_err(&with("1,000"), "UTC"),
        TimeSeriesError::Columns { file: file(), line: 2, found: 3 }
    );
    insta::assert_snapshot!(read_err(&with("1.2.3"), "UTC"), @r#"meters/foundry.csv:2: "1.2.3" is not a number; write kWh as a plain decimal such as 1234.5 (no thousands separators, no exponent, no unit)"#);
    let meter = Meter::read("m.csv", &with("-0"), "UTC").unwrap();
    assert_eq!(meter.values(), [0.0, 1.0]);
    assert!(meter.values()[0].is_sign_positive());
    assert_eq!(Meter::read("m.csv", &with("12."), "UTC").unwrap().total(), 13.0);
}

#[test]
fn the_header_is_required_and_the_file_may_not_be_empty() {
    assert_eq!(
        read_err("2025-01-01T00:00,1\n2025-01-01T01:00,1\n", "UTC"),
        TimeSeriesError::Header { file: file(), found: "2025-01-01T00:00,1".into() }
    );
    assert_eq!(
        read_err("timestamp,kwh,note\n", "UTC").to_string(),
        "meters/foundry.csv:1: the first line must be the header timestamp,kwh, found \
         \"timestamp,kwh,note\"; start the file with the line timestamp,kwh"
    );
    assert_eq!(read_err("", "UTC"), TimeSeriesError::Empty { file: file() });
    assert_eq!(read_err("\u{feff}\r\n \n", "UTC"), TimeSeriesError::Empty { file: file() });
    assert_eq!(read_err("timestamp,kwh\n", "UTC"), TimeSeriesError::Empty { file: file() });
    let csv = "timestamp,kwh\n2025-01-01T00:00,1\n\n2025-01-01T01:00,1\n";
    assert_eq!(read_err(csv, "UTC"), TimeSeriesError::BlankLine { file: file(), line: 3 });
    let csv = "timestamp,kwh\n2025-01-01T00:00,1,x\n";
    assert_eq!(read_err(csv, "UTC"), TimeSeriesError::Columns { file: file(), line: 2, found: 3 });
}

#[test]
fn timestamps_that_are_not_timestamps_name_the_line() {
    for bad in [
        "2025-13-01T00:00",
        "2025-02-29T00:00",
        "2025-01-01T24:00",
        "2025-01-01",
        "2025/01/01 00:00",
        "2025-01-01T00:00+8",
        "2025-01-01T00:00:00.5Z",
        "2025-01-01T00:00+26:00",
        "2025-01-01T00:00:60",
        "２025-01-01T00:00",
    ] {
        let csv = format!("timestamp,kwh\n{bad},1\n");
        assert_eq!(
            read_err(&csv, "UTC"),
            TimeSeriesError::Timestamp { file: file(), line: 2, value: bad.into() },
            "{bad}"
        );
    }
    assert_eq!(
        read_err("timestamp,kwh\n", "Asia/Shangai"),
        TimeSeriesError::UnknownZone { zone: "Asia/Shangai".into() }
    );
}

#[test]
fn the_meter_must_cover_the_grid_exactly() {
    let grid = Grid::of_period(date(2025, 1, 1), date(2025, 1, 1), "UTC", 60).unwrap();
    let read = |csv: &str| Meter::read("meters/foundry.csv", csv, "UTC").unwrap();
    // Readings from 01:00: the first hour is missing.
    let late = read(&hourly("2025-01-01T01:00", 23));
    assert_eq!(
        late.on_grid(&grid).unwrap_err(),
        TimeSeriesError::NotCovered {
            file: file(),
            from: "2025-01-01T00:00+00:00".into(),
            to: "2025-01-01T01:00+00:00".into(),
            start: "2025-01-01T00:00+00:00".into(),
            end: "2025-01-02T00:00+00:00".into(),
        }
    );
    // Readings up to 21:00: the last two hours are missing.
    let short = read(&hourly("2025-01-01T00:00", 22));
    insta::assert_snapshot!(short.on_grid(&grid).unwrap_err(), @"meters/foundry.csv: no reading from 2025-01-01T22:00+00:00 to 2025-01-02T00:00+00:00, inside the period 2025-01-01T00:00+00:00 to 2025-01-02T00:00+00:00; add the readings of the whole period (a zero where nothing was used)");
    // A reading of the next day, on line 26.
    let long = read(&(hourly("2025-01-01T00:00", 24) + "2025-01-02T00:00,1\n"));
    assert_eq!(
        long.on_grid(&grid).unwrap_err(),
        TimeSeriesError::OutsidePeriod {
            file: file(),
            line: 26,
            at: "2025-01-02T00:00+00:00".into(),
            start: "2025-01-01T00:00+00:00".into(),
            end: "2025-01-02T00:00+00:00".into(),
        }
    );
    // A reading of the day before, on line 2.
    let early = read(
        &("timestamp,kwh\n2024-12-31T23:00,1\n".to_string()
            + &hourly("2025-01-01T00:00", 24)[14..]),
    );
    assert!(matches!(
        early.on_grid(&grid).unwrap_err(),
        TimeSeriesError::OutsidePeriod { line: 2, .. }
    ));
    // Hourly readings do not fill 15-minute slots; half-past readings straddle hourly slots.
    let quarters = Grid::of_period(date(2025, 1, 1), date(2025, 1, 1), "UTC", 15).unwrap();
    assert_eq!(
        read(&hourly("2025-01-01T00:00", 24)).on_grid(&quarters).unwrap_err(),
        TimeSeriesError::StepMismatch { file: file(), meter_step: 60, grid_step: 15 }
    );
    let halves = read("timestamp,kwh\n2024-12-31T23:30,1\n2025-01-01T00:30,1\n");
    assert!(matches!(
        halves.on_grid(&grid).unwrap_err(),
        TimeSeriesError::Misaligned { line: 2, grid_step: 60, .. }
    ));
    assert_eq!(read(&hourly("2025-01-01T00:00", 24)).on_grid(&grid).unwrap(), vec![1.0; 24]);
}

#[test]
fn periods_and_steps_that_are_not_grids() {
    let day = date(2025, 1, 1);
    assert_eq!(
        Grid::of_period(day, day, "UTC", 20).unwrap_err(),
        TimeSeriesError::GridStep { minutes: 20 }
    );
    assert_eq!(
        Grid::of_period(day, date(2024, 12, 31), "UTC", 60).unwrap_err().to_string(),
        "the period 2025-01-01 to 2024-12-31 ends before it starts; give the first day first"
    );
    assert!(matches!(
        Grid::of_period(day, date(2040, 1, 1), "UTC", 60).unwrap_err(),
        TimeSeriesError::PeriodTooLong { .. }
    ));
    assert!(matches!(
        Grid::of_period(date(9999, 12, 31), date(9999, 12, 31), "UTC", 60).unwrap_err(),
        TimeSeriesError::PeriodTooLong { .. }
    ));
    assert_eq!(
        Grid::of_period(day, day, "Mars/Olympus_Mons", 60).unwrap_err(),
        TimeSeriesError::UnknownZone { zone: "Mars/Olympus_Mons".into() }
    );
    // Lord Howe Island moves its clocks by 30 minutes: 6 April 2025 has 24.5 hours.
    let lord_howe = date(2025, 4, 6);
    assert!(matches!(
        Grid::of_period(lord_howe, lord_howe, "Australia/Lord_Howe", 60).unwrap_err(),
        TimeSeriesError::UnevenPeriod { minutes: 60, .. }
    ));
    assert_eq!(Grid::of_period(lord_howe, lord_howe, "Australia/Lord_Howe", 30).unwrap().len(), 49);
    assert_eq!(Grid::of_period(day, day, "utc", 60).unwrap().zone_name(), "UTC");
}
