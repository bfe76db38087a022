//! Tests of the github normaliser (not written yet).
