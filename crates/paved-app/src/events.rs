//! Raw events after they are stored: deriving records from them again.

use paved_domain::{CatalogIndex, Derivation, Source};
use paved_ingest::{IngestSettings, RawInput};
use paved_store::{DynStore, RawEvent, RebuildSummary};

use crate::AppError;

/// Derives a stored raw event again, against `catalog` as it is now. An
/// event of a source this version does not know (a database written by a
/// newer one) is failed with the reason, not dropped.
pub fn derive_stored(event: &RawEvent, catalog: &CatalogIndex, settings: &IngestSettings) -> Derivation {
    derive_parts(&event.source, &event.event_type, &event.body, &event.context, event.received_at, catalog, settings)
}

/// [`derive_stored`] of an event's parts, stored or about to be.
fn derive_parts(
    source: &str,
    event_type: &str,
    body: &[u8],
    context: &serde_json::Value,
    received_at: chrono::DateTime<chrono::Utc>,
    catalog: &CatalogIndex,
    settings: &IngestSettings,
) -> Derivation {
    let source = match source.parse::<Source>() {
        Ok(source) => source,
        Err(unknown) => return Derivation::failed(unknown.to_string()),
    };
    let input = RawInput { source, event_type, body, context, received_at };
    paved_ingest::derive(&input, catalog, settings)
}

/// `paved events rebuild`: every record and identity derived again from the
/// raw events, oldest first, in one transaction, with the catalog as it is
/// now (DESIGN §8).
///
/// # Errors
/// A store failure; nothing is changed then.
pub async fn rebuild(store: &DynStore, settings: &IngestSettings) -> Result<RebuildSummary, AppError> {
    let catalog = CatalogIndex::new(&store.catalog_entities().await?);
    let derive = move |event: &RawEvent| derive_stored(event, &catalog, settings);
    Ok(store.rebuild(&derive).await?)
}

/// One raw event as `paved export` writes it, a line of JSON Lines, and
/// `paved import events` reads it: what a delivery was, byte for byte, so
/// that a database can move between SQLite and PostgreSQL and derive the
/// same records on the other side.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportedEvent {
    /// Where it came from (`github`, `alertmanager`, `api`, `paved`, ...).
    pub source: String,
    /// The provider's event type.
    pub event_type: String,
    /// The provider's delivery id, unique per source: importing it again
    /// changes nothing.
    pub delivery_id: String,
    /// When it was received.
    pub received_at: chrono::DateTime<chrono::Utc>,
    /// What the request carried outside the body.
    pub context: serde_json::Value,
    /// The body, when it is UTF-8 text (every JSON delivery).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The body in base64, when it is not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_base64: Option<String>,
}

impl From<&RawEvent> for ExportedEvent {
    fn from(event: &RawEvent) -> Self {
        use base64::Engine as _;
        let (body, body_base64) = match std::str::from_utf8(&event.body) {
            Ok(text) => (Some(text.to_owned()), None),
            Err(_) => (None, Some(base64::engine::general_purpose::STANDARD.encode(&event.body))),
        };
        Self {
            source: event.source.clone(),
            event_type: event.event_type.clone(),
            delivery_id: event.delivery_id.clone(),
            received_at: event.received_at,
            context: event.context.clone(),
            body,
            body_base64,
        }
    }
}

impl ExportedEvent {
    /// The raw event to store.
    ///
    /// # Errors
    /// What is wrong with it: no body or two, a body that is not base64, a
    /// context that is not an object.
    pub fn into_raw(self) -> Result<paved_store::NewRawEvent, String> {
        use base64::Engine as _;
        let body = match (self.body, self.body_base64) {
            (Some(text), None) => text.into_bytes(),
            (None, Some(encoded)) => base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .map_err(|error| format!("body_base64 is not base64: {error}"))?,
            _ => return Err("give the body as `body` (text) or `body_base64`, exactly one".into()),
        };
        if !self.context.is_object() {
            return Err("context must be a JSON object (`{}` when nothing)".into());
        }
        Ok(paved_store::NewRawEvent {
            source: self.source,
            event_type: self.event_type,
            delivery_id: self.delivery_id,
            received_at: self.received_at,
            body,
            context: self.context,
        })
    }
}

/// Writes every raw event, oldest first, with `write`; how many.
///
/// # Errors
/// A store failure, or `write`'s.
pub async fn export(
    store: &DynStore,
    mut write: impl FnMut(&ExportedEvent) -> std::io::Result<()>,
) -> Result<u64, AppError> {
    let (mut after, mut written) = (0, 0);
    loop {
        let page = store.raw_events_after(after, 1000).await?;
        for event in &page {
            write(&ExportedEvent::from(event)).map_err(|error| AppError::Internal(format!("writing: {error}")))?;
            after = event.id;
            written += 1;
        }
        if page.len() < 1000 {
            return Ok(written);
        }
    }
}

/// What an import stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Imported {
    /// Raw events stored now.
    pub stored: u64,
    /// Raw events the database had already (same source and delivery id).
    pub duplicates: u64,
}

/// Stores `events` in their order, each derived as it is stored (against
/// the catalog as it is now), in transactions of 500: an import repeated
/// or resumed after a failure stores only what is missing.
///
/// # Errors
/// A store failure; the batches before it stay stored.
pub async fn import(
    store: &DynStore,
    settings: &IngestSettings,
    events: Vec<paved_store::NewRawEvent>,
) -> Result<Imported, AppError> {
    let catalog = CatalogIndex::new(&store.catalog_entities().await?);
    let mut imported = Imported::default();
    let mut events = events.into_iter().peekable();
    while events.peek().is_some() {
        let batch: Vec<paved_store::IngestEvent> = events
            .by_ref()
            .take(500)
            .map(|event| {
                let derivation = derive_parts(
                    &event.source,
                    &event.event_type,
                    &event.body,
                    &event.context,
                    event.received_at,
                    &catalog,
                    settings,
                );
                paved_store::IngestEvent { event, derivation, audit: None }
            })
            .collect();
        for ingested in store.ingest(&batch).await? {
            match ingested.raw {
                paved_store::RawEventInsert::Stored(_) => imported.stored += 1,
                paved_store::RawEventInsert::Duplicate(_) => imported.duplicates += 1,
            }
        }
    }
    Ok(imported)
}
