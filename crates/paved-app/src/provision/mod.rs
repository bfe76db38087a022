//! Self-service provisioning (DESIGN §7 Provision): an owner asks for what
//! their service needs from a Module the platform team offers, and gets it
//! at once — limits instead of approvals. Who may ask is
//! [`Caller::may_act_on`] (the service's owners, admins); the request is
//! stored as a job with a lease before its driver runs, so that a replica
//! that dies mid-way leaves it to another ([`App::resume_provisioning`]),
//! and drivers are idempotent: running one again finishes what it began.
//! Generated secrets are sealed ([`crate::secrets`]) before they are stored,
//! shown once, and read again only by who may act on the service.

pub mod entities;
mod postgres;
mod redis;
mod rotate;
mod terraform;

use std::collections::BTreeMap;
use std::fmt;

use chrono::{Duration, Utc};
use paved_domain::{CatalogIndex, Contact, Driver, EntityKind, EntityRef, Module, ProvisioningState};
use paved_store::{NewAudit, NewResource, ResourceOutcome, StoredResource};
use serde_json::{Map, Value};

use crate::{App, AppError, Caller};

/// How long a request may run before another replica takes it over.
pub const LEASE: Duration = Duration::minutes(2);

/// A server's admin connection, from the configuration
/// (`[provision.servers.NAME] url = "postgres://..."`). Its `Debug` hides
/// the password.
#[derive(Clone)]
pub struct ServerUrl(pub String);

impl fmt::Debug for ServerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ServerUrl({})", self.shown())
    }
}

impl ServerUrl {
    /// The URL as it may be shown: its password as `***`.
    pub fn shown(&self) -> String {
        match url::Url::parse(&self.0) {
            Ok(mut url) if url.password().is_some() => {
                let _ = url.set_password(Some("***"));
                url.to_string()
            }
            Ok(url) => url.to_string(),
            Err(_) => "(not a URL)".to_owned(),
        }
    }
}

impl ServerUrl {
    /// Whether the server answers with these admin credentials: a
    /// PostgreSQL server runs `SELECT 1`, a Redis server `PING`; within
    /// `timeout`.
    ///
    /// # Errors
    /// What failed, in words.
    pub async fn answers(&self, timeout: std::time::Duration) -> Result<(), String> {
        let check = async {
            if self.0.starts_with("postgres://") || self.0.starts_with("postgresql://") {
                postgres::ping(self).await
            } else if self.0.starts_with("redis://") || self.0.starts_with("rediss://") {
                redis::ping(self).await
            } else {
                Err("it is neither a postgres:// nor a redis:// URL".to_owned())
            }
        };
        tokio::time::timeout(timeout, check)
            .await
            .unwrap_or_else(|_| Err(format!("no answer within {} s", timeout.as_secs())))
    }
}

/// The servers Modules run on, by name, and how long a request may run.
#[derive(Debug, Clone)]
pub struct ProvisionSettings {
    /// `[provision.servers.NAME]`.
    pub servers: BTreeMap<String, ServerUrl>,
    /// How long a request may run before another replica takes it over
    /// (`[provision] lease`, default [`LEASE`]).
    pub lease: Duration,
}

impl Default for ProvisionSettings {
    fn default() -> Self {
        Self { servers: BTreeMap::new(), lease: LEASE }
    }
}

/// What a person asks for.
#[derive(Debug, Clone, Default)]
pub struct ProvisionRequest {
    /// The Module, by name or reference (`postgres-database`).
    pub module: String,
    /// The service it is for (`checkout-api`).
    pub service: String,
    /// A name for it, when the service has several of the Module's
    /// (`orders`): lower-case letters, digits and `-`.
    pub name: Option<String>,
    /// The parameters (`--set key=value`): a value is read as JSON when it
    /// is JSON (`3`, `true`), else as a string.
    pub set: Vec<(String, String)>,
}

/// What a request gave.
#[derive(Debug, Clone)]
pub struct Provisioned {
    /// The resource as stored.
    pub resource: StoredResource,
    /// False when the same request had been made before: nothing new was
    /// made, and no secret is shown again.
    pub created: bool,
    /// The outputs, the secret ones included when `created` (shown once).
    pub outputs: Map<String, Value>,
}

