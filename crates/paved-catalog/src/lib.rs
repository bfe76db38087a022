//! Reads Backstage catalog descriptors (and pavedroad's own kinds), checks
//! them, and derives each entity's relations.
//!
//! ```no_run
//! use std::path::PathBuf;
//! let load = paved_catalog::load(&[PathBuf::from("examples/acme")], &Default::default());
//! for problem in &load.problems {
//!     eprintln!("{problem}");
//! }
//! println!("{} entities", load.entities.len());
//! ```
//!
//! Architecture invariant: the only IO here is reading the files and
//! directories given (and the local files their Location entities name);
//! nothing is fetched from the network, and `$text`/`$json`/`$yaml`
//! placeholders are kept as written.
//!
//! Location targets are followed the way Backstage follows them, with no
//! sandbox: a relative target is resolved from the directory of the
//! Location's file, and a target may also be an absolute path
//! (`/etc/catalog.yaml`, `file:///srv/catalog/`) or climb out with `../`.
//! Whatever local file or directory a Location names is read, wherever it is
//! on this machine, and its problems are reported with its path. Load only
//! catalogs whose Locations you would let read those files.
//!
//! Limits, so that whatever loads can also be stored and read back: files of
//! at most [`LoadOptions::max_file_bytes`] (a large YAML file found while
//! walking a directory is skipped unless its first 64 KiB show a
//! `backstage.io/` or `paved.dev/` apiVersion), collections nested at most
//! 64 levels deep (aliases included), aliases expanding a document by at
//! most 1,000,000 nodes and 64 MiB of text, and no NUL character in any key
//! or string.
//!
//! Architecture invariant: one bad file or entity never hides another.
//! [`load`] always runs to the end and returns every problem, each with the
//! file, line and column, the entity, what is wrong and how to fix it.
//!
//! Module map: `yaml` parses YAML into a tree with positions; `validate`
//! checks one document (pure); `annotations` holds the table of the
//! annotations pavedroad reads and their value parsers, `rules` Backstage's
//! format rules; `load` does the file IO, follows Locations and runs the
//! checks that need the whole catalog.

mod annotations;
mod load;
mod problem;
mod rules;
mod validate;
mod yaml;

pub use load::{CatalogLoad, LoadOptions, load};
pub use problem::{Problem, ProblemCode, Severity};

/// Every document of a YAML file as JSON, with the catalog loader's
/// limits (depth, alias expansion): for reading YAML that is not a
/// descriptor, such as a repository's Prometheus rule files.
///
/// # Errors
/// The first syntax error, with its line and column.
pub fn yaml_documents(text: &str) -> Result<Vec<serde_json::Value>, String> {
    let parsed = yaml::parse(text);
    if let Some(error) = parsed.error {
        return Err(format!("line {}, column {}: {}", error.pos.line, error.pos.column, error.message));
    }
    Ok(parsed.documents.iter().map(|document| document.root.to_json()).collect())
}
