//! Provisioned resources' leases on every backend: a ready resource is
//! taken for one rotation at a time, its new sealed secret stored only by
//! who holds it, which lets it go; a failed request may be removed but has
//! nothing to rotate.

use chrono::{Duration, Utc};
use paved_store::{NewAudit, NewResource, ResourceOutcome, ResourceState};
use serde_json::json;

use crate::harness::contract_tests;

fn new(name: &str) -> NewResource {
    NewResource {
        entity_ref: format!("resource:default/{name}").parse().unwrap(),
        module: "module:default/postgres-database".parse().unwrap(),
        service: "component:default/checkout-api".parse().unwrap(),
        team: "group:default/checkout".parse().unwrap(),
        name: name.into(),
        parameters: json!({}),
        requested_by: "user:default/ana.souza (token 1)".into(),
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
    async fn a_ready_resource_is_rotated_by_one_holder_at_a_time_and_let_go(db) {
        let store = db.migrated().await;
        let later = Utc::now() + Duration::minutes(2);
        let (made, _) = store.request_resource(&new("checkout-api-orders"), "provision-1", later, &audit("provision.request")).await.unwrap();
        assert!(store.lease_resource(made.id, "rotate-1", later, false).await.unwrap().is_none(), "not while it is being made");
        let ready = ResourceOutcome::Ready { outputs: json!({ "user": "checkout_api_orders" }), sealed: Some("v1:first".into()) };
        store.finish_resource(made.id, "provision-1", &ready, &audit("provision.ready")).await.unwrap().unwrap();

        let taken = store.lease_resource(made.id, "rotate-1", later, false).await.unwrap().expect("a ready resource is taken");
        assert_eq!(taken.state, ResourceState::Ready, "its state is kept");
        assert!(store.lease_resource(made.id, "rotate-2", later, false).await.unwrap().is_none(), "one rotation at a time");
        assert!(store.lease_resource(made.id, "deprovision-1", later, true).await.unwrap().is_none(), "nor a removal meanwhile");
        assert!(!store.reseal_resource(made.id, "rotate-2", "v1:stolen", &audit("provision.rotate")).await.unwrap(), "only its holder stores");
        assert!(store.reseal_resource(made.id, "rotate-1", "v1:second", &audit("provision.rotate")).await.unwrap());
        let now = store.resource(&made.entity_ref).await.unwrap().unwrap();
        assert_eq!((now.state, now.sealed.as_deref()), (ResourceState::Ready, Some("v1:second")));
        assert_eq!(now.outputs, Some(json!({ "user": "checkout_api_orders" })), "the outputs are kept");
        assert!(store.lease_resource(made.id, "rotate-3", later, false).await.unwrap().is_some(), "resealing let it go");

        let log = store.audit_log(10).await.unwrap();
        assert_eq!(log.iter().filter(|e| e.action == "provision.rotate").count(), 1, "a refused reseal is not audited");
        assert_eq!(log[0].target, "resource:default/checkout-api-orders");
    }

    async fn a_failed_request_may_be_removed_but_not_rotated(db) {
        let store = db.migrated().await;
        let later = Utc::now() + Duration::minutes(2);
        let (made, _) = store.request_resource(&new("checkout-api-cache"), "provision-1", later, &audit("provision.request")).await.unwrap();
        let failed = ResourceOutcome::Failed { error: "the server refused".into() };
        store.finish_resource(made.id, "provision-1", &failed, &audit("provision.fail")).await.unwrap().unwrap();
        assert!(store.lease_resource(made.id, "rotate-1", later, false).await.unwrap().is_none(), "nothing to rotate");
        let taken = store.lease_resource(made.id, "deprovision-1", later, true).await.unwrap().expect("it may be removed");
        assert_eq!(taken.state, ResourceState::Deprovisioning);
    }
}
