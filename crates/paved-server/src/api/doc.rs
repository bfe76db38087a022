//! Finishing the OpenAPI document: the answers every operation shares are
//! written here once, from what the operation is, instead of on each
//! handler.
//!
//! - An operation that needs a token may answer 401.
//! - One that reads a body may answer 400 (not the documented body), 408
//!   (the body came too slowly) and 413 (too large).
//! - One with parameters may answer 400 (a malformed one).
//! - A write under `/api/` may answer 429 (its token's or address's limit,
//!   [`crate::limits`]).
//! - Every operation may answer 503 (the database does not answer) and 500
//!   (a defect; the cause is in the server's log).
//!
//! Each of these answers the one error body ([`crate::error::ErrorBody`]);
//! Backstage's catalog API (`/api/catalog/`) answers Backstage's own
//! (`BackstageErrorBody`), so that its clients read it unchanged.
//! A handler that documents one of these statuses itself keeps its own
//! answer (`/v2/enqueue` documents PagerDuty's own shape for 400 and 401).
//! Any other error status an operation answers is on its handler.

use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::server::Server;
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, Response, ResponseBuilder};

/// Adds the shared answers to every operation of `openapi`, and its
/// `servers`.
pub fn finish(openapi: &mut OpenApi) {
    openapi.servers = Some(vec![
        Server::builder()
            .url("/")
            .description(Some("The server this document was read from (`paved serve`, port 7700 by default)"))
            .build(),
    ]);
    for (path, item) in &mut openapi.paths.paths {
        let body = if path.starts_with("/api/catalog/") { "BackstageErrorBody" } else { "ErrorBody" };
        for (read, operation) in operations(item) {
            add_shared_answers(operation, body, path.starts_with("/api/") && !read);
        }
    }
}

/// Every operation of one path, and whether it only reads (GET, HEAD,
/// OPTIONS, TRACE).
fn operations(item: &mut PathItem) -> impl Iterator<Item = (bool, &mut Operation)> {
    [
        (true, item.get.as_mut()),
        (false, item.put.as_mut()),
        (false, item.post.as_mut()),
        (false, item.delete.as_mut()),
        (false, item.patch.as_mut()),
        (true, item.head.as_mut()),
        (true, item.options.as_mut()),
        (true, item.trace.as_mut()),
    ]
    .into_iter()
    .filter_map(|(read, operation)| operation.map(|operation| (read, operation)))
}

fn add_shared_answers(operation: &mut Operation, error_body: &str, is_write: bool) {
    let needs_token = operation.security.as_ref().is_some_and(|security| !security.is_empty());
    let has_body = operation.request_body.is_some();
    let has_parameters = operation.parameters.as_ref().is_some_and(|parameters| !parameters.is_empty());
    let mut shared: Vec<(&str, &str)> = Vec::new();
    if has_body || has_parameters {
        shared.push(("400", "A parameter or the body is malformed; the message says which and how to fix it"));
    }
    if needs_token {
        shared.push((
            "401",
            "No valid token: send `Authorization: Bearer <token>` with a token from `paved token create`",
        ));
    }
    if is_write && error_body == "ErrorBody" {
        shared.push((
            "429",
            "More writes a minute than this token (or address) may make: wait the `Retry-After` seconds",
        ));
    }
    if has_body {
        shared.push(("408", "The body did not arrive in time"));
        shared.push(("413", "The body is larger than this route takes; the message says the limit"));
    }
    shared.push(("500", "A defect: the server's log has the cause; the message does not"));
    // Backstage's routes answer any failure as its 500.
    if error_body == "ErrorBody" {
        shared.push(("503", "The database (or a server the operation acts on) does not answer; try again"));
    }
    for (status, description) in shared {
        if operation.responses.responses.contains_key(status) {
            continue;
        }
        operation.responses.responses.insert(status.to_owned(), RefOr::T(error_response(description, error_body)));
    }
}

/// An error answer with the error body `schema`.
fn error_response(description: &str, schema: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", Content::new(Some(Ref::from_schema_name(schema))))
        .build()
}
