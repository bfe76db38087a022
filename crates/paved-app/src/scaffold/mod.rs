//! Golden paths (DESIGN §7): `paved new TEMPLATE --set key=value` runs a
//! Template's steps to start a service on the paved road. The parameters
//! are checked against the Template's form (its JSON Schema steps, errors
//! naming the parameter), the caller must be allowed to create a service
//! for the chosen `owner` team ([`Caller::may_create_for`]), and the steps
//! run in order, each input rendered with `${{ parameters.* }}`,
//! `${{ steps.ID.output.* }}` and `${{ user.ref }}`. A dry run renders the
//! files and says what the other steps would do, and changes nothing.

pub mod drift;
mod files;
mod publish;
pub mod render;
pub mod sweep;

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use paved_domain::{Action, CatalogIndex, EntityRef, Template};
use serde_json::{Map, Value, json};

use paved_store::{NewAudit, NewTemplateRun, RunKind, RunOutcome};

use crate::{App, AppError, Caller};
use render::{RenderError, Renderer, Workspace};

/// Where golden paths publish (`[scaffold]` in the configuration).
#[derive(Debug, Clone, Default)]
pub struct ScaffoldSettings {
    /// Where new repositories go: a directory of bare repositories
    /// (`/srv/git`) or a git URL prefix (`git@git.acme.example:acme`); a
    /// new service's repository is `<repositories>/<name>.git`. Templates
    /// read it as `${{ paved.repositories }}`.
    pub repositories: String,
}

/// What a person asks for.
#[derive(Debug, Clone, Default)]
pub struct NewService {
    /// The Template, by name or reference (`python-service`).
    pub template: String,
    /// Its parameters (`--set key=value`): a value is read as JSON when it
    /// is JSON, else as a string.
    pub set: Vec<(String, String)>,
    /// Render and report, but change nothing.
    pub dry_run: bool,
}

/// What a run did (or, dry, would do).
#[derive(Debug, Clone)]
pub struct Scaffolded {
    /// The stored run (none for a dry run).
    pub run: Option<i64>,
    /// The Template.
    pub template: EntityRef,
    /// Its version, when it names one.
    pub version: Option<String>,
    /// The parameters, defaults applied.
    pub parameters: Value,
    /// The files of the new repository.
    pub files: Workspace,
    /// What each step did, in order.
    pub log: Vec<String>,
    /// The Template's output links, rendered: `(title, url or entity)`.
    pub links: Vec<(String, String)>,
    /// True when nothing was changed.
    pub dry_run: bool,
}

