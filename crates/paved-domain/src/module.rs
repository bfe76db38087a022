//! Modules (`kind: Module`, `apiVersion: paved.dev/v1alpha1`): what the
//! platform team offers for self-service provisioning (DESIGN §7
//! Provision) — a type of resource, the parameters a request may set (as
//! JSON Schema), the driver that fulfils it on a server whose admin
//! connection is in the configuration (never in a descriptor), the limits
//! instead of an approval, and the outputs a request answers with.
//!
//! ```yaml
//! apiVersion: paved.dev/v1alpha1
//! kind: Module
//! metadata: { name: postgres-database }
//! spec:
//!   owner: platform
//!   type: database            # the Resource's spec.type; default: the name
//!   driver: postgres          # postgres, redis or terraform
//!   server: main              # [provision.servers.main] url = "postgres://..."
//!   parameters:               # JSON Schema of what `--set key=value` may give
//!     type: object
//!     properties:
//!       class: { type: string, enum: [small, large], default: small }
//!   limits:
//!     per_team: 5             # live resources of this module per team
//!     classes: [small]        # the values `class` may take
//!   outputs: [host, port, database, user, password]
//! ```
//!
//! A `terraform` Module names the module it calls and the repository the
//! call is written to: `terraform: { source, version, repository, path }`.

use serde::Deserialize;
use serde_json::Value;

use crate::deploy_target::{FieldProblem, Problems};
use crate::{CatalogEntity, EntityKind, EntityRef};

/// Who fulfils a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Driver {
    /// A database and a role owning it, on a PostgreSQL server.
    Postgres,
    /// An ACL user restricted to the service's key prefix, on a Redis 6+
    /// server.
    Redis,
    /// A call of a platform-owned Terraform module, committed to the
    /// team's infrastructure repository on a new branch.
    Terraform,
}

impl Driver {
    /// `postgres`, `redis` or `terraform`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Postgres => "postgres",
            Self::Redis => "redis",
            Self::Terraform => "terraform",
        }
    }

    /// Whether it makes secrets (a password), which need a `secret_key`
    /// to be kept.
    pub fn makes_secrets(self) -> bool {
        matches!(self, Self::Postgres | Self::Redis)
    }

    /// The outputs a request of this driver answers with.
    pub fn outputs(self) -> &'static [&'static str] {
        match self {
            Self::Postgres => &["host", "port", "database", "user", "password", "url"],
            Self::Redis => &["host", "port", "user", "password", "key_prefix", "url"],
            Self::Terraform => &["repository", "branch", "commit", "file"],
        }
    }
}

/// Where a `terraform` Module's call is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerraformCall {
    /// The module's `source` (`git::https://...//modules/bucket`).
    pub source: String,
    /// Its version (a tag or ref), if pinned.
    pub version: Option<String>,
    /// The infrastructure repository (a git URL or path) the call is
    /// committed to, on a new branch; `{team}` in it stands for the
    /// requesting team's name (`git@git.example.com:acme/{team}-infra.git`).
    pub repository: String,
    /// The directory in it (default `terraform`).
    pub path: String,
}

/// The limits a request is checked against before anything runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Limits {
    /// The most live resources of this Module a team may have.
    pub per_team: Option<u32>,
    /// The values the `class` parameter may take; empty: any the schema
    /// allows.
    pub classes: Vec<String>,
}

