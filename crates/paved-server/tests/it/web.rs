//! The web UI over real HTTP: every page renders with its navigation,
//! window selector and JSON link; figures on the page equal the JSON API's.

use paved_store::TokenScope;
use scraper::{Html, Selector};
use serde_json::json;

use crate::helpers::{TestApp, api_tests};

pub(crate) async fn html(app: &TestApp, path: &str) -> (u16, Html) {
    let response = reqwest::get(format!("{}{path}", app.base)).await.unwrap();
    let status = response.status().as_u16();
    let content_type =
        response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    assert!(content_type.starts_with("text/html"), "{path}: {content_type}");
    (status, Html::parse_document(&response.text().await.unwrap()))
}

pub(crate) fn texts(document: &Html, selector: &str) -> Vec<String> {
    let selector = Selector::parse(selector).unwrap();
    document.select(&selector).map(|e| e.text().collect::<String>().trim().to_owned()).collect()
}

pub(crate) fn attr(document: &Html, selector: &str, name: &str) -> Vec<String> {
    let selector = Selector::parse(selector).unwrap();
    document.select(&selector).filter_map(|e| e.value().attr(name).map(str::to_owned)).collect()
}

async fn record_deployments(app: &TestApp) {
    let admin = app.token(TokenScope::Admin).await;
    let bearer = format!("Bearer {admin}");
    let now = chrono::Utc::now();
    for (i, (actor, hours)) in [("lenafischer", 30), ("mrossi", 20), ("anasouza", 5)].iter().enumerate() {
        let body = json!({"id": format!("w{i}"), "service": "checkout-api", "environment": "production",
            "sha": "0123abcd", "actor": actor, "finished_at": (now - chrono::Duration::hours(*hours)).to_rfc3339()});
        let (status, _) =
            app.post("/api/v1/deployments", &[("Authorization", bearer.as_str())], body.to_string()).await;
        assert_eq!(status, 201);
    }
}

