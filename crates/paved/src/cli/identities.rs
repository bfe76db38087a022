//! `paved identities`.

use std::process::ExitCode;

use clap::Args;
use paved_app::identities::{IdentityView, identity_report};

use super::client::local_store;
use crate::config::Config;
use crate::output::outln;
use crate::output::{Format, OutputArgs, print_json};

/// Who the data names: git e-mails, GitHub and GitLab logins, PagerDuty
/// users — and who of them the catalog knows.
///
/// With --unresolved, the people no catalog User matches, most active first,
/// so the catalog can be fixed: add the e-mail to the User's
/// `paved.dev/emails`, the login as `github.com/user-login` or
/// `gitlab.com/user-login`, the PagerDuty id as `pagerduty.com/user-id`.
/// Then `paved events rebuild` attributes their past activity (commits are
/// matched when read, without a rebuild). Automation (`*[bot]`) is not
/// listed as unresolved.
///
/// Example: paved identities --unresolved
#[derive(Debug, Args)]
pub struct Cmd {
    /// Only people the catalog does not know.
    #[arg(long)]
    unresolved: bool,
    #[command(flatten)]
    output: OutputArgs,
}

pub async fn run(cmd: Cmd, config: Config) -> anyhow::Result<ExitCode> {
    let (store, catalog) = local_store(&config).await?;
    let mut views = identity_report(&store, &catalog, &config.ingest_settings()).await?;
    if cmd.unresolved {
        views.retain(IdentityView::unresolved);
    }
    if cmd.output.format == Format::Json {
        print_json(&views)?;
        return Ok(ExitCode::SUCCESS);
    }
    if views.is_empty() {
        outln!(
            "{}",
            if cmd.unresolved { "every person the data names is in the catalog" } else { "no identities yet" }
        );
        return Ok(ExitCode::SUCCESS);
    }
    outln!("{:<44} {:<24} {:>7} {:>8}  PERSON", "IDENTITY", "NAME", "EVENTS", "COMMITS");
    for view in &views {
        let person = match (&view.person, view.automation) {
            (_, true) => "automation".to_owned(),
            (Some(person), false) => person.to_string(),
            (None, false) => "unresolved".to_owned(),
        };
        let rebuild = if view.needs_rebuild { "  (run `paved events rebuild`)" } else { "" };
        outln!(
            "{:<44} {:<24} {:>7} {:>8}  {person}{rebuild}",
            view.identity.to_string(),
            view.display_name.as_deref().unwrap_or(""),
            view.events,
            view.commits
        );
    }
    if cmd.unresolved {
        outln!("{} unresolved; see `paved identities --help` for how to add them to the catalog", views.len());
    }
    Ok(ExitCode::SUCCESS)
}
