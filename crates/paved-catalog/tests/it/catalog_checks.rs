//! Checks over the whole catalog, and problems inside entities, through
//! `load` as a user sees them.

use paved_catalog::{ProblemCode, Severity};
use tempfile::TempDir;

use crate::support::{load_paths, located, render, write_files};

fn entity(kind: &str, name: &str, spec: &str) -> String {
    format!("apiVersion: backstage.io/v1alpha1\nkind: {kind}\nmetadata:\n  name: {name}\nspec:\n{spec}")
}

#[test]
fn a_duplicate_entity_is_an_error_on_the_second_naming_the_first() {
    let dir = TempDir::new().unwrap();
    let group = entity("Group", "checkout", "  type: team\n  children: []\n");
    write_files(dir.path(), &[("a.yaml", &group), ("b.yaml", &group.replace("name: checkout", "name: Checkout"))]);
    let load = load_paths(&[dir.path().to_path_buf()]);
    let problems: Vec<_> = load.problems.iter().collect();
    assert_eq!(located(&problems, dir.path()), ["duplicate-entity b.yaml:1:1"], "{}", render(&load));
    let first = format!("{}/a.yaml:1:1", dir.path().display());
    assert!(problems[0].message.contains(&first), "{}", problems[0].message);
    assert_eq!(load.entities.len(), 1);
    assert!(load.entities[0].source.file.ends_with("a.yaml"));
}

#[test]
fn a_user_in_a_missing_group_is_an_error_other_dangling_references_are_warnings() {
    let dir = TempDir::new().unwrap();
    let files = [
        entity("Group", "checkout", "  type: team\n  children: []\n"),
        entity("User", "jane", "  memberOf: [checkout, chekout]\n"),
        entity(
            "Component",
            "web",
            "  type: website\n  lifecycle: production\n  owner: checkout\n  system: storefront\n  dependsOn: [component:api]\n",
        ),
    ]
    .join("---\n");
    write_files(dir.path(), &[("catalog-info.yaml", &files)]);
    let load = load_paths(&[dir.path().to_path_buf()]);
    let problems: Vec<_> = load.problems.iter().collect();
    assert_eq!(
        located(&problems, dir.path()),
        [
            "dangling-member-of catalog-info.yaml:14:24",
            "dangling-reference catalog-info.yaml:24:11",
            "dangling-reference catalog-info.yaml:25:15",
        ],
        "{}",
        render(&load)
    );
    assert_eq!(problems[0].severity, Severity::Error);
    assert_eq!(problems[0].entity.as_deref(), Some("user:default/jane"));
    assert!(problems[0].message.contains("group:default/chekout"), "{}", problems[0].message);
    assert!(problems[0].hint.starts_with("did you mean group:default/checkout?"), "{}", problems[0].hint);
    assert_eq!(problems[1].severity, Severity::Warning);
    // The warned entity is loaded; the one with an error is not.
    let refs: Vec<String> = load.entities.iter().map(|e| e.entity_ref.to_string()).collect();
    assert_eq!(refs, ["group:default/checkout", "component:default/web"]);
}

#[test]
fn a_reference_in_the_wrong_namespace_gets_a_did_you_mean_hint() {
    let dir = TempDir::new().unwrap();
    let group = entity("Group", "sre", "  type: team\n  children: []\n")
        .replace("  name: sre\n", "  name: sre\n  namespace: ops\n");
    let component = entity("Component", "web", "  type: website\n  lifecycle: production\n  owner: sre\n");
    write_files(dir.path(), &[("a.yaml", &format!("{group}---\n{component}"))]);
    let load = load_paths(&[dir.path().to_path_buf()]);
    let errors: Vec<_> = load.errors().collect();
    assert_eq!(errors.len(), 1, "{}", render(&load));
    assert_eq!(errors[0].code, ProblemCode::DanglingOwner);
    assert!(errors[0].hint.contains("group:ops/sre"), "{}", errors[0].hint);
}

