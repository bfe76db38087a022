//! paved-server