impl App {
    /// Runs `request`'s Template as `caller`; see the module docs. A run
    /// that is not dry is stored as a job as it starts, its log written
    /// step by step (`GET /api/v1/templates/runs/{id}` reads it while it
    /// runs), and ended with what it made or why it failed.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for an unknown Template; [`AppError::Invalid`]
    /// for a parameter the form refuses (named), a step whose input does
    /// not render, or a skeleton that cannot be read;
    /// [`AppError::Forbidden`] when the caller may not create a service for
    /// the owner team.
    pub async fn scaffold(&self, caller: &Caller, request: &NewService) -> Result<Scaffolded, AppError> {
        let catalog = self.catalog.current().await?;
        let template = template_named(&catalog, &request.template)?.clone();
        let parameters = parameters(&template, &request.set)?;
        let owner = owner_of(&catalog, &template, &parameters)?;
        let name = parameters.get("name").and_then(Value::as_str).unwrap_or_default().to_owned();
        let service = EntityRef::new("component", owner.namespace(), &name)
            .map_err(|e| AppError::Invalid(format!("parameter `name`: {e}")))?;
        caller.may_create_for(&catalog, &service, &owner)?;
        let version = template.version.as_deref().unwrap_or("unversioned");
        let run = if request.dry_run {
            None
        } else {
            let new = NewTemplateRun {
                kind: RunKind::Create,
                template: template.entity_ref.clone(),
                version: template.version.clone(),
                service: service.clone(),
                team: owner.clone(),
                parameters: parameters.clone(),
                requested_by: caller.audit_name(),
                person: caller.person().cloned(),
            };
            let audit = NewAudit {
                actor: caller.audit_name(),
                action: "scaffold.run".into(),
                target: service.to_string(),
                detail: Some(format!("{} {version}", template.entity_ref)),
                service: None,
                decision: None,
            };
            Some(self.store.start_template_run(&new, &audit).await?.id)
        };
        let mut progress = Progress { run, ..Progress::default() };
        let context = template_context(&template, &parameters, caller.person(), &self.scaffold);
        let outcome = self.steps(caller, &template, &name, request.dry_run, context, &mut progress).await;
        if let Some(id) = run {
            let (action, error) = match &outcome {
                Ok(_) => ("scaffold.run.ok", None),
                Err(error) => ("scaffold.run.fail", Some(error.to_string())),
            };
            let links = outcome.as_ref().map(|(_, links)| json!(links)).unwrap_or(Value::Null);
            let ended = RunOutcome {
                error: error.clone(),
                log: progress.log.clone(),
                repository: progress.repository.clone(),
                commit: progress.commit.clone(),
                branch: progress.repository.as_ref().map(|_| "main".to_owned()),
                files: Some(files::encode(&progress.files)),
                links,
            };
            let audit = NewAudit {
                actor: caller.audit_name(),
                action: action.into(),
                target: service.to_string(),
                detail: Some(error.unwrap_or_else(|| format!("run {id}"))),
                service: None,
                decision: None,
            };
            self.store.finish_template_run(id, &ended, &audit).await?;
        }
        let (_, links) = outcome?;
        if run.is_some() {
            // The new service's drift (none yet) is known at once.
            let scope = drift::DriftScope { service: Some(service.to_string()), team: None };
            if let Err(error) = self.drift(&scope).await {
                tracing::warn!(%error, %service, "the new service's drift could not be checked");
            }
        }
        Ok(Scaffolded {
            run,
            template: template.entity_ref.clone(),
            version: template.version.clone(),
            parameters,
            files: progress.files,
            log: progress.log,
            links,
            dry_run: request.dry_run,
        })
    }

    /// Golden-path run `id`, with its log.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for no such run.
    pub async fn template_run(&self, id: i64) -> Result<paved_store::StoredTemplateRun, AppError> {
        self.store.template_run(id).await?.ok_or_else(|| AppError::NotFound(format!("no golden-path run {id}")))
    }

    /// The files `template` renders with `parameters` for `person`: its
    /// fetch steps alone, as a run renders them.
    pub(crate) fn render_files(
        &self,
        template: &Template,
        parameters: &Value,
        person: Option<&EntityRef>,
    ) -> Result<Workspace, AppError> {
        let renderer = Renderer::new();
        let context = template_context(template, parameters, person, &self.scaffold);
        let mut files = Workspace::new();
        for step in &template.steps {
            if matches!(step.action, Action::FetchTemplate | Action::FetchPlain) && holds(&renderer, step, &context)? {
                let input =
                    renderer.input(&step.input, &context, &format!("step {} input", step.id)).map_err(invalid)?;
                fetch(&renderer, template, step.action, &input, &mut files)?;
            }
        }
        Ok(files)
    }