/// What a driver made: outputs to show, and the secret ones.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Made {
    pub(crate) outputs: Map<String, Value>,
    pub(crate) secrets: Map<String, Value>,
}

/// A resource's identifiers, derived from the request and checked before
/// any driver runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Names {
    /// The Resource entity's name: `<service>-<name or module>`.
    pub(crate) entity: String,
    /// The same as an SQL identifier (`-` as `_`).
    pub(crate) sql: String,
    /// The key prefix of a Redis namespace: `<service>:`, or
    /// `<service>:<name>:` for one given a name (so that removing one
    /// leaves the others' keys).
    pub(crate) prefix: String,
}

/// Checks `name` (`--name`) and derives the identifiers.
pub(crate) fn names(service: &EntityRef, module: &Module, name: Option<&str>) -> Result<Names, AppError> {
    let prefix = match name {
        Some(name) => format!("{}:{name}:", service.name()),
        None => format!("{}:", service.name()),
    };
    let suffix = match name {
        Some(name) => {
            let ok = (1..=30).contains(&name.len())
                && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !name.starts_with('-');
            if !ok {
                return Err(AppError::Invalid(format!(
                    "--name `{}` is not a resource name: 1 to 30 lower-case letters, digits and `-`, e.g. `orders`",
                    name.escape_debug()
                )));
            }
            name.to_owned()
        }
        None => module.entity_ref.name().to_ascii_lowercase(),
    };
    let entity = format!("{}-{suffix}", service.name().to_ascii_lowercase());
    let sql = entity.replace(['-', '.'], "_");
    let sql_ok = sql.len() <= 63
        && sql.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && sql.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !sql_ok {
        return Err(AppError::Invalid(format!(
            "`{entity}` cannot name a database or a user (at most 63 lower-case letters, digits and `_`); give a \
             shorter --name"
        )));
    }
    Ok(Names { entity, sql, prefix })
}

/// The identifiers of a stored resource, as [`names`] derived them.
fn names_of(resource: &StoredResource) -> Names {
    let service = resource.service.name();
    let module = resource.module.name().to_ascii_lowercase();
    let given =
        resource.name.strip_prefix(&format!("{}-", service.to_ascii_lowercase())).filter(|suffix| *suffix != module);
    Names {
        entity: resource.name.clone(),
        sql: resource.name.replace(['-', '.'], "_"),
        prefix: given.map_or_else(|| format!("{service}:"), |name| format!("{service}:{name}:")),
    }
}

/// The parameters of `set` checked against the Module's schema; errors
/// name the parameter.
pub(crate) fn parameters(module: &Module, set: &[(String, String)]) -> Result<Value, AppError> {
    let mut object = Map::new();
    for (key, value) in set {
        let parsed = serde_json::from_str::<Value>(value).unwrap_or_else(|_| Value::String(value.clone()));
        object.insert(key.clone(), parsed);
    }
    // Defaults the schema gives, for what was not set.
    if let Some(properties) = module.parameters.get("properties").and_then(Value::as_object) {
        for (key, schema) in properties {
            if let Some(default) = schema.get("default") {
                object.entry(key.clone()).or_insert_with(|| default.clone());
            }
        }
    }
    let value = Value::Object(object);
    let validator = jsonschema::validator_for(&module.parameters).map_err(|error| {
        AppError::Internal(format!("the parameters' schema of {} does not compile: {error}", module.entity_ref))
    })?;
    let problems: Vec<String> = validator
        .iter_errors(&value)
        .map(|error| {
            let at = error.instance_path().to_string();
            let name = at.trim_start_matches('/').replace('/', ".");
            if name.is_empty() { error.to_string() } else { format!("parameter `{name}`: {error}") }
        })
        .collect();
    if !problems.is_empty() {
        let known: Vec<&String> = module
            .parameters
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().collect())
            .unwrap_or_default();
        return Err(AppError::Invalid(format!(
            "{}; {} takes {}",
            problems.join("; "),
            module.entity_ref.name(),
            if known.is_empty() {
                "no parameters".to_owned()
            } else {
                format!("--set {}", known.iter().map(|k| format!("{k}=...")).collect::<Vec<_>>().join(", --set "))
            }
        )));
    }
    Ok(value)
}

