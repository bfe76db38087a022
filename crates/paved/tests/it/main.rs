//! Integration tests of the `paved` binary: run it as a user would and check
//! what they see (exit codes, output, the database, HTTP answers).

mod alertmanager;
mod backup;
mod catalog;
mod ci_identity;
mod cli;
mod crash;
mod demo;
mod demo_report;
mod deploy_road;
mod disk_full;
mod dora;
mod drift;
mod fuzz_replay;
mod import;
mod new;
mod oncall;
mod paging;
mod prometheus;
mod provision;
mod records;
mod replicas;
mod schemathesis;
mod scorecard_repo;
mod secrets;
mod serve;
mod support;
mod synth;
mod tls;
