//! The diagnosis (`paved report`) for people: text for a terminal (within
//! 100 columns), Markdown that pastes into a wiki, and one self-contained
//! HTML file (no script, no font, no request to anything).

pub mod charts;
pub mod findings;

use std::fmt::Write as _;

use maud::{DOCTYPE, Markup, html};
use paved_metrics::{CultureReport, Finding, Line, Phase, Severity, Verdict};

/// A share as a percentage, or a dash.
fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_owned(), |v| format!("{:.0}%", v * 100.0))
}

/// A duration for people: `45s`, `12m`, `3h 20m`, `2d 4h`.
pub fn duration(seconds: f64) -> String {
    let total = seconds.round() as i64;
    let (days, hours, minutes) = (total / 86_400, total % 86_400 / 3600, total % 3600 / 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{total}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

fn line_name(id: &str) -> &'static str {
    match id {
        "deploy_own_code" => "Developers deploy their own code",
        "on_call_own_services" => "Developers are on call for their services",
        "own_pipelines" => "Developers own their pipelines",
        _ => "Developers provision what they need",
    }
}

/// A line's name after "do developers ...", for the text table.
fn short_line_name(id: &str) -> &'static str {
    match id {
        "deploy_own_code" => "deploy their own code",
        "on_call_own_services" => "are on call for their services",
        "own_pipelines" => "own their pipelines",
        _ => "provision what they need",
    }
}

/// The four lines in order, with their ids.
fn lines(report: &CultureReport) -> [(&'static str, &Line); 4] {
    [
        ("deploy_own_code", &report.test.deploy_own_code),
        ("on_call_own_services", &report.test.on_call_own_services),
        ("own_pipelines", &report.test.own_pipelines),
        ("self_provision", &report.test.self_provision),
    ]
}

fn basis(id: &str, line: &Line) -> &'static str {
    match (id, line.basis) {
        (_, "deployments") => "production deployments",
        (_, "on_call_hours") => "on-call hours",
        (_, "acknowledgements") => "acknowledged incidents",
        (_, "on_call_hours_and_acknowledgements") => "on-call hours and acknowledgements",
        ("own_pipelines", _) => "pipeline commits",
        ("self_provision", "commits_and_requests") => "infrastructure commits and self-service requests",
        ("self_provision", _) => "infrastructure commits",
        _ => "commits",
    }
}

/// What a line counts, e.g. "12 of 20 production deployments by owners".
fn line_detail(id: &str, line: &Line) -> String {
    let basis = |line| basis(id, line);
    if line.verdict == Verdict::NoData && line.unattributed > 0 {
        return format!("{} {} in the window, by people not in the catalog", line.unattributed, basis(line));
    }
    if line.verdict == Verdict::NoData {
        return format!("no {} in the window", basis(line));
    }
    let amount = |v: f64| if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v:.1}") };
    format!("{} of {} {} by owners", amount(line.by_owners), amount(line.total), basis(line))
}

/// The column of each test line's verdict in [`text_within`]'s output
/// (after the line's name and share), where a terminal paints it.
pub const VERDICT_COLUMN: usize = 2 + 30 + 5 + 2;

/// A month as every chart and table labels it: `Dec 2026`, and `Dec 2026
/// (partial)` when the window cuts it (the month in progress, or the one
/// the window starts in), so that its smaller figures are not read as a
/// fall.
pub fn month_label(start: chrono::DateTime<chrono::Utc>, partial: bool) -> String {
    let month = start.format("%b %Y").to_string();
    if partial { format!("{month} (partial)") } else { month }
}

/// What the phase was not decided by, as a sentence: the months the window
/// cuts, when whole months decided it.
pub fn phase_partial_note(phase: &paved_metrics::PhaseReport) -> Option<String> {
    if phase.partial_months_left_out.is_empty() {
        return None;
    }
    let months: Vec<String> = phase.partial_months_left_out.iter().map(|m| m.format("%b %Y").to_string()).collect();
    Some(format!(
        "Read from the window's whole months: {} {} partial (the window cuts {}) and did not decide it.",
        months.join(" and "),
        if months.len() == 1 { "is" } else { "are" },
        if months.len() == 1 { "it" } else { "them" },
    ))
}

fn phase_name(phase: Option<Phase>) -> &'static str {
    match phase {
        None => "–",
        Some(Phase::Reframe) => "reframe",
        Some(Phase::Build) => "build",
        Some(Phase::Transfer) => "transfer",
        Some(Phase::Shift) => "shift",
        Some(Phase::Evolve) => "evolve",
    }
}

fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Ok => "ok",
        Severity::Warning => "warning",
        Severity::Critical => "critical",
    }
}

/// What developers did themselves over the window, in a sentence.
fn self_service_sentence(report: &CultureReport) -> String {
    let c = &report.self_service.counts;
    format!(
        "{} of {} production deployments were performed independently by the services' owners ({} through \
         pavedroad's own deploy); developers provisioned {} resources themselves{}.",
        c.deployments_by_owners,
        c.deployments,
        c.deployments_through_paved,
        c.resources_by_owners,
        if c.resources > c.resources_by_owners {
            format!(" (of {} made through self-service)", c.resources)
        } else {
            String::new()
        }
    )
}

/// The text report's width in columns.
const WIDTH: usize = 100;

/// `prefix` then `text`, wrapped so that no line is wider than `width`
/// columns; lines after the first start with `indent` spaces. A word longer
/// than a line stays whole on its own line.
fn wrap(prefix: &str, text: &str, width: usize, indent: usize) -> String {
    let mut out = prefix.to_owned();
    let mut column = prefix.chars().count();
    let mut fresh = true;
    for word in text.split_whitespace() {
        let length = word.chars().count();
        if !fresh && column + 1 + length > width {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            column = indent;
        } else if !fresh {
            out.push(' ');
            column += 1;
        }
        out.push_str(word);
        column += length;
        fresh = false;
    }
    out
}

fn scope_text(report: &CultureReport) -> String {
    let kind = match report.scope.kind {
        paved_metrics::ScopeKind::Service => "service",
        paved_metrics::ScopeKind::Team => "team",
        paved_metrics::ScopeKind::Org => "the",
    };
    format!(
        "{kind} {}, {} to {}",
        report.scope.name,
        report.window.since.format("%Y-%m-%d"),
        report.window.until.format("%Y-%m-%d")
    )
}

/// A team's work for other teams, in one sentence; `None` outside a
/// team's report.
fn outside_work_sentence(report: &CultureReport) -> Option<String> {
    let outside = report.outside_work.as_ref()?;
    if outside.is_empty() {
        return Some("Its people worked only on the team's own services.".to_owned());
    }
    let deployers: Vec<String> =
        outside.deployers.iter().take(3).map(|d| format!("{} {}", d.person.name(), d.deployments)).collect();
    Some(format!(
        "Its people made {} production deployments to {} of other teams{} against {} to its own{}; \
         {} pipeline and {} infrastructure commits to their repositories; {} of their incidents acknowledged \
         first; {} hours on call for them.",
        outside.deployments,
        findings::count(outside.services.len() as u64, "service", "services"),
        if deployers.is_empty() { String::new() } else { format!(" ({})", deployers.join(", ")) },
        outside.own_deployments,
        outside
            .share_of_their_deployments
            .map(|share| format!(", {} of those services' production deployments", percent(Some(share))))
            .unwrap_or_default(),
        outside.pipeline_commits,
        outside.infrastructure_commits,
        outside.acknowledgements,
        outside.on_call_hours
    ))
}

/// The report's answer to "role or culture?" in one sentence, from its
/// figures: the phase, the owners' share of production deployments, the
/// deployments still made by people outside the owning teams, and the
/// owners' share of on call. The pages, `paved report` and its exports
/// open with it.
pub fn answer(report: &CultureReport) -> String {
    let deploy = &report.test.deploy_own_code;
    let Some(share) = deploy.value else {
        return "Not answered yet: no production deployment by a known person in the window; record deployments \
                (paved deploy record, the GitHub or GitLab webhooks) and import the catalog's people."
            .to_owned();
    };
    let (lead, phase) = match report.phase.phase {
        Some(Phase::Evolve) => ("A culture", "evolve"),
        Some(Phase::Shift) => ("Transitioning", "shift"),
        Some(Phase::Transfer) => ("Transitioning", "transfer"),
        Some(Phase::Build) => ("Still a role, with the road being built", "build"),
        Some(Phase::Reframe) => ("A role", "reframe"),
        None => ("Not decided", "no phase"),
    };
    let mut sentence = format!("{lead} ({phase}): owners made {} of production deployments", percent(Some(share)));
    let others = report.self_service.counts.deployments_by_others;
    if others > 0 {
        let _ = write!(sentence, "; people outside the owning teams still made {others}");
    } else {
        sentence.push_str("; nobody outside the owning teams deployed");
    }
    if let Some(on_call) = report.test.on_call_own_services.value {
        let _ = write!(sentence, "; owners carried {} of on call", percent(Some(on_call)));
    }
    sentence.push('.');
    sentence
}

