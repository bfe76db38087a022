//! Backstage's catalog API, read-only, shaped as Backstage's catalog
//! backend answers it, so that a Backstage frontend or
//! `@backstage/catalog-client` reads pavedroad's catalog unchanged:
//!
//! - `GET /api/catalog/entities/by-name/{kind}/{namespace}/{name}`: the
//!   entity (its descriptor, `metadata.uid` and `etag`, `relations`
//!   inside);
//! - `GET /api/catalog/entities/by-query`: `filter` (repeatable; `a=b,c=d`
//!   inside one filter must all hold, any filter may; a bare key means the
//!   field exists; case-insensitive), `fields`, `orderField`,
//!   `fullTextFilterTerm`, `limit`, `offset`, `cursor`; answers `{items,
//!   totalItems, pageInfo: {nextCursor?, prevCursor?}}`;
//! - `POST /api/catalog/entities/by-refs`: `{entityRefs, fields?}`, answers
//!   `{items}` in the order asked, `null` for a ref not in the catalog.
//!
//! Errors have Backstage's shape: `{error: {name, message}, request:
//! {method, url}, response: {statusCode}}`. Paths in answers are relative
//! to where the catalog was imported from (no server path).

use axum::Json;
use axum::extract::{OriginalUri, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use paved_store::{EntityFilter, StoredEntity};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};

use crate::AppState;
use crate::extract::{ApiPath, RawBody};

/// The most entities one page answers.
const MAX_LIMIT: usize = 1000;
/// A page's size when `limit` is not given (Backstage's own default).
const DEFAULT_LIMIT: usize = 200;

/// The body of an error in Backstage's shape (documentation of
/// [`BackstageError`]'s answer).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct BackstageErrorBody {
    /// `{name, message}`: `InputError`, `NotFoundError` or `Error`.
    error: BackstageErrorName,
    /// The request answered.
    request: BackstageErrorRequest,
    /// `{statusCode}`.
    response: BackstageErrorStatus,
}

/// What went wrong, as Backstage names it.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct BackstageErrorName {
    /// `InputError` (400), `NotFoundError` (404) or `Error`.
    name: String,
    /// What is wrong.
    message: String,
}

/// The request an error answers.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct BackstageErrorRequest {
    /// Its method.
    method: String,
    /// Its path and query.
    url: String,
}

/// The status of an error.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
#[schema(rename_all = "camelCase")]
pub struct BackstageErrorStatus {
    /// The HTTP status.
    status_code: u16,
}

/// An error in Backstage's shape.
pub struct BackstageError {
    status: StatusCode,
    name: &'static str,
    message: String,
    method: Method,
    url: String,
}

impl IntoResponse for BackstageError {
    fn into_response(self) -> Response {
        let body = json!({
            "error": { "name": self.name, "message": self.message },
            "request": { "method": self.method.as_str(), "url": self.url },
            "response": { "statusCode": self.status.as_u16() },
        });
        (self.status, Json(body)).into_response()
    }
}

struct Request {
    method: Method,
    url: String,
}

impl Request {
    fn error(&self, status: StatusCode, message: impl Into<String>) -> BackstageError {
        let name = match status {
            StatusCode::NOT_FOUND => "NotFoundError",
            StatusCode::BAD_REQUEST => "InputError",
            _ => "Error",
        };
        BackstageError { status, name, message: message.into(), method: self.method.clone(), url: self.url.clone() }
    }

    fn internal(&self, error: impl std::fmt::Display) -> BackstageError {
        tracing::error!(%error, "the Backstage catalog API failed");
        self.error(StatusCode::INTERNAL_SERVER_ERROR, "the catalog could not be read")
    }
}