    /// Runs the steps of `template` with `context`, noting in `progress`
    /// what they did as they do it; the context at the end and the output
    /// links.
    async fn steps(
        &self,
        caller: &Caller,
        template: &Template,
        name: &str,
        dry_run: bool,
        mut context: Value,
        progress: &mut Progress,
    ) -> Result<(Value, Vec<(String, String)>), AppError> {
        let catalog = self.catalog.current().await?;
        let renderer = Renderer::new();
        let mut registered: Vec<String> = Vec::new();
        for step in &template.steps {
            if !holds(&renderer, step, &context)? {
                let condition = step.condition.as_deref().unwrap_or_default();
                self.note(progress, format!("{}: skipped ({condition} is false)", step.name)).await?;
                continue;
            }
            let input = renderer.input(&step.input, &context, &format!("step {} input", step.id)).map_err(invalid)?;
            if step.action == Action::PublishGit {
                // What later steps will register is checked before
                // anything is pushed: no repository without its entry.
                let pending: Vec<String> = template
                    .steps
                    .iter()
                    .skip_while(|later| later.id != step.id)
                    .filter_map(|later| {
                        let (key, default) = descriptor_input(later.action)?;
                        let input = renderer.input(&later.input, &context, &later.id).ok()?;
                        Some(input.get(key).and_then(Value::as_str).unwrap_or(default).to_owned())
                    })
                    .collect();
                let (_, warnings) = self.checked_descriptors(&progress.files, &pending, "").await?;
                for warning in warnings {
                    self.note(progress, format!("{}: warning: {warning}", step.name)).await?;
                }
            }
            let output = match step.action {
                Action::FetchTemplate | Action::FetchPlain => {
                    let line = fetch(&renderer, template, step.action, &input, &mut progress.files)?;
                    self.note(progress, format!("{}: {line}", step.name)).await?;
                    json!({})
                }
                action if dry_run => {
                    self.note(progress, format!("{}: {} would run (dry run)", step.name, action.as_str())).await?;
                    json!({})
                }
                Action::PublishGit => {
                    let repo = input.get("repoUrl").and_then(Value::as_str).unwrap_or(name);
                    let remote = publish::destination(&self.scaffold.repositories, repo)?;
                    let author = crate::provision::author_of(&catalog, &caller.audit_name());
                    let version = template.version.as_deref().unwrap_or("unversioned");
                    let message = format!(
                        "Start {name} from the golden path {}\n\nCreated through pavedroad (paved new) by {}.\n\n\
                         Paved-Template: {}\nPaved-Template-Version: {version}",
                        template.entity_ref.name(),
                        caller.audit_name(),
                        template.entity_ref
                    );
                    let output = publish::publish_git(&remote, &progress.files, &author, &message).await?;
                    let repository = output["remoteUrl"].as_str().unwrap_or_default().to_owned();
                    let commit = output["commit"].as_str().unwrap_or_default().to_owned();
                    progress.repository = Some(repository.clone());
                    progress.commit = Some(commit.clone());
                    let files = progress.files.len();
                    self.note(
                        progress,
                        format!("{}: pushed {files} files to {repository} as {commit} (main)", step.name),
                    )
                    .await?;
                    output
                }
                Action::CatalogRegister | Action::PavedDeployTarget => {
                    let (key, default) = descriptor_input(step.action).unwrap_or_default();
                    registered.push(input.get(key).and_then(Value::as_str).unwrap_or(default).to_owned());
                    let repository = progress.repository.clone().unwrap_or_default();
                    let entities = self.register_files(&progress.files, &registered, name, &repository).await?;
                    self.note(progress, format!("{}: the catalog now holds {}", step.name, entities.join(", ")))
                        .await?;
                    json!({ "entityRefs": entities })
                }
                Action::PavedProvision => {
                    let module = input.get("module").and_then(Value::as_str).unwrap_or_default().to_owned();
                    let set = input
                        .get("parameters")
                        .and_then(Value::as_object)
                        .map(|p| p.iter().map(|(k, v)| (k.clone(), v.to_string())).collect())
                        .unwrap_or_default();
                    let asked = crate::provision::ProvisionRequest {
                        module,
                        service: name.to_owned(),
                        name: input.get("name").and_then(Value::as_str).map(str::to_owned),
                        set,
                    };
                    let made = self.provision(caller, &asked).await?;
                    let resource = &made.resource;
                    let line = format!(
                        "{}: {} is {} (its secrets: paved resource credentials {})",
                        step.name,
                        resource.entity_ref,
                        resource.state.as_str(),
                        resource.entity_ref.name()
                    );
                    self.note(progress, line).await?;
                    json!({ "resource": made.resource.entity_ref.to_string() })
                }
            };
            if let Some(steps) = context.get_mut("steps").and_then(Value::as_object_mut) {
                steps.insert(step.id.clone(), json!({ "output": output }));
            }
        }
        let mut links = Vec::new();
        for link in &template.links {
            let target = link.url.as_ref().or(link.entity_ref.as_ref()).cloned().unwrap_or_default();
            let shown = renderer.string(&target, &context, &format!("output link {}", link.title)).map_err(invalid)?;
            links.push((link.title.clone(), shown));
        }
        Ok((context, links))
    }

