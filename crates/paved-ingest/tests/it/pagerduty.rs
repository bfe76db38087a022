//! Tests of the pagerduty normaliser (not written yet).
