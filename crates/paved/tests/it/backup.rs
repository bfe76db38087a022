//! `paved backup` while `paved serve` takes signed webhooks under load:
//! the backup holds every delivery acknowledged before it began, restores
//! whole in place of a database, and a report over a restored backup is
//! the report of the database it was taken from. Bad input is refused
//! with exit 2, nothing half-written.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use paved_store::{DatabaseLocation, EventFilter};

use crate::support::{Server, paved, repo_root, run, stderr, stdout};

const SECRET: &str = "backup-test-secret";

/// The delivery numbers of every GitHub raw event in the SQLite file `path`.
async fn stored_deliveries(path: &std::path::Path) -> BTreeSet<u64> {
    let store = paved_store::connect(&DatabaseLocation::Sqlite(path.to_owned())).await.unwrap();
    let mut stored = BTreeSet::new();
    let mut offset = 0;
    loop {
        let filter =
            EventFilter { source: Some(paved_domain::Source::GitHub), limit: 1000, offset, ..EventFilter::default() };
        let page = store.events(&filter).await.unwrap();
        for event in &page {
            stored.insert(event.delivery_id.trim_start_matches("delivery-").parse().unwrap());
        }
        if page.len() < 1000 {
            return stored;
        }
        offset += 1000;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_under_load_holds_every_acknowledged_delivery_and_restores_whole() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let catalog = repo_root().join("examples/acme");
    let imported = run(paved(dir).args(["catalog", "import"]).arg(&catalog));
    assert!(imported.status.success(), "{}", stderr(&imported));
    let server = Server::start_with_env(dir, &[], &[("PAVED_GITHUB_WEBHOOK_SECRET", SECRET)]);

    let acknowledged: Arc<Mutex<BTreeSet<u64>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for client in 0..4u64 {
        let (base, acknowledged, stop) = (server.base.clone(), acknowledged.clone(), stop.clone());
        clients.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            for i in 0.. {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                let n = client * 1_000_000 + i;
                let response = crate::support::post_signed_delivery(&http, &base, SECRET, n, 0).await.unwrap();
                assert!(response.status().is_success(), "{}", response.status());
                acknowledged.lock().unwrap().insert(n);
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(600)).await;

    // Taken while the clients go on: everything acknowledged before it
    // began is in it.
    let before = acknowledged.lock().unwrap().clone();
    let dir_path = dir.to_owned();
    let backup = tokio::task::spawn_blocking(move || {
        run(paved(&dir_path).args(["backup", "under-load.db", "--format", "json"]))
    })
    .await
    .unwrap();
    assert!(backup.status.success(), "{}", stderr(&backup));
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.await.unwrap();
    }
    let after = acknowledged.lock().unwrap().len();
    assert!(before.len() > 20 && after > before.len(), "load before ({}) and after ({after}) the backup", before.len());
    let answer: serde_json::Value = serde_json::from_str(&stdout(&backup)).unwrap();
    let in_backup = stored_deliveries(&dir.join("under-load.db")).await;
    assert_eq!(answer["raw_events"].as_u64(), Some(in_backup.len() as u64), "{answer}");
    let lost: Vec<&u64> = before.difference(&in_backup).collect();
    assert!(
        lost.is_empty(),
        "{} deliveries acknowledged before the backup are not in it, e.g. {:?}",
        lost.len(),
        &lost[..lost.len().min(5)]
    );

    // Restored in place of a new database, it reads as it was taken.
    let restored = run(paved(dir).args(["restore", "under-load.db", "--database-url", "restored.db"]));
    assert!(restored.status.success(), "{}", stderr(&restored));
    assert_eq!(stored_deliveries(&dir.join("restored.db")).await, in_backup);

    // Once the load has stopped, a backup's report is the database's.
    server.stop();
    let window = ["--since", "2026-10-01", "--until", "2026-12-01", "--format", "json"];
    let report = |database: &str| {
        let output = run(paved(dir).args(["report", "--database-url", database]).args(window));
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output)
    };
    let quiet = run(paved(dir).args(["backup", "quiet.db"]));
    assert!(quiet.status.success(), "{}", stderr(&quiet));
    let restored = run(paved(dir).args(["restore", "quiet.db", "--database-url", "restored.db", "--replace"]));
    assert!(restored.status.success(), "{}", stderr(&restored));
    let live = report("paved.db");
    assert!(live.contains("checkout-api") || live.contains("deploy"), "{live}");
    assert_eq!(report("restored.db"), live, "the restored database reports what the database did");

    // Bad input: exit 2, saying what to do, nothing written.
    let existing = run(paved(dir).args(["backup", "quiet.db"]));
    assert_eq!(existing.status.code(), Some(2), "{}", stderr(&existing));
    assert!(stderr(&existing).contains("already exists"), "{}", stderr(&existing));
    let onto = run(paved(dir).args(["restore", "quiet.db", "--database-url", "restored.db"]));
    assert_eq!(onto.status.code(), Some(2));
    assert!(stderr(&onto).contains("--replace"), "{}", stderr(&onto));
    std::fs::write(dir.join("notes.db"), b"not a database").unwrap();
    let junk = run(paved(dir).args(["restore", "notes.db", "--database-url", "other.db"]));
    assert_eq!(junk.status.code(), Some(2), "{}", stderr(&junk));
    assert!(stderr(&junk).contains("not a pavedroad backup"), "{}", stderr(&junk));
    assert!(!dir.join("other.db").exists(), "nothing half-written");
    let postgres =
        run(paved(dir).args(["backup", "pg.db", "--database-url", "postgres://postgres@127.0.0.1:5432/test"]));
    assert_eq!(postgres.status.code(), Some(2));
    assert!(stderr(&postgres).contains("pg_dump"), "{}", stderr(&postgres));
}

