//! The ingestion half of the contract: raw events stored with what they
//! yield, records merged across deliveries, rebuilds, identities, tokens and
//! the audit log — on every backend.

use chrono::{DateTime, Duration, TimeZone, Utc};
use paved_domain::{
    Deployment, DeploymentStatus, Derivation, EventStatus, Identity, IdentitySighting, Incident, Record, RecordKind,
    RecordedShift,
};
use paved_store::{
    CatalogImport, EventFilter, IngestEvent, NewAudit, NewRawEvent, NewToken, OrphanPolicy, RawEvent, RawEventInsert,
    RecordFilter, Store, StoreError, TokenScope,
};

use crate::harness::{commit, component, contract_tests, entity_ref, group};

fn at(minute: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap() + Duration::minutes(minute)
}

fn raw(source: &str, delivery: &str, minute: i64) -> NewRawEvent {
    NewRawEvent {
        source: source.to_owned(),
        event_type: "deployment_status".to_owned(),
        delivery_id: delivery.to_owned(),
        received_at: at(minute) + Duration::nanoseconds(123_456_789),
        body: format!("{{\"delivery\": \"{delivery}\"}}").into_bytes(),
        context: serde_json::json!({"delivery": delivery}),
    }
}

fn deployment(id: &str, service: &str, status: DeploymentStatus, minute: i64) -> Deployment {
    let mut d = Deployment::new(format!("github:{id}"), "github", "production");
    d.service = Some(entity_ref(&format!("component:default/{service}")));
    d.production = true;
    d.sha = Some("0123456789abcdef0123456789abcdef01234567".to_owned());
    d.status = status;
    d.status_at = Some(at(minute));
    if status.is_final() {
        d.finished_at = Some(at(minute));
    }
    d
}

fn sighting(identity: &str, person: Option<&str>, minute: i64) -> IdentitySighting {
    IdentitySighting {
        identity: identity.parse().unwrap(),
        display_name: Some(format!("name of {identity}")),
        person: person.map(entity_ref),
        automation: identity.ends_with("[bot]"),
        seen_at: at(minute),
    }
}

fn normalized(records: Vec<Record>, identities: Vec<IdentitySighting>) -> Derivation {
    Derivation { status: EventStatus::Normalized, reason: None, records, identities }
}

fn event(raw: NewRawEvent, derivation: Derivation) -> IngestEvent {
    IngestEvent { event: raw, derivation, audit: None }
}

fn deployment_of(record: &Record) -> &Deployment {
    match record {
        Record::Deployment(d) => d,
        other => panic!("not a deployment: {other:?}"),
    }
}

async fn deployments(store: &dyn Store) -> Vec<Deployment> {
    store
        .records(&RecordFilter::new(RecordKind::Deployment))
        .await
        .unwrap()
        .into_iter()
        .map(|r| deployment_of(&r).clone())
        .collect()
}

