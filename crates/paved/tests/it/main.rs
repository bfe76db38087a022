//! Integration tests of the `paved` binary: run it as a user would and check
//! what they see (exit codes, output, the database, HTTP answers).

mod catalog;
mod cli;
mod import;
mod serve;
mod support;
