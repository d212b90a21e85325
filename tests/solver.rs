//! Tests: solver (being written).
