//! HTTP tests of the API: a real server on port 0 over a real store (SQLite
//! always, PostgreSQL when `PAVED_TEST_DATABASE_URL` is set), loaded with the
//! example organisation `examples/acme`.

mod api;
mod backstage;
mod connections;
mod contacts;
mod helpers;
mod hooks;
mod limits;
mod metrics;
mod oncall;
mod openapi;
mod protection_rule;
mod provision;
mod records;
mod scaffold;
mod scorecards;
mod sign_in;
mod web;
