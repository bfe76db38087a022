//! Integration tests of `paved_catalog::load`: real files and directories,
//! checked the way a user reads the output (file:line:column, codes, counts).

mod acceptance;
mod acme;
mod backstage_examples;
mod catalog_checks;
mod files;
mod limits;
mod support;
