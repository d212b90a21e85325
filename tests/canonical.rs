//! Tests: canonical (being written).
