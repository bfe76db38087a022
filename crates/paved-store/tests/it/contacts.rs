//! People's added contacts on every backend: added, listed by person in
//! the order added, removed only as their person's, each change audited
//! in the same transaction; a NUL is refused and nothing is written.

use paved_store::{NewAudit, NewPersonContact, StoreError};

use crate::harness::contract_tests;

fn new(person: &str, shown: &str) -> NewPersonContact {
    NewPersonContact {
        person: format!("user:default/{person}").parse().unwrap(),
        kind: "webhook".into(),
        shown: shown.into(),
        sealed: format!("v1:sealed-{shown}"),
        created_by: format!("user:default/{person} (token 1)"),
    }
}

fn audit(action: &str) -> NewAudit {
    NewAudit {
        actor: "user:default/ana.souza (token 1)".into(),
        action: action.into(),
        target: String::new(),
        detail: None,
        service: None,
        decision: None,
    }
}

contract_tests! {
    async fn contacts_are_added_listed_by_person_and_removed_only_as_theirs(db) {
        let store = db.migrated().await;
        let ana: paved_domain::EntityRef = "user:default/ana.souza".parse().unwrap();
        let first = store.add_person_contact(&new("Ana.Souza", "https://pager.example.com"), &audit("oncall.contact.add")).await.unwrap();
        assert_eq!(first.person.to_string(), "user:default/ana.souza", "kept by its key");
        assert_eq!((first.kind.as_str(), first.sealed.as_str()), ("webhook", "v1:sealed-https://pager.example.com"));
        let second = store.add_person_contact(&new("ana.souza", "https://chat.example.com"), &audit("oncall.contact.add")).await.unwrap();
        let other = store.add_person_contact(&new("marco.rossi", "https://marco.example.com"), &audit("oncall.contact.add")).await.unwrap();
        let ids = |list: Vec<paved_store::StoredPersonContact>| list.into_iter().map(|c| c.id).collect::<Vec<_>>();
        assert_eq!(ids(store.person_contacts(Some(&ana)).await.unwrap()), [first.id, second.id], "hers, in the order added");
        assert_eq!(ids(store.person_contacts(None).await.unwrap()), [first.id, second.id, other.id]);

        assert_eq!(store.remove_person_contact(&ana, other.id, &audit("oncall.contact.remove")).await.unwrap(), None, "not hers");
        assert_eq!(store.remove_person_contact(&ana, first.id, &audit("oncall.contact.remove")).await.unwrap(), Some(first.clone()));
        assert_eq!(ids(store.person_contacts(Some(&ana)).await.unwrap()), [second.id]);

        let log = store.audit_log(10).await.unwrap();
        assert_eq!((log[0].action.as_str(), log[0].target.clone()), ("oncall.contact.remove", format!("contact {} of user:default/ana.souza", first.id)));
        assert_eq!(log.iter().filter(|e| e.action == "oncall.contact.remove").count(), 1, "a refused removal is not audited");
        assert_eq!(log.iter().filter(|e| e.action == "oncall.contact.add").count(), 3);
    }

    async fn a_contact_holding_a_nul_is_refused_and_nothing_is_written(db) {
        let store = db.migrated().await;
        let mut nul = new("ana.souza", "https://pager.example.com");
        nul.shown = "a\0b".into();
        let refused = store.add_person_contact(&nul, &audit("oncall.contact.add")).await.unwrap_err();
        assert!(matches!(refused, StoreError::InvalidRecord { .. }) && refused.to_string().contains("NUL"), "{refused}");
        assert!(store.person_contacts(None).await.unwrap().is_empty());
        assert!(store.audit_log(10).await.unwrap().is_empty(), "nor audited");
    }
}