contract_tests! {
    async fn an_event_is_stored_with_its_records_and_a_redelivery_changes_nothing(db) {
        let store = db.migrated().await;
        let pending = event(
            raw("github", "d-1", 0),
            normalized(vec![Record::Deployment(deployment("7", "checkout", DeploymentStatus::Pending, 0))],
                vec![sighting("github:dana", Some("user:default/dana"), 0)]),
        );
        let results = store.ingest(std::slice::from_ref(&pending)).await.unwrap();
        let RawEventInsert::Stored(id) = results[0].raw else { panic!("stored: {results:?}") };
        assert_eq!(deployment_of(&results[0].records[0]).status, DeploymentStatus::Pending);

        let again = store.ingest(&[pending]).await.unwrap();
        assert_eq!(again[0].raw, RawEventInsert::Duplicate(id));
        assert!(again[0].records.is_empty(), "a duplicate derives nothing");
        let identities = store.identities().await.unwrap();
        assert_eq!(identities.len(), 1);
        assert_eq!(identities[0].sightings, 1, "a redelivery is not a second sighting");

        let stored = store.raw_event(id).await.unwrap().expect("the raw event is kept");
        assert_eq!(stored.body, b"{\"delivery\": \"d-1\"}");
        assert_eq!(stored.context, serde_json::json!({"delivery": "d-1"}));
        assert_eq!(stored.received_at, at(0) + Duration::microseconds(123_456), "kept to the microsecond");
    }

    async fn news_about_one_record_is_merged_whatever_the_order(db) {
        let store = db.migrated().await;
        let success = event(raw("github", "d-2", 5),
            normalized(vec![Record::Deployment(deployment("7", "checkout", DeploymentStatus::Success, 5))], vec![]));
        let running = event(raw("github", "d-1", 1),
            normalized(vec![Record::Deployment(deployment("7", "checkout", DeploymentStatus::InProgress, 1))], vec![]));
        // The success arrives first, in one batch with the late news.
        let results = store.ingest(&[success, running]).await.unwrap();
        assert_eq!(results.len(), 2);
        let all = deployments(store).await;
        assert_eq!(all.len(), 1, "one deployment, whatever the number of deliveries");
        assert_eq!(all[0].status, DeploymentStatus::Success, "late news of an earlier stage does not undo a success");
        assert_eq!(all[0].finished_at, Some(at(5)));
        let record = store.record(RecordKind::Deployment, "github:7").await.unwrap().expect("found by key");
        assert_eq!(deployment_of(&record), &all[0]);
        assert_eq!(store.record(RecordKind::Incident, "github:7").await.unwrap(), None, "kinds do not mix");
    }

    async fn a_batch_is_all_or_nothing(db) {
        let store = db.migrated().await;
        let good = event(raw("github", "ok", 0),
            normalized(vec![Record::Deployment(deployment("1", "checkout", DeploymentStatus::Success, 0))], vec![]));
        let bad = event(raw("github", "bad\0id", 1), Derivation::ignored("nothing"));
        let error = store.ingest(&[good.clone(), bad]).await.expect_err("a NUL in a delivery id is refused");
        assert!(matches!(error, StoreError::InvalidRecord { ref field, .. } if field == "delivery_id"), "{error:?}");
        assert!(store.events(&EventFilter::default()).await.unwrap().is_empty(), "nothing of the batch is stored");
        assert!(deployments(store).await.is_empty());
        store.ingest(&[good]).await.expect("the good event alone is stored");
        assert_eq!(deployments(store).await.len(), 1);
    }

    async fn a_record_the_store_cannot_keep_fails_its_event_but_keeps_the_raw_payload(db) {
        let store = db.migrated().await;
        let mut bad = deployment("1", "checkout", DeploymentStatus::Success, 0);
        bad.environment = "prod\0uction".into();
        let results = store.ingest(&[event(raw("github", "nul", 0), normalized(vec![Record::Deployment(bad)], vec![]))]).await.unwrap();
        assert!(matches!(results[0].raw, RawEventInsert::Stored(_)), "the delivery is kept: {results:?}");
        assert!(results[0].records.is_empty());
        let failed = store.events(&EventFilter { status: Some(EventStatus::Failed), ..EventFilter::default() }).await.unwrap();
        assert_eq!(failed.len(), 1);
        assert!(failed[0].reason.as_deref().unwrap().contains("NUL"), "{:?}", failed[0].reason);
        assert!(deployments(store).await.is_empty());
    }

    async fn events_are_listed_with_their_outcome(db) {
        let store = db.migrated().await;
        store.ingest(&[
            event(raw("github", "a", 0), Derivation::ignored("ping: GitHub's test delivery")),
            event(raw("gitlab", "b", 1), Derivation::failed("deployment.sha is missing")),
            event(raw("github", "c", 2),
                normalized(vec![Record::Deployment(deployment("1", "checkout", DeploymentStatus::Success, 2))], vec![])),
        ]).await.unwrap();
        let all = store.events(&EventFilter::default()).await.unwrap();
        assert_eq!(all.iter().map(|e| e.delivery_id.as_str()).collect::<Vec<_>>(), ["c", "b", "a"], "newest first");
        let failed = store.events(&EventFilter { status: Some(EventStatus::Failed), ..EventFilter::default() }).await.unwrap();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].reason.as_deref(), Some("deployment.sha is missing"));
        assert_eq!((failed[0].source.as_str(), failed[0].records), ("gitlab", 0));
        let github = store.events(&EventFilter { source: Some(paved_domain::Source::GitHub), ..EventFilter::default() }).await.unwrap();
        assert_eq!(github.len(), 2);
        assert_eq!(github[0].records, 1);
        assert_eq!(github[0].size_bytes, u64::try_from(b"{\"delivery\": \"c\"}".len()).unwrap());
        let older = store.events(&EventFilter { before_id: Some(github[0].id), ..EventFilter::default() }).await.unwrap();
        assert_eq!(older.len(), 2, "paging back skips the newest");
        let counts = store.event_counts().await.unwrap();
        let github_normalized = counts.iter().find(|c| c.source == "github" && c.status == Some(EventStatus::Normalized));
        assert_eq!(github_normalized.map(|c| c.count), Some(1));
    }

    async fn records_filter_by_service_environment_time_and_status(db) {
        let store = db.migrated().await;
        let mut staging = deployment("3", "checkout", DeploymentStatus::Success, 30);
        staging.environment = "Staging".into();
        staging.production = false;
        let mut other_commit = deployment("1", "checkout", DeploymentStatus::Success, 10);
        other_commit.sha = Some("fedcba9876543210fedcba9876543210fedcba98".to_owned());
        let batch = [
            other_commit,
            deployment("2", "cart", DeploymentStatus::Failure, 20),
            staging,
            deployment("4", "checkout", DeploymentStatus::Success, 40),
        ];
        let events: Vec<IngestEvent> = batch.iter().enumerate()
            .map(|(i, d)| event(raw("github", &format!("d{i}"), 0), normalized(vec![Record::Deployment(d.clone())], vec![])))
            .collect();
        store.ingest(&events).await.unwrap();
        let keys = |records: Vec<Record>| records.iter().map(|r| r.key().to_owned()).collect::<Vec<_>>();
        let mut filter = RecordFilter::new(RecordKind::Deployment);
        assert_eq!(keys(store.records(&filter).await.unwrap()), ["github:4", "github:3", "github:2", "github:1"]);
        filter.services = vec![entity_ref("component:default/Checkout")];
        assert_eq!(keys(store.records(&filter).await.unwrap()), ["github:4", "github:3", "github:1"]);
        filter.production_only = true;
        assert_eq!(keys(store.records(&filter).await.unwrap()), ["github:4", "github:1"]);
        filter.since = Some(at(10));
        filter.until = Some(at(40));
        assert_eq!(keys(store.records(&filter).await.unwrap()), ["github:1"], "since is inclusive, until is not");
        let mut filter = RecordFilter::new(RecordKind::Deployment);
        filter.environment = Some("staging".into());
        assert_eq!(keys(store.records(&filter).await.unwrap()), ["github:3"], "environments compare without case");
        filter.environment = None;
        filter.statuses = vec!["failure".into()];
        assert_eq!(keys(store.records(&filter).await.unwrap()), ["github:2"]);
        filter.statuses = vec!["failure".into(), "success".into()];
        assert_eq!(keys(store.records(&filter).await.unwrap()), ["github:4", "github:3", "github:2", "github:1"]);
        let mut page = RecordFilter::new(RecordKind::Deployment);
        page.limit = 2;
        page.offset = 1;
        assert_eq!(keys(store.records(&page).await.unwrap()), ["github:3", "github:2"]);
        let mut commits = RecordFilter::new(RecordKind::Deployment);
        commits.shas = vec!["FEDCBA9876543210FEDCBA9876543210FEDCBA98".into(), "0000000".into()];
        assert_eq!(keys(store.records(&commits).await.unwrap()), ["github:1"], "any of the commits, without case");
        commits.shas.push("0123456789abcdef0123456789abcdef01234567".into());
        assert_eq!(keys(store.records(&commits).await.unwrap()).len(), 4);
        page.shas = vec!["nul\0".into()];
        assert!(store.records(&page).await.unwrap().is_empty(), "a NUL matches nothing");
    }

    async fn identities_count_sightings_and_keep_their_resolution(db) {
        let store = db.migrated().await;
        let incident = |key: &str| {
            let mut i = Incident::new(key, "pagerduty");
            i.opened_at = Some(at(0));
            Record::Incident(i)
        };
        store.ingest(&[
            event(raw("pagerduty", "1", 0), normalized(vec![incident("pagerduty:A")],
                vec![sighting("pagerduty:PX", None, 3), sighting("github:renovate[bot]", None, 3)])),
            event(raw("pagerduty", "2", 0), normalized(vec![incident("pagerduty:B")],
                vec![sighting("pagerduty:PX", Some("user:default/lee"), 1)])),
        ]).await.unwrap();
        let identities = store.identities().await.unwrap();
        assert_eq!(identities[0].identity, "pagerduty:PX".parse::<Identity>().unwrap(), "most sightings first");
        assert_eq!(identities[0].sightings, 2);
        assert_eq!(identities[0].person, Some(entity_ref("user:default/lee")), "the last derivation's resolution");
        assert_eq!((identities[0].first_seen, identities[0].last_seen), (at(1), at(3)));
        assert!(identities[1].automation);
    }

    async fn a_rebuild_derives_every_record_again_from_the_raw_events(db) {
        let store = db.migrated().await;
        let mut unresolved = deployment("9", "checkout", DeploymentStatus::Success, 0);
        unresolved.service = None;
        store.ingest(&[
            event(raw("github", "x", 0), normalized(vec![Record::Deployment(unresolved)],
                vec![sighting("github:dana", None, 0)])),
            event(raw("github", "y", 1), Derivation::failed("a parser bug")),
        ]).await.unwrap();
        let derive = |raw: &RawEvent| -> Derivation {
            // The fixed parser and catalog: both events now resolve.
            let delivery = raw.context["delivery"].as_str().unwrap_or_default().to_owned();
            let minute = if delivery == "x" { 0 } else { 1 };
            normalized(
                vec![Record::Deployment(deployment(&format!("{delivery}-fixed"), "checkout", DeploymentStatus::Success, minute))],
                vec![sighting("github:dana", Some("user:default/dana"), minute)],
            )
        };
        let summary = store.rebuild(&derive).await.unwrap();
        assert_eq!((summary.events, summary.normalized, summary.failed, summary.records, summary.identities), (2, 2, 0, 2, 1));
        let keys: Vec<String> = deployments(store).await.into_iter().map(|d| d.key).collect();
        assert_eq!(keys, ["github:y-fixed", "github:x-fixed"], "the old records are gone, the new ones derived");
        let identities = store.identities().await.unwrap();
        assert_eq!(identities[0].person, Some(entity_ref("user:default/dana")));
        assert_eq!(identities[0].sightings, 2, "counted again from scratch");
        assert!(store.events(&EventFilter { status: Some(EventStatus::Failed), ..EventFilter::default() }).await.unwrap().is_empty());
        assert_eq!(store.events(&EventFilter::default()).await.unwrap().len(), 2, "raw events are kept as they were");
    }

    async fn a_rebuild_of_thousands_of_records_completes(db) {
        let store = db.migrated().await;
        let events: Vec<IngestEvent> = (0..7_000)
            .map(|n| {
                let mut incident = Incident::new(format!("events:{n}"), "events");
                incident.opened_at = Some(at(n % 600));
                event(raw("events", &format!("e{n}"), 0), normalized(vec![Record::Incident(incident)], vec![]))
            })
            .collect();
        for chunk in events.chunks(1_000) {
            store.ingest(chunk).await.unwrap();
        }
        // One lock per record would exhaust PostgreSQL's lock table here.
        let summary = store
            .rebuild(&|raw: &RawEvent| {
                let mut incident = Incident::new(format!("events:{}", raw.delivery_id), "events");
                incident.opened_at = Some(at(1));
                normalized(vec![Record::Incident(incident)], vec![])
            })
            .await
            .unwrap();
        assert_eq!((summary.events, summary.records), (7_000, 7_000));
    }

    async fn tokens_are_stored_hashed_revoked_once_and_audited(db) {
        let store = db.migrated().await;
        let team = NewToken {
            name: "ci-checkout".into(),
            scope: TokenScope::Team(entity_ref("group:default/checkout")),
            hash: "a".repeat(64),
            prefix: "paved_abc".into(),
            expires_at: None,
        };
        let created = store.create_token(&team, "cli").await.unwrap();
        assert_eq!(created.scope, team.scope);
        assert!(created.revoked_at.is_none());
        let admin = store.create_token(&NewToken { name: "admin".into(), scope: TokenScope::Admin, hash: "b".repeat(64), prefix: "paved_def".into(), expires_at: None }, "cli").await.unwrap();
        assert!(store.create_token(&team, "cli").await.is_err(), "a hash is stored once");
        assert_eq!(store.token_by_hash(&"a".repeat(64)).await.unwrap(), Some(created.clone()));
        assert_eq!(store.token_by_hash("nope").await.unwrap(), None);
        let revoked = store.revoke_token(created.id, "cli").await.unwrap().expect("the token exists");
        assert!(revoked.revoked_at.is_some());
        let again = store.revoke_token(created.id, "cli").await.unwrap().expect("still exists");
        assert_eq!(again.revoked_at, revoked.revoked_at, "revoking twice keeps the first time");
        assert_eq!(store.revoke_token(999, "cli").await.unwrap(), None);
        assert_eq!(store.tokens().await.unwrap().iter().map(|t| t.id).collect::<Vec<_>>(), [created.id, admin.id]);
        let audit = store.audit_log(10).await.unwrap();
        let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
        assert_eq!(actions, ["token.revoke", "token.create", "token.create"], "newest first; the second revoke changed nothing");
        assert_eq!(audit[0].target, format!("token {}", created.id));
    }

    async fn an_audited_event_names_its_raw_event(db) {
        let store = db.migrated().await;
        let mut audited = event(raw("api", "deploy-1", 0),
            normalized(vec![Record::Deployment(deployment("1", "checkout", DeploymentStatus::Success, 0))], vec![]));
        audited.audit = Some(NewAudit { actor: "token 1 (ci)".into(), action: "deployment.record".into(), target: "api:1".into(), detail: None, service: None, decision: None });
        let results = store.ingest(&[audited]).await.unwrap();
        let RawEventInsert::Stored(id) = results[0].raw else { panic!() };
        let audit = store.audit_log(5).await.unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!((audit[0].raw_event_id, audit[0].action.as_str()), (Some(id), "deployment.record"));
    }

    async fn an_audit_entry_is_appended_on_its_own_naming_the_delivery_that_asked(db) {
        let store = db.migrated().await;
        let results = store.ingest(&[event(raw("github", "rule-1", 0), Derivation::ignored("a question, not a record"))]).await.unwrap();
        let RawEventInsert::Stored(id) = results[0].raw else { panic!() };
        let decision = NewAudit {
            actor: "user:default/ana (GitHub deployment creator)".into(),
            action: "deploy.protection_rule".into(),
            target: "component:default/checkout".into(),
            detail: Some("rejected production: may_act".into()),
            service: None,
            decision: None,
        };
        store.append_audit(&decision, Some(id)).await.unwrap();
        store.append_audit(&NewAudit { detail: None, ..decision.clone() }, None).await.unwrap();
        let audit = store.audit_log(5).await.unwrap();
        assert_eq!(audit.len(), 2, "{audit:?}");
        assert_eq!((audit[1].raw_event_id, audit[1].detail.as_deref()), (Some(id), Some("rejected production: may_act")));
        assert_eq!((audit[1].actor.as_str(), audit[1].action.as_str(), audit[1].target.as_str()),
            ("user:default/ana (GitHub deployment creator)", "deploy.protection_rule", "component:default/checkout"));
        assert_eq!((audit[0].raw_event_id, audit[0].detail.as_deref()), (None, None), "newest first");
    }

    async fn the_catalog_generation_grows_only_when_an_import_changes_something(db) {
        let store = db.migrated().await;
        let start = store.catalog_generation().await.unwrap();
        let entities = vec![group("shop").build(), component("checkout").owner("shop").build()];
        let import = |entities: Vec<_>| async move {
            store.import_catalog(CatalogImport { location: "/catalog", entities: &entities, orphans: OrphanPolicy::Mark }).await.unwrap();
            store.catalog_generation().await.unwrap()
        };
        let first = import(entities.clone()).await;
        assert!(first > start);
        assert_eq!(import(entities.clone()).await, first, "an unchanged import changes nothing");
        let third = import(vec![group("shop").build()]).await;
        assert!(third > first, "an orphaned entity is a change");
        let names: Vec<String> = store.catalog_entities().await.unwrap().iter().map(|e| e.entity_ref.to_string()).collect();
        assert_eq!(names, ["group:default/shop"], "orphans are left out");
    }

    async fn every_record_and_the_commit_graph_are_read_in_one_call(db) {
        let store = db.migrated().await;
        let events: Vec<IngestEvent> = (0..12_000)
            .map(|n| event(raw("github", &format!("d{n}"), 0),
                normalized(vec![Record::Deployment(deployment(&n.to_string(), "checkout", DeploymentStatus::Success, n % 500))], vec![])))
            .collect();
        store.ingest(&events).await.unwrap();
        let mut filter = RecordFilter::new(RecordKind::Deployment);
        filter.services = vec![entity_ref("component:default/checkout")];
        let all = store.all_records(&filter).await.unwrap();
        assert_eq!(all.len(), 12_000, "more than a page");
        assert!(store.records(&filter).await.unwrap().len() <= 100, "pages stay pages");

        store.insert_commits(&[
            commit("github.com/acme/a", 0).message("Start").file("a.rs", 1, 0).build(),
            commit("github.com/acme/a", 1).message("Revert \"x\"").file("a.rs", 0, 1).file("b.rs", 2, 0).build(),
        ]).await.unwrap();
        let repo: paved_domain::RepoId = "github.com/acme/a".parse().unwrap();
        let graph = store.commit_graph(&repo).await.unwrap();
        assert_eq!(graph.len(), 2);
        let second = graph.iter().find(|row| row.message.starts_with("Revert")).unwrap();
        assert_eq!(second.parents.len(), 1);
        assert_eq!(second.files, ["a.rs", "b.rs"], "its files, in path order, with the commit");
        assert!(graph.iter().any(|row| row.parents.is_empty() && row.files == ["a.rs"]), "the root has no parents");
        let mut paths = store.inspect().commit_paths(&repo).await.unwrap();
        paths.sort();
        assert_eq!(paths.len(), 3);
        assert!(paths.iter().any(|(sha, path)| sha == &second.sha && path == "b.rs"));
    }

    async fn the_data_version_changes_with_events_catalog_and_imports(db) {
        let store = db.migrated().await;
        let empty = store.data_version().await.unwrap();
        assert_eq!(store.data_version().await.unwrap(), empty, "stable while nothing changes");
        store.ingest(&[event(raw("github", "v1", 0), Derivation::ignored("ping"))]).await.unwrap();
        let after_event = store.data_version().await.unwrap();
        assert_ne!(after_event, empty);
        let entities = vec![group("shop").build()];
        store.import_catalog(CatalogImport { location: "/c", entities: &entities, orphans: OrphanPolicy::Mark }).await.unwrap();
        let after_catalog = store.data_version().await.unwrap();
        assert_ne!(after_catalog, after_event);
        store.insert_commits(&[commit("github.com/acme/v", 0).build()]).await.unwrap();
        store
            .save_repository(&paved_store::RepositoryState {
                repo: "github.com/acme/v".parse().unwrap(),
                source_path: "/src/v".into(),
                tips: Vec::new(),
                imported_at: at(5),
                commits: 1,
            })
            .await
            .unwrap();
        assert_ne!(store.data_version().await.unwrap(), after_catalog);
    }

    async fn commit_emails_are_counted_case_insensitively(db) {
        let store = db.migrated().await;
        store.insert_commits(&[
            commit("github.com/acme/a", 0).author("Dana", "Dana@acme.example", "2026-01-01T10:00:00Z").build(),
            commit("github.com/acme/a", 1).author("Dana S", "dana@acme.example", "2026-01-02T10:00:00Z").build(),
            commit("github.com/acme/b", 0).author("Lee", "lee@acme.example", "2026-01-03T10:00:00Z").build(),
        ]).await.unwrap();
        let emails = store.commit_emails().await.unwrap();
        assert_eq!(emails.len(), 2);
        assert_eq!((emails[0].email.as_str(), emails[0].commits), ("dana@acme.example", 2));
        assert_eq!(emails[0].last_commit_at, Utc.with_ymd_and_hms(2026, 1, 2, 10, 0, 0).unwrap());
    }

    async fn shifts_are_found_by_schedule_and_by_the_span_they_cover(db) {
        let store = db.migrated().await;
        let shift = |id: &str, schedule: &str, start: DateTime<Utc>, end: DateTime<Utc>| {
            Record::Shift(RecordedShift {
                key: format!("api:{id}"),
                schedule: entity_ref(&format!("schedule:default/{schedule}")),
                person: "email:dana@acme.example".parse().unwrap(),
                start,
                end,
            })
        };
        let records = vec![
            // Began two months before the window and still covers it.
            shift("long", "checkout", at(0) - Duration::days(60), at(0) + Duration::days(1)),
            shift("ended", "checkout", at(0) - Duration::days(2), at(0)),
            shift("later", "checkout", at(60), at(120)),
            shift("other", "payments", at(10), at(20)),
        ];
        store.ingest(&[event(raw("api", "s1", 0), normalized(records, vec![]))]).await.unwrap();
        let keys = |records: Vec<Record>| records.iter().map(|r| r.key().to_owned()).collect::<Vec<_>>();
        let mut filter = RecordFilter::new(RecordKind::Shift);
        filter.schedules = vec![entity_ref("schedule:default/checkout")];
        filter.since = Some(at(0));
        filter.until = Some(at(60));
        assert_eq!(keys(store.all_records(&filter).await.unwrap()), ["api:long"], "a shift that ends at `since` is over");
        filter.schedules.clear();
        assert_eq!(keys(store.all_records(&filter).await.unwrap()), ["api:long", "api:other"]);
        filter.until = Some(at(61));
        filter.schedules = vec![entity_ref("schedule:default/Checkout")];
        assert_eq!(keys(store.all_records(&filter).await.unwrap()), ["api:long", "api:later"], "schedules compare as references");
    }

    async fn shifts_stored_before_the_schedule_column_are_moved_to_it(db) {
        db.migrated_to(4).await;
        let body = r#"{"kind":"shift","key":"api:old","schedule":"schedule:default/checkout","person":"email:dana@acme.example","start":"2026-09-01T09:00:00Z","end":"2026-11-02T09:30:00.250Z"}"#;
        let insert = format!(
            "INSERT INTO records (kind, key, production, status, at_us, body) VALUES ('shift', 'api:old', FALSE, 'schedule:default/checkout', 1, '{body}')"
        );
        db.execute_raw(&insert, &insert).await;
        let store = db.migrated().await;
        let mut filter = RecordFilter::new(RecordKind::Shift);
        filter.schedules = vec![entity_ref("schedule:default/checkout")];
        filter.since = Some(at(30));
        let shifts = store.all_records(&filter).await.unwrap();
        assert_eq!(shifts.len(), 1, "the old shift still covers 09:30 on its Schedule");
        filter.since = Some(at(31));
        assert!(store.all_records(&filter).await.unwrap().is_empty(), "and has ended by 09:31");
        filter.since = None;
        filter.statuses = vec!["recorded".into()];
        assert_eq!(store.all_records(&filter).await.unwrap().len(), 1, "its status is no longer its Schedule");
    }

    async fn a_record_stored_in_an_unknown_format_is_refused_not_misread(db) {
        let store = db.migrated().await;
        let d = deployment("1", "checkout", DeploymentStatus::Success, 10);
        store.ingest(&[event(raw("github", "d1", 0), normalized(vec![Record::Deployment(d)], vec![]))]).await.unwrap();
        assert_eq!(deployments(store).await.len(), 1);
        db.execute_raw("UPDATE records SET format = 2", "UPDATE records SET format = 2").await;
        let error = store.records(&RecordFilter::new(RecordKind::Deployment)).await.unwrap_err();
        assert!(
            error.to_string().contains("stored in format 2, which this paved does not read (it reads 1)"),
            "{error}"
        );
        // News about the record does not overwrite what it cannot read.
        let news = deployment("1", "checkout", DeploymentStatus::Failure, 20);
        let _ = store.ingest(&[event(raw("github", "d2", 1), normalized(vec![Record::Deployment(news)], vec![]))]).await;
        db.execute_raw("UPDATE records SET format = 1", "UPDATE records SET format = 1").await;
        assert_eq!(deployments(store).await[0].status, DeploymentStatus::Success);
    }

    async fn personal_tokens_name_their_person_and_may_expire(db) {
        let store = db.migrated().await;
        let expires = Utc.with_ymd_and_hms(2027, 3, 1, 9, 0, 0).unwrap();
        let new = NewToken {
            name: "dana".into(),
            scope: TokenScope::User(entity_ref("user:default/dana")),
            hash: "c".repeat(64),
            prefix: "paved_ghi".into(),
            expires_at: Some(expires),
        };
        let created = store.create_token(&new, "cli").await.unwrap();
        assert_eq!((created.scope.clone(), created.expires_at), (new.scope.clone(), Some(expires)));
        assert_eq!(store.token_by_hash(&"c".repeat(64)).await.unwrap(), Some(created.clone()));
        assert_eq!(
            serde_json::to_value(&created.scope).unwrap(),
            serde_json::json!({"scope": "user", "user": "user:default/dana"})
        );
        let audit = store.audit_log(1).await.unwrap();
        assert_eq!(audit[0].detail.as_deref(), Some("dana (user user:default/dana)"));
    }

    async fn tokens_made_before_personal_tokens_keep_working(db) {
        db.migrated_to(5).await;
        let insert = "INSERT INTO api_tokens (name, scope, team, hash, prefix, created_at) \
                      VALUES ('ci', 'team', 'group:default/checkout', 'dddd', 'paved_jkl', '2026-11-01T09:00:00Z')";
        db.execute_raw(insert, insert).await;
        let store = db.migrated().await;
        let token = store.token_by_hash("dddd").await.unwrap().expect("the token survives the migration");
        assert_eq!((token.name.as_str(), token.expires_at), ("ci", None));
        assert_eq!(token.scope, TokenScope::Team(entity_ref("group:default/checkout")));
        let next = store
            .create_token(&NewToken { name: "n".into(), scope: TokenScope::Admin, hash: "e".repeat(64), prefix: "p".into(), expires_at: None }, "cli")
            .await
            .unwrap();
        assert!(next.id > token.id, "ids go on growing");
    }
}