fn module_named<'c>(catalog: &'c CatalogIndex, name: &str) -> Result<&'c Module, AppError> {
    EntityRef::parse(name.trim(), Some("module"), paved_domain::DEFAULT_NAMESPACE)
        .ok()
        .and_then(|module| catalog.module(&module))
        .ok_or_else(|| {
            let offered: Vec<&str> = catalog.modules().iter().map(|m| m.entity_ref.name()).collect();
            AppError::NotFound(format!(
                "no Module `{}` in the catalog; the platform offers: {}",
                name.trim(),
                if offered.is_empty() { "none yet".to_owned() } else { offered.join(", ") }
            ))
        })
}

fn service_named(catalog: &CatalogIndex, name: &str) -> Result<EntityRef, AppError> {
    EntityRef::parse(name.trim(), Some("component"), paved_domain::DEFAULT_NAMESPACE)
        .ok()
        .and_then(|service| catalog.service(&service))
        .map(|info| info.entity_ref.clone())
        .ok_or_else(|| AppError::NotFound(format!("no service `{}` in the catalog", name.trim())))
}

/// The outcome of a driver's success: only the outputs the Module offers,
/// its secrets sealed for `resource`; and every output, to show once.
fn ready(
    module: &Module,
    mut made: Made,
    key: Option<&crate::secrets::SecretKey>,
    resource: &EntityRef,
) -> Result<(ResourceOutcome, Map<String, Value>), AppError> {
    made.outputs.retain(|k, _| module.outputs.contains(k));
    made.secrets.retain(|k, _| module.outputs.contains(k));
    let sealed = match (made.secrets.is_empty(), key) {
        (true, _) => None,
        (false, Some(key)) => Some(
            key.seal(&Value::Object(made.secrets.clone()).to_string(), &bound_to(resource))
                .map_err(|e| AppError::Internal(e.to_string()))?,
        ),
        (false, None) => return Err(AppError::Internal("no secret_key to seal its secrets with".to_owned())),
    };
    let mut all = made.outputs.clone();
    all.extend(made.secrets);
    Ok((ResourceOutcome::Ready { outputs: Value::Object(made.outputs), sealed }, all))
}

/// A `terraform` request of `resource`, made by `by`.
fn terraform_call<'a>(
    module: &'a Module,
    call: &'a paved_domain::TerraformCall,
    resource: &'a StoredResource,
    names: &'a Names,
    by: &'a str,
    author: &'a terraform::Author,
) -> terraform::Call<'a> {
    terraform::Call {
        terraform: call,
        module: &module.entity_ref,
        resource: &resource.entity_ref,
        service: &resource.service,
        team: &resource.team,
        names,
        parameters: &resource.parameters,
        requested_by: by,
        author,
    }
}

/// Who a commit made for `actor` (an audit name, `user:default/ana
/// (signed in)`) is authored by: the catalog's User, with their e-mail;
/// pavedroad for the CLI and team tokens.
pub(crate) fn author_of(catalog: &CatalogIndex, actor: &str) -> terraform::Author {
    let person = person_of(actor).and_then(|person| catalog.person(&person));
    match person {
        Some(person) => terraform::Author {
            name: person.display_name.clone(),
            email: person
                .contacts
                .iter()
                .find_map(|contact| match contact {
                    Contact::Email(email) => Some(email.to_string()),
                    _ => None,
                })
                .unwrap_or_else(|| format!("{}@users.paved.invalid", person.entity_ref.name())),
        },
        None => terraform::Author { name: "pavedroad".to_owned(), email: "paved@localhost".to_owned() },
    }
}

/// The User an audit name begins with (`user:default/ana (signed in)`,
/// `user:default/ana (token 4)`); `None` for the CLI and team or admin
/// tokens.
fn person_of(actor: &str) -> Option<EntityRef> {
    let word = actor.split_whitespace().next()?;
    let person = EntityRef::parse(word, None, paved_domain::DEFAULT_NAMESPACE).ok()?;
    person.is(EntityKind::User).then_some(person)
}