/// The README's PostgreSQL recipe: `pg_dump --format=custom` of a served
/// database, `pg_restore` into another, and the restored one answers the
/// same report and the same raw events.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readmes_pg_dump_recipe_restores_a_database_that_reports_the_same() {
    let Some(source) = paved_test_support::paved_test_database().await else { return };
    let Some(target) = paved_test_support::paved_test_database().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let on = |url: &str| ["--database-url".to_owned(), url.to_owned()];
    let catalog = repo_root().join("examples/acme");
    let imported = run(paved(dir).args(["catalog", "import"]).arg(&catalog).args(on(source.url())));
    assert!(imported.status.success(), "{}", stderr(&imported));
    for (id, finished) in
        [("r-1", "2026-11-02T10:00:00Z"), ("r-2", "2026-11-09T10:00:00Z"), ("r-3", "2026-11-16T10:00:00Z")]
    {
        let recorded = run(paved(dir)
            .args(["deploy", "record", "--service", "checkout-api", "--environment", "production"])
            .args(["--sha", "0123abcd", "--id", id, "--finished", finished, "--actor", "lenafischer"])
            .args(on(source.url())));
        assert!(recorded.status.success(), "{}", stderr(&recorded));
    }
    let dump = dir.join("paved.dump");
    let dumped =
        run(std::process::Command::new("pg_dump").args(["--format=custom", "--file"]).arg(&dump).arg(source.url()));
    assert!(dumped.status.success(), "pg_dump: {}", stderr(&dumped));
    let restored = run(std::process::Command::new("pg_restore")
        .args(["--clean", "--if-exists", "--no-owner", "--dbname", target.url()])
        .arg(&dump));
    assert!(restored.status.success(), "pg_restore: {}", stderr(&restored));
    let read = |url: &str, args: &[&str]| {
        let output = run(paved(dir).args(args).args(on(url)));
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output)
    };
    let report = ["report", "--since", "2026-10-01", "--until", "2026-12-01", "--format", "json"];
    let events = ["events", "list", "--format", "json"];
    let (before, after) = (read(source.url(), &report), read(target.url(), &report));
    assert!(before.contains("checkout-api"), "{before}");
    assert_eq!(after, before, "the restored database reports the same");
    assert_eq!(read(target.url(), &events), read(source.url(), &events), "and holds the same raw events");
}