/// `location` and a descriptor `file` as answers show them: relative to
/// the directory the catalog was imported from, never a server path.
pub fn shown_paths(location: &str, file: &str) -> (String, String) {
    use std::path::{Component, Path, PathBuf};
    // An import of several paths stores them as one location, `a, b`:
    // each is shown on its own, the file from the one that holds it.
    if location.contains(", ") {
        let places: Vec<&str> = location.split(", ").collect();
        let shown: Vec<String> = places.iter().map(|place| shown_paths(place, place).0).collect();
        let holder = places.iter().find(|place| file == **place || file.starts_with(&format!("{place}/")));
        let file = match holder {
            Some(place) => shown_paths(place, file).1,
            None => Path::new(file).file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        };
        return (shown.join(", "), file);
    }
    // `a/b/../c` as `a/c`, without touching the file system.
    let normal = |p: &str| {
        let mut out = PathBuf::new();
        for part in Path::new(p).components() {
            match part {
                Component::ParentDir => {
                    out.pop();
                }
                Component::CurDir => {}
                other => out.push(other),
            }
        }
        out
    };
    if location.contains(':') && !Path::new(location).is_absolute() {
        // `paved:new/ledger`, `url:...`: not a path of this server.
        let file = if Path::new(file).is_absolute() {
            Path::new(file).file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned())
        } else {
            file.to_owned()
        };
        return (location.to_owned(), file);
    }
    let (place, path) = (normal(location), normal(file));
    let root = if place.is_absolute() {
        // A directory keeps its own name; a file is shown from its directory.
        place.parent().map(Path::to_path_buf).unwrap_or_default()
    } else if path.is_absolute() {
        // Imported by a relative path that the file's absolute path ends in.
        let tail: Vec<Component> = place.components().collect();
        let parts: Vec<Component> = path.components().collect();
        let at = (0..parts.len().saturating_sub(tail.len())).rev().find(|&i| parts[i..i + tail.len()] == tail[..]);
        match at {
            Some(at) => parts[..at].iter().collect(),
            None => path.parent().map(Path::to_path_buf).unwrap_or_default(),
        }
    } else {
        return (place.to_string_lossy().into_owned(), path.to_string_lossy().into_owned());
    };
    let shown = |p: &Path| {
        p.strip_prefix(&root).map_or_else(
            |_| p.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            |r| r.to_string_lossy().into_owned(),
        )
    };
    let place = if place.is_absolute() { shown(&place) } else { place.to_string_lossy().into_owned() };
    (place, shown(&path))
}

/// The entity as Backstage answers it.
fn entity(stored: &StoredEntity) -> Value {
    let mut document = stored.entity.document.clone();
    let Some(object) = document.as_object_mut() else { return document };
    let (location, file) = shown_paths(&stored.location, &stored.entity.source.file);
    let metadata = object.entry("metadata").or_insert_with(|| json!({}));
    if let Some(metadata) = metadata.as_object_mut() {
        metadata.entry("namespace").or_insert_with(|| json!(stored.entity.entity_ref.namespace()));
        let annotations = metadata.entry("annotations").or_insert_with(|| json!({}));
        if let Some(annotations) = annotations.as_object_mut() {
            let managed = if location.starts_with("paved:") { location.clone() } else { format!("file:{file}") };
            annotations.entry("backstage.io/managed-by-location").or_insert_with(|| json!(managed));
            annotations
                .entry("backstage.io/managed-by-origin-location")
                .or_insert_with(|| json!(if location.contains(':') { location } else { format!("file:{location}") }));
        }
        // Stable across replicas: from the reference; the etag changes
        // with the descriptor.
        let digest = Sha256::digest(stored.entity.entity_ref.key().as_bytes());
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        let uid = uuid::Builder::from_random_bytes(bytes).into_uuid();
        metadata.insert("uid".into(), json!(uid.to_string()));
        let etag = hex::encode(&Sha256::digest(stored.entity.document.to_string().as_bytes())[..20]);
        metadata.insert("etag".into(), json!(etag));
    }
    let relations: Vec<Value> = stored
        .all_relations
        .iter()
        .map(|r| json!({ "type": r.kind.as_str(), "targetRef": r.target.to_string() }))
        .collect();
    object.insert("relations".into(), Value::Array(relations));
    document
}

