//! pavedroad's domain types, shared by the catalog, the store and the server.
//!
//! Architecture invariant: this crate does no IO. Its types parse their input
//! (`EntityRef::parse`) rather than validate it after the fact, so a value of
//! one of these types is always well formed.

mod commit;
mod entity;
mod entity_ref;
mod relation;
mod repo;

pub use commit::{Commit, CommitSignature, FileStat};
pub use entity::{CatalogEntity, PavedAnnotations, SourcePosition};
pub use entity_ref::{DEFAULT_NAMESPACE, EntityRef, EntityRefError};
pub use relation::{Relation, RelationType};
pub use repo::{RepoId, RepoIdError};
