//! Raw events after they are stored: deriving records from them again.

use paved_domain::{CatalogIndex, Derivation, Source};
use paved_ingest::{IngestSettings, RawInput};
use paved_store::{DynStore, RawEvent, RebuildSummary};

use crate::AppError;

/// Derives a stored raw event again, against `catalog` as it is now. An
/// event of a source this version does not know (a database written by a
/// newer one) is failed with the reason, not dropped.
pub fn derive_stored(event: &RawEvent, catalog: &CatalogIndex, settings: &IngestSettings) -> Derivation {
    let source = match event.source.parse::<Source>() {
        Ok(source) => source,
        Err(unknown) => return Derivation::failed(unknown.to_string()),
    };
    let input = RawInput {
        source,
        event_type: &event.event_type,
        body: &event.body,
        context: &event.context,
        received_at: event.received_at,
    };
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
