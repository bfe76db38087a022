//! Who is acting, and whether they may: the one place where catalog
//! ownership decides what a caller may do (DESIGN §8). Every use case that
//! changes something asks here; the CLI, the API, the pages and background
//! jobs never decide it themselves.

use paved_domain::{CatalogIndex, EntityRef};
use paved_store::{TokenInfo, TokenScope};

use crate::AppError;

/// Who is calling: the CLI on the local database, or a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// `paved` itself on the local database (its user can read the file
    /// anyway).
    Local,
    /// A request with a valid token.
    Token(TokenInfo),
}

impl Caller {
    /// How the audit log names the caller.
    pub fn audit_name(&self) -> String {
        match self {
            Self::Local => "cli".to_owned(),
            Self::Token(token) => match &token.scope {
                TokenScope::Admin => format!("token {} ({}, admin)", token.id, token.name),
                TokenScope::Team(team) => format!("token {} ({}, team {team})", token.id, token.name),
            },
        }
    }

    /// The team a team token belongs to, with the token's name; `None` for
    /// the CLI and admin tokens, which may act on any service.
    pub fn team(&self) -> Option<(&EntityRef, &str)> {
        match self {
            Self::Token(TokenInfo { scope: TokenScope::Team(team), name, .. }) => Some((team, name)),
            _ => None,
        }
    }

    /// Checks that the caller may record deployments and incidents of
    /// `service`: the CLI and admin tokens may; a team token only for the
    /// services its team (or a team below it) owns.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] naming the service, its owner and the
    /// token's team.
    pub fn may_act_on(&self, catalog: &CatalogIndex, service: &EntityRef) -> Result<(), AppError> {
        let Some((team, name)) = self.team() else { return Ok(()) };
        if catalog.team_owns(team, service) {
            return Ok(());
        }
        let owner = catalog
            .service(service)
            .and_then(|info| info.owner.as_ref())
            .map_or_else(|| "no owner".to_owned(), |owner| format!("owner {owner}"));
        Err(AppError::Forbidden(format!(
            "token `{name}` belongs to {team}, which does not own {service} ({owner}); use a token of the owning team"
        )))
    }

    /// Checks that the caller may act on `what` (e.g. "incident `x`"), a
    /// record of no service of the catalog: it may be another team's, so
    /// only the CLI and admin tokens may.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] for a team token.
    pub fn may_act_without_service(&self, what: &str) -> Result<(), AppError> {
        let Some((team, name)) = self.team() else { return Ok(()) };
        Err(AppError::Forbidden(format!(
            "token `{name}` belongs to {team}, and {what} names no service of the catalog, so only an admin token \
             may act on it; route it with a service the team owns, or use an admin token"
        )))
    }

    /// Checks that the caller may record shifts of the Schedule `schedule`:
    /// a team token only for its team's schedules.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] naming the schedule and the token's team.
    pub fn may_act_on_schedule(&self, catalog: &CatalogIndex, schedule: &EntityRef) -> Result<(), AppError> {
        let Some((team, name)) = self.team() else { return Ok(()) };
        if catalog.team_owns_schedule(team, schedule) {
            return Ok(());
        }
        Err(AppError::Forbidden(format!(
            "token `{name}` belongs to {team}, which does not own {schedule}; use a token of the owning team"
        )))
    }
}
