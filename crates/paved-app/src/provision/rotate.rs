//! Rotating a resource's password (`paved resource rotate`): the driver
//! gives its user a new one on the server — the old one is refused from
//! then on — and the resource's sealed secrets are sealed again with it,
//! under a lease, so that a removal or another rotation never runs at the
//! same time. Like a resource's creation, the answer shows the new secret
//! once; `paved resource credentials` reads it again.

use chrono::Utc;
use paved_domain::{Driver, Module};
use paved_store::{NewAudit, ResourceState, StoredResource};
use serde_json::{Map, Value};

use super::{bound_to, names_of, postgres, redis};
use crate::secrets::SecretKey;
use crate::{App, AppError, Caller};

impl App {
    /// A new password for a ready PostgreSQL or Redis resource, as
    /// `caller` (who may act on its service, as for provisioning): made on
    /// the server, sealed in place of the old one, audited
    /// (`provision.rotate`). Every output, the new secrets included.
    ///
    /// # Errors
    /// [`AppError::NotFound`] for no such resource; [`AppError::Forbidden`]
    /// as for provisioning; [`AppError::Invalid`] for a resource with no
    /// secret to rotate (a Terraform one), one whose Module left the
    /// catalog or does not show its password, or without `secret_key`;
    /// [`AppError::Conflict`] while another request holds it or it is not
    /// ready; [`AppError::Unavailable`] when the driver failed (the old
    /// password is kept); [`AppError::Internal`] when its secrets do not
    /// open.
    pub async fn rotate_resource(&self, caller: &Caller, resource: &str) -> Result<Map<String, Value>, AppError> {
        let (catalog, stored) = self.resource_for(caller, resource).await?;
        let entity_ref = stored.entity_ref.clone();
        let module = catalog.module(&stored.module).cloned().ok_or_else(|| {
            AppError::Invalid(format!(
                "{entity_ref} was made by Module {}, which is no longer in the catalog: nothing knows how to rotate it",
                stored.module
            ))
        })?;
        rotatable(&module, &stored)?;
        let key = self.secret_key.clone().ok_or_else(|| {
            AppError::Invalid(format!(
                "{entity_ref}'s secrets are kept encrypted, and this server has no secret_key (PAVED_SECRET_KEY) to \
                 seal a new one with"
            ))
        })?;
        let server = self.server_of(&module)?.ok_or_else(|| {
            AppError::Invalid(format!("{} names no server, so there is nowhere to rotate it", module.entity_ref.name()))
        })?;
        // The secrets as they are, opened before anything changes: a seal
        // that does not open stops here, with the old password working.
        let bound = bound_to(&entity_ref);
        let mut secrets = opened(&key, &stored, &bound)?;
        let kept = match &stored.sealed {
            Some(sealed) => sealed.clone(),
            None => key.seal("{}", &bound).map_err(|e| AppError::Internal(e.to_string()))?,
        };

        let owner = format!("rotate-{}", uuid::Uuid::new_v4());
        let taken =
            self.store.lease_resource(stored.id, &owner, Utc::now() + self.provision.lease, false).await?.ok_or_else(
                || {
                    AppError::Conflict(format!(
                        "{entity_ref} is being provisioned, rotated or removed now; try again in a minute"
                    ))
                },
            )?;
        let names = names_of(&taken);
        let rotated = match module.driver {
            Driver::Postgres => postgres::rotate(&server, &names).await,
            Driver::Redis => redis::rotate(&server, &names).await,
            Driver::Terraform => Err("a terraform resource has no secret".to_owned()),
        };
        let audit = |action: &str, detail: Option<String>| NewAudit {
            actor: caller.audit_name(),
            action: action.into(),
            target: String::new(),
            detail,
            service: None,
            decision: None,
        };
        let new = match rotated {
            Ok(new) => new,
            Err(error) => {
                // The server kept the old password: storing the secrets
                // unchanged lets the lease go at once, and records why.
                let detail = Some(error.clone());
                self.store.reseal_resource(taken.id, &owner, &kept, &audit("provision.rotate.fail", detail)).await?;
                return Err(AppError::Unavailable(format!(
                    "{entity_ref}'s password could not be rotated, and the old one still works: {error}"
                )));
            }
        };
        secrets.extend(new.into_iter().filter(|(k, _)| module.outputs.contains(k)));
        let sealed = key
            .seal(&Value::Object(secrets.clone()).to_string(), &bound)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        if !self.store.reseal_resource(taken.id, &owner, &sealed, &audit("provision.rotate", None)).await? {
            return Err(AppError::Conflict(format!(
                "{entity_ref} was taken over while its password changed; rotate it again (paved resource rotate {})",
                entity_ref.name()
            )));
        }
        let mut all = taken.outputs.and_then(|o| o.as_object().cloned()).unwrap_or_default();
        all.extend(secrets);
        Ok(all)
    }
}

/// Whether `stored` has a password its Module shows that may be rotated
/// now; the refusal says why not.
fn rotatable(module: &Module, stored: &StoredResource) -> Result<(), AppError> {
    let entity_ref = &stored.entity_ref;
    if !module.driver.makes_secrets() {
        return Err(AppError::Invalid(format!(
            "{entity_ref} is a {} resource: it has no secret to rotate",
            module.driver.as_str()
        )));
    }
    if !module.outputs.iter().any(|o| o == "password" || o == "url") {
        return Err(AppError::Invalid(format!(
            "{} does not show a password (its outputs are {}), so a new one could never be read; the platform team \
             adds `password` to its outputs",
            module.entity_ref.name(),
            module.outputs.join(", ")
        )));
    }
    match stored.state {
        ResourceState::Ready => Ok(()),
        ResourceState::Failed => Err(AppError::Invalid(format!(
            "{entity_ref} failed ({}), so it has no password; ask for it again (paved provision)",
            stored.error.as_deref().unwrap_or("no reason recorded")
        ))),
        state => Err(AppError::Conflict(format!("{entity_ref} is {} now; rotate it once it is ready", state.as_str()))),
    }
}

/// The secrets sealed for `stored` (none when it has none).
fn opened(key: &SecretKey, stored: &StoredResource, bound: &str) -> Result<Map<String, Value>, AppError> {
    let Some(sealed) = &stored.sealed else { return Ok(Map::new()) };
    let text = key.open(sealed, bound).map_err(|e| AppError::Internal(format!("{}: {e}", stored.entity_ref)))?;
    serde_json::from_str(&text)
        .map_err(|e| AppError::Internal(format!("{}: its secrets are not JSON: {e}", stored.entity_ref)))
}