/// What the seal of a resource's secrets is bound to.
fn bound_to(resource: &EntityRef) -> String {
    format!("resource:{}", resource.key())
}

impl App {
    /// Provisions what `request` asks, as `caller`: checked (the Module and
    /// service exist, the caller may act on the service, the name and the
    /// parameters, the team's limits, a `secret_key` to seal with), stored
    /// as a job, made by the Module's driver, and recorded with its outcome.
    /// The same request again returns the resource it made.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for an unknown Module or service;
    /// [`AppError::Forbidden`] naming who may act instead;
    /// [`AppError::Invalid`] for a bad name or parameter, a limit reached
    /// (naming it), no `secret_key`, or a server not in the configuration;
    /// [`AppError::Unavailable`] when the driver failed (the request is
    /// recorded as failed, with nothing left behind); a store failure.
    pub async fn provision(&self, caller: &Caller, request: &ProvisionRequest) -> Result<Provisioned, AppError> {
        let catalog = self.catalog.current().await?;
        let module = module_named(&catalog, &request.module)?.clone();
        let service = service_named(&catalog, &request.service)?;
        if let Err(refusal) = caller.may_act_on(&catalog, &service) {
            // A refusal is kept in the audit trail with its reason.
            let refused = paved_store::NewAudit {
                actor: caller.audit_name(),
                action: "provision.refuse".into(),
                target: format!("{} for {service}", module.entity_ref),
                detail: Some(refusal.to_string()),
                service: Some(service.clone()),
                decision: Some(paved_store::AuditDecision::Refused),
            };
            self.store.append_audit(&refused, None).await?;
            return Err(refusal);
        }
        let team = catalog
            .service(&service)
            .and_then(|info| info.owner.clone())
            .filter(|owner| owner.is(EntityKind::Group))
            .ok_or_else(|| AppError::Invalid(format!("{service} has no owning team to own what it provisions")))?;
        let names = names(&service, &module, request.name.as_deref())?;
        let parameters = parameters(&module, &request.set)?;
        let entity_ref = EntityRef::new("resource", service.namespace(), &names.entity)
            .map_err(|e| AppError::Invalid(e.to_string()))?;
        if let Some(existing) = self.store.resource(&entity_ref).await?
            && existing.state != paved_store::ResourceState::Failed
        {
            let outputs = existing.outputs.clone().and_then(|o| o.as_object().cloned()).unwrap_or_default();
            return Ok(Provisioned { resource: existing, created: false, outputs });
        }
        if !module.limits.classes.is_empty()
            && let Some(class) = parameters.get("class")
            && !module.limits.classes.iter().any(|c| Some(c.as_str()) == class.as_str())
        {
            return Err(AppError::Invalid(format!(
                "limit `classes` of {}: class {class} is not offered; it offers {}",
                module.entity_ref.name(),
                module.limits.classes.join(", ")
            )));
        }
        if let Some(most) = module.limits.per_team {
            let live = self
                .store
                .resources(None, Some(&team))
                .await?
                .iter()
                .filter(|r| r.module.key() == module.entity_ref.key() && r.state != paved_store::ResourceState::Failed)
                .count();
            if live >= most as usize {
                return Err(AppError::Invalid(format!(
                    "limit `per_team` of {}: {team} has {live} of at most {most}; remove one (paved deprovision) or ask \
                     the platform team ({}) for a higher limit",
                    module.entity_ref.name(),
                    module.owner.as_ref().map_or_else(|| "the Module's owner".to_owned(), ToString::to_string)
                )));
            }
        }
        let key = match (module.driver.makes_secrets(), self.secret_key.clone()) {
            (true, None) => {
                return Err(AppError::Invalid(format!(
                    "{} makes secrets, kept encrypted, and this server has no secret_key (PAVED_SECRET_KEY); set one \
                     (openssl rand -hex 32)",
                    module.entity_ref.name()
                )));
            }
            (_, key) => key,
        };
        let server = self.server_of(&module)?;
        let owner = format!("provision-{}", uuid::Uuid::new_v4());
        let new = NewResource {
            entity_ref: entity_ref.clone(),
            module: module.entity_ref.clone(),
            service: service.clone(),
            team,
            name: names.entity.clone(),
            parameters: parameters.clone(),
            requested_by: caller.audit_name(),
        };
        let audit = NewAudit {
            actor: caller.audit_name(),
            action: "provision.request".into(),
            target: String::new(),
            detail: Some(format!("{} for {service}", module.entity_ref)),
            service: None,
            decision: None,
        };
        let (stored, created) =
            self.store.request_resource(&new, &owner, Utc::now() + self.provision.lease, &audit).await?;
        if !created {
            let outputs = stored.outputs.clone().and_then(|o| o.as_object().cloned()).unwrap_or_default();
            return Ok(Provisioned { resource: stored, created: false, outputs });
        }
        self.record_provisioning(&stored).await?;
        let made = self.run_driver(&catalog, &module, server.as_ref(), &stored).await;
        let (outcome, shown) = match made {
            Ok(made) => {
                let (outcome, all) = ready(&module, made, key.as_deref(), &entity_ref)?;
                (outcome, Ok(all))
            }
            Err(error) => (ResourceOutcome::Failed { error: error.clone() }, Err(error)),
        };
        let audit = NewAudit {
            actor: caller.audit_name(),
            action: if shown.is_ok() { "provision.ready" } else { "provision.fail" }.into(),
            target: String::new(),
            detail: shown.as_ref().err().cloned(),
            service: None,
            decision: None,
        };
        let resource = self
            .store
            .finish_resource(stored.id, &owner, &outcome, &audit)
            .await?
            .ok_or_else(|| AppError::Conflict(format!("{entity_ref} was taken over by another replica mid-way")))?;
        self.record_provisioning(&resource).await?;
        if shown.is_ok() {
            self.sync_resource_entities().await?;
        }
        match shown {
            Ok(outputs) => Ok(Provisioned { resource, created: true, outputs }),
            Err(error) => Err(AppError::Unavailable(format!(
                "{} could not be provisioned, and nothing was left behind: {error}",
                module.entity_ref.name()
            ))),
        }
    }

