//! Signing in to the web UI over real HTTP, as a browser would: a session
//! from a personal token (its cookie's attributes, what ends it), the
//! authenticating proxy's header (believed only from trusted addresses),
//! `require_sign_in`, and the refusal of every form that is not from this
//! server's own pages.

use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use paved_server::{FORM_ROUTES, ServerSettings, WebAuth};
use paved_store::{NewToken, TokenScope};
use scraper::{Html, Selector};

use crate::helpers::{On, TestApp};

const PRIYA: &str = "user:default/priya.raman";

/// A form field or a header: name and value.
type Field<'a> = (&'a str, &'a str);

/// What a browser keeps between requests: its cookies, sent back to the
/// server; requests are not redirected, so that each answer can be read.
pub(crate) struct Browser {
    base: String,
    client: reqwest::Client,
    pub(crate) cookies: BTreeMap<String, String>,
}

/// An answer as a test reads it.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) set_cookies: Vec<String>,
    pub(crate) location: Option<String>,
    pub(crate) cache_control: Option<String>,
    pub(crate) body: String,
}

impl Answer {
    pub(crate) fn page(&self) -> Html {
        Html::parse_document(&self.body)
    }

    /// The `Set-Cookie` of `name`.
    pub(crate) fn cookie(&self, name: &str) -> Option<&str> {
        self.set_cookies.iter().map(String::as_str).find(|c| c.starts_with(&format!("{name}=")))
    }

    pub(crate) fn texts(&self, selector: &str) -> Vec<String> {
        let selector = Selector::parse(selector).unwrap();
        self.page().select(&selector).map(|e| e.text().collect::<String>().trim().to_owned()).collect()
    }

    /// The value of the CSRF field of the form matching `form`.
    pub(crate) fn csrf(&self, form: &str) -> String {
        let selector = Selector::parse(&format!("{form} input[name=csrf]")).unwrap();
        let page = self.page();
        let field = page.select(&selector).next().unwrap_or_else(|| panic!("{form} has a csrf field: {}", self.body));
        field.value().attr("value").unwrap().to_owned()
    }
}