/// A Module, as the platform team declares it.
#[derive(Debug, Clone, PartialEq)]
pub struct Module {
    /// The Module entity.
    pub entity_ref: EntityRef,
    /// Who maintains it.
    pub owner: Option<EntityRef>,
    /// The type of the Resources it makes (`spec.type` of each).
    pub resource_type: String,
    /// Its driver.
    pub driver: Driver,
    /// The configured server it runs on (`postgres` and `redis`).
    pub server: Option<String>,
    /// The JSON Schema of its parameters (an object schema).
    pub parameters: Value,
    /// Its limits.
    pub limits: Limits,
    /// The outputs it answers with (a subset of its driver's).
    pub outputs: Vec<String>,
    /// The Terraform call (`terraform` only).
    pub terraform: Option<TerraformCall>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    owner: Option<String>,
    #[serde(rename = "type")]
    resource_type: Option<String>,
    driver: Option<String>,
    server: Option<String>,
    parameters: Option<Value>,
    limits: Option<LimitsSpec>,
    outputs: Option<Vec<String>>,
    terraform: Option<TerraformSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsSpec {
    per_team: Option<u32>,
    #[serde(default)]
    classes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TerraformSpec {
    source: Option<String>,
    version: Option<String>,
    repository: Option<String>,
    path: Option<String>,
}

impl Module {
    /// Reads `entity` (a Module descriptor). The parameters' schema is
    /// checked as JSON Schema by the catalog, which has the validator.
    ///
    /// # Errors
    /// Every problem, each with the path of its field.
    pub fn parse(entity: &CatalogEntity) -> Result<Self, Vec<FieldProblem>> {
        let namespace = entity.entity_ref.namespace();
        let mut problems = Problems(Vec::new());
        let Some(spec) = problems.spec::<Spec>(
            entity,
            "a Module has owner, type, driver, server, parameters, limits, outputs and terraform under spec",
        ) else {
            return Err(problems.0);
        };
        let owner = problems.owner(spec.owner.as_deref(), namespace);
        let driver = match spec.driver.as_deref() {
            None => {
                problems.push("spec", "spec.driver is missing; write postgres, redis or terraform");
                None
            }
            Some("postgres") => Some(Driver::Postgres),
            Some("redis") => Some(Driver::Redis),
            Some("terraform") => Some(Driver::Terraform),
            Some(other) => {
                problems.push("spec.driver", format!("spec.driver `{other}` is not postgres, redis or terraform"));
                None
            }
        };
        let server = spec.server.map(|s| s.trim().to_owned());
        match (driver, &server) {
            (Some(Driver::Postgres | Driver::Redis), None) => problems.push(
                "spec",
                "spec.server is missing; name the server whose admin connection is in the configuration \
                 ([provision.servers.NAME] url = ...)",
            ),
            (_, Some(name)) if !is_identifier(name) => problems.push(
                "spec.server",
                format!("spec.server `{name}` is not a server name (letters, digits, `-` and `_`)"),
            ),
            _ => {}
        }
        let parameters = spec.parameters.unwrap_or_else(|| serde_json::json!({ "type": "object" }));
        if parameters.get("type").and_then(Value::as_str) != Some("object") {
            problems.push(
                "spec.parameters",
                "spec.parameters is a JSON Schema of `type: object` (its `properties` are the parameters)",
            );
        }
        let limits = spec.limits.map(|l| Limits { per_team: l.per_team, classes: l.classes }).unwrap_or_default();
        let outputs = match (spec.outputs, driver) {
            (Some(outputs), Some(driver)) => {
                for (i, output) in outputs.iter().enumerate() {
                    if !driver.outputs().contains(&output.as_str()) {
                        problems.push(
                            format!("spec.outputs[{i}]"),
                            format!(
                                "spec.outputs[{i}] `{output}` is not an output of the {} driver ({})",
                                driver.as_str(),
                                driver.outputs().join(", ")
                            ),
                        );
                    }
                }
                outputs
            }
            (None, Some(driver)) => driver.outputs().iter().map(|o| (*o).to_owned()).collect(),
            (_, None) => Vec::new(),
        };
        let terraform = match (driver, spec.terraform) {
            (Some(Driver::Terraform), Some(t)) => {
                let source = t.source.filter(|s| !s.trim().is_empty());
                let repository = t.repository.filter(|s| !s.trim().is_empty());
                if source.is_none() {
                    problems.push("spec.terraform", "spec.terraform.source is missing; name the module to call");
                }
                if repository.is_none() {
                    problems.push(
                        "spec.terraform",
                        "spec.terraform.repository is missing; name the infrastructure repository the call is committed to",
                    );
                }
                let path = t.path.unwrap_or_else(|| "terraform".to_owned());
                if path.split('/').any(|part| matches!(part, ".." | "" | ".git")) || path.starts_with('/') {
                    problems.push(
                        "spec.terraform.path",
                        format!("spec.terraform.path `{path}` is not a relative directory"),
                    );
                }
                source.zip(repository).map(|(source, repository)| TerraformCall {
                    source,
                    version: t.version,
                    repository,
                    path,
                })
            }
            (Some(Driver::Terraform), None) => {
                problems.push("spec", "spec.terraform is missing; a terraform Module names its source and repository");
                None
            }
            (Some(_), Some(_)) => {
                problems.push("spec.terraform", "spec.terraform is for the terraform driver only");
                None
            }
            (None, _) | (Some(_), None) => None,
        };
        let resource_type = spec.resource_type.unwrap_or_else(|| entity.entity_ref.name().to_owned());
        match driver {
            Some(driver) if problems.0.is_empty() => Ok(Self {
                entity_ref: entity.entity_ref.clone(),
                owner: owner.filter(|o| o.is(EntityKind::Group) || o.is(EntityKind::User)),
                resource_type,
                driver,
                server,
                parameters,
                limits,
                outputs,
                terraform,
            }),
            _ => Err(problems.0),
        }
    }
}

/// A name of letters, digits, `-` and `_`, 1 to 63 characters.
pub fn is_identifier(name: &str) -> bool {
    (1..=63).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entity(spec: Value) -> CatalogEntity {
        CatalogEntity {
            entity_ref: EntityRef::parse("module:default/postgres-database", None, "default").unwrap(),
            kind: "Module".into(),
            api_version: "paved.dev/v1alpha1".into(),
            title: None,
            description: None,
            spec_type: None,
            lifecycle: None,
            owner: None,
            source: crate::SourcePosition { file: "m.yaml".into(), line: 1, column: 1 },
            document: serde_json::json!({ "spec": spec }),
            relations: Vec::new(),
            paved: Default::default(),
        }
    }

    #[test]
    fn a_postgres_module_reads_with_its_defaults() {
        let module = Module::parse(&entity(serde_json::json!({
            "owner": "platform", "driver": "postgres", "server": "main",
            "limits": { "per_team": 3, "classes": ["small"] },
        })))
        .unwrap();
        assert_eq!((module.driver, module.server.as_deref()), (Driver::Postgres, Some("main")));
        assert_eq!(module.resource_type, "postgres-database");
        assert_eq!(module.limits, Limits { per_team: Some(3), classes: vec!["small".into()] });
        assert_eq!(module.outputs, ["host", "port", "database", "user", "password", "url"]);
        assert_eq!(module.owner.unwrap().to_string(), "group:default/platform");
    }

    #[test]
    fn every_problem_is_named_with_its_field() {
        let problems = Module::parse(&entity(serde_json::json!({
            "driver": "postgres", "server": "main; drop", "parameters": { "type": "array" },
            "outputs": ["host", "secret"], "terraform": { "source": "x" },
        })))
        .unwrap_err();
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["spec.server", "spec.parameters", "spec.outputs[1]", "spec.terraform"], "{problems:?}");
        let missing = Module::parse(&entity(serde_json::json!({ "driver": "redis" }))).unwrap_err();
        assert!(missing[0].message.contains("[provision.servers.NAME]"), "{missing:?}");
        let terraform = Module::parse(&entity(
            serde_json::json!({ "driver": "terraform", "terraform": { "source": "s", "path": "../x" } }),
        ))
        .unwrap_err();
        let messages: Vec<&str> = terraform.iter().map(|p| p.message.as_str()).collect();
        assert!(
            messages.iter().any(|m| m.contains("repository is missing"))
                && messages.iter().any(|m| m.contains("not a relative directory")),
            "{messages:?}"
        );
    }
}
