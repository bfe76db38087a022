//! Checks one descriptor document and turns it into a [`CatalogEntity`].
//!
//! Everything here is pure: the document is already parsed, and the only
//! output is the entity, its problems, the references it makes (checked
//! against the whole catalog later) and, for a Location, its targets.

use paved_domain::{
    CatalogEntity, DEFAULT_NAMESPACE, EntityKind, EntityRef, PavedAnnotations, Relation, RelationType, SourcePosition,
};

use crate::annotations::{self, Invalid};
use crate::problem::{Problem, ProblemCode, Severity};
use crate::rules;
use crate::yaml::{Document, Node, Pos, Value};

/// How a reference that names no entity of the catalog is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dangling {
    /// `spec.owner`: an error.
    Owner,
    /// A User's `spec.memberOf`: an error.
    MemberOf,
    /// A DeployTarget's or Heartbeat's `spec.component`: an error (it
    /// would deploy nothing, or page nobody).
    DeployedComponent,
    /// Whom an EscalationPolicy's step pages: an error (the step would page
    /// nobody).
    PagedNobody,
    /// Any other reference: a warning.
    Other,
}

/// A reference written in a descriptor, kept to check it against the catalog.
#[derive(Debug, Clone)]
pub(crate) struct RefUse {
    pub field: String,
    pub target: EntityRef,
    pub pos: Pos,
    pub dangling: Dangling,
}

/// The targets of a Location entity.
#[derive(Debug, Clone)]
pub(crate) struct LocationSpec {
    pub location_type: Option<String>,
    pub targets: Vec<(String, Pos)>,
}

/// One document after checking.
#[derive(Debug)]
pub(crate) struct Checked {
    /// The entity, when at least its kind and name could be read.
    pub entity: Option<CatalogEntity>,
    /// `kind:namespace/name` as far as it is known, for messages.
    pub entity_text: Option<String>,
    pub has_error: bool,
    pub refs: Vec<RefUse>,
    pub location: Option<LocationSpec>,
    pub problems: Vec<Problem>,
}

/// The kind of a descriptor: one pavedroad knows, or `None` for a plugin's.
type Kind = Option<EntityKind>;

const BACKSTAGE_API_VERSIONS: [&str; 2] = ["backstage.io/v1alpha1", "backstage.io/v1beta1"];
const PAVED_API_VERSION: &str = "paved.dev/v1alpha1";
const SCAFFOLDER_API_VERSION: &str = "scaffolder.backstage.io/v1beta3";

/// How a spec field that holds references is read.
struct RefField {
    key: &'static str,
    default_kind: Option<&'static str>,
    relation: RelationType,
    many: bool,
}

const fn one(key: &'static str, default_kind: Option<&'static str>, relation: RelationType) -> RefField {
    RefField { key, default_kind, relation, many: false }
}

const fn many(key: &'static str, default_kind: Option<&'static str>, relation: RelationType) -> RefField {
    RefField { key, default_kind, relation, many: true }
}

const SYSTEM: RefField = one("system", Some("system"), RelationType::PartOf);
const DEPENDS_ON: RefField = many("dependsOn", None, RelationType::DependsOn);
const DEPENDENCY_OF: RefField = many("dependencyOf", None, RelationType::DependencyOf);

