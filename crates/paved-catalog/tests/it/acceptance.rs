//! The acceptance scenario: one file with a YAML syntax error, one with a
//! dangling owner and a missing field; every problem is reported at its
//! exact place and the valid entities still load.

use tempfile::TempDir;

use crate::support::{load_paths, located, render, write_files};

const BROKEN: &str = "\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: checkout
spec:
  type: team
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: cart: service
spec:
  type: service
";

const SERVICES: &str = "\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: orders
spec:
  type: service
  lifecycle: production
  owner: fulfilment
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
spec:
  type: service
  owner: checkout
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout-api
spec:
  type: service
  lifecycle: production
  owner: checkout
";

#[test]
fn three_errors_each_at_its_place_and_the_valid_entities_load() {
    let dir = TempDir::new().unwrap();
    write_files(dir.path(), &[("broken.yaml", BROKEN), ("services.yaml", SERVICES)]);
    let load = load_paths(&[dir.path().to_path_buf()]);

    let errors: Vec<_> = load.errors().collect();
    assert_eq!(
        located(&errors, dir.path()),
        ["yaml-syntax broken.yaml:12:13", "dangling-owner services.yaml:8:10", "missing-field services.yaml:14:1",],
        "{}",
        render(&load)
    );
    assert_eq!(load.warnings().count(), 0, "{}", render(&load));

    assert_eq!(errors[1].entity.as_deref(), Some("component:default/orders"));
    assert_eq!(errors[1].message, "spec.owner refers to group:default/fulfilment, which is not in the catalog");
    assert_eq!(errors[2].entity.as_deref(), Some("component:default/payments"));
    assert_eq!(errors[2].message, "spec.lifecycle is missing");
    let shown = errors[2].to_string();
    let expected_start = format!(
        "{}/services.yaml:14:1: error[missing-field] component:default/payments: spec.lifecycle is missing\n  help: ",
        dir.path().display()
    );
    assert!(shown.starts_with(&expected_start), "{shown}");

    // The Group parsed before the syntax error, and the valid Component.
    let loaded: Vec<String> = load.entities.iter().map(|e| e.entity_ref.to_string()).collect();
    assert_eq!(loaded, ["group:default/checkout", "component:default/checkout-api"]);
    assert_eq!(load.files_read.len(), 2);
    assert_eq!(load.documents, 4);
}