    /// Adds `line` to the run's log, stored at once when the run is.
    async fn note(&self, progress: &mut Progress, line: String) -> Result<(), AppError> {
        progress.log.push(line);
        if let Some(id) = progress.run {
            self.store.log_template_run(id, &progress.log).await?;
        }
        Ok(())
    }
}

/// What a run has done so far.
#[derive(Debug, Default)]
struct Progress {
    /// The stored run (none when dry).
    run: Option<i64>,
    log: Vec<String>,
    files: Workspace,
    repository: Option<String>,
    commit: Option<String>,
}

/// What a Template's expressions read: `parameters`, `steps` (filled as
/// they run), `user.ref`, `paved.repositories`, `template.*`.
fn template_context(
    template: &Template,
    parameters: &Value,
    person: Option<&EntityRef>,
    settings: &ScaffoldSettings,
) -> Value {
    json!({
        "parameters": parameters,
        "steps": {},
        "user": { "ref": person.map(ToString::to_string).unwrap_or_default() },
        "paved": { "repositories": settings.repositories.trim_end_matches('/') },
        "template": {
            "name": template.entity_ref.name(),
            "ref": template.entity_ref.to_string(),
            "version": template.version,
        },
    })
}

/// Whether `step`'s `if` holds (a step without one always runs).
fn holds(renderer: &Renderer, step: &paved_domain::TemplateStep, context: &Value) -> Result<bool, AppError> {
    let Some(condition) = &step.condition else { return Ok(true) };
    let at = format!("step {} (`if`)", step.id);
    let value = renderer.input(&Value::String(condition.clone()), context, &at).map_err(invalid)?;
    Ok(truthy(&value))
}

/// A `fetch:template` or `fetch:plain` step with its rendered `input`:
/// the skeleton's files into `files`; what it did, for the log.
fn fetch(
    renderer: &Renderer,
    template: &Template,
    action: Action,
    input: &Value,
    files: &mut Workspace,
) -> Result<String, AppError> {
    let plain = action == Action::FetchPlain;
    let url = input.get("url").and_then(Value::as_str).unwrap_or("./skeleton");
    let skeleton = template_dir(template).join(url);
    let values = input.get("values").cloned().unwrap_or_else(|| json!({}));
    let target = input.get("targetPath").and_then(Value::as_str).unwrap_or("");
    let verbatim = globs(input.get("copyWithoutTemplating"))?;
    let before = files.len();
    renderer.tree(&skeleton, &values, plain, &verbatim, target, files).map_err(invalid)?;
    Ok(format!("{} {} files from {url}", if plain { "copied" } else { "rendered" }, files.len() - before))
}

/// The input naming the descriptor a registering step reads, and its
/// default.
fn descriptor_input(action: Action) -> Option<(&'static str, &'static str)> {
    match action {
        Action::CatalogRegister => Some(("catalogInfoPath", "/catalog-info.yaml")),
        Action::PavedDeployTarget => Some(("path", "/deploy-target.yaml")),
        _ => None,
    }
}

fn invalid(error: RenderError) -> AppError {
    AppError::Invalid(error.to_string())
}