/// Checks one document of `file`.
pub(crate) fn check_document(doc: &Document, file: &str) -> Checked {
    let mut c = Checker { file, entity_text: None, problems: Vec::new(), has_error: false };
    let root = &doc.root;
    let start = root.as_map().and_then(|m| m.first()).map_or(root.pos, |e| e.key.pos);
    let mut checked = Checked {
        entity: None,
        entity_text: None,
        has_error: false,
        refs: Vec::new(),
        location: None,
        problems: Vec::new(),
    };
    if root.as_map().is_none() {
        c.error(
            ProblemCode::InvalidField,
            root.pos,
            format!("the document is {}, not a mapping", root.type_name()),
            "a descriptor is a mapping with apiVersion, kind, metadata and spec",
        );
        return c.finish(checked);
    }

    // What the entity is called, first: every later problem names it.
    let kind_text = root.get("kind").and_then(Node::as_str);
    let metadata = root.get("metadata");
    let name_text = metadata.and_then(|m| m.get("name")).and_then(Node::as_str);
    let namespace_text = match metadata.and_then(|m| m.get("namespace")) {
        None => Some(DEFAULT_NAMESPACE),
        Some(n) => n.as_str(),
    };
    if let (Some(kind), Some(name), Some(namespace)) = (kind_text, name_text, namespace_text) {
        c.entity_text = Some(format!("{}:{}/{}", kind.to_ascii_lowercase(), namespace.to_ascii_lowercase(), name));
    }

    for (pos, key) in &doc.duplicate_keys {
        c.error(
            ProblemCode::DuplicateKey,
            *pos,
            format!("`{key}` is written twice in the same mapping; the last value is used"),
            "remove one of the two keys",
        );
    }

    for (pos, what) in &doc.complex_keys {
        c.error(
            ProblemCode::InvalidField,
            *pos,
            format!("a key here is {what}; keys in a descriptor are text"),
            "write the key as plain text, or quote it if it starts with `{` or `[`",
        );
    }

    check_nul(&mut c, root, "");

    let api_version = c.required_top_string(root, "apiVersion", start, "add `apiVersion: backstage.io/v1alpha1`");
    if let Some((v, pos)) = api_version
        && !rules::is_valid_api_version(v)
    {
        c.error(
            ProblemCode::InvalidField,
            pos,
            format!("apiVersion `{v}` is not valid"),
            "write it as group/version, e.g. `backstage.io/v1alpha1`",
        );
    }
    let kind = c.required_top_string(root, "kind", start, "add a kind, e.g. `kind: Component`");
    let kind_enum = match (kind, api_version) {
        (Some((k, pos)), Some((v, v_pos))) => c.resolve_kind(k, pos, v, v_pos),
        (Some((k, pos)), None) => {
            if !rules::is_valid_kind(k) {
                c.error(ProblemCode::InvalidField, pos, format!("kind `{k}` is not valid"), KIND_HINT);
            }
            None
        }
        _ => None,
    };

    let meta = c.check_metadata(root, start);

    let spec_entry = root.entry("spec");
    let spec = spec_entry.map(|e| &e.value);
    let spec_pos = spec_entry.map_or(start, |e| e.key.pos);
    let namespace = meta.namespace.clone().unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned());

    let mut s =
        SpecReader { c: &mut c, spec, spec_pos, namespace: &namespace, refs: Vec::new(), relations: Vec::new() };
    let known = kind_enum.is_some();
    if known && !matches!(kind_enum, Some(EntityKind::Schedule) | Some(EntityKind::EscalationPolicy)) {
        s.require_spec_mapping(start);
    }
    let mut owner = None;
    match kind_enum {
        Some(EntityKind::Component) => {
            s.required_string("type", "add `type: service` (or website, library) under spec");
            s.required_string("lifecycle", LIFECYCLE_HINT);
            owner = s.owner();
            s.refs(&[
                SYSTEM,
                one("subcomponentOf", Some("component"), RelationType::PartOf),
                many("providesApis", Some("api"), RelationType::ProvidesApi),
                many("consumesApis", Some("api"), RelationType::ConsumesApi),
                DEPENDS_ON,
                DEPENDENCY_OF,
            ]);
        }
        Some(EntityKind::Api) => {
            s.required_string("type", "add `type: openapi` (or asyncapi, graphql, grpc) under spec");
            s.required_string("lifecycle", LIFECYCLE_HINT);
            owner = s.owner();
            s.api_definition();
            s.refs(&[SYSTEM]);
        }
        Some(EntityKind::Resource) => {
            s.required_string("type", "add `type: database` (or s3-bucket, cluster, ...) under spec");
            owner = s.owner();
            s.refs(&[SYSTEM, DEPENDS_ON, DEPENDENCY_OF]);
        }
        Some(EntityKind::System) => {
            owner = s.owner();
            s.optional_string("type");
            s.refs(&[one("domain", Some("domain"), RelationType::PartOf)]);
        }
        Some(EntityKind::Domain) => {
            owner = s.owner();
            s.optional_string("type");
            s.refs(&[one("subdomainOf", Some("domain"), RelationType::PartOf)]);
        }
        Some(EntityKind::Group) => {
            s.required_string("type", "add `type: team` (or organization, department) under spec");
            if s.map().is_some_and(|sp| sp.get("children").is_none()) {
                s.c.error(
                    ProblemCode::MissingField,
                    spec_pos,
                    "spec.children is missing".to_owned(),
                    "add `children: []` under spec (list the child groups, if any)",
                );
            }
            s.refs(&[
                one("parent", Some("group"), RelationType::ChildOf),
                many("children", Some("group"), RelationType::ParentOf),
                many("members", Some("user"), RelationType::HasMember),
            ]);
        }
        Some(EntityKind::User) => {
            s.refs(&[many("memberOf", Some("group"), RelationType::MemberOf)]);
        }
        Some(EntityKind::Location) => {
            checked.location = s.location();
        }
        Some(EntityKind::Schedule) => {
            owner = s.owner();
        }
        Some(EntityKind::EscalationPolicy | EntityKind::Module | EntityKind::Template | EntityKind::Scorecard) => {
            owner = s.owner();
        }
        // Owned by its Component's owner; `DeployTarget::parse` and
        // `Heartbeat::parse` check the spec below.
        Some(EntityKind::DeployTarget | EntityKind::Heartbeat) => {}
        None => {
            // No checks, but an owner written the usual way is still worth
            // knowing (e.g. Backstage's AiResource).
            owner = spec
                .and_then(|sp| sp.get("owner"))
                .and_then(Node::as_str)
                .and_then(|o| EntityRef::parse(o, Some("group"), &namespace).ok());
            if let Some(o) = &owner {
                s.relations.push(Relation { kind: RelationType::OwnedBy, target: o.clone() });
            }
        }
    }
    let SpecReader { refs, mut relations, .. } = s;
    // Dependencies on the same entity from two fields give one relation.
    let mut seen = std::collections::HashSet::new();
    relations.retain(|r| seen.insert((r.kind, r.target.key())));

    let paved = c.check_annotations(root, spec, kind_enum, &namespace, &mut checked.refs);
    checked.refs.extend(refs);

    let spec_str = |key: &str| spec.and_then(|sp| sp.get(key)).and_then(Node::as_str).map(str::to_owned);
    if let (Some((kind, _)), Some((api_version, _)), Some(name)) = (kind, api_version, meta.name.clone())
        && let Ok(entity_ref) = EntityRef::new(kind, &namespace, &name)
    {
        checked.entity = Some(CatalogEntity {
            entity_ref,
            kind: kind.to_owned(),
            api_version: api_version.to_owned(),
            title: meta.title,
            description: meta.description,
            spec_type: spec_str("type"),
            lifecycle: spec_str("lifecycle"),
            owner,
            source: SourcePosition { file: file.to_owned(), line: start.line, column: start.column },
            document: root.to_json(),
            relations,
            paved,
        });
    }
    if kind_enum == Some(EntityKind::Schedule)
        && let Some(entity) = &checked.entity
        && let Err(problems) = paved_domain::Schedule::parse(entity)
    {
        for problem in problems {
            c.error(
                ProblemCode::InvalidField,
                spec_pos,
                problem,
                "a Schedule has `timezone`, `rotations` (participants, start, shift) and `overrides` (user, start, end) under spec",
            );
        }
    }
    if kind_enum == Some(EntityKind::EscalationPolicy)
        && let Some(entity) = &checked.entity
    {
        match paved_domain::EscalationPolicy::parse(entity) {
            Ok(policy) => {
                // Whom it pages must exist, else a step pages nobody.
                for (i, step) in policy.steps.iter().enumerate() {
                    let field = format!("spec.steps[{i}].notify");
                    let pos = position_of(root, &field).unwrap_or(spec_pos);
                    for target in &step.notify {
                        checked.refs.push(RefUse {
                            field: field.clone(),
                            target: target.entity().clone(),
                            pos,
                            dangling: Dangling::PagedNobody,
                        });
                    }
                }
            }
            Err(problems) => c.field_errors(
                root,
                spec_pos,
                problems,
                "an EscalationPolicy has `steps` (each `notify: [schedule:NAME, user:NAME, group:NAME]` and \
                         `after: 10m`) and `repeat` (0-5) under spec; see the README's paging section",
            ),
        }
    }
    if kind_enum == Some(EntityKind::Module)
        && let Some(entity) = &checked.entity
    {
        const HINT: &str = "a Module has `driver` (postgres, redis or terraform), `server`, `parameters` (JSON Schema), \
                            `limits` (per_team, classes) and `outputs` under spec; see the README's provisioning section";
        match paved_domain::Module::parse(entity) {
            Ok(module) => {
                if let Err(error) = jsonschema::validator_for(&module.parameters) {
                    let at = error.instance_path().to_string();
                    // The schema's own JSON pointer, as a path in the descriptor.
                    let field = format!("spec.parameters{}", at.replace('/', "."));
                    let pos =
                        position_of(root, &field).or_else(|| position_of(root, "spec.parameters")).unwrap_or(spec_pos);
                    let at = if at.is_empty() { String::new() } else { format!(" at {at}") };
                    c.error(
                        ProblemCode::InvalidField,
                        pos,
                        format!("spec.parameters is not a valid JSON Schema{at}: {error}"),
                        HINT,
                    );
                }
            }
            Err(problems) => c.field_errors(root, spec_pos, problems, HINT),
        }
    }
    if kind_enum == Some(EntityKind::Template)
        && let Some(entity) = &checked.entity
    {
        const HINT: &str = "a Template has `owner`, `type`, `parameters` (JSON Schema form steps), `steps` (each `id`, \
                            `action`, `input`) and `output.links` under spec; see the README's golden paths section";
        match paved_domain::Template::parse(entity) {
            Ok(template) => {
                for (i, schema) in template.parameters.iter().enumerate() {
                    if let Err(error) = jsonschema::validator_for(schema) {
                        let at = error.instance_path().to_string();
                        let field = format!("spec.parameters[{i}]{}", at.replace('/', "."));
                        let pos = position_of(root, &field)
                            .or_else(|| position_of(root, &format!("spec.parameters[{i}]")))
                            .or_else(|| position_of(root, "spec.parameters"))
                            .unwrap_or(spec_pos);
                        let at = if at.is_empty() { String::new() } else { format!(" at {at}") };
                        c.error(
                            ProblemCode::InvalidField,
                            pos,
                            format!("spec.parameters[{i}] is not a valid JSON Schema{at}: {error}"),
                            HINT,
                        );
                    }
                }
            }
            Err(problems) => c.field_errors(root, spec_pos, problems, HINT),
        }
    }
    if kind_enum == Some(EntityKind::Scorecard)
        && let Some(entity) = &checked.entity
        && let Err(problems) = paved_domain::Scorecard::parse(entity)
    {
        c.field_errors(
            root,
            spec_pos,
            problems,
            "a Scorecard has `levels` (lowest first), `rules` (each `name`, `level`, `check`, `threshold`, `window`, \
             `weight`, `failure_message`), `filter` and `exemptions` under spec; see the README's scorecards section",
        );
    }
    if kind_enum == Some(EntityKind::Heartbeat)
        && let Some(entity) = &checked.entity
    {
        match paved_domain::Heartbeat::parse(entity) {
            Ok(heartbeat) => {
                let component_pos = position_of(root, "spec.component").unwrap_or(spec_pos);
                checked.refs.push(RefUse {
                    field: "spec.component".to_owned(),
                    target: heartbeat.component,
                    pos: component_pos,
                    dangling: Dangling::DeployedComponent,
                });
            }
            Err(problems) => c.field_errors(
                root,
                spec_pos,
                problems,
                "a Heartbeat has `component`, `interval` (e.g. `1h`), `grace` and `severity` under spec; \
                         see the README's heartbeat section",
            ),
        }
    }
    if kind_enum == Some(EntityKind::DeployTarget)
        && let Some(entity) = &checked.entity
    {
        match paved_domain::DeployTarget::parse(entity) {
            Ok(target) => {
                // What it names must exist: its Component (else it deploys
                // nothing) and, less strictly, who it allows.
                let component_pos = position_of(root, "spec.component").unwrap_or(spec_pos);
                checked.refs.push(RefUse {
                    field: "spec.component".to_owned(),
                    target: target.component.clone(),
                    pos: component_pos,
                    dangling: Dangling::DeployedComponent,
                });
                let allow_pos = position_of(root, "spec.policy.allow").unwrap_or(spec_pos);
                for who in target.policy.allow {
                    checked.refs.push(RefUse {
                        field: "spec.policy.allow".to_owned(),
                        target: who,
                        pos: allow_pos,
                        dangling: Dangling::Other,
                    });
                }
            }
            Err(problems) => c.field_errors(
                root,
                spec_pos,
                problems,
                "a DeployTarget has component, environment, steps (run, gitops or http), health, rollback \
                         and policy under spec; see the README's deploy section",
            ),
        }
    }
    c.finish(checked)
}