/// Every searchable `(key, value)` of an entity, lower-cased, as
/// Backstage's search index has them: scalars by their dotted path, each
/// string of an array as `path=value` and `path.value=true`, relations as
/// `relations.<type>=<targetRef>`.
fn searchable(entity: &Value) -> Vec<(String, String)> {
    fn walk(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
        match value {
            Value::Object(map) => {
                for (key, value) in map {
                    let path =
                        if prefix.is_empty() { key.to_lowercase() } else { format!("{prefix}.{}", key.to_lowercase()) };
                    if key == "relations" && prefix.is_empty() {
                        continue;
                    }
                    walk(&path, value, out);
                }
            }
            Value::Array(items) => {
                for item in items {
                    match item {
                        Value::String(s) => {
                            out.push((prefix.to_owned(), s.to_lowercase()));
                            out.push((format!("{prefix}.{}", s.to_lowercase()), "true".to_owned()));
                        }
                        Value::Object(_) | Value::Array(_) => walk(prefix, item, out),
                        other => out.push((prefix.to_owned(), other.to_string().to_lowercase())),
                    }
                }
            }
            Value::String(s) => out.push((prefix.to_owned(), s.to_lowercase())),
            Value::Null => {}
            other => out.push((prefix.to_owned(), other.to_string().to_lowercase())),
        }
    }
    let mut out = Vec::new();
    walk("", entity, &mut out);
    for relation in entity["relations"].as_array().into_iter().flatten() {
        if let (Some(kind), Some(target)) = (relation["type"].as_str(), relation["targetRef"].as_str()) {
            out.push((format!("relations.{}", kind.to_lowercase()), target.to_lowercase()));
        }
    }
    out
}

/// One `filter` parameter: every key must hold (one of its values, or
/// exist when it has none).
type Filter = Vec<(String, Vec<String>)>;

fn parse_filter(text: &str) -> Result<Filter, String> {
    let mut filter: Filter = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = match part.split_once('=') {
            Some((key, value)) => (key.trim().to_lowercase(), Some(value.trim().to_lowercase())),
            None => (part.to_lowercase(), None),
        };
        if key.is_empty() {
            return Err(format!("filter `{text}` has an empty key; write key=value pairs, e.g. kind=component"));
        }
        match filter.iter_mut().find(|(k, _)| *k == key) {
            Some((_, values)) => values.extend(value),
            None => filter.push((key, value.into_iter().collect())),
        }
    }
    Ok(filter)
}

fn matches(index: &[(String, String)], filters: &[Filter]) -> bool {
    filters.is_empty()
        || filters.iter().any(|filter| {
            filter.iter().all(|(key, values)| {
                let mut found = index.iter().filter(|(k, _)| k == key);
                if values.is_empty() { found.next().is_some() } else { found.any(|(_, v)| values.contains(v)) }
            })
        })
}

/// Keeps only `fields` (dotted paths) of `entity`; all of it when none.
fn project(entity: Value, fields: &[String]) -> Value {
    if fields.is_empty() {
        return entity;
    }
    let mut out = Value::Object(Map::new());
    for field in fields {
        let parts: Vec<&str> = field.split('.').collect();
        let mut source = &entity;
        let mut found = true;
        for part in &parts {
            match source.get(part) {
                Some(next) => source = next,
                None => {
                    found = false;
                    break;
                }
            }
        }
        if !found {
            continue;
        }
        let mut target = &mut out;
        for (i, part) in parts.iter().enumerate() {
            let Some(object) = target.as_object_mut() else { break };
            if i + 1 == parts.len() {
                object.insert((*part).to_owned(), source.clone());
                break;
            }
            target = object.entry(*part).or_insert_with(|| Value::Object(Map::new()));
        }
    }
    out
}

fn parse_fields<'a>(values: impl Iterator<Item = &'a str>) -> Result<Vec<String>, String> {
    let fields: Vec<String> =
        values.flat_map(|v| v.split(',')).map(str::trim).filter(|f| !f.is_empty()).map(str::to_owned).collect();
    match fields.iter().find(|f| f.contains('[')) {
        Some(bad) => Err(format!("fields: `{bad}` is not a dotted path (e.g. metadata.name)")),
        None => Ok(fields),
    }
}

/// Every entity of the catalog, with its relations both ways.
async fn all_entities(state: &AppState) -> Result<Vec<StoredEntity>, paved_store::StoreError> {
    let mut all = Vec::new();
    let mut filter = EntityFilter { limit: 500, ..EntityFilter::default() };
    loop {
        let page = state.store.list_entities(&filter).await?;
        let got = page.items.len();
        all.extend(page.items);
        if got < 500 || all.len() as u64 >= page.total {
            return Ok(all);
        }
        filter.offset = all.len() as u64;
    }
}

/// A by-query request, as its cursor carries it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Query {
    filters: Vec<String>,
    order: Vec<(String, bool)>,
    term: Option<String>,
    offset: usize,
    limit: usize,
}