/// `paved export` of the demo's SQLite database and `paved import events`
/// into PostgreSQL (with the same catalog and git history): the same
/// report; and back into a new SQLite database from PostgreSQL's export.
/// A malformed line is refused with its number, before anything is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_and_import_move_the_raw_events_between_sqlite_and_postgresql() {
    let Some(postgres) = paved_test_support::paved_test_database().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let demo = run(paved(dir).args(["demo", "--no-serve", "--end", "2026-11-01", "--format", "json", "--out", "demo"]));
    assert!(demo.status.success(), "{}", stderr(&demo));
    let sqlite = "demo/paved.db";
    let ok = |args: &[&str]| {
        let output = run(paved(dir).args(args));
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        stdout(&output)
    };
    ok(&["export", "--database-url", sqlite, "--out", "events.jsonl"]);
    let exported = std::fs::read_to_string(dir.join("events.jsonl")).unwrap();
    assert!(exported.lines().count() > 100, "the demo's raw events");

    // The same catalog and history on the other side, then the events.
    let repos: Vec<String> = std::fs::read_dir(dir.join("demo/repos"))
        .unwrap()
        .map(|entry| entry.unwrap().path().display().to_string())
        .collect();
    let moved_to = |url: &str, events: &str| {
        ok(&["catalog", "import", "demo/catalog", "--database-url", url]);
        let mut git = vec!["import", "git", "--database-url", url];
        git.extend(repos.iter().map(String::as_str));
        ok(&git);
        ok(&["import", "events", events, "--database-url", url, "--format", "json"])
    };
    let first: serde_json::Value = serde_json::from_str(&moved_to(postgres.url(), "events.jsonl")).unwrap();
    assert_eq!(first["stored"].as_u64(), Some(exported.lines().count() as u64), "{first}");
    let report = |url: &str| {
        ok(&["report", "--database-url", url, "--since", "2026-05-01", "--until", "2026-11-01", "--format", "json"])
    };
    let on_sqlite = report(sqlite);
    assert_eq!(report(postgres.url()), on_sqlite, "PostgreSQL derives the same records from the same events");
    let again: serde_json::Value = serde_json::from_str(&ok(&[
        "import",
        "events",
        "events.jsonl",
        "--database-url",
        postgres.url(),
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(
        (again["stored"].as_u64(), again["duplicates"].as_u64()),
        (Some(0), first["stored"].as_u64()),
        "{again}"
    );

    // And back: PostgreSQL's export is the same events, and a new SQLite
    // database reports the same again.
    ok(&["export", "--database-url", postgres.url(), "--out", "from-postgres.jsonl"]);
    let lines = |file: &str| -> Vec<serde_json::Value> {
        std::fs::read_to_string(dir.join(file)).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    };
    assert_eq!(lines("from-postgres.jsonl"), lines("events.jsonl"));
    moved_to("back.db", "from-postgres.jsonl");
    assert_eq!(report("back.db"), on_sqlite);

    // A malformed line: exit 2 naming it; nothing stored.
    let mut broken = exported.lines().take(3).map(str::to_owned).collect::<Vec<_>>();
    broken.push(r#"{"source": "github", "event_type": "push"}"#.to_owned());
    std::fs::write(dir.join("broken.jsonl"), broken.join("\n")).unwrap();
    let refused = run(paved(dir).args(["import", "events", "broken.jsonl", "--database-url", "fresh.db"]));
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("broken.jsonl, line 4"), "{}", stderr(&refused));
    assert!(!dir.join("fresh.db").exists(), "nothing stored");
}