api_tests! {
    async fn every_page_renders_with_navigation_window_selector_and_json_link(app) {
        record_deployments(&app).await;
        for path in ["/", "/teams", "/teams/checkout", "/services", "/services/checkout-api", "/report",
                     "/people/lena.fischer", "/data-quality", "/?days=30", "/services?q=check&verdict=culture"] {
            let (status, page) = html(&app, path).await;
            assert_eq!(status, 200, "{path}");
            assert_eq!(texts(&page, "h1").len(), 1, "{path}: one h1");
            assert_eq!(texts(&page, "header nav a").len(), 5, "{path}: the sections");
            assert_eq!(texts(&page, "nav.window a").len(), 3, "{path}: 30, 90, 180 days");
            let json = attr(&page, "a.json", "href");
            assert_eq!(json.len(), 1, "{path}");
            let (status, _) = app.get(&json[0]).await;
            assert_eq!(status, 200, "{path}: the JSON link {} answers", json[0]);
            assert_eq!(attr(&page, "html", "lang"), ["en"]);
            for src in attr(&page, "[src]", "src").iter().chain(&attr(&page, "link[href]", "href")) {
                assert!(src.starts_with('/'), "{path}: everything is served by pavedroad itself: {src}");
            }
        }
    }

    async fn the_overview_shows_the_figures_of_the_json_api(app) {
        record_deployments(&app).await;
        let (_, page) = html(&app, "/?days=30").await;
        let report_link = attr(&page, "a.json", "href").remove(0);
        let (_, report) = app.get(&report_link).await;
        let deployments = report["dora"]["deployment_frequency"]["deployments"].as_u64().unwrap();
        assert_eq!(deployments, 3);
        let tile = texts(&page, "[data-metric='Deployment frequency'] .value");
        assert_eq!(tile, [format!("{deployments} deploys")]);
        let share = report["test"]["deploy_own_code"]["value"].as_f64().unwrap();
        let cards = texts(&page, "section[aria-labelledby='test'] .cards .card .value");
        assert!(cards[0].starts_with(&format!("{:.0}%", share * 100.0)), "{cards:?} vs {share}");
        // The first figure is the measure of success: the latest month's
        // deployments developers performed independently, and those others
        // made for them (the figure to drive to zero).
        let latest = &report["self_service"]["series"].as_array().unwrap().last().unwrap()["counts"];
        let headline = texts(&page, "[data-success] .card .value");
        assert_eq!(headline[0], latest["deployments_by_owners"].to_string(), "{latest}");
        assert_eq!(headline[2], latest["deployments_by_others"].to_string(), "{latest}");
        assert_eq!(texts(&page, "main h2")[0], "Deployments developers performed independently");
        assert!(texts(&page, "figure.chart figcaption")[0].contains("by their owners vs by others"));
        assert!(!texts(&page, "svg title").is_empty(), "charts have a text alternative");
        let (_, services) = html(&app, "/services/checkout-api").await;
        assert_eq!(texts(&services, "tr[data-deployment]").len(), 3, "recent deployments listed");
        let deployment = attr(&services, "tr[data-deployment] a", "href").remove(0);
        let (status, page) = html(&app, &deployment).await;
        assert_eq!(status, 200, "{deployment}");
        assert!(texts(&page, "h1")[0].starts_with("Deployment api:w"), "{:?}", texts(&page, "h1"));
        assert!(texts(&page, "td").iter().any(|t| t.contains("an owner")), "who deployed, owner or not");
    }

    async fn unknown_pages_and_windows_get_html_errors(app) {
        let (status, page) = html(&app, "/services/nope").await;
        assert_eq!(status, 404);
        assert!(texts(&page, "p")[0].contains("no service `nope`"));
        let (status, _) = html(&app, "/?days=7").await;
        assert_eq!(status, 400);
        for days in ["abc", "", "90.0"] {
            let (status, page) = html(&app, &format!("/teams?days={days}")).await;
            assert_eq!(status, 400, "days={days}");
            assert!(texts(&page, "p")[0].contains("days must be 30, 90 or 180"), "{:?}", texts(&page, "p"));
        }
        let (status, _) = html(&app, "/?days=30").await;
        assert_eq!(status, 200);
        let (status, _) = html(&app, "/people/nobody").await;
        assert_eq!(status, 404);
    }

    async fn urls_from_the_data_are_links_only_when_http_and_every_page_sends_security_headers(app) {
        let admin = app.token(TokenScope::Admin).await;
        let bearer = format!("Bearer {admin}");
        let key = r#"odd/key?x=1#frag"quote"#;
        let body = json!({"id": key, "service": "checkout-api", "environment": "production", "sha": "0123abcd",
            "url": "javascript:alert(document.cookie)",
            "finished_at": (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339()});
        let (status, answer) =
            app.post("/api/v1/deployments", &[("Authorization", bearer.as_str())], body.to_string()).await;
        assert_eq!(status, 201, "{answer}");
        let mut entities = app.acme.clone();
        let checkout = entities.iter_mut().find(|e| e.entity_ref.to_string() == "component:default/checkout-api").unwrap();
        checkout.paved.runbooks =
            vec!["javascript:alert(1)".to_owned(), "https://runbooks.example/checkout".to_owned()];
        app.store
            .import_catalog(paved_store::CatalogImport {
                location: "examples/acme",
                entities: &entities,
                orphans: paved_store::OrphanPolicy::Mark,
            })
            .await
            .unwrap();

        let (status, service) = html(&app, "/services/checkout-api").await;
        assert_eq!(status, 200);
        let hrefs = attr(&service, "a[href]", "href");
        assert!(hrefs.iter().all(|h| !h.to_ascii_lowercase().starts_with("javascript:")), "{hrefs:?}");
        assert!(hrefs.contains(&"https://runbooks.example/checkout".to_owned()), "an https runbook is a link");
        assert!(texts(&service, "td code").contains(&"javascript:alert(1)".to_owned()), "shown as text");
        // The link to the deployment keeps its key whole.
        let link = attr(&service, "tr[data-deployment] a", "href")
            .into_iter()
            .find(|h| h.contains("odd"))
            .expect("the deployment is listed");
        assert_eq!(link, "/deployments/api%3Aodd%2Fkey%3Fx%3D1%23frag%22quote");
        let (status, page) = html(&app, &link).await;
        assert_eq!(status, 200);
        assert_eq!(texts(&page, "h1"), [format!("Deployment api:{key}")]);
        let hrefs = attr(&page, "a[href]", "href");
        assert!(hrefs.iter().all(|h| !h.to_ascii_lowercase().starts_with("javascript:")), "{hrefs:?}");
        assert!(texts(&page, "td code").contains(&"javascript:alert(document.cookie)".to_owned()));
        let json = attr(&page, "a.json", "href").remove(0);
        let (status, deployment) = app.get(&json).await;
        assert_eq!(status, 200, "{json}");
        assert_eq!(deployment["key"], format!("api:{key}"));

        for path in ["/", "/services/checkout-api", "/api/v1/report", "/healthz", "/no-such-page"] {
            let response = reqwest::get(format!("{}{path}", app.base)).await.unwrap();
            let headers = response.headers();
            let csp = headers["content-security-policy"].to_str().unwrap();
            assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
            assert!(!csp.contains("unsafe-inline"), "{path}: the pages need no inline script or style");
            assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
            assert_eq!(headers["x-frame-options"], "DENY", "{path}");
            assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        }
    }

    async fn events_that_need_attention_are_the_same_on_the_page_the_api_and_each_event(app) {
        let admin = app.token(TokenScope::Admin).await;
        let bearer = format!("Bearer {admin}");
        // An alert that names no service: normalised, routed nowhere.
        let alert = json!({"version": "4", "status": "firing", "alerts": [{"status": "firing",
            "labels": {"alertname": "DiskFull"}, "startsAt": "2026-11-02T10:00:00Z"}]});
        let (status, receipt) = app.post("/hooks/alertmanager", &[("Authorization", bearer.as_str())], alert.to_string()).await;
        assert_eq!(status, 200, "{receipt}");
        assert_eq!(receipt["outcome"], "normalized");
        // A failed one, and an ignored one.
        let (status, _) = app.post("/hooks/alertmanager", &[("Authorization", bearer.as_str())], json!({"version": "3"}).to_string()).await;
        assert_eq!(status, 200);
        let (status, _) = app.post("/hooks/alertmanager", &[("Authorization", bearer.as_str())], json!({"version": "4", "alerts": []}).to_string()).await;
        assert_eq!(status, 200);

        let (_, all) = app.get("/api/v1/events").await;
        let flagged: Vec<i64> = all["items"].as_array().unwrap().iter()
            .filter(|e| e["needs_attention"] == true).map(|e| e["id"].as_i64().unwrap()).collect();
        assert_eq!(flagged.len(), 2, "the unrouted alert and the failed one, not the ignored one: {all}");
        let (_, filtered) = app.get("/api/v1/events?needs_attention=true").await;
        let listed: Vec<i64> = filtered["items"].as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()).collect();
        assert_eq!(listed, flagged, "the filter and the flag agree");
        let (_, page) = html(&app, "/data-quality").await;
        let rows: Vec<i64> = attr(&page, "tr[data-event]", "data-event").iter().map(|id| id.parse().unwrap()).collect();
        assert_eq!(rows, flagged, "the page lists the same events");
        assert!(texts(&page, "h2#events")[0].contains("(2)"), "{:?}", texts(&page, "h2#events"));
        assert!(texts(&page, "tr[data-event] td").iter().any(|t| t.contains("names no service")));
    }

    async fn the_organisation_is_not_a_team_and_a_teams_page_shows_its_work_for_others(app) {
        let admin = app.token(TokenScope::Admin).await;
        let bearer = format!("Bearer {admin}");
        // priya.raman (platform) deploys checkout's service.
        let body = json!({"id": "p1", "service": "checkout-api", "environment": "production", "sha": "0123abcd",
            "actor": "priya-raman", "finished_at": (chrono::Utc::now() - chrono::Duration::hours(2)).to_rfc3339()});
        let (status, answer) = app.post("/api/v1/deployments", &[("Authorization", bearer.as_str())], body.to_string()).await;
        assert_eq!(status, 201, "{answer}");
        let (_, teams) = html(&app, "/teams").await;
        let listed = texts(&teams, "tbody th[scope=row] a");
        assert!(!listed.contains(&"acme".to_owned()), "the organisation's root Group is no team: {listed:?}");
        assert!(listed.contains(&"platform".to_owned()) && listed.contains(&"checkout".to_owned()), "{listed:?}");

        let (status, page) = html(&app, "/teams/platform").await;
        assert_eq!(status, 200);
        assert_eq!(attr(&page, "section[data-outside-deployments]", "data-outside-deployments"), ["1"]);
        assert!(texts(&page, "section[aria-labelledby=others] td.num").contains(&"1".to_owned()));
        let (_, report) = app.get("/api/v1/report?team=platform").await;
        assert_eq!(report["outside_work"]["deployments"], 1, "{}", report["outside_work"]);
        assert_eq!(report["outside_work"]["deployers"][0]["person"], "user:default/priya.raman");
        let (_, service) = app.get("/api/v1/report?service=checkout-api").await;
        assert!(service.get("outside_work").is_none(), "only a team's report has it");
    }
}