/// The Template `name` names, or the list of those offered.
fn template_named<'c>(catalog: &'c CatalogIndex, name: &str) -> Result<&'c Template, AppError> {
    EntityRef::parse(name.trim(), Some("template"), paved_domain::DEFAULT_NAMESPACE)
        .ok()
        .and_then(|template| catalog.template(&template))
        .ok_or_else(|| {
            let offered: Vec<&str> = catalog.templates().iter().map(|t| t.entity_ref.name()).collect();
            AppError::NotFound(format!(
                "no Template `{}` in the catalog; the golden paths offered: {}",
                name.trim(),
                if offered.is_empty() { "none yet".to_owned() } else { offered.join(", ") }
            ))
        })
}

/// The directory of the Template's descriptor, which its steps' URLs are
/// relative to.
fn template_dir(template: &Template) -> PathBuf {
    Path::new(&template.source_file).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// `set` as the form's values, each form step's defaults applied, checked
/// against every step's schema; errors name the parameter.
pub(crate) fn parameters(template: &Template, set: &[(String, String)]) -> Result<Value, AppError> {
    let mut object = Map::new();
    for (key, value) in set {
        let parsed = serde_json::from_str::<Value>(value).unwrap_or_else(|_| Value::String(value.clone()));
        object.insert(key.trim().to_owned(), parsed);
    }
    let mut known = Vec::new();
    for schema in &template.parameters {
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            for (key, property) in properties {
                known.push(key.clone());
                if let Some(default) = property.get("default") {
                    object.entry(key.clone()).or_insert_with(|| default.clone());
                }
            }
        }
    }
    let value = Value::Object(object);
    let mut problems = Vec::new();
    for schema in &template.parameters {
        let validator = jsonschema::validator_for(schema).map_err(|error| {
            AppError::Internal(format!("a form step of {} does not compile: {error}", template.entity_ref))
        })?;
        for error in validator.iter_errors(&value) {
            let at = error.instance_path().to_string();
            let name = at.trim_start_matches('/').replace('/', ".");
            problems.push(if name.is_empty() { error.to_string() } else { format!("parameter `{name}`: {error}") });
        }
    }
    if !problems.is_empty() {
        return Err(AppError::Invalid(format!(
            "{}; {} takes --set {}",
            problems.join("; "),
            template.entity_ref.name(),
            known.iter().map(|k| format!("{k}=...")).collect::<Vec<_>>().join(", --set ")
        )));
    }
    Ok(value)
}

/// The team the new service will belong to: the `owner` parameter, a
/// Group of the catalog.
fn owner_of(catalog: &CatalogIndex, template: &Template, parameters: &Value) -> Result<EntityRef, AppError> {
    let text = parameters.get("owner").and_then(Value::as_str).ok_or_else(|| {
        AppError::Invalid(format!(
            "{} needs an owner for the new service: --set owner=TEAM (the team that will run it)",
            template.entity_ref.name()
        ))
    })?;
    let owner = EntityRef::parse(text.trim(), Some("group"), paved_domain::DEFAULT_NAMESPACE)
        .map_err(|e| AppError::Invalid(format!("parameter `owner`: {e}")))?;
    if catalog.group(&owner).is_none() {
        return Err(AppError::Invalid(format!(
            "parameter `owner`: {owner} is not a team of the catalog; name the team that will run the service"
        )));
    }
    Ok(owner)
}

/// `copyWithoutTemplating`: globs of paths copied as they are.
fn globs(list: Option<&Value>) -> Result<GlobSet, AppError> {
    let mut set = GlobSetBuilder::new();
    for glob in list.and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
        let glob = glob.trim_start_matches("./").trim_start_matches('/');
        set.add(Glob::new(glob).map_err(|e| AppError::Invalid(format!("copyWithoutTemplating `{glob}`: {e}")))?);
    }
    set.build().map_err(|e| AppError::Invalid(e.to_string()))
}

/// Whether a rendered condition holds (Nunjucks' truthiness).
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        Value::String(s) => !s.is_empty() && s != "false",
        Value::Array(items) => !items.is_empty(),
        Value::Object(_) => true,
    }
}
