//! People's contacts added at run time: added and removed with their audit
//! entries, listed by person.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::insert_audit;
use crate::common;
use crate::contacts::{ContactStore, NewPersonContact, StoredPersonContact};
use crate::sql::{Db, SqlExt};
use crate::{NewAudit, StoreError};

/// Columns of [`ContactRow`].
const CONTACT_COLUMNS: &str = "id, person, kind, shown, sealed, created_by, created_at";

#[derive(sqlx::FromRow)]
struct ContactRow {
    id: i64,
    person: String,
    kind: String,
    shown: String,
    sealed: String,
    created_by: String,
    created_at: DateTime<Utc>,
}

impl ContactRow {
    fn decode(self) -> Result<StoredPersonContact, StoreError> {
        let person = self
            .person
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("contact {}: person `{}`: {e}", self.id, self.person)))?;
        Ok(StoredPersonContact {
            id: self.id,
            person,
            kind: self.kind,
            shown: self.shown,
            sealed: self.sealed,
            created_by: self.created_by,
            created_at: self.created_at,
        })
    }
}

/// `audit` about `contact`: its target names the contact.
fn contact_audit(audit: &NewAudit, contact: &StoredPersonContact) -> NewAudit {
    NewAudit {
        actor: audit.actor.clone(),
        action: audit.action.clone(),
        target: format!("contact {} of {}", contact.id, contact.person),
        detail: audit.detail.clone(),
        service: None,
        decision: None,
    }
}

#[async_trait]
impl<T: Db> ContactStore for T {
    async fn add_person_contact(
        &self,
        new: &NewPersonContact,
        audit: &NewAudit,
    ) -> Result<StoredPersonContact, StoreError> {
        const ACTION: &str = "adding a contact";
        let texts = [new.person.key(), new.kind.clone(), new.shown.clone(), new.sealed.clone(), new.created_by.clone()];
        if texts.iter().any(|text| text.contains('\0')) {
            return Err(StoreError::InvalidRecord {
                record: format!("contact of {}", new.person.key().replace('\0', "")),
                field: "a text".into(),
                problem: "holds a NUL character (\\0)",
            });
        }
        let now = common::now();
        let mut tx = self.writer(ACTION).await?;
        let mut insert = tx.statement(format!(
            "INSERT INTO person_contacts (person, kind, shown, sealed, created_by, created_at)
             VALUES (?, ?, ?, ?, ?, ?) RETURNING {CONTACT_COLUMNS}"
        ));
        insert
            .bind(new.person.key())
            .bind(&new.kind)
            .bind(&new.shown)
            .bind(&new.sealed)
            .bind(&new.created_by)
            .bind(now);
        let stored = tx.fetch_one::<ContactRow>(&insert, ACTION).await?.decode()?;
        insert_audit(&mut *tx, &contact_audit(audit, &stored), now, None, ACTION).await?;
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(stored)
    }

    async fn person_contacts(
        &self,
        person: Option<&paved_domain::EntityRef>,
    ) -> Result<Vec<StoredPersonContact>, StoreError> {
        const ACTION: &str = "reading contacts";
        let mut db = self.reader(ACTION).await?;
        let mut select = db.statement(format!("SELECT {CONTACT_COLUMNS} FROM person_contacts WHERE 1 = 1"));
        if let Some(person) = person {
            select.push(" AND person = ").push_bind(person.key());
        }
        select.push(" ORDER BY id");
        db.fetch_all::<ContactRow>(&select, ACTION).await?.into_iter().map(ContactRow::decode).collect()
    }

    async fn remove_person_contact(
        &self,
        person: &paved_domain::EntityRef,
        id: i64,
        audit: &NewAudit,
    ) -> Result<Option<StoredPersonContact>, StoreError> {
        const ACTION: &str = "removing a contact";
        let now = common::now();
        let mut tx = self.writer(ACTION).await?;
        let mut delete = tx
            .statement(format!("DELETE FROM person_contacts WHERE id = ? AND person = ? RETURNING {CONTACT_COLUMNS}"));
        delete.bind(id).bind(person.key());
        let Some(removed) =
            tx.fetch_optional::<ContactRow>(&delete, ACTION).await?.map(ContactRow::decode).transpose()?
        else {
            return Ok(None);
        };
        insert_audit(&mut *tx, &contact_audit(audit, &removed), now, None, ACTION).await?;
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(Some(removed))
    }
}
