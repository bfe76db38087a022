//! Who the data names, and who of them the catalog does not know: the
//! identities events named and the e-mails commits were written with, each
//! resolved against the catalog as it is now.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use paved_domain::{CatalogIndex, EntityRef, Identity};
use paved_ingest::IngestSettings;
use paved_store::{DynStore, StoreError};
use serde::Serialize;
use utoipa::ToSchema;

/// An identity, who it is now, and how often the data names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct IdentityView {
    /// `kind:value`, e.g. `github:octocat` or `email:dana@acme.example`.
    #[schema(value_type = String)]
    pub identity: Identity,
    /// The name the sources show for it.
    pub display_name: Option<String>,
    /// The catalog User it resolves to now, if any.
    #[schema(value_type = Option<String>)]
    pub person: Option<EntityRef>,
    /// True for automation (bots, CI accounts): not a person to resolve.
    pub automation: bool,
    /// How many events name it.
    pub events: u64,
    /// How many commits it authored (e-mails only).
    pub commits: u64,
    /// When the data last named it.
    pub last_seen: DateTime<Utc>,
    /// True when it resolves differently now than when its events were
    /// derived: `paved events rebuild` attributes its past activity.
    pub needs_rebuild: bool,
}

impl IdentityView {
    /// True for a person the catalog does not know.
    pub fn unresolved(&self) -> bool {
        self.person.is_none() && !self.automation
    }
}

fn automated_email(email: &str, name: &str, settings: &IngestSettings) -> bool {
    name.ends_with("[bot]")
        || email.contains("[bot]@")
        || settings.automation.iter().any(|bot| bot.eq_ignore_ascii_case(name) || bot.eq_ignore_ascii_case(email))
}

/// Every identity, resolved against `catalog`, most often named first.
///
/// # Errors
/// When the store cannot be read.
pub async fn identity_report(
    store: &DynStore,
    catalog: &CatalogIndex,
    settings: &IngestSettings,
) -> Result<Vec<IdentityView>, StoreError> {
    let mut views: BTreeMap<Identity, IdentityView> = BTreeMap::new();
    for stored in store.identities().await? {
        let person = catalog.resolve_person(&stored.identity, stored.display_name.as_deref()).cloned();
        let automation = stored.automation || stored.identity.looks_automated(&settings.automation);
        views.insert(
            stored.identity.clone(),
            IdentityView {
                needs_rebuild: person != stored.person && !automation,
                identity: stored.identity,
                display_name: stored.display_name,
                person,
                automation,
                events: stored.sightings,
                commits: 0,
                last_seen: stored.last_seen,
            },
        );
    }
    for email in store.commit_emails().await? {
        let Ok(identity) = Identity::email(&email.email) else { continue };
        let view = views.entry(identity.clone()).or_insert_with(|| IdentityView {
            person: catalog.resolve_person(&identity, None).cloned(),
            automation: automated_email(&email.email, &email.name, settings),
            display_name: Some(email.name.clone()),
            identity,
            events: 0,
            commits: 0,
            last_seen: email.last_commit_at,
            needs_rebuild: false,
        });
        view.commits = email.commits;
        view.last_seen = view.last_seen.max(email.last_commit_at);
    }
    let mut views: Vec<IdentityView> = views.into_values().collect();
    views.sort_by(|a, b| (b.events + b.commits).cmp(&(a.events + a.commits)).then_with(|| a.identity.cmp(&b.identity)));
    Ok(views)
}
