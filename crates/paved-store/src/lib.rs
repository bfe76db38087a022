//! paved-store
