//! Tests: methodology (being written).
