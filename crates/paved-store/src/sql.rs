//! One SQL path for both databases.
//!
//! A query is written once, as a [`Statement`]: SQL text with `?` for each
//! bound value (every `?` is a placeholder; PostgreSQL's `$1, $2, ...` are
//! written for it when the statement runs) and the values as [`Bind`]s. The
//! SQL is the part both databases speak (`CAST(x AS BIGINT)`, `TRUE`,
//! `length(blob)`, `RETURNING`, `ON CONFLICT`); what they do not share is
//! in the few methods of [`Statement`] that write it per [`Backend`]: a
//! list of values ([`Statement::push_in`]), a substring test
//! ([`Statement::push_contains`]) and a JSON value
//! ([`Statement::push_json`]).
//!
//! A statement runs on a [`Sql`] (a pooled connection or a transaction of
//! either backend), and its rows decode into any type that both drivers
//! can build ([`FromRows`]). Each backend only says how it opens a read
//! connection and a write transaction ([`Db`]); everything written on top
//! of that is written once (`queries/`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::pool::PoolConnection;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{FromRow, Postgres, Sqlite, Transaction};

use crate::{Backend, StoreError};

/// A value bound to a `?` of a [`Statement`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Bind {
    /// Text, or NULL.
    Text(Option<String>),
    /// A 64-bit integer, or NULL.
    Int(Option<i64>),
    /// A boolean (SQLite stores 0 or 1).
    Bool(bool),
    /// A double-precision number.
    Float(f64),
    /// Bytes.
    Bytes(Vec<u8>),
    /// An instant, or NULL.
    Time(Option<DateTime<Utc>>),
    /// A list of texts: PostgreSQL binds an array; SQLite never sees one
    /// ([`Statement::push_in`] binds it as JSON there).
    Texts(Vec<String>),
}

impl From<&str> for Bind {
    fn from(value: &str) -> Self {
        Self::Text(Some(value.to_owned()))
    }
}

impl From<String> for Bind {
    fn from(value: String) -> Self {
        Self::Text(Some(value))
    }
}

impl From<&String> for Bind {
    fn from(value: &String) -> Self {
        Self::Text(Some(value.clone()))
    }
}

impl From<Option<String>> for Bind {
    fn from(value: Option<String>) -> Self {
        Self::Text(value)
    }
}

impl From<&Option<String>> for Bind {
    fn from(value: &Option<String>) -> Self {
        Self::Text(value.clone())
    }
}

impl From<f64> for Bind {
    fn from(value: f64) -> Self {
        Self::Float(value)
    }
}

impl From<i64> for Bind {
    fn from(value: i64) -> Self {
        Self::Int(Some(value))
    }
}

impl From<Option<i64>> for Bind {
    fn from(value: Option<i64>) -> Self {
        Self::Int(value)
    }
}

impl From<bool> for Bind {
    fn from(value: bool) -> Self {
        Self::Bool(value)
    }
}

impl From<Vec<u8>> for Bind {
    fn from(value: Vec<u8>) -> Self {
        Self::Bytes(value)
    }
}

impl From<DateTime<Utc>> for Bind {
    fn from(value: DateTime<Utc>) -> Self {
        Self::Time(Some(value))
    }
}

impl From<Option<DateTime<Utc>>> for Bind {
    fn from(value: Option<DateTime<Utc>>) -> Self {
        Self::Time(value)
    }
}

/// A query for either backend: SQL with `?` placeholders and their values.
#[derive(Debug, Clone)]
pub(crate) struct Statement {
    backend: Backend,
    sql: String,
    binds: Vec<Bind>,
}

impl Statement {
    /// A statement for `backend` starting with `sql`.
    pub(crate) fn new(backend: Backend, sql: impl Into<String>) -> Self {
        Self { backend, sql: sql.into(), binds: Vec::new() }
    }

    /// Appends SQL text.
    pub(crate) fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Binds the next `?` already written.
    pub(crate) fn bind(&mut self, value: impl Into<Bind>) -> &mut Self {
        self.binds.push(value.into());
        self
    }

    /// Appends a `?` and binds it.
    pub(crate) fn push_bind(&mut self, value: impl Into<Bind>) -> &mut Self {
        self.sql.push('?');
        self.bind(value)
    }

    /// Appends `<column> IN (<values>)`, one bound value however many there
    /// are: a JSON array read by `json_each` on SQLite, an array on
    /// PostgreSQL.
    pub(crate) fn push_in(&mut self, column: &str, values: &[String]) -> &mut Self {
        match self.backend {
            Backend::Sqlite => {
                self.sql.push_str(column);
                self.push(" IN (SELECT value FROM json_each(?))")
                    .bind(serde_json::Value::from(values.to_vec()).to_string())
            }
            Backend::Postgres => {
                self.sql.push_str(column);
                self.binds.push(Bind::Texts(values.to_vec()));
                self.push(" = ANY(?)")
            }
        }
    }

    /// Appends a test that the text `column` holds `needle`.
    pub(crate) fn push_contains(&mut self, column: &str, needle: String) -> &mut Self {
        let function = match self.backend {
            Backend::Sqlite => "instr(",
            Backend::Postgres => "strpos(",
        };
        self.push(function).push(column).push(", ").push_bind(needle).push(") > 0")
    }