    /// The live resources of a service (or of every service).
    ///
    /// # Errors
    /// [`AppError::NotFound`] for an unknown service; a store failure.
    pub async fn resources_of(&self, service: Option<&str>) -> Result<Vec<StoredResource>, AppError> {
        let service = match service {
            Some(name) => Some(service_named(&*self.catalog.current().await?, name)?),
            None => None,
        };
        Ok(self.store.resources(service.as_ref(), None).await?)
    }

    /// A ready resource's outputs with its secrets, for who may act on its
    /// service; audited (`provision.credentials`).
    ///
    /// # Errors
    /// [`AppError::NotFound`] for no such resource; [`AppError::Forbidden`]
    /// as for provisioning; [`AppError::Invalid`] without `secret_key`;
    /// [`AppError::Internal`] when its secrets do not open.
    pub async fn resource_credentials(&self, caller: &Caller, resource: &str) -> Result<Map<String, Value>, AppError> {
        let (_, stored) = self.resource_for(caller, resource).await?;
        let key = self.secret_key.as_deref().ok_or_else(|| {
            AppError::Invalid("this server has no secret_key (PAVED_SECRET_KEY), so no secret can be read".to_owned())
        })?;
        let mut all = stored.outputs.clone().and_then(|o| o.as_object().cloned()).unwrap_or_default();
        if let Some(sealed) = &stored.sealed {
            let opened = key
                .open(sealed, &bound_to(&stored.entity_ref))
                .map_err(|e| AppError::Internal(format!("{}: {e}", stored.entity_ref)))?;
            let secrets: Map<String, Value> = serde_json::from_str(&opened).unwrap_or_default();
            all.extend(secrets);
        }
        let entry = NewAudit {
            actor: caller.audit_name(),
            action: "provision.credentials".into(),
            target: stored.entity_ref.to_string(),
            detail: None,
            service: None,
            decision: None,
        };
        self.audit(&entry, None).await?;
        Ok(all)
    }

