//! Who is on call and overrides over real HTTP, on the example
//! organisation: another team's person gets a 403 naming checkout's people,
//! a checkout member's override is who is on call until it ends; bad
//! requests get a 400 or 404 that says why; the team page's form does the
//! same for signed-in people; and the iCalendar feeds are read by a real
//! parser (Python's `icalendar`).

use std::io::Write;
use std::process::{Command, Stdio};

use chrono::{DateTime, Duration, SubsecRound, Utc};
use paved_store::TokenScope;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::sign_in::Browser;

fn person(name: &str) -> TokenScope {
    TokenScope::User(format!("user:default/{name}").parse().unwrap())
}

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339()
}

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0)
}

/// ana.souza covers checkout's Schedule from an hour ago for `hours`.
fn ana_covers(hours: i64, reason: &str) -> String {
    json!({
        "user": "ana.souza",
        "from": rfc(now() - Duration::hours(1)),
        "to": rfc(now() + Duration::hours(hours)),
        "reason": reason,
    })
    .to_string()
}

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<String>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new().request(method, format!("{}{path}", app.base));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.header("content-type", "application/json").body(body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON: {status} {text}")))
}

const OVERRIDES: &str = "/api/v1/schedules/checkout-oncall/overrides";

crate::helpers::api_tests! {
    async fn another_team_s_person_gets_403_naming_the_owners_and_a_member_s_override_is_on_call(app) {
        let james = app.token(person("james.carter")).await;
        let lena = app.token(person("lena.fischer")).await;
        let (status, body) = send(&app, reqwest::Method::POST, OVERRIDES, Some(&james), Some(ana_covers(3, "dentist"))).await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(body["error"]["code"], "forbidden");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with("user:default/james.carter may not act on checkout-oncall: checkout-oncall is owned by group:default/checkout (ana.souza, lena.fischer, marco.rossi)"),
            "{message}"
        );
        let (status, _) = send(&app, reqwest::Method::POST, OVERRIDES, None, Some(ana_covers(3, "x"))).await;
        assert_eq!(status, 401, "a write needs a token");

        let (status, made) = send(&app, reqwest::Method::POST, OVERRIDES, Some(&lena), Some(ana_covers(3, "dentist, then lunch"))).await;
        assert_eq!(status, 201, "{made}");
        assert_eq!(made["schedule"], "schedule:default/checkout-oncall");
        assert_eq!(made["user"], "user:default/ana.souza");
        assert_eq!(made["reason"], "dentist, then lunch");
        assert!(made["created_by"].as_str().unwrap().starts_with("user:default/lena.fischer (token "), "{made}");
        let id = made["id"].as_i64().unwrap();

        let (status, on_call) = app.get("/api/v1/oncall?service=checkout-api").await;
        assert_eq!(status, 200, "{on_call}");
        let answers = on_call["items"].as_array().unwrap();
        assert_eq!(answers.len(), 1, "{on_call}");
        assert_eq!(answers[0]["schedule"], "schedule:default/checkout-oncall");
        assert_eq!(answers[0]["current"]["person"], "user:default/ana.souza");
        assert_eq!(answers[0]["current"]["source"], "override");
        assert_eq!(answers[0]["current"]["end"], made["end"]);
        assert_eq!(answers[0]["next"]["start"], made["end"], "the rotation takes over when it ends");
        assert!(["user:default/lena.fischer", "user:default/marco.rossi"].contains(&answers[0]["next"]["person"].as_str().unwrap()));
        assert_eq!(answers[0]["next"]["rotation"], "primary");

        let (_, listed) = app.get(OVERRIDES).await;
        assert_eq!(listed["items"].as_array().unwrap().iter().map(|o| o["id"].as_i64().unwrap()).collect::<Vec<_>>(), [id]);
        let (_, all) = app.get("/api/v1/overrides").await;
        assert_eq!((all["items"].as_array().unwrap().len(), all["total"].as_u64()), (1, Some(1)));

        let path = format!("/api/v1/overrides/{id}");
        let (status, body) = send(&app, reqwest::Method::DELETE, &path, Some(&james), None).await;
        assert_eq!(status, 403, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("lena.fischer"), "{body}");
        let (status, deleted) = send(&app, reqwest::Method::DELETE, &path, Some(&lena), None).await;
        assert_eq!((status, deleted["id"].as_i64()), (200, Some(id)), "{deleted}");
        let (status, body) = send(&app, reqwest::Method::DELETE, &path, Some(&lena), None).await;
        assert_eq!(status, 404, "{body}");
        let (_, on_call) = app.get("/api/v1/oncall?schedule=checkout-oncall").await;
        assert_eq!(on_call["items"][0]["current"]["source"], "rotation", "{on_call}");
        let actions: Vec<String> = app.store.audit_log(10).await.unwrap().into_iter().map(|e| e.action).collect();
        assert_eq!(actions.iter().filter(|a| a.starts_with("oncall.override.")).count(), 2, "{actions:?}");
    }

    async fn bad_override_requests_get_a_400_or_404_saying_why(app) {
        let lena = app.token(person("lena.fischer")).await;
        let app_ref = &app;
        let post = move |path: &'static str, body: String| {
            let lena = lena.clone();
            async move { send(app_ref, reqwest::Method::POST, path, Some(&lena), Some(body)).await }
        };
        let (status, body) = post("/api/v1/schedules/nope/overrides", ana_covers(2, "x")).await;
        assert_eq!(status, 404, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("it has: checkout-oncall"), "{body}");
        let cases = [
            (json!({"user": "nobody", "from": rfc(now()), "to": rfc(now() + Duration::hours(1))}), "no User `nobody`"),
            (json!({"user": "ana.souza", "from": rfc(now() + Duration::hours(2)), "to": rfc(now() + Duration::hours(1))}), "is not after from"),
            (json!({"user": "ana.souza", "from": "soon", "to": rfc(now())}), "from `soon` is not a time"),
            (json!({"user": "ana.souza", "from": rfc(now()), "to": rfc(now() + Duration::days(60))}), "the most is 31"),
            (json!({"user": "ana.souza", "from": rfc(now()), "to": rfc(now() + Duration::hours(1)), "color": "red"}), "unknown field `color`"),
            (json!({"user": "ana.souza"}), "missing field `from`"),
        ];
        for (body, says) in cases {
            let (status, answer) = post(OVERRIDES, body.to_string()).await;
            assert_eq!(status, 400, "{says}: {answer}");
            assert!(answer["error"]["message"].as_str().unwrap().contains(says), "{says}: {answer}");
        }
        for (query, says) in [
            ("team=checkout&service=checkout-api", "one of team, service and schedule"),
            ("team=nobody", "no team `nobody`"),
            ("service=nothing", "no service `nothing`"),
            ("schedule=checkout-oncall&at=yesterday-ish", "at `yesterday-ish` is not a time"),
        ] {
            let (status, answer) = app.get(&format!("/api/v1/oncall?{query}")).await;
            assert_eq!(status, 400, "{query}: {answer}");
            assert!(answer["error"]["message"].as_str().unwrap().contains(says), "{query}: {answer}");
        }
        let (status, answer) = app.get("/api/v1/oncall").await;
        assert_eq!(status, 200);
        assert_eq!(answer["items"].as_array().unwrap().len(), 1, "acme has one Schedule: {answer}");
        assert_eq!((answer["total"].as_u64(), answer["next_offset"].as_u64()), (Some(1), None), "{answer}");
    }

    async fn the_calendar_feeds_are_read_by_a_real_icalendar_parser(app) {
        let Some(parse) = python_icalendar() else { return };
        let lena = app.token(person("lena.fischer")).await;
        let reason = "covering; long enough to fold, with commas, backslashes \\ and ünïcödé characters all over it";
        let (status, made) = send(&app, reqwest::Method::POST, OVERRIDES, Some(&lena), Some(ana_covers(5, reason))).await;
        assert_eq!(status, 201, "{made}");

        let response = reqwest::get(format!("{}/oncall/checkout-oncall.ics", app.base)).await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(response.headers()["content-type"], "text/calendar; charset=utf-8");
        let feed = response.text().await.unwrap();
        assert!(feed.ends_with("END:VCALENDAR\r\n") && !feed.replace("\r\n", "").contains('\n'), "CRLF lines");
        assert!(feed.split("\r\n").all(|line| line.len() <= 75), "folded at 75 octets");

        let calendar = parse(&feed);
        assert_eq!(calendar["name"], "On call: checkout-oncall");
        let events = calendar["events"].as_array().unwrap();
        // Eight weeks of a weekly rotation: eight or nine turns, one of them
        // cut in two by the override, and the override itself.
        assert!((10..=12).contains(&events.len()), "{calendar}");
        let ana: Vec<&Value> = events.iter().filter(|e| e["summary"].as_str().unwrap().contains("Ana Souza")).collect();
        assert_eq!(ana.len(), 1, "{calendar}");
        assert_eq!(ana[0]["summary"], "On call: checkout-oncall (Ana Souza)");
        assert_eq!(ana[0]["start"], rfc(made["start"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap()));
        assert_eq!(ana[0]["end"], rfc(made["end"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap()));
        assert!(ana[0]["description"].as_str().unwrap().contains("by an override"), "{}", ana[0]);
        for event in events {
            assert!(event["start"].as_str().unwrap().ends_with("+00:00"), "UTC: {event}");
            assert!(event["start"].as_str() < event["end"].as_str(), "{event}");
        }
        let mut starts: Vec<&str> = events.iter().map(|e| e["start"].as_str().unwrap()).collect();
        starts.sort_unstable();
        assert!(starts.windows(2).all(|w| w[0] != w[1]) , "one person at a time: {starts:?}");
        let mut uids: Vec<&str> = events.iter().map(|e| e["uid"].as_str().unwrap()).collect();
        uids.sort_unstable();
        uids.dedup();
        assert_eq!(uids.len(), events.len(), "a UID per shift");

        // Read again: the same shifts are the same events.
        let again = parse(&reqwest::get(format!("{}/oncall/checkout-oncall.ics", app.base)).await.unwrap().text().await.unwrap());
        let uids_of = |c: &Value| c["events"].as_array().unwrap().iter().map(|e| e["uid"].clone()).collect::<Vec<_>>();
        assert_eq!(uids_of(&again), uids_of(&calendar), "UIDs are stable");

        // A person's feed: only their shifts, across Schedules.
        let hers = parse(&reqwest::get(format!("{}/oncall/people/ana.souza.ics", app.base)).await.unwrap().text().await.unwrap());
        assert_eq!(hers["name"], "On call: Ana Souza");
        let titles: Vec<&str> = hers["events"].as_array().unwrap().iter().map(|e| e["summary"].as_str().unwrap()).collect();
        assert_eq!(titles, ["On call: checkout-oncall"]);
        for missing in ["/oncall/nope.ics", "/oncall/people/nobody.ics", "/oncall/checkout-oncall"] {
            let status = reqwest::get(format!("{}{missing}", app.base)).await.unwrap().status().as_u16();
            assert_eq!(status, 404, "{missing}");
        }
    }
}

/// A function that parses a feed with Python's `icalendar` and returns the
/// calendar's name and events as JSON; `None` (with a visible SKIPPED line)
/// when the module is not installed, unless `PAVED_REQUIRE_PYTHON_ICALENDAR`
/// is set (as `.ci/run` does), which makes a missing module a failure.
fn python_icalendar() -> Option<impl Fn(&str) -> Value> {
    const SCRIPT: &str = r#"
import json, sys
import icalendar
calendar = icalendar.Calendar.from_ical(sys.stdin.buffer.read())
events = []
for event in calendar.walk("VEVENT"):
    events.append({
        "uid": str(event["UID"]),
        "summary": str(event["SUMMARY"]),
        "description": str(event["DESCRIPTION"]),
        "start": event.decoded("DTSTART").isoformat(),
        "end": event.decoded("DTEND").isoformat(),
        "stamp": event.decoded("DTSTAMP").isoformat(),
    })
print(json.dumps({"name": str(calendar.get("X-WR-CALNAME")), "events": events}))
"#;
    let available = Command::new("python3").args(["-c", "import icalendar"]).status().is_ok_and(|s| s.success());
    if !available {
        assert!(
            std::env::var_os("PAVED_REQUIRE_PYTHON_ICALENDAR").is_none(),
            "PAVED_REQUIRE_PYTHON_ICALENDAR is set but python3 cannot import icalendar: python3 -m pip install icalendar"
        );
        eprintln!("SKIPPED: python3 with the icalendar module is not installed (python3 -m pip install icalendar)");
        return None;
    }
    Some(|feed: &str| {
        let mut child = Command::new("python3")
            .args(["-c", SCRIPT])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(feed.as_bytes()).unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "icalendar refused the feed: {}\n{feed}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    })
}

/// The team page's panel and form, as a browser uses them.
mod team_page {
    use super::*;

    crate::helpers::on_tests! {
        async fn the_team_page_shows_who_is_on_call_and_lets_its_people_override(on) {
            let app = TestApp::spawn(on).await;
            let mut browser = Browser::new(&app);
            let page = browser.get("/teams/checkout", &[]).await;
            assert_eq!(page.status, 200);
            let now_cells = page.texts("table.on-call td.now");
            assert_eq!(now_cells.len(), 1, "{:?}", page.texts("table.on-call"));
            assert!(["lena.fischer", "marco.rossi"].contains(&now_cells[0].as_str()), "{now_cells:?}");
            assert!(page.texts("table.on-call td.next")[0].contains(" from "), "{:?}", page.texts("table.on-call td.next"));
            assert_eq!(page.texts("#overrides ~ p a"), ["Sign in"], "nobody signed in gets no form");
            let service = browser.get("/services/checkout-api", &[]).await;
            assert_eq!(service.texts("table.on-call td.now"), now_cells, "the service page has the same panel");
            let href = |answer: &crate::sign_in::Answer, selector: &str| {
                let selector = scraper::Selector::parse(selector).unwrap();
                answer.page().select(&selector).filter_map(|a| a.value().attr("href").map(str::to_owned)).collect::<Vec<_>>()
            };
            assert_eq!(href(&service, "table.on-call a[href$='.ics']"), ["/oncall/checkout-oncall.ics"]);
            let ana = browser.get("/people/ana.souza", &[]).await;
            assert_eq!(href(&ana, "a.calendar"), ["/oncall/people/ana.souza.ics"], "a person's page links their feed");
            assert_eq!(ana.texts("p.contacts code"), ["email:ana.souza@acme.example"], "and how pages reach her");

            // Another team's person sees no form, and a form sent anyway is
            // refused with the reason.
            let james = app.token(person("james.carter")).await;
            browser.sign_in(&james, "%2F").await;
            let page = browser.get("/teams/checkout", &[]).await;
            assert!(page.texts("form.override-form").is_empty());
            assert!(page.body.contains("Only the people of checkout may override its schedules"), "{}", page.body);
            let csrf = page.csrf("form.sign-out");
            let local = |t: DateTime<Utc>| t.with_timezone(&chrono_tz::Europe::Berlin).format("%Y-%m-%dT%H:%M").to_string();
            let (from, to) = (local(now() - Duration::hours(1)), local(now() + Duration::hours(2)));
            let fields = [("csrf", csrf.as_str()), ("schedule", "checkout-oncall"), ("user", "ana.souza"), ("from", &from), ("to", &to), ("reason", "")];
            let refused = browser.post("/teams/checkout/overrides", &fields, &[]).await;
            assert_eq!(refused.status, 403, "{}", refused.body);
            let reason = refused.texts("p.refused");
            assert!(reason[0].contains("is owned by group:default/checkout (ana.souza, lena.fischer, marco.rossi)"), "{reason:?}");

            // A member of the team makes one from the page.
            let mut browser = Browser::new(&app);
            let lena = app.token(person("lena.fischer")).await;
            browser.sign_in(&lena, "%2F").await;
            let page = browser.get("/teams/checkout", &[]).await;
            let csrf = page.csrf("form.override-form");
            let fields = [("csrf", csrf.as_str()), ("schedule", "checkout-oncall"), ("user", "ana.souza"), ("from", &from), ("to", &to), ("reason", "at the dentist")];
            let made = browser.post("/teams/checkout/overrides", &fields, &[]).await;
            assert_eq!((made.status, made.location.as_deref()), (303, Some("/teams/checkout#overrides")), "{}", made.body);
            let page = browser.get("/teams/checkout", &[]).await;
            assert_eq!(page.texts("table.on-call td.now"), ["ana.souza (override)"]);
            let rows = page.texts("table.overrides tbody tr");
            assert!(rows.len() == 1 && rows[0].contains("at the dentist"), "{rows:?}");
            let bad = [("csrf", csrf.as_str()), ("schedule", "checkout-oncall"), ("user", "ana.souza"), ("from", &to), ("to", &from), ("reason", "")];
            let refused = browser.post("/teams/checkout/overrides", &bad, &[]).await;
            assert_eq!(refused.status, 400, "{}", refused.body);
            assert!(refused.texts("p.refused")[0].contains("is not after from"));

            let delete = page.csrf("form.delete-override");
            let id = app.store.overrides(&paved_store::OverrideFilter::default()).await.unwrap()[0].id;
            let gone = browser.post(&format!("/teams/checkout/overrides/{id}/delete"), &[("csrf", &delete)], &[]).await;
            assert_eq!(gone.status, 303, "{}", gone.body);
            assert!(browser.get("/teams/checkout", &[]).await.texts("table.overrides").is_empty());
        }
    }
}
