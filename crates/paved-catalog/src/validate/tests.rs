//! The checks of one document, one behaviour at a time.

use super::*;
use crate::yaml;

fn check(text: &str) -> Checked {
    let parsed = yaml::parse(text);
    assert_eq!(parsed.error, None);
    check_document(&parsed.documents[0], "t.yaml")
}

fn relations(checked: &Checked) -> Vec<String> {
    let entity = checked.entity.as_ref().expect("an entity");
    entity.relations.iter().map(|r| format!("{} {}", r.kind, r.target)).collect()
}

fn codes(checked: &Checked) -> Vec<(ProblemCode, u32, u32)> {
    checked.problems.iter().map(|p| (p.code, p.line, p.column)).collect()
}

#[test]
fn component_relations_use_per_field_default_kinds_and_the_entity_namespace() {
    let checked = check(
        "apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout-api
  namespace: shop
spec:
  type: service
  lifecycle: production
  owner: checkout
  system: storefront
  subcomponentOf: web
  providesApis: [orders]
  consumesApis: [api:default/payments]
  dependsOn: [resource:orders-db, component:pricing]
  dependencyOf: [component:web]
",
    );
    assert!(checked.problems.is_empty(), "{:?}", checked.problems);
    assert_eq!(
        relations(&checked),
        [
            "ownedBy group:shop/checkout",
            "partOf system:shop/storefront",
            "partOf component:shop/web",
            "providesApi api:shop/orders",
            "consumesApi api:default/payments",
            "dependsOn resource:shop/orders-db",
            "dependsOn component:shop/pricing",
            "dependencyOf component:shop/web",
        ]
    );
    let entity = checked.entity.unwrap();
    assert_eq!(entity.entity_ref.to_string(), "component:shop/checkout-api");
    assert_eq!(entity.owner.unwrap().to_string(), "group:shop/checkout");
    assert_eq!(entity.spec_type.as_deref(), Some("service"));
    assert_eq!(entity.lifecycle.as_deref(), Some("production"));
    assert_eq!((entity.source.line, entity.source.column), (1, 1));
}

#[test]
fn group_user_system_and_domain_relations() {
    let group = check(
        "apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: checkout}
spec: {type: team, parent: commerce, children: [checkout-web], members: [jane, user:ops/joe]}
",
    );
    assert_eq!(
        relations(&group),
        [
            "childOf group:default/commerce",
            "parentOf group:default/checkout-web",
            "hasMember user:default/jane",
            "hasMember user:ops/joe",
        ]
    );
    let user =
        check("apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: {name: jane}\nspec: {memberOf: [checkout]}\n");
    assert_eq!(relations(&user), ["memberOf group:default/checkout"]);
    assert_eq!(user.refs[0].dangling, Dangling::MemberOf);
    let system = check(
        "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata: {name: s}\nspec: {owner: user:jane, domain: commerce}\n",
    );
    assert_eq!(relations(&system), ["ownedBy user:default/jane", "partOf domain:default/commerce"]);
    let domain = check(
        "apiVersion: backstage.io/v1alpha1\nkind: Domain\nmetadata: {name: d}\nspec: {owner: a, subdomainOf: commerce}\n",
    );
    assert_eq!(relations(&domain), ["ownedBy group:default/a", "partOf domain:default/commerce"]);
}

#[test]
fn missing_fields_point_at_their_parent() {
    let checked = check(
        "apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: foo
spec:
  type: service
  owner: ''
",
    );
    assert_eq!(codes(&checked), [(ProblemCode::MissingField, 5, 1), (ProblemCode::InvalidField, 7, 10)]);
    assert_eq!(checked.problems[0].message, "spec.lifecycle is missing");
    assert_eq!(checked.problems[0].entity.as_deref(), Some("component:default/foo"));
    assert!(checked.has_error);
}

