//! What the fuzz targets (`fuzz/`) call that the application keeps to
//! itself: the checks of a request's parameters against a Module's or a
//! Template's JSON Schema. Built only with the `fuzzing` feature.

use paved_domain::{Module, Template};
use serde_json::Value;

use crate::AppError;

/// A provisioning request's `--set` values checked against `module`'s
/// parameters, its defaults applied ([`crate::App::provision`]'s check).
///
/// # Errors
/// As the request would be refused.
pub fn module_parameters(module: &Module, set: &[(String, String)]) -> Result<Value, AppError> {
    crate::provision::parameters(module, set)
}

/// A golden path's `--set` values checked against every form step of
/// `template` ([`crate::App::scaffold`]'s check).
///
/// # Errors
/// As the request would be refused.
pub fn template_parameters(template: &Template, set: &[(String, String)]) -> Result<Value, AppError> {
    crate::scaffold::parameters(template, set)
}
