//! `paved`: pavedroad's one binary. `main` parses the command line, loads the
//! configuration and dispatches to `cli/<command>.rs`.

use std::process::ExitCode;

use clap::Parser;

mod cli;
mod colour;
mod config;
mod exit;
mod output;

/// mimalloc instead of the system allocator: loading a large organisation
/// allocates millions of small strings from several threads, where glibc's
/// malloc spent more time on its arenas' locks and consolidation than the
/// work itself (measured with `perf` on `paved report`, BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cli::run(cli) {
        Ok(code) => code,
        Err(error) => exit::report(&error),
    }
}
