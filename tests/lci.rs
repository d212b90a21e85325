//! Tests: lci (being written).
