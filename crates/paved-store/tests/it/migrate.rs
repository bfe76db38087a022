//! Several processes (replicas) migrating one fresh database at the same
//! time: each waits for the one that migrates, then finds the schema
//! current. Here each "process" is a store of its own with its own pool,
//! all started at the same instant.

use std::sync::Arc;

use paved_store::{PostgresStore, SqliteStore, Store};

async fn migrate_together(stores: Vec<Arc<dyn Store>>) {
    let handles: Vec<_> = stores.into_iter().map(|store| tokio::spawn(async move { store.migrate().await })).collect();
    let mut applied = Vec::new();
    for handle in handles {
        let migrated = handle.await.unwrap().unwrap_or_else(|e| panic!("every concurrent migration succeeds: {e}"));
        applied.push(migrated.len());
    }
    assert_eq!(
        applied.iter().filter(|&&n| n > 0).count(),
        1,
        "one store migrated, the others found it done: {applied:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stores_migrating_one_fresh_sqlite_file_together_all_succeed() {
    for _ in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("paved.db");
        let mut stores: Vec<Arc<dyn Store>> = Vec::new();
        for _ in 0..6 {
            stores.push(Arc::new(SqliteStore::open(&path).await.unwrap()));
        }
        migrate_together(stores).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stores_migrating_one_fresh_postgres_database_together_all_succeed() {
    for _ in 0..5 {
        let Some(database) = paved_test_support::paved_test_database().await else { return };
        let mut stores: Vec<Arc<dyn Store>> = Vec::new();
        for _ in 0..12 {
            stores.push(Arc::new(PostgresStore::connect(database.url()).await.unwrap()));
        }
        migrate_together(stores).await;
    }
}
