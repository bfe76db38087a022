//! The command line: one file per command, each with its `Cmd` (clap derive)
//! and its `run`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{Config, FlagOverrides};
use crate::exit::BadInput;

mod audit;
mod backup;
mod catalog;
mod catalog_read;
mod client;
mod config_cmd;
mod demo;
mod deploy;
mod deploy_start;
mod drift;
mod events;
mod export;
mod identities;
mod import;
mod incident;
mod metrics;
mod migrate;
mod new;
mod oncall;
mod oncall_contact;
mod provision;
mod report;
mod runner;
mod scorecard;
mod serve;
mod session;
mod synth;
mod token;

/// pavedroad: the paved road for teams that build and run their own services.
///
/// A Backstage-compatible catalog of who owns what, the delivery and culture
/// data behind it, and a JSON API over both. Data is kept in an embedded
/// SQLite file (`paved.db` in the working directory) unless `--database-url`
/// names another file or a PostgreSQL server.
///
/// Start here:
///   paved demo                               generate a demo organisation and serve it on :7700
///   paved catalog validate examples/acme     check descriptors, every problem at once
///   paved serve --catalog examples/acme      import them and serve the API on :7700
///   paved import git ~/src/checkout          import a repository's commit history
///   paved deploy record --service checkout --environment production --sha abc1234
///   paved incident open --service checkout --id INC-7
///   paved oncall --team checkout                who is on call now, until when, who is next
///   paved oncall override --schedule checkout-oncall --user ana.souza --from "2026-07-10 18:00" --to "2026-07-11 09:00"
///   paved token create --team checkout       a token for a team's CI
///   paved identities --unresolved            people the catalog does not know yet
///   paved metrics --team checkout            DORA metrics of a team's services
///   paved report                             is DevOps a role or a culture here?
///   paved config default > paved.toml        write a commented configuration file
///
/// Exit codes: 0 ok, 1 failure, 2 bad usage or bad input.
#[derive(Debug, Parser)]
#[command(name = "paved", version, propagate_version = true, max_term_width = 100, verbatim_doc_comment)]
pub struct Cli {
    /// Configuration file (TOML; see `paved config default`). Env: PAVED_CONFIG.
    #[arg(
        long,
        global = true,
        env = "PAVED_CONFIG",
        hide_env_values = true,
        value_name = "FILE",
        help_heading = "Global options"
    )]
    config: Option<PathBuf>,

    /// Database: a SQLite file path (default `paved.db`, created by the
    /// commands that store something) or postgres://USER@HOST/DB. Env:
    /// PAVED_DATABASE_URL.
    #[arg(long, global = true, value_name = "URL", help_heading = "Global options")]
    database_url: Option<String>,

    /// Log filter, e.g. `debug` or `paved_server=debug,info` (logs go to
    /// stderr). Env: PAVED_LOG.
    #[arg(long, global = true, value_name = "FILTER", help_heading = "Global options")]
    log: Option<String>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    // No doc comments on the variants: each command's own doc comment is its
    // help, and a variant's would replace it.
    Serve(serve::Cmd),
    Runner(runner::Cmd),
    Demo(demo::Cmd),
    Synth(synth::Cmd),
    #[command(subcommand)]
    Catalog(catalog::Cmd),
    #[command(subcommand)]
    Import(import::Cmd),
    Deploy(deploy::Cmd),
    #[command(subcommand)]
    Incident(incident::Cmd),
    Oncall(oncall::Cmd),
    New(new::Cmd),
    Drift(drift::Cmd),
    Scorecard(scorecard::Cmd),
    Audit(audit::Cmd),
    Provision(provision::Cmd),
    Deprovision(provision::DeprovisionCmd),
    #[command(subcommand)]
    Resource(provision::ResourceCmd),
    #[command(subcommand)]
    Events(events::Cmd),
    Identities(identities::Cmd),
    Metrics(metrics::Cmd),
    Report(report::Cmd),
    #[command(subcommand)]
    Token(token::Cmd),
    Migrate(migrate::Cmd),
    Export(export::ExportCmd),
    #[command(subcommand)]
    Session(session::Cmd),
    Backup(backup::BackupCmd),
    Restore(backup::RestoreCmd),
    #[command(subcommand)]
    Config(config_cmd::Cmd),
}