fn decode_cursor(text: &str) -> Option<Query> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text.trim()).ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn encode_cursor(query: &Query) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(query).unwrap_or_default())
}

/// Entities of Backstage's catalog matching `filter`, paged.
#[utoipa::path(
    get,
    path = "/api/catalog/entities/by-query",
    tag = "catalog",
    params(
        ("filter" = Option<Vec<String>>, Query, description = "Repeatable: `kind=component,spec.owner=checkout` (every pair holds); any filter may match; a bare key: the field exists"),
        ("fields" = Option<String>, Query, description = "Dotted paths to keep, comma-separated: `kind,metadata.name`"),
        ("orderField" = Option<Vec<String>>, Query, description = "`metadata.name,asc` or `,desc`"),
        ("fullTextFilterTerm" = Option<String>, Query, description = "Text in the name, title or description"),
        ("limit" = Option<usize>, Query, description = "Page size (default 200, at most 1000)"),
        ("offset" = Option<usize>, Query, description = "Entities to skip on the first page"),
        ("cursor" = Option<String>, Query, description = "The `pageInfo.nextCursor` or `prevCursor` of an answer; the other parameters but `limit` and `fields` are then ignored"),
    ),
    responses(
        (status = 200, body = Object, description = "Backstage's shape: `{items, totalItems, pageInfo: {nextCursor?, prevCursor?}}`"),
        (status = 400, body = BackstageErrorBody, description = "A filter, field or paging parameter is malformed (Backstage's error shape, `InputError`)"),
    )
)]
pub async fn by_query(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
) -> Result<Json<Value>, BackstageError> {
    let request = Request { method: Method::GET, url: uri.to_string() };
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()).into_owned().collect();
    fn all_of<'p>(pairs: &'p [(String, String)], name: &'p str) -> impl Iterator<Item = &'p str> {
        pairs.iter().filter(move |(k, _)| k == name).map(|(_, v)| v.as_str())
    }
    let values = |name: &'static str| all_of(&pairs, name);
    let bad = |message: String| request.error(StatusCode::BAD_REQUEST, message);
    let fields = parse_fields(values("fields")).map_err(bad)?;
    let limit = match values("limit").next() {
        None => None,
        Some(text) => Some(
            text.parse::<usize>()
                .map_err(|_| request.error(StatusCode::BAD_REQUEST, format!("limit `{text}` is not a whole number")))?
                .min(MAX_LIMIT),
        ),
    };
    let query = match values("cursor").next() {
        Some(cursor) => {
            let mut query =
                decode_cursor(cursor).ok_or_else(|| request.error(StatusCode::BAD_REQUEST, "Malformed cursor"))?;
            if let Some(limit) = limit {
                query.limit = limit;
            }
            query
        }
        None => {
            let mut order = Vec::new();
            for text in values("orderField") {
                let (field, direction) = text.split_once(',').unwrap_or((text, "asc"));
                let descending = match direction.trim() {
                    "asc" => false,
                    "desc" => true,
                    other => {
                        return Err(request.error(
                            StatusCode::BAD_REQUEST,
                            format!("orderField `{text}`: `{other}` is not asc or desc"),
                        ));
                    }
                };
                order.push((field.trim().to_lowercase(), descending));
            }
            let offset = match values("offset").next() {
                None => 0,
                Some(text) => text.parse().map_err(|_| {
                    request.error(StatusCode::BAD_REQUEST, format!("offset `{text}` is not a whole number"))
                })?,
            };
            Query {
                filters: values("filter").map(str::to_owned).collect(),
                order,
                term: values("fullTextFilterTerm").next().map(|t| t.trim().to_lowercase()).filter(|t| !t.is_empty()),
                offset,
                limit: limit.unwrap_or(DEFAULT_LIMIT),
            }
        }
    };
    let filters: Vec<Filter> = query.filters.iter().map(|f| parse_filter(f)).collect::<Result<_, _>>().map_err(bad)?;
    let stored = all_entities(&state).await.map_err(|e| request.internal(e))?;
    let mut found: Vec<(Vec<(String, String)>, Value)> = stored
        .iter()
        .map(entity)
        .map(|e| (searchable(&e), e))
        .filter(|(index, _)| matches(index, &filters))
        .filter(|(_, e)| {
            query.term.as_ref().is_none_or(|term| {
                ["name", "title", "description"]
                    .iter()
                    .any(|f| e["metadata"][f].as_str().is_some_and(|v| v.to_lowercase().contains(term.as_str())))
            })
        })
        .collect();
    if let Some((field, descending)) = query.order.first() {
        let key = |index: &[(String, String)]| index.iter().find(|(k, _)| k == field).map(|(_, v)| v.clone());
        found.sort_by(|(a, _), (b, _)| {
            let (a, b) = (key(a), key(b));
            // Entities without the field come last, either way.
            match (a, b) {
                (Some(a), Some(b)) if *descending => b.cmp(&a),
                (Some(a), Some(b)) => a.cmp(&b),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            }
        });
    }
    let total = found.len();
    let start = query.offset.min(total);
    let end = (start + query.limit).min(total);
    let items: Vec<Value> = found[start..end].iter().map(|(_, e)| project(e.clone(), &fields)).collect();
    let mut page_info = Map::new();
    if end < total && query.limit > 0 {
        page_info.insert("nextCursor".into(), json!(encode_cursor(&Query { offset: end, ..query.clone() })));
    }
    if start > 0 && query.limit > 0 {
        let previous = start.saturating_sub(query.limit);
        page_info.insert("prevCursor".into(), json!(encode_cursor(&Query { offset: previous, ..query.clone() })));
    }
    Ok(Json(json!({ "items": items, "totalItems": total, "pageInfo": page_info })))
}