/// The diagnosis for a terminal, within 100 columns.
pub fn text(report: &CultureReport) -> String {
    text_within(report, WIDTH)
}

/// The diagnosis within `width` columns (at least 60, at most 100: a
/// terminal's width).
pub fn text_within(report: &CultureReport, width: usize) -> String {
    let width = width.clamp(60, WIDTH);
    let mut out = String::new();
    let question = format!("Is DevOps a role or a culture here? {}", scope_text(report));
    let _ = writeln!(out, "{}\n", wrap("", &question, width, 0));
    let _ = writeln!(out, "{}\n", wrap("", &answer(report), width, 0));
    let _ = writeln!(out, "The four-line test: do developers ...");
    // Short names, so that the counts fit beside them; longer counts wrap
    // under their column.
    const DETAIL: usize = VERDICT_COLUMN + 11;
    for (id, line) in lines(report) {
        let prefix = format!("  {:<30}{:>5}  {:<11}", short_line_name(id), percent(line.value), line.verdict.as_str());
        let _ = writeln!(out, "{}", wrap(&prefix, &line_detail(id, line), width, DETAIL));
    }
    let _ = writeln!(out, "\nWhat developers did themselves\n{}", wrap("  ", &self_service_sentence(report), width, 2));
    if report.self_service.series.len() > 1 {
        let months: Vec<String> = report
            .self_service
            .series
            .iter()
            .map(|p| {
                format!(
                    "{}{} {} deployments, {} resources",
                    p.period_start.format("%b"),
                    if p.partial { " (partial)" } else { "" },
                    p.counts.deployments_by_owners,
                    p.counts.resources_by_owners
                )
            })
            .collect();
        let _ = writeln!(out, "{}", wrap("  By month: ", &months.join("; "), width, 4));
    }
    let phase = format!("Phase: {}. Decided ", phase_name(report.phase.phase));
    let _ = writeln!(out, "\n{}", wrap(&phase, &findings::phase_rule(&report.phase.rule), width, 2));
    if let Some(note) = phase_partial_note(&report.phase) {
        let _ = writeln!(out, "{}", wrap("  ", &note, width, 2));
    }
    if report.phase.series.len() > 1 {
        let months: Vec<String> = report
            .phase
            .series
            .iter()
            .map(|p| {
                format!(
                    "{}{} {}",
                    p.period_start.format("%b"),
                    if p.partial { " (partial)" } else { "" },
                    phase_name(p.phase)
                )
            })
            .collect();
        let _ = writeln!(out, "{}", wrap("  By month: ", &months.join(", "), width, 4));
    }
    if let Some(sentence) = outside_work_sentence(report) {
        let _ = writeln!(out, "\nWork for other teams\n{}", wrap("  ", &sentence, width, 2));
    }
    let _ = writeln!(out, "\nFindings");
    for finding in &report.findings {
        let heading = format!("[{}] {}", severity_name(finding.severity), finding.title);
        let _ = writeln!(out, "{}", wrap("  ", &heading, width, 4));
        let _ = writeln!(out, "{}", wrap("    ", &findings::summary(&finding.summary), width, 4));
        for evidence in finding.evidence.iter().take(5) {
            let _ = writeln!(out, "{}", wrap("    - ", &findings::evidence(&evidence.fact), width, 6));
        }
        if finding.severity != Severity::Ok {
            let _ = writeln!(out, "{}", wrap("    What to do: ", finding.recommendation, width, 6));
            if let Some(road) = findings::paved_road(finding.id) {
                let _ = writeln!(out, "{}", wrap("    ", road, width, 4));
            }
        }
    }
    let k = &report.bus_factors;
    let _ = writeln!(out, "\nKnowledge");
    let bus = format!(
        "Bus factor: deployments {}, acknowledgements {}, pages {}; runbook coverage {}",
        k.scope.deployments.bus_factor,
        k.scope.acknowledgements.bus_factor,
        k.scope.pages.bus_factor,
        percent(k.runbook_coverage)
    );
    let _ = writeln!(out, "{}", wrap("  ", &bus, width, 4));
    if let Some(top) = k.after_hours.first().filter(|a| a.after_hours_pages > 0) {
        let line = format!(
            "Most after-hours pages: {} ({} of {} pages, {} of all after-hours pages)",
            top.person.name(),
            top.after_hours_pages,
            top.pages,
            percent(k.after_hours_top_share)
        );
        let _ = writeln!(out, "{}", wrap("  ", &line, width, 4));
    }
    for truck in k.truck_factors.iter().filter(|t| t.files > 0) {
        let names: Vec<&str> = truck.services.iter().map(|s| s.name()).collect();
        let line = format!("Truck factor of {}: {} ({} files)", names.join(", "), truck.truck_factor, truck.files);
        let _ = writeln!(out, "{}", wrap("  ", &line, width, 4));
    }
    let dora = &report.dora.figures;
    let _ = writeln!(out, "\nDelivery (DORA, tiers from {})", report.dora.table.name());
    let deployments = format!(
        "{} production deployments; change failure rate {}",
        dora.deployment_frequency.deployments,
        percent(dora.change_failure_rate.rate),
    );
    let _ = writeln!(out, "{}", wrap("  ", &deployments, width, 4));
    let times = format!(
        "lead time median {}; failed deployment recovery median {}",
        dora.lead_time_for_changes.median_seconds.map_or_else(|| "–".to_owned(), duration),
        dora.failed_deployment_recovery_time.median_seconds.map_or_else(|| "–".to_owned(), duration)
    );
    let _ = writeln!(out, "{}", wrap("  ", &times, width, 4));
    out
}

