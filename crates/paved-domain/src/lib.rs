//! pavedroad's domain types, shared by the catalog, the store and the server.
//!
//! Architecture invariant: this crate does no IO. Its types parse their input
//! (`EntityRef::parse`) rather than validate it after the fact, so a value of
//! one of these types is always well formed.

mod catalog_index;
mod commit;
mod contact;
mod deploy_target;
mod derivation;
mod entity;
mod entity_kind;
mod entity_ref;
mod escalation;
mod heartbeat;
mod identity;
mod module;
mod oncall;
mod records;
mod relation;
mod repo;
pub mod scorecard;
mod source;
pub mod template;

pub use catalog_index::{
    CatalogIndex, DEFAULT_PRODUCTION_ENVIRONMENTS, GroupInfo, PAGERDUTY_USER_ANNOTATION, PersonInfo, ServiceInfo,
    ServiceMatch,
};
pub use commit::{Commit, CommitSignature, FileStat};
pub use contact::{CONTACTS_ANNOTATION, Contact, ContactError, EmailAddress, HttpUrl};
pub use deploy_target::{
    DenyWindow, DeployPlan, DeployTarget, FieldProblem, HealthCheck, LevelRelief, Policy, Rollback, Step, StepAction,
    parse_span,
};
pub use derivation::{Derivation, EventStatus, IdentitySighting};
pub use entity::{CatalogEntity, PavedAnnotations, SourcePosition};
pub use entity_kind::{EntityKind, UnknownKind};
pub use entity_ref::{DEFAULT_NAMESPACE, EntityRef, EntityRefError};
pub use escalation::{EscalationPolicy, EscalationStep, MAX_REPEAT, PageTarget};
pub use heartbeat::{Heartbeat, MAX_HEARTBEAT_INTERVAL, MIN_HEARTBEAT_INTERVAL};
pub use identity::{Identity, IdentityError, IdentityKind};
pub use module::{Driver, Limits, Module, TerraformCall, is_identifier};
pub use oncall::{Override, Rotation, Schedule, Shift, ShiftLength, ShiftSource, uncovered};
pub use records::{
    CiRun, Deployment, DeploymentStatus, DeploymentTrigger, Incident, IncidentStatus, Page, PageReason, Provisioning,
    ProvisioningState, PullRequest, PullRequestState, Push, PushedCommit, Record, RecordIndex, RecordKind,
    RecordedShift, Review, root_cause_in,
};
pub use relation::{Relation, RelationType};
pub use repo::{RepoId, RepoIdError};
pub use scorecard::Scorecard;
pub use source::{Source, UnknownSource};
pub use template::{Action, OutputLink, Template, TemplateStep};
