//! paved-catalog
