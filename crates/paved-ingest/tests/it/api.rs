//! Tests of the api normaliser (not written yet).
