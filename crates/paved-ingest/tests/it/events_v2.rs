//! Tests of the events_v2 normaliser (not written yet).
