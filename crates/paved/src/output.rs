//! Output for people (text) or scripts (`--format json`).

use clap::{Args, ValueEnum};
use serde::Serialize;

/// How a command prints its result.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Readable text for a terminal.
    #[default]
    Text,
    /// One JSON document on stdout, for scripts and CI.
    Json,
}

/// The `--format` flag shared by commands whose output is data.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Output format: `text` for people, `json` for scripts.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Prints `value` as pretty JSON on stdout.
pub fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}
