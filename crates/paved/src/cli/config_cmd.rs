//! `paved config default`.

use std::process::ExitCode;

use crate::output::out;
use clap::Subcommand;

/// Print configuration: `paved config default` writes a commented sample.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Print a commented sample configuration with every key and its default.
    ///
    /// Example: paved config default > paved.toml && paved --config paved.toml serve
    Default,
}

pub fn run(cmd: Cmd) -> anyhow::Result<ExitCode> {
    match cmd {
        Cmd::Default => out!("{}", crate::config::sample()),
    }
    Ok(ExitCode::SUCCESS)
}
