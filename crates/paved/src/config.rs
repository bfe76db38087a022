//! Configuration in layers: defaults < config file (`--config`, or
//! `PAVED_CONFIG`) < `PAVED_*` environment variables < command-line flags.

use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::Figment;
use figment::providers::{Format as _, Serialized, Toml};
use serde::{Deserialize, Serialize};

use crate::exit::BadInput;

/// Where the embedded database lives when nothing else is configured: a file
/// in the working directory, created on first use.
pub const DEFAULT_DATABASE: &str = "paved.db";
/// The address `paved serve` listens on by default.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7700";

/// The whole configuration of `paved`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `postgres://...`, `sqlite://PATH` or a SQLite file path.
    pub database_url: String,
    /// Address of `paved serve`; port 0 picks a free port.
    pub listen: String,
    /// Log filter (`tracing` env-filter syntax), e.g. `info` or
    /// `paved_server=debug,info`. Empty: `info` for `serve`, `warn` otherwise.
    pub log: String,
    /// Catalog paths `paved serve` imports at start.
    pub catalog: Vec<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: DEFAULT_DATABASE.to_owned(),
            listen: DEFAULT_LISTEN.to_owned(),
            log: String::new(),
            catalog: Vec::new(),
        }
    }
}

impl std::fmt::Debug for Config {
    /// Redacts the database password: configuration is logged.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &paved_store::redact_url(&self.database_url))
            .field("listen", &self.listen)
            .field("log", &self.log)
            .field("catalog", &self.catalog)
            .finish()
    }
}

/// Values given on the command line or in `PAVED_*` variables; `None`
/// leaves the lower layers' value.
#[derive(Debug, Default, Serialize)]
pub struct FlagOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub catalog: Option<Vec<PathBuf>>,
}

impl FlagOverrides {
    /// The `PAVED_*` variables, read as text exactly as written
    /// (`PAVED_LISTEN=7700` stays the string `7700`); `PAVED_CATALOG` is a
    /// comma-separated list of paths.
    fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok();
        Self {
            database_url: var("PAVED_DATABASE_URL"),
            listen: var("PAVED_LISTEN"),
            log: var("PAVED_LOG"),
            catalog: var("PAVED_CATALOG")
                .map(|list| list.split(',').map(str::trim).filter(|p| !p.is_empty()).map(PathBuf::from).collect()),
        }
    }
}

impl Config {
    /// Loads the layers. `file` is the `--config` path (or `PAVED_CONFIG`);
    /// a named file that does not exist is an error.
    ///
    /// # Errors
    /// [`BadInput`] when the file is missing or malformed, or a value has the
    /// wrong type.
    pub fn load(file: Option<&Path>, flags: FlagOverrides) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.is_file() {
                return Err(BadInput(format!(
                    "config file {} does not exist; write one with `paved config default > {}`",
                    file.display(),
                    file.display()
                ))
                .into());
            }
            check_toml_syntax(file)?;
            figment = figment.merge(Toml::file_exact(file));
        }
        figment = figment.merge(Serialized::globals(FlagOverrides::from_env())).merge(Serialized::globals(flags));
        figment
            .extract::<Config>()
            .map_err(|error| BadInput(format!("invalid configuration: {error}")))
            .context("loading the configuration")
    }
}

/// Reports a TOML syntax error by line and column only: the offending line
/// may hold a database password, so it is not quoted.
fn check_toml_syntax(file: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file)
        .map_err(|error| BadInput(format!("cannot read config file {}: {error}", file.display())))?;
    let Err(error) = text.parse::<toml::Table>() else { return Ok(()) };
    let offset = error.span().map_or(0, |span| span.start);
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Err(BadInput(format!("{}:{line}:{column}: invalid TOML: {}", file.display(), error.message().trim())).into())
}

