//! Deploys on the paved road (DESIGN §7 Deploy): a service's owners deploy
//! it themselves through its DeployTarget, and automated checks decide
//! instead of a gatekeeper. [`policy`] holds the checks.

pub mod policy;

pub use policy::{CheckKind, CheckOutcome, PolicyInput, allowed, evaluate};