    /// Removes a resource, as `caller` (who may act on its service):
    /// its driver drops what it made — the database and its data, at once —
    /// and it is recorded as deleted, its secrets forgotten. `confirm`
    /// must name the resource (`--confirm NAME`).
    ///
    /// # Errors
    /// [`AppError::NotFound`] for no such resource; [`AppError::Forbidden`]
    /// as for provisioning; [`AppError::Invalid`] without the confirmation;
    /// [`AppError::Conflict`] while another request holds it;
    /// [`AppError::Unavailable`] when the driver failed (it stays, to try
    /// again).
    pub async fn deprovision(
        &self,
        caller: &Caller,
        resource: &str,
        confirm: Option<&str>,
    ) -> Result<StoredResource, AppError> {
        let (catalog, stored) = self.resource_for(caller, resource).await?;
        let entity_ref = stored.entity_ref.clone();
        if confirm.map(str::trim) != Some(entity_ref.name()) {
            return Err(AppError::Invalid(format!(
                "removing {entity_ref} drops it and its data at once; confirm with --confirm {}",
                entity_ref.name()
            )));
        }
        let owner = format!("deprovision-{}", uuid::Uuid::new_v4());
        let taken = self
            .store
            .lease_resource(stored.id, &owner, Utc::now() + self.provision.lease, true)
            .await?
            .ok_or_else(|| {
                AppError::Conflict(format!("{entity_ref} is being provisioned or removed now; try again in a minute"))
            })?;
        let module = catalog.module(&taken.module).cloned();
        self.finish_removal(caller.audit_name(), &owner, taken, module.as_ref()).await
    }

    /// Drops what `resource`'s driver made and records it deleted.
    async fn finish_removal(
        &self,
        actor: String,
        owner: &str,
        resource: StoredResource,
        module: Option<&Module>,
    ) -> Result<StoredResource, AppError> {
        let dropped = match module {
            Some(module) => {
                let server = self.server_of(module)?;
                let names = names_of(&resource);
                match (module.driver, server, &module.terraform) {
                    (Driver::Postgres, Some(server), _) => postgres::deprovision(&server, &names).await.map(|()| None),
                    (Driver::Redis, Some(server), _) => redis::deprovision(&server, &names).await.map(|()| None),
                    (Driver::Terraform, _, Some(call)) => {
                        let catalog = self.catalog.current().await?;
                        let author = author_of(&catalog, &actor);
                        terraform::deprovision(&terraform_call(module, call, &resource, &names, &actor, &author))
                            .await
                            .map(Some)
                    }
                    (driver, _, _) => Err(format!("the {} driver has no server to run on", driver.as_str())),
                }
            }
            None => Err(format!("its Module {} is no longer in the catalog", resource.module)),
        };
        let audit = |action: &str, detail: Option<String>| NewAudit {
            actor: actor.clone(),
            action: action.into(),
            target: String::new(),
            detail,
            service: None,
            decision: None,
        };
        match dropped {
            Ok(detail) => {
                let deleted = self
                    .store
                    .finish_resource(resource.id, owner, &ResourceOutcome::Deleted, &audit("provision.delete", detail))
                    .await?
                    .ok_or_else(|| AppError::Conflict(format!("{} was taken over mid-way", resource.entity_ref)))?;
                self.record_provisioning(&deleted).await?;
                self.sync_resource_entities().await?;
                Ok(deleted)
            }
            Err(error) => Err(AppError::Unavailable(format!("{} could not be removed: {error}", resource.entity_ref))),
        }
    }

