//! `POST /api/v1/templates/{name}/runs` over real HTTP: a member of the
//! owner team starts a service from the Python golden path — its first
//! commit authored by them, its entity in the catalog owned by the team —
//! a member of another team is refused naming the team's people, and a dry
//! run answers the files and changes nothing.

use serde_json::json;

use crate::helpers::TestApp;
use crate::sign_in::Browser;
use paved_server::ServerSettings;
use paved_store::TokenScope;

fn person(name: &str) -> TokenScope {
    TokenScope::User(format!("user:default/{name}").parse().unwrap())
}

fn git(repo: &std::path::Path, args: &[&str]) -> String {
    let output = std::process::Command::new("git").arg("--git-dir").arg(repo).args(args).output().unwrap();
    assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

crate::helpers::on_tests! {
    async fn a_member_starts_a_service_from_a_golden_path_and_others_are_refused(on) {
        let repos = tempfile::tempdir().unwrap();
        let template = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/templates/python-service/template.yaml");
        let mut settings = ServerSettings::default();
        settings.scaffold.repositories = repos.path().display().to_string();
        let app = TestApp::spawn_with_catalog(on, settings, &[template]).await;
        let (james, ana) = (app.token(person("james.carter")).await, app.token(person("ana.souza")).await);
        let path = "/api/v1/templates/python-service/runs";
        let ask = |dry_run: bool| json!({ "parameters": { "name": "ledger", "owner": "payments" }, "dry_run": dry_run });

        let (status, refused) = app.send(reqwest::Method::POST, path, Some(&ana), Some(ask(false))).await;
        assert_eq!(status, 403, "{refused}");
        assert!(refused["error"]["message"].as_str().unwrap().contains("james.carter"), "names the team's people: {refused}");

        let (status, dry) = app.send(reqwest::Method::POST, path, Some(&james), Some(ask(true))).await;
        assert_eq!(status, 200, "{dry}");
        assert_eq!(dry["files"].as_array().unwrap().len(), 10, "{dry}");
        assert!(dry["files"][0]["text"].is_string(), "a dry run shows the files: {dry}");
        assert!(!repos.path().join("ledger.git").exists(), "a dry run makes nothing");

        let (status, made) = app.send(reqwest::Method::POST, path, Some(&james), Some(ask(false))).await;
        assert_eq!(status, 201, "{made}");
        assert!(made["files"][0].get("text").is_none(), "a run lists its files without their text");
        let bare = repos.path().join("ledger.git");
        assert_eq!(git(&bare, &["log", "-1", "--format=%an <%ae>", "main"]), "James Carter <james.carter@acme.example>");
        assert_eq!(made["links"][0]["url"], bare.display().to_string(), "{made}");
        let (status, entity) = app.get("/api/v1/entities/component/default/ledger").await;
        assert_eq!(status, 200, "{entity}");
        assert!(entity.to_string().contains("group:default/payments"), "owned by payments: {entity}");
        let (status, target) = app.get("/api/v1/entities/deploytarget/default/ledger-production").await;
        assert_eq!(status, 200, "{target}");
        let audit = app.store.audit_log(10).await.unwrap();
        assert!(audit.iter().any(|e| e.action == "scaffold.run" && e.target == "component:default/ledger"), "{audit:?}");
        assert!(audit.iter().any(|e| e.action == "scaffold.run.ok" && e.target == "component:default/ledger"), "{audit:?}");

        // The run is kept with its log; the new service's drift is known.
        let (status, run) = app.send(reqwest::Method::GET, &format!("/api/v1/templates/runs/{}", made["run"]), Some(&ana), None).await;
        assert_eq!(status, 200, "{run}");
        assert_eq!((run["state"].as_str(), run["kind"].as_str()), (Some("succeeded"), Some("create")), "{run}");
        assert_eq!(run["log"], made["log"], "{run}");
        assert!(run.get("files").is_none(), "the rendered files stay inside: {run}");
        let (status, drift) = app.send(reqwest::Method::GET, "/api/v1/drift?team=payments", Some(&ana), None).await;
        assert_eq!(status, 200, "{drift}");
        assert_eq!(drift["items"][0]["service"], "component:default/ledger", "{drift}");
        assert_eq!((drift["items"][0]["in_line"].as_i64(), drift["items"][0]["managed"].as_i64()), (Some(10), Some(10)), "{drift}");
        let update = "/api/v1/drift/ledger/update";
        let (status, refused) = app.send(reqwest::Method::POST, update, Some(&ana), None).await;
        assert_eq!(status, 403, "only the service's people update it: {refused}");
        let (status, in_line) = app.send(reqwest::Method::POST, update, Some(&james), None).await;
        assert_eq!(status, 400, "{in_line}");
        assert!(in_line["error"]["message"].as_str().unwrap().contains("nothing to update"), "{in_line}");
        let page = reqwest::get(format!("{}/services", app.base)).await.unwrap().text().await.unwrap();
        assert!(page.contains("python-service</a> v1, 100 % in line"), "the services page's Golden path column: {page}");

        let (status, missing) = app.send(reqwest::Method::POST, path, Some(&james), Some(json!({ "parameters": { "owner": "payments" } }))).await;
        assert_eq!(status, 400, "{missing}");
        assert!(missing["error"]["message"].as_str().unwrap().contains("\"name\" is a required property"), "{missing}");
    }

    async fn the_golden_path_form_starts_a_service_as_the_signed_in_person_and_shows_its_log(on) {
        let repos = tempfile::tempdir().unwrap();
        let template = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/templates/python-service/template.yaml");
        let mut settings = ServerSettings::default();
        settings.scaffold.repositories = repos.path().display().to_string();
        let app = TestApp::spawn_with_catalog(on, settings, &[template]).await;
        let form = "form.run-template[data-template=python-service]";

        let mut nobody = Browser::new(&app);
        let page = nobody.get("/templates", &[]).await;
        assert!(page.texts(form).is_empty(), "nobody signed in gets no form: {}", page.body);

        let mut james = Browser::new(&app);
        james.sign_in(&app.token(person("james.carter")).await, "%2F").await;
        let page = james.get("/templates", &[]).await;
        assert_eq!(page.texts(&format!("{form} fieldset legend")), ["The service", "Where it runs"], "a fieldset per form step");
        assert_eq!(page.texts(&format!("{form} input[name='set.name'][required]")).len(), 1, "{}", page.body);
        assert_eq!(page.texts(&format!("{form} input[name='set.port'][type=number][min='1024']")).len(), 1, "{}", page.body);
        let csrf = page.csrf(form);
        let pairs = [("csrf", csrf.as_str()), ("set.name", "ledger"), ("set.owner", "payments"), ("set.port", "8081"), ("set.system", "")];
        let done = james.post("/templates/python-service/runs", &pairs, &[]).await;
        assert_eq!(done.status, 201, "{}", done.body);
        let log = done.texts("ol.run-log li");
        assert!(log.iter().any(|line| line.contains("pushed 10 files")), "{log:?}");
        assert!(done.texts("ul.run-links li").iter().any(|l| l.contains("component:default/ledger")), "{}", done.body);
        let target = git(&repos.path().join("ledger.git"), &["show", "main:deploy-target.yaml"]);
        assert!(target.contains("127.0.0.1:8081/healthz"), "the port as a number from the form: {target}");

        let mut ana = Browser::new(&app);
        ana.sign_in(&app.token(person("ana.souza")).await, "%2F").await;
        let page = ana.get("/templates", &[]).await;
        let csrf = page.csrf(form);
        let refused = ana.post("/templates/python-service/runs", &[("csrf", &csrf), ("set.name", "other"), ("set.owner", "payments")], &[]).await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert!(refused.body.contains("james.carter"), "the refusal names the team's people: {}", refused.body);
    }
}
