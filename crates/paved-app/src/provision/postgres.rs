//! The `postgres` driver: on a configured server, a role with a generated
//! password and a database it owns, which nobody else may connect to.
//! Identifiers are checked ([`super::names`]) and quoted; the password is
//! generated here (hex), never given by a person, and sent to the server
//! only as its SCRAM-SHA-256 verifier, computed here (so that no statement
//! log of the server holds it), written as a quoted literal (a role's
//! password cannot be bound); values a statement can
//! bind are bound. Running it again finishes what an interrupted run began
//! (the role is altered, the database kept); a failure drops what this run
//! made. [`rotate`] gives the role a new password.

use serde_json::{Map, Value, json};
use sqlx::{Connection, PgConnection, Row};

use super::{Made, Names, ServerUrl};

/// A quoted SQL identifier.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A quoted SQL string literal, as PostgreSQL's `quote_literal` writes
/// one: `'` doubled, and a text holding a backslash as an escape string
/// (`E'...'`) with the backslashes doubled, so that it reads the same
/// whatever `standard_conforming_strings` says.
fn literal(text: &str) -> String {
    let quoted = text.replace('\'', "''");
    if text.contains('\\') { format!("E'{}'", quoted.replace('\\', "\\\\")) } else { format!("'{quoted}'") }
}

/// SCRAM-SHA-256's iteration count, as PostgreSQL's default.
const SCRAM_ITERATIONS: u32 = 4096;

/// The SCRAM-SHA-256 verifier of `password` in the form PostgreSQL keeps
/// and takes in `PASSWORD '...'` (RFC 5802 and 7677):
/// `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, where
/// SaltedPassword = PBKDF2-HMAC-SHA-256(password, salt, iterations),
/// StoredKey = SHA-256(HMAC(SaltedPassword, "Client Key")) and ServerKey =
/// HMAC(SaltedPassword, "Server Key"). The password is ASCII hex, which
/// SASLprep leaves as it is.
fn scram_verifier(password: &str) -> Result<String, String> {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use hmac::{Hmac, Mac};
    use sha2::{Digest, Sha256};
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| format!("no randomness for a salt: {e}"))?;
    let mut salted = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), &salt, SCRAM_ITERATIONS, &mut salted);
    let keyed = |message: &[u8]| {
        let mut mac = Hmac::<Sha256>::new_from_slice(&salted).expect("HMAC takes a key of any length");
        mac.update(message);
        mac.finalize().into_bytes()
    };
    let stored_key = Sha256::digest(keyed(b"Client Key"));
    let server_key = keyed(b"Server Key");
    Ok(format!(
        "SCRAM-SHA-256${SCRAM_ITERATIONS}:{}${}:{}",
        STANDARD.encode(salt),
        STANDARD.encode(stored_key),
        STANDARD.encode(server_key)
    ))
}

/// A new password: 24 random bytes in hex.
pub(crate) fn password() -> Result<String, String> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for a password: {e}"))?;
    Ok(hex::encode(bytes))
}

fn failed(what: &str, error: &sqlx::Error) -> String {
    // The server's message, never the statement (it holds the password).
    let message = match error {
        sqlx::Error::Database(db) => db.message().to_owned(),
        other => other.to_string(),
    };
    format!("{what}: {message}")
}

/// Runs one statement that binds nothing (DDL).
async fn run(admin: &mut PgConnection, sql: String) -> Result<(), sqlx::Error> {
    use sqlx::Executor as _;
    admin.execute(sqlx::raw_sql(&sql)).await.map(|_| ())
}

