//! Integration tests of the git history reader, against repositories built
//! with the git CLI (which tests may call; the library never does).

mod support;

mod errors;
mod incremental;
mod review_fixes;
mod small_repository;
mod this_repository;
