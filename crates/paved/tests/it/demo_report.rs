//! The acceptance of the culture diagnostics (DESIGN §6) on the demo
//! organisation: `paved report --format json` finds every dysfunction the
//! generator planted, naming the planted people, teams and services; rates
//! the healthy team `culture`; and the organisation's phase moves on as the
//! platform team hands over. Checked for several seeds, so that it holds for
//! the story and not for one draw of it.

use std::path::Path;

use serde_json::Value;

use crate::support::{json, paved, run, stderr};

const END: &str = "2026-11-01";

fn report(dir: &Path, database: &str, args: &[&str]) -> Value {
    let output = run(paved(dir).args(["report", "--format", "json", "--database-url", database]).args(args));
    assert!(output.status.success(), "paved report {args:?}: {}", stderr(&output));
    json(&output)
}

fn finding<'r>(report: &'r Value, id: &str) -> &'r Value {
    report["findings"].as_array().unwrap().iter().find(|f| f["id"] == id).unwrap_or_else(|| panic!("no {id}"))
}

fn names(refs: &Value) -> Vec<String> {
    refs.as_array().unwrap().iter().map(|r| r.as_str().unwrap().rsplit('/').next().unwrap().to_owned()).collect()
}

fn strings(values: &Value) -> Vec<String> {
    values.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
}

fn at_least_warning(finding: &Value) {
    assert!(
        finding["severity"] == "warning" || finding["severity"] == "critical",
        "{} is {}: {}",
        finding["id"],
        finding["severity"],
        finding["summary"]
    );
}

const PHASES: [&str; 5] = ["reframe", "build", "transfer", "shift", "evolve"];

fn phase_rank(phase: &Value) -> usize {
    PHASES.iter().position(|p| phase == p).unwrap_or_else(|| panic!("a phase: {phase}"))
}

