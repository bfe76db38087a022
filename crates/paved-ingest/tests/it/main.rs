//! Integration tests of the importers: the git history reader against
//! repositories built with the git CLI (which tests may call; the library
//! never does), and each webhook normaliser against real payloads.

mod payloads;
mod support;

mod alertmanager;
mod api;
mod errors;
mod events_v2;
mod github;
mod gitlab;
mod incremental;
mod pagerduty;
mod protection_rule;
mod review_fixes;
mod small_repository;
mod this_repository;
