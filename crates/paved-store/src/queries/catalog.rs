//! The catalog as stored: pages of entities with their relations, one
//! entity, orphans, and the whole catalog for the index.

use async_trait::async_trait;
use paved_domain::{CatalogEntity, EntityRef};

use crate::common::{self, EntityRow, IncomingRelation, entity_page_limit, entity_page_offset};
use crate::sql::{Db, Sql, SqlExt, Statement};
use crate::{CatalogStore, EntityFilter, EntityPage, StoreError, StoredEntity};

/// The columns of [`EntityRow`] (`entity` is `json` on PostgreSQL).
const ENTITY_COLUMNS: &str = "key, CAST(entity AS TEXT) AS entity, location, orphan, created_at, updated_at";

/// Appends the `WHERE` clause of `filter` to a query of `entities`.
fn push_filter(query: &mut Statement, filter: &EntityFilter) {
    query.push(" WHERE 1 = 1");
    if !filter.include_orphans {
        query.push(" AND orphan = FALSE");
    }
    if let Some(kind) = &filter.kind {
        query.push(" AND kind = ").push_bind(kind.to_ascii_lowercase());
    }
    if let Some(owner) = &filter.owner {
        query.push(" AND owner_key = ").push_bind(owner.key());
    }
    if let Some(namespace) = &filter.namespace {
        query.push(" AND namespace = ").push_bind(namespace.to_ascii_lowercase());
    }
    if let Some(needle) = common::search_needle(filter) {
        query.push(" AND ").push_contains("search_text", needle);
    }
}

/// `rows` with the relations that target them, read in the same snapshot.
async fn with_relations<S: Sql + ?Sized>(
    db: &mut S,
    rows: Vec<EntityRow>,
    action: &'static str,
) -> Result<Vec<StoredEntity>, StoreError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let keys: Vec<String> = rows.iter().map(|row| row.key.clone()).collect();
    let mut select = db.statement(
        "SELECT r.target_key, r.type, e.ref AS source_ref
         FROM relations r JOIN entities e ON e.key = r.source_key WHERE ",
    );
    select.push_in("r.target_key", &keys);
    let incoming: Vec<IncomingRelation> = db.fetch_all(&select, action).await?;
    common::assemble(rows, incoming)
}

#[async_trait]
impl<T: Db> CatalogStore for T {
    async fn list_entities(&self, filter: &EntityFilter) -> Result<EntityPage, StoreError> {
        const ACTION: &str = "listing entities";
        if common::filter_has_nul(filter) {
            return Ok(EntityPage { items: Vec::new(), total: 0 });
        }
        // One snapshot: the total, the page and its relations agree.
        let mut tx = self.snapshot(ACTION).await?;
        // The live entities of a kind (or of every kind) are counted by the
        // imports (`entity_counts`); any other filter counts here.
        let kept =
            filter.owner.is_none() && filter.namespace.is_none() && filter.text.is_none() && !filter.include_orphans;
        let count = if !kept {
            let mut count = tx.statement("SELECT COUNT(*) FROM entities");
            push_filter(&mut count, filter);
            count
        } else if let Some(kind) = &filter.kind {
            let mut count = tx.statement("SELECT CAST(COALESCE((SELECT live FROM entity_counts WHERE kind = ");
            count.push_bind(kind.to_ascii_lowercase()).push("), 0) AS BIGINT)");
            count
        } else {
            tx.statement("SELECT CAST(COALESCE(SUM(live), 0) AS BIGINT) FROM entity_counts")
        };
        let (total,): (i64,) = tx.fetch_one(&count, ACTION).await?;
        let mut page = tx.statement(format!("SELECT {ENTITY_COLUMNS} FROM entities"));
        push_filter(&mut page, filter);
        page.push(" ORDER BY kind, namespace, name, key LIMIT ")
            .push_bind(entity_page_limit(filter))
            .push(" OFFSET ")
            .push_bind(entity_page_offset(filter));
        let rows: Vec<EntityRow> = tx.fetch_all(&page, ACTION).await?;
        let items = with_relations(&mut *tx, rows, ACTION).await?;
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(EntityPage { items, total: u64::try_from(total).unwrap_or_default() })
    }

    async fn entity(&self, entity_ref: &EntityRef) -> Result<Option<StoredEntity>, StoreError> {
        let found = self.entities(std::slice::from_ref(entity_ref)).await?;
        Ok(found.into_iter().next())
    }

    async fn entities(&self, refs: &[EntityRef]) -> Result<Vec<StoredEntity>, StoreError> {
        const ACTION: &str = "reading entities";
        let keys = common::storable_keys(refs);
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.snapshot(ACTION).await?;
        let mut select = tx.statement(format!("SELECT {ENTITY_COLUMNS} FROM entities WHERE "));
        select.push_in("key", &keys).push(" ORDER BY kind, namespace, name, key");
        let rows: Vec<EntityRow> = tx.fetch_all(&select, ACTION).await?;
        let items = with_relations(&mut *tx, rows, ACTION).await?;
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(items)
    }

    async fn orphans(&self) -> Result<Vec<StoredEntity>, StoreError> {
        const ACTION: &str = "listing orphaned entities";
        let mut tx = self.snapshot(ACTION).await?;
        let select = tx.statement(format!(
            "SELECT {ENTITY_COLUMNS} FROM entities WHERE orphan = TRUE ORDER BY kind, namespace, name, key"
        ));
        let rows: Vec<EntityRow> = tx.fetch_all(&select, ACTION).await?;
        let items = with_relations(&mut *tx, rows, ACTION).await?;
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(items)
    }

    async fn catalog_generation(&self) -> Result<i64, StoreError> {
        const ACTION: &str = "reading the catalog generation";
        let mut db = self.reader(ACTION).await?;
        let select = db.statement("SELECT CAST(value AS BIGINT) FROM counters WHERE name = 'catalog_generation'");
        let (generation,): (i64,) = db.fetch_one(&select, ACTION).await?;
        Ok(generation)
    }

    async fn catalog_entities(&self) -> Result<Vec<CatalogEntity>, StoreError> {
        const ACTION: &str = "reading the catalog";
        let mut db = self.reader(ACTION).await?;
        let select = db.statement(
            "SELECT key, CAST(entity AS TEXT) FROM entities WHERE orphan = FALSE ORDER BY kind, namespace, name, key",
        );
        common::decode_entities(db.fetch_all(&select, ACTION).await?)
    }
}
