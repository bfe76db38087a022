//! Golden paths (DESIGN §7): software templates in Backstage's format
//! (`apiVersion: scaffolder.backstage.io/v1beta3`, `kind: Template`), which
//! `paved new` runs to start a service on the paved road.
//!
//! ```yaml
//! apiVersion: scaffolder.backstage.io/v1beta3
//! kind: Template
//! metadata:
//!   name: python-service
//!   annotations: { paved.dev/template-version: "3" }
//! spec:
//!   owner: platform
//!   type: service
//!   parameters:               # JSON Schema steps of the form
//!     - title: The service
//!       required: [name, owner]
//!       properties:
//!         name: { type: string, pattern: "^[a-z][a-z0-9-]*$" }
//!         owner: { type: string }
//!   steps:
//!     - id: fetch
//!       action: fetch:template
//!       input: { url: ./skeleton, values: { name: "${{ parameters.name }}" } }
//!     - id: publish
//!       action: publish:git
//!       input: { repoUrl: "${{ parameters.name }}" }
//!   output:
//!     links: [{ title: Repository, url: "${{ steps.publish.output.remoteUrl }}" }]
//! ```
//!
//! Only the actions pavedroad runs are accepted ([`Action`]); Backstage's
//! others (`publish:github`, ...) are named in the refusal.

use serde::Deserialize;
use serde_json::Value;

use crate::deploy_target::{FieldProblem, Problems};
use crate::{CatalogEntity, EntityRef};

/// The annotation a Template's version is read from: `paved new` records
/// it on what it creates, and drift compares against it.
pub const VERSION_ANNOTATION: &str = "paved.dev/template-version";

/// An action a Template's step runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// `fetch:template`: a skeleton directory, rendered.
    FetchTemplate,
    /// `fetch:plain`: a directory, copied as it is.
    FetchPlain,
    /// `publish:git`: the workspace as the first commit of a new repository.
    PublishGit,
    /// `catalog:register`: the new `catalog-info.yaml` imported.
    CatalogRegister,
    /// `paved:provision`: a self-service provisioning request.
    PavedProvision,
    /// `paved:deploy-target`: the new service's DeployTarget imported.
    PavedDeployTarget,
}

impl Action {
    /// Every action, in the order the docs list them.
    pub const ALL: [Self; 6] = [
        Self::FetchTemplate,
        Self::FetchPlain,
        Self::PublishGit,
        Self::CatalogRegister,
        Self::PavedProvision,
        Self::PavedDeployTarget,
    ];

    /// The action's id, as a step's `action` writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FetchTemplate => "fetch:template",
            Self::FetchPlain => "fetch:plain",
            Self::PublishGit => "publish:git",
            Self::CatalogRegister => "catalog:register",
            Self::PavedProvision => "paved:provision",
            Self::PavedDeployTarget => "paved:deploy-target",
        }
    }

    /// The action `id` names.
    pub fn parse(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|action| action.as_str() == id)
    }
}

/// One step of a Template.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateStep {
    /// Its id, for `${{ steps.ID.output.* }}`.
    pub id: String,
    /// Its name, shown in the run's log.
    pub name: String,
    /// What it runs.
    pub action: Action,
    /// Its input, whose strings may hold `${{ }}` expressions.
    pub input: Value,
    /// A condition (`${{ parameters.x }}`): the step is skipped when it is
    /// false.
    pub condition: Option<String>,
}

/// A link shown after a run (`spec.output.links`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputLink {
    /// Its title.
    pub title: String,
    /// Where it points, as an expression.
    pub url: Option<String>,
    /// Or the entity it names, as an expression.
    pub entity_ref: Option<String>,
}

/// A Template, as the platform team declares it.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// The Template entity.
    pub entity_ref: EntityRef,
    /// The descriptor file it was read from: `fetch:template` URLs are
    /// relative to its directory.
    pub source_file: String,
    /// Who maintains it.
    pub owner: Option<EntityRef>,
    /// What it makes (`service`, `website`, ...).
    pub spec_type: String,
    /// Its version (the `paved.dev/template-version` annotation), if given.
    pub version: Option<String>,
    /// The form's steps: each a JSON Schema object.
    pub parameters: Vec<Value>,
    /// What a run does, in order.
    pub steps: Vec<TemplateStep>,
    /// What a run shows when done.
    pub links: Vec<OutputLink>,
}

