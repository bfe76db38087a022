//! What a client cannot do to the server over a raw TCP connection: hold a
//! connection open by trickling headers or a body, or make shutdown wait
//! for it; and an unsigned delivery is refused before its body is read.

use std::time::{Duration, Instant};

use paved_server::{Application, ServerSettings, Timeouts};
use paved_store::{DatabaseLocation, DynStore};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::hook_settings;

/// Short limits, so that the tests wait half a second, not the defaults.
fn short() -> Timeouts {
    Timeouts {
        header_read: Duration::from_millis(500),
        body_read: Duration::from_millis(500),
        shutdown_grace: Duration::from_millis(500),
    }
}

async fn store(dir: &tempfile::TempDir) -> DynStore {
    paved_store::connect(&DatabaseLocation::Sqlite(dir.path().join("paved.db"))).await.unwrap()
}

/// Everything the server sends until it closes the connection, waiting at
/// most `limit`.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Option<String> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(limit, stream.read_to_end(&mut received)).await;
    read.ok().map(|_| String::from_utf8_lossy(&received).into_owned())
}

#[tokio::test]
async fn a_client_trickling_headers_is_disconnected() {
    let dir = tempfile::tempdir().unwrap();
    let settings = ServerSettings { timeouts: short(), ..ServerSettings::default() };
    let app = Application::build("127.0.0.1:0", store(&dir).await, settings).await.unwrap();
    let address = app.address();
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: paved\r\n").await.unwrap();
    let answer = read_until_closed(&mut stream, Duration::from_secs(20)).await;
    assert!(answer.is_some(), "the server closes a connection whose headers never end");
}

#[tokio::test]
async fn a_client_that_sends_nothing_or_half_a_preface_is_disconnected() {
    let dir = tempfile::tempdir().unwrap();
    let settings = ServerSettings { timeouts: short(), ..ServerSettings::default() };
    let app = Application::build("127.0.0.1:0", store(&dir).await, settings).await.unwrap();
    let address = app.address();
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    let mut silent = TcpStream::connect(address).await.unwrap();
    let mut half_preface = TcpStream::connect(address).await.unwrap();
    half_preface.write_all(b"PRI * HTTP/2.0\r\n").await.unwrap();
    for (what, stream) in [("nothing", &mut silent), ("half of HTTP/2's preface", &mut half_preface)] {
        let answer = read_until_closed(stream, Duration::from_secs(20)).await;
        assert_eq!(answer.as_deref(), Some(""), "a client sending {what} is closed without an answer");
    }
    let mut fine = TcpStream::connect(address).await.unwrap();
    fine.write_all(b"GET /healthz HTTP/1.1\r\nHost: paved\r\nConnection: close\r\n\r\n").await.unwrap();
    let answer = read_until_closed(&mut fine, Duration::from_secs(20)).await.expect("an answer");
    assert!(answer.starts_with("HTTP/1.1 200"), "a client that sends a request is served: {answer}");
}

#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_is_answered_408() {
    let dir = tempfile::tempdir().unwrap();
    let settings = ServerSettings { timeouts: short(), ..hook_settings() };
    let app = Application::build("127.0.0.1:0", store(&dir).await, settings).await.unwrap();
    let address = app.address();
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    let mut stream = TcpStream::connect(address).await.unwrap();
    let request = "POST /hooks/github HTTP/1.1\r\nHost: paved\r\nX-GitHub-Event: ping\r\nX-GitHub-Delivery: d\r\n\
                   X-Hub-Signature-256: sha256=00\r\nContent-Length: 1000\r\n\r\n{\"zen\":";
    stream.write_all(request.as_bytes()).await.unwrap();
    let answer = read_until_closed(&mut stream, Duration::from_secs(20)).await.expect("an answer");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("did not arrive within"), "{answer}");
}

#[tokio::test]
async fn an_unsigned_delivery_is_refused_before_its_body_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let app = Application::build("127.0.0.1:0", store(&dir).await, hook_settings()).await.unwrap();
    let address = app.address();
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    for (path, headers) in [
        ("/hooks/github", "X-GitHub-Event: push\r\nX-GitHub-Delivery: d\r\n"),
        ("/hooks/pagerduty", ""),
        ("/hooks/gitlab", "X-Gitlab-Event: Push Hook\r\nX-Gitlab-Token: wrong\r\n"),
        ("/hooks/alertmanager", ""),
    ] {
        let mut stream = TcpStream::connect(address).await.unwrap();
        // 25 MiB announced, not one byte of it sent.
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: paved\r\n{headers}Content-Length: 26214400\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let answer = read_until_closed(&mut stream, Duration::from_secs(20)).await.expect("an answer");
        assert!(answer.starts_with("HTTP/1.1 401"), "{path}: {answer}");
    }
}

#[tokio::test]
async fn shutdown_ends_within_its_grace_whatever_clients_hold() {
    let dir = tempfile::tempdir().unwrap();
    let settings = ServerSettings {
        timeouts: Timeouts { header_read: Duration::from_secs(60), body_read: Duration::from_secs(60), ..short() },
        ..hook_settings()
    };
    let app = Application::build("127.0.0.1:0", store(&dir).await, settings).await.unwrap();
    let address = app.address();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    // One connection with half its headers, one in the middle of a body.
    let mut half_headers = TcpStream::connect(address).await.unwrap();
    half_headers.write_all(b"GET /healthz HTTP/1.1\r\nHost: paved\r\n").await.unwrap();
    let mut half_body = TcpStream::connect(address).await.unwrap();
    let request = "POST /hooks/github HTTP/1.1\r\nHost: paved\r\nX-GitHub-Event: ping\r\nX-GitHub-Delivery: d\r\n\
                   X-Hub-Signature-256: sha256=00\r\nContent-Length: 1000\r\n\r\n{\"zen\":";
    half_body.write_all(request.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;

    let asked = Instant::now();
    stop.send(()).unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(20), server).await;
    assert!(ended.is_ok(), "the server stopped although two clients still held connections");
    assert!(asked.elapsed() < Duration::from_secs(10), "it waited {:?}, not about its 0.5 s grace", asked.elapsed());
    assert!(TcpStream::connect(address).await.is_err(), "the listener is closed");
    for (what, stream) in [("half its headers", &mut half_headers), ("half a body", &mut half_body)] {
        let rest = read_until_closed(stream, Duration::from_secs(5)).await;
        assert!(rest.is_some(), "the connection holding {what} is closed, not left open");
    }
}
