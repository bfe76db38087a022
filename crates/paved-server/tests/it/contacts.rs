//! People's added contacts over real HTTP: only the person themself (and
//! admins) may add or remove theirs, a refusal says who may; a contact is
//! kept sealed (its URL is not in the database file) and shown redacted;
//! without `secret_key` none is kept; the person page's form does the same
//! for a signed-in person; and an added contact is where the next page goes,
//! with its whole URL.

use std::sync::Mutex;

use paved_app::paging::{PageFailure, PageMessage, Pager};
use paved_domain::Contact;
use paved_server::ServerSettings;
use paved_store::{Notification, TokenScope};
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::sign_in::Browser;

const KEY: &str = "8d7f2c1e9a0b4d6f3e5a7c9b1d2f4e6a8c0b2d4f6e8a0c2e4b6d8f0a2c4e6b8d";
const SECRET_PATH: &str = "/hooks/T0001/B0002/kept-out-of-the-database";

fn person(name: &str) -> TokenScope {
    TokenScope::User(format!("user:default/{name}").parse().unwrap())
}

fn settings(key: Option<&str>) -> ServerSettings {
    ServerSettings {
        secret_key: key.map(|k| paved_app::secrets::SecretKey::parse(k).unwrap()),
        ..ServerSettings::default()
    }
}

const ANA: &str = "/api/v1/people/ana.souza/contacts";

fn webhook() -> Value {
    json!({ "contact": format!("webhook:https://pager.example.com{SECRET_PATH}") })
}

/// Records where pages would go, with the contact in full.
#[derive(Default)]
struct Recorder(Mutex<Vec<(String, String)>>);

#[async_trait::async_trait]
impl Pager for Recorder {
    async fn send(
        &self,
        notification: &Notification,
        contact: &Contact,
        _: &PageMessage,
    ) -> Result<String, PageFailure> {
        self.0.lock().unwrap().push((notification.person.clone(), contact.to_annotation()));
        Ok("recorded".to_owned())
    }
}

crate::helpers::on_tests! {
    async fn only_the_person_or_an_admin_changes_their_contacts_which_are_kept_sealed(on) {
        let app = TestApp::spawn_with(on, settings(Some(KEY))).await;
        let (ana, james, team) = (app.token(person("ana.souza")).await, app.token(person("james.carter")).await, app.token(TokenScope::Team("group:default/checkout".parse().unwrap())).await);

        let (status, body) = app.send(reqwest::Method::POST, ANA, Some(&james), Some(webhook())).await;
        assert_eq!(status, 403, "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("may not change user:default/ana.souza's contacts: only ana.souza"), "{message}");
        let (status, _) = app.send(reqwest::Method::POST, ANA, Some(&team), Some(webhook())).await;
        assert_eq!(status, 403, "not even her team's token");
        let (status, _) = app.send(reqwest::Method::POST, ANA, None, Some(webhook())).await;
        assert_eq!(status, 401);
        let (status, body) = app.send(reqwest::Method::POST, ANA, Some(&ana), Some(json!({ "contact": "pager:ana" }))).await;
        assert_eq!(status, 400, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("write a contact like email:"), "{body}");

        let (status, added) = app.send(reqwest::Method::POST, ANA, Some(&ana), Some(webhook())).await;
        assert_eq!(status, 201, "{added}");
        assert_eq!(added["shown"], "webhook:https://pager.example.com/…", "shown without its path");
        let (status, again) = app.send(reqwest::Method::POST, ANA, Some(&ana), Some(webhook())).await;
        assert_eq!(status, 400, "{again}");
        assert!(again["error"]["message"].as_str().unwrap().contains("already has the contact"), "{again}");

        let (status, list) = app.send(reqwest::Method::GET, ANA, None, None).await;
        assert_eq!(status, 200);
        let shown: Vec<(&str, &str)> = list["contacts"].as_array().unwrap().iter().map(|c| (c["shown"].as_str().unwrap(), c["source"].as_str().unwrap())).collect();
        assert_eq!(shown, [("email:ana.souza@acme.example", "catalog"), ("webhook:https://pager.example.com/…", "added")]);
        assert!(!list.to_string().contains(SECRET_PATH), "{list}");
        let (status, _) = app.send(reqwest::Method::GET, "/api/v1/people/nobody.here/contacts", None, None).await;
        assert_eq!(status, 404);

        // Sealed at rest: the URL is in no file of the database.
        if let Some(path) = app.sqlite_path() {
            app.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)").await;
            for file in [path.clone(), path.with_extension("db-wal")] {
                let bytes = std::fs::read(&file).unwrap_or_default();
                assert!(!bytes.windows(SECRET_PATH.len()).any(|w| w == SECRET_PATH.as_bytes()), "{} holds the URL", file.display());
            }
        }
        let audit = app.store.audit_log(5).await.unwrap();
        assert_eq!(audit[0].action, "oncall.contact.add");
        assert!(!format!("{audit:?}").contains(SECRET_PATH), "the audit log shows it redacted");

        let id = added["id"].as_i64().unwrap();
        let (status, _) = app.send(reqwest::Method::DELETE, &format!("{ANA}/{id}"), Some(&james), None).await;
        assert_eq!(status, 403);
        let (status, removed) = app.send(reqwest::Method::DELETE, &format!("{ANA}/{id}"), Some(&ana), None).await;
        assert_eq!((status, removed["id"].as_i64()), (200, Some(id)), "{removed}");
        let (status, body) = app.send(reqwest::Method::DELETE, &format!("{ANA}/{id}"), Some(&ana), None).await;
        assert_eq!(status, 404, "{body}");
    }

    async fn without_a_secret_key_no_contact_is_kept(on) {
        let app = TestApp::spawn_with(on, settings(None)).await;
        let ana = app.token(person("ana.souza")).await;
        let (status, body) = app.send(reqwest::Method::POST, ANA, Some(&ana), Some(webhook())).await;
        assert_eq!(status, 400, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("no secret_key (PAVED_SECRET_KEY)"), "{body}");
        assert!(app.store.person_contacts(None).await.unwrap().is_empty());
    }

    async fn the_next_page_goes_to_an_added_contact_in_full(on) {
        let app = TestApp::spawn_with(on, settings(Some(KEY))).await;
        let admin = app.token(TokenScope::Admin).await;
        let (_, oncall) = app.send(reqwest::Method::GET, "/api/v1/oncall?service=checkout-api", None, None).await;
        let now = oncall["items"][0]["current"]["person"].as_str().expect("someone is on call for checkout").to_owned();
        let name = now.rsplit('/').next().unwrap();
        let path = format!("/api/v1/people/{name}/contacts");
        let (status, body) = app.send(reqwest::Method::POST, &path, Some(&admin), Some(webhook())).await;
        assert_eq!(status, 201, "an admin may: {body}");

        let incident = json!({"id": "INC-contacts", "service": "checkout-api", "severity": "SEV-2", "title": "pay fails"});
        let (status, body) = app.send(reqwest::Method::POST, "/api/v1/incidents", Some(&admin), Some(incident)).await;
        assert_eq!(status, 201, "{body}");
        let pager_app = paved_app::App::new(app.store.clone(), paved_ingest::IngestSettings::default())
            .with_secret_key(Some(paved_app::secrets::SecretKey::parse(KEY).unwrap()));
        pager_app.sweep_unrouted().await.unwrap();
        assert_eq!(pager_app.fire_due_steps("test").await.unwrap(), 1);
        let recorder = Recorder::default();
        pager_app.send_due_pages("test", &recorder).await.unwrap();
        let sent = recorder.0.lock().unwrap().clone();
        assert!(sent.contains(&(now.clone(), format!("webhook:https://pager.example.com{SECRET_PATH}"))), "{sent:?}");
        assert!(sent.contains(&(now.clone(), format!("email:{name}@acme.example"))), "the catalog's contact too: {sent:?}");
    }
}

