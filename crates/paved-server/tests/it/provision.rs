//! Self-service provisioning over real HTTP against a real PostgreSQL
//! server: an owner's request gives credentials that connect, create a
//! table and cannot reach another provisioned database; the same request
//! again returns the same resource; another team's person, a bad name, a
//! bad parameter and a team over its limit are refused, saying why, before
//! any SQL runs; the secrets are sealed in the database file and read again
//! only by the service's people, who may also rotate a password (the old
//! one is refused at once by the real server). The service page's forms,
//! as a signed-in browser uses them, ask for a resource and remove it.

use serde_json::{Value, json};
use sqlx::Connection;

use crate::helpers::{On, TestApp};
use crate::sign_in::Browser;
use paved_server::ServerSettings;
use paved_store::TokenScope;

const KEY: &str = "5a1f0c9e7d5b3a1f8e6c4a2b0d9f7e5c3a1b8d6f4e2c0a9b7d5f3e1c8a6b4d20";

fn person(name: &str) -> TokenScope {
    TokenScope::User(format!("user:default/{name}").parse().unwrap())
}

const MODULE: &str = "apiVersion: paved.dev/v1alpha1
kind: Module
metadata:
  name: postgres-database
spec:
  owner: platform
  type: database
  driver: postgres
  server: main
  parameters:
    type: object
    additionalProperties: false
    properties:
      class: { type: string, enum: [small, large], default: small }
  limits: { per_team: 2, classes: [small] }
---
apiVersion: paved.dev/v1alpha1
kind: Module
metadata:
  name: redis-namespace
spec:
  owner: platform
  driver: redis
  server: cache
";

/// `redis-cli` as the provisioned user: what it printed.
fn redis_as(outputs: &Value, args: &[&str]) -> String {
    let output = std::process::Command::new("redis-cli")
        .args(["-h", outputs["host"].as_str().unwrap(), "-p", &outputs["port"].to_string()])
        .args([
            "--user",
            outputs["user"].as_str().unwrap(),
            "--pass",
            outputs["password"].as_str().unwrap(),
            "--no-auth-warning",
        ])
        .args(args)
        .output()
        .expect("redis-cli runs");
    String::from_utf8_lossy(&output.stdout).trim().to_owned() + &String::from_utf8_lossy(&output.stderr)
}

/// The admin connection of the PostgreSQL server the tests provision on
/// (`PAVED_TEST_DATABASE_URL`); `None` skips the test, unless
/// `PAVED_REQUIRE_POSTGRES` makes that a failure.
fn admin_url() -> Option<String> {
    let admin = std::env::var("PAVED_TEST_DATABASE_URL").ok();
    assert!(
        admin.is_some() || std::env::var_os("PAVED_REQUIRE_POSTGRES").is_none(),
        "PAVED_TEST_DATABASE_URL names the server to provision on"
    );
    admin
}

/// A server over `on` whose catalog holds `modules`, with a secret key and
/// `admin` as the server `main`.
async fn provisioning_app(on: On, modules: &str, admin: &str) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("modules.yaml"), modules).unwrap();
    let mut settings = ServerSettings {
        secret_key: Some(paved_app::secrets::SecretKey::parse(KEY).unwrap()),
        ..ServerSettings::default()
    };
    settings.provision.servers.insert("main".into(), paved_app::provision::ServerUrl(admin.to_owned()));
    TestApp::spawn_with_catalog(on, settings, &[dir.path().to_path_buf()]).await
}

/// Drops what the test made on the shared server, whatever happened.
struct Cleanup {
    admin: String,
    names: Vec<String>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let (admin, names) = (self.admin.clone(), self.names.clone());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await else { return };
                for name in names {
                    let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                        .execute(&mut conn)
                        .await;
                    let _ = sqlx::raw_sql(&format!("DROP ROLE IF EXISTS \"{name}\"")).execute(&mut conn).await;
                }
            });
        })
        .join()
        .ok();
    }
}

