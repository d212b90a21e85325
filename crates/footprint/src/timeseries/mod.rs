//! Interval energy data for hourly matching of green electricity: the [`Grid`] of a reference
//! period (its slots of 15, 30 or 60 minutes in a named time zone, and how they group into
//! annual, monthly or hourly matching buckets), a [`Meter`] export read from CSV and laid on a
//! grid, and the standard [`LoadShape`]s used where no interval data exists.
//!
//! Every instant is a [`jiff::Timestamp`]; local calendar questions (midnight, the month, the
//! hour of day, the weekday) are answered in the grid's time zone from jiff's bundled tz
//! database, so a day of daylight saving time has 23 or 25 hourly slots, never a shifted 24.
//! The CSV format is described in `docs/meter-data.md`.
//!
//! ```
//! use pcf_footprint::timeseries::{Granularity, Grid, LoadShape, Meter};
//!
//! let day = jiff::civil::date(2025, 1, 6);
//! let grid = Grid::of_period(day, day, "Asia/Shanghai", 60).unwrap();
//! assert_eq!(grid.len(), 24);
//! assert_eq!(grid.start().to_string(), "2025-01-05T16:00:00Z");
//! assert_eq!(grid.buckets(Granularity::Monthly), (vec![0; 24], 1));
//!
//! let csv = "timestamp,kwh\n2025-01-06T00:00,2\n2025-01-06T12:00,3\n";
//! let err = Meter::read("meters/hall.csv", csv, "Asia/Shanghai").unwrap_err();
//! assert!(err.to_string().starts_with("meters/hall.csv:3: the readings are 720 minutes apart"));
//!
//! let shape = LoadShape::named("continuous").unwrap();
//! assert_eq!(shape.on_grid(&grid, 240.0), vec![10.0; 24]);
//! ```

mod error;
mod grid;
mod meter;
mod shape;

pub use error::TimeSeriesError;
pub use grid::{Granularity, Grid, MAX_DAYS};
pub use meter::Meter;
pub use shape::LoadShape;