/// The diagnosis as Markdown.
pub fn markdown(report: &CultureReport) -> String {
    let mut out = String::new();
    let _ =
        writeln!(out, "# Is DevOps a role or a culture here?\n\n**{}**\n\n{}\n", answer(report), scope_text(report));
    let _ = writeln!(out, "## The four-line test\n\n| line | share | verdict | figures |\n|---|---|---|---|");
    for (id, line) in lines(report) {
        let _ = writeln!(
            out,
            "| {} | {} | **{}** | {} |",
            line_name(id),
            percent(line.value),
            line.verdict.as_str(),
            line_detail(id, line)
        );
    }
    let _ = writeln!(out, "\n## What developers did themselves\n\n{}\n", self_service_sentence(report));
    let _ = writeln!(
        out,
        "| month | deployments performed independently | through pavedroad | resources provisioned themselves |\n|---|---|---|---|"
    );
    for p in &report.self_service.series {
        let _ = writeln!(
            out,
            "| {}{} | {} of {} | {} | {} |",
            p.period_start.format("%Y-%m"),
            if p.partial { " (partial)" } else { "" },
            p.counts.deployments_by_owners,
            p.counts.deployments,
            p.counts.deployments_through_paved,
            p.counts.resources_by_owners
        );
    }
    let _ = writeln!(
        out,
        "\n**Phase: {}.** {}{}\n",
        phase_name(report.phase.phase),
        findings::phase_rule(&report.phase.rule),
        phase_partial_note(&report.phase).map(|note| format!(" {note}")).unwrap_or_default()
    );
    if let Some(sentence) = outside_work_sentence(report) {
        let _ = writeln!(out, "## Work for other teams\n\n{sentence}\n");
    }
    let _ = writeln!(out, "## Findings\n");
    for finding in &report.findings {
        let _ = writeln!(
            out,
            "### {} ({})\n\n{}\n",
            finding.title,
            severity_name(finding.severity),
            findings::summary(&finding.summary)
        );
        for evidence in &finding.evidence {
            let _ = writeln!(out, "- {}", findings::evidence(&evidence.fact));
        }
        let _ = writeln!(out, "\n*What to do:* {}\n", finding.recommendation);
        if let Some(road) = findings::paved_road(finding.id) {
            let _ = writeln!(out, "{road} ([golden paths]({}))\n", findings::GOLDEN_PATHS);
        }
    }
    let k = &report.bus_factors;
    let _ = writeln!(out, "## Knowledge\n");
    let _ = writeln!(
        out,
        "- Bus factor: deployments {}, acknowledgements {}, pages {}\n- Runbook coverage: {}",
        k.scope.deployments.bus_factor,
        k.scope.acknowledgements.bus_factor,
        k.scope.pages.bus_factor,
        percent(k.runbook_coverage)
    );
    for a in k.after_hours.iter().filter(|a| a.after_hours_pages > 0).take(5) {
        let _ = writeln!(out, "- {}: {} after-hours pages of {}", a.person.name(), a.after_hours_pages, a.pages);
    }
    let dora = &report.dora.figures;
    let _ = writeln!(
        out,
        "\n## Delivery (DORA, {})\n\n| metric | value | tier |\n|---|---|---|\n| Deployments | {} | {} |\n| Lead time (median) | {} | {} |\n| Change failure rate | {} | {} |\n| Failed deployment recovery (median) | {} | {} |",
        report.dora.table.name(),
        dora.deployment_frequency.deployments,
        dora.deployment_frequency.tier.as_str(),
        dora.lead_time_for_changes.median_seconds.map_or_else(|| "–".to_owned(), duration),
        dora.lead_time_for_changes.tier.map_or("–", |t| t.as_str()),
        percent(dora.change_failure_rate.rate),
        dora.change_failure_rate.tier.map_or("–", |t| t.as_str()),
        dora.failed_deployment_recovery_time.median_seconds.map_or_else(|| "–".to_owned(), duration),
        dora.failed_deployment_recovery_time.tier.map_or("–", |t| t.as_str()),
    );
    out
}

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}\
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #d0d7de}\
.culture{color:#116329}.transition{color:#7d4e00}.role{color:#a40e26}.no_data{color:#57606a}\
.critical{border-left:4px solid #a40e26}.warning{border-left:4px solid #bf8700}.ok{border-left:4px solid #116329}\
section.finding{padding:.2rem 1rem;margin:1rem 0;background:#f6f8fa}\
figure.chart{margin:1rem 0}figure.chart>svg{width:100%;height:auto;font-size:12px}\
.grid{stroke:#d0d7de}.axis{stroke:#57606a}.tick,.unit{fill:#57606a}\
ul.legend{display:flex;gap:1rem;list-style:none;padding:0;margin:.3rem 0}.swatch{width:.8em;height:.8em;margin-right:.3em}\
.partial-note{color:#57606a;font-size:.85em}";

fn finding_html(finding: &Finding) -> Markup {
    html! {
        section.finding.(severity_name(finding.severity)) {
            h3 { (finding.title) " — " (severity_name(finding.severity)) }
            p { (findings::summary(&finding.summary)) }
            @if !finding.evidence.is_empty() {
                ul { @for evidence in &finding.evidence { li { (findings::evidence(&evidence.fact)) } } }
            }
            p { strong { "What to do: " } (finding.recommendation) }
            @if let Some(road) = findings::paved_road(finding.id) {
                p.paved-road { (road) " " a href=(findings::GOLDEN_PATHS) { "The golden paths" } }
            }
        }
    }
}

/// Production deployments by their owners and by others, per month (the
/// overview's and the HTML export's chart).
pub fn who_deploys_chart(report: &CultureReport) -> Markup {
    let series = &report.test.deploy_own_code.series;
    let months: Vec<String> = series.iter().map(|p| month_label(p.period_start, p.partial)).collect();
    charts::stacked_bars(
        "owners-vs-others",
        "Production deployments made by their owners vs by others, per month",
        "Stacked bars per month: deployments by the service's own team, and by people outside it",
        &months,
        &[
            charts::Series {
                name: "by owners",
                colour: "#1a7f37",
                values: series.iter().map(|p| Some(p.by_owners)).collect(),
            },
            charts::Series {
                name: "by others",
                colour: "#cf222e",
                values: series.iter().map(|p| Some(p.total - p.by_owners)).collect(),
            },
        ],
        "deployments",
        |v| format!("{v:.0}"),
    )
}

/// The median lead time and the change failure rate, per month.
pub fn delivery_charts(report: &CultureReport) -> Markup {
    let series = &report.dora.series;
    let months: Vec<String> = series.iter().map(|p| month_label(p.period_start, p.partial)).collect();
    let lead: Vec<Option<f64>> =
        series.iter().map(|p| p.figures.lead_time_for_changes.median_seconds.map(|s| s / 3600.0)).collect();
    let failure: Vec<Option<f64>> =
        series.iter().map(|p| p.figures.change_failure_rate.rate.map(|r| r * 100.0)).collect();
    html! {
        (charts::lines(
            "lead-time",
            "Median lead time for changes, per month",
            "Median hours from commit to production deployment, per month",
            &months,
            &[charts::Series { name: "median lead time", colour: "#0969da", values: lead }],
            "hours",
            |v| format!("{v:.1}"),
        ))
        (charts::lines(
            "failure-rate",
            "Change failure rate, per month",
            "Share of production deployments that failed, per month, in percent",
            &months,
            &[charts::Series { name: "change failure rate", colour: "#cf222e", values: failure }],
            "%",
            |v| format!("{v:.0}"),
        ))
    }
}

/// The diagnosis as one self-contained HTML file.
pub fn html(report: &CultureReport) -> String {
    let k = &report.bus_factors;
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "pavedroad report: " (report.scope.name) }
                style { (STYLE) }
            }
            body {
                h1 { "Is DevOps a role or a culture here?" }
                p.answer { strong { (answer(report)) } }
                p { (scope_text(report)) }
                h2 { "The four-line test" }
                table {
                    thead { tr { th { "Line" } th { "Share" } th { "Verdict" } th { "Figures" } } }
                    tbody {
                        @for (id, line) in lines(report) {
                            tr {
                                td { (line_name(id)) }
                                td { (percent(line.value)) }
                                td.(line.verdict.as_str()) { strong { (line.verdict.as_str()) } }
                                td { (line_detail(id, line)) }
                            }
                        }
                    }
                }
                h2 { "What developers did themselves" }
                p { (self_service_sentence(report)) }
                table {
                    thead { tr { th { "Month" } th { "Deployments performed independently" } th { "Through pavedroad" } th { "Resources provisioned themselves" } } }
                    tbody {
                        @for p in &report.self_service.series {
                            tr {
                                td { (month_label(p.period_start, p.partial)) }
                                td { (p.counts.deployments_by_owners) " of " (p.counts.deployments) }
                                td { (p.counts.deployments_through_paved) }
                                td { (p.counts.resources_by_owners) }
                            }
                        }
                    }
                }
                p {
                    strong { "Phase: " (phase_name(report.phase.phase)) "." } " " (findings::phase_rule(&report.phase.rule))
                    @if let Some(note) = phase_partial_note(&report.phase) { " " (note) }
                }
                h2 { "Who deploys" }
                (who_deploys_chart(report))
                @if let Some(sentence) = outside_work_sentence(report) {
                    h2 { "Work for other teams" }
                    p { (sentence) }
                }
                h2 { "Findings" }
                @for finding in &report.findings { (finding_html(finding)) }
                h2 { "Knowledge" }
                ul {
                    li { "Bus factor of deployments " (k.scope.deployments.bus_factor) ", of acknowledgements "
                         (k.scope.acknowledgements.bus_factor) ", of pages " (k.scope.pages.bus_factor) }
                    li { "Runbook coverage " (percent(k.runbook_coverage)) }
                    @for a in k.after_hours.iter().filter(|a| a.after_hours_pages > 0).take(5) {
                        li { (a.person.name()) ": " (a.after_hours_pages) " after-hours pages of " (a.pages) }
                    }
                }
                h2 { "Delivery (DORA, " (report.dora.table.name()) ")" }
                table {
                    tbody {
                        tr { td { "Production deployments" } td { (report.dora.figures.deployment_frequency.deployments) } td { (report.dora.figures.deployment_frequency.tier.as_str()) } }
                        tr { td { "Lead time (median)" } td { (report.dora.figures.lead_time_for_changes.median_seconds.map_or_else(|| "–".to_owned(), duration)) } td { (report.dora.figures.lead_time_for_changes.tier.map_or("–", |t| t.as_str())) } }
                        tr { td { "Change failure rate" } td { (percent(report.dora.figures.change_failure_rate.rate)) } td { (report.dora.figures.change_failure_rate.tier.map_or("–", |t| t.as_str())) } }
                        tr { td { "Failed deployment recovery (median)" } td { (report.dora.figures.failed_deployment_recovery_time.median_seconds.map_or_else(|| "–".to_owned(), duration)) } td { (report.dora.figures.failed_deployment_recovery_time.tier.map_or("–", |t| t.as_str())) } }
                    }
                }
                @if !report.dora.series.is_empty() { (delivery_charts(report)) }
            }
        }
    }
    .into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_wraps_within_its_width() {
        let long = "word ".repeat(60);
        for prefix in ["", "    - ", "a prefix of twenty: "] {
            let wrapped = wrap(prefix, &long, 40, 4);
            assert!(wrapped.starts_with(prefix));
            for line in wrapped.lines() {
                assert!(line.chars().count() <= 40, "{line:?}");
            }
            assert_eq!(wrapped.split_whitespace().filter(|w| *w == "word").count(), 60, "no word lost");
        }
        assert_eq!(duration(12_000.0), "3h 20m");
    }
}