/// Where the field at `path` (`spec.steps[1].timeout`) was written, when
/// it was.
fn position_of(root: &Node, path: &str) -> Option<Pos> {
    let mut node = root;
    let mut pos = None;
    for part in path.split('.') {
        let (key, index) = match part.split_once('[') {
            Some((key, rest)) => (key, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        let entry = node.entry(key)?;
        pos = Some(entry.key.pos);
        node = &entry.value;
        if let Some(index) = index {
            node = node.as_seq()?.get(index)?;
            pos = Some(node.pos);
        }
    }
    pos
}

const KIND_HINT: &str = "write a kind such as Component, API, Resource, System, Domain, Group, User or Location";
const LIFECYCLE_HINT: &str = "add `lifecycle: production` (or experimental, deprecated) under spec";

struct Checker<'a> {
    file: &'a str,
    entity_text: Option<String>,
    problems: Vec<Problem>,
    has_error: bool,
}

#[derive(Default)]
struct Metadata {
    name: Option<String>,
    namespace: Option<String>,
    title: Option<String>,
    description: Option<String>,
}

impl Checker<'_> {
    fn push(&mut self, severity: Severity, code: ProblemCode, pos: Pos, message: String, hint: &str) {
        if severity == Severity::Error {
            self.has_error = true;
        }
        self.problems.push(Problem {
            severity,
            code,
            file: self.file.to_owned(),
            line: pos.line,
            column: pos.column,
            entity: self.entity_text.clone(),
            message,
            hint: hint.to_owned(),
        });
    }

    /// The problems of a pavedroad kind's spec, each at the field it is in
    /// (or the spec when the field was not written).
    fn field_errors(&mut self, root: &Node, spec_pos: Pos, problems: Vec<paved_domain::FieldProblem>, hint: &str) {
        for problem in problems {
            let pos = position_of(root, &problem.path).unwrap_or(spec_pos);
            self.error(ProblemCode::InvalidField, pos, problem.message, hint);
        }
    }

    fn error(&mut self, code: ProblemCode, pos: Pos, message: String, hint: &str) {
        self.push(Severity::Error, code, pos, message, hint);
    }

    fn warning(&mut self, code: ProblemCode, pos: Pos, message: String, hint: &str) {
        self.push(Severity::Warning, code, pos, message, hint);
    }

    fn finish(self, mut checked: Checked) -> Checked {
        checked.entity_text = self.entity_text;
        checked.problems = self.problems;
        checked.has_error = self.has_error;
        checked
    }

    /// A required non-empty string directly under the document root.
    fn required_top_string<'n>(&mut self, root: &'n Node, key: &str, start: Pos, hint: &str) -> Option<(&'n str, Pos)> {
        self.required_string_in(root, key, key, start, hint)
    }

    /// A required non-empty string `key` of `parent`; a missing one is
    /// reported at `missing_pos` (the parent's key, or the document start).
    fn required_string_in<'n>(
        &mut self,
        parent: &'n Node,
        key: &str,
        path: &str,
        missing_pos: Pos,
        hint: &str,
    ) -> Option<(&'n str, Pos)> {
        let Some(entry) = parent.entry(key) else {
            self.error(ProblemCode::MissingField, missing_pos, format!("{path} is missing"), hint);
            return None;
        };
        let value = &entry.value;
        match &value.value {
            Value::Null => {
                self.error(ProblemCode::MissingField, entry.key.pos, format!("{path} has no value"), hint);
                None
            }
            Value::Str(s) if s.trim().is_empty() => {
                self.error(ProblemCode::InvalidField, value.pos, format!("{path} is empty"), hint);
                None
            }
            Value::Str(s) => Some((s.as_str(), value.pos)),
            _ => {
                self.error(
                    ProblemCode::InvalidField,
                    value.pos,
                    format!("{path} must be a string, found {}", value.type_name()),
                    hint,
                );
                None
            }
        }
    }

    /// An optional string `key` of `parent`: absent is fine, anything but a
    /// string is an error.
    fn optional_string_in<'n>(&mut self, parent: &'n Node, key: &str, path: &str) -> Option<(&'n str, Pos)> {
        let value = parent.get(key)?;
        match value.as_str() {
            Some(s) => Some((s, value.pos)),
            None => {
                self.error(
                    ProblemCode::InvalidField,
                    value.pos,
                    format!("{path} must be a string, found {}", value.type_name()),
                    &format!("quote the value, e.g. `{key}: \"...\"`, or remove the field"),
                );
                None
            }
        }
    }

    fn resolve_kind(&mut self, kind: &str, pos: Pos, api_version: &str, version_pos: Pos) -> Kind {
        if !rules::is_valid_kind(kind) {
            self.error(ProblemCode::InvalidField, pos, format!("kind `{kind}` is not valid"), KIND_HINT);
            return None;
        }
        let lookup = |table: &[EntityKind]| {
            table.iter().find(|known| known.descriptor_name().eq_ignore_ascii_case(kind)).copied()
        };
        let (name, found, expected_versions): (&str, Kind, &[&str]) = if let Some(k) = lookup(&EntityKind::BACKSTAGE) {
            (k.descriptor_name(), Some(k), &BACKSTAGE_API_VERSIONS)
        } else if let Some(k) = lookup(&EntityKind::PAVED).filter(|_| api_version.starts_with("paved.dev/")) {
            (k.descriptor_name(), Some(k), &[PAVED_API_VERSION])
        } else if let Some(k) =
            lookup(&EntityKind::SCAFFOLDER).filter(|_| api_version.starts_with("scaffolder.backstage.io/"))
        {
            (k.descriptor_name(), Some(k), &[SCAFFOLDER_API_VERSION])
        } else {
            self.warning(
                ProblemCode::UnknownKind,
                pos,
                format!("pavedroad does not know the kind `{kind}` ({api_version}); the entity is kept without kind-specific checks"),
                "nothing to do if a Backstage plugin defines this kind; otherwise check the spelling of `kind`",
            );
            return None;
        };
        if name != kind {
            self.error(
                ProblemCode::InvalidField,
                pos,
                format!("kind `{kind}` must be written `{name}`"),
                &format!("write `kind: {name}`; kinds are case-sensitive"),
            );
        }
        if !expected_versions.contains(&api_version) {
            self.error(
                ProblemCode::InvalidField,
                version_pos,
                format!("apiVersion `{api_version}` does not define the kind {name}"),
                &format!("write `apiVersion: {}`", expected_versions[0]),
            );
        }
        found
    }

    fn check_metadata(&mut self, root: &Node, start: Pos) -> Metadata {
        let mut meta = Metadata::default();
        let Some(entry) = root.entry("metadata") else {
            self.error(
                ProblemCode::MissingField,
                start,
                "metadata is missing".to_owned(),
                "add `metadata:` with at least `name: <entity-name>`",
            );
            return meta;
        };
        let node = &entry.value;
        if node.as_map().is_none() {
            self.error(
                ProblemCode::InvalidField,
                node.pos,
                format!("metadata must be a mapping, found {}", node.type_name()),
                "write `metadata:` followed by indented fields such as `name: checkout-api`",
            );
            return meta;
        }
        let name_hint = "use 1–63 characters: letters and digits, separated by `-`, `_` or `.`, e.g. `checkout-api`";
        if let Some((name, pos)) = self.required_string_in(node, "name", "metadata.name", entry.key.pos, name_hint) {
            if !rules::is_valid_object_name(name) {
                self.error(ProblemCode::BadName, pos, format!("metadata.name `{name}` is not a valid name"), name_hint);
            }
            meta.name = Some(name.to_owned());
        }
        if let Some((namespace, pos)) = self.optional_string_in(node, "namespace", "metadata.namespace") {
            if rules::is_valid_dns_label(namespace) {
                meta.namespace = Some(namespace.to_owned());
            } else {
                self.error(
                    ProblemCode::BadNamespace,
                    pos,
                    format!("metadata.namespace `{namespace}` is not a valid namespace"),
                    "use 1–63 lower-case letters and digits separated by `-`, e.g. `default` or `payments`",
                );
            }
        }
        meta.title = self.optional_string_in(node, "title", "metadata.title").map(|(s, _)| s.to_owned());
        meta.description =
            self.optional_string_in(node, "description", "metadata.description").map(|(s, _)| s.to_owned());
        self.check_labels(node);
        self.check_tags(node);
        self.check_links(node);
        meta
    }

    fn check_labels(&mut self, metadata: &Node) {
        let Some(labels) = metadata.get("labels") else { return };
        let Some(entries) = labels.as_map() else {
            self.error(
                ProblemCode::InvalidField,
                labels.pos,
                format!("metadata.labels must be a mapping, found {}", labels.type_name()),
                "write labels as `key: value` pairs under `labels:`",
            );
            return;
        };
        for e in entries {
            let key = e.key.key_text();
            if !rules::is_valid_label_or_annotation_key(&key) {
                self.error(
                    ProblemCode::InvalidField,
                    e.key.pos,
                    format!("label key `{key}` is not valid"),
                    "write keys as `[prefix/]name`, e.g. `acme.example/tier`",
                );
            }
            match e.value.as_str() {
                Some(v) if rules::is_valid_label_value(v) => {}
                _ => self.error(
                    ProblemCode::InvalidField,
                    e.value.pos,
                    format!("label `{key}` has an invalid value"),
                    "label values are strings of letters and digits separated by `-`, `_` or `.` (at most 63); quote numbers",
                ),
            }
        }
    }

    fn check_tags(&mut self, metadata: &Node) {
        let Some(tags) = metadata.get("tags") else { return };
        let hint = "tags are lower-case letters, digits, `+`, `#` and `:`, joined by `-`, e.g. `java` or `go-1-15`";
        let Some(items) = tags.as_seq() else {
            self.error(
                ProblemCode::InvalidField,
                tags.pos,
                format!("metadata.tags must be a list, found {}", tags.type_name()),
                hint,
            );
            return;
        };
        for (i, tag) in items.iter().enumerate() {
            match tag.as_str() {
                Some(t) if rules::is_valid_tag(t) => {}
                Some(t) => self.error(
                    ProblemCode::InvalidField,
                    tag.pos,
                    format!("metadata.tags[{i}] `{t}` is not a valid tag"),
                    hint,
                ),
                None => self.error(
                    ProblemCode::InvalidField,
                    tag.pos,
                    format!("metadata.tags[{i}] must be a string, found {}", tag.type_name()),
                    hint,
                ),
            }
        }
    }

    fn check_links(&mut self, metadata: &Node) {
        let Some(links) = metadata.get("links") else { return };
        let Some(items) = links.as_seq() else {
            self.error(
                ProblemCode::InvalidField,
                links.pos,
                format!("metadata.links must be a list, found {}", links.type_name()),
                "write each link as `- url: https://...` with an optional `title`",
            );
            return;
        };
        for (i, link) in items.iter().enumerate() {
            let path = format!("metadata.links[{i}]");
            if link.as_map().is_none() {
                self.error(
                    ProblemCode::InvalidField,
                    link.pos,
                    format!("{path} must be a mapping, found {}", link.type_name()),
                    "write the link as `- url: https://...` with an optional `title`",
                );
                continue;
            }
            let hint = "write an absolute URL, e.g. `https://wiki.acme.example/runbooks/checkout`";
            if let Some((url, pos)) = self.required_string_in(link, "url", &format!("{path}.url"), link.pos, hint)
                && !rules::is_valid_url(url)
            {
                self.error(ProblemCode::InvalidField, pos, format!("{path}.url `{url}` is not a URL"), hint);
            }
            if let Some((title, pos)) = self.optional_string_in(link, "title", &format!("{path}.title"))
                && title.trim().is_empty()
            {
                self.error(
                    ProblemCode::InvalidField,
                    pos,
                    format!("{path}.title is empty"),
                    "give the link a title or remove `title`",
                );
            }
            if let Some((icon, pos)) = self.optional_string_in(link, "icon", &format!("{path}.icon"))
                && !rules::is_valid_object_name(icon)
            {
                self.error(
                    ProblemCode::InvalidField,
                    pos,
                    format!("{path}.icon `{icon}` is not a valid icon name"),
                    "use an icon name such as `dashboard`, `docs` or `github`",
                );
            }
            self.optional_string_in(link, "type", &format!("{path}.type"));
        }
    }

    /// Backstage's annotation format rules for every annotation, and the
    /// values of the ones pavedroad reads.
    fn check_annotations(
        &mut self,
        root: &Node,
        spec: Option<&Node>,
        kind: Kind,
        namespace: &str,
        refs: &mut Vec<RefUse>,
    ) -> PavedAnnotations {
        let metadata = root.get("metadata");
        let annotations = metadata.and_then(|m| m.get("annotations"));
        let mut values: Vec<(String, &str, Pos)> = Vec::new();
        if let Some(node) = annotations {
            match node.as_map() {
                None => self.error(
                    ProblemCode::BadAnnotation,
                    node.pos,
                    format!("metadata.annotations must be a mapping, found {}", node.type_name()),
                    "write annotations as `key: value` pairs under `annotations:`",
                ),
                Some(entries) => {
                    for e in entries {
                        let key = e.key.key_text();
                        if !rules::is_valid_label_or_annotation_key(&key) {
                            self.error(
                                ProblemCode::BadAnnotation,
                                e.key.pos,
                                format!("annotation key `{key}` is not valid"),
                                "write keys as `[prefix/]name`, e.g. `paved.dev/repo`",
                            );
                        }
                        match e.value.as_str() {
                            Some(v) => values.push((key, v, e.value.pos)),
                            None => self.error(
                                ProblemCode::BadAnnotation,
                                e.value.pos,
                                format!("annotation `{key}` must be a string, found {}", e.value.type_name()),
                                "quote the value, e.g. `\"8080\"`",
                            ),
                        }
                    }
                }
            }
        }
        let get = |key: &str| values.iter().find(|(k, _, _)| k == key).map(|(_, v, p)| (*v, *p));
        let mut parsed = annotations::Parsed { namespace, paved: PavedAnnotations::default(), reference: None };
        for annotation in annotations::TABLE {
            let Some((v, pos)) = get(annotation.key) else { continue };
            for e in annotation.parse(v, &mut parsed) {
                self.bad_annotation(annotation.key, pos, e);
            }
            if let Some(target) = parsed.reference.take() {
                refs.push(RefUse { field: annotation.key.to_owned(), target, pos, dangling: Dangling::Other });
            }
        }
        let mut paved = parsed.paved;
        // A User's profile address is no annotation, but it comes first.
        if kind == Some(EntityKind::User) {
            let profile_email = spec.and_then(|s| s.get("profile")).and_then(|p| p.get("email"));
            if let Some(node) = profile_email {
                match node.as_str().map(annotations::email) {
                    Some(Ok(a)) => paved.emails.insert(0, a),
                    _ => self.warning(
                        ProblemCode::InvalidField,
                        node.pos,
                        "spec.profile.email is not an email address, so commits cannot be matched with it".to_owned(),
                        "write an address like `jane.doe@example.com`",
                    ),
                }
            }
        }
        let mut seen = std::collections::HashSet::new();
        paved.emails.retain(|a| seen.insert(a.clone()));
        let links = metadata.and_then(|m| m.get("links")).and_then(Node::as_seq).unwrap_or_default();
        paved.runbooks = links
            .iter()
            .filter(|l| l.get("type").and_then(Node::as_str) == Some("runbook"))
            .filter_map(|l| l.get("url").and_then(Node::as_str))
            .map(str::to_owned)
            .collect();
        paved
    }

    fn bad_annotation(&mut self, key: &str, pos: Pos, e: Invalid) {
        let message = if e.message.starts_with(key) { e.message } else { format!("{key}: {}", e.message) };
        self.error(ProblemCode::BadAnnotation, pos, message, &e.hint);
    }
}