#[test]
fn depends_on_needs_a_kind() {
    let checked = check(
        "apiVersion: backstage.io/v1alpha1
kind: Resource
metadata: {name: db}
spec: {type: database, owner: data, dependsOn: [storage]}
",
    );
    assert_eq!(codes(&checked), [(ProblemCode::BadReference, 4, 49)]);
    assert!(checked.problems[0].hint.contains("component:storage"), "{}", checked.problems[0].hint);
}

#[test]
fn names_namespaces_kinds_and_api_versions() {
    let checked = check(
        "apiVersion: paved.dev/v1alpha1
kind: component
metadata:
  name: -bad
  namespace: Shop
spec: {type: service, lifecycle: production, owner: a}
",
    );
    assert_eq!(
        codes(&checked),
        [
            (ProblemCode::InvalidField, 2, 7),
            (ProblemCode::InvalidField, 1, 13),
            (ProblemCode::BadName, 4, 9),
            (ProblemCode::BadNamespace, 5, 14),
        ]
    );
}

#[test]
fn unknown_kinds_are_kept_with_a_warning_and_paved_kinds_are_known() {
    let checked = check(
        "apiVersion: backstage.io/v1alpha1\nkind: AiResource\nmetadata: {name: x}\nspec: {owner: team-a, whatever: 1}\n",
    );
    assert_eq!(codes(&checked), [(ProblemCode::UnknownKind, 2, 7)]);
    assert_eq!(checked.problems[0].severity, Severity::Warning);
    assert!(!checked.has_error);
    assert_eq!(relations(&checked), ["ownedBy group:default/team-a"]);
    let schedule = check(
        "apiVersion: paved.dev/v1alpha1\nkind: Schedule\nmetadata: {name: checkout-oncall}\nspec:\n  owner: checkout\n  timezone: Europe/Berlin\n  rotations:\n    - {participants: [lena], start: '2026-06-01T09:00', shift: 1w}\n",
    );
    assert!(schedule.problems.is_empty(), "{:?}", schedule.problems);
    assert_eq!(relations(&schedule), ["ownedBy group:default/checkout"]);
    let bad = check(
        "apiVersion: paved.dev/v1alpha1\nkind: Schedule\nmetadata: {name: s}\nspec: {owner: checkout, timezone: Mars/Base, rotations: []}\n",
    );
    let messages: Vec<&str> = bad.problems.iter().map(|p| p.message.as_str()).collect();
    assert!(messages.iter().any(|m| m.contains("spec.timezone `Mars/Base`")), "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("spec.rotations is empty")), "{messages:?}");
    assert!(bad.has_error);
}

#[test]
fn api_definitions_placeholders_and_mcp_servers() {
    let placeholder = check(
        "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: {name: a}\nspec: {type: openapi, lifecycle: production, owner: t, definition: {$text: ./openapi.yaml}}\n",
    );
    assert!(placeholder.problems.is_empty(), "{:?}", placeholder.problems);
    let doc = &placeholder.entity.unwrap().document;
    assert_eq!(doc["spec"]["definition"]["$text"], "./openapi.yaml");
    let missing = check(
        "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: {name: a}\nspec:\n  type: grpc\n  lifecycle: production\n  owner: t\n",
    );
    assert_eq!(codes(&missing), [(ProblemCode::MissingField, 4, 1)]);
    let mcp = check(
        "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: {name: a}\nspec: {type: mcp-server, lifecycle: production, owner: t, remotes: [{type: sse, url: 'http://x'}]}\n",
    );
    assert!(mcp.problems.is_empty(), "{:?}", mcp.problems);
}

#[test]
fn paved_annotations_are_parsed() {
    let checked = check(
        "apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: jane
  annotations:
    paved.dev/emails: Jane@Example.com, jane.doe@acme.example
    github.com/user-login: jane-doe
    paved.dev/timezone: Europe/Berlin
spec:
  profile: {email: jane@example.com}
  memberOf: []
",
    );
    assert!(checked.problems.is_empty(), "{:?}", checked.problems);
    let paved = checked.entity.unwrap().paved;
    assert_eq!(paved.emails, ["jane@example.com", "jane.doe@acme.example"]);
    assert_eq!(paved.github_login.as_deref(), Some("jane-doe"));
    assert_eq!(paved.timezone.as_deref(), Some("Europe/Berlin"));

    let component = check(
        "apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: web
  annotations:
    github.com/project-slug: acme/monorepo
    paved.dev/paths: web/**, libs/ui/**
    paved.dev/production-environments: production, production-eu
    paved.dev/oncall: web-oncall
  links:
    - {url: 'https://wiki.acme.example/runbooks/web', title: Runbook, type: runbook}
    - {url: 'https://grafana.acme.example/d/web', title: Dashboard}
spec: {type: website, lifecycle: production, owner: web}
",
    );
    assert!(component.problems.is_empty(), "{:?}", component.problems);
    let paved = component.entity.unwrap().paved;
    assert_eq!(paved.repo.as_deref(), Some("github.com/acme/monorepo"));
    assert_eq!(paved.paths, ["web/**", "libs/ui/**"]);
    assert_eq!(paved.production_environments, ["production", "production-eu"]);
    assert_eq!(paved.oncall.as_deref(), Some("web-oncall"));
    assert_eq!(paved.runbooks, ["https://wiki.acme.example/runbooks/web"]);
    assert_eq!(component.refs[0].target.to_string(), "schedule:default/web-oncall");
}

#[test]
fn bad_annotations_are_errors_at_the_annotation() {
    let checked = check(
        "apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: jane
  annotations:
    paved.dev/timezone: Europe/Berlinn
    paved.dev/paths: 'src/[a'
    paved.dev/repo: not a repo
    paved.dev/emails: jane
spec: {memberOf: []}
",
    );
    assert_eq!(
        codes(&checked),
        [
            (ProblemCode::BadAnnotation, 8, 21),
            (ProblemCode::BadAnnotation, 7, 22),
            (ProblemCode::BadAnnotation, 9, 23),
            (ProblemCode::BadAnnotation, 6, 25),
        ]
    );
    assert!(checked.problems[3].message.contains("Europe/Berlinn"), "{}", checked.problems[3].message);
    assert!(checked.problems[1].message.starts_with("paved.dev/paths"), "{}", checked.problems[1].message);
}

#[test]
fn contacts_are_parsed_and_bad_ones_are_errors_at_the_annotation() {
    let checked = check(
        "apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: ana
  annotations:
    paved.dev/contacts: 'email:ana@example.com, slack:https://hooks.slack.com/services/T/B/X,
      webhook:https://pager.example.com/paved'
spec: {profile: {email: ana@example.org}, memberOf: []}
",
    );
    assert!(checked.problems.is_empty(), "{:?}", checked.problems);
    let contacts: Vec<String> =
        checked.entity.unwrap().paved.contacts.iter().map(paved_domain::Contact::to_annotation).collect();
    assert_eq!(
        contacts,
        [
            "email:ana@example.com",
            "slack:https://hooks.slack.com/services/T/B/X",
            "webhook:https://pager.example.com/paved"
        ]
    );

    let checked = check(
        "apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: ana
  annotations:
    paved.dev/contacts: email:ana, slack:ftp://hooks.slack.com/SECRET, sms:+491234, email:ana@example.com
spec: {memberOf: []}
",
    );
    assert_eq!(
        codes(&checked),
        [(ProblemCode::BadAnnotation, 6, 25), (ProblemCode::BadAnnotation, 6, 25), (ProblemCode::BadAnnotation, 6, 25)]
    );
    let messages: Vec<&str> = checked.problems.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "paved.dev/contacts: `ana` is not an e-mail address",
            "paved.dev/contacts: the URL's scheme is `ftp`, not http or https",
            "paved.dev/contacts: `sms` is not a kind of contact pavedroad knows",
        ]
    );
    assert_eq!(checked.entity.unwrap().paved.contacts.len(), 1, "the good item is kept");

    let empty = check(
        "apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: ana
  annotations:
    paved.dev/contacts: ' , '
spec: {memberOf: []}
",
    );
    assert_eq!(codes(&empty), [(ProblemCode::BadAnnotation, 6, 25)]);
    assert!(empty.problems[0].message.contains("names no contact"), "{}", empty.problems[0].message);
}

const DEPLOY_TARGET: &str = r#"apiVersion: paved.dev/v1alpha1
kind: DeployTarget
metadata: { name: checkout-api-production }
spec:
  component: checkout-api
  environment: production
  steps:
    - name: release
      run: ./deploy.sh
      timeout: 10m
    - name: bump
      gitops: { repo: /srv/git/deploy-config.git, branch: main, file: apps/checkout/values.yaml, key: image.tag }
    - name: notify-ci
      http: { url: https://ci.example/hooks/deploy, method: POST, secret_env: CI_HOOK_TOKEN }
  health:
    http: { url: http://127.0.0.1:8080/healthz, expect: 200, consecutive: 3, interval: 2s, timeout: 2m }
  rollback: automatic
  policy:
    checks_passed: true
    deny_windows: [ { days: [fri], from: "15:00", to: "23:59", timezone: Europe/Berlin } ]
    block_on_open_incident: SEV-2
    allow: [ user:default/sam ]
"#;

#[test]
fn a_deploy_target_is_read_whole() {
    let checked = check(DEPLOY_TARGET);
    assert!(checked.problems.is_empty(), "{:?}", checked.problems);
    let target = paved_domain::DeployTarget::parse(checked.entity.as_ref().unwrap()).unwrap();
    assert_eq!(target.component.to_string(), "component:default/checkout-api");
    assert_eq!(target.steps.len(), 3);
    assert_eq!(target.steps[0].timeout, std::time::Duration::from_secs(600));
    assert!(matches!(&target.steps[1].action, paved_domain::StepAction::Gitops { key, .. } if key == "image.tag"));
    assert_eq!(target.health.as_ref().map(|h| (h.consecutive, h.interval.as_secs())), Some((3, 2)));
    assert_eq!(target.rollback, paved_domain::Rollback::Automatic);
    assert_eq!(target.policy.deny_windows[0].days.len(), 1);
    assert_eq!(target.policy.deny_windows[0].from.to_string(), "15:00:00");
    assert_eq!(target.policy.allow[0].to_string(), "user:default/sam");
    let index = paved_domain::CatalogIndex::new(checked.entity.as_ref());
    let found = index.deploy_target(&target.component, "Production").expect("found by service and environment");
    assert_eq!(found.entity_ref.name(), "checkout-api-production");
    assert!(index.deploy_target(&target.component, "staging").is_none());
    assert_eq!(index.deploy_targets_of(&target.component).len(), 1);
}

#[test]
fn a_deploy_targets_problems_point_at_their_fields() {
    let bad = DEPLOY_TARGET
        .replace("      timeout: 10m", "      timeout: ten minutes")
        .replace("    - name: notify-ci\n", "    - name: notify-ci\n      run: ./also.sh\n")
        .replace("rollback: automatic", "rollback: sometimes")
        .replace("days: [fri]", "days: [funday]")
        .replace("  component: checkout-api\n", "");
    let checked = check(&bad);
    let problems: Vec<(u32, u32, &str)> =
        checked.problems.iter().map(|p| (p.line, p.column, p.message.as_str())).collect();
    let at = |line: u32| problems.iter().find(|p| p.0 == line).unwrap_or_else(|| panic!("line {line}: {problems:?}"));
    assert!(at(4).2.contains("spec.component is missing"), "{problems:?}");
    assert!(at(9).2.contains("spec.steps[0].timeout: `ten minutes` is not a span"), "{problems:?}");
    assert_eq!(at(9).1, 7, "at the key");
    assert!(at(12).2.contains("spec.steps[2] needs exactly one of"), "{problems:?}");
    assert!(at(17).2.contains("spec.rollback `sometimes`"), "{problems:?}");
    assert!(at(20).2.contains("days must list weekdays"), "{problems:?}");
    assert!(checked.problems.iter().all(|p| p.code == ProblemCode::InvalidField && p.severity == Severity::Error));
}