    /// Appends a bound JSON text for a `json` column: PostgreSQL needs the
    /// type said, SQLite keeps the text.
    pub(crate) fn push_json(&mut self, json: String) -> &mut Self {
        match self.backend {
            Backend::Sqlite => self.push_bind(json),
            Backend::Postgres => self.push("CAST(").push_bind(json).push(" AS json)"),
        }
    }

    /// Locks the rows a `SELECT` returns until the transaction ends:
    /// PostgreSQL's `FOR UPDATE`; nothing on SQLite, whose write
    /// transactions hold the whole database.
    pub(crate) fn push_for_update(&mut self) -> &mut Self {
        match self.backend {
            Backend::Sqlite => self,
            Backend::Postgres => self.push(" FOR UPDATE"),
        }
    }

    /// Appends what makes a `SELECT` skip rows another transaction holds
    /// and lock the ones it returns: PostgreSQL's `FOR UPDATE SKIP LOCKED`,
    /// so that replicas claiming jobs at the same time each get another
    /// one. SQLite needs nothing: its one writer runs claims one at a time.
    pub(crate) fn push_skip_locked(&mut self) -> &mut Self {
        match self.backend {
            Backend::Sqlite => self,
            Backend::Postgres => self.push(" FOR UPDATE SKIP LOCKED"),
        }
    }

    /// The SQL as the backend reads it: PostgreSQL's placeholders are
    /// numbered.
    fn text(&self) -> std::borrow::Cow<'_, str> {
        match self.backend {
            Backend::Sqlite => std::borrow::Cow::Borrowed(&self.sql),
            Backend::Postgres => {
                let mut numbered = String::with_capacity(self.sql.len() + 8);
                let mut n = 0;
                for c in self.sql.chars() {
                    if c == '?' {
                        n += 1;
                        numbered.push('$');
                        numbered.push_str(&n.to_string());
                    } else {
                        numbered.push(c);
                    }
                }
                std::borrow::Cow::Owned(numbered)
            }
        }
    }
}

/// Rows as one backend returned them.
pub(crate) enum Rows {
    /// From SQLite.
    Sqlite(Vec<SqliteRow>),
    /// From PostgreSQL.
    Postgres(Vec<PgRow>),
}

/// A row type both drivers can build (`#[derive(sqlx::FromRow)]` and
/// tuples are).
pub(crate) trait FromRows: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}

impl<T> FromRows for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}

impl Rows {
    /// Each row as an `R`.
    pub(crate) fn decode<R: FromRows>(self) -> Result<Vec<R>, sqlx::Error> {
        match self {
            Self::Sqlite(rows) => rows.iter().map(R::from_row).collect(),
            Self::Postgres(rows) => rows.iter().map(R::from_row).collect(),
        }
    }
}

/// Somewhere statements run: a pooled connection or a transaction.
#[async_trait]
pub(crate) trait Sql: Send {
    /// The backend, which statements for this connection are written for.
    fn backend(&self) -> Backend;

    /// Runs `statement` and returns its rows.
    async fn rows(&mut self, statement: &Statement) -> Result<Rows, sqlx::Error>;

    /// Runs `statement` and returns how many rows it changed.
    async fn execute(&mut self, statement: &Statement) -> Result<u64, sqlx::Error>;
}

/// A write transaction: statements, then a commit. Dropped without a
/// commit, it rolls back.
#[async_trait]
pub(crate) trait SqlTx: Sql {
    /// Commits (durably: `synchronous=FULL` on SQLite).
    async fn commit(self: Box<Self>) -> Result<(), sqlx::Error>;
}

/// What each backend provides for the queries written once.
#[async_trait]
pub(crate) trait Db: Send + Sync {
    /// Which database this is.
    fn db_backend(&self) -> Backend;

