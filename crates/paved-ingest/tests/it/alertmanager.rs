//! Tests of the alertmanager normaliser (not written yet).