    /// Finishes the requests and removals a stopped replica left mid-way
    /// (their lease ended), as replica `owner`: the driver runs again —
    /// drivers are idempotent, so a role without its database gets it — and
    /// the outcome is recorded. The number finished.
    ///
    /// # Errors
    /// A store failure.
    pub async fn resume_provisioning(&self, owner: &str) -> Result<usize, AppError> {
        let now = Utc::now();
        let stale = self.store.claim_stale_resources(owner, now, now + self.provision.lease).await?;
        if stale.is_empty() {
            return Ok(0);
        }
        let catalog = self.catalog.current().await?;
        let mut finished = 0;
        for resource in stale {
            let module = catalog.module(&resource.module).cloned();
            if resource.state == paved_store::ResourceState::Deprovisioning {
                if self.finish_removal("paved".to_owned(), owner, resource, module.as_ref()).await.is_ok() {
                    finished += 1;
                }
                continue;
            }
            let made = match (&module, module.as_ref().map(|m| self.server_of(m))) {
                (Some(module), Some(Ok(server))) => self.run_driver(&catalog, module, server.as_ref(), &resource).await,
                (_, Some(Err(error))) => Err(error.to_string()),
                (None, _) | (_, None) => Err(format!("its Module {} is no longer in the catalog", resource.module)),
            };
            let outcome = match (made, &module) {
                (Ok(made), Some(module)) => match ready(module, made, self.secret_key.as_deref(), &resource.entity_ref)
                {
                    Ok((outcome, _)) => outcome,
                    Err(error) => ResourceOutcome::Failed { error: error.to_string() },
                },
                (Ok(_), None) => ResourceOutcome::Failed { error: "its Module left the catalog".to_owned() },
                (Err(error), _) => ResourceOutcome::Failed { error },
            };
            let audit = NewAudit {
                actor: "paved".into(),
                action: "provision.resume".into(),
                target: String::new(),
                detail: Some("finished after the replica that began it stopped".into()),
                service: None,
                decision: None,
            };
            if let Some(finished_resource) = self.store.finish_resource(resource.id, owner, &outcome, &audit).await? {
                self.record_provisioning(&finished_resource).await?;
                finished += 1;
            }
        }
        if finished > 0 {
            self.sync_resource_entities().await?;
        }
        Ok(finished)
    }

    /// Records `resource`'s state as a raw event of source `paved` (type
    /// `provision`), through the same path as every event, so that the
    /// four-line test and the report count it. No output or secret goes in.
    async fn record_provisioning(&self, resource: &StoredResource) -> Result<(), AppError> {
        let state = match resource.state {
            paved_store::ResourceState::Provisioning => ProvisioningState::Requested,
            paved_store::ResourceState::Ready => ProvisioningState::Ready,
            paved_store::ResourceState::Failed => ProvisioningState::Failed,
            paved_store::ResourceState::Deprovisioning | paved_store::ResourceState::Deleted => {
                ProvisioningState::Deleted
            }
        };
        let event = paved_ingest::paved::ProvisionEvent {
            id: resource.id,
            resource: resource.entity_ref.to_string(),
            module: resource.module.to_string(),
            service: resource.service.name().to_owned(),
            state: state.as_str().to_owned(),
            actor: person_of(&resource.requested_by).map(|person| person.to_string()),
            requested_at: crate::deploy::runs::storable(resource.created_at),
            at: crate::deploy::runs::storable(resource.updated_at),
            error: resource.error.clone(),
        };
        self.record_own_event(paved_ingest::paved::PROVISION, event.delivery_id(), &event).await
    }

