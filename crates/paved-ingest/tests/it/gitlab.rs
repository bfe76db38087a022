//! Tests of the gitlab normaliser (not written yet).
