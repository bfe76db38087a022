//! The store's one integration-test binary: the contract every backend must
//! keep (run on SQLite always, on PostgreSQL when `PAVED_TEST_DATABASE_URL`
//! is set), plus what only one backend has.

mod commits;
mod contacts;
mod contract;
mod harness;
mod heartbeats;
mod ingest;
mod jobs;
mod migrate;
mod overrides;
mod paging;
mod record_format;
mod resources;
mod scorecards;
mod sessions;
mod sqlite;
mod templates;
mod urls;