#[test]
fn invalid_annotations_are_reported_at_the_annotation_and_the_rest_is_checked_too() {
    let dir = TempDir::new().unwrap();
    let text = "\
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: jane
  annotations:
    paved.dev/timezone: Mars/Olympus_Mons
spec:
  memberOf: []
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: web
  annotations:
    paved.dev/paths: 'apps/web/**, apps/{web'
    paved.dev/repo: https://github.com/acme/web.git
spec:
  type: website
  owner: jane
";
    write_files(dir.path(), &[("catalog-info.yaml", text)]);
    let load = load_paths(&[dir.path().to_path_buf()]);
    let problems: Vec<_> = load.problems.iter().collect();
    assert_eq!(
        located(&problems, dir.path()),
        [
            "bad-annotation catalog-info.yaml:6:25",
            "bad-annotation catalog-info.yaml:15:22",
            "missing-field catalog-info.yaml:17:1",
            "dangling-owner catalog-info.yaml:19:10",
        ],
        "{}",
        render(&load)
    );
    assert!(problems[0].message.contains("Mars/Olympus_Mons"), "{}", problems[0].message);
    assert!(problems[0].hint.contains("Europe/Berlin"), "{}", problems[0].hint);
    assert!(problems[1].message.contains("apps/{web"), "{}", problems[1].message);
    // `owner: jane` means group:default/jane; the hint points at the User.
    assert!(problems[3].hint.contains("user:default/jane"), "{}", problems[3].hint);
}

#[test]
fn a_bad_contact_is_reported_at_the_annotation_without_the_webhook_secret() {
    let dir = TempDir::new().unwrap();
    let text = "\
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: ana
  annotations:
    paved.dev/contacts: 'email:ana@example.com, https://hooks.slack.com/services/T/B/SECRET'
spec:
  profile: {email: ana@example.org}
  memberOf: []
";
    write_files(dir.path(), &[("catalog-info.yaml", text)]);
    let load = load_paths(&[dir.path().to_path_buf()]);
    let problems: Vec<_> = load.problems.iter().collect();
    assert_eq!(located(&problems, dir.path()), ["bad-annotation catalog-info.yaml:6:25"], "{}", render(&load));
    assert_eq!(
        problems[0].message, "paved.dev/contacts: https://hooks.slack.com/… does not say its kind",
        "the secret path is not repeated"
    );
    assert!(problems[0].hint.contains("`slack:URL`"), "{}", problems[0].hint);
}

#[test]
fn problems_serialise_for_json_output() {
    let dir = TempDir::new().unwrap();
    write_files(dir.path(), &[("catalog-info.yaml", &entity("Group", "bad name", "  type: team\n  children: []\n"))]);
    let load = load_paths(&[dir.path().to_path_buf()]);
    let json = serde_json::to_value(&load).unwrap();
    let problem = &json["problems"][0];
    assert_eq!(problem["severity"], "error");
    assert_eq!(problem["code"], "bad-name");
    assert_eq!((problem["line"].as_u64(), problem["column"].as_u64()), (Some(4), Some(9)));
    assert_eq!(problem["entity"], "group:default/bad name");
    assert_eq!(json["documents"], 1);
}

#[test]
fn thousands_of_distinct_dangling_owners_are_each_reported() {
    let dir = TempDir::new().unwrap();
    // 1,000 groups whose names are as long as the 5,000 missing owners, so
    // every owner has to be compared with them for a "did you mean" hint.
    let mut docs: Vec<String> =
        (0..1000).map(|i| entity("Group", &format!("group-{i:04}"), "  type: team\n  children: []\n")).collect();
    // The first owner is a typo of an existing group.
    docs.push(entity("Component", "c0", "  type: service\n  lifecycle: production\n  owner: gruop-0007\n"));
    for i in 1..5000 {
        let spec = format!("  type: service\n  lifecycle: production\n  owner: owner-{i:04}\n");
        docs.push(entity("Component", &format!("c{i}"), &spec));
    }
    write_files(dir.path(), &[("catalog-info.yaml", &docs.join("---\n"))]);
    let load = load_paths(&[dir.path().to_path_buf()]);
    let errors: Vec<_> = load.errors().collect();
    assert_eq!(errors.len(), 5000, "{}", render(&load));
    assert!(errors.iter().all(|e| e.code == ProblemCode::DanglingOwner));
    let owners: std::collections::HashSet<_> = errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(owners.len(), 5000);
    assert!(errors[0].message.contains("group:default/gruop-0007"), "{}", errors[0].message);
    assert_eq!(errors[0].hint, "did you mean group:default/group-0007? write the full reference");
    assert_eq!(load.entities.len(), 1000);
}

