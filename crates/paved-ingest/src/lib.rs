//! pavedroad's importers: they read delivery data from where it lives and hand
//! it, normalised, to whoever stores it.
//!
//! - [`git`]: the history of a local repository (commits with per-file line
//!   statistics), read with gitoxide — no `git` process is started.
//! - One module per webhook source ([`github`], [`gitlab`], [`alertmanager`],
//!   [`pagerduty`], [`events_v2`]), one for pavedroad's own API payloads
//!   ([`api`]) and one for the deploys pavedroad runs itself ([`paved`]): each verifies a delivery's signature on the raw bytes, then
//!   normalises its body into records. [`contract`] holds what every
//!   normaliser receives and returns, [`normalize`] dispatches on the
//!   source, and [`resolve`] resolves the result against the catalog.
//!
//! Architecture invariant: this crate knows sources, not storage or HTTP.
//! Importers stream records into a sink trait ([`git::CommitSink`]);
//! normalisers are pure functions from a raw event to records
//! ([`derive`]). Only this crate knows a provider's JSON. Nothing
//! here prints: progress is reported through callbacks.

pub mod alertmanager;
pub mod api;
pub mod contract;
pub mod events_v2;
pub mod git;
pub mod github;
pub mod gitlab;
pub mod json;
pub mod normalize;
pub mod pagerduty;
pub mod paved;
pub mod resolve;
pub mod signature;

pub use contract::{
    IngestSettings, NormalizeError, Normalized, Observation, PersonHint, RawInput, ServiceHint, parse_json,
};
pub use normalize::normalize;
pub use resolve::derive;
