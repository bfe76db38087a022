//! People's contacts: `GET /api/v1/people/{name}/contacts` (the catalog's
//! and those they added, redacted), `POST` to add one and `DELETE
//! .../{id}` to remove one. Who may change them (the person, admins) is
//! decided by the application, not here.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use paved_app::contacts::{ContactView, PersonContacts};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Authenticated;
use crate::extract::{ApiPath, RawBody};
use crate::{ApiError, AppState};

/// What `POST /api/v1/people/{name}/contacts` asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    /// `email:ADDRESS`, `slack:URL` or `webhook:URL`, as in the
    /// `paved.dev/contacts` annotation.
    #[schema(example = "webhook:https://pager.example.com/paved")]
    pub contact: String,
}

/// A person's contacts, in the order pages go to them: their catalog
/// entry's first, then those they added. URLs are shown redacted.
#[utoipa::path(
    get,
    path = "/api/v1/people/{name}/contacts",
    tag = "operations",
    params(("name" = String, Path, description = "The person (`ana.souza`)")),
    responses(
        (status = 200, body = PersonContacts, description = "The person's contacts, addresses masked"),
        (status = 404, body = crate::error::ErrorBody, description = "No such User in the catalog"),
    )
)]
pub async fn person_contacts(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<PersonContacts>, ApiError> {
    Ok(Json(state.contacts(&name).await?))
}

/// Add a contact: sealed with the server's `secret_key` before it is
/// stored, paged after the catalog's. Only the person themself (their
/// token, or signed in) and admins may.
#[utoipa::path(
    post,
    path = "/api/v1/people/{name}/contacts",
    tag = "operations",
    params(("name" = String, Path, description = "The person")),
    request_body = ContactBody,
    responses(
        (status = 201, body = ContactView, description = "Added"),
        (status = 400, body = crate::error::ErrorBody, description = "A contact that does not parse, one they have, too many, or no secret_key on the server"),
        (status = 403, body = crate::error::ErrorBody, description = "The caller is not that person, nor an admin"),
        (status = 404, body = crate::error::ErrorBody, description = "No such User"),
    ),
    security(("bearer" = []))
)]
pub async fn add_contact(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath(name): ApiPath<String>,
    RawBody(body): RawBody,
) -> Result<(StatusCode, Json<ContactView>), ApiError> {
    let body: ContactBody = crate::extract::json_object(&body).map_err(|error| {
        ApiError::bad_request(format!(
            "the body is not a contact: {error}; send {{\"contact\": \"webhook:https://pager.example.com/paved\"}}"
        ))
    })?;
    let added = state.add_contact(&caller, &name, &body.contact).await?;
    Ok((StatusCode::CREATED, Json(ContactView::from(&added))))
}

/// Remove a contact the person added (those of the catalog are changed
/// in the catalog). The same people may as may add one.
#[utoipa::path(
    delete,
    path = "/api/v1/people/{name}/contacts/{id}",
    tag = "operations",
    params(("name" = String, Path, description = "The person"), ("id" = i64, Path, description = "The contact's id")),
    responses(
        (status = 200, body = ContactView, description = "Removed; the contact as it was"),
        (status = 403, body = crate::error::ErrorBody, description = "The caller is not that person, nor an admin"),
        (status = 404, body = crate::error::ErrorBody, description = "No such User, or no such contact of theirs"),
    ),
    security(("bearer" = []))
)]
pub async fn remove_contact(
    State(state): State<AppState>,
    Authenticated(caller): Authenticated,
    ApiPath((name, id)): ApiPath<(String, i64)>,
) -> Result<Json<ContactView>, ApiError> {
    Ok(Json(ContactView::from(&state.remove_contact(&caller, &name, id).await?)))
}
