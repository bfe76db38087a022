//! The store contract: what every backend must do, asserted the way a user
//! of `paved` would notice it.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use paved_domain::{CatalogEntity, EntityRef, Relation, RelationType};
use paved_store::{
    CatalogImport, EntityFilter, ImportSummary, MovedEntity, NewRawEvent, OrphanPolicy, RawEventInsert, Store,
    StoreError, StoredEntity,
};

use crate::harness::{api, component, contract_tests, entity_ref, group, user};

const LOCATION: &str = "/srv/catalog/acme";
const OTHER_LOCATION: &str = "/srv/catalog/other";

async fn import(store: &dyn Store, location: &str, entities: &[CatalogEntity]) -> ImportSummary {
    store
        .import_catalog(CatalogImport { location, entities, orphans: OrphanPolicy::Mark })
        .await
        .expect("the import succeeds")
}

async fn stored(store: &dyn Store, text: &str) -> StoredEntity {
    store.entity(&entity_ref(text)).await.expect("the store answers").unwrap_or_else(|| panic!("{text} is stored"))
}

fn refs(texts: &[&str]) -> Vec<EntityRef> {
    texts.iter().map(|t| entity_ref(t)).collect()
}

fn refs_of(entities: &[StoredEntity]) -> Vec<String> {
    entities.iter().map(|e| e.entity.entity_ref.to_string()).collect()
}

fn relation(kind: RelationType, target: &str) -> Relation {
    Relation { kind, target: entity_ref(target) }
}

fn three_entities() -> Vec<CatalogEntity> {
    vec![
        group("team-a").build(),
        component("checkout").owner("team-a").description("Takes payments").build(),
        api("orders").owner("team-a").build(),
    ]
}

fn filter() -> EntityFilter {
    EntityFilter::default()
}

fn raw_event(source: &str, delivery_id: &str, body: &[u8]) -> NewRawEvent {
    NewRawEvent {
        source: source.to_owned(),
        event_type: "push".to_owned(),
        delivery_id: delivery_id.to_owned(),
        received_at: Utc.with_ymd_and_hms(2025, 3, 14, 9, 26, 53).unwrap() + chrono::Duration::microseconds(589_793),
        body: body.to_vec(),
        context: serde_json::json!({}),
    }
}