#[derive(Deserialize)]
struct Spec {
    owner: Option<String>,
    #[serde(rename = "type")]
    spec_type: Option<String>,
    #[serde(default)]
    parameters: Option<Value>,
    #[serde(default)]
    steps: Vec<StepSpec>,
    #[serde(default)]
    output: Option<OutputSpec>,
}

#[derive(Deserialize)]
struct StepSpec {
    id: Option<String>,
    name: Option<String>,
    action: Option<String>,
    #[serde(default)]
    input: Option<Value>,
    #[serde(rename = "if")]
    condition: Option<Value>,
}

#[derive(Deserialize)]
struct OutputSpec {
    #[serde(default)]
    links: Vec<LinkSpec>,
}

#[derive(Deserialize)]
struct LinkSpec {
    title: Option<String>,
    url: Option<String>,
    #[serde(rename = "entityRef")]
    entity_ref: Option<String>,
}

impl Template {
    /// Reads `entity` (a Template descriptor). The parameters' schemas are
    /// checked as JSON Schema by the catalog, which has the validator.
    ///
    /// # Errors
    /// Every problem, each with the path of its field.
    pub fn parse(entity: &CatalogEntity) -> Result<Self, Vec<FieldProblem>> {
        let namespace = entity.entity_ref.namespace();
        let mut problems = Problems(Vec::new());
        let Some(spec) =
            problems.spec::<Spec>(entity, "a Template has owner, type, parameters, steps and output under spec")
        else {
            return Err(problems.0);
        };
        let owner = problems.owner(spec.owner.as_deref(), namespace);
        let parameters = match spec.parameters {
            None => Vec::new(),
            Some(Value::Array(steps)) => steps,
            Some(one @ Value::Object(_)) => vec![one],
            Some(_) => {
                problems
                    .push("spec.parameters", "spec.parameters is a JSON Schema object or a list of them (form steps)");
                Vec::new()
            }
        };
        for (i, schema) in parameters.iter().enumerate() {
            if !schema.is_object() {
                problems
                    .push(format!("spec.parameters[{i}]"), format!("spec.parameters[{i}] is not a JSON Schema object"));
            }
        }
        if spec.steps.is_empty() {
            problems.push("spec", "spec.steps is missing; a Template runs at least one step (fetch:template)");
        }
        let mut steps = Vec::new();
        let mut ids = std::collections::HashSet::new();
        for (i, step) in spec.steps.into_iter().enumerate() {
            let at = format!("spec.steps[{i}]");
            let id = step.id.filter(|id| !id.trim().is_empty()).unwrap_or_else(|| format!("step-{}", i + 1));
            if !ids.insert(id.clone()) {
                problems.push(format!("{at}.id"), format!("{at}.id `{id}` is used by an earlier step"));
            }
            let action = match step.action.as_deref() {
                None => {
                    problems.push(at.clone(), format!("{at}.action is missing"));
                    None
                }
                Some(name) => Action::parse(name).or_else(|| {
                    problems.push(
                        format!("{at}.action"),
                        format!(
                            "{at}.action `{name}` is not an action pavedroad runs ({}); a run would stop there",
                            Action::ALL.map(Action::as_str).join(", ")
                        ),
                    );
                    None
                }),
            };
            let input = step.input.unwrap_or_else(|| Value::Object(serde_json::Map::new()));
            if !input.is_object() {
                problems.push(format!("{at}.input"), format!("{at}.input is a mapping of the action's inputs"));
            }
            let condition = match step.condition {
                None => None,
                Some(Value::String(text)) => Some(text),
                Some(Value::Bool(b)) => Some(b.to_string()),
                Some(_) => {
                    problems.push(format!("{at}.if"), format!("{at}.if is an expression or true/false"));
                    None
                }
            };
            if let Some(action) = action {
                steps.push(TemplateStep {
                    name: step.name.unwrap_or_else(|| id.clone()),
                    id,
                    action,
                    input,
                    condition,
                });
            }
        }
        let mut links = Vec::new();
        for (i, link) in spec.output.map(|o| o.links).unwrap_or_default().into_iter().enumerate() {
            if link.url.is_none() && link.entity_ref.is_none() {
                problems.push(
                    format!("spec.output.links[{i}]"),
                    format!("spec.output.links[{i}] has neither url nor entityRef"),
                );
            }
            links.push(OutputLink {
                title: link.title.unwrap_or_else(|| format!("Link {}", i + 1)),
                url: link.url,
                entity_ref: link.entity_ref,
            });
        }
        let version = entity
            .document
            .get("metadata")
            .and_then(|m| m.get("annotations"))
            .and_then(|a| a.get(VERSION_ANNOTATION))
            .and_then(|v| v.as_str().map(str::to_owned).or_else(|| v.as_i64().map(|n| n.to_string())));
        if !problems.0.is_empty() {
            return Err(problems.0);
        }
        Ok(Self {
            entity_ref: entity.entity_ref.clone(),
            source_file: entity.source.file.clone(),
            owner,
            spec_type: spec.spec_type.unwrap_or_else(|| "service".to_owned()),
            version,
            parameters,
            steps,
            links,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entity(spec: Value) -> CatalogEntity {
        CatalogEntity {
            entity_ref: EntityRef::parse("template:default/python-service", None, "default").unwrap(),
            kind: "Template".into(),
            api_version: "scaffolder.backstage.io/v1beta3".into(),
            title: None,
            description: None,
            spec_type: None,
            lifecycle: None,
            owner: None,
            source: crate::SourcePosition { file: "t.yaml".into(), line: 1, column: 1 },
            document: serde_json::json!({ "metadata": { "annotations": { VERSION_ANNOTATION: "3" } }, "spec": spec }),
            relations: Vec::new(),
            paved: Default::default(),
        }
    }

    #[test]
    fn a_template_reads_its_form_steps_and_links() {
        let template = Template::parse(&entity(serde_json::json!({
            "owner": "platform", "type": "service",
            "parameters": [{ "required": ["name"], "properties": { "name": { "type": "string" } } }],
            "steps": [
                { "id": "fetch", "action": "fetch:template", "input": { "url": "./skeleton" } },
                { "id": "publish", "name": "Publish", "action": "publish:git", "if": "${{ parameters.publish }}" },
            ],
            "output": { "links": [{ "title": "Repository", "url": "${{ steps.publish.output.remoteUrl }}" }] },
        })))
        .unwrap();
        assert_eq!(template.version.as_deref(), Some("3"));
        assert_eq!(template.owner.unwrap().to_string(), "group:default/platform");
        let actions: Vec<Action> = template.steps.iter().map(|s| s.action).collect();
        assert_eq!(actions, [Action::FetchTemplate, Action::PublishGit]);
        assert_eq!(template.steps[0].name, "fetch", "a step without a name is shown by its id");
        assert_eq!(template.steps[1].condition.as_deref(), Some("${{ parameters.publish }}"));
        assert_eq!(template.links[0].title, "Repository");
        assert_eq!(template.parameters.len(), 1);
    }

    #[test]
    fn unknown_actions_and_bad_fields_are_named() {
        let problems = Template::parse(&entity(serde_json::json!({
            "parameters": "name",
            "steps": [
                { "id": "a", "action": "publish:github" },
                { "id": "a", "action": "fetch:plain", "input": [] },
            ],
            "output": { "links": [{ "title": "nowhere" }] },
        })))
        .unwrap_err();
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "spec.parameters",
                "spec.steps[0].action",
                "spec.steps[1].id",
                "spec.steps[1].input",
                "spec.output.links[0]"
            ],
            "{problems:?}"
        );
        assert!(problems[1].message.contains("`publish:github` is not an action pavedroad runs"), "{problems:?}");
        let empty = Template::parse(&entity(serde_json::json!({}))).unwrap_err();
        assert!(empty[0].message.contains("spec.steps is missing"), "{empty:?}");
    }
}