/// Makes the database `name` (quoted: `role`) owned by its role, unless it
/// exists, and lets nobody else connect to it.
async fn database(admin: &mut PgConnection, name: &str, role: &str) -> Result<(), String> {
    let existed = sqlx::query("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_optional(&mut *admin)
        .await
        .map_err(|e| failed("reading the databases", &e))?
        .is_some();
    if !existed {
        run(admin, format!("CREATE DATABASE {role} OWNER {role}"))
            .await
            .map_err(|e| failed("making the database", &e))?;
    }
    for sql in [
        format!("REVOKE ALL ON DATABASE {role} FROM PUBLIC"),
        format!("GRANT CONNECT, TEMPORARY ON DATABASE {role} TO {role}"),
    ] {
        run(admin, sql).await.map_err(|e| failed("closing the database to others", &e))?;
    }
    Ok(())
}

/// Connects as the admin and runs `SELECT 1`.
pub(crate) async fn ping(server: &ServerUrl) -> Result<(), String> {
    let mut admin =
        PgConnection::connect(&server.0).await.map_err(|e| failed("cannot connect to the PostgreSQL server", &e))?;
    sqlx::query("SELECT 1").execute(&mut admin).await.map_err(|e| failed("the server does not answer", &e))?;
    admin.close().await.ok();
    Ok(())
}

/// Makes (or finishes making) the role and the database of `names`.
pub(crate) async fn provision(server: &ServerUrl, names: &Names) -> Result<Made, String> {
    let url = url::Url::parse(&server.0).map_err(|e| format!("the server's url does not parse: {e}"))?;
    let mut admin =
        PgConnection::connect(&server.0).await.map_err(|e| failed("cannot connect to the PostgreSQL server", &e))?;
    let role = ident(&names.sql);
    let password = password()?;
    let role_existed = sqlx::query("SELECT 1 FROM pg_roles WHERE rolname = $1")
        .bind(&names.sql)
        .fetch_optional(&mut admin)
        .await
        .map_err(|e| failed("reading the roles", &e))?
        .is_some();
    let verb = if role_existed { "ALTER" } else { "CREATE" };
    let password_literal = literal(&scram_verifier(&password)?);
    run(
        &mut admin,
        format!("{verb} ROLE {role} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {password_literal}"),
    )
    .await
    .map_err(|e| failed("making the role", &e))?;
    let made_database = database(&mut admin, &names.sql, &role).await;
    if let Err(error) = made_database {
        if !role_existed {
            // Nothing left behind: no role without its database.
            let _ = run(&mut admin, format!("DROP ROLE IF EXISTS {role}")).await;
        }
        return Err(error);
    }
    let version: String =
        sqlx::query("SHOW server_version").fetch_one(&mut admin).await.map(|row| row.get(0)).unwrap_or_default();
    let _ = admin.close().await;
    let (host, port) = host_and_port(&url);
    let mut outputs = serde_json::Map::new();
    outputs.insert("host".into(), json!(host));
    outputs.insert("port".into(), json!(port));
    outputs.insert("database".into(), json!(names.sql));
    outputs.insert("user".into(), json!(names.sql));
    outputs.insert("server_version".into(), json!(version));
    Ok(Made { outputs, secrets: secrets(&url, names, &password) })
}

fn host_and_port(url: &url::Url) -> (String, u16) {
    (url.host_str().unwrap_or("localhost").to_owned(), url.port().unwrap_or(5432))
}

/// The secret outputs: the password, and the URL that holds it.
fn secrets(server: &url::Url, names: &Names, password: &str) -> Map<String, Value> {
    let (host, port) = host_and_port(server);
    let host_in_url = if host.contains(':') { format!("[{host}]") } else { host };
    let mut secrets = Map::new();
    secrets.insert("password".into(), Value::String(password.to_owned()));
    secrets
        .insert("url".into(), json!(format!("postgres://{}:{password}@{host_in_url}:{port}/{}", names.sql, names.sql)));
    secrets
}

/// Gives the role of `names` a new password: the old one is refused from
/// then on (sessions already open stay open). The new secret outputs.
pub(crate) async fn rotate(server: &ServerUrl, names: &Names) -> Result<Map<String, Value>, String> {
    let url = url::Url::parse(&server.0).map_err(|e| format!("the server's url does not parse: {e}"))?;
    let mut admin =
        PgConnection::connect(&server.0).await.map_err(|e| failed("cannot connect to the PostgreSQL server", &e))?;
    let exists = sqlx::query("SELECT 1 FROM pg_roles WHERE rolname = $1")
        .bind(&names.sql)
        .fetch_optional(&mut admin)
        .await
        .map_err(|e| failed("reading the roles", &e))?
        .is_some();
    if !exists {
        return Err(format!(
            "its role `{}` is no longer on the server; remove the resource (paved deprovision) and ask for it again",
            names.sql
        ));
    }
    let password = password()?;
    run(&mut admin, format!("ALTER ROLE {} WITH PASSWORD {}", ident(&names.sql), literal(&scram_verifier(&password)?)))
        .await
        .map_err(|e| failed("changing the password", &e))?;
    let _ = admin.close().await;
    Ok(secrets(&url, names, &password))
}

/// Drops the database of `names` (and its data: connections to it are
/// ended) and its role; what is already gone is skipped.
pub(crate) async fn deprovision(server: &ServerUrl, names: &Names) -> Result<(), String> {
    let mut admin =
        PgConnection::connect(&server.0).await.map_err(|e| failed("cannot connect to the PostgreSQL server", &e))?;
    let role = ident(&names.sql);
    run(&mut admin, format!("DROP DATABASE IF EXISTS {role} WITH (FORCE)"))
        .await
        .map_err(|e| failed("dropping the database", &e))?;
    run(&mut admin, format!("DROP ROLE IF EXISTS {role}")).await.map_err(|e| failed("dropping the role", &e))?;
    let _ = admin.close().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_literal_quotes_and_escapes_what_would_end_it() {
        assert_eq!(literal("0a1b2c"), "'0a1b2c'");
        assert_eq!(literal("x'; DROP ROLE postgres; --"), "'x''; DROP ROLE postgres; --'");
        assert_eq!(literal(r"a\'b"), r"E'a\\''b'");
    }

    #[tokio::test]
    async fn postgres_reads_a_literal_back_as_its_text_whatever_it_holds() {
        let Ok(admin) = std::env::var("PAVED_TEST_DATABASE_URL") else {
            assert!(std::env::var_os("PAVED_REQUIRE_POSTGRES").is_none(), "PAVED_TEST_DATABASE_URL names the server");
            return;
        };
        let mut conn = PgConnection::connect(&admin).await.unwrap();
        for conforming in ["on", "off"] {
            run(&mut conn, format!("SET standard_conforming_strings = {conforming}")).await.unwrap();
            for text in ["0a1b2c", "it's", "x'; DROP ROLE postgres; --", r"a\'b\\", "\\", "''"] {
                let read: String =
                    sqlx::query(&format!("SELECT {}", literal(text))).fetch_one(&mut conn).await.unwrap().get(0);
                assert_eq!(read, text, "standard_conforming_strings = {conforming}");
            }
        }
    }
}
