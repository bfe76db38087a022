//! The reports as they leave pavedroad: the serialised form of the
//! diagnosis ([`CultureReport`]) and of the DORA report ([`DoraReport`]),
//! with their OpenAPI schemas. `paved report --format json`, `paved metrics
//! --format json` and the API print these, so that they print the same
//! JSON; the metrics crate computes and knows no wire format.

pub mod dora;
pub mod report;
pub mod schema;

pub use dora::DoraReport;
pub use report::CultureReport;
