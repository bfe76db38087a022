//! The catalog, indexed, kept in memory and read again only when an import
//! changed it (the store's catalog generation grew), so that deriving a
//! webhook's records costs one small query, not a catalog read.

use std::sync::Arc;

use paved_domain::CatalogIndex;
use paved_store::{DynStore, StoreError};
use tokio::sync::Mutex;

/// An index and the catalog generation it was read at.
type Generation = (i64, Arc<CatalogIndex>);

/// The current catalog index of a store.
#[derive(Debug, Clone)]
pub struct CatalogCache {
    store: DynStore,
    current: Arc<Mutex<Option<Generation>>>,
}

impl CatalogCache {
    /// A cache over `store`; nothing is read until [`Self::current`].
    pub fn new(store: DynStore) -> Self {
        Self { store, current: Arc::new(Mutex::new(None)) }
    }

    /// The catalog as stored now.
    ///
    /// # Errors
    /// When the store cannot be read.
    pub async fn current(&self) -> Result<Arc<CatalogIndex>, StoreError> {
        let generation = self.store.catalog_generation().await?;
        let mut current = self.current.lock().await;
        if let Some((seen, index)) = current.as_ref()
            && *seen == generation
        {
            return Ok(index.clone());
        }
        let index = Arc::new(CatalogIndex::new(&self.store.catalog_entities().await?));
        *current = Some((generation, index.clone()));
        Ok(index)
    }
}