#[test]
fn globs_with_alternatives_in_braces_are_one_path() {
    let dir = TempDir::new().unwrap();
    let group = entity("Group", "checkout", "  type: team\n  children: []\n");
    let component = entity("Component", "web", "  type: website\n  lifecycle: production\n  owner: checkout\n")
        .replace(
            "  name: web\n",
            "  name: web\n  annotations:\n    paved.dev/paths: \"services/{checkout,cart}/**, libs/ui/**\"\n",
        );
    write_files(dir.path(), &[("catalog-info.yaml", &format!("{group}---\n{component}"))]);
    let load = load_paths(&[dir.path().to_path_buf()]);
    assert!(load.problems.is_empty(), "{}", render(&load));
    let web = crate::support::entity(&load, "component:default/web");
    assert_eq!(web.paved.paths, ["services/{checkout,cart}/**", "libs/ui/**"]);
}

#[test]
fn a_deploy_target_for_a_component_not_in_the_catalog_is_an_error_at_its_component() {
    let dir = TempDir::new().unwrap();
    let files = [
        entity("Group", "checkout", "  type: team\n  children: []\n"),
        entity("Component", "checkout-api", "  type: service\n  lifecycle: production\n  owner: checkout\n"),
        "apiVersion: paved.dev/v1alpha1\nkind: DeployTarget\nmetadata:\n  name: web-production\nspec:\n  component: checkout-apii\n  environment: production\n  steps: [ { run: ./deploy.sh } ]\n  policy: { allow: [ user:sam ] }\n".to_owned(),
    ]
    .join("---\n");
    write_files(dir.path(), &[("catalog-info.yaml", &files)]);
    let load = load_paths(&[dir.path().to_path_buf()]);
    let problems: Vec<_> = load.problems.iter().collect();
    assert_eq!(
        located(&problems, dir.path()),
        ["dangling-reference catalog-info.yaml:23:3", "dangling-reference catalog-info.yaml:26:13"],
        "{}",
        render(&load)
    );
    assert_eq!((problems[0].severity, problems[1].severity), (Severity::Error, Severity::Warning));
    assert!(problems[0].message.contains("component:default/checkout-apii"), "{}", problems[0].message);
    assert!(problems[0].hint.contains("did you mean component:default/checkout-api"), "{}", problems[0].hint);
    assert_eq!(load.entities.len(), 2, "the target is not loaded");
}

#[test]
fn an_escalation_policy_pages_only_what_exists_and_its_problems_point_at_their_fields() {
    let dir = TempDir::new().unwrap();
    let policy = |steps: &str| {
        format!(
            "apiVersion: paved.dev/v1alpha1\nkind: EscalationPolicy\nmetadata:\n  name: checkout\nspec:\n  owner: checkout\n  steps:\n{steps}  repeat: 1\n"
        )
    };
    let files = [
        entity("Group", "checkout", "  type: team\n  children: []\n"),
        entity("Component", "checkout-api", "  type: service\n  lifecycle: production\n  owner: checkout\n")
            .replace("metadata:\n", "metadata:\n  annotations: { paved.dev/escalation-policy: checkout }\n"),
        policy("    - notify: [group:checkout, user:sam]\n      after: 10m\n    - notify: [group:checkout]\n      after: 5s\n"),
    ]
    .join("---\n");
    write_files(dir.path(), &[("catalog-info.yaml", &files)]);
    let load = load_paths(&[dir.path().to_path_buf()]);
    let text = render(&load);
    let located: Vec<(u32, u32, &str)> = load.problems.iter().map(|p| (p.line, p.column, p.message.as_str())).collect();
    assert_eq!(located.len(), 1, "{text}");
    assert_eq!((located[0].0, located[0].1), (29, 7), "at the step's `after`: {text}");
    assert!(located[0].2.contains("spec.steps[1].after is between 10s and 24h"), "{text}");

    let unknown = files.replace("after: 5s", "after: 15m");
    write_files(dir.path(), &[("catalog-info.yaml", &unknown)]);
    let load = load_paths(&[dir.path().to_path_buf()]);
    let text = render(&load);
    assert_eq!(load.problems.len(), 1, "{text}");
    let problem = &load.problems[0];
    assert!(problem.message.contains("user:default/sam") && problem.severity == Severity::Error, "{text}");
    assert_eq!(
        (problem.line, problem.column),
        (26, 7),
        "a step paging someone unknown is an error at its notify: {text}"
    );

    let good = files.replace("after: 5s", "after: 15m").replace(", user:sam", "");
    write_files(dir.path(), &[("catalog-info.yaml", &good)]);
    let load = load_paths(&[dir.path().to_path_buf()]);
    assert!(load.problems.is_empty(), "{}", render(&load));
    let api = crate::support::entity(&load, "component:default/checkout-api");
    assert_eq!(api.paved.escalation_policy.as_deref(), Some("checkout"));
}

