//! Provisioning from a service's page: its resources with a remove form
//! each, and a request form per Module the platform offers, built from the
//! Module's parameters schema, for the people who may act on the service.
//! A request's answer is a page that shows its secrets this once (never
//! cached); a refusal is the shared refusal page. The application decides
//! who may and checks every value.

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::CACHE_CONTROL;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use paved_app::AppError;
use paved_app::provision::{ProvisionRequest, Provisioned};
use paved_domain::{CatalogIndex, EntityRef, Module};
use paved_store::{ResourceState, StoredResource};
use serde::Deserialize;
use serde_json::Value;

use super::schema_form::{self, Field, field_text, input, parameter_value};
use super::session::{Viewer, csrf_field};
use super::{PageWindow, Section, WebError, encode, layout};
use crate::AppState;

/// The prefix of a parameter's field in a request form (`set.class`), as
/// `paved provision --set class=...`.
const PARAMETER: &str = "set.";

/// The service page's section: the resources (with a remove form each for
/// who may act on the service), then a request form per Module.
pub(super) fn section(
    viewer: &Viewer,
    catalog: &CatalogIndex,
    service: &EntityRef,
    resources: &[StoredResource],
) -> Markup {
    let may = viewer.caller().map(|caller| caller.may_act_on(catalog, service));
    let acting = matches!(may, Some(Ok(())));
    let hint = format!("paved provision MODULE --service {}", service.name());
    let remove = |resource: &StoredResource| remove_form(viewer, service, resource);
    let modules = catalog.modules();
    html! {
        (super::services::resources_section(&hint, resources, acting.then_some(&remove as &dyn Fn(&StoredResource) -> Markup)))
        @if !modules.is_empty() {
            section aria-labelledby="request-resource" {
                h2 id="request-resource" { "Ask for a resource" }
                @match may {
                    None => p { a href={ "/sign-in?next=/services/" (encode(service.name())) } { "Sign in" } " to ask for a resource for " (service.name()) ": made at once, within the Module's limits." },
                    Some(Err(refusal)) => p { (refusal.message()) },
                    Some(Ok(())) => {
                        p { "Made at once, within each Module's limits; the secrets are shown once, on the next page." }
                        @for module in &modules { (request_form(viewer, service, module)) }
                    },
                }
            }
        }
    }
}

/// The remove form of a resource that may be removed now.
fn remove_form(viewer: &Viewer, service: &EntityRef, resource: &StoredResource) -> Markup {
    if !matches!(resource.state, ResourceState::Ready | ResourceState::Failed) {
        return html! {};
    }
    let name = resource.entity_ref.name();
    let id = format!("remove-{name}");
    html! {
        form.remove-resource method="post" action={ "/services/" (encode(service.name())) "/resources/" (encode(name)) "/delete" } {
            (csrf_field(viewer))
            label for=(id) { "Type " code { (name) } " to remove it and its data at once" }
            " "
            input id=(id) name="confirm" type="text" required autocomplete="off" size="20";
            " "
            button type="submit" { "Remove " (name) }
        }
    }
}

/// The fields of `module`'s request form: a `class` over the Module's
/// limits is shown but not offered.
fn fields(module: &Module) -> Vec<Field<'_>> {
    let classes = &module.limits.classes;
    schema_form::fields(&module.parameters, &|key: &str, value: &str| {
        key != "class" || classes.is_empty() || classes.iter().any(|c| c == value)
    })
}

fn request_form(viewer: &Viewer, service: &EntityRef, module: &Module) -> Markup {
    let name = module.entity_ref.name();
    let id = |key: &str| format!("{name}-{}", key.replace(char::is_whitespace, "_"));
    html! {
        form.request-resource method="post" action={ "/services/" (encode(service.name())) "/resources" } data-module=(name) {
            (csrf_field(viewer))
            input type="hidden" name="module" value=(name);
            fieldset {
                legend { (name) " (" (module.driver.as_str()) ")" }
                div.field {
                    label for=(id("name")) { "Name" }
                    input id=(id("name")) name="name" type="text" maxlength="30" pattern="[a-z0-9][a-z0-9-]*"
                        aria-describedby=(id("name-help")) placeholder="orders";
                    p.hint id=(id("name-help")) {
                        "Optional, when " (service.name()) " has several: lower-case letters, digits and -. Without one it is "
                        code { (service.name()) "-" (name) } "."
                    }
                }
                @for field in fields(module) { (input(&id(&format!("set-{}", field.key)), &field, PARAMETER)) }
                button type="submit" { "Ask for " (name) }
            }
        }
    }
}