contract_tests! {
    async fn migrations_apply_on_an_empty_database_then_nothing_is_pending(db) {
        let first = db.store.migrate().await.expect("migrations apply on an empty database");
        assert!(!first.is_empty(), "an empty database needs every migration");
        assert_eq!(first[0].version, 1);
        assert!(!first[0].description.is_empty());
        let second = db.store.migrate().await.expect("migrating again succeeds");
        assert_eq!(second, vec![], "a current database has nothing to apply");
        db.store.ping().await.expect("the migrated database answers");
    }

    async fn a_database_migrated_by_a_newer_paved_is_refused(db) {
        db.migrated().await;
        db.execute_raw(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
             VALUES (9999, 'from the future', 1, x'00', 0)",
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
             VALUES (9999, 'from the future', true, '\\x00'::bytea, 0)",
        )
        .await;
        let err = db.store.migrate().await.expect_err("an unknown migration is refused");
        let message = err.to_string();
        assert!(matches!(err, StoreError::NewerSchema { version: 9999, .. }), "{err:?}");
        assert!(message.contains("newer paved"), "{message}");
    }

    async fn import_adds_entities_and_the_same_import_again_changes_nothing(db) {
        let store = db.migrated().await;
        let entities = three_entities();
        let first = import(store, LOCATION, &entities).await;
        assert_eq!(first.added, refs(&["api:default/orders", "component:default/checkout", "group:default/team-a"]));
        assert_eq!((first.updated.len(), first.unchanged, first.orphaned.len()), (0, 0, 0));

        let before = stored(store, "component:default/checkout").await;
        assert_eq!(before.entity, entities[1], "the entity comes back as imported");
        assert_eq!(
            serde_json::to_string(&before.entity).unwrap(),
            serde_json::to_string(&entities[1]).unwrap(),
            "the descriptor comes back with its keys in the order written"
        );
        assert_eq!((before.location.as_str(), before.orphan), (LOCATION, false));

        tokio::time::sleep(Duration::from_millis(20)).await;
        let second = import(store, LOCATION, &entities).await;
        assert_eq!(
            second,
            ImportSummary { unchanged: 3, ..ImportSummary::default() },
            "importing the same entities again reports no change"
        );
        let after = stored(store, "component:default/checkout").await;
        assert_eq!(after.updated_at, before.updated_at, "an unchanged entity is not rewritten");
        assert_eq!(after.created_at, before.created_at);
    }

    async fn a_changed_description_is_reported_as_updated(db) {
        let store = db.migrated().await;
        let mut entities = three_entities();
        import(store, LOCATION, &entities).await;
        let before = stored(store, "component:default/checkout").await;

        tokio::time::sleep(Duration::from_millis(20)).await;
        entities[1] = component("checkout").owner("team-a").description("Takes payments, fast").build();
        let summary = import(store, LOCATION, &entities).await;
        assert_eq!(summary.updated, refs(&["component:default/checkout"]));
        assert_eq!((summary.added.len(), summary.unchanged), (0, 2));

        let after = stored(store, "component:default/checkout").await;
        assert_eq!(after.entity.description.as_deref(), Some("Takes payments, fast"));
        assert!(after.updated_at > before.updated_at, "{} > {}", after.updated_at, before.updated_at);
        assert_eq!(after.created_at, before.created_at);

        // A moved descriptor (another line) is a change too: its source is shown.
        entities[1] = component("checkout").owner("team-a").description("Takes payments, fast").line(7).build();
        let moved = import(store, LOCATION, &entities).await;
        assert_eq!(moved.updated, refs(&["component:default/checkout"]));
        assert_eq!(stored(store, "component:default/checkout").await.entity.source.line, 7);
    }

    async fn an_entity_missing_from_its_location_is_orphaned_until_it_returns(db) {
        let store = db.migrated().await;
        let entities = three_entities();
        import(store, LOCATION, &entities).await;

        let without_api = [entities[0].clone(), entities[1].clone()];
        let summary = import(store, LOCATION, &without_api).await;
        assert_eq!(summary.orphaned, refs(&["api:default/orders"]));
        assert_eq!((summary.unchanged, summary.updated.len(), summary.pruned.len()), (2, 0, 0));

        let orphan = stored(store, "api:default/orders").await;
        assert!(orphan.orphan, "an orphan is still retrievable, marked");
        let listed = store.list_entities(&filter()).await.unwrap();
        assert_eq!(refs_of(&listed.items), ["component:default/checkout", "group:default/team-a"]);
        assert_eq!(listed.total, 2, "orphans are not listed by default");
        let all = store.list_entities(&EntityFilter { include_orphans: true, ..filter() }).await.unwrap();
        assert_eq!(all.total, 3);
        assert_eq!(refs_of(&store.orphans().await.unwrap()), ["api:default/orders"]);
        // A kind's total (kept per kind by the import) counts live entities
        // only, whatever case the kind is asked in.
        let kind_total =
            |kind: &str| EntityFilter { kind: Some(kind.to_owned()), ..filter() };
        assert_eq!(store.list_entities(&kind_total("API")).await.unwrap().total, 0);
        assert_eq!(store.list_entities(&kind_total("component")).await.unwrap().total, 1);
        assert_eq!(store.list_entities(&kind_total("nothing")).await.unwrap().total, 0);

        // Still missing: still listed as orphaned, nothing rewritten.
        let again = import(store, LOCATION, &without_api).await;
        assert_eq!(again.orphaned, refs(&["api:default/orders"]));
        assert_eq!(again.unchanged, 2);
        assert_eq!(stored(store, "api:default/orders").await.updated_at, orphan.updated_at);

        let back = import(store, LOCATION, &entities).await;
        assert_eq!(back.updated, refs(&["api:default/orders"]), "a returning orphan is updated");
        assert_eq!((back.orphaned.len(), back.unchanged), (0, 2));
        assert!(!stored(store, "api:default/orders").await.orphan);
        assert!(store.orphans().await.unwrap().is_empty());
        assert_eq!(store.list_entities(&filter()).await.unwrap().total, 3);
        let apis = EntityFilter { kind: Some("api".to_owned()), ..filter() };
        assert_eq!(store.list_entities(&apis).await.unwrap().total, 1, "the returning orphan counts again");
    }

    async fn prune_deletes_orphans_and_their_relations(db) {
        let store = db.migrated().await;
        let entities = three_entities();
        import(store, LOCATION, &entities).await;
        let team = stored(store, "group:default/team-a").await;
        assert!(team.all_relations.contains(&relation(RelationType::OwnerOf, "component:default/checkout")));

        let summary = store
            .import_catalog(CatalogImport { location: LOCATION, entities: &entities[..1], orphans: OrphanPolicy::Prune })
            .await
            .unwrap();
        assert_eq!(summary.pruned, refs(&["api:default/orders", "component:default/checkout"]));
        assert_eq!((summary.orphaned.len(), summary.unchanged), (0, 1));
        assert!(store.entity(&entity_ref("component:default/checkout")).await.unwrap().is_none());
        assert!(store.orphans().await.unwrap().is_empty());
        let team = stored(store, "group:default/team-a").await;
        assert_eq!(team.all_relations, vec![], "the pruned entities' relations are gone");
    }

    async fn two_locations_do_not_orphan_each_others_entities(db) {
        let store = db.migrated().await;
        import(store, LOCATION, &[component("checkout").build()]).await;
        import(store, OTHER_LOCATION, &[component("billing").build()]).await;

        let again = import(store, LOCATION, &[component("checkout").build()]).await;
        assert_eq!(again, ImportSummary { unchanged: 1, ..ImportSummary::default() });
        assert!(!stored(store, "component:default/billing").await.orphan);

        // The other location now holds checkout too: it takes it over.
        let takeover = import(store, OTHER_LOCATION, &[component("billing").build(), component("checkout").build()]).await;
        assert_eq!(takeover.updated, refs(&["component:default/checkout"]));
        assert_eq!(takeover.unchanged, 1);
        assert_eq!(stored(store, "component:default/checkout").await.location, OTHER_LOCATION);

        // Its old location no longer claims it.
        let emptied = import(store, LOCATION, &[]).await;
        assert_eq!(emptied, ImportSummary::default());
        assert!(!stored(store, "component:default/checkout").await.orphan);
    }

    async fn an_entity_defined_in_two_locations_is_reported_as_moved(db) {
        let store = db.migrated().await;
        import(store, LOCATION, &[component("checkout").build(), component("billing").build()]).await;

        let taken = import(store, OTHER_LOCATION, &[component("checkout").build()]).await;
        assert_eq!(taken.added, vec![]);
        assert_eq!(taken.updated, refs(&["component:default/checkout"]), "the last import wins, as before");
        assert_eq!(taken.moved, vec![MovedEntity { entity: entity_ref("component:default/checkout"), from: LOCATION.into() }]);
        assert_eq!(
            serde_json::to_value(&taken).unwrap()["moved"],
            serde_json::json!([{ "entity": "component:default/checkout", "from": LOCATION }]),
            "the CLI's JSON says where it was"
        );
        assert_eq!(stored(store, "component:default/checkout").await.location, OTHER_LOCATION);

        // Importing the first location again takes it back, and says so again.
        let back = import(store, LOCATION, &[component("checkout").build(), component("billing").build()]).await;
        assert_eq!(back.moved, vec![MovedEntity { entity: entity_ref("component:default/checkout"), from: OTHER_LOCATION.into() }]);
        assert_eq!(back.unchanged, 1);
        let again = import(store, LOCATION, &[component("checkout").build(), component("billing").build()]).await;
        assert_eq!(again, ImportSummary { unchanged: 2, ..ImportSummary::default() }, "no move, nothing reported");

        // An orphan that shows up elsewhere moved for good: its old location
        // no longer defines it, so that is no conflict to report.
        import(store, LOCATION, &[component("checkout").build()]).await;
        assert!(stored(store, "component:default/billing").await.orphan);
        let adopted = import(store, OTHER_LOCATION, &[component("billing").build()]).await;
        assert_eq!(adopted.updated, refs(&["component:default/billing"]));
        assert_eq!(adopted.moved, vec![]);
    }

    async fn filters_and_references_with_a_nul_character_match_nothing(db) {
        let store = db.migrated().await;
        import(store, LOCATION, &three_entities()).await;
        let empty = paved_store::EntityPage { items: vec![], total: 0 };
        let with_nul = [
            EntityFilter { kind: Some("component\0".into()), ..filter() },
            EntityFilter { namespace: Some("def\0ault".into()), ..filter() },
            EntityFilter { text: Some("\0".into()), ..filter() },
            EntityFilter { text: Some("check\0out".into()), include_orphans: true, ..filter() },
            EntityFilter { owner: Some(entity_ref("group:default/team\0-a")), ..filter() },
        ];
        for filter in &with_nul {
            assert_eq!(store.list_entities(filter).await.expect("the store answers"), empty, "{filter:?}");
        }
        let nul_ref = entity_ref("component:default/check\0out");
        assert_eq!(store.entity(&nul_ref).await.expect("the store answers"), None);
        let found = store.entities(&[nul_ref.clone(), entity_ref("group:default/team-a")]).await.expect("the store answers");
        assert_eq!(refs_of(&found), ["group:default/team-a"], "the other references are still read");
        assert_eq!(store.entities(&[nul_ref]).await.expect("the store answers"), vec![]);
    }

    async fn an_import_with_a_nul_character_is_refused_whole(db) {
        let store = db.migrated().await;
        import(store, LOCATION, &three_entities()).await;
        let before = store.list_entities(&EntityFilter { include_orphans: true, ..filter() }).await.unwrap();

        let cases = [
            (component("checkout").description("Takes\0payments").build(), "component:default/checkout", "description"),
            (component("bad\0name").build(), "component:default/bad\\0name", "ref"),
            (component("billing").depends_on("component:default/x\0y").build(), "component:default/billing", "document.spec.dependsOn[0]"),
        ];
        for (entity, shown_ref, field) in cases {
            let entities = [group("team-a").build(), component("new").build(), entity];
            let err = store
                .import_catalog(CatalogImport { location: LOCATION, entities: &entities, orphans: OrphanPolicy::Prune })
                .await
                .expect_err("a NUL character is refused");
            assert!(matches!(&err, StoreError::InvalidText { field: f, .. } if f == field), "{err:?}");
            let message = err.to_string();
            assert!(message.contains(shown_ref) && message.contains(field) && message.contains("NUL"), "{message}");
            assert!(!message.contains('\0'), "the message prints no NUL itself: {message:?}");
        }
        let err = store
            .import_catalog(CatalogImport { location: "/srv/\0", entities: &three_entities(), orphans: OrphanPolicy::Mark })
            .await
            .expect_err("a NUL in the location is refused");
        assert!(matches!(err, StoreError::InvalidLocation(_)), "{err:?}");
        assert!(err.to_string().contains("NUL"), "{err}");

        let after = store.list_entities(&EntityFilter { include_orphans: true, ..filter() }).await.unwrap();
        assert_eq!(after, before, "nothing was written, nothing pruned");
        assert!(store.entity(&entity_ref("component:default/new")).await.unwrap().is_none());
    }

    async fn a_failed_import_leaves_the_store_exactly_as_before(db) {
        let store = db.migrated().await;
        let entities = three_entities();
        import(store, LOCATION, &entities).await;
        let before = store.list_entities(&EntityFilter { include_orphans: true, ..filter() }).await.unwrap();

        // The database rejects the entity named `boom`, after the import has
        // already updated checkout and inserted billing in its transaction.
        db.execute_raw(
            "CREATE TRIGGER fail_on_boom BEFORE INSERT ON entities WHEN NEW.name = 'boom'
             BEGIN SELECT RAISE(ABORT, 'forced failure'); END;",
            "CREATE FUNCTION fail_on_boom() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN IF NEW.name = 'boom' THEN RAISE EXCEPTION 'forced failure'; END IF; RETURN NEW; END $$;
             CREATE TRIGGER fail_on_boom BEFORE INSERT ON entities FOR EACH ROW EXECUTE FUNCTION fail_on_boom();",
        )
        .await;
        let failing = [
            entities[0].clone(),
            component("checkout").owner("team-b").description("Rewritten").build(),
            component("billing").owner("team-a").build(),
            component("boom").build(),
        ];
        let err = store
            .import_catalog(CatalogImport { location: LOCATION, entities: &failing, orphans: OrphanPolicy::Prune })
            .await
            .expect_err("the database rejects the import");
        assert!(matches!(err, StoreError::Database { .. }), "{err:?}");
        assert!(err.to_string().contains("forced failure"), "{err}");

        let after = store.list_entities(&EntityFilter { include_orphans: true, ..filter() }).await.unwrap();
        assert_eq!(after, before, "nothing of the failed import remains, and nothing was pruned");
        assert!(store.entity(&entity_ref("component:default/billing")).await.unwrap().is_none());
        let team = stored(store, "group:default/team-a").await;
        assert!(team.all_relations.contains(&relation(RelationType::OwnerOf, "component:default/checkout")));
    }

    async fn an_import_naming_an_entity_twice_is_refused_whole(db) {
        let store = db.migrated().await;
        import(store, LOCATION, &three_entities()).await;
        let before = store.list_entities(&filter()).await.unwrap();
        let twice = [component("billing").build(), component("Checkout").build(), component("checkout").build()];
        let err = store
            .import_catalog(CatalogImport { location: LOCATION, entities: &twice, orphans: OrphanPolicy::Mark })
            .await
            .expect_err("a duplicate is refused");
        assert!(matches!(&err, StoreError::DuplicateEntity(r) if r.name() == "checkout"), "{err:?}");
        assert!(err.to_string().contains("component:default/checkout"), "{err}");
        assert_eq!(store.list_entities(&filter()).await.unwrap(), before);
    }

    async fn list_filters_by_kind_owner_namespace_and_text(db) {
        let store = db.migrated().await;
        let entities = [
            group("team-a").build(),
            group("team-b").title("Payments team").build(),
            user("alice").member_of("team-a").build(),
            component("checkout").owner("team-a").description("Takes PAYMENTS").build(),
            component("billing").owner("team-b").build(),
            component("ledger").owner("team-b").title("Général ledger").build(),
            api("payments-api").owner("team-b").build(),
            component("pager").namespace("ops").owner("sre").build(),
        ];
        import(store, LOCATION, &entities).await;

        let by_kind = store.list_entities(&EntityFilter { kind: Some("COMPONENT".into()), ..filter() }).await.unwrap();
        assert_eq!(
            refs_of(&by_kind.items),
            ["component:default/billing", "component:default/checkout", "component:default/ledger", "component:ops/pager"]
        );
        assert_eq!(by_kind.total, 4);

        let owner = Some(entity_ref("group:default/team-b"));
        let by_owner = store.list_entities(&EntityFilter { owner, ..filter() }).await.unwrap();
        assert_eq!(refs_of(&by_owner.items), ["api:default/payments-api", "component:default/billing", "component:default/ledger"]);

        let by_namespace = store.list_entities(&EntityFilter { namespace: Some("OPS".into()), ..filter() }).await.unwrap();
        assert_eq!(refs_of(&by_namespace.items), ["component:ops/pager"]);

        // In the name, the title or the description, whatever the case.
        let by_text = store.list_entities(&EntityFilter { text: Some("Payment".into()), ..filter() }).await.unwrap();
        assert_eq!(refs_of(&by_text.items), ["api:default/payments-api", "component:default/checkout", "group:default/team-b"]);
        let accented = store.list_entities(&EntityFilter { text: Some("GÉNÉRAL".into()), ..filter() }).await.unwrap();
        assert_eq!(refs_of(&accented.items), ["component:default/ledger"]);

        let combined = EntityFilter { kind: Some("component".into()), text: Some("payments".into()), ..filter() };
        assert_eq!(refs_of(&store.list_entities(&combined).await.unwrap().items), ["component:default/checkout"]);
        let nothing = EntityFilter { kind: Some("system".into()), ..filter() };
        assert_eq!(store.list_entities(&nothing).await.unwrap().total, 0);
    }

    async fn list_pages_in_a_stable_order_with_the_total(db) {
        let store = db.migrated().await;
        let mut entities = vec![group("team-a").build(), api("orders").build(), user("bob").build()];
        for name in ["delta", "alpha", "Charlie", "bravo", "echo"] {
            entities.push(component(name).build());
        }
        entities.push(component("zulu").namespace("aaa").build());
        import(store, LOCATION, &entities).await;

        let everything = store.list_entities(&filter()).await.unwrap();
        assert_eq!(
            refs_of(&everything.items),
            [
                "api:default/orders",
                "component:aaa/zulu",
                "component:default/Charlie",
                "component:default/alpha",
                "component:default/bravo",
                "component:default/delta",
                "component:default/echo",
                "group:default/team-a",
                "user:default/bob",
            ],
            "ordered by kind, namespace, name"
        );
        let mut paged = Vec::new();
        for offset in (0..10).step_by(4) {
            let page = store.list_entities(&EntityFilter { limit: 4, offset, ..filter() }).await.unwrap();
            assert_eq!(page.total, 9, "the total counts every match, not the page");
            assert!(page.items.len() <= 4);
            paged.extend(refs_of(&page.items));
        }
        assert_eq!(paged, refs_of(&everything.items), "pages join up without gaps or repeats");
        let past_the_end = store.list_entities(&EntityFilter { offset: 100, ..filter() }).await.unwrap();
        assert_eq!((past_the_end.items.len(), past_the_end.total), (0, 9));
        let zero = store.list_entities(&EntityFilter { limit: 0, ..filter() }).await.unwrap();
        assert_eq!(zero.items.len(), 1, "a page holds at least one entity");
        let huge = store.list_entities(&EntityFilter { limit: 10_000, ..filter() }).await.unwrap();
        assert_eq!(huge.items.len(), 9);
    }

    async fn entities_carry_their_relations_both_ways(db) {
        let store = db.migrated().await;
        let entities = [
            group("team-a").build(),
            user("alice").member_of("team-a").build(),
            component("checkout").owner("team-a").depends_on("resource:default/not-stored").build(),
        ];
        import(store, LOCATION, &entities).await;
        // Another location refers to team-a too.
        import(store, OTHER_LOCATION, &[user("bob").member_of("team-a").build()]).await;

        let team = stored(store, "group:default/team-a").await;
        assert_eq!(
            team.all_relations,
            vec![
                relation(RelationType::OwnerOf, "component:default/checkout"),
                relation(RelationType::HasMember, "user:default/alice"),
                relation(RelationType::HasMember, "user:default/bob"),
            ]
        );
        let checkout = stored(store, "component:default/checkout").await;
        assert_eq!(
            checkout.all_relations,
            vec![
                relation(RelationType::OwnedBy, "group:default/team-a"),
                relation(RelationType::DependsOn, "resource:default/not-stored"),
            ],
            "a relation to an entity that is not stored is kept"
        );

        // Lists and batch reads carry the same relations as single reads.
        let page = store.list_entities(&EntityFilter { kind: Some("group".into()), ..filter() }).await.unwrap();
        assert_eq!(page.items, vec![team.clone()]);
        let batch = store.entities(&refs(&["group:default/TEAM-A", "user:default/alice", "user:default/nobody"])).await.unwrap();
        assert_eq!(refs_of(&batch), ["group:default/team-a", "user:default/alice"]);
        assert_eq!(batch[0], team);
        assert_eq!(batch[1].all_relations, vec![relation(RelationType::MemberOf, "group:default/team-a")]);

        // A relation stored before its target exists shows once the target does.
        import(store, OTHER_LOCATION, &[user("bob").member_of("team-a").build(), component("cart").owner("team-z").build()]).await;
        import(store, "/srv/catalog/teams", &[group("team-z").build()]).await;
        assert_eq!(
            stored(store, "group:default/team-z").await.all_relations,
            vec![relation(RelationType::OwnerOf, "component:default/cart")]
        );

        // Changing an entity replaces its relations.
        let moved = [entities[0].clone(), entities[1].clone(), component("checkout").owner("team-z").build()];
        import(store, LOCATION, &moved).await;
        let team = stored(store, "group:default/team-a").await;
        assert!(!team.all_relations.iter().any(|r| r.kind == RelationType::OwnerOf), "{:?}", team.all_relations);
        let team_z = stored(store, "group:default/team-z").await;
        let owned: BTreeSet<String> = team_z.all_relations.iter().map(|r| r.target.to_string()).collect();
        assert_eq!(owned, BTreeSet::from(["component:default/cart".to_owned(), "component:default/checkout".to_owned()]));
    }

    async fn a_raw_event_is_stored_byte_for_byte_and_redelivery_changes_nothing(db) {
        let store = db.migrated().await;
        let body = b"{\"ref\":\"refs/heads/main\"}\xff\x00\xc3\x28 not UTF-8".to_vec();
        let first = store.inspect().insert_raw_event(&raw_event("github", "d-1", &body)).await.unwrap();
        let RawEventInsert::Stored(id) = first else { panic!("the first delivery is stored, got {first:?}") };

        let redelivered = store.inspect().insert_raw_event(&raw_event("github", "d-1", b"another body")).await.unwrap();
        assert_eq!(redelivered, RawEventInsert::Duplicate(id), "a redelivery reports the first event's id");

        let other_source = store.inspect().insert_raw_event(&raw_event("gitlab", "d-1", b"gitlab's")).await.unwrap();
        let RawEventInsert::Stored(other_id) = other_source else { panic!("another source is another event") };
        assert_ne!(other_id, id);

        let github = store.inspect().raw_events("github", 0, 100).await.unwrap();
        assert_eq!(github.len(), 1, "the redelivery added nothing");
        let event = &github[0];
        assert_eq!(event.id, id);
        assert_eq!(event.body, body, "the body is kept byte for byte");
        assert_eq!((event.source.as_str(), event.event_type.as_str(), event.delivery_id.as_str()), ("github", "push", "d-1"));
        assert_eq!(event.received_at, raw_event("github", "d-1", &[]).received_at);
        assert_eq!(store.inspect().raw_events("gitlab", 0, 100).await.unwrap()[0].body, b"gitlab's");

        let empty = store.inspect().insert_raw_event(&raw_event("github", "d-2", b"")).await.unwrap();
        assert!(matches!(empty, RawEventInsert::Stored(_)));
        assert_eq!(store.inspect().raw_events("github", id, 100).await.unwrap()[0].body, b"");
    }

    async fn raw_events_page_by_id(db) {
        let store = db.migrated().await;
        let mut ids = Vec::new();
        for n in 0..5 {
            let outcome = store.inspect().insert_raw_event(&raw_event("github", &format!("gh-{n}"), format!("{n}").as_bytes())).await.unwrap();
            let RawEventInsert::Stored(id) = outcome else { panic!("{outcome:?}") };
            ids.push(id);
            store.inspect().insert_raw_event(&raw_event("alertmanager", &format!("am-{n}"), b"alert")).await.unwrap();
        }
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids increase: {ids:?}");

        let mut seen = Vec::new();
        let mut after = 0;
        loop {
            let page = store.inspect().raw_events("github", after, 2).await.unwrap();
            if page.is_empty() {
                break;
            }
            assert!(page.len() <= 2);
            assert!(page.iter().all(|e| e.source == "github"));
            after = page.last().unwrap().id;
            seen.extend(page.into_iter().map(|e| (e.id, e.body)));
        }
        let expected: Vec<(i64, Vec<u8>)> = ids.iter().enumerate().map(|(n, id)| (*id, n.to_string().into_bytes())).collect();
        assert_eq!(seen, expected, "oldest first, each once");
        assert!(store.inspect().raw_events("pagerduty", 0, 10).await.unwrap().is_empty());
    }

    async fn concurrent_raw_event_inserts_all_land(db) {
        db.migrated().await;
        let mut tasks = Vec::new();
        for task in 0..8 {
            let store = db.store.clone();
            tasks.push(tokio::spawn(async move {
                let mut ids = Vec::new();
                for n in 0..25 {
                    let event = raw_event("github", &format!("task-{task}-{n}"), format!("{task}/{n}").as_bytes());
                    match store.inspect().insert_raw_event(&event).await.expect("a concurrent insert succeeds") {
                        RawEventInsert::Stored(id) => ids.push(id),
                        other => panic!("a distinct delivery is stored, got {other:?}"),
                    }
                }
                ids
            }));
        }
        let mut ids = BTreeSet::new();
        for task in tasks {
            ids.extend(task.await.expect("the task finishes"));
        }
        assert_eq!(ids.len(), 200, "every insert got its own id");
        let stored = db.store.inspect().raw_events("github", 0, 1000).await.unwrap();
        assert_eq!(stored.len(), 200, "every event landed");
        let stored_ids: BTreeSet<i64> = stored.iter().map(|e| e.id).collect();
        assert_eq!(stored_ids, ids);
    }

    async fn raw_events_cannot_be_changed_or_deleted(db) {
        let store = db.migrated().await;
        store.inspect().insert_raw_event(&raw_event("github", "d-1", b"original")).await.unwrap();
        let update = db.try_execute_raw("UPDATE raw_events SET body = x'00'", "UPDATE raw_events SET body = '\\x00'::bytea").await;
        assert!(update.is_err(), "an update is refused");
        let delete = db.try_execute_raw("DELETE FROM raw_events", "DELETE FROM raw_events").await;
        assert!(delete.is_err(), "a delete is refused");
        assert_eq!(store.inspect().raw_events("github", 0, 10).await.unwrap()[0].body, b"original");
    }

    async fn a_large_import_is_stored_whole_and_found_unchanged_again(db) {
        let store = db.migrated().await;
        let mut entities = vec![group("team-a").build(), group("team-b").build()];
        for n in 0..3000 {
            let owner = if n % 3 == 0 { "team-a" } else { "team-b" };
            let dependency = format!("component:default/service-{:04}", (n + 1) % 3000);
            entities.push(component(&format!("service-{n:04}")).owner(owner).depends_on(&dependency).build());
        }
        let first = import(store, LOCATION, &entities).await;
        assert_eq!(first.added.len(), 3002);
        let second = import(store, LOCATION, &entities).await;
        assert_eq!(second, ImportSummary { unchanged: 3002, ..ImportSummary::default() });

        let team_a = stored(store, "group:default/team-a").await;
        assert_eq!(team_a.all_relations.len(), 1000, "team-a owns every third service");
        let page = store.list_entities(&EntityFilter { kind: Some("component".into()), limit: 500, offset: 2900, ..filter() }).await.unwrap();
        assert_eq!((page.items.len(), page.total), (100, 3000));
        let last = page.items.last().unwrap();
        assert_eq!(last.entity.entity_ref.name(), "service-2999");
        assert!(last.all_relations.contains(&relation(RelationType::DependencyOf, "component:default/service-2998")));

        // Keeping half of them orphans the other half in one go.
        let summary = import(store, LOCATION, &entities[..1502]).await;
        assert_eq!((summary.unchanged, summary.orphaned.len()), (1502, 1500));
    }
}
