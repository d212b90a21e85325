//! Tests: register (being written).
