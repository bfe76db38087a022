//! Escalations and notifications: started once per incident, claimed under
//! leases, fired with idempotent notifications, stopped by an answer.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::insert_audit;
use crate::common;
use crate::paging::{
    Delivery, Escalation, EscalationState, FiredStep, NewEscalation, NextStep, Notification, NotificationState,
    PagingStore,
};
use crate::sql::{Db, SqlExt};
use crate::{NewAudit, StoreError};

const ESCALATION_COLUMNS: &str =
    "id, incident_key, service, policy, plan, state, step, round, due_at, stopped_by, created_at, updated_at";

const NOTIFICATION_COLUMNS: &str = "id, escalation_id, incident_key, round, step, person, channel, contact_index, \
     shown, idempotency_key, state, attempts, next_attempt_at, last_error, receipt, sent_at, created_at";

#[derive(sqlx::FromRow)]
struct EscalationRow {
    id: i64,
    incident_key: String,
    service: Option<String>,
    policy: String,
    plan: String,
    state: String,
    step: i64,
    round: i64,
    due_at: DateTime<Utc>,
    stopped_by: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl EscalationRow {
    fn decode(self) -> Result<Escalation, StoreError> {
        let corrupt =
            |what: &str, detail: String| StoreError::Corrupt(format!("escalation {}: {what}: {detail}", self.id));
        let plan = serde_json::from_str(&self.plan).map_err(|e| corrupt("plan", e.to_string()))?;
        let state = EscalationState::parse(&self.state).ok_or_else(|| corrupt("state", self.state.clone()))?;
        Ok(Escalation {
            id: self.id,
            incident_key: self.incident_key,
            service: self.service,
            policy: self.policy,
            plan,
            state,
            step: self.step,
            round: self.round,
            due_at: self.due_at,
            stopped_by: self.stopped_by,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct NotificationRow {
    id: i64,
    escalation_id: i64,
    incident_key: String,
    round: i64,
    step: i64,
    person: String,
    channel: String,
    contact_index: i64,
    shown: String,
    idempotency_key: String,
    state: String,
    attempts: i64,
    next_attempt_at: DateTime<Utc>,
    last_error: Option<String>,
    receipt: Option<String>,
    sent_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl NotificationRow {
    fn decode(self) -> Result<Notification, StoreError> {
        let state = NotificationState::parse(&self.state)
            .ok_or_else(|| StoreError::Corrupt(format!("notification {}: state: {}", self.id, self.state)))?;
        Ok(Notification {
            id: self.id,
            escalation_id: self.escalation_id,
            incident_key: self.incident_key,
            round: self.round,
            step: self.step,
            person: self.person,
            channel: self.channel,
            contact_index: self.contact_index,
            shown: self.shown,
            idempotency_key: self.idempotency_key,
            state,
            attempts: self.attempts,
            next_attempt_at: self.next_attempt_at,
            last_error: self.last_error,
            receipt: self.receipt,
            sent_at: self.sent_at,
            created_at: self.created_at,
        })
    }
}

fn no_nul<'a>(record: &str, texts: impl IntoIterator<Item = &'a str>) -> Result<(), StoreError> {
    if texts.into_iter().any(|text| text.contains('\0')) {
        return Err(StoreError::InvalidRecord {
            record: record.replace('\0', ""),
            field: "a text".into(),
            problem: "holds a NUL character (\\0)",
        });
    }
    Ok(())
}

fn decode_escalations(rows: Vec<EscalationRow>) -> Result<Vec<Escalation>, StoreError> {
    rows.into_iter().map(EscalationRow::decode).collect()
}

#[async_trait]
impl<T: Db> PagingStore for T {
    async fn start_escalations(&self, escalations: &[NewEscalation]) -> Result<Vec<Escalation>, StoreError> {
        const ACTION: &str = "starting escalations";
        if escalations.is_empty() {
            return Ok(Vec::new());
        }
        for escalation in escalations {
            no_nul(
                &escalation.incident_key,
                [escalation.incident_key.as_str(), &escalation.policy].into_iter().chain(escalation.service.as_deref()),
            )?;
        }
        let now = common::now();
        let mut tx = self.writer(ACTION).await?;
        let mut started = Vec::new();
        for escalation in escalations {
            let mut insert = tx.statement(format!(
                "INSERT INTO escalations (incident_key, service, policy, plan, state, step, round, due_at, \
                 created_at, updated_at) VALUES (?, ?, ?, ?, 'active', 0, 0, ?, ?, ?) \
                 ON CONFLICT (incident_key) DO NOTHING RETURNING {ESCALATION_COLUMNS}"
            ));
            insert
                .bind(&escalation.incident_key)
                .bind(&escalation.service)
                .bind(&escalation.policy)
                .bind(escalation.plan.to_string())
                .bind(escalation.due_at)
                .bind(now)
                .bind(now);
            let Some(row) = tx.fetch_optional::<EscalationRow>(&insert, ACTION).await? else { continue };
            let one = row.decode()?;
            let audit = NewAudit {
                actor: "paved".into(),
                action: "page.escalation_start".into(),
                target: format!("incident {}", one.incident_key),
                detail: Some(format!("policy {}", one.policy)),
                service: None,
                decision: None,
            };
            insert_audit(&mut *tx, &audit, now, None, ACTION).await?;
            started.push(one);
        }
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(started)
    }

    async fn stop_escalation(
        &self,
        incident_key: &str,
        state: EscalationState,
        by: Option<&str>,
    ) -> Result<Option<Escalation>, StoreError> {
        const ACTION: &str = "stopping an escalation";
        let now = common::now();
        let mut tx = self.writer(ACTION).await?;
        let mut update = tx.statement(format!(
            "UPDATE escalations SET state = ?, stopped_by = ?, updated_at = ?, lease_owner = NULL, lease_until = NULL \
             WHERE incident_key = ? AND state = 'active' RETURNING {ESCALATION_COLUMNS}"
        ));
        update.bind(state.as_str()).bind(by.map(str::to_owned)).bind(now).bind(incident_key);
        let stopped =
            tx.fetch_optional::<EscalationRow>(&update, ACTION).await?.map(EscalationRow::decode).transpose()?;
        if let Some(stopped) = &stopped {
            let mut cancel = tx.statement(
                "UPDATE notifications SET state = 'cancelled', lease_owner = NULL, lease_until = NULL \
                 WHERE escalation_id = ? AND state = 'pending'",
            );
            cancel.bind(stopped.id);
            tx.run(&cancel, ACTION).await?;
            let audit = NewAudit {
                actor: by.unwrap_or("paved").to_owned(),
                action: "page.escalation_stop".into(),
                target: format!("incident {incident_key}"),
                detail: Some(state.as_str().to_owned()),
                service: None,
                decision: None,
            };
            insert_audit(&mut *tx, &audit, now, None, ACTION).await?;
        }
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(stopped)
    }

    async fn claim_due_escalations(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Escalation>, StoreError> {
        const ACTION: &str = "claiming due escalations";
        let mut tx = self.writer(ACTION).await?;
        let mut claim = tx.statement(
            "UPDATE escalations SET lease_owner = ?, lease_until = ? WHERE id IN (SELECT id FROM escalations \
             WHERE state = 'active' AND due_at <= ? AND (lease_until IS NULL OR lease_until < ?) \
             ORDER BY due_at LIMIT ?",
        );
        claim.bind(owner).bind(lease_until).bind(now).bind(now).bind(limit);
        claim.push_skip_locked().push(&format!(") RETURNING {ESCALATION_COLUMNS}"));
        let claimed = decode_escalations(tx.fetch_all::<EscalationRow>(&claim, ACTION).await?)?;
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(claimed)
    }

    async fn fire_steps(&self, owner: &str, steps: &[FiredStep]) -> Result<Vec<bool>, StoreError> {
        const ACTION: &str = "firing escalation steps";
        for step in steps {
            for n in &step.notifications {
                no_nul(&n.idempotency_key, [n.person.as_str(), &n.channel, &n.shown, &n.idempotency_key])?;
            }
        }
        if steps.is_empty() {
            return Ok(Vec::new());
        }
        let now = common::now();
        let mut tx = self.writer(ACTION).await?;
        let mut fired = Vec::with_capacity(steps.len());
        for step in steps {
            // The step that fires is the one before the update: read it first.
            let mut current = tx.statement("SELECT step, round, incident_key FROM escalations WHERE id = ?");
            current.bind(step.id);
            let Some((at_step, round, incident_key)): Option<(i64, i64, String)> =
                tx.fetch_optional(&current, ACTION).await?
            else {
                fired.push(false);
                continue;
            };
            let mut update = tx.statement(format!(
                "UPDATE escalations SET state = ?, step = ?, round = ?, due_at = ?, updated_at = ?, \
                 lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ? AND state = 'active' \
                 RETURNING {ESCALATION_COLUMNS}"
            ));
            match &step.next {
                NextStep::At { step, round, due_at } => {
                    update.bind("active").bind(*step).bind(*round).bind(*due_at);
                }
                NextStep::Exhausted => {
                    update.bind("exhausted").bind(-1_i64).bind(-1_i64).bind(now);
                }
            }
            update.bind(now).bind(step.id).bind(owner);
            if tx.fetch_optional::<EscalationRow>(&update, ACTION).await?.is_none() {
                fired.push(false);
                continue;
            }
            for n in &step.notifications {
                let mut insert = tx.statement(
                    "INSERT INTO notifications (escalation_id, incident_key, round, step, person, channel, \
                     contact_index, shown, idempotency_key, state, attempts, next_attempt_at, created_at) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING",
                );
                insert
                    .bind(step.id)
                    .bind(&incident_key)
                    .bind(round)
                    .bind(at_step)
                    .bind(&n.person)
                    .bind(&n.channel)
                    .bind(n.contact_index)
                    .bind(&n.shown)
                    .bind(&n.idempotency_key)
                    .bind(now)
                    .bind(now);
                tx.run(&insert, ACTION).await?;
            }
            insert_audit(&mut *tx, &step.audit, now, None, ACTION).await?;
            fired.push(true);
        }
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(fired)
    }

    async fn escalate_now(&self, id: i64) -> Result<bool, StoreError> {
        const ACTION: &str = "escalating at once";
        let now = common::now();
        let mut tx = self.writer(ACTION).await?;
        let mut update = tx.statement(
            "UPDATE escalations SET due_at = ?, updated_at = ? WHERE id = ? AND state = 'active' AND due_at > ?",
        );
        update.bind(now).bind(now).bind(id).bind(now);
        let changed = tx.run(&update, ACTION).await?;
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(changed == 1)
    }

    async fn claim_due_notifications(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Notification>, StoreError> {
        const ACTION: &str = "claiming due notifications";
        let mut tx = self.writer(ACTION).await?;
        let mut claim = tx.statement(
            "UPDATE notifications SET lease_owner = ?, lease_until = ?, attempts = attempts + 1 WHERE id IN \
             (SELECT id FROM notifications WHERE state = 'pending' AND next_attempt_at <= ? \
             AND (lease_until IS NULL OR lease_until < ?) ORDER BY next_attempt_at LIMIT ?",
        );
        claim.bind(owner).bind(lease_until).bind(now).bind(now).bind(limit);
        claim.push_skip_locked().push(&format!(") RETURNING {NOTIFICATION_COLUMNS}"));
        let claimed: Vec<Notification> = tx
            .fetch_all::<NotificationRow>(&claim, ACTION)
            .await?
            .into_iter()
            .map(NotificationRow::decode)
            .collect::<Result<_, _>>()?;
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(claimed)
    }

    async fn finish_notifications(
        &self,
        owner: &str,
        deliveries: &[(i64, Delivery)],
    ) -> Result<Vec<Option<Notification>>, StoreError> {
        const ACTION: &str = "recording notifications' deliveries";
        if deliveries.is_empty() {
            return Ok(Vec::new());
        }
        let now = common::now();
        let mut tx = self.writer(ACTION).await?;
        let mut finished = Vec::with_capacity(deliveries.len());
        for (id, delivery) in deliveries {
            let mut update = tx.statement(
                "UPDATE notifications SET state = ?, next_attempt_at = ?, last_error = ?, receipt = ?, sent_at = ?, \
                 lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ? AND state = 'pending' ",
            );
            match delivery {
                Delivery::Sent { receipt } => update
                    .bind("sent")
                    .bind(now)
                    .bind(None::<String>)
                    .bind(Some(receipt.replace('\0', "")))
                    .bind(Some(now)),
                Delivery::Retry { at, error } => update
                    .bind("pending")
                    .bind(*at)
                    .bind(Some(error.replace('\0', "")))
                    .bind(None::<String>)
                    .bind(None::<DateTime<Utc>>),
                Delivery::Failed { error } => update
                    .bind("failed")
                    .bind(now)
                    .bind(Some(error.replace('\0', "")))
                    .bind(None::<String>)
                    .bind(None::<DateTime<Utc>>),
            };
            update.bind(*id).bind(owner).push(&format!("RETURNING {NOTIFICATION_COLUMNS}"));
            let one = tx
                .fetch_optional::<NotificationRow>(&update, ACTION)
                .await?
                .map(NotificationRow::decode)
                .transpose()?;
            if let Some(n) = &one
                && n.state != NotificationState::Pending
            {
                let audit = NewAudit {
                    actor: "paved".into(),
                    action: if n.state == NotificationState::Sent { "page.sent".into() } else { "page.failed".into() },
                    target: format!("incident {}", n.incident_key),
                    detail: Some(format!("{} by {} ({})", n.person, n.channel, n.shown)),
                    service: None,
                    decision: None,
                };
                insert_audit(&mut *tx, &audit, now, None, ACTION).await?;
            }
            finished.push(one);
        }
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(finished)
    }

    async fn escalation(&self, incident_key: &str) -> Result<Option<Escalation>, StoreError> {
        const ACTION: &str = "reading an escalation";
        let mut db = self.reader(ACTION).await?;
        let mut select = db.statement(format!("SELECT {ESCALATION_COLUMNS} FROM escalations WHERE incident_key = ?"));
        select.bind(incident_key);
        db.fetch_optional::<EscalationRow>(&select, ACTION).await?.map(EscalationRow::decode).transpose()
    }

    async fn notifications(&self, incident_key: &str) -> Result<Vec<Notification>, StoreError> {
        const ACTION: &str = "reading an incident's notifications";
        let mut db = self.reader(ACTION).await?;
        let mut select = db
            .statement(format!("SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE incident_key = ? ORDER BY id"));
        select.bind(incident_key);
        db.fetch_all::<NotificationRow>(&select, ACTION).await?.into_iter().map(NotificationRow::decode).collect()
    }

    async fn escalation_by_id(&self, id: i64) -> Result<Option<Escalation>, StoreError> {
        const ACTION: &str = "reading an escalation";
        let mut db = self.reader(ACTION).await?;
        let mut select = db.statement(format!("SELECT {ESCALATION_COLUMNS} FROM escalations WHERE id = ?"));
        select.bind(id);
        db.fetch_optional::<EscalationRow>(&select, ACTION).await?.map(EscalationRow::decode).transpose()
    }

    async fn server_key(&self, name: &str, candidate: &str) -> Result<String, StoreError> {
        const ACTION: &str = "reading a server key";
        let mut tx = self.writer(ACTION).await?;
        let mut insert = tx.statement(
            "INSERT INTO server_keys (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
        );
        insert.bind(name).bind(candidate).bind(common::now());
        tx.run(&insert, ACTION).await?;
        let mut select = tx.statement("SELECT value FROM server_keys WHERE name = ?");
        select.bind(name);
        let (value,): (String,) = tx.fetch_one(&select, ACTION).await?;
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(value)
    }
}