#[test]
fn the_report_finds_every_planted_dysfunction_in_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    for seed in ["42", "7", "2026"] {
        let out = dir.path().join(format!("demo-{seed}"));
        let generated = run(paved(dir.path())
            .args(["demo", "--no-serve", "--end", END, "--seed", seed, "--format", "json", "--out"])
            .arg(&out));
        assert!(generated.status.success(), "paved demo: {}", stderr(&generated));
        let plan = json(&generated);
        let database = out.join("paved.db").display().to_string();
        let (start, end) = (plan["start"].as_str().unwrap(), plan["end"].as_str().unwrap());
        let platform = plan["platform_team"].as_str().unwrap();
        let mut members = strings(&plan["platform_members"]);
        members.sort();
        let handed_over: Vec<String> =
            plan["handover_teams"].as_array().unwrap().iter().flat_map(|t| strings(&t["services"])).collect();
        let whole = report(dir.path(), &database, &["--since", start, "--until", end]);

        // New silo: both platform engineers deploy the product teams'
        // services, and the platform keeps the planted pipeline.
        let silo = finding(&whole, "new_silo");
        at_least_warning(silo);
        let deployers: Vec<&Value> = silo["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["text"].as_str().unwrap().contains("deployed"))
            .collect();
        let mut named: Vec<String> = deployers.iter().take(2).flat_map(|e| names(&e["people"])).collect();
        named.sort();
        assert_eq!(named, members, "seed {seed}: the top non-owner deployers are the platform team");
        for evidence in deployers.iter().take(2) {
            assert_eq!(names(&evidence["teams"]), [platform], "seed {seed}");
            let services = names(&evidence["services"]);
            assert!(handed_over.iter().all(|s| services.contains(s)), "seed {seed}: {services:?} ⊇ {handed_over:?}");
        }
        let pipeline = plan["platform_pipeline_service"].as_str().unwrap();
        let kept = silo["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| names(&e["services"]) == [pipeline] && e["text"].as_str().unwrap().contains("pipeline"))
            .unwrap_or_else(|| panic!("seed {seed}: {pipeline}'s pipeline is named: {}", silo["evidence"]));
        assert!(names(&kept["people"]).iter().all(|p| members.contains(p)), "seed {seed}: {kept}");
        assert_eq!(names(&kept["teams"]), [platform], "seed {seed}");
        assert!(kept["text"].as_str().unwrap().starts_with(&format!("{0} of the {0} ", kept["count"])), "{kept}");

        // The bottleneck, in the first three months, before the handover:
        // the planted top deployer of the platform team.
        let early_end = format!("{}-01T00:00:00Z", months_after(start, 3));
        let early = report(dir.path(), &database, &["--since", start, "--until", &early_end]);
        let bottleneck = finding(&early, "deployment_bottleneck");
        at_least_warning(bottleneck);
        let top = &bottleneck["evidence"][0];
        assert_eq!(names(&top["people"]), [plan["top_deployer"]["person"].as_str().unwrap()], "seed {seed}");
        assert_eq!(names(&top["teams"]), [platform], "seed {seed}");

        // Responsibility diffusion: the service whose owning team has no
        // members.
        let diffusion = finding(&whole, "responsibility_diffusion");
        at_least_warning(diffusion);
        let unowned = plan["unowned_service"].as_str().unwrap();
        let nobody = diffusion["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| names(&e["services"]) == [unowned] && e["text"].as_str().unwrap().contains("no members"))
            .unwrap_or_else(|| panic!("seed {seed}: {unowned} is named: {}", diffusion["evidence"]));
        assert_eq!(names(&nobody["teams"]), [plan["unowned_service_owner"].as_str().unwrap()]);

        // Knowledge hoarding: the planted person gets most night pages.
        let hoarding = finding(&whole, "knowledge_hoarding");
        at_least_warning(hoarding);
        let night = hoarding["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["text"].as_str().unwrap().contains("after-hours pages"))
            .unwrap_or_else(|| panic!("seed {seed}: after-hours pages: {}", hoarding["evidence"]));
        assert_eq!(names(&night["people"]), [plan["after_hours_person"].as_str().unwrap()], "seed {seed}");
        assert_eq!(names(&night["teams"]), [platform], "seed {seed}");

        // The healthy team deploys its own code and carries its own pager.
        let healthy = plan["healthy_team"].as_str().unwrap();
        let team = report(dir.path(), &database, &["--team", healthy, "--since", start, "--until", end]);
        for line in ["deploy_own_code", "on_call_own_services"] {
            assert_eq!(
                team["test"][line]["verdict"], "culture",
                "seed {seed}: {healthy} {line}: {}",
                team["test"][line]
            );
        }
        assert_eq!(finding(&team, "new_silo")["severity"], "ok", "seed {seed}");
        assert_eq!(team["outside_work"]["deployments"], 0, "seed {seed}: {healthy} deploys only its own");

        // The platform team's own services look healthy; its report shows
        // what its people do to everyone else's, and a two-person team
        // deploying its own services is no bottleneck.
        let own = report(dir.path(), &database, &["--team", platform, "--since", start, "--until", end]);
        let outside = &own["outside_work"];
        assert!(
            outside["deployments"].as_u64().unwrap() > outside["own_deployments"].as_u64().unwrap(),
            "seed {seed}: {outside}"
        );
        let deployers: Vec<String> = outside["deployers"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|d| names(&serde_json::json!([d["person"]])))
            .collect();
        assert!(!deployers.is_empty() && deployers.iter().all(|p| members.contains(p)), "seed {seed}: {deployers:?}");
        let services: Vec<String> = outside["services"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| names(&serde_json::json!([s["service"]])))
            .collect();
        assert!(handed_over.iter().all(|s| services.contains(s)), "seed {seed}: {services:?} ⊇ {handed_over:?}");
        at_least_warning(finding(&own, "new_silo"));
        assert_eq!(
            finding(&own, "deployment_bottleneck")["severity"],
            "ok",
            "seed {seed}: {}",
            finding(&own, "deployment_bottleneck")
        );

        // The organisation moves on: an early month's phase comes before
        // the last month's, and the share of deployments by owners grows.
        let series = whole["phase"]["series"].as_array().unwrap();
        assert_eq!(series.len(), 6, "seed {seed}: six months");
        let (first, last) = (phase_rank(&series[0]["phase"]), phase_rank(&series[5]["phase"]));
        assert!(first < last, "seed {seed}: {} → {}", series[0]["phase"], series[5]["phase"]);
        assert!(first <= phase_rank(&PHASES[1].into()), "seed {seed}: starts at reframe or build: {}", series[0]);
        let share = &whole["test"]["deploy_own_code"]["series"];
        assert!(
            share[0]["value"].as_f64().unwrap() + 0.3 < share[5]["value"].as_f64().unwrap(),
            "seed {seed}: {share}"
        );
    }
}

/// `YYYY-MM` of the month `months` after the start of the RFC 3339 `start`.
fn months_after(start: &str, months: u32) -> String {
    let year: u32 = start[..4].parse().unwrap();
    let month: u32 = start[5..7].parse().unwrap();
    let index = year * 12 + (month - 1) + months;
    format!("{}-{:02}", index / 12, index % 12 + 1)
}

/// `text` without its ANSI escape sequences (`ESC [ ... m`).
fn strip_escapes(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut escape = false;
    for c in text.chars() {
        match (escape, c) {
            (_, '\u{1b}') => escape = true,
            (true, 'm') => escape = false,
            (true, _) => {}
            (false, c) => plain.push(c),
        }
    }
    plain
}

/// `paved report` in every format on the demo: text within 100 columns that
/// says what each number counts and over which window, Markdown for a wiki,
/// one self-contained HTML file, JSON with the stable keys; unknown scopes
/// are exit 2 with the name.
#[test]
fn the_report_explains_itself_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let generated =
        run(paved(dir.path()).args(["demo", "--no-serve", "--end", END, "--format", "json", "--out"]).arg(&out));
    assert!(generated.status.success(), "paved demo: {}", stderr(&generated));
    let database = out.join("paved.db").display().to_string();
    let window = ["--since", "2026-05-01", "--until", END];
    let format = |format: &str| {
        let output =
            run(paved(dir.path()).args(["report", "--database-url", &database, "--format", format]).args(window));
        assert!(output.status.success(), "--format {format}: {}", stderr(&output));
        crate::support::stdout(&output)
    };

    let text = format("text");
    for line in text.lines() {
        assert!(line.chars().count() <= 100, "a line over 100 columns: {line:?}");
    }
    // On a terminal of 70 columns (a pseudo-terminal made by util-linux's
    // `script`), the text fits it.
    if std::process::Command::new("script").arg("--version").output().is_ok_and(|o| o.status.success()) {
        let command = format!(
            "stty cols 70 rows 40; {} report --database-url '{database}' --since 2026-05-01 --until {END}",
            env!("CARGO_BIN_EXE_paved")
        );
        let on_terminal = |no_colour: bool| {
            let mut script = std::process::Command::new("script");
            script.args(["-qec", &command, "/dev/null"]).env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE");
            if no_colour {
                script.env("NO_COLOR", "1");
            }
            String::from_utf8_lossy(&script.output().unwrap().stdout).replace('\r', "")
        };
        let painted = on_terminal(false);
        // On a terminal the verdicts and severities are in colour; the
        // colour moves no column.
        assert!(
            painted.contains("\u{1b}[33mtransition\u{1b}[0m") || painted.contains("\u{1b}[32mculture\u{1b}[0m"),
            "{painted}"
        );
        assert!(
            painted.contains("[\u{1b}[1m\u{1b}[31mcritical\u{1b}[0m]")
                || painted.contains("[\u{1b}[33mwarning\u{1b}[0m]"),
            "{painted}"
        );
        let narrow = on_terminal(true);
        assert!(!narrow.contains('\u{1b}'), "NO_COLOR: no colour: {narrow}");
        assert_eq!(strip_escapes(&painted), narrow, "the same text, painted or not");
        assert!(narrow.contains("The four-line test"), "{narrow}");
        for line in narrow.lines() {
            assert!(line.chars().count() <= 70, "a line over 70 columns on a 70-column terminal: {line:?}");
        }
        assert!(text.lines().any(|l| l.chars().count() > 70), "piped, the text uses 100 columns");
        assert!(!text.contains('\u{1b}'), "piped, no colour");
    } else {
        eprintln!("SKIPPED the 70-column terminal check: util-linux's `script` is not installed");
    }

    // It opens with the answer, from the figures.
    let answer = text.lines().nth(2).unwrap_or_default();
    assert!(answer.contains("owners made ") && answer.contains("% of production deployments"), "{text}");

    // `paved metrics` lists the first failed deployments, `--all` every one.
    let metrics = |all: bool| {
        let mut command = paved(dir.path());
        command.args(["metrics", "--database-url", &database]).args(window);
        if all {
            command.arg("--all");
        }
        let output = run(&mut command);
        assert!(output.status.success(), "{}", stderr(&output));
        crate::support::stdout(&output)
    };
    let listed =
        |text: &str| text.lines().filter(|l| l.ends_with(')') && l.starts_with("  ") && l.contains("  (")).count();
    let (first, every) = (metrics(false), metrics(true));
    assert_eq!(listed(&first), 10, "{first}");
    let more: usize =
        first.split("... and ").nth(1).and_then(|r| r.split(' ').next()).and_then(|n| n.parse().ok()).unwrap_or(0);
    assert!(more > 0, "{first}");
    assert_eq!(listed(&every), 10 + more, "{every}");
    assert!(text.contains("2026-05-01 to 2026-11-01"), "the window is named:\n{text}");
    for counted in ["production deployments", "on-call hours", "pipeline commits", "infrastructure commits"] {
        assert!(text.contains(counted), "the test says it counts {counted}:\n{text}");
    }
    for title in ["New silo", "The deployment bottleneck", "Responsibility diffusion", "Knowledge hoarding"] {
        assert!(text.contains(title), "{title}:\n{text}");
    }
    assert!(text.contains("Phase: "), "{text}");
    assert!(text.contains("were performed independently by the services' owners"), "what developers did:\n{text}");
    assert!(text.contains("By month: May "), "per month:\n{text}");

    let markdown = format("md");
    assert!(markdown.starts_with("# "), "a Markdown title: {}", &markdown[..80]);
    assert!(markdown.contains("| ---") || markdown.contains("|---"), "the test as a table");
    assert!(markdown.contains("2026-05-01"));
    assert!(markdown.contains("| 2026-05 |"), "what developers did, per month:\n{markdown}");

    let html = format("html");
    assert!(html.trim_start().to_lowercase().starts_with("<!doctype html>"));
    assert!(html.contains("<style"), "its style inside");
    assert!(!html.contains("<script src") && !html.contains("<link"), "nothing loaded from elsewhere");
    assert!(html.contains("Knowledge hoarding"));
    assert!(
        html.contains("<svg") && html.contains("owners-vs-others-title") && html.contains("lead-time-title"),
        "the charts of the pages, inside"
    );
    assert!(!html.contains("(partial)"), "whole months only in this window");

    // A window that cuts its first and last months marks them partial, in
    // every format, and reads the phase from the whole months between.
    let cut = ["--since", "2026-05-15", "--until", "2026-10-20"];
    let partial = |format: &str| {
        let output = run(paved(dir.path()).args(["report", "--database-url", &database, "--format", format]).args(cut));
        assert!(output.status.success(), "{}", stderr(&output));
        crate::support::stdout(&output)
    };
    let cut_json: Value = serde_json::from_str(&partial("json")).unwrap();
    assert_eq!(
        cut_json["phase"]["partial_months_left_out"],
        serde_json::json!(["2026-05-01T00:00:00Z", "2026-10-01T00:00:00Z"])
    );
    let marks: Vec<bool> = cut_json["test"]["deploy_own_code"]["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["partial"].as_bool().unwrap())
        .collect();
    assert_eq!(marks, [true, false, false, false, false, true], "May and October are cut");
    assert_eq!(cut_json["dora"]["series"][0]["partial"], true);
    let cut_text = partial("text");
    assert!(cut_text.contains("May (partial)") && cut_text.contains("did not decide it"), "{cut_text}");
    assert!(partial("md").contains("| 2026-10 (partial) |"));
    assert!(partial("html").contains("Oct 2026*"), "the chart marks the cut month");

    let json: Value = serde_json::from_str(&format("json")).unwrap();
    let mut keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["bus_factors", "dora", "findings", "phase", "scope", "self_service", "test", "window"]);
    let done = &json["self_service"];
    assert_eq!(done["series"].as_array().unwrap().len(), 6, "six months: {done}");
    let by_owners = done["counts"]["deployments_by_owners"].as_u64().unwrap();
    assert_eq!(
        by_owners as f64,
        json["test"]["deploy_own_code"]["by_owners"].as_f64().unwrap(),
        "the first line's count"
    );
    assert!(by_owners > 0 && by_owners < done["counts"]["deployments"].as_u64().unwrap(), "{done}");
    let mut lines: Vec<&str> = json["test"].as_object().unwrap().keys().map(String::as_str).collect();
    lines.sort_unstable();
    assert_eq!(lines, ["deploy_own_code", "on_call_own_services", "own_pipelines", "self_provision"]);

    for (flag, name) in [("--team", "no-such-team"), ("--service", "no-such-service")] {
        let output = run(paved(dir.path()).args(["report", "--database-url", &database, flag, name]));
        assert_eq!(output.status.code(), Some(2), "{flag} {name}");
        assert!(stderr(&output).contains(name), "the error names {name}: {}", stderr(&output));
    }
}
