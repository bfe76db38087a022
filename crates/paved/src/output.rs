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
    outln!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Standard output was closed by the reader (`paved events list | head`):
/// the command ends quietly with exit code 0, as Unix tools do.
#[derive(Debug)]
pub struct StdoutClosed;

impl std::fmt::Display for StdoutClosed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("standard output was closed")
    }
}

impl std::error::Error for StdoutClosed {}

/// Writes `args` to stdout.
///
/// # Errors
/// [`StdoutClosed`] when the reader has gone; any other write error as it is.
pub fn write_out(args: std::fmt::Arguments<'_>) -> anyhow::Result<()> {
    use std::io::Write as _;
    match std::io::stdout().lock().write_fmt(args) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Err(StdoutClosed.into()),
        Err(error) => Err(anyhow::Error::new(error).context("writing to standard output")),
    }
}

/// `print!` that returns [`StdoutClosed`] (with `?`) instead of panicking
/// when stdout is a closed pipe.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write_out(format_args!($($arg)*))?
    };
}

/// `println!` that returns [`StdoutClosed`] (with `?`) instead of
/// panicking when stdout is a closed pipe.
macro_rules! outln {
    () => {
        $crate::output::write_out(format_args!("\n"))?
    };
    ($($arg:tt)*) => {
        $crate::output::write_out(format_args!("{}\n", format_args!($($arg)*)))?
    };
}

pub(crate) use {out, outln};
