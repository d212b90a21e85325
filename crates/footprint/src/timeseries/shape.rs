//! Standard [`LoadShape`]s for sites without interval data: relative weights by local weekday
//! and hour. They are pcf's own stated shapes, simple enough to check by hand, not the
//! standard load profiles of BDEW or any other body.

use jiff::civil::Weekday;

use super::Grid;

/// A standard load shape where no interval data exists: relative weights by local weekday and
/// hour of day.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadShape {
    /// The name inventories use (`day-shift`).
    pub name: &'static str,
    /// What the shape assumes, in one sentence.
    pub description: &'static str,
    /// Weights by weekday (Monday first) and local hour.
    weights: [[f64; 24]; 7],
}

/// Every shape pcf ships, in the order they are listed.
static SHAPES: [LoadShape; 4] = [
    LoadShape {
        name: "continuous",
        description: "the same load every hour of every day (weight 1)",
        weights: week(1.0, 0, 24, 1.0),
    },
    LoadShape {
        name: "day-shift",
        description: "Monday to Friday 08:00-18:00 local time weight 1, all other hours 0.1",
        weights: week(1.0, 8, 18, 0.1),
    },
    LoadShape {
        name: "two-shift",
        description: "Monday to Friday 06:00-22:00 local time weight 1, all other hours 0.1",
        weights: week(1.0, 6, 22, 0.1),
    },
    LoadShape {
        name: "weekdays",
        description: "Monday to Friday every hour weight 1, Saturdays and Sundays 0.1",
        weights: week(1.0, 0, 24, 0.1),
    },
];

impl LoadShape {
    /// The shape called `name`, if pcf has one.
    pub fn named(name: &str) -> Option<&'static LoadShape> {
        SHAPES.iter().find(|s| s.name == name)
    }

    /// Every shape pcf has.
    pub fn all() -> &'static [LoadShape] {
        &SHAPES
    }

    /// The weight of a local hour (`0..24`) of a weekday; 0 for an hour past 23.
    pub fn weight(&self, weekday: Weekday, hour: u8) -> f64 {
        let day = weekday.to_monday_zero_offset() as usize;
        self.weights[day].get(hour as usize).copied().unwrap_or(0.0)
    }

    /// The shape on `grid`, scaled so the values sum to `total` kWh exactly (up to f64
    /// rounding). A slot shorter than an hour gets its hour's weight.
    pub fn on_grid(&self, grid: &Grid, total: f64) -> Vec<f64> {
        let weights: Vec<f64> = (0..grid.len())
            .map(|i| {
                let local = grid.zone().to_datetime(grid.slot_start(i));
                self.weight(local.weekday(), local.hour() as u8)
            })
            .collect();
        let sum: f64 = weights.iter().sum();
        if sum <= 0.0 {
            return vec![0.0; weights.len()];
        }
        weights.iter().map(|w| total * w / sum).collect()
    }
}

/// Weight `on` from hour `from` to hour `to` (exclusive) Monday to Friday, `off` at every other
/// hour of the week.
const fn week(on: f64, from: usize, to: usize, off: f64) -> [[f64; 24]; 7] {
    let mut weights = [[off; 24]; 7];
    let mut day = 0;
    while day < 5 {
        let mut hour = from;
        while hour < to {
            weights[day][hour] = on;
            hour += 1;
        }
        day += 1;
    }
    weights
}
