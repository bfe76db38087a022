//! The contacts section of a person's page: how their pages reach them —
//! their catalog entry's contacts and those they added — with a form to
//! add one and buttons to remove theirs, for the person themself (and
//! admins). The application decides who may.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use maud::{Markup, html};
use paved_app::AppError;
use paved_app::contacts::{ContactSource, PersonContacts};
use serde::Deserialize;

use super::session::{Viewer, csrf_field};
use super::{PageWindow, Section, WebError, encode};
use crate::AppState;

/// The section: every contact, in the order pages go; the forms when the
/// viewer may change them.
pub fn section(viewer: &Viewer, contacts: &PersonContacts) -> Markup {
    let person = &contacts.person;
    let path = format!("/people/{}/contacts", encode(person.name()));
    let acting = viewer.caller().filter(|caller| caller.may_change_contacts_of(person).is_ok());
    html! {
        section aria-labelledby="contacts" {
            h2 id="contacts" { "Contacts" }
            @if contacts.contacts.is_empty() {
                p.contacts { "Paged through: nothing (no " code { "paved.dev/contacts" } ", no profile e-mail, none added): a page reaches them nowhere." }
            } @else {
                p.contacts {
                    "Paged through: "
                    @for (i, contact) in contacts.contacts.iter().enumerate() { @if i > 0 { ", " } code { (contact.shown) } }
                }
                table.contacts {
                    thead { tr {
                        th scope="col" { "Contact" } th scope="col" { "From" }
                        @if acting.is_some() { th scope="col" { span.skip { "Remove" } } }
                    } }
                    tbody {
                        @for contact in &contacts.contacts {
                            tr data-contact=(contact.id.map(|id| id.to_string()).unwrap_or_default()) data-source=(if contact.source == ContactSource::Catalog { "catalog" } else { "added" }) {
                                td { code { (contact.shown) } }
                                td { @if contact.source == ContactSource::Catalog { "the catalog" } @else { "added here" } }
                                @if acting.is_some() {
                                    td {
                                        @if let Some(id) = contact.id {
                                            form method="post" action={ (path) "/" (id) "/delete" } class="remove-contact" {
                                                (csrf_field(viewer))
                                                button type="submit" { "Remove contact " (id) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if acting.is_some() {
                form method="post" action=(path) class="add-contact" {
                    (csrf_field(viewer))
                    label for="contact" { "Add a contact" }
                    " "
                    input id="contact" name="contact" type="text" required placeholder="webhook:https://pager.example.com/paved" size="50";
                    " "
                    button type="submit" { "Add" }
                    p.hint { "email:ADDRESS, slack:URL (Slack, Mattermost, Rocket.Chat) or webhook:URL; kept encrypted, shown redacted, paged after the catalog's." }
                }
            }
        }
    }
}

/// The field of the add form.
#[derive(Debug, Deserialize)]
pub struct ContactForm {
    contact: String,
}

fn refused(error: AppError, person: &str, window: &PageWindow) -> Result<Response, WebError> {
    let back = format!("/people/{}#contacts", encode(person));
    let label = format!("Back to {person}");
    let json = format!("/api/v1/people/{}/contacts", encode(person));
    let page = super::Refused {
        title: "Contact refused",
        section: Section::People,
        back: &back,
        back_label: &label,
        json: &json,
    };
    super::refused(error, &page, window)
}

/// `POST /people/{name}/contacts`: a contact, added by the signed-in person.
pub async fn add(
    State(state): State<AppState>,
    Path(person): Path<String>,
    viewer: Viewer,
    window: PageWindow,
    Form(form): Form<ContactForm>,
) -> Result<Response, WebError> {
    let caller = viewer.signed_in("sign in to add a contact: only its person may")?;
    match state.add_contact(caller, &person, &form.contact).await {
        Ok(_) => Ok(super::see_other(&format!("/people/{}#contacts", encode(&person)))),
        Err(error) => refused(error, &person, &window),
    }
}

/// `POST /people/{name}/contacts/{id}/delete`.
pub async fn remove(
    State(state): State<AppState>,
    Path((person, id)): Path<(String, i64)>,
    viewer: Viewer,
    window: PageWindow,
) -> Result<Response, WebError> {
    let caller = viewer.signed_in("sign in to remove a contact: only its person may")?;
    match state.remove_contact(caller, &person, id).await {
        Ok(_) => Ok(super::see_other(&format!("/people/{}#contacts", encode(&person)))),
        Err(error) => refused(error, &person, &window),
    }
}