#[test]
fn a_module_s_problems_and_a_bad_parameter_schema_point_at_their_fields() {
    let dir = TempDir::new().unwrap();
    let module = |spec: &str| {
        format!(
            "apiVersion: paved.dev/v1alpha1\nkind: Module\nmetadata:\n  name: postgres-database\nspec:\n  owner: platform\n{spec}"
        )
    };
    let files = [
        entity("Group", "platform", "  type: team\n  children: []\n"),
        module("  driver: postgres\n  server: main\n  parameters:\n    type: object\n    properties:\n      class: { type: strin }\n  limits: { per_team: 2 }\n"),
    ]
    .join("---\n");
    write_files(dir.path(), &[("catalog-info.yaml", &files)]);
    let load = load_paths(&[dir.path().to_path_buf()]);
    let text = render(&load);
    assert_eq!(load.problems.len(), 1, "{text}");
    let problem = &load.problems[0];
    assert!(problem.message.starts_with("spec.parameters is not a valid JSON Schema"), "{text}");
    assert_eq!((problem.line, problem.column), (20, 16), "at the bad `type`: {text}");

    let wrong = files.replace("  driver: postgres\n  server: main\n", "  driver: mysql\n");
    write_files(dir.path(), &[("catalog-info.yaml", &wrong)]);
    let load = load_paths(&[dir.path().to_path_buf()]);
    let text = render(&load);
    assert!(
        load.problems.iter().any(|p| p.message.contains("spec.driver `mysql` is not postgres, redis or terraform")
            && (p.line, p.column) == (15, 3)),
        "{text}"
    );

    let good = files.replace("strin", "string");
    write_files(dir.path(), &[("catalog-info.yaml", &good)]);
    let load = load_paths(&[dir.path().to_path_buf()]);
    assert!(load.problems.is_empty(), "{}", render(&load));
    assert_eq!(load.entities.len(), 2);
}

#[test]
fn a_template_s_unknown_action_and_bad_form_schema_point_at_their_fields() {
    let dir = TempDir::new().unwrap();
    let template = "apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: python-service
spec:
  owner: platform
  type: service
  parameters:
    - title: The service
      properties:
        name: { type: strin }
  steps:
    - id: fetch
      action: fetch:template
      input: { url: ./skeleton }
    - id: publish
      action: publish:github
";
    let files = [entity("Group", "platform", "  type: team\n  children: []\n"), template.to_owned()].join("---\n");
    write_files(dir.path(), &[("catalog-info.yaml", &files)]);
    let load = load_paths(&[dir.path().to_path_buf()]);
    let text = render(&load);
    let action = load.problems.iter().find(|p| p.message.contains("`publish:github` is not an action pavedroad runs"));
    assert_eq!(action.map(|p| (p.line, p.column)), Some((25, 7)), "at the step's action: {text}");

    let fixed = files.replace("publish:github", "publish:git");
    write_files(dir.path(), &[("catalog-info.yaml", &fixed)]);
    let load = load_paths(&[dir.path().to_path_buf()]);
    let text = render(&load);
    assert_eq!(load.problems.len(), 1, "{text}");
    assert!(load.problems[0].message.starts_with("spec.parameters[0] is not a valid JSON Schema"), "{text}");
    assert_eq!((load.problems[0].line, load.problems[0].column), (19, 17), "at the bad `type`: {text}");

    let good = fixed.replace("strin", "string");
    write_files(dir.path(), &[("catalog-info.yaml", &good)]);
    let load = load_paths(&[dir.path().to_path_buf()]);
    assert!(load.problems.is_empty(), "{}", render(&load));
    let wrong_version = good.replace("scaffolder.backstage.io/v1beta3", "scaffolder.backstage.io/v1beta2");
    write_files(dir.path(), &[("catalog-info.yaml", &wrong_version)]);
    let load = load_paths(&[dir.path().to_path_buf()]);
    assert!(render(&load).contains("write `apiVersion: scaffolder.backstage.io/v1beta3`"), "{}", render(&load));
}