/// A request form as posted: the Module, the name, and `set.KEY` fields.
#[derive(Debug, Default, PartialEq)]
struct Requested {
    module: String,
    name: Option<String>,
    /// The last value of each parameter (a checked box after its hidden
    /// `false`); empty ones left out, for the schema's default.
    set: BTreeMap<String, String>,
}

impl Requested {
    fn read(fields: Vec<(String, String)>) -> Self {
        let mut read = Self::default();
        for (key, value) in fields {
            match key.as_str() {
                "module" => read.module = value,
                "name" => read.name = Some(value.trim().to_owned()).filter(|name| !name.is_empty()),
                _ => {
                    if let Some(parameter) = key.strip_prefix(PARAMETER) {
                        if value.is_empty() {
                            read.set.remove(parameter);
                        } else {
                            read.set.insert(parameter.to_owned(), value);
                        }
                    }
                }
            }
        }
        read
    }
}

/// The refusal page of a form about `service`'s resources.
fn refused(error: AppError, service: &str, window: &PageWindow) -> Result<Response, WebError> {
    let back = format!("/services/{}#resources", encode(service));
    let label = format!("Back to {service}");
    let json = format!("/api/v1/services/{}/resources", encode(service));
    let page = super::Refused {
        title: "Request refused",
        section: Section::Services,
        back: &back,
        back_label: &label,
        json: &json,
    };
    super::refused(error, &page, window)
}

/// `POST /services/{name}/resources`: a resource from a Module, asked for
/// by the signed-in person.
pub async fn request(
    State(state): State<AppState>,
    Path(service): Path<String>,
    viewer: Viewer,
    window: PageWindow,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let caller =
        viewer.signed_in("sign in to ask for a resource: it is made for a person who may act on the service")?;
    let requested = Requested::read(fields);
    let catalog = state.catalog.current().await.map_err(AppError::from)?;
    let properties = catalog
        .modules()
        .into_iter()
        .find(|module| module.entity_ref.name() == requested.module)
        .and_then(|module| module.parameters.get("properties").cloned());
    let set = requested
        .set
        .into_iter()
        .map(|(key, text)| {
            let value = parameter_value(properties.as_ref().and_then(|p| p.get(&key)), &text);
            (key, value.to_string())
        })
        .collect();
    let request = ProvisionRequest { module: requested.module, service: service.clone(), name: requested.name, set };
    match state.provision(caller, &request).await {
        Ok(made) => Ok(made_page(&made, &window)),
        Err(error) => refused(error, &service, &window),
    }
}

/// The answer to a request: the resource's outputs, its secrets this once
/// (the page is never cached), and how to read them again.
fn made_page(made: &Provisioned, window: &PageWindow) -> Response {
    let resource = &made.resource;
    let name = resource.entity_ref.name();
    let shown = resource.outputs.as_ref().and_then(Value::as_object);
    let is_secret = |key: &str| shown.is_none_or(|shown| !shown.contains_key(key));
    let secrets = made.outputs.keys().any(|key| is_secret(key));
    let again = format!("paved resource credentials {name}");
    let content = html! {
        @if made.created {
            p { (name) " is " (resource.state.as_str()) ", owned by " (super::link(&resource.team)) ", for " (super::link(&resource.service)) "." }
        } @else {
            p { (name) " was made before by the same request; it is " (resource.state.as_str()) ". Its secrets are not shown again: read them with " code { (again) } "." }
        }
        table.outputs {
            thead { tr { th scope="col" { "Output" } th scope="col" { "Value" } } }
            tbody {
                @for (key, value) in &made.outputs {
                    tr data-output=(key) data-secret=(is_secret(key)) {
                        th scope="row" { (key) @if is_secret(key) { " (secret)" } }
                        td { code { (field_text(value)) } }
                    }
                }
            }
        }
        @if secrets {
            p.once role="alert" {
                strong { "The secrets are shown this once: copy them into the service's secrets now." }
                " The service's owners and admins read them again with " code { (again) } "."
            }
        }
        p { a href={ (super::page_path(&resource.service)) "#resources" } { "Back to " (resource.service.name()) } }
    };
    let page = layout(
        &format!("Resource {name}"),
        Section::Services,
        &super::page_path(&resource.service),
        window,
        &format!("/api/v1/services/{}/resources", encode(resource.service.name())),
        content,
    );
    let status = if made.created { StatusCode::CREATED } else { StatusCode::OK };
    (status, [(CACHE_CONTROL, "no-store")], page).into_response()
}