/// Reads the fields of `spec`, collecting relations and references.
struct SpecReader<'c, 'a, 'n> {
    c: &'c mut Checker<'a>,
    spec: Option<&'n Node>,
    spec_pos: Pos,
    namespace: &'c str,
    refs: Vec<RefUse>,
    relations: Vec<Relation>,
}

impl<'n> SpecReader<'_, '_, 'n> {
    /// The spec as a mapping, if it is one (problems are reported once, by
    /// [`SpecReader::require_spec_mapping`]).
    fn map(&self) -> Option<&'n Node> {
        self.spec.filter(|s| s.as_map().is_some())
    }

    fn require_spec_mapping(&mut self, start: Pos) {
        match self.spec {
            None => self.c.error(
                ProblemCode::MissingField,
                start,
                "spec is missing".to_owned(),
                "add `spec:` with the fields this kind requires",
            ),
            Some(spec) if spec.as_map().is_none() => self.c.error(
                ProblemCode::InvalidField,
                spec.pos,
                format!("spec must be a mapping, found {}", spec.type_name()),
                "write `spec:` followed by indented fields",
            ),
            Some(_) => {}
        }
    }

    fn required_string(&mut self, key: &str, hint: &str) -> Option<(&'n str, Pos)> {
        let spec = self.map()?;
        self.c.required_string_in(spec, key, &format!("spec.{key}"), self.spec_pos, hint)
    }

    fn optional_string(&mut self, key: &str) -> Option<(&'n str, Pos)> {
        let spec = self.map()?;
        self.c.optional_string_in(spec, key, &format!("spec.{key}"))
    }

    fn owner(&mut self) -> Option<EntityRef> {
        let (text, pos) = self.required_string(
            "owner",
            "add `owner: <group>` under spec, e.g. `owner: checkout` or `owner: user:jane`",
        )?;
        let target = self.reference("spec.owner", text, pos, Some("group"))?;
        self.relations.push(Relation { kind: RelationType::OwnedBy, target: target.clone() });
        self.refs.push(RefUse {
            field: "spec.owner".to_owned(),
            target: target.clone(),
            pos,
            dangling: Dangling::Owner,
        });
        Some(target)
    }

    fn reference(&mut self, path: &str, text: &str, pos: Pos, default_kind: Option<&str>) -> Option<EntityRef> {
        match EntityRef::parse(text, default_kind, self.namespace) {
            Ok(r) => Some(r),
            Err(e) => {
                let hint = match default_kind {
                    None => format!("write the kind, e.g. `component:{0}` or `resource:{0}`", text.trim()),
                    Some(kind) => format!("write `[kind:][namespace/]name`, e.g. `{kind}:default/example`"),
                };
                self.c.error(ProblemCode::BadReference, pos, format!("{path}: {e}"), &hint);
                None
            }
        }
    }

    fn refs(&mut self, fields: &[RefField]) {
        let Some(spec) = self.map() else { return };
        for field in fields {
            let Some(node) = spec.get(field.key) else { continue };
            let path = format!("spec.{}", field.key);
            let items: Vec<(String, &Node)> = if field.many {
                match node.as_seq() {
                    Some(items) => items.iter().enumerate().map(|(i, n)| (format!("{path}[{i}]"), n)).collect(),
                    None => {
                        self.c.error(
                            ProblemCode::InvalidField,
                            node.pos,
                            format!("{path} must be a list, found {}", node.type_name()),
                            &format!("write `{}: [a, b]` or one `- item` per line", field.key),
                        );
                        continue;
                    }
                }
            } else {
                vec![(path.clone(), node)]
            };
            for (item_path, item) in items {
                let text = match item.as_str() {
                    Some(t) if !t.trim().is_empty() => t,
                    _ => {
                        self.c.error(
                            ProblemCode::InvalidField,
                            item.pos,
                            format!("{item_path} must be an entity reference, found {}", describe(item)),
                            "write a reference such as `name`, `kind:name` or `kind:namespace/name`",
                        );
                        continue;
                    }
                };
                let Some(target) = self.reference(&item_path, text, item.pos, field.default_kind) else { continue };
                self.relations.push(Relation { kind: field.relation, target: target.clone() });
                let dangling =
                    if field.relation == RelationType::MemberOf { Dangling::MemberOf } else { Dangling::Other };
                self.refs.push(RefUse { field: path.clone(), target, pos: item.pos, dangling });
            }
        }
    }

    fn api_definition(&mut self) {
        let Some(spec) = self.map() else { return };
        if spec.get("type").and_then(Node::as_str) == Some("mcp-server") {
            // Backstage's mcp-server API type has `remotes` instead of a definition.
            let hint = "add `remotes:` with `- type: streamable-http` and `url: https://...`";
            match spec.get("remotes") {
                None => {
                    self.c.error(ProblemCode::MissingField, self.spec_pos, "spec.remotes is missing".to_owned(), hint)
                }
                Some(r) if r.as_seq().is_none_or(<[Node]>::is_empty) => self.c.error(
                    ProblemCode::InvalidField,
                    r.pos,
                    "spec.remotes must be a non-empty list".to_owned(),
                    hint,
                ),
                Some(_) => {}
            }
            return;
        }
        let hint = "add `definition: |` followed by the API definition, or `definition: {$text: ./openapi.yaml}`";
        match spec.entry("definition") {
            None => {
                self.c.error(ProblemCode::MissingField, self.spec_pos, "spec.definition is missing".to_owned(), hint)
            }
            Some(e) if is_placeholder(&e.value) => {}
            Some(_) => {
                self.c.required_string_in(spec, "definition", "spec.definition", self.spec_pos, hint);
            }
        }
    }

    fn location(&mut self) -> Option<LocationSpec> {
        let spec = self.map()?;
        let location_type = self.optional_string("type").map(|(t, _)| t.to_owned());
        let mut targets = Vec::new();
        if let Some((t, pos)) = self.optional_string("target") {
            targets.push((t.to_owned(), pos));
        }
        if let Some(node) = spec.get("targets") {
            match node.as_seq() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        match item.as_str() {
                            Some(t) if !t.trim().is_empty() => targets.push((t.to_owned(), item.pos)),
                            _ => self.c.error(
                                ProblemCode::InvalidField,
                                item.pos,
                                format!("spec.targets[{i}] must be a path, found {}", describe(item)),
                                "write a relative path such as `./services/catalog-info.yaml`",
                            ),
                        }
                    }
                }
                None => self.c.error(
                    ProblemCode::InvalidField,
                    node.pos,
                    format!("spec.targets must be a list, found {}", node.type_name()),
                    "write one `- ./path/catalog-info.yaml` per line",
                ),
            }
        }
        if spec.get("target").is_none() && spec.get("targets").is_none() {
            self.c.error(
                ProblemCode::MissingField,
                self.spec_pos,
                "spec.target or spec.targets is missing".to_owned(),
                "add `target: ./path/catalog-info.yaml` or a `targets:` list under spec",
            );
        }
        Some(LocationSpec { location_type, targets })
    }
}