/// The commented sample printed by `paved config default`.
pub fn sample() -> String {
    format!(
        r#"# paved configuration (TOML). Pass it with `--config FILE` or PAVED_CONFIG=FILE.
# Every key is optional. Precedence: defaults < this file < PAVED_* environment
# variables (e.g. PAVED_DATABASE_URL) < command-line flags (e.g. --database-url).

# The database. A SQLite file path (created on first use, WAL mode, fully
# synchronous) or a PostgreSQL URL such as postgres://paved@db.internal/paved.
# Env: PAVED_DATABASE_URL. Flag: --database-url.
database_url = "{DEFAULT_DATABASE}"

# Where `paved serve` listens. Port 0 picks a free port (the log says which).
# Env: PAVED_LISTEN. Flag: paved serve --listen.
listen = "{DEFAULT_LISTEN}"

# Log filter in tracing's env-filter syntax, e.g. "debug" or
# "paved_server=debug,info". Empty means `info` for `serve`, `warn` otherwise.
# Env: PAVED_LOG. Flag: --log.
log = ""

# Catalog paths (files or directories of Backstage descriptors) that
# `paved serve` imports when it starts.
# Env: PAVED_CATALOG (comma-separated). Flag: paved serve --catalog.
catalog = []
"#
    )
}

#[cfg(test)]
// figment's `Jail` closures return its own large error type; that is its API.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_parses_to_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("paved.toml");
        std::fs::write(&file, sample()).unwrap();
        figment::Jail::expect_with(|_| {
            assert_eq!(Config::load(Some(&file), FlagOverrides::default()).unwrap(), Config::default());
            Ok(())
        });
    }

    #[test]
    fn layers_override_in_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("paved.toml", "listen = \"0.0.0.0:1\"\ndatabase_url = \"from-file.db\"\nlog = \"debug\"")?;
            jail.set_env("PAVED_LISTEN", "127.0.0.1:2");
            let flags = FlagOverrides { database_url: Some("from-flag.db".into()), ..FlagOverrides::default() };
            let config = Config::load(Some(Path::new("paved.toml")), flags).unwrap();
            assert_eq!(config.log, "debug", "file beats default");
            assert_eq!(config.listen, "127.0.0.1:2", "env beats file");
            assert_eq!(config.database_url, "from-flag.db", "flag beats file");
            Ok(())
        });
    }

    #[test]
    fn environment_values_are_text_and_catalog_is_a_comma_list() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("PAVED_LISTEN", "7700");
            jail.set_env("PAVED_DATABASE_URL", "1234");
            jail.set_env("PAVED_CATALOG", "examples/acme, more/catalog-info.yaml");
            let config = Config::load(None, FlagOverrides::default()).unwrap();
            assert_eq!(config.listen, "7700");
            assert_eq!(config.database_url, "1234");
            assert_eq!(config.catalog, [PathBuf::from("examples/acme"), PathBuf::from("more/catalog-info.yaml")]);
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_and_missing_files_are_bad_input() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("paved.toml", "databse_url = \"typo.db\"")?;
            let error = Config::load(Some(Path::new("paved.toml")), FlagOverrides::default()).unwrap_err();
            assert!(error.chain().any(|c| c.is::<BadInput>()));
            assert!(format!("{error:#}").contains("databse_url"), "{error:#}");
            let error = Config::load(Some(Path::new("missing.toml")), FlagOverrides::default()).unwrap_err();
            assert!(format!("{error:#}").contains("paved config default"), "{error:#}");
            Ok(())
        });
    }

    #[test]
    fn a_syntax_error_is_located_without_quoting_the_line() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "paved.toml",
                "listen = \"127.0.0.1:1\"\ndatabase_url = \"postgres://u:s3cret@db/paved\n",
            )?;
            let error = Config::load(Some(Path::new("paved.toml")), FlagOverrides::default()).unwrap_err();
            let shown = format!("{error:#}");
            assert!(shown.contains("paved.toml:2:"), "{shown}");
            assert!(!shown.contains("s3cret"), "{shown}");
            Ok(())
        });
    }

    #[test]
    fn debug_redacts_the_database_password() {
        let config = Config { database_url: "postgres://paved:s3cret@db/paved".into(), ..Config::default() };
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
    }
}
