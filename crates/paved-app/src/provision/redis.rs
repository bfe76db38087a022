//! The `redis` driver: on a configured Redis 6+ server, an ACL user with a
//! generated password that may touch only keys (and channels) under
//! its prefix (`<service>:`, or `<service>:<name>:`) and run only reading, writing and connection commands —
//! nothing `@dangerous` (`FLUSHALL`, `CONFIG`, `KEYS`, ...), nothing
//! `@admin`. `ACL SETUSER ... reset` makes running it again give the same
//! user with a new password. [`rotate`] changes only the password
//! (`resetpass`), keeping the rules. Removal deletes the user and the keys
//! under its prefix.

use redis::AsyncCommands as _;
use serde_json::{Map, Value, json};

use super::{Made, Names, ServerUrl};

fn failed(what: &str, error: &redis::RedisError) -> String {
    format!("{what}: {error}")
}

async fn connect(server: &ServerUrl) -> Result<redis::aio::MultiplexedConnection, String> {
    let client = redis::Client::open(server.0.as_str()).map_err(|e| failed("the server's url does not parse", &e))?;
    client.get_multiplexed_async_connection().await.map_err(|e| failed("cannot connect to the Redis server", &e))
}

/// Connects as the admin and sends `PING`.
pub(crate) async fn ping(server: &ServerUrl) -> Result<(), String> {
    let mut conn = connect(server).await?;
    redis::cmd("PING").query_async::<String>(&mut conn).await.map_err(|e| failed("the server does not answer", &e))?;
    Ok(())
}

/// The ACL rules of a namespace user, after `reset`.
fn rules(prefix: &str, password: &str) -> Vec<String> {
    vec![
        "reset".to_owned(),
        "on".to_owned(),
        format!(">{password}"),
        format!("~{prefix}*"),
        format!("&{prefix}*"),
        "+@read".to_owned(),
        "+@write".to_owned(),
        "+@connection".to_owned(),
        "+@transaction".to_owned(),
        "+@pubsub".to_owned(),
        "-@dangerous".to_owned(),
        "-@admin".to_owned(),
    ]
}

/// Makes (or makes again) the namespace user of `names`.
pub(crate) async fn provision(server: &ServerUrl, names: &Names) -> Result<Made, String> {
    let url = url::Url::parse(&server.0).map_err(|e| format!("the server's url does not parse: {e}"))?;
    let mut admin = connect(server).await?;
    let password = super::postgres::password()?;
    let prefix = names.prefix.clone();
    let mut command = redis::cmd("ACL");
    command.arg("SETUSER").arg(&names.entity);
    for rule in rules(&prefix, &password) {
        command.arg(rule);
    }
    // Redis may quote the rule it refused: never the password.
    command
        .query_async::<()>(&mut admin)
        .await
        .map_err(|e| failed("making the ACL user", &e).replace(&password, "***"))?;
    // Kept across restarts when the server has an ACL file; without one,
    // the server's own configuration decides (and this fails harmlessly).
    let _ = redis::cmd("ACL").arg("SAVE").query_async::<()>(&mut admin).await;
    let (host, port) = host_and_port(&url);
    let mut outputs = Map::new();
    outputs.insert("host".into(), json!(host));
    outputs.insert("port".into(), json!(port));
    outputs.insert("user".into(), json!(names.entity));
    outputs.insert("key_prefix".into(), json!(prefix));
    Ok(Made { outputs, secrets: secrets(&url, names, &password) })
}

fn host_and_port(url: &url::Url) -> (String, u16) {
    (url.host_str().unwrap_or("localhost").to_owned(), url.port().unwrap_or(6379))
}

/// The secret outputs: the password, and the URL that holds it.
fn secrets(server: &url::Url, names: &Names, password: &str) -> Map<String, Value> {
    let (host, port) = host_and_port(server);
    let scheme = if server.scheme() == "rediss" { "rediss" } else { "redis" };
    let mut secrets = Map::new();
    secrets.insert("password".into(), Value::String(password.to_owned()));
    secrets.insert("url".into(), json!(format!("{scheme}://{}:{password}@{host}:{port}", names.entity)));
    secrets
}

/// Gives the user of `names` a new password in place of every one it had
/// (`resetpass`), its rules kept: the old one gets `WRONGPASS` from then on
/// (connections already open stay open). The new secret outputs.
pub(crate) async fn rotate(server: &ServerUrl, names: &Names) -> Result<Map<String, Value>, String> {
    let url = url::Url::parse(&server.0).map_err(|e| format!("the server's url does not parse: {e}"))?;
    let mut admin = connect(server).await?;
    // `ACL SETUSER` of an unknown user would make one, with no rights.
    let user: redis::Value = redis::cmd("ACL")
        .arg("GETUSER")
        .arg(&names.entity)
        .query_async(&mut admin)
        .await
        .map_err(|e| failed("reading the ACL user", &e))?;
    if user == redis::Value::Nil {
        return Err(format!(
            "its ACL user `{}` is no longer on the server; remove the resource (paved deprovision) and ask for it again",
            names.entity
        ));
    }
    let password = super::postgres::password()?;
    redis::cmd("ACL")
        .arg("SETUSER")
        .arg(&names.entity)
        .arg("resetpass")
        .arg(format!(">{password}"))
        .query_async::<()>(&mut admin)
        .await
        // Redis may quote the rule it refused: never the password.
        .map_err(|e| failed("changing the password", &e).replace(&password, "***"))?;
    let _ = redis::cmd("ACL").arg("SAVE").query_async::<()>(&mut admin).await;
    Ok(secrets(&url, names, &password))
}

/// Deletes the user of `names` and every key under its prefix.
pub(crate) async fn deprovision(server: &ServerUrl, names: &Names) -> Result<(), String> {
    let mut admin = connect(server).await?;
    redis::cmd("ACL")
        .arg("DELUSER")
        .arg(&names.entity)
        .query_async::<i64>(&mut admin)
        .await
        .map_err(|e| failed("deleting the ACL user", &e))?;
    let _ = redis::cmd("ACL").arg("SAVE").query_async::<()>(&mut admin).await;
    let pattern = format!("{}*", names.prefix);
    let keys: Vec<String> = {
        let mut found = Vec::new();
        let mut iter = admin.scan_match::<_, String>(&pattern).await.map_err(|e| failed("listing its keys", &e))?;
        while let Some(key) = iter.next_item().await {
            found.push(key.map_err(|e| failed("listing its keys", &e))?);
        }
        found
    };
    for chunk in keys.chunks(500) {
        admin.del::<_, ()>(chunk).await.map_err(|e| failed("deleting its keys", &e))?;
    }
    Ok(())
}
