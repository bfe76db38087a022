//! Resources: requests stored and leased like jobs, finished with their
//! outcome, listed by service and team; each change audited in its
//! transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use paved_domain::EntityRef;

use super::insert_audit;
use crate::common;
use crate::resources::{NewResource, ResourceOutcome, ResourceState, ResourceStore, StoredResource};
use crate::sql::{Db, Sql, SqlExt};
use crate::{NewAudit, StoreError};

const COLUMNS: &str = "id, entity_ref, module, service, team, name, parameters, state, outputs, sealed, error, \
                       requested_by, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct ResourceRow {
    id: i64,
    entity_ref: String,
    module: String,
    service: String,
    team: String,
    name: String,
    parameters: String,
    state: String,
    outputs: Option<String>,
    sealed: Option<String>,
    error: Option<String>,
    requested_by: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl ResourceRow {
    fn decode(self) -> Result<StoredResource, StoreError> {
        let id = self.id;
        let corrupt = |what: &str, problem: String| StoreError::Corrupt(format!("resource {id}: {what}: {problem}"));
        let parse = |what: &str, text: &str| text.parse::<EntityRef>().map_err(|e| corrupt(what, e.to_string()));
        let json = |what: &str, text: &str| serde_json::from_str(text).map_err(|e| corrupt(what, e.to_string()));
        Ok(StoredResource {
            id,
            entity_ref: parse("entity_ref", &self.entity_ref)?,
            module: parse("module", &self.module)?,
            service: parse("service", &self.service)?,
            team: parse("team", &self.team)?,
            name: self.name,
            parameters: json("parameters", &self.parameters)?,
            state: ResourceState::parse(&self.state).ok_or_else(|| corrupt("state", self.state.clone()))?,
            outputs: self.outputs.as_deref().map(|o| json("outputs", o)).transpose()?,
            sealed: self.sealed,
            error: self.error,
            requested_by: self.requested_by,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

fn resource_audit(audit: &NewAudit, resource: &StoredResource) -> NewAudit {
    NewAudit {
        actor: audit.actor.clone(),
        action: audit.action.clone(),
        target: resource.entity_ref.to_string(),
        detail: audit.detail.clone(),
        service: Some(resource.service.clone()),
        decision: audit.decision,
    }
}

async fn live<S: Sql + ?Sized>(
    db: &mut S,
    entity_ref: &EntityRef,
    action: &'static str,
) -> Result<Option<StoredResource>, StoreError> {
    let mut select =
        db.statement(format!("SELECT {COLUMNS} FROM resources WHERE entity_ref = ? AND state <> 'deleted'"));
    select.bind(entity_ref.key());
    db.fetch_optional::<ResourceRow>(&select, action).await?.map(ResourceRow::decode).transpose()
}

#[async_trait]
impl<T: Db> ResourceStore for T {
    async fn request_resource(
        &self,
        new: &NewResource,
        owner: &str,
        lease_until: DateTime<Utc>,
        audit: &NewAudit,
    ) -> Result<(StoredResource, bool), StoreError> {
        const ACTION: &str = "storing a provisioning request";
        let texts = [new.name.as_str(), new.requested_by.as_str()];
        if texts.iter().any(|t| t.contains('\0')) {
            return Err(StoreError::InvalidRecord {
                record: format!("resource {}", new.entity_ref),
                field: "a text".into(),
                problem: "holds a NUL character (\\0)",
            });
        }
        let now = common::now();
        let mut tx = self.writer(ACTION).await?;
        // A failed request is not live for its retry: it leaves the way
        // free (its row is kept as deleted, for the record).
        let mut clear = tx.statement(
            "UPDATE resources SET state = 'deleted', updated_at = ? WHERE entity_ref = ? AND state = 'failed'",
        );
        clear.bind(now).bind(new.entity_ref.key());
        tx.run(&clear, ACTION).await?;
        if let Some(existing) = live(&mut *tx, &new.entity_ref, ACTION).await? {
            tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
            return Ok((existing, false));
        }
        let mut insert = tx.statement(format!(
            "INSERT INTO resources (entity_ref, module, service, team, name, parameters, state, requested_by, \
             lease_owner, lease_until, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'provisioning', ?, ?, ?, ?, ?) \
             RETURNING {COLUMNS}"
        ));
        insert
            .bind(new.entity_ref.key())
            .bind(new.module.key())
            .bind(new.service.key())
            .bind(new.team.key())
            .bind(&new.name)
            .bind(new.parameters.to_string())
            .bind(&new.requested_by)
            .bind(owner)
            .bind(lease_until)
            .bind(now)
            .bind(now);
        let stored = tx.fetch_one::<ResourceRow>(&insert, ACTION).await?.decode()?;
        insert_audit(&mut *tx, &resource_audit(audit, &stored), now, None, ACTION).await?;
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok((stored, true))
    }

    async fn finish_resource(
        &self,
        id: i64,
        owner: &str,
        outcome: &ResourceOutcome,
        audit: &NewAudit,
    ) -> Result<Option<StoredResource>, StoreError> {
        const ACTION: &str = "recording a provisioning outcome";
        let now = common::now();
        let mut tx = self.writer(ACTION).await?;
        let mut update = tx.statement(
            "UPDATE resources SET state = ?, outputs = COALESCE(?, outputs), sealed = COALESCE(?, sealed), error = ?, \
             lease_owner = NULL, lease_until = NULL, updated_at = ? WHERE id = ? AND lease_owner = ? ",
        );
        match outcome {
            ResourceOutcome::Ready { outputs, sealed } => {
                update.bind("ready").bind(Some(outputs.to_string())).bind(sealed.clone()).bind(None::<String>)
            }
            ResourceOutcome::Failed { error } => {
                update.bind("failed").bind(None::<String>).bind(None::<String>).bind(Some(error.replace('\0', "")))
            }
            ResourceOutcome::Deleted => {
                update.bind("deleted").bind(None::<String>).bind(None::<String>).bind(None::<String>)
            }
        };
        update.bind(now).bind(id).bind(owner).push(&format!("RETURNING {COLUMNS}"));
        let Some(done) =
            tx.fetch_optional::<ResourceRow>(&update, ACTION).await?.map(ResourceRow::decode).transpose()?
        else {
            return Ok(None);
        };
        if matches!(outcome, ResourceOutcome::Deleted) {
            // Nothing secret outlives the resource.
            let mut forget = tx.statement("UPDATE resources SET sealed = NULL WHERE id = ?");
            forget.bind(id);
            tx.run(&forget, ACTION).await?;
        }
        insert_audit(&mut *tx, &resource_audit(audit, &done), now, None, ACTION).await?;
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(Some(done))
    }

    async fn lease_resource(
        &self,
        id: i64,
        owner: &str,
        lease_until: DateTime<Utc>,
        deprovision: bool,
    ) -> Result<Option<StoredResource>, StoreError> {
        const ACTION: &str = "taking a resource";
        let now = common::now();
        let mut tx = self.writer(ACTION).await?;
        let mut update = tx.statement(
            "UPDATE resources SET state = CASE WHEN ? THEN 'deprovisioning' ELSE state END, lease_owner = ?, \
             lease_until = ?, updated_at = ? WHERE id = ? AND (state = 'ready' OR (? AND state = 'failed')) \
             AND (lease_until IS NULL OR lease_until < ?) ",
        );
        // A failed request may be removed; only a ready resource has a
        // secret to rotate.
        update.bind(deprovision).bind(owner).bind(lease_until).bind(now).bind(id).bind(deprovision).bind(now);
        update.push(&format!("RETURNING {COLUMNS}"));
        let taken = tx.fetch_optional::<ResourceRow>(&update, ACTION).await?.map(ResourceRow::decode).transpose()?;
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(taken)
    }

    async fn reseal_resource(&self, id: i64, owner: &str, sealed: &str, audit: &NewAudit) -> Result<bool, StoreError> {
        const ACTION: &str = "storing a rotated secret";
        let now = common::now();
        let mut tx = self.writer(ACTION).await?;
        let mut update = tx.statement(format!(
            "UPDATE resources SET sealed = ?, lease_owner = NULL, lease_until = NULL, updated_at = ? \
             WHERE id = ? AND lease_owner = ? RETURNING {COLUMNS}"
        ));
        update.bind(sealed).bind(now).bind(id).bind(owner);
        let Some(done) =
            tx.fetch_optional::<ResourceRow>(&update, ACTION).await?.map(ResourceRow::decode).transpose()?
        else {
            return Ok(false);
        };
        insert_audit(&mut *tx, &resource_audit(audit, &done), now, None, ACTION).await?;
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(true)
    }

    async fn claim_stale_resources(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<StoredResource>, StoreError> {
        const ACTION: &str = "claiming interrupted provisioning requests";
        let mut tx = self.writer(ACTION).await?;
        let mut claim = tx.statement(
            "UPDATE resources SET lease_owner = ?, lease_until = ? WHERE id IN (SELECT id FROM resources \
             WHERE state IN ('provisioning', 'deprovisioning') AND lease_until < ? ORDER BY id LIMIT 50",
        );
        claim.bind(owner).bind(lease_until).bind(now);
        claim.push_skip_locked().push(&format!(") RETURNING {COLUMNS}"));
        let claimed = tx
            .fetch_all::<ResourceRow>(&claim, ACTION)
            .await?
            .into_iter()
            .map(ResourceRow::decode)
            .collect::<Result<Vec<_>, _>>()?;
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(claimed)
    }

    async fn resources(
        &self,
        service: Option<&EntityRef>,
        team: Option<&EntityRef>,
    ) -> Result<Vec<StoredResource>, StoreError> {
        const ACTION: &str = "reading resources";
        let mut db = self.reader(ACTION).await?;
        let mut select = db.statement(format!("SELECT {COLUMNS} FROM resources WHERE state <> 'deleted'"));
        if let Some(service) = service {
            select.push(" AND service = ").push_bind(service.key());
        }
        if let Some(team) = team {
            select.push(" AND team = ").push_bind(team.key());
        }
        select.push(" ORDER BY id");
        db.fetch_all::<ResourceRow>(&select, ACTION).await?.into_iter().map(ResourceRow::decode).collect()
    }

    async fn resource(&self, entity_ref: &EntityRef) -> Result<Option<StoredResource>, StoreError> {
        const ACTION: &str = "reading a resource";
        let mut db = self.reader(ACTION).await?;
        live(&mut *db, entity_ref, ACTION).await
    }
}
