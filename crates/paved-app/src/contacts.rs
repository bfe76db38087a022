//! How people are reached when paged: the contacts of their catalog entry
//! (`paved.dev/contacts`, else `spec.profile.email`) and those they add at
//! run time (`paved oncall contact add`, the API, their page), which are
//! paged after the catalog's. Only the person themself may add or remove
//! theirs (or an admin token, or the local CLI): a contact decides where
//! someone's pages go, so nobody else may point it elsewhere.
//!
//! An added contact is sealed ([`crate::secrets`]) before it is stored —
//! a Slack or webhook URL is a secret — so adding one needs `secret_key`.

use std::collections::HashMap;

use paved_domain::{CatalogIndex, Contact, EntityRef};
use paved_store::{NewAudit, NewPersonContact, StoredPersonContact};

use crate::{App, AppError, Caller};

/// The most contacts a person may add (beside their catalog entry's).
pub const MAX_ADDED: usize = 10;

/// A person's contacts, in the order pages go to them.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PersonContacts {
    /// The person (`user:default/ana`).
    #[schema(value_type = String)]
    pub person: EntityRef,
    /// Every contact: the catalog's first, then the added ones.
    pub contacts: Vec<ContactView>,
}

/// One contact, as it may be shown.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ContactView {
    /// The id of an added contact (to remove it); `None` for the catalog's.
    pub id: Option<i64>,
    /// `email`, `slack` or `webhook`.
    #[schema(value_type = crate::wire::schema::ContactKind)]
    pub kind: String,
    /// The address, or a URL's scheme, host and port.
    pub shown: String,
    /// Where it comes from.
    pub source: ContactSource,
}

/// Where a contact comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ContactSource {
    /// The person's catalog entry (`paved.dev/contacts`, or their profile
    /// e-mail): changed in the catalog.
    Catalog,
    /// Added at run time; removable by its id.
    Added,
}

/// What the seal of a person's contact is bound to.
fn bound_to(person: &EntityRef) -> String {
    format!("contact:{}", person.key())
}

/// The catalog User `name` names (a name or a reference).
fn person_named(catalog: &CatalogIndex, name: &str) -> Result<EntityRef, AppError> {
    EntityRef::parse(name.trim(), Some("user"), paved_domain::DEFAULT_NAMESPACE)
        .ok()
        .and_then(|person| catalog.person(&person))
        .map(|info| info.entity_ref.clone())
        .ok_or_else(|| {
            AppError::NotFound(format!("no User `{}` in the catalog; name a person by their catalog name", name.trim()))
        })
}

impl From<&StoredPersonContact> for ContactView {
    fn from(stored: &StoredPersonContact) -> Self {
        Self {
            id: Some(stored.id),
            kind: stored.kind.clone(),
            shown: stored.shown.clone(),
            source: ContactSource::Added,
        }
    }
}

impl App {
    /// The contacts of the person `name`, catalog's first. Anyone who may
    /// read the catalog may read them: they are shown redacted.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for a person the catalog lacks; a store
    /// failure.
    pub async fn contacts(&self, name: &str) -> Result<PersonContacts, AppError> {
        let catalog = self.catalog.current().await?;
        let person = person_named(&catalog, name)?;
        let mut contacts: Vec<ContactView> = catalog
            .contacts_of(&person)
            .iter()
            .map(|contact| ContactView {
                id: None,
                kind: contact.kind().to_owned(),
                shown: contact.redacted(),
                source: ContactSource::Catalog,
            })
            .collect();
        contacts.extend(self.store.person_contacts(Some(&person)).await?.iter().map(ContactView::from));
        Ok(PersonContacts { person, contacts })
    }