/// What the remove form sends.
#[derive(Debug, Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    confirm: String,
}

/// `POST /services/{name}/resources/{resource}/delete`: the resource
/// removed by the signed-in person, who typed its name.
pub async fn remove(
    State(state): State<AppState>,
    Path((service, resource)): Path<(String, String)>,
    viewer: Viewer,
    window: PageWindow,
    Form(form): Form<RemoveForm>,
) -> Result<Response, WebError> {
    let caller = viewer.signed_in("sign in to remove a resource: only its service's owners and admins may")?;
    if form.confirm.trim() != resource {
        let error = AppError::Invalid(format!(
            "type the resource's name, {resource}, into the field to remove it: it and its data are dropped at once"
        ));
        return refused(error, &service, &window);
    }
    match state.deprovision(caller, &resource, Some(&form.confirm)).await {
        Ok(_) => Ok(super::see_other(&format!("/services/{}#resources", encode(&service)))),
        Err(error) => refused(error, &service, &window),
    }
}

#[cfg(test)]
mod tests {
    use super::schema_form::Kind;
    use super::*;

    fn module(parameters: Value, classes: &[&str]) -> Module {
        Module {
            entity_ref: "module:default/postgres-database".parse().unwrap(),
            owner: None,
            resource_type: "database".into(),
            driver: paved_domain::Driver::Postgres,
            server: Some("main".into()),
            parameters,
            limits: paved_domain::Limits { per_team: None, classes: classes.iter().map(|c| (*c).to_owned()).collect() },
            outputs: Vec::new(),
            terraform: None,
        }
    }

    #[test]
    fn each_property_of_the_schema_becomes_the_input_its_type_asks_for() {
        let m = module(
            serde_json::json!({
                "type": "object", "required": ["size_gb"],
                "properties": {
                    "class": { "type": "string", "enum": ["small", "large"], "default": "small" },
                    "size_gb": { "type": "integer", "minimum": 1, "maximum": 50, "default": 5, "description": "Disk size." },
                    "backups": { "type": "boolean", "default": true },
                    "owner_note": { "type": "string" }
                }
            }),
            &["small"],
        );
        let fields = fields(&m);
        let by_key = |key: &str| fields.iter().find(|f| f.key == key).unwrap();
        assert_eq!(by_key("class").kind, Kind::Choice(vec![("small".into(), true), ("large".into(), false)]));
        assert_eq!(
            by_key("size_gb").kind,
            Kind::Number { integer: true, min: Some("1".into()), max: Some("50".into()) }
        );
        assert!(by_key("size_gb").required && !by_key("class").required);
        assert_eq!(by_key("size_gb").description, Some("Disk size."));
        assert_eq!(by_key("backups").kind, Kind::Flag);
        assert_eq!(by_key("owner_note").kind, Kind::Text);
        assert!(super::fields(&module(serde_json::json!({ "type": "object" }), &[])).is_empty());
    }

    #[test]
    fn a_posted_form_gives_the_values_the_schema_asks_for() {
        let posted = |pairs: &[(&str, &str)]| {
            Requested::read(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())
        };
        let read = posted(&[
            ("csrf", "x"),
            ("module", "postgres-database"),
            ("name", " "),
            ("set.backups", "false"),
            ("set.backups", "true"),
            ("set.size_gb", ""),
            ("set.class", "small"),
        ]);
        assert_eq!(read.module, "postgres-database");
        assert_eq!(read.name, None, "a blank name is none");
        let set: Vec<(&str, &str)> = read.set.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(set, [("backups", "true"), ("class", "small")], "a checked box wins; an empty field is left out");
        let schema = |kind: &str| serde_json::json!({ "type": kind });
        assert_eq!(parameter_value(Some(&schema("string")), "3"), Value::String("3".into()), "text stays text");
        assert_eq!(parameter_value(Some(&schema("integer")), "20"), serde_json::json!(20));
        assert_eq!(
            parameter_value(Some(&schema("integer")), "lots"),
            serde_json::json!("lots"),
            "for the schema to refuse"
        );
        assert_eq!(parameter_value(Some(&schema("number")), "2.5"), serde_json::json!(2.5));
        assert_eq!(parameter_value(Some(&schema("boolean")), "false"), serde_json::json!(false));
        assert_eq!(parameter_value(Some(&serde_json::json!({ "enum": [1, 2] })), "2"), serde_json::json!(2));
        assert_eq!(parameter_value(None, "small"), serde_json::json!("small"));
    }
}