    /// A connection for reading (on SQLite, of the read-only pool).
    async fn reader(&self, action: &'static str) -> Result<Box<dyn Sql + '_>, StoreError>;

    /// A read-only transaction on one snapshot, so that a page, its total
    /// and its relations agree.
    async fn snapshot(&self, action: &'static str) -> Result<Box<dyn SqlTx + '_>, StoreError>;

    /// A write transaction (on SQLite, `BEGIN IMMEDIATE` on the one write
    /// connection).
    async fn writer(&self, action: &'static str) -> Result<Box<dyn SqlTx + '_>, StoreError>;
}

/// The helpers every query uses: a statement for the backend, run, decode,
/// and name the failure. For every [`Sql`], boxed or not.
pub(crate) trait SqlExt: Sql {
    /// A statement for this connection's backend.
    fn statement(&self, sql: impl Into<String>) -> Statement {
        Statement::new(self.backend(), sql)
    }

    /// Every row of `statement` as an `R`.
    async fn fetch_all<R: FromRows>(
        &mut self,
        statement: &Statement,
        action: &'static str,
    ) -> Result<Vec<R>, StoreError> {
        let backend = self.backend();
        let rows = self.rows(statement).await.map_err(StoreError::database(backend, action))?;
        rows.decode().map_err(StoreError::database(backend, action))
    }

    /// The first row of `statement`, if any.
    async fn fetch_optional<R: FromRows>(
        &mut self,
        statement: &Statement,
        action: &'static str,
    ) -> Result<Option<R>, StoreError> {
        Ok(self.fetch_all(statement, action).await?.into_iter().next())
    }

    /// The one row of `statement`.
    async fn fetch_one<R: FromRows>(&mut self, statement: &Statement, action: &'static str) -> Result<R, StoreError> {
        let backend = self.backend();
        self.fetch_optional(statement, action)
            .await?
            .ok_or_else(|| StoreError::database(backend, action)(sqlx::Error::RowNotFound))
    }

    /// Runs `statement`; how many rows it changed.
    async fn run(&mut self, statement: &Statement, action: &'static str) -> Result<u64, StoreError> {
        let backend = self.backend();
        self.execute(statement).await.map_err(StoreError::database(backend, action))
    }
}

impl<S: Sql + ?Sized> SqlExt for S {}

fn sqlite_query<'q>(
    text: &'q str,
    binds: &'q [Bind],
) -> sqlx::query::Query<'q, Sqlite, <Sqlite as sqlx::Database>::Arguments<'q>> {
    let mut query = sqlx::query(text);
    for bind in binds {
        query = match bind {
            Bind::Text(value) => query.bind(value.as_deref()),
            Bind::Int(value) => query.bind(*value),
            Bind::Bool(value) => query.bind(*value),
            Bind::Float(value) => query.bind(*value),
            Bind::Bytes(value) => query.bind(value.as_slice()),
            Bind::Time(value) => query.bind(*value),
            Bind::Texts(values) => query.bind(serde_json::Value::from(values.clone()).to_string()),
        };
    }
    query
}

fn postgres_query<'q>(
    text: &'q str,
    binds: &'q [Bind],
) -> sqlx::query::Query<'q, Postgres, <Postgres as sqlx::Database>::Arguments<'q>> {
    let mut query = sqlx::query(text);
    for bind in binds {
        query = match bind {
            Bind::Text(value) => query.bind(value.as_deref()),
            Bind::Int(value) => query.bind(*value),
            Bind::Bool(value) => query.bind(*value),
            Bind::Float(value) => query.bind(*value),
            Bind::Bytes(value) => query.bind(value.as_slice()),
            Bind::Time(value) => query.bind(*value),
            Bind::Texts(values) => query.bind(values.as_slice()),
        };
    }
    query
}

/// `Sql` for a connection-like value of one backend: what runs a
/// statement differs only in the driver's types.
macro_rules! sql_on {
    ($target:ty, $backend:expr, $query:ident, $rows:ident) => {
        #[async_trait]
        impl Sql for $target {
            fn backend(&self) -> Backend {
                $backend
            }

            async fn rows(&mut self, statement: &Statement) -> Result<Rows, sqlx::Error> {
                let text = statement.text();
                Ok(Rows::$rows($query(&text, &statement.binds).fetch_all(&mut **self).await?))
            }

            async fn execute(&mut self, statement: &Statement) -> Result<u64, sqlx::Error> {
                let text = statement.text();
                Ok($query(&text, &statement.binds).execute(&mut **self).await?.rows_affected())
            }
        }
    };
}

sql_on!(PoolConnection<Sqlite>, Backend::Sqlite, sqlite_query, Sqlite);
sql_on!(PoolConnection<Postgres>, Backend::Postgres, postgres_query, Postgres);
sql_on!(Transaction<'static, Sqlite>, Backend::Sqlite, sqlite_query, Sqlite);
sql_on!(Transaction<'static, Postgres>, Backend::Postgres, postgres_query, Postgres);

#[async_trait]
impl SqlTx for Transaction<'static, Sqlite> {
    async fn commit(self: Box<Self>) -> Result<(), sqlx::Error> {
        (*self).commit().await
    }
}

#[async_trait]
impl SqlTx for Transaction<'static, Postgres> {
    async fn commit(self: Box<Self>) -> Result<(), sqlx::Error> {
        (*self).commit().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_placeholders_are_numbered_and_lists_bind_once() {
        let mut sqlite = Statement::new(Backend::Sqlite, "SELECT 1 FROM t WHERE a = ?");
        sqlite.bind("x").push(" AND ").push_in("b", &["p".into(), "q".into()]);
        assert_eq!(sqlite.text(), "SELECT 1 FROM t WHERE a = ? AND b IN (SELECT value FROM json_each(?))");
        assert_eq!(sqlite.binds[1], Bind::Text(Some(r#"["p","q"]"#.into())));
        let mut postgres = Statement::new(Backend::Postgres, "SELECT 1 FROM t WHERE a = ?");
        postgres.bind("x").push(" AND ").push_in("b", &["p".into()]).push(" AND ").push_contains("c", "n".into());
        assert_eq!(postgres.text(), "SELECT 1 FROM t WHERE a = $1 AND b = ANY($2) AND strpos(c, $3) > 0");
        assert_eq!(postgres.binds.len(), 3);
    }
}
