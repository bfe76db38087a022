//! API tokens: created and revoked with their audit entries, looked up by
//! hash.

use async_trait::async_trait;

use super::{TOKEN_COLUMNS, insert_audit};
use crate::common::{self, TokenRow};
use crate::sql::{Db, SqlExt};
use crate::{NewToken, StoreError, TokenInfo, TokenStore};

#[async_trait]
impl<T: Db> TokenStore for T {
    async fn create_token(&self, token: &NewToken, actor: &str) -> Result<TokenInfo, StoreError> {
        const ACTION: &str = "creating a token";
        common::check_token_name(&token.name)?;
        let (scope, team, person) = common::scope_columns(&token.scope);
        let now = common::now();
        let mut tx = self.writer(ACTION).await?;
        let mut insert = tx.statement(format!(
            "INSERT INTO api_tokens (name, scope, team, person, hash, prefix, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING {TOKEN_COLUMNS}"
        ));
        insert
            .bind(&token.name)
            .bind(scope)
            .bind(team)
            .bind(person)
            .bind(&token.hash)
            .bind(&token.prefix)
            .bind(now)
            .bind(token.expires_at);
        let info = tx.fetch_one::<TokenRow>(&insert, ACTION).await?.decode()?;
        insert_audit(&mut *tx, &common::token_audit(actor, "token.create", &info), now, None, ACTION).await?;
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(info)
    }

    async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenInfo>, StoreError> {
        const ACTION: &str = "reading a token";
        if hash.contains('\0') {
            return Ok(None);
        }
        let mut db = self.reader(ACTION).await?;
        let mut select = db.statement(format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE hash = ?"));
        select.bind(hash);
        db.fetch_optional::<TokenRow>(&select, ACTION).await?.map(TokenRow::decode).transpose()
    }

    async fn tokens(&self) -> Result<Vec<TokenInfo>, StoreError> {
        const ACTION: &str = "listing tokens";
        let mut db = self.reader(ACTION).await?;
        let select = db.statement(format!("SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY id"));
        db.fetch_all::<TokenRow>(&select, ACTION).await?.into_iter().map(TokenRow::decode).collect()
    }

    async fn revoke_token(&self, id: i64, actor: &str) -> Result<Option<TokenInfo>, StoreError> {
        const ACTION: &str = "revoking a token";
        let now = common::now();
        let mut tx = self.writer(ACTION).await?;
        let mut update = tx.statement(format!(
            "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING {TOKEN_COLUMNS}"
        ));
        update.bind(now).bind(id);
        let info = match tx.fetch_optional::<TokenRow>(&update, ACTION).await? {
            Some(row) => {
                let info = row.decode()?;
                insert_audit(&mut *tx, &common::token_audit(actor, "token.revoke", &info), now, None, ACTION).await?;
                Some(info)
            }
            // Unknown, or revoked before: what is stored, unchanged.
            None => {
                let mut select = tx.statement(format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = ?"));
                select.bind(id);
                tx.fetch_optional::<TokenRow>(&select, ACTION).await?.map(TokenRow::decode).transpose()?
            }
        };
        tx.commit().await.map_err(StoreError::database(self.db_backend(), ACTION))?;
        Ok(info)
    }
}