    /// The live resource `name` names, once `caller` may act on its service.
    async fn resource_for(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<(std::sync::Arc<CatalogIndex>, StoredResource), AppError> {
        let catalog = self.catalog.current().await?;
        let entity_ref = EntityRef::parse(name.trim(), Some("resource"), paved_domain::DEFAULT_NAMESPACE)
            .map_err(|e| AppError::Invalid(e.to_string()))?;
        let stored = self
            .store
            .resource(&entity_ref)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no resource `{}`", name.trim())))?;
        caller.may_act_on(&catalog, &stored.service)?;
        Ok((catalog, stored))
    }

    /// The admin connection of the Module's server, if its driver needs one.
    fn server_of(&self, module: &Module) -> Result<Option<ServerUrl>, AppError> {
        let Some(name) = &module.server else { return Ok(None) };
        self.provision.servers.get(name).cloned().map(Some).ok_or_else(|| {
            AppError::Invalid(format!(
                "{} runs on server `{name}`, which this pavedroad's configuration does not name; the platform team adds \
                 [provision.servers.{name}] url = \"...\"",
                module.entity_ref.name()
            ))
        })
    }

    async fn run_driver(
        &self,
        catalog: &CatalogIndex,
        module: &Module,
        server: Option<&ServerUrl>,
        resource: &StoredResource,
    ) -> Result<Made, String> {
        let names = names_of(resource);
        match (module.driver, server, &module.terraform) {
            (Driver::Postgres, Some(server), _) => postgres::provision(server, &names).await,
            (Driver::Redis, Some(server), _) => redis::provision(server, &names).await,
            (Driver::Terraform, _, Some(call)) => {
                let author = author_of(catalog, &resource.requested_by);
                let by = &resource.requested_by;
                terraform::provision(&terraform_call(module, call, resource, &names, by, &author)).await
            }
            (driver, _, _) => Err(format!("the {} driver has no server to run on", driver.as_str())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(name: &str) -> Module {
        Module {
            entity_ref: format!("module:default/{name}").parse().unwrap(),
            owner: None,
            resource_type: name.to_owned(),
            driver: Driver::Redis,
            server: Some("cache".into()),
            parameters: serde_json::json!({ "type": "object" }),
            limits: paved_domain::Limits::default(),
            outputs: Vec::new(),
            terraform: None,
        }
    }

    #[test]
    fn names_are_checked_before_any_driver_and_give_the_service_its_prefix() {
        let service: EntityRef = "component:default/checkout-api".parse().unwrap();
        let plain = names(&service, &module("redis-namespace"), None).unwrap();
        assert_eq!(
            plain,
            Names {
                entity: "checkout-api-redis-namespace".into(),
                sql: "checkout_api_redis_namespace".into(),
                prefix: "checkout-api:".into()
            }
        );
        let named = names(&service, &module("redis-namespace"), Some("sessions")).unwrap();
        assert_eq!((named.entity.as_str(), named.prefix.as_str()), ("checkout-api-sessions", "checkout-api:sessions:"));
        for bad in ["x; DROP ROLE postgres", "", "UPPER", "-lead", &"a".repeat(31), "a\"b"] {
            let refused = names(&service, &module("redis-namespace"), Some(bad)).unwrap_err().to_string();
            assert!(refused.contains("is not a resource name"), "{bad}: {refused}");
        }
        // What a stored resource gives back is what the request derived.
        let stored = |name: &str| StoredResource {
            id: 1,
            entity_ref: format!("resource:default/{name}").parse().unwrap(),
            module: "module:default/redis-namespace".parse().unwrap(),
            service: service.clone(),
            team: "group:default/checkout".parse().unwrap(),
            name: name.to_owned(),
            parameters: serde_json::json!({}),
            state: paved_store::ResourceState::Ready,
            outputs: None,
            sealed: None,
            error: None,
            requested_by: "cli".into(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        assert_eq!(names_of(&stored("checkout-api-redis-namespace")), plain);
        assert_eq!(names_of(&stored("checkout-api-sessions")), named);
    }

    #[test]
    fn parameters_are_checked_against_the_schema_naming_the_parameter() {
        let mut m = module("postgres-database");
        m.parameters = serde_json::json!({
            "type": "object", "additionalProperties": false,
            "properties": { "size_gb": { "type": "integer", "maximum": 50, "default": 5 } }
        });
        assert_eq!(parameters(&m, &[]).unwrap(), serde_json::json!({ "size_gb": 5 }), "defaults apply");
        assert_eq!(parameters(&m, &[("size_gb".into(), "20".into())]).unwrap(), serde_json::json!({ "size_gb": 20 }));
        let too_big = parameters(&m, &[("size_gb".into(), "80".into())]).unwrap_err().to_string();
        assert!(too_big.contains("parameter `size_gb`") && too_big.contains("--set size_gb=..."), "{too_big}");
        let unknown = parameters(&m, &[("color".into(), "red".into())]).unwrap_err().to_string();
        assert!(unknown.contains("color"), "{unknown}");
    }
}
