//! pavedroad's importers: they read delivery data from where it lives and hand
//! it, normalised, to a loader the caller provides.
//!
//! Today: [`git`], the history of a local repository (commits with per-file
//! line statistics), read with gitoxide — no `git` process is started.
//!
//! Architecture invariant: this crate knows sources, not storage. Importers
//! stream records into a sink trait ([`git::CommitSink`]); the binary wires a
//! sink that writes to the store, tests collect a `Vec`. Nothing here prints:
//! progress is reported through callbacks.

pub mod git;