/// One entity by kind, namespace and name (case-insensitive), as Backstage
/// answers it.
#[utoipa::path(
    get,
    path = "/api/catalog/entities/by-name/{kind}/{namespace}/{name}",
    tag = "catalog",
    params(
        ("kind" = String, Path, description = "`component`, `group`, ..."),
        ("namespace" = String, Path, description = "`default`"),
        ("name" = String, Path, description = "The entity's name"),
    ),
    responses(
        (status = 200, body = Object, description = "The entity: apiVersion, kind, metadata (with uid and etag), spec, relations ({type, targetRef})"),
        (status = 404, body = BackstageErrorBody, description = "No such entity (Backstage's error shape, `NotFoundError`)"),
    )
)]
pub async fn by_name(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    ApiPath((kind, namespace, name)): ApiPath<(String, String, String)>,
) -> Result<Json<Value>, BackstageError> {
    let request = Request { method: Method::GET, url: uri.to_string() };
    let missing = || {
        request.error(
            StatusCode::NOT_FOUND,
            format!("No entity named '{name}' found, with kind '{kind}' in namespace '{namespace}'"),
        )
    };
    let reference = format!("{kind}:{namespace}/{name}").to_lowercase();
    let Ok(entity_ref) = reference.parse::<paved_domain::EntityRef>() else { return Err(missing()) };
    match state.store.entity(&entity_ref).await.map_err(|e| request.internal(e))? {
        Some(stored) => Ok(Json(entity(&stored))),
        None => Err(missing()),
    }
}

/// What `POST /api/catalog/entities/by-refs` asks for.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ByRefsBody {
    /// Entity references: `component:default/checkout-api`.
    pub entity_refs: Vec<String>,
    /// Dotted paths to keep.
    #[serde(default)]
    pub fields: Option<Vec<String>>,
}

