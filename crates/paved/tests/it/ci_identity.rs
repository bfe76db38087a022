//! Keyless CI identity through the real binary: GitHub Actions- and GitLab
//! CI-shaped OIDC ID tokens, signed with keys this test generates (ES256
//! with ring through rcgen, RS256 with `openssl genpkey`) and verified
//! against a JWKS served on loopback (GitHub's issuer) or read from a file
//! (a GitLab without internet). An owner's job deploys and records with no
//! stored secret; every malformed or foreign token is refused with its
//! reason; the audit trail names the token behind each action.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::support::{Server, json as json_of, paved, run, stderr, stdout};

const GITHUB: &str = "https://token.actions.githubusercontent.com";
const GITLAB: &str = "https://gitlab.example.com";

/// A signing key and its public half as a JWK.
struct Key {
    kid: String,
    algorithm: Algorithm,
    encoding: EncodingKey,
    jwk: Value,
}

/// A P-256 key (ES256), made with ring through rcgen.
fn es256(kid: &str) -> Key {
    let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let point = pair.public_key_raw();
    assert_eq!((point.len(), point[0]), (65, 4), "an uncompressed P-256 point");
    Key {
        kid: kid.into(),
        algorithm: Algorithm::ES256,
        encoding: EncodingKey::from_ec_pem(pair.serialize_pem().as_bytes()).unwrap(),
        jwk: json!({
            "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": kid,
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..]),
        }),
    }
}

