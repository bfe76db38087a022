//! `paved oncall contact`: list, add and remove the contacts a person's
//! pages go to, on the local database or a server.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use paved_app::Caller;
use paved_app::contacts::{ContactSource, ContactView, PersonContacts};
use paved_server::api::contacts::ContactBody;

use super::client::Target;
use super::oncall::{Where, call, encode, open, table, token_for_writes};
use crate::config::{Config, FlagOverrides};
use crate::output::{Format, OutputArgs, outln, print_json};

/// What `paved oncall contact` does.
#[derive(Debug, Subcommand)]
pub enum ContactSub {
    /// List a person's contacts, in the order pages go: their catalog
    /// entry's, then those they added.
    List(ListCmd),
    /// Add a contact to a person's (sealed with `secret_key`).
    Add(AddCmd),
    /// Remove a contact a person added, by its id (as `list` shows it).
    Remove(RemoveCmd),
}

/// Arguments of `paved oncall contact list`.
#[derive(Debug, Args)]
pub struct ListCmd {
    /// The person (a catalog User: `ana.souza`).
    #[arg(long)]
    user: String,
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    output: OutputArgs,
}

/// Arguments of `paved oncall contact add`.
#[derive(Debug, Args)]
pub struct AddCmd {
    /// The person (a catalog User: `ana.souza`).
    #[arg(long)]
    user: String,
    /// `email:ADDRESS`, `slack:URL` or `webhook:URL`.
    contact: String,
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    output: OutputArgs,
}

/// Arguments of `paved oncall contact remove`.
#[derive(Debug, Args)]
pub struct RemoveCmd {
    /// The person.
    #[arg(long)]
    user: String,
    /// The contact's id.
    id: i64,
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    output: OutputArgs,
}

impl ContactSub {
    /// These flags on top of the global ones.
    pub fn overrides(&self, flags: FlagOverrides) -> FlagOverrides {
        match self {
            Self::List(cmd) => cmd.target.overrides(flags),
            Self::Add(cmd) => cmd.target.overrides(flags),
            Self::Remove(cmd) => cmd.target.overrides(flags),
        }
    }
}

pub async fn run(sub: ContactSub, config: &Config) -> anyhow::Result<ExitCode> {
    match sub {
        ContactSub::List(cmd) => list(cmd, config).await,
        ContactSub::Add(cmd) => add(cmd, config).await,
        ContactSub::Remove(cmd) => remove(cmd, config).await,
    }
}

fn path(user: &str) -> String {
    format!("/api/v1/people/{}/contacts", encode(user))
}

async fn list(cmd: ListCmd, config: &Config) -> anyhow::Result<ExitCode> {
    let contacts: PersonContacts = match open(config).await? {
        Where::Local(app) => app.contacts(&cmd.user).await?,
        Where::Server { base, token } => call(&base, &token, reqwest::Method::GET, &path(&cmd.user), None).await?,
    };
    if cmd.output.format == Format::Json {
        print_json(&contacts)?;
        return Ok(ExitCode::SUCCESS);
    }
    if contacts.contacts.is_empty() {
        outln!(
            "{} has no contact: a page reaches them nowhere; add one with `paved oncall contact add --user {} \
             email:ADDRESS`",
            contacts.person,
            contacts.person.name()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<[String; 4]> = contacts
        .contacts
        .iter()
        .map(|contact| {
            let from = match contact.source {
                ContactSource::Catalog => "catalog",
                ContactSource::Added => "added",
            };
            [
                contact.id.map_or_else(|| "–".to_owned(), |id| id.to_string()),
                contact.kind.clone(),
                contact.shown.clone(),
                from.to_owned(),
            ]
        })
        .collect();
    table(&["ID", "KIND", "CONTACT", "FROM"], &rows)?;
    Ok(ExitCode::SUCCESS)
}

async fn add(cmd: AddCmd, config: &Config) -> anyhow::Result<ExitCode> {
    let added: ContactView = match open(config).await? {
        Where::Local(app) => ContactView::from(&app.add_contact(&Caller::Local, &cmd.user, &cmd.contact).await?),
        Where::Server { base, token } => {
            let token = token_for_writes(&base, &token)?;
            let body = serde_json::to_value(ContactBody { contact: cmd.contact })?;
            call(&base, token, reqwest::Method::POST, &path(&cmd.user), Some(body)).await?
        }
    };
    match cmd.output.format {
        Format::Json => print_json(&added)?,
        Format::Text => {
            outln!("contact {} of {}: {}:{}", added.id.unwrap_or_default(), cmd.user, added.kind, added.shown)
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn remove(cmd: RemoveCmd, config: &Config) -> anyhow::Result<ExitCode> {
    let removed: ContactView = match open(config).await? {
        Where::Local(app) => ContactView::from(&app.remove_contact(&Caller::Local, &cmd.user, cmd.id).await?),
        Where::Server { base, token } => {
            let token = token_for_writes(&base, &token)?;
            let path = format!("{}/{}", path(&cmd.user), cmd.id);
            call(&base, token, reqwest::Method::DELETE, &path, None).await?
        }
    };
    match cmd.output.format {
        Format::Json => print_json(&removed)?,
        Format::Text => outln!("removed contact {} of {}: {}:{}", cmd.id, cmd.user, removed.kind, removed.shown),
    }
    Ok(ExitCode::SUCCESS)
}
