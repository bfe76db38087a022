//! Connection errors name the database without its password, say what to
//! check, and show each cause once.

use std::time::Duration;

use paved_store::{PostgresStore, StoreError};

use crate::harness::assert_each_cause_once;

#[tokio::test]
async fn an_unreachable_postgres_is_reported_without_its_password() {
    // Port 1 on the loopback interface: nothing listens there.
    let err = PostgresStore::connect("postgres://paved:s3cret@127.0.0.1:1/paved").await.expect_err("nothing listens");
    assert!(matches!(err, StoreError::PostgresConnect { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("postgres://paved:***@127.0.0.1:1/paved"), "{message}");
    assert!(!message.contains("s3cret"), "{message}");
    assert!(message.contains("is the server running"), "{message}");
    assert!(message.contains("refused"), "the cause is shown, not only a timeout: {message}");
}

#[tokio::test]
async fn a_refused_connection_shows_each_cause_once() {
    let err = PostgresStore::connect("postgres://paved:s3cret@127.0.0.1:1/paved").await.expect_err("nothing listens");
    let refused = std::net::TcpStream::connect("127.0.0.1:1").expect_err("nothing listens").to_string();
    let printed = assert_each_cause_once(&err, &refused);
    assert!(printed.contains("is the server running"), "the hint is kept: {printed}");
}

#[tokio::test]
async fn a_server_that_accepts_but_never_answers_is_reported_as_such() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accepts every connection and keeps it open without a word.
    std::thread::spawn(move || {
        let mut silent = Vec::new();
        for stream in listener.incoming() {
            silent.push(stream);
        }
    });
    let url = format!("postgres://paved:s3cret@127.0.0.1:{port}/paved");
    let err = PostgresStore::connect_with_timeout(&url, Duration::from_millis(200))
        .await
        .expect_err("the server never answers");
    assert!(matches!(err, StoreError::PostgresTimeout { .. }), "{err:?}");
    let message = err.to_string();
    assert_eq!(
        message,
        format!(
            "PostgreSQL at postgres://paved:***@127.0.0.1:{port}/paved did not answer within 0.2 s; is it the right host and port?"
        )
    );
    assert!(!message.contains("pool timed out"), "{message}");
}

#[test]
fn the_default_connect_timeout_is_said_in_seconds() {
    let err = StoreError::PostgresTimeout { url: "postgres://db/paved".into(), timeout: Duration::from_secs(5) };
    assert_eq!(
        err.to_string(),
        "PostgreSQL at postgres://db/paved did not answer within 5 s; is it the right host and port?"
    );
}
