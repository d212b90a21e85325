//! Tests: signing (being written).