/// Reports every key and string holding a NUL character: PostgreSQL cannot
/// store one in text or JSON, so such an entity could never be imported.
fn check_nul(c: &mut Checker<'_>, node: &Node, path: &str) {
    const HINT: &str = "remove the `\\0` escape (or the NUL byte) from this text";
    let shown = |path: &str| if path.is_empty() { "the document".to_owned() } else { format!("`{path}`") };
    match &node.value {
        Value::Str(text) if text.contains('\0') => c.error(
            ProblemCode::InvalidField,
            node.pos,
            format!("{} contains a NUL character (\\0), which pavedroad cannot store", shown(path)),
            HINT,
        ),
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                check_nul(c, item, &format!("{path}[{i}]"));
            }
        }
        Value::Map(entries) => {
            for entry in entries {
                let key = entry.key.key_text().replace('\0', "\\0");
                let child = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                if entry.key.as_str().is_some_and(|k| k.contains('\0')) {
                    c.error(
                        ProblemCode::InvalidField,
                        entry.key.pos,
                        format!(
                            "the key `{key}` in {} contains a NUL character (\\0), which pavedroad cannot store",
                            shown(path)
                        ),
                        HINT,
                    );
                } else {
                    check_nul(c, &entry.key, &child);
                }
                check_nul(c, &entry.value, &child);
            }
        }
        _ => {}
    }
}

fn describe(node: &Node) -> &'static str {
    match node.as_str() {
        Some(_) => "an empty string",
        None => node.type_name(),
    }
}

/// `{$text: ...}`, `{$json: ...}` or `{$yaml: ...}`: kept as written.
fn is_placeholder(node: &Node) -> bool {
    matches!(node.as_map(), Some([entry]) if matches!(entry.key.as_str(), Some("$text" | "$json" | "$yaml")))
}

#[cfg(test)]
mod tests;