/// Entities by reference, in the order asked; `null` for one the catalog
/// lacks (or that the query's `filter` leaves out).
#[utoipa::path(
    post,
    path = "/api/catalog/entities/by-refs",
    tag = "catalog",
    request_body = ByRefsBody,
    params(("filter" = Option<Vec<String>>, Query, description = "As by-query's: an entity it leaves out is null")),
    responses(
        (status = 200, body = Object, description = "`{items: [entity or null, ...]}` in the order of entityRefs"),
        (status = 400, body = BackstageErrorBody, description = "A body that is not `{entityRefs: [...]}` (Backstage's error shape, `InputError`)"),
    )
)]
pub async fn by_refs(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    RawBody(body): RawBody,
) -> Result<Json<Value>, BackstageError> {
    let request = Request { method: Method::POST, url: uri.to_string() };
    let body: ByRefsBody = serde_json::from_slice(&body).map_err(|e| {
        request.error(
            StatusCode::BAD_REQUEST,
            format!(
                "Malformed request body (did you remember to specify an application/json content type?): {e}; \
                 send {{\"entityRefs\": [\"component:default/NAME\"]}}"
            ),
        )
    })?;
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()).into_owned().collect();
    let filters: Vec<Filter> = pairs
        .iter()
        .filter(|(k, _)| k == "filter")
        .map(|(_, v)| parse_filter(v))
        .collect::<Result<_, _>>()
        .map_err(|e| request.error(StatusCode::BAD_REQUEST, e))?;
    let mut fields = body.fields.clone().unwrap_or_default();
    fields.extend(
        parse_fields(pairs.iter().filter(|(k, _)| k == "fields").map(|(_, v)| v.as_str()))
            .map_err(|e| request.error(StatusCode::BAD_REQUEST, e))?,
    );
    let refs: Vec<Option<paved_domain::EntityRef>> =
        body.entity_refs.iter().map(|r| r.to_lowercase().parse().ok()).collect();
    let wanted: Vec<paved_domain::EntityRef> = refs.iter().flatten().cloned().collect();
    let stored = state.store.entities(&wanted).await.map_err(|e| request.internal(e))?;
    let items: Vec<Value> = refs
        .iter()
        .map(|r| {
            let Some(r) = r else { return Value::Null };
            let Some(found) = stored.iter().find(|s| s.entity.entity_ref.key() == r.key()) else { return Value::Null };
            let entity = entity(found);
            if matches(&searchable(&entity), &filters) { project(entity, &fields) } else { Value::Null }
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_match_as_backstage_s_search_index() {
        let entity = json!({"kind": "Component", "metadata": {"name": "A", "tags": ["Java"]}, "spec": {"owner": "checkout"},
                            "relations": [{"type": "ownedBy", "targetRef": "group:default/checkout"}]});
        let index = searchable(&entity);
        let holds =
            |filters: &[&str]| matches(&index, &filters.iter().map(|f| parse_filter(f).unwrap()).collect::<Vec<_>>());
        assert!(holds(&["kind=component,spec.owner=CHECKOUT"]));
        assert!(!holds(&["kind=component,spec.owner=group:default/checkout"]), "values are not references");
        assert!(holds(&["relations.ownedby=group:default/checkout"]));
        assert!(holds(&["kind=api", "metadata.tags.java"]), "any filter may match; a bare key exists");
        assert!(holds(&["kind=api,kind=component"]), "a key given twice: either value");
        assert!(!holds(&["spec.lifecycle"]));
    }

    #[test]
    fn fields_keep_only_their_paths() {
        let entity = json!({"kind": "Component", "metadata": {"name": "a", "uid": "u"}, "spec": {"owner": "x"}});
        let kept = project(entity, &["kind".into(), "metadata.name".into(), "spec.nothing".into()]);
        assert_eq!(kept, json!({"kind": "Component", "metadata": {"name": "a"}}));
    }

    #[test]
    fn server_paths_are_shown_relative_to_the_catalog() {
        assert_eq!(
            shown_paths("/srv/paved/catalog", "/srv/paved/catalog/teams/a.yaml"),
            ("catalog".to_owned(), "catalog/teams/a.yaml".to_owned())
        );
        assert_eq!(
            shown_paths("/srv/paved/catalog-info.yaml", "/srv/paved/catalog-info.yaml"),
            ("catalog-info.yaml".to_owned(), "catalog-info.yaml".to_owned())
        );
        assert_eq!(
            shown_paths("examples/acme", "examples/acme/x.yaml"),
            ("examples/acme".into(), "examples/acme/x.yaml".into())
        );
        assert_eq!(
            shown_paths("examples/acme", "/srv/checkout/crates/x/../../examples/acme/org/a.yaml"),
            ("examples/acme".into(), "examples/acme/org/a.yaml".into())
        );
        assert_eq!(shown_paths("paved:new/ledger", "/srv/new-repos/ledger/catalog-info.yaml").1, "catalog-info.yaml");
        assert_eq!(
            shown_paths("/srv/demo/catalog, /srv/demo/scorecards/readiness.yaml", "/srv/demo/catalog/services/a.yaml"),
            ("catalog, readiness.yaml".to_owned(), "catalog/services/a.yaml".to_owned())
        );
    }
}