/// The person page's section and form, as a browser uses them.
mod person_page {
    use super::*;

    crate::helpers::on_tests! {
        async fn a_signed_in_person_adds_and_removes_their_contacts_on_their_page(on) {
            let app = TestApp::spawn_with(on, settings(Some(KEY))).await;
            let mut browser = Browser::new(&app);
            let page = browser.get("/people/ana.souza", &[]).await;
            assert!(page.texts("form.add-contact").is_empty(), "nobody signed in gets no form");

            let james = app.token(person("james.carter")).await;
            browser.sign_in(&james, "%2F").await;
            assert!(browser.get("/people/ana.souza", &[]).await.texts("form.add-contact").is_empty(), "nor another person");
            let csrf = browser.get("/people/james.carter", &[]).await.csrf("form.add-contact");
            let refused = browser.post("/people/ana.souza/contacts", &[("csrf", &csrf), ("contact", "email:james@acme.example")], &[]).await;
            assert_eq!(refused.status, 403, "{}", refused.body);
            assert!(refused.texts("p.refused")[0].contains("only ana.souza"), "{:?}", refused.texts("p.refused"));

            let mut browser = Browser::new(&app);
            let ana = app.token(person("ana.souza")).await;
            browser.sign_in(&ana, "%2F").await;
            let page = browser.get("/people/ana.souza", &[]).await;
            let csrf = page.csrf("form.add-contact");
            let contact = format!("slack:https://hooks.slack.com/services{SECRET_PATH}");
            let added = browser.post("/people/ana.souza/contacts", &[("csrf", &csrf), ("contact", &contact)], &[]).await;
            assert_eq!((added.status, added.location.as_deref()), (303, Some("/people/ana.souza#contacts")), "{}", added.body);
            let page = browser.get("/people/ana.souza", &[]).await;
            assert_eq!(page.texts("p.contacts code"), ["email:ana.souza@acme.example", "slack:https://hooks.slack.com/…"]);
            assert!(!page.body.contains(SECRET_PATH));
            let bad = browser.post("/people/ana.souza/contacts", &[("csrf", &csrf), ("contact", "slack:not a url")], &[]).await;
            assert_eq!(bad.status, 400, "{}", bad.body);

            let id = app.store.person_contacts(None).await.unwrap()[0].id;
            let remove = page.csrf("form.remove-contact");
            let gone = browser.post(&format!("/people/ana.souza/contacts/{id}/delete"), &[("csrf", &remove)], &[]).await;
            assert_eq!(gone.status, 303, "{}", gone.body);
            assert_eq!(browser.get("/people/ana.souza", &[]).await.texts("p.contacts code"), ["email:ana.souza@acme.example"]);
        }
    }
}
