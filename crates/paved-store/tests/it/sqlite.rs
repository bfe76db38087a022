//! What only the SQLite backend has: a file created on first use, and the
//! durability settings §8 asks for.

use paved_store::{DatabaseLocation, NewRawEvent, RawEventInsert, SqliteStore, Store, StoreError};

use crate::harness::assert_each_cause_once;

#[tokio::test]
async fn a_missing_directory_is_refused_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data").join("nested").join("paved.db");
    let err = SqliteStore::open(&path).await.expect_err("a directory that does not exist");
    assert!(matches!(err, StoreError::MissingDirectory(_)), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("data/nested") && message.contains("mkdir -p"), "{message}");
    assert!(!dir.path().join("data").exists(), "nothing was created");
}

#[tokio::test]
async fn the_file_is_created_on_first_use_with_durable_settings() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("paved.db");
    assert!(!path.exists());

    let store = SqliteStore::open(&path).await.expect("the database opens");
    assert!(path.is_file(), "the database file exists after opening");
    let durability = store.durability().await.unwrap();
    assert_eq!(durability.journal_mode, "wal");
    assert_eq!(durability.synchronous, "FULL", "commits reach the disk before they return");
    assert!(durability.foreign_keys);
    assert_eq!(durability.busy_timeout_ms, 5000);
    store.migrate().await.unwrap();
    assert!(store.ping().await.is_ok());
}

#[tokio::test]
async fn connect_by_url_creates_and_migrates_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("paved.db");
    let location = DatabaseLocation::parse(&format!("sqlite://{}", path.display())).unwrap();
    let store = paved_store::connect(&location).await.expect("connect opens and migrates");
    assert!(path.is_file());
    assert_eq!(store.migrate().await.unwrap(), vec![], "connect already applied every migration");
    assert_eq!(store.backend(), paved_store::Backend::Sqlite);
}

#[tokio::test]
async fn stored_events_survive_closing_and_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("paved.db");
    let store = SqliteStore::open(&path).await.unwrap();
    store.migrate().await.unwrap();
    let event = NewRawEvent {
        source: "github".into(),
        event_type: "push".into(),
        delivery_id: "d-1".into(),
        received_at: chrono::Utc::now(),
        body: b"payload".to_vec(),
        context: serde_json::json!({"via": "test"}),
    };
    let RawEventInsert::Stored(id) = store.inspect().insert_raw_event(&event).await.unwrap() else { panic!("stored") };
    store.close().await;

    let reopened = SqliteStore::open(&path).await.unwrap();
    assert_eq!(reopened.migrate().await.unwrap(), vec![]);
    assert_eq!(reopened.inspect().insert_raw_event(&event).await.unwrap(), RawEventInsert::Duplicate(id));
    assert_eq!(reopened.inspect().raw_events("github", 0, 10).await.unwrap()[0].body, b"payload");
}

#[tokio::test]
async fn an_unusable_directory_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-directory");
    std::fs::write(&blocker, "a file where a directory should be").unwrap();
    let err = SqliteStore::open(blocker.join("paved.db")).await.expect_err("a file blocks the directory");
    assert!(matches!(err, StoreError::BadDirectory { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("not-a-directory") && message.contains("writable"), "{message}");
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "these are not the pages of a SQLite database, only some text that is long enough").unwrap();
    let err = match SqliteStore::open(&path).await {
        Ok(store) => store.migrate().await.expect_err("a text file is not a database"),
        Err(err) => err,
    };
    assert!(matches!(err, StoreError::SqliteOpen { .. }), "refused when opened, naming the file: {err:?}");
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "the file is named: {message}");
    assert!(message.contains("file is not a database"), "SQLite's reason is shown: {message}");
}

#[tokio::test]
async fn an_unusable_directory_shows_each_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-directory");
    std::fs::write(&blocker, "a file where a directory should be").unwrap();
    let err = SqliteStore::open(blocker.join("paved.db")).await.expect_err("a file blocks the directory");
    let printed = assert_each_cause_once(&err, "it is not a directory");
    assert!(printed.contains("writable"), "the hint is kept: {printed}");

    // A directory where the database file should be: SQLite cannot open it.
    let err = SqliteStore::open(dir.path()).await.expect_err("a directory is not a database file");
    assert!(matches!(err, StoreError::SqliteOpen { .. }), "{err:?}");
    let printed = assert_each_cause_once(&err, "unable to open database file");
    assert!(printed.contains("check that the directory is writable"), "the hint is kept: {printed}");
}

#[tokio::test]
async fn an_empty_database_url_is_refused_instead_of_using_a_temporary_database() {
    for url in ["", "  "] {
        let err = DatabaseLocation::parse(url).expect_err("an empty URL names no database");
        assert!(matches!(err, StoreError::BadUrl(_)), "{err:?}");
        let message = err.to_string();
        assert!(message.contains("PAVED_DATABASE_URL") && message.contains("sqlite://paved.db"), "{message}");
    }
    let err = SqliteStore::open("").await.expect_err("an empty path names no file");
    assert!(matches!(err, StoreError::BadUrl(_)), "{err:?}");
    assert!(err.to_string().contains("sqlite://paved.db"), "{err}");
}

/// A raw event of `size` bytes, unique by `delivery`.
fn event_of(delivery: &str, size: usize) -> NewRawEvent {
    NewRawEvent {
        source: "github".into(),
        event_type: "push".into(),
        delivery_id: delivery.into(),
        received_at: chrono::Utc::now(),
        body: vec![b'x'; size],
        context: serde_json::json!({}),
    }
}

#[tokio::test]
async fn a_full_disk_fails_writes_and_readiness_until_space_is_back_then_writes_resume() {
    let Some(tmpfs) = paved_test_support::Tmpfs::mount("2m") else { return };
    let store = SqliteStore::open(tmpfs.path().join("paved.db")).await.unwrap();
    store.migrate().await.unwrap();
    tmpfs.fill(300_000);
    let mut stored = 0;
    let full = loop {
        match store.inspect().insert_raw_event(&event_of(&format!("big-{stored}"), 20_000)).await {
            Ok(_) => stored += 1,
            Err(error) => break error.to_string(),
        }
        assert!(stored < 100, "300 kB cannot hold 100 events of 20 kB");
    };
    assert!(full.contains("disk is full"), "{full}");
    // Every later write says why it fails: the disk, not the connection.
    for n in 0..3 {
        let error = store.inspect().insert_raw_event(&event_of(&format!("big-again-{n}"), 20_000)).await.unwrap_err();
        assert!(error.to_string().contains("disk is full"), "write {n} after the first failure: {error}");
        let ping = store.ping().await.expect_err("a store that cannot write is not ready");
        assert!(ping.to_string().contains("full"), "{ping}");
    }

    tmpfs.free();
    assert!(store.ping().await.is_ok(), "ready again once space is back");
    assert!(matches!(
        store.inspect().insert_raw_event(&event_of("after", 20_000)).await,
        Ok(RawEventInsert::Stored(_))
    ));
    let kept = store.inspect().raw_events("github", 0, 1000).await.unwrap();
    assert_eq!(kept.len(), stored + 1, "every event acknowledged before the disk filled is kept, and the new one");
    store.close().await;
}