crate::helpers::on_tests! {
    async fn a_terraform_request_pushes_a_branch_whose_file_parses_as_hcl_and_calls_the_module(on) {
        let dir = tempfile::tempdir().unwrap();
        let repos = dir.path().join("repos");
        std::fs::create_dir_all(&repos).unwrap();
        // The checkout team's infrastructure repository, with a first commit on main.
        let bare = repos.join("checkout-infra.git");
        git(&repos, &["init", "--quiet", "--bare", bare.to_str().unwrap()]);
        let seed = dir.path().join("seed");
        git(dir.path(), &["clone", "--quiet", bare.to_str().unwrap(), seed.to_str().unwrap()]);
        std::fs::write(seed.join("README.md"), "checkout infrastructure\n").unwrap();
        git(&seed, &["add", "README.md"]);
        git(&seed, &["commit", "--quiet", "-m", "Start"]);
        git(&seed, &["push", "--quiet", "origin", "HEAD:main"]);
        let modules = dir.path().join("modules");
        std::fs::create_dir_all(&modules).unwrap();
        std::fs::write(modules.join("bucket.yaml"), TERRAFORM.replace("REPOS", repos.to_str().unwrap())).unwrap();
        // A terraform request makes no secret: no secret_key is needed.
        let app = TestApp::spawn_with_catalog(on, ServerSettings::default(), &[modules]).await;
        let ana = app.token(person("ana.souza")).await;
        let path = "/api/v1/services/checkout-api/resources";
        let ask = json!({ "module": "bucket", "parameters": { "size_gb": 40 } });
        let (status, made) = app.send(reqwest::Method::POST, path, Some(&ana), Some(ask.clone())).await;
        assert_eq!(status, 201, "{made}");
        let outputs = &made["outputs"];
        assert_eq!(outputs["branch"], "paved/checkout-api-bucket", "{made}");
        assert_eq!(outputs["file"], "stacks/prod/checkout-api-bucket.tf");
        let commit = outputs["commit"].as_str().unwrap().to_owned();
        let branch_head = git(&bare, &["rev-parse", "refs/heads/paved/checkout-api-bucket"]);
        assert_eq!(branch_head, commit, "the branch was pushed with its commit");
        assert_eq!(git(&bare, &["log", "-1", "--format=%an <%ae>|%s", &commit]), "Ana Souza <ana.souza@acme.example>|Provision checkout-api-bucket for checkout-api");
        assert_eq!(git(&bare, &["rev-parse", "main^{commit}"]), git(&bare, &["rev-parse", &format!("{commit}~1")]), "branched from main");
        let text = git(&bare, &["show", &format!("{commit}:stacks/prod/checkout-api-bucket.tf")]);
        let file = dir.path().join("call.tf");
        std::fs::write(&file, &text).unwrap();
        if let Some(parsed) = python_hcl2(&file) {
            let call = &parsed["module"][0]["\"checkout_api_bucket\""];
            let unquoted = |v: &Value| v.as_str().map(|s| s.trim_matches('"').to_owned());
            assert_eq!(unquoted(&call["source"]).as_deref(), Some("git::https://git.acme.example/platform/terraform-modules.git//bucket?ref=v2.3.0"), "{parsed}");
            assert_eq!(unquoted(&call["region"]).as_deref(), Some("eu-west-1"), "the schema's default is passed: {parsed}");
            assert_eq!(call["size_gb"], 40, "{parsed}");
        }
        // The same request again answers with the same branch and commit.
        let (status, again) = app.send(reqwest::Method::POST, path, Some(&ana), Some(ask)).await;
        assert_eq!((status, again["outputs"]["commit"].as_str()), (200, Some(commit.as_str())), "{again}");
        assert_eq!(git(&bare, &["for-each-ref", "--format=%(refname)", "refs/heads/paved"]), "refs/heads/paved/checkout-api-bucket");
        // A terraform resource has no secret to rotate.
        let (status, refused) = app.send(reqwest::Method::POST, "/api/v1/resources/checkout-api-bucket/rotate", Some(&ana), None).await;
        assert_eq!(status, 400, "{refused}");
        assert!(refused["error"]["message"].as_str().unwrap().contains("is a terraform resource: it has no secret to rotate"), "{refused}");
        // The team merges it; removing it then deletes the request's branch
        // and pushes one that deletes the file, for the pipeline to destroy.
        git(&seed, &["pull", "--quiet", "--ff-only", "origin", "paved/checkout-api-bucket"]);
        git(&seed, &["push", "--quiet", "origin", "HEAD:main"]);
        let (status, gone) = app.send(reqwest::Method::DELETE, "/api/v1/resources/checkout-api-bucket?confirm=checkout-api-bucket", Some(&ana), None).await;
        assert_eq!(status, 200, "{gone}");
        assert_eq!(git(&bare, &["for-each-ref", "--format=%(refname)", "refs/heads/paved"]), "refs/heads/paved/remove-checkout-api-bucket");
        assert_eq!(git(&bare, &["ls-tree", "-r", "--name-only", "paved/remove-checkout-api-bucket"]), "README.md", "the call is deleted");
        assert_eq!(git(&bare, &["log", "-1", "--format=%an|%s", "paved/remove-checkout-api-bucket"]), "Ana Souza|Remove checkout-api-bucket of checkout-api");
        // A repository that cannot be reached fails the request, saying so, and leaves it asked for again.
        std::fs::rename(&bare, repos.join("moved.git")).unwrap();
        let (status, failed) = app.send(reqwest::Method::POST, path, Some(&ana), Some(json!({ "module": "bucket" }))).await;
        assert_eq!(status, 503, "{failed}");
        assert!(failed["error"]["message"].as_str().unwrap().contains("cannot reach the infrastructure repository"), "{failed}");
    }

    async fn a_redis_namespace_reaches_only_its_service_s_keys_and_no_dangerous_command(on) {
        let redis = std::env::var("PAVED_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
        if std::process::Command::new("redis-cli").args(["-u", &redis, "ping"]).output().map(|o| !o.stdout.starts_with(b"PONG")).unwrap_or(true) {
            assert!(std::env::var_os("PAVED_REQUIRE_REDIS").is_none(), "PAVED_REQUIRE_REDIS is set but Redis does not answer at {redis}");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("modules.yaml"), MODULE).unwrap();
        let mut settings = ServerSettings { secret_key: Some(paved_app::secrets::SecretKey::parse(KEY).unwrap()), ..ServerSettings::default() };
        settings.provision.servers.insert("cache".into(), paved_app::provision::ServerUrl(redis.clone()));
        let app = TestApp::spawn_with_catalog(on, settings, &[dir.path().to_path_buf()]).await;
        let ana = app.token(person("ana.souza")).await;
        let tag = format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let (status, made) = app.send(reqwest::Method::POST, "/api/v1/services/checkout-api/resources", Some(&ana), Some(json!({ "module": "redis-namespace", "name": tag }))).await;
        assert_eq!(status, 201, "{made}");
        let outputs = &made["outputs"];
        assert_eq!(outputs["key_prefix"], format!("checkout-api:{tag}:"));
        let key = format!("checkout-api:{tag}:cart");
        assert_eq!(redis_as(outputs, &["SET", &key, "1"]), "OK");
        assert_eq!(redis_as(outputs, &["GET", &key]), "1");
        for refused in [vec!["GET", "payments-api:secret"], vec!["SET", "checkout-api:other", "1"], vec!["FLUSHALL"], vec!["CONFIG", "GET", "maxmemory"], vec!["KEYS", "*"]] {
            let said = redis_as(outputs, &refused);
            assert!(said.contains("NOPERM"), "{refused:?}: {said}");
        }
        // A new password: the old one gets WRONGPASS, the new one the same
        // rights on the same keys.
        let rotate = format!("/api/v1/resources/checkout-api-{tag}/rotate");
        let james = app.token(person("james.carter")).await;
        let (status, body) = app.send(reqwest::Method::POST, &rotate, Some(&james), None).await;
        assert_eq!(status, 403, "another team's person: {body}");
        let (status, rotated) = app.send(reqwest::Method::POST, &rotate, Some(&ana), None).await;
        assert_eq!(status, 200, "{rotated}");
        assert_ne!(rotated["password"], outputs["password"], "{rotated}");
        assert_eq!((&rotated["key_prefix"], &rotated["user"]), (&outputs["key_prefix"], &outputs["user"]), "{rotated}");
        assert!(redis_as(outputs, &["GET", &key]).contains("WRONGPASS"), "the old password is refused");
        assert_eq!(redis_as(&rotated, &["GET", &key]), "1", "the new one reads its keys");
        assert!(redis_as(&rotated, &["GET", "payments-api:secret"]).contains("NOPERM"), "with the same rules");
        assert!(redis_as(&rotated, &["FLUSHALL"]).contains("NOPERM"), "with the same rules");
        let credentials = format!("/api/v1/resources/checkout-api-{tag}/credentials");
        let (_, read) = app.send(reqwest::Method::GET, &credentials, Some(&ana), None).await;
        assert_eq!((&read["password"], &read["url"]), (&rotated["password"], &rotated["url"]), "{read}");

        let remove = format!("/api/v1/resources/checkout-api-{tag}?confirm=checkout-api-{tag}");
        let (status, gone) = app.send(reqwest::Method::DELETE, &remove, Some(&ana), None).await;
        assert_eq!(status, 200, "{gone}");
        assert!(redis_as(&rotated, &["PING"]).contains("WRONGPASS"), "the user is gone");
    }

    async fn an_owner_provisions_a_database_that_is_theirs_alone_and_others_are_refused(on) {
        let Some(admin) = admin_url() else { return };
        let sqlite = matches!(on, On::Sqlite);
        let app = provisioning_app(on, MODULE, &admin).await;
        let tag = format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let (first, second) = (format!("{tag}a"), format!("{tag}b"));
        let sql = |name: &str| format!("checkout_api_{name}");
        let _cleanup = Cleanup { admin: admin.clone(), names: vec![sql(&first), sql(&second)] };
        let (ana, lena, james) = (app.token(person("ana.souza")).await, app.token(person("lena.fischer")).await, app.token(person("james.carter")).await);
        let path = "/api/v1/services/checkout-api/resources";
        let ask = |name: &str| json!({ "module": "postgres-database", "name": name });

        let (status, body) = app.send(reqwest::Method::POST, path, Some(&james), Some(ask(&first))).await;
        assert_eq!(status, 403, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("checkout-api is owned by group:default/checkout"), "{body}");
        // The refusal is in the service's audit trail, with its reason.
        let refusals = app.store.audit_log(5).await.unwrap().into_iter().filter(|e| e.action == "provision.refuse").collect::<Vec<_>>();
        assert_eq!(refusals.len(), 1, "{refusals:?}");
        assert_eq!((refusals[0].decision, refusals[0].service.as_deref()), (Some(paved_store::AuditDecision::Refused), Some("component:default/checkout-api")));
        assert!(refusals[0].actor.contains("james.carter") && refusals[0].detail.as_deref().unwrap_or("").contains("owned by"), "{:?}", refusals[0]);
        let (status, body) = app.send(reqwest::Method::POST, path, Some(&ana), Some(ask("x; DROP ROLE postgres"))).await;
        assert_eq!(status, 400, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("is not a resource name"), "{body}");
        let (status, body) = app.send(reqwest::Method::POST, path, Some(&ana), Some(json!({ "module": "postgres-database", "name": first, "parameters": { "class": "huge" } }))).await;
        assert_eq!(status, 400, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("parameter `class`"), "{body}");
        let (status, body) = app.send(reqwest::Method::POST, path, Some(&ana), Some(json!({ "module": "postgres-database", "name": first, "parameters": { "class": "large" } }))).await;
        assert_eq!(status, 400, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("limit `classes`"), "{body}");

        let (status, made) = app.send(reqwest::Method::POST, path, Some(&ana), Some(ask(&first))).await;
        assert_eq!(status, 201, "{made}");
        assert_eq!(made["resource"], format!("resource:default/checkout-api-{first}"));
        assert_eq!((made["status"].as_str(), made["owner"].as_str()), (Some("ready"), Some("group:default/checkout")));
        let outputs = &made["outputs"];
        assert_eq!(outputs["database"], sql(&first));
        let password = outputs["password"].as_str().expect("the password, shown once").to_owned();
        let url = outputs["url"].as_str().unwrap().to_owned();
        assert!(password_accepted(&admin, &sql(&first), &password).await, "the server keeps the shown password's verifier");

        // The credentials connect and may make a table in their database.
        let mut mine = sqlx::PgConnection::connect(&url).await.expect("the credentials connect");
        sqlx::raw_sql("CREATE TABLE orders (id bigint PRIMARY KEY); INSERT INTO orders VALUES (1)").execute(&mut mine).await.expect("a table in their own database");
        mine.close().await.ok();

        // The same request again: the same resource, the secret not shown again.
        let (status, again) = app.send(reqwest::Method::POST, path, Some(&ana), Some(ask(&first))).await;
        assert_eq!((status, again["resource"].clone()), (200, made["resource"].clone()), "{again}");
        assert!(again["outputs"].get("password").is_none(), "{again}");

        // A second one; the first's user cannot connect to it.
        let (status, other) = app.send(reqwest::Method::POST, path, Some(&lena), Some(ask(&second))).await;
        assert_eq!(status, 201, "{other}");
        let elsewhere = url.rsplit_once('/').unwrap().0.to_owned() + "/" + &sql(&second);
        let refused = sqlx::PgConnection::connect(&elsewhere).await.map(|_| ()).expect_err("no way into another team's database").to_string();
        assert!(refused.contains("permission denied"), "{refused}");

        // Over the team's limit (2): refused, naming it.
        let (status, body) = app.send(reqwest::Method::POST, path, Some(&ana), Some(ask(&format!("{tag}c")))).await;
        assert_eq!(status, 400, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("limit `per_team` of postgres-database: group:default/checkout has 2 of at most 2"), "{body}");

        // The secrets again, for the service's people only.
        let credentials = format!("/api/v1/resources/checkout-api-{first}/credentials");
        let (status, read) = app.send(reqwest::Method::GET, &credentials, Some(&lena), None).await;
        assert_eq!((status, read["password"].as_str()), (200, Some(password.as_str())), "{read}");
        let (status, _) = app.send(reqwest::Method::GET, &credentials, Some(&james), None).await;
        assert_eq!(status, 403);
        let (_, listed) = app.send(reqwest::Method::GET, path, Some(&james), None).await;
        assert_eq!(listed["items"].as_array().unwrap().len(), 2, "{listed}");
        assert!(!listed.to_string().contains(&password), "lists never show a secret");

        if sqlite {
            app.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)").await;
            let file = app.sqlite_path().unwrap();
            for file in [file.clone(), file.with_extension("db-wal")] {
                let bytes = std::fs::read(&file).unwrap_or_default();
                assert!(!bytes.windows(password.len()).any(|w| w == password.as_bytes()), "{} holds the password", file.display());
            }
        }
        // A Resource entity owned by the team, a dependency of the service.
        let (status, entity) = app.get(&format!("/api/v1/entities/resource/default/checkout-api-{first}")).await;
        assert_eq!(status, 200, "{entity}");
        let text = entity.to_string();
        assert!(text.contains("group:default/checkout") && text.contains("component:default/checkout-api"), "{entity}");
        assert!(text.contains("module:default/postgres-database") && !text.contains(&password), "{entity}");
        let page = reqwest::get(format!("{}/services/checkout-api", app.base)).await.unwrap().text().await.unwrap();
        assert!(page.contains(&format!("data-resource=\"checkout-api-{first}\" data-state=\"ready\"")), "the service page lists it");
        assert!(!page.contains(&password), "without its secrets");
        let team = reqwest::get(format!("{}/teams/checkout", app.base)).await.unwrap().text().await.unwrap();
        assert!(team.contains(&format!("data-resource=\"checkout-api-{first}\"")), "the team page lists it too");
        assert!(!team.contains(&password));
        let audit = app.store.audit_log(20).await.unwrap();
        assert!(!format!("{audit:?}").contains(&password));
        assert!(audit.iter().any(|e| e.action == "provision.ready" && e.target.ends_with(&format!("checkout-api-{first}"))));

        // Each request is a raw event of source paved (no secret in it: the
        // file check above covers raw events too), and the report counts it
        // in the fourth line and as provisioned by developers themselves.
        let (_, events) = app.get("/api/v1/events?source=paved").await;
        let provisions: Vec<&Value> = events["items"].as_array().unwrap().iter().filter(|e| e["event_type"] == "provision").collect();
        assert!(provisions.len() >= 4, "requested and ready, for each of two: {events}");
        assert!(provisions.iter().all(|e| e["status"] == "normalized" && e["records"] == 1), "{events}");
        let (status, report) = app.get("/api/v1/report?service=checkout-api").await;
        assert_eq!(status, 200, "{report}");
        let line = &report["test"]["self_provision"];
        assert_eq!(line["basis"], "commits_and_requests", "{line}");
        assert!(line["by_owners"].as_f64().unwrap() >= 2.0, "{line}");
        assert_eq!(report["self_service"]["counts"]["resources_by_owners"], 2, "{}", report["self_service"]);
        let months = report["self_service"]["series"].as_array().unwrap();
        assert_eq!(months.last().unwrap()["counts"]["resources_by_owners"], 2, "this month: {months:?}");
        let text = reqwest::get(format!("{}/report", app.base)).await.unwrap().text().await.unwrap();
        assert!(text.contains("Resources developers provisioned themselves"), "the report page shows them");

        // Removal: confirmed by name, by the service's people; the database
        // and its user are gone, and the team is under its limit again.
        let remove = format!("/api/v1/resources/checkout-api-{second}");
        let (status, body) = app.send(reqwest::Method::DELETE, &remove, Some(&ana), None).await;
        assert_eq!(status, 400, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("confirm with --confirm"), "{body}");
        let (status, _) = app.send(reqwest::Method::DELETE, &format!("{remove}?confirm=checkout-api-{second}"), Some(&james), None).await;
        assert_eq!(status, 403);
        let (status, gone) = app.send(reqwest::Method::DELETE, &format!("{remove}?confirm=checkout-api-{second}"), Some(&ana), None).await;
        assert_eq!((status, gone["status"].as_str()), (200, Some("deleted")), "{gone}");
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        let left: Option<(i32,)> = sqlx::query_as("SELECT 1 FROM pg_roles WHERE rolname = $1 UNION SELECT 1 FROM pg_database WHERE datname = $1")
            .bind(sql(&second)).fetch_optional(&mut conn).await.unwrap();
        assert!(left.is_none(), "no role or database is left");
        let (status, _) = app.get(&format!("/api/v1/entities/resource/default/checkout-api-{second}")).await;
        assert_eq!(status, 404, "its entity is gone too");
        let (status, body) = app.send(reqwest::Method::POST, path, Some(&ana), Some(ask(&second))).await;
        assert_eq!(status, 201, "under the limit again: {body}");
    }

    async fn a_rotated_password_replaces_the_old_one_at_once_for_the_service_s_people_only(on) {
        let Some(admin) = admin_url() else { return };
        let sqlite = matches!(on, On::Sqlite);
        let app = provisioning_app(on, MODULE, &admin).await;
        let tag = format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let _cleanup = Cleanup { admin: admin.clone(), names: vec![format!("checkout_api_{tag}")] };
        let (ana, lena, james) = (app.token(person("ana.souza")).await, app.token(person("lena.fischer")).await, app.token(person("james.carter")).await);
        let (status, made) = app.send(reqwest::Method::POST, "/api/v1/services/checkout-api/resources", Some(&ana), Some(json!({ "module": "postgres-database", "name": tag }))).await;
        assert_eq!(status, 201, "{made}");
        let old = made["outputs"]["url"].as_str().unwrap().to_owned();
        let mut conn = sqlx::PgConnection::connect(&old).await.expect("the first password connects");
        sqlx::raw_sql("CREATE TABLE orders (id bigint PRIMARY KEY); INSERT INTO orders VALUES (7)").execute(&mut conn).await.unwrap();

        let rotate = format!("/api/v1/resources/checkout-api-{tag}/rotate");
        let (status, body) = app.send(reqwest::Method::POST, &rotate, Some(&james), None).await;
        assert_eq!(status, 403, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("checkout-api is owned by group:default/checkout"), "{body}");
        let (status, body) = app.send(reqwest::Method::POST, "/api/v1/resources/checkout-api-nothing/rotate", Some(&ana), None).await;
        assert_eq!(status, 404, "{body}");
        let (status, rotated) = app.send(reqwest::Method::POST, &rotate, Some(&lena), None).await;
        assert_eq!(status, 200, "{rotated}");
        let password = rotated["password"].as_str().expect("the new password, shown").to_owned();
        assert_ne!(password, made["outputs"]["password"].as_str().unwrap());
        assert_eq!((&rotated["database"], &rotated["host"]), (&made["outputs"]["database"], &made["outputs"]["host"]), "every output: {rotated}");
        let new = rotated["url"].as_str().unwrap().to_owned();
        assert!(new.contains(&password), "{new}");

        let role = format!("checkout_api_{tag}");
        let old_password = made["outputs"]["password"].as_str().unwrap();
        assert!(!password_accepted(&admin, &role, old_password).await, "the server refuses the old password at once");
        assert!(password_accepted(&admin, &role, &password).await, "and takes the new one");
        if checks_passwords(&old).await {
            let refused = sqlx::PgConnection::connect(&old).await.map(|_| ()).expect_err("the old password is refused").to_string();
            assert!(refused.contains("password authentication failed"), "{refused}");
        }
        let (kept,): (i64,) = sqlx::query_as("SELECT id FROM orders").fetch_one(&mut conn).await.expect("an open connection stays open");
        assert_eq!(kept, 7);
        conn.close().await.ok();
        let mut conn = sqlx::PgConnection::connect(&new).await.expect("the new password connects");
        let (kept,): (i64,) = sqlx::query_as("SELECT id FROM orders").fetch_one(&mut conn).await.unwrap();
        assert_eq!(kept, 7, "to the same database");
        conn.close().await.ok();

        // Sealed in place of the old one: read again by the service's people.
        let (_, read) = app.send(reqwest::Method::GET, &format!("/api/v1/resources/checkout-api-{tag}/credentials"), Some(&ana), None).await;
        assert_eq!(read["url"].as_str(), Some(new.as_str()), "{read}");
        let (_, listed) = app.send(reqwest::Method::GET, "/api/v1/services/checkout-api/resources", Some(&ana), None).await;
        assert!(!listed.to_string().contains(&password), "lists never show it");
        let audit = app.store.audit_log(20).await.unwrap();
        assert!(audit.iter().any(|e| e.action == "provision.rotate" && e.target.ends_with(&format!("checkout-api-{tag}")) && e.actor.contains("lena.fischer")), "{audit:?}");
        assert!(!format!("{audit:?}").contains(&password));
        if sqlite {
            app.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)").await;
            let file = app.sqlite_path().unwrap();
            for file in [file.clone(), file.with_extension("db-wal")] {
                let bytes = std::fs::read(&file).unwrap_or_default();
                assert!(!bytes.windows(password.len()).any(|w| w == password.as_bytes()), "{} holds the new password", file.display());
            }
        }
        // Again: a third password, the second refused.
        let (status, again) = app.send(reqwest::Method::POST, &rotate, Some(&ana), None).await;
        assert_eq!(status, 200, "{again}");
        assert!(!password_accepted(&admin, &role, &password).await, "the second password is refused");
        assert!(password_accepted(&admin, &role, again["password"].as_str().unwrap()).await, "the third is taken");
        sqlx::PgConnection::connect(again["url"].as_str().unwrap()).await.expect("the third connects");

        // One at a time: while another request holds it, a rotation is refused.
        let stored = app.store.resource(&format!("resource:default/checkout-api-{tag}").parse().unwrap()).await.unwrap().unwrap();
        let until = chrono::Utc::now() + chrono::Duration::minutes(2);
        app.store.lease_resource(stored.id, "another-request", until, false).await.unwrap().expect("taken");
        let (status, body) = app.send(reqwest::Method::POST, &rotate, Some(&ana), None).await;
        assert_eq!(status, 409, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("try again in a minute"), "{body}");
        let audit = paved_store::NewAudit { actor: "test".into(), action: "test.release".into(), target: String::new(), detail: None, service: None, decision: None };
        assert!(app.store.reseal_resource(stored.id, "another-request", stored.sealed.as_deref().unwrap(), &audit).await.unwrap());
        // A server that cannot change it: refused saying why, and the
        // resource is let go at once (its removal is not refused).
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        for sql in [format!("DROP DATABASE \"{role}\" WITH (FORCE)"), format!("DROP ROLE \"{role}\"")] {
            sqlx::raw_sql(&sql).execute(&mut conn).await.unwrap();
        }
        let (status, body) = app.send(reqwest::Method::POST, &rotate, Some(&ana), None).await;
        assert_eq!(status, 503, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains(&format!("its role `{role}` is no longer on the server")), "{body}");
        let audit = app.store.audit_log(5).await.unwrap();
        assert!(audit.iter().any(|e| e.action == "provision.rotate.fail" && e.detail.as_deref().is_some_and(|d| d.contains("no longer on the server"))), "{audit:?}");
        let remove = format!("/api/v1/resources/checkout-api-{tag}?confirm=checkout-api-{tag}");
        let (status, gone) = app.send(reqwest::Method::DELETE, &remove, Some(&ana), None).await;
        assert_eq!(status, 200, "not held by the failed rotation: {gone}");
    }

    async fn the_service_page_s_form_provisions_as_the_signed_in_person_and_shows_the_secret_once(on) {
        let Some(admin) = admin_url() else { return };
        let app = provisioning_app(on, FORM_MODULES, &admin).await;
        let tag = format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let resource = format!("checkout-api-{tag}");
        let _cleanup = Cleanup { admin: admin.clone(), names: vec![resource.replace('-', "_")] };
        let form = "form.request-resource[data-module=postgres-database]";

        let mut nobody = Browser::new(&app);
        let page = nobody.get("/services/checkout-api", &[]).await;
        assert!(page.texts(form).is_empty(), "nobody signed in gets no form");
        assert!(page.texts("#request-resource + p a")[0].contains("Sign in"), "{}", page.body);

        // The form, built from the Module's schema.
        let mut ana = Browser::new(&app);
        ana.sign_in(&app.token(person("ana.souza")).await, "%2F").await;
        let page = ana.get("/services/checkout-api", &[]).await;
        assert_eq!(page.texts(&format!("{form} select[name='set.class'] option")), ["small", "large (over the Module's limits)"]);
        assert_eq!(page.texts(&format!("{form} select[name='set.class'] option[selected]")), ["small"], "the default");
        let attributes = |selector: &str| {
            let html = page.page();
            let element = html.select(&scraper::Selector::parse(&format!("{form} {selector}")).unwrap()).next().unwrap_or_else(|| panic!("{selector}: {}", page.body)).value().clone();
            element.attrs().map(|(k, v)| (k.to_owned(), v.to_owned())).collect::<std::collections::BTreeMap<_, _>>()
        };
        let size = attributes("input[name='set.size_gb']");
        assert_eq!([&size["type"], &size["min"], &size["max"], &size["value"]], ["number", "1", "50", "5"], "{size:?}");
        assert!(attributes("input[type=checkbox][name='set.backups']").contains_key("checked"), "its default, true");
        assert!(page.texts(&format!("{form} p.hint")).iter().any(|hint| hint.contains("Disk space, in GB.") && hint.contains("From 1 to 50.")), "{}", page.body);
        assert_eq!(page.texts(&format!("{form} input[name=name]")).len(), 1);
        assert_eq!(page.texts("form.request-resource[data-module=redis-namespace]").len(), 1, "a form per Module");

        // Posting it provisions on the real server, as her; the answer
        // shows the password once.
        let csrf = page.csrf(form);
        // The box unchecked: only its hidden `false` is sent.
        let pairs = [("csrf", csrf.as_str()), ("module", "postgres-database"), ("name", &tag), ("set.class", "small"), ("set.size_gb", "10"), ("set.backups", "false")];
        let made = ana.post("/services/checkout-api/resources", &pairs, &[]).await;
        assert_eq!(made.status, 201, "{}", made.body);
        assert_eq!(made.cache_control.as_deref(), Some("no-store"), "a page with a secret is never cached");
        let password = made.texts("tr[data-output=password] td code").pop().expect("the password, shown");
        let url = made.texts("tr[data-output=url] td code").pop().unwrap();
        assert!(url.contains(&password) && password.len() == 48, "{url}");
        assert!(made.texts("p.once")[0].contains(&format!("paved resource credentials {resource}")), "{}", made.body);
        sqlx::PgConnection::connect(&url).await.expect("the shown credentials connect");
        let stored = app.store.resource(&format!("resource:default/{resource}").parse().unwrap()).await.unwrap().unwrap();
        assert_eq!(stored.parameters, json!({ "class": "small", "size_gb": 10, "backups": false }), "typed as the schema says");
        assert!(stored.requested_by.contains("ana.souza"), "{}", stored.requested_by);

        let again = ana.post("/services/checkout-api/resources", &pairs, &[]).await;
        assert_eq!(again.status, 200, "{}", again.body);
        assert!(again.body.contains("was made before by the same request") && !again.body.contains(&password), "shown once only");
        let page = ana.get("/services/checkout-api", &[]).await;
        assert_eq!(page.texts(&format!("tr[data-resource={resource}][data-state=ready] td:first-child")), [resource.as_str()], "listed");
        assert!(!page.body.contains(&password), "without its secret");

        let other = format!("{tag}x");
        let over = [("csrf", csrf.as_str()), ("module", "postgres-database"), ("name", &other), ("set.class", "large")];
        let refused = ana.post("/services/checkout-api/resources", &over, &[]).await;
        assert_eq!(refused.status, 400, "{}", refused.body);
        assert!(refused.texts("p.refused")[0].contains("limit `classes`"), "{:?}", refused.texts("p.refused"));

        // A person of another team: no form, and a refusal naming the owners.
        let mut james = Browser::new(&app);
        james.sign_in(&app.token(person("james.carter")).await, "%2F").await;
        let page = james.get("/services/checkout-api", &[]).await;
        assert!(page.texts(form).is_empty() && page.texts("form.remove-resource").is_empty(), "{}", page.body);
        assert!(page.texts("#request-resource + p")[0].contains("checkout-api is owned by group:default/checkout"), "{}", page.body);
        let csrf = page.csrf("form.sign-out");
        let refused = james.post("/services/checkout-api/resources", &[("csrf", &csrf), ("module", "postgres-database"), ("name", "mine")], &[]).await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert!(refused.texts("p.refused")[0].contains("checkout-api is owned by group:default/checkout"), "{:?}", refused.texts("p.refused"));
        let remove = format!("/services/checkout-api/resources/{resource}/delete");
        let refused = james.post(&remove, &[("csrf", &csrf), ("confirm", &resource)], &[]).await;
        assert_eq!(refused.status, 403, "{}", refused.body);

        // Removal: her typed name confirms it.
        let page = ana.get("/services/checkout-api", &[]).await;
        let csrf = page.csrf("form.remove-resource");
        let unconfirmed = ana.post(&remove, &[("csrf", &csrf), ("confirm", "yes")], &[]).await;
        assert_eq!(unconfirmed.status, 400, "{}", unconfirmed.body);
        assert!(unconfirmed.texts("p.refused")[0].contains(&format!("type the resource's name, {resource}")), "{}", unconfirmed.body);
        let gone = ana.post(&remove, &[("csrf", &csrf), ("confirm", &resource)], &[]).await;
        assert_eq!((gone.status, gone.location.as_deref()), (303, Some("/services/checkout-api#resources")), "{}", gone.body);
        assert!(sqlx::PgConnection::connect(&url).await.is_err(), "its database is gone");
        let page = ana.get("/services/checkout-api", &[]).await;
        assert!(page.texts(&format!("tr[data-resource={resource}]")).is_empty(), "no longer listed");
    }

    async fn a_request_a_stopped_replica_left_mid_way_is_finished_with_no_orphan_role(on) {
        let Ok(admin) = std::env::var("PAVED_TEST_DATABASE_URL") else { return };
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("modules.yaml"), MODULE).unwrap();
        let key = paved_app::secrets::SecretKey::parse(KEY).unwrap();
        let mut settings = ServerSettings { secret_key: Some(key.clone()), ..ServerSettings::default() };
        settings.provision.servers.insert("main".into(), paved_app::provision::ServerUrl(admin.clone()));
        let app = TestApp::spawn_with_catalog(on, settings.clone(), &[dir.path().to_path_buf()]).await;
        let tag = format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let sql = format!("checkout_api_{tag}");
        let _cleanup = Cleanup { admin: admin.clone(), names: vec![sql.clone()] };

        // A replica stored the request, made the role, and was killed
        // before the database: its lease ran out.
        let new = paved_store::NewResource {
            entity_ref: format!("resource:default/checkout-api-{tag}").parse().unwrap(),
            module: "module:default/postgres-database".parse().unwrap(),
            service: "component:default/checkout-api".parse().unwrap(),
            team: "group:default/checkout".parse().unwrap(),
            name: format!("checkout-api-{tag}"),
            parameters: json!({ "class": "small" }),
            requested_by: "user:default/ana.souza (token 1)".into(),
        };
        let audit = paved_store::NewAudit { actor: "test".into(), action: "provision.request".into(), target: String::new(), detail: None, service: None, decision: None };
        app.store.request_resource(&new, "killed-replica", chrono::Utc::now() - chrono::Duration::seconds(1), &audit).await.unwrap();
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::raw_sql(&format!("CREATE ROLE \"{sql}\" LOGIN PASSWORD 'half-made'")).execute(&mut conn).await.unwrap();

        // Another replica starts, and finishes it.
        let replica = paved_app::App::new(app.store.clone(), paved_ingest::IngestSettings::default())
            .with_secret_key(Some(key))
            .with_provision(settings.provision.clone());
        assert_eq!(replica.resume_provisioning("replica-2").await.unwrap(), 1);
        assert_eq!(replica.resume_provisioning("replica-3").await.unwrap(), 0, "once");
        let resource = app.store.resource(&new.entity_ref).await.unwrap().unwrap();
        assert_eq!(resource.state, paved_store::ResourceState::Ready, "{resource:?}");
        let owner: (String,) = sqlx::query_as("SELECT pg_get_userbyid(datdba)::text FROM pg_database WHERE datname = $1")
            .bind(&sql).fetch_one(&mut conn).await.expect("the role has its database now");
        assert_eq!(owner.0, sql);
        let credentials = replica.resource_credentials(&paved_app::Caller::Local, &format!("checkout-api-{tag}")).await.unwrap();
        let url = credentials["url"].as_str().unwrap();
        sqlx::PgConnection::connect(url).await.expect("the finished resource's credentials connect (not the half-made password)");
    }
}