/// Where logs go by default for a command: servers say what they do, other
/// commands stay quiet unless something is wrong.
#[derive(Debug, Clone, Copy)]
enum LogDefault {
    Info,
    Warn,
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let flags = FlagOverrides { database_url: cli.database_url, log: cli.log, ..FlagOverrides::default() };
    match cli.command {
        Command::Config(cmd) => config_cmd::run(cmd),
        Command::Serve(cmd) => {
            let config = Config::load(cli.config.as_deref(), cmd.overrides(flags))?;
            init_logging(&config, LogDefault::Info)?;
            runtime()?.block_on(serve::run(cmd, config))
        }
        Command::Runner(cmd) => {
            let config = Config::load(cli.config.as_deref(), cmd.overrides(flags))?;
            init_logging(&config, LogDefault::Info)?;
            runtime()?.block_on(runner::run(cmd, config))
        }
        Command::Demo(cmd) => {
            let config = Config::load(cli.config.as_deref(), cmd.overrides(flags))?;
            init_logging(&config, LogDefault::Warn)?;
            runtime()?.block_on(demo::run(cmd, config))
        }
        Command::Synth(cmd) => {
            let config = Config::load(cli.config.as_deref(), flags)?;
            init_logging(&config, LogDefault::Warn)?;
            runtime()?.block_on(synth::run(cmd, config))
        }
        Command::Catalog(cmd) => {
            let config = Config::load(cli.config.as_deref(), flags)?;
            init_logging(&config, LogDefault::Warn)?;
            runtime()?.block_on(catalog::run(cmd, config))
        }
        Command::Import(cmd) => {
            let config = Config::load(cli.config.as_deref(), flags)?;
            init_logging(&config, LogDefault::Warn)?;
            runtime()?.block_on(import::run(cmd, config))
        }
        Command::Deploy(cmd) => {
            let config = Config::load(cli.config.as_deref(), cmd.overrides(flags))?;
            init_logging(&config, LogDefault::Warn)?;
            runtime()?.block_on(deploy::run(cmd, config))
        }
        Command::Incident(cmd) => {
            let config = Config::load(cli.config.as_deref(), cmd.overrides(flags))?;
            init_logging(&config, LogDefault::Warn)?;
            runtime()?.block_on(incident::run(cmd, config))
        }
        Command::Oncall(cmd) => {
            let config = Config::load(cli.config.as_deref(), cmd.overrides(flags))?;
            init_logging(&config, LogDefault::Warn)?;
            runtime()?.block_on(oncall::run(cmd, config))
        }
        Command::New(cmd) => {
            let config = Config::load(cli.config.as_deref(), cmd.overrides(flags))?;
            init_logging(&config, LogDefault::Warn)?;
            runtime()?.block_on(new::run(cmd, config))
        }
        Command::Drift(cmd) => {
            let config = Config::load(cli.config.as_deref(), cmd.overrides(flags))?;
            init_logging(&config, LogDefault::Warn)?;
            runtime()?.block_on(drift::run(cmd, config))
        }
        Command::Scorecard(cmd) => {
            let config = Config::load(cli.config.as_deref(), cmd.overrides(flags))?;
            init_logging(&config, LogDefault::Warn)?;
            runtime()?.block_on(scorecard::run(cmd, config))
        }
        Command::Audit(cmd) => {
            let config = Config::load(cli.config.as_deref(), cmd.overrides(flags))?;
            init_logging(&config, LogDefault::Warn)?;
            runtime()?.block_on(audit::run(cmd, config))
        }
        Command::Provision(cmd) => {
            let config = Config::load(cli.config.as_deref(), cmd.overrides(flags))?;
            init_logging(&config, LogDefault::Warn)?;
            runtime()?.block_on(provision::run(cmd, config))
        }
        Command::Deprovision(cmd) => {
            let config = Config::load(cli.config.as_deref(), cmd.overrides(flags))?;
            init_logging(&config, LogDefault::Warn)?;
            runtime()?.block_on(provision::deprovision(cmd, config))
        }
        Command::Resource(cmd) => {
            let config = Config::load(cli.config.as_deref(), cmd.overrides(flags))?;
            init_logging(&config, LogDefault::Warn)?;
            runtime()?.block_on(provision::run_resource(cmd, config))
        }
        Command::Events(cmd) => {
            let config = Config::load(cli.config.as_deref(), flags)?;
            init_logging(&config, LogDefault::Warn)?;
            runtime()?.block_on(events::run(cmd, config))
        }
        Command::Identities(cmd) => {
            let config = Config::load(cli.config.as_deref(), flags)?;
            init_logging(&config, LogDefault::Warn)?;
            runtime()?.block_on(identities::run(cmd, config))
        }
        Command::Metrics(cmd) => {
            let config = Config::load(cli.config.as_deref(), flags)?;
            init_logging(&config, LogDefault::Warn)?;
            runtime()?.block_on(metrics::run(cmd, config))
        }
        Command::Report(cmd) => {
            let config = Config::load(cli.config.as_deref(), flags)?;
            init_logging(&config, LogDefault::Warn)?;
            runtime()?.block_on(report::run(cmd, config))
        }
        Command::Token(cmd) => {
            let config = Config::load(cli.config.as_deref(), flags)?;
            init_logging(&config, LogDefault::Warn)?;
            runtime()?.block_on(token::run(cmd, config))
        }
        Command::Export(cmd) => {
            let config = Config::load(cli.config.as_deref(), flags)?;
            init_logging(&config, LogDefault::Warn)?;
            runtime()?.block_on(export::export(cmd, config))
        }
        Command::Session(cmd) => {
            let config = Config::load(cli.config.as_deref(), flags)?;
            init_logging(&config, LogDefault::Warn)?;
            runtime()?.block_on(session::run(cmd, config))
        }
        Command::Backup(cmd) => {
            let config = Config::load(cli.config.as_deref(), flags)?;
            init_logging(&config, LogDefault::Warn)?;
            runtime()?.block_on(backup::backup(cmd, config))
        }
        Command::Restore(cmd) => {
            let config = Config::load(cli.config.as_deref(), flags)?;
            init_logging(&config, LogDefault::Warn)?;
            runtime()?.block_on(backup::restore(cmd, config))
        }
        Command::Migrate(cmd) => {
            let config = Config::load(cli.config.as_deref(), flags)?;
            init_logging(&config, LogDefault::Warn)?;
            runtime()?.block_on(migrate::run(cmd, config))
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

fn init_logging(config: &Config, default: LogDefault) -> anyhow::Result<()> {
    let filter = match (config.log.as_str(), default) {
        ("", LogDefault::Info) => "info",
        ("", LogDefault::Warn) => "warn",
        (filter, _) => filter,
    };
    let filter = tracing_subscriber::EnvFilter::try_new(filter).map_err(|error| {
        BadInput(format!("invalid log filter `{filter}` (--log or PAVED_LOG): {error}; write e.g. `info` or `paved_server=debug,info`"))
    })?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