impl Browser {
    pub(crate) fn new(app: &TestApp) -> Self {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { base: app.base.clone(), client, cookies: BTreeMap::new() }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(name, value)| format!("{name}={value}")).collect::<Vec<_>>().join("; ")
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Answer {
        let request = if self.cookies.is_empty() { request } else { request.header("Cookie", self.cookie_header()) };
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        let set_cookies: Vec<String> =
            response.headers().get_all("set-cookie").iter().map(|value| value.to_str().unwrap().to_owned()).collect();
        for cookie in &set_cookies {
            let (pair, attributes) = cookie.split_once(';').unwrap_or((cookie, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let header = |name: &str| response.headers().get(name).map(|value| value.to_str().unwrap().to_owned());
        let (location, cache_control) = (header("location"), header("cache-control"));
        let body = response.text().await.unwrap();
        Answer { status, set_cookies, location, cache_control, body }
    }

    pub(crate) async fn get(&mut self, path: &str, headers: &[(&str, &str)]) -> Answer {
        let mut request = self.client.get(format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request).await
    }

    /// Posts a form the way a browser posts one of this server's own
    /// forms (`Origin` this server, `Sec-Fetch-Site: same-origin`), with
    /// `headers` added or replacing those.
    pub(crate) async fn post(&mut self, path: &str, fields: &[(&str, &str)], headers: &[(&str, &str)]) -> Answer {
        let mut request = self.client.post(format!("{}{path}", self.base)).form(fields);
        let mut sent: BTreeMap<String, String> = [("origin", self.base.as_str()), ("sec-fetch-site", "same-origin")]
            .map(|(n, v)| (n.into(), v.into()))
            .into();
        for (name, value) in headers {
            sent.insert(name.to_ascii_lowercase(), (*value).to_owned());
        }
        for (name, value) in sent {
            request = request.header(name, value);
        }
        self.send(request).await
    }

    /// Signs in with `token` from the sign-in page, as a person would.
    pub(crate) async fn sign_in(&mut self, token: &str, next: &str) -> Answer {
        let form = self.get(&format!("/sign-in?next={next}"), &[]).await;
        assert_eq!(form.status, 200, "{}", form.body);
        let csrf = form.csrf("form.sign-in");
        let next = form
            .page()
            .select(&Selector::parse("form.sign-in input[name=next]").unwrap())
            .next()
            .and_then(|e| e.value().attr("value").map(str::to_owned))
            .unwrap();
        self.post("/sign-in", &[("csrf", &csrf), ("next", &next), ("token", token)], &[]).await
    }
}

async fn spawn(on: On, web: WebAuth) -> TestApp {
    TestApp::spawn_with(on, ServerSettings { web, ..ServerSettings::default() }).await
}

async fn token_expiring(app: &TestApp, scope: TokenScope, expires_at: Option<chrono::DateTime<Utc>>) -> (String, i64) {
    let token = paved_app::tokens::generate_token().unwrap();
    let new = NewToken {
        name: "web".into(),
        scope,
        hash: paved_app::tokens::token_hash(&token),
        prefix: paved_app::tokens::token_prefix(&token),
        expires_at,
    };
    let info = app.store.create_token(&new, "test").await.unwrap();
    (token, info.id)
}

fn priya() -> TokenScope {
    TokenScope::User(PRIYA.parse().unwrap())
}

fn proxy(trusted: &str) -> WebAuth {
    WebAuth {
        proxy_header: Some(paved_server::parse_proxy_header("X-Forwarded-Email").unwrap()),
        proxy_trusted: paved_server::parse_trusted_proxies(&[trusted.to_owned()]).unwrap(),
        ..WebAuth::default()
    }
}

crate::helpers::on_tests! {
    async fn a_personal_token_starts_a_session_whose_cookie_is_http_only_and_lax(on) {
        let app = spawn(on, WebAuth::default()).await;
        let (token, token_id) = token_expiring(&app, priya(), None).await;
        let mut browser = Browser::new(&app);
        let form = browser.get("/sign-in", &[]).await;
        let csrf_cookie = form.cookie("paved_csrf").expect("the sign-in page sets the form's cookie").to_owned();
        assert!(csrf_cookie.contains("; HttpOnly") && csrf_cookie.contains("; SameSite=Lax") && csrf_cookie.contains("; Path=/"), "{csrf_cookie}");
        assert_eq!(form.csrf("form.sign-in"), browser.cookies["paved_csrf"], "the form carries the cookie's value");

        let signed_in = browser.sign_in(&token, "%2Fservices%3Fdays%3D30").await;
        assert_eq!(signed_in.status, 303, "{}", signed_in.body);
        assert_eq!(signed_in.location.as_deref(), Some("/services?days=30"), "back where they were going");
        let cookie = signed_in.cookie("paved_session").expect("a session cookie");
        for attribute in ["; HttpOnly", "; SameSite=Lax", "; Path=/", "; Max-Age=43"] {
            assert!(cookie.contains(attribute), "{attribute} in {cookie}");
        }
        assert!(!cookie.contains("Secure"), "served over plain http: {cookie}");
        let secret = browser.cookies["paved_session"].clone();
        assert!(app.store.session_by_hash(&secret).await.unwrap().is_none(), "the secret itself is not stored");
        let (session, _) = app.store.session_by_hash(&paved_app::tokens::token_hash(&secret)).await.unwrap().expect("its hash is");
        assert_eq!((session.person.to_string(), session.token_id), (PRIYA.to_owned(), token_id));

        let page = browser.get("/", &[]).await;
        assert_eq!(page.status, 200);
        let status = page.texts("header .session");
        assert!(status[0].starts_with("Signed in as Priya Raman") && status[0].ends_with("Sign out"), "{status:?}");
        assert!(page.texts("header nav a").len() == 5, "the sections are unchanged");
        let audit = app.store.audit_log(1).await.unwrap();
        assert_eq!((audit[0].action.as_str(), audit[0].actor.clone()), ("session.start", format!("{PRIYA} (token {token_id})")));
    }

    async fn team_admin_unknown_and_blank_tokens_sign_nobody_in(on) {
        let app = spawn(on, WebAuth::default()).await;
        let (team, _) = token_expiring(&app, TokenScope::Team("group:default/checkout".parse().unwrap()), None).await;
        let (admin, _) = token_expiring(&app, TokenScope::Admin, None).await;
        let mut browser = Browser::new(&app);
        for (token, status, says) in [
            (team.as_str(), 401, "paved token create --user NAME"),
            (admin.as_str(), 401, "paved token create --user NAME"),
            ("paved_0000", 401, "not known"),
            ("   ", 400, "Paste your personal token"),
        ] {
            let answer = browser.sign_in(token, "%2F").await;
            assert_eq!(answer.status, status, "{token}: {}", answer.body);
            assert!(answer.cookie("paved_session").is_none(), "{token}");
            let problem = answer.texts("#sign-in-problem");
            assert!(problem.len() == 1 && problem[0].contains(says), "{token}: {problem:?}");
            assert_eq!(answer.texts("form.sign-in button"), ["Sign in"], "the form again");
        }
        assert!(app.store.audit_log(10).await.unwrap().iter().all(|a| a.action != "session.start"));
    }

    async fn a_session_never_outlives_its_token_and_ends_when_the_token_is_revoked(on) {
        let app = spawn(on, WebAuth::default()).await;
        let (token, token_id) = token_expiring(&app, priya(), Some(Utc::now() + Duration::minutes(30))).await;
        let mut browser = Browser::new(&app);
        let signed_in = browser.sign_in(&token, "%2F").await;
        let cookie = signed_in.cookie("paved_session").unwrap();
        let max_age: i64 = cookie.split("Max-Age=").nth(1).unwrap().split(';').next().unwrap().parse().unwrap();
        assert!((1_700..=1_800).contains(&max_age), "at most the token's 30 minutes: {cookie}");
        assert!(browser.get("/", &[]).await.texts("header .session")[0].starts_with("Signed in as"));

        app.store.revoke_token(token_id, "test").await.unwrap();
        let page = browser.get("/", &[]).await;
        assert_eq!(page.texts("header .session"), ["Sign in"], "the revoked token's session identifies nobody");
        assert!(page.cookie("paved_session").is_some_and(|c| c.contains("Max-Age=0")), "and its cookie is deleted");
    }

    async fn an_admin_lists_sessions_and_ends_one_and_a_person_may_not(on) {
        let app = spawn(on, WebAuth::default()).await;
        let (token, _) = token_expiring(&app, priya(), None).await;
        let mut browser = Browser::new(&app);
        browser.sign_in(&token, "%2F").await;
        let paved = paved_app::App::new(app.store.clone(), paved_ingest::IngestSettings::default());
        let person = paved_app::tokens::authenticate(&app.store, &token).await.unwrap();
        let refused = paved.live_sessions(&person).await.unwrap_err();
        assert!(refused.to_string().contains("admins may"), "{refused}");
        // Signed in, an owner sees the service's audit trail on its page;
        // nobody else does.
        let page = browser.get("/services/ci-runners", &[]).await;
        assert!(page.body.contains("data-audit") && page.body.contains("Audit trail"), "{}", page.body);
        let anonymous = Browser::new(&app).get("/services/ci-runners", &[]).await;
        assert!(!anonymous.body.contains("data-audit"), "the trail is only for its owners and admins");
        let live = paved.live_sessions(&paved_app::Caller::Local).await.unwrap();
        assert_eq!(live.len(), 1, "{live:?}");
        assert_eq!(live[0].person.to_string(), PRIYA);
        let ended = paved.revoke_session(&paved_app::Caller::Local, live[0].id).await.unwrap();
        assert_eq!(ended.id, live[0].id);
        assert_eq!(browser.get("/", &[]).await.texts("header .session"), ["Sign in"], "signed out at the next request");
        assert!(paved.live_sessions(&paved_app::Caller::Local).await.unwrap().is_empty());
        let audit = app.store.audit_log(1).await.unwrap();
        assert_eq!((audit[0].action.as_str(), audit[0].actor.as_str()), ("session.end", "cli"));
        assert!(paved.revoke_session(&paved_app::Caller::Local, 999_999).await.is_err(), "no such session");
    }

    async fn a_session_ends_when_its_token_expires(on) {
        let app = spawn(on, WebAuth::default()).await;
        let (token, token_id) = token_expiring(&app, priya(), Some(Utc::now() + Duration::days(1))).await;
        let mut browser = Browser::new(&app);
        browser.sign_in(&token, "%2F").await;
        assert!(browser.get("/teams", &[]).await.texts("header .session")[0].starts_with("Signed in as"));
        app.execute_sql(&format!("UPDATE api_tokens SET expires_at = '2000-01-01T00:00:00+00:00' WHERE id = {token_id}")).await;
        assert_eq!(browser.get("/teams", &[]).await.texts("header .session"), ["Sign in"]);
    }

    async fn signing_out_ends_the_session_and_deletes_its_cookie(on) {
        let app = spawn(on, WebAuth::default()).await;
        let (token, _) = token_expiring(&app, priya(), None).await;
        let mut browser = Browser::new(&app);
        browser.sign_in(&token, "%2F").await;
        let secret = browser.cookies["paved_session"].clone();
        let page = browser.get("/", &[]).await;
        let csrf = page.csrf("form.sign-out");
        let out = browser.post("/sign-out", &[("csrf", &csrf)], &[]).await;
        assert_eq!((out.status, out.location.as_deref()), (303, Some("/sign-in")), "{}", out.body);
        assert!(out.cookie("paved_session").is_some_and(|c| c.contains("Max-Age=0")));
        assert!(!browser.cookies.contains_key("paved_session"));
        // The old cookie, kept by someone, no longer works either.
        browser.cookies.insert("paved_session".into(), secret);
        assert_eq!(browser.get("/", &[]).await.texts("header .session"), ["Sign in"]);
        let audit = app.store.audit_log(1).await.unwrap();
        assert_eq!(audit[0].action, "session.end");
        assert!(audit[0].actor.starts_with(&format!("{PRIYA} (session ")), "{}", audit[0].actor);
    }

    async fn signing_in_again_ends_the_session_before(on) {
        let app = spawn(on, WebAuth::default()).await;
        let (token, _) = token_expiring(&app, priya(), None).await;
        let mut browser = Browser::new(&app);
        browser.sign_in(&token, "%2F").await;
        let first = browser.cookies["paved_session"].clone();
        let again = browser.sign_in(&token, "%2F").await;
        assert_eq!(again.status, 303, "{}", again.body);
        let second = browser.cookies["paved_session"].clone();
        assert_ne!(first, second, "a new session");
        let (old, _) = app.store.session_by_hash(&paved_app::tokens::token_hash(&first)).await.unwrap().unwrap();
        assert!(old.ended_at.is_some(), "the session before is ended, not left behind");
        assert!(browser.get("/", &[]).await.texts("header .session")[0].starts_with("Signed in as Priya Raman"));
    }

    async fn the_proxy_header_signs_people_in_only_from_trusted_addresses(on) {
        let app = spawn(on, proxy("127.0.0.1/32")).await;
        let mut browser = Browser::new(&app);
        for named in ["priya.raman@acme.example", "Priya@Example.com", "priya-raman"] {
            let page = browser.get("/", &[("X-Forwarded-Email", named)]).await;
            assert_eq!(page.texts("header .session"), ["Signed in as Priya Raman"], "{named}: no sign-out, the proxy signs in");
        }
        let nobody = browser.get("/", &[("X-Forwarded-Email", "someone@else.example")]).await;
        assert_eq!(nobody.texts("header .session"), ["Sign in"]);

        let untrusting = spawn(On::Sqlite, proxy("10.0.0.0/8")).await;
        let mut browser = Browser::new(&untrusting);
        let page = browser.get("/", &[("X-Forwarded-Email", "priya.raman@acme.example")]).await;
        assert_eq!(page.texts("header .session"), ["Sign in"], "a header from an untrusted address is ignored");
    }

    async fn require_sign_in_sends_pages_to_the_sign_in_page_and_back(on) {
        let app = spawn(on, WebAuth { require_sign_in: true, ..proxy("127.0.0.1/32") }).await;
        let (token, _) = token_expiring(&app, priya(), None).await;
        let mut browser = Browser::new(&app);
        let page = browser.get("/services?days=30", &[]).await;
        assert_eq!(page.status, 303);
        assert_eq!(page.location.as_deref(), Some("/sign-in?next=%2Fservices%3Fdays%3D30"));
        for open in ["/sign-in", "/healthz", "/readyz", "/api/v1/entities", "/assets/style.css", "/metrics"] {
            let answer = browser.get(open, &[]).await;
            assert_ne!(answer.status, 303, "{open} is not a page that asks for signing in");
        }
        let by_proxy = browser.get("/services", &[("X-Forwarded-Email", "priya.raman@acme.example")]).await;
        assert_eq!(by_proxy.status, 200, "the proxy's person reads pages");
        let signed_in = browser.sign_in(&token, "%2Fservices%3Fdays%3D30").await;
        assert_eq!(signed_in.location.as_deref(), Some("/services?days=30"));
        assert_eq!(browser.get("/services?days=30", &[]).await.status, 200);
    }

    async fn every_form_route_refuses_a_post_without_the_viewers_token(on) {
        let app = spawn(on, WebAuth::default()).await;
        let (token, _) = token_expiring(&app, priya(), None).await;
        let mut browser = Browser::new(&app);
        browser.sign_in(&token, "%2F").await;
        let good = browser.get("/", &[]).await.csrf("form.sign-out");
        let bad_token = "0".repeat(64);
        let refusals: [(&[Field], &[Field], &str); 5] = [
            (&[], &[], "no token"),
            (&[("csrf", &bad_token)], &[], "another token"),
            (&[("csrf", &good)], &[("Origin", "http://evil.example")], "another site's Origin"),
            (&[("csrf", &good)], &[("Sec-Fetch-Site", "cross-site")], "Sec-Fetch-Site: cross-site"),
            (&[("csrf", &good)], &[("Sec-Fetch-Site", "same-site")], "Sec-Fetch-Site: same-site"),
        ];
        for route in FORM_ROUTES {
            for (fields, headers, what) in refusals {
                let mut fields = fields.to_vec();
                fields.push(("token", &token));
                let answer = browser.post(route, &fields, headers).await;
                assert_eq!(answer.status, 403, "{route} with {what}: {}", answer.body);
                assert!(answer.body.contains("This form came from another site"), "{route} with {what}");
                assert!(answer.cookie("paved_session").is_none(), "{route} with {what}: the session is untouched");
            }
        }
        assert!(browser.get("/", &[]).await.texts("header .session")[0].starts_with("Signed in as"), "still signed in");
        let starts = app.store.audit_log(20).await.unwrap().iter().filter(|a| a.action.starts_with("session.")).count();
        assert_eq!(starts, 1, "only the first sign-in did anything");
        // The pages' own forms are sent with `Origin: null` by browsers
        // (Referrer-Policy: no-referrer): the token decides.
        let out = browser.post("/sign-out", &[("csrf", &good)], &[("Origin", "null")]).await;
        assert_eq!(out.status, 303, "{}", out.body);
    }

    async fn the_sign_in_form_needs_its_cookie_and_sends_nobody_to_another_site(on) {
        let app = spawn(on, WebAuth::default()).await;
        let (token, _) = token_expiring(&app, priya(), None).await;
        let mut stranger = Browser::new(&app);
        let field = "f".repeat(64);
        let answer = stranger.post("/sign-in", &[("csrf", &field), ("token", &token)], &[]).await;
        assert_eq!(answer.status, 403, "a token field without the cookie it doubles: {}", answer.body);
        stranger.cookies.insert("paved_csrf".into(), "e".repeat(64));
        let answer = stranger.post("/sign-in", &[("csrf", &field), ("token", &token)], &[]).await;
        assert_eq!(answer.status, 403, "a field that is not the cookie's value");
        for next in ["//evil.example/x", "https://evil.example", "/\\evil.example", "/sign-in?next=/x", "/café"] {
            let mut browser = Browser::new(&app);
            let csrf = browser.get("/sign-in", &[]).await.csrf("form.sign-in");
            let answer = browser.post("/sign-in", &[("csrf", &csrf), ("next", next), ("token", &token)], &[]).await;
            assert_eq!((answer.status, answer.location.as_deref()), (303, Some("/")), "{next}");
        }
        let mut browser = Browser::new(&app);
        let form = browser.get("/sign-in?next=%2F%2Fevil.example", &[]).await;
        let next = form.page().select(&Selector::parse("input[name=next]").unwrap()).next().unwrap().value().attr("value").unwrap().to_owned();
        assert_eq!(next, "/", "the form never carries another site");
    }

    async fn cookies_are_secure_over_https(on) {
        let public = paved_server::PublicUrl::parse("https://paved.example.com").unwrap();
        let app = spawn(on, WebAuth { public_url: Some(public), ..WebAuth::default() }).await;
        let (token, _) = token_expiring(&app, priya(), None).await;
        let mut browser = Browser::new(&app);
        let signed_in = browser.sign_in(&token, "%2F").await;
        assert!(signed_in.cookie("paved_session").unwrap().ends_with("; Secure"), "{:?}", signed_in.set_cookies);

        let behind_proxy = spawn(On::Sqlite, proxy("127.0.0.1/32")).await;
        let mut browser = Browser::new(&behind_proxy);
        let page = browser.get("/sign-in", &[("X-Forwarded-Proto", "https")]).await;
        assert!(page.cookie("paved_csrf").unwrap().ends_with("; Secure"), "a trusted proxy says https");
        let untrusting = spawn(On::Sqlite, proxy("10.0.0.0/8")).await;
        let mut browser = Browser::new(&untrusting);
        let page = browser.get("/sign-in", &[("X-Forwarded-Proto", "https")]).await;
        assert!(!page.cookie("paved_csrf").unwrap().contains("Secure"), "anyone else is not believed");
    }
}