/// A 2048-bit RSA key (RS256), made by `openssl genpkey`.
fn rs256(dir: &Path, kid: &str) -> Key {
    let path = dir.join(format!("{kid}.pem"));
    let made = Command::new("openssl")
        .args(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out"])
        .arg(&path)
        .output()
        .expect("openssl runs");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let modulus = Command::new("openssl").args(["rsa", "-noout", "-modulus", "-in"]).arg(&path).output().unwrap();
    let modulus = String::from_utf8(modulus.stdout).unwrap();
    let hex = modulus.trim().strip_prefix("Modulus=").expect("openssl prints Modulus=HEX");
    let n: Vec<u8> = (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
    Key {
        kid: kid.into(),
        algorithm: Algorithm::RS256,
        encoding: EncodingKey::from_rsa_pem(&std::fs::read(&path).unwrap()).unwrap(),
        jwk: json!({ "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": URL_SAFE_NO_PAD.encode(n), "e": "AQAB" }),
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// GitHub's documented claims of a job in `repository` run by `actor`.
fn github_claims(repository: &str, actor: &str, environment: &str) -> Value {
    let now = now();
    json!({
        "jti": "7d4b1e36-1d1c-4d1b-9c1f-0b7c2f3e5a10",
        "sub": format!("repo:{repository}:environment:{environment}"),
        "environment": environment,
        "aud": "paved",
        "ref": "refs/heads/main",
        "sha": "0123456789abcdef0123456789abcdef01234567",
        "repository": repository,
        "repository_owner": repository.split('/').next().unwrap(),
        "actor_id": "12",
        "repository_visibility": "private",
        "repository_id": "74",
        "repository_owner_id": "65",
        "run_id": "4242",
        "run_number": "10",
        "run_attempt": "1",
        "runner_environment": "github-hosted",
        "actor": actor,
        "workflow": "deploy",
        "head_ref": "",
        "base_ref": "",
        "event_name": "push",
        "ref_type": "branch",
        "job_workflow_ref": format!("{repository}/.github/workflows/deploy.yml@refs/heads/main"),
        "iss": GITHUB,
        "nbf": now - 5,
        "iat": now - 5,
        "exp": now + 300,
    })
}

/// GitLab's documented claims of a job in `project_path` run by `login`.
fn gitlab_claims(project_path: &str, login: &str) -> Value {
    let now = now();
    json!({
        "namespace_id": "72",
        "namespace_path": project_path.rsplit_once('/').unwrap().0,
        "project_id": "20",
        "project_path": project_path,
        "user_id": "5",
        "user_login": login,
        "user_email": format!("{login}@example.com"),
        "user_access_level": "maintainer",
        "pipeline_id": "574",
        "pipeline_source": "push",
        "job_id": "302",
        "ref": "main",
        "ref_type": "branch",
        "ref_path": "refs/heads/main",
        "ref_protected": "true",
        "environment": "production",
        "environment_protected": "true",
        "deployment_tier": "production",
        "runner_id": 1,
        "runner_environment": "self-hosted",
        "sha": "89abcdef0123456789abcdef0123456789abcdef",
        "project_visibility": "private",
        "ci_config_ref_uri": format!("gitlab.example.com/{project_path}//.gitlab-ci.yml@refs/heads/main"),
        "jti": "235b3a54-b797-45c7-ae9a-f72d7bc6ef5b",
        "iss": GITLAB,
        "iat": now,
        "nbf": now - 5,
        "exp": now + 300,
        "sub": format!("project_path:{project_path}:ref_type:branch:ref:main"),
        "aud": "paved",
    })
}

fn sign(key: &Key, claims: &Value) -> String {
    let mut header = Header::new(key.algorithm);
    header.kid = Some(key.kid.clone());
    jsonwebtoken::encode(&header, claims, &key.encoding).unwrap()
}

/// Serves `keys` as a JWKS on loopback, counting the fetches.
async fn serve_jwks(keys: Vec<Value>) -> (String, Arc<AtomicUsize>) {
    let fetches = Arc::new(AtomicUsize::new(0));
    let counted = fetches.clone();
    let set = json!({ "keys": keys });
    let app = axum::Router::new().route(
        "/.well-known/jwks",
        axum::routing::get(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            let set = set.clone();
            async move { axum::Json(set) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{address}/.well-known/jwks"), fetches)
}

/// shop-api and other-api in GitHub repositories, owned by ana's team;
/// billing in a GitLab repository, owned by bo's. Each has a DeployTarget
/// for production whose step appends the version to `ledger`.
fn organisation(dir: &Path) {
    let ledger = dir.join("ledger");
    let target = |service: &str| {
        format!(
            "---\napiVersion: paved.dev/v1alpha1\nkind: DeployTarget\nmetadata: {{ name: {service}-production }}\n\
             spec:\n  component: {service}\n  environment: production\n  steps:\n    - name: release\n      \
             run: echo \"$PAVED_SERVICE $PAVED_VERSION\" >> {}\n",
            ledger.display()
        )
    };
    let catalog = format!(
        r#"apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {{ name: shop }}
spec: {{ type: team, children: [], members: [ana] }}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {{ name: billing }}
spec: {{ type: team, children: [], members: [bo] }}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {{ name: ana, annotations: {{ github.com/user-login: ana-gh }} }}
spec: {{ memberOf: [shop] }}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {{ name: bo, annotations: {{ gitlab.com/user-login: bo-gl, github.com/user-login: bo-gh }} }}
spec: {{ memberOf: [billing] }}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {{ name: shop-api, annotations: {{ github.com/project-slug: acme/shop-api }} }}
spec: {{ type: service, lifecycle: production, owner: shop }}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {{ name: other-api, annotations: {{ github.com/project-slug: acme/other-api }} }}
spec: {{ type: service, lifecycle: production, owner: shop }}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {{ name: billing, annotations: {{ paved.dev/repo: "https://gitlab.example.com/billing/api" }} }}
spec: {{ type: service, lifecycle: production, owner: billing }}
{}{}{}"#,
        target("shop-api"),
        target("other-api"),
        target("billing")
    );
    std::fs::write(dir.join("catalog.yaml"), catalog).unwrap();
    let imported = run(paved(dir).args(["catalog", "import", "catalog.yaml", "--database-url", "paved.db"]));
    assert!(imported.status.success(), "{}", stderr(&imported));
}

async fn post(server: &Server, path: &str, token: &str, body: &Value) -> (u16, Value) {
    let auth = format!("Bearer {token}");
    let headers = [("authorization", auth.as_str()), ("content-type", "application/json")];
    server.post(path, &headers, body.to_string().into_bytes()).await
}

async fn deploy(server: &Server, service: &str, token: &str, version: &str) -> (u16, Value) {
    post(server, &format!("/api/v1/services/{service}/deploys"), token, &json!({ "version": version })).await
}

/// The error message of a refused request.
fn message(body: &Value) -> String {
    body["error"]["message"].as_str().or_else(|| body["refused"].as_str()).unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ci_jobs_deploy_with_their_oidc_token_and_foreign_tokens_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    organisation(dir);
    let github_key = es256("gh-1");
    let stranger = es256("gh-1"); // the same key id, another key
    let gitlab_key = rs256(dir, "gl-1");
    let (jwks_url, fetches) = serve_jwks(vec![github_key.jwk.clone()]).await;
    std::fs::write(dir.join("gitlab-jwks.json"), json!({ "keys": [gitlab_key.jwk] }).to_string()).unwrap();
    std::fs::write(
        dir.join("paved.toml"),
        format!(
            "[[ci_identity]]\nprovider = \"github\"\nissuer = \"{GITHUB}\"\naudiences = [\"paved\"]\n\
             jwks_url = \"{jwks_url}\"\n\n[[ci_identity]]\nprovider = \"gitlab\"\nissuer = \"{GITLAB}\"\n\
             audiences = [\"paved\", \"https://paved.example.com\"]\njwks_file = \"gitlab-jwks.json\"\n"
        ),
    )
    .unwrap();
    let server = Server::start(dir, &["--database-url", "paved.db", "--config", "paved.toml"]);

    // ana's job in acme/shop-api deploys shop-api to production: no stored
    // secret, and the deploy is hers.
    let token = sign(&github_key, &github_claims("acme/shop-api", "ana-gh", "production"));
    let (status, queued) = deploy(&server, "shop-api", &token, "1.0.0").await;
    assert_eq!(status, 202, "{queued}");
    let id = queued["deploy"]["id"].as_i64().unwrap();
    let done = until_finished(&server, id).await;
    assert_eq!(done["deploy"]["state"], "succeeded", "{done}");
    assert_eq!(done["deploy"]["actor"], "user:default/ana", "{done}");
    let requested_by = done["deploy"]["requested_by"].as_str().unwrap();
    assert!(
        requested_by.contains("GitHub Actions token of github.com/acme/shop-api at refs/heads/main"),
        "{requested_by}"
    );

    // The same through the CLI a workflow step runs, the token as --token.
    let cli =
        run(paved(dir).args(["deploy", "shop-api", "--version", "1.0.1", "--server", &server.base, "--token", &token]));
    assert!(cli.status.success(), "{}\n{}", stdout(&cli), stderr(&cli));
    assert!(stdout(&cli).contains("succeeded"), "{}", stdout(&cli));
    let ledger = std::fs::read_to_string(dir.join("ledger")).unwrap();
    assert_eq!(ledger, "shop-api 1.0.0\nshop-api 1.0.1\n");

    // bo's GitLab job records a deployment of billing (RS256, keys from a
    // file), as bo.
    let gitlab = sign(&gitlab_key, &gitlab_claims("billing/api", "bo-gl"));
    let record =
        json!({ "service": "billing", "environment": "production", "sha": "89abcdef0123456789abcdef0123456789abcdef" });
    let (status, recorded) = post(&server, "/api/v1/deployments", &gitlab, &record).await;
    assert_eq!(status, 201, "{recorded}");
    assert_eq!(recorded["actor"], "user:default/bo", "{recorded}");

    // Refused with the reason: 401 for a token that is not the issuer's,
    // 403 for one that is but may not do this.
    let mut expired = github_claims("acme/shop-api", "ana-gh", "production");
    expired["exp"] = json!(now() - 600);
    expired["iat"] = json!(now() - 900);
    expired["nbf"] = json!(now() - 900);
    let mut audience = github_claims("acme/shop-api", "ana-gh", "production");
    audience["aud"] = json!("https://github.com/acme");
    let mut issuer = github_claims("acme/shop-api", "ana-gh", "production");
    issuer["iss"] = json!("https://token.actions.example.net");
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(github_claims("acme/shop-api", "ana-gh", "production").to_string())
    );
    let hmac = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &github_claims("acme/shop-api", "ana-gh", "production"),
        &EncodingKey::from_secret(b"the public key, as a secret"),
    )
    .unwrap();
    let mut rotated = Header::new(Algorithm::ES256);
    rotated.kid = Some("gh-9".into());
    let unknown_kid =
        jsonwebtoken::encode(&rotated, &github_claims("acme/shop-api", "ana-gh", "production"), &github_key.encoding)
            .unwrap();
    let cases: Vec<(&str, String, u16, &str)> = vec![
        ("expired", sign(&github_key, &expired), 401, "it expired at"),
        ("wrong audience", sign(&github_key, &audience), 401, "audience https://github.com/acme is not accepted"),
        (
            "wrong issuer",
            sign(&github_key, &issuer),
            401,
            "issuer `https://token.actions.example.net` is not configured",
        ),
        ("unsigned", unsigned, 401, "unsigned (`alg: none`)"),
        ("HMAC", hmac, 401, "signed with `HS256`"),
        (
            "another key",
            sign(&stranger, &github_claims("acme/shop-api", "ana-gh", "production")),
            401,
            "signature does not verify",
        ),
        (
            "unknown key",
            unknown_kid,
            401,
            "key `gh-9`, which https://token.actions.githubusercontent.com does not publish",
        ),
        (
            "another repository's service",
            sign(&github_key, &github_claims("acme/other-api", "ana-gh", "production")),
            403,
            "token of github.com/acme/other-api acts only on that repository's services",
        ),
        (
            "another environment",
            sign(&github_key, &github_claims("acme/shop-api", "ana-gh", "staging")),
            403,
            "issued for environment `staging`, not `production`",
        ),
        ("not an owner", sign(&github_key, &github_claims("acme/shop-api", "bo-gh", "production")), 403, "may_act"),
        (
            "no environment",
            sign(&github_key, &{
                let mut claims = github_claims("acme/shop-api", "ana-gh", "production");
                claims.as_object_mut().unwrap().remove("environment");
                claims
            }),
            403,
            "names no environment, so no environment's protection rules ran for it",
        ),
        (
            // A GitHub account named like the catalog User, not the login
            // her annotation names.
            "a login only named like a User",
            sign(&github_key, &github_claims("acme/shop-api", "ana", "production")),
            403,
            "GitHub user `ana`, who is not a User of the catalog",
        ),
        (
            "nobody of the catalog",
            sign(&github_key, &github_claims("acme/shop-api", "mallory", "production")),
            403,
            "GitHub user `mallory`, who is not a User of the catalog",
        ),
        ("garbage", "eyJhbGciOiJFUzI1NiJ9.bm90IGpzb24.c2ln".into(), 401, "its claims part is not JSON"),
    ];
    for (case, token, want, reason) in &cases {
        let (status, body) = deploy(&server, "shop-api", token, "6.6.6").await;
        assert_eq!(status, *want, "{case}: {body}");
        assert!(message(&body).contains(reason), "{case}: {}", message(&body));
    }
    // A GitLab token for another project is not bo's to record with.
    let foreign = sign(&gitlab_key, &gitlab_claims("billing/other", "bo-gl"));
    let (status, body) = post(&server, "/api/v1/deployments", &foreign, &record).await;
    assert_eq!(status, 403, "{body}");
    assert!(message(&body).contains("gitlab.example.com/billing/other"), "{}", message(&body));
    // Nor does a CI token open anything else.
    let (status, body) = server.get_with("/api/v1/audit?service=shop-api", &token).await;
    assert_eq!(status, 401, "{body}");
    assert!(message(&body).contains("accepted only to deploy"), "{}", message(&body));

    let ledger = std::fs::read_to_string(dir.join("ledger")).unwrap();
    assert!(!ledger.contains("6.6.6"), "no refused token deployed: {ledger}");
    // The key set was fetched once: a key it lacks is looked for again only
    // after ten seconds, so that unknown keys cannot make it fetch at will.
    assert_eq!(fetches.load(Ordering::SeqCst), 1, "the JWKS is kept between tokens");

    // The audit trail names the person and the token behind each action.
    server.stop();
    let audit =
        run(paved(dir).args(["audit", "--service", "shop-api", "--format", "json", "--database-url", "paved.db"]));
    assert!(audit.status.success(), "{}", stderr(&audit));
    let entries = json_of(&audit);
    let entries = entries["items"].as_array().or(entries.as_array()).cloned().unwrap_or_default();
    let by_ci = |decision: &str| {
        entries
            .iter()
            .filter(|e| e["decision"] == decision)
            .filter(|e| {
                e["actor"].as_str().unwrap_or_default().contains("GitHub Actions token of github.com/acme/shop-api")
            })
            .count()
    };
    assert!(by_ci("allowed") >= 2, "both deploys are audited with the token: {entries:#?}");
    assert!(by_ci("refused") >= 2, "the refused ones too (bo's, staging): {entries:#?}");
    assert!(
        entries.iter().any(|e| e["actor"].as_str().unwrap_or_default().starts_with("user:default/ana (GitHub Actions")),
        "{entries:#?}"
    );
}

/// Waits until deploy `id` has finished (a minute at most).
async fn until_finished(server: &Server, id: i64) -> Value {
    for _ in 0..600 {
        let (status, body) = server.get(&format!("/api/v1/deploys/{id}")).await;
        assert_eq!(status, 200, "{body}");
        if ["succeeded", "failed", "interrupted", "rolled_back"]
            .contains(&body["deploy"]["state"].as_str().unwrap_or(""))
        {
            return body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("deploy {id} never finished");
}

#[test]
fn a_bad_ci_identity_configuration_is_refused_naming_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    for (config, wanted) in [
        ("provider = \"jenkins\"\nissuer = \"https://ci\"\naudiences = [\"p\"]", "number 1 provider"),
        ("provider = \"github\"\nissuer = \"http://ci\"\naudiences = [\"p\"]", "is not an https URL"),
        ("provider = \"github\"\nissuer = \"https://ci\"\naudiences = []", "audiences: is empty"),
        (
            "provider = \"github\"\nissuer = \"https://ci\"\naudiences = [\"p\"]\njwks_url = \"http://keys.example.com/jwks\"",
            "is not an https URL",
        ),
    ] {
        std::fs::write(dir.join("bad.toml"), format!("[[ci_identity]]\n{config}\n")).unwrap();
        let out = run(paved(dir).args(["serve", "--config", "bad.toml", "--database-url", "paved.db"]));
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains(wanted), "{}", stderr(&out));
    }
}