/// Whether the PostgreSQL server checks the password of a connection to
/// `url` at all: a wrong one is refused. (One whose `pg_hba.conf` trusts
/// the address, as a test server on 127.0.0.1 may, takes any.)
async fn checks_passwords(url: &str) -> bool {
    let mut wrong = reqwest::Url::parse(url).unwrap();
    wrong.set_password(Some("not-the-password")).unwrap();
    sqlx::PgConnection::connect(wrong.as_str()).await.is_err()
}

/// Whether the server takes `password` for `role`: it matches the
/// SCRAM-SHA-256 verifier the server keeps (`pg_authid.rolpassword`,
/// RFC 5802: StoredKey = H(HMAC(Hi(password, salt, i), "Client Key")) and
/// ServerKey = HMAC(Hi(...), "Server Key"), computed here independently of
/// the driver, which sends only the verifier), which is what a
/// connection's password is checked against where `pg_hba.conf` asks for
/// one.
async fn password_accepted(admin: &str, role: &str, password: &str) -> bool {
    use sha2::{Digest, Sha256};
    fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
        let mut block = [0u8; 64];
        if key.len() > 64 {
            block[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let inner = Sha256::new().chain_update(block.map(|b| b ^ 0x36)).chain_update(message).finalize();
        Sha256::new().chain_update(block.map(|b| b ^ 0x5c)).chain_update(inner).finalize().into()
    }
    let mut conn = sqlx::PgConnection::connect(admin).await.unwrap();
    let (verifier, iterations, salt, stored, server): (String, i32, Vec<u8>, Vec<u8>, Vec<u8>) = sqlx::query_as(
        "SELECT rolpassword, split_part(split_part(rolpassword, '$', 2), ':', 1)::int, \
         decode(split_part(split_part(rolpassword, '$', 2), ':', 2), 'base64'), \
         decode(split_part(split_part(rolpassword, '$', 3), ':', 1), 'base64'), \
         decode(split_part(split_part(rolpassword, '$', 3), ':', 2), 'base64') FROM pg_authid WHERE rolname = $1",
    )
    .bind(role)
    .fetch_one(&mut conn)
    .await
    .expect("the role has a password");
    assert!(verifier.starts_with("SCRAM-SHA-256$"), "password_encryption = scram-sha-256 on the test server");
    // Hi: PBKDF2 with HMAC-SHA-256, one block.
    let mut u = hmac(password.as_bytes(), &[salt.as_slice(), &[0, 0, 0, 1]].concat());
    let mut salted = u;
    for _ in 1..iterations {
        u = hmac(password.as_bytes(), &u);
        salted.iter_mut().zip(u).for_each(|(s, b)| *s ^= b);
    }
    Sha256::digest(hmac(&salted, b"Client Key")).as_slice() == stored.as_slice()
        && hmac(&salted, b"Server Key").as_slice() == server.as_slice()
}

/// `git` in `dir`; what it printed, or a panic saying what failed.
fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let output = std::process::Command::new("git")
        .args(["-c", "user.name=platform", "-c", "user.email=platform@acme.example", "-c", "init.defaultBranch=main"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// The HCL file parsed by Python's `python-hcl2`, as JSON; `None` (with a
/// visible SKIPPED line) when the module is not installed, unless
/// `PAVED_REQUIRE_PYTHON_HCL2` is set (as `.ci/run` does).
fn python_hcl2(file: &std::path::Path) -> Option<Value> {
    let available =
        std::process::Command::new("python3").args(["-c", "import hcl2"]).status().is_ok_and(|s| s.success());
    if !available {
        assert!(
            std::env::var_os("PAVED_REQUIRE_PYTHON_HCL2").is_none(),
            "PAVED_REQUIRE_PYTHON_HCL2 is set but python3 cannot import hcl2: python3 -m pip install python-hcl2"
        );
        eprintln!("SKIPPED: python3 with the hcl2 module is not installed (python3 -m pip install python-hcl2)");
        return None;
    }
    let output = std::process::Command::new("python3")
        .args(["-c", "import hcl2, json, sys; print(json.dumps(hcl2.load(open(sys.argv[1]))))"])
        .arg(file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "python-hcl2 refused {}: {}",
        file.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    Some(serde_json::from_slice(&output.stdout).unwrap())
}

/// The Modules of the form test: parameters of every kind the form draws.
const FORM_MODULES: &str = "apiVersion: paved.dev/v1alpha1
kind: Module
metadata:
  name: postgres-database
spec:
  owner: platform
  driver: postgres
  server: main
  parameters:
    type: object
    additionalProperties: false
    properties:
      class: { type: string, enum: [small, large], default: small }
      size_gb: { type: integer, minimum: 1, maximum: 50, default: 5, description: 'Disk space, in GB.' }
      backups: { type: boolean, default: true }
  limits: { per_team: 2, classes: [small] }
---
apiVersion: paved.dev/v1alpha1
kind: Module
metadata:
  name: redis-namespace
spec:
  owner: platform
  driver: redis
  server: cache
";

const TERRAFORM: &str = "apiVersion: paved.dev/v1alpha1
kind: Module
metadata:
  name: bucket
spec:
  owner: platform
  type: object-storage
  driver: terraform
  parameters:
    type: object
    additionalProperties: false
    properties:
      region: { type: string, default: eu-west-1 }
      size_gb: { type: integer, maximum: 500 }
  terraform:
    source: git::https://git.acme.example/platform/terraform-modules.git//bucket
    version: v2.3.0
    repository: REPOS/{team}-infra.git
    path: stacks/prod
";
