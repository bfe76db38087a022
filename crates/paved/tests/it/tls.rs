//! `paved serve --tls-cert --tls-key`: HTTPS with a certificate the test
//! makes, a renewed one read on SIGHUP (a broken renewal leaves the one in
//! use), and files that do not load refused at start, naming them.

use std::path::Path;
use std::time::Duration;

use crate::support::{Server, paved, run, stderr};

/// A self-signed certificate for 127.0.0.1 and localhost: its PEM and its
/// key's PEM.
fn certificate(name: &str) -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params.subject_alt_names.push(rcgen::SanType::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()));
    params.distinguished_name.push(rcgen::DnType::CommonName, name);
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), key.serialize_pem())
}

fn write(dir: &Path, (cert, key): &(String, String)) {
    std::fs::write(dir.join("cert.pem"), cert).unwrap();
    std::fs::write(dir.join("key.pem"), key).unwrap();
}

/// A client that trusts only `cert`.
fn trusting(cert: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.as_bytes()).unwrap())
        .tls_built_in_root_certs(false)
        .build()
        .unwrap()
}

#[tokio::test]
async fn serve_answers_https_and_reads_a_renewed_certificate_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let first = certificate("pavedroad first");
    write(dir.path(), &first);
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let server = Server::start(dir.path(), &["--tls-cert", cert.to_str().unwrap(), "--tls-key", key.to_str().unwrap()]);
    assert!(server.base.starts_with("https://127.0.0.1:"), "the log says https: {}", server.base);
    let healthz = format!("{}/healthz", server.base);
    let answer = trusting(&first.0).get(&healthz).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    // Plain HTTP on the same port gets no answer.
    let plain = healthz.replacen("https://", "http://", 1);
    assert!(reqwest::get(&plain).await.is_err_and(|e| !e.is_status()), "no HTTP on the TLS port");

    // Renewed: after SIGHUP, new connections get the second certificate.
    let second = certificate("pavedroad second");
    write(dir.path(), &second);
    let pid = server.child.id().to_string();
    std::process::Command::new("kill").args(["-HUP", &pid]).status().unwrap();
    let mut renewed = false;
    for _ in 0..50 {
        if trusting(&second.0).get(&healthz).send().await.is_ok_and(|a| a.status() == 200) {
            renewed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(renewed, "the renewed certificate is served after SIGHUP");
    assert!(trusting(&first.0).get(&healthz).send().await.is_err(), "the first one is no longer served");

    // A renewal that does not load leaves the second one in use.
    std::fs::write(&cert, "not a certificate").unwrap();
    std::process::Command::new("kill").args(["-HUP", &pid]).status().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let answer = trusting(&second.0).get(&healthz).send().await.unwrap();
    assert_eq!(answer.status(), 200, "still served after a broken renewal");
}

#[test]
fn tls_files_that_do_not_load_are_refused_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &certificate("pavedroad"));
    std::fs::write(dir.path().join("empty.pem"), "").unwrap();
    let output = run(paved(dir.path()).args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--tls-cert",
        "empty.pem",
        "--tls-key",
        "key.pem",
    ]));
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("--tls-cert empty.pem: no certificate in the file"), "{}", stderr(&output));
    let output = run(paved(dir.path()).args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--tls-cert",
        "cert.pem",
        "--tls-key",
        "missing.pem",
    ]));
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("--tls-key missing.pem"), "{}", stderr(&output));
    let output = run(paved(dir.path()).args(["serve", "--tls-cert", "cert.pem"]));
    assert_eq!(output.status.code(), Some(2), "--tls-cert alone: {}", stderr(&output));
    assert!(stderr(&output).contains("--tls-key"), "{}", stderr(&output));
    assert!(!dir.path().join("paved.db").exists(), "nothing is created when the start is refused");
}