    /// Adds `contact` (`email:ADDRESS`, `slack:URL` or `webhook:URL`, as in
    /// the `paved.dev/contacts` annotation) to the person `name`'s, by
    /// `caller`: sealed, then stored with its audit entry
    /// (`oncall.contact.add`, naming it redacted).
    ///
    /// # Errors
    /// [`AppError::NotFound`] for a person the catalog lacks;
    /// [`AppError::Forbidden`] when the caller is not that person (nor an
    /// admin or the CLI); [`AppError::Invalid`] for a contact that does not
    /// parse, one the person has already, one over [`MAX_ADDED`], or no
    /// `secret_key` to seal it with; a store failure.
    pub async fn add_contact(
        &self,
        caller: &Caller,
        name: &str,
        contact: &str,
    ) -> Result<StoredPersonContact, AppError> {
        let catalog = self.catalog.current().await?;
        let person = person_named(&catalog, name)?;
        caller.may_change_contacts_of(&person)?;
        let parsed: Contact = contact.trim().parse().map_err(|e: paved_domain::ContactError| {
            AppError::Invalid(format!(
                "{e}; write a contact like email:ana@example.com, slack:https://hooks.slack.com/services/... or \
                 webhook:https://pager.example.com/paved"
            ))
        })?;
        let key = self.secret_key.as_deref().ok_or_else(|| {
            AppError::Invalid(
                "contacts are kept encrypted and this server has no secret_key (PAVED_SECRET_KEY); set one (openssl \
                 rand -hex 32), or list the contact in the person's paved.dev/contacts annotation in the catalog"
                    .to_owned(),
            )
        })?;
        let existing = self.opened_contacts(Some(&person)).await?;
        let mine = existing.get(&person.key()).map(Vec::as_slice).unwrap_or_default();
        if catalog.contacts_of(&person).contains(&parsed) || mine.contains(&parsed) {
            return Err(AppError::Invalid(format!("{person} already has the contact {}", parsed.redacted())));
        }
        if self.store.person_contacts(Some(&person)).await?.len() >= MAX_ADDED {
            return Err(AppError::Invalid(format!(
                "{person} has {MAX_ADDED} added contacts, the most; remove one first (paved oncall contact remove)"
            )));
        }
        let sealed =
            key.seal(&parsed.to_annotation(), &bound_to(&person)).map_err(|e| AppError::Internal(e.to_string()))?;
        let new = NewPersonContact {
            person: person.clone(),
            kind: parsed.kind().to_owned(),
            shown: parsed.redacted(),
            sealed,
            created_by: caller.audit_name(),
        };
        let audit = NewAudit {
            actor: caller.audit_name(),
            action: "oncall.contact.add".into(),
            target: person.to_string(),
            detail: Some(format!("{} {}", parsed.kind(), parsed.redacted())),
            service: None,
            decision: None,
        };
        Ok(self.store.add_person_contact(&new, &audit).await?)
    }

    /// Removes the added contact `id` of the person `name`, by `caller`
    /// (the same people as [`App::add_contact`]), audited
    /// (`oncall.contact.remove`).
    ///
    /// # Errors
    /// [`AppError::NotFound`] for a person the catalog lacks or no such
    /// contact of theirs; [`AppError::Forbidden`] as for adding; a store
    /// failure.
    pub async fn remove_contact(&self, caller: &Caller, name: &str, id: i64) -> Result<StoredPersonContact, AppError> {
        let catalog = self.catalog.current().await?;
        let person = person_named(&catalog, name)?;
        caller.may_change_contacts_of(&person)?;
        let audit = NewAudit {
            actor: caller.audit_name(),
            action: "oncall.contact.remove".into(),
            target: person.to_string(),
            detail: None,
            service: None,
            decision: None,
        };
        self.store.remove_person_contact(&person, id, &audit).await?.ok_or_else(|| {
            AppError::NotFound(format!(
                "{person} has no added contact {id}; `paved oncall contact list --user {}` lists them (those of the \
                 catalog are changed in the catalog)",
                person.name()
            ))
        })
    }

    /// The added contacts of `person` (everyone's with `None`), opened, by
    /// person key. A contact that does not open (no key, another key) is
    /// left out, with a warning: it reaches nobody until added again.
    ///
    /// # Errors
    /// A store failure.
    pub(crate) async fn opened_contacts(
        &self,
        person: Option<&EntityRef>,
    ) -> Result<HashMap<String, Vec<Contact>>, AppError> {
        let stored = self.store.person_contacts(person).await?;
        let mut opened: HashMap<String, Vec<Contact>> = HashMap::new();
        for contact in stored {
            let bound = bound_to(&contact.person);
            let parsed = match self.secret_key.as_deref().map(|key| key.open(&contact.sealed, &bound)) {
                Some(Ok(text)) => text.parse::<Contact>().ok(),
                Some(Err(error)) => {
                    tracing::warn!(contact = contact.id, person = %contact.person, %error, "an added contact does not open");
                    None
                }
                None => {
                    tracing::warn!(
                        contact = contact.id,
                        person = %contact.person,
                        "an added contact cannot be opened without secret_key; it is not paged"
                    );
                    None
                }
            };
            if let Some(parsed) = parsed {
                opened.entry(contact.person.key()).or_default().push(parsed);
            }
        }
        Ok(opened)
    }
}

/// Every contact of `person`, in the order pages go: the catalog's, then
/// the added ones (`added`, from [`App::opened_contacts`]).
pub(crate) fn all_contacts<'a>(
    catalog: &'a CatalogIndex,
    added: &'a HashMap<String, Vec<Contact>>,
    person: &EntityRef,
) -> impl Iterator<Item = &'a Contact> {
    catalog.contacts_of(person).iter().chain(added.get(&person.key()).into_iter().flatten())
}
