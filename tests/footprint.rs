//! Tests: footprint (being written).
