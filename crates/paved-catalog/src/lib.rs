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
//! Architecture invariant: one bad file or entity never hides another.
//! [`load`] always runs to the end and returns every problem, each with the
//! file, line and column, the entity, what is wrong and how to fix it.
//!
//! Module map: `yaml` parses YAML into a tree with positions; `validate`
//! checks one document (pure); `annotations` and `rules` hold the value
//! parsers and Backstage's format rules; `load` does the file IO, follows
//! Locations and runs the checks that need the whole catalog.

mod annotations;
mod load;
mod problem;
mod rules;
mod validate;
mod yaml;

pub use load::{CatalogLoad, LoadOptions, load};
pub use problem::{Problem, ProblemCode, Severity};
