//! Meter exports (`timestamp,kwh` CSV, `pcf_footprint::timeseries::Meter`): any text, read in
//! three time zones (one with daylight saving). Nothing may panic; a meter that reads has
//! finite, non-negative readings one step apart, and laid on an hourly grid of its first days
//! either fails with an error or keeps its total where it covers the grid exactly.
#![no_main]

use pcf::timeseries::{Grid, Meter};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for zone in ["UTC", "Asia/Shanghai", "Europe/Berlin"] {
        let Ok(meter) = Meter::read("meter.csv", text, zone) else { continue };
        assert!(meter.values().iter().all(|v| v.is_finite() && *v >= 0.0));
        assert!([15, 30, 60].contains(&meter.step_minutes()));
        let day = meter.start().to_zoned_datetime(jiff::tz::TimeZone::get(zone).unwrap()).date();
        if let Ok(grid) = Grid::of_period(day, day, zone, 60)
            && let Ok(on) = meter.on_grid(&grid)
        {
            let sum: f64 = on.iter().sum();
            assert!((sum - meter.total()).abs() <= 1e-6 * meter.total().max(1.0));
        }
    }
});
