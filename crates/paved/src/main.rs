//! `paved`: pavedroad's one binary. `main` parses the command line, loads the
//! configuration and dispatches to `cli/<command>.rs`.

use std::process::ExitCode;

use clap::Parser;

mod cli;
mod config;
mod demo;
mod exit;
mod output;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cli::run(cli) {
        Ok(code) => code,
        Err(error) => exit::report(&error),
    }
}
