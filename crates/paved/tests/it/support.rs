//! Running the real binary.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

/// The repository's root directory.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// `examples/acme`, the example organisation.
pub fn acme() -> PathBuf {
    repo_root().join("examples/acme")
}

/// A `paved` command running in `dir`, with no `PAVED_*` variables inherited.
pub fn paved(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_paved"));
    command.current_dir(dir);
    for (key, _) in std::env::vars() {
        if key.starts_with("PAVED_") {
            command.env_remove(key);
        }
    }
    command
}

/// Runs `command` and returns its output.
pub fn run(command: &mut Command) -> Output {
    command.output().expect("the paved binary runs")
}

/// stdout as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// stderr as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// stdout parsed as JSON.
pub fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\nstderr:\n{}", stdout(output), stderr(output)))
}

/// A running `paved serve` that is stopped with SIGTERM when dropped.
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Server {
    /// Starts `paved serve --listen 127.0.0.1:0` with `args` in `dir` and
    /// waits for the log line that says where it listens.
    pub fn start(dir: &Path, args: &[&str]) -> Server {
        Self::start_with_env(dir, args, &[])
    }

    /// [`Server::start`] with environment variables set.
    pub fn start_with_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut child = paved(dir)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("paved serve starts");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if !sent && let Some(rest) = line.split("listening on ").nth(1) {
                    let address = rest.split_whitespace().next().unwrap_or_default().to_owned();
                    tx.send(Ok(address)).ok();
                    sent = true;
                } else if !sent && line.contains("error") {
                    tx.send(Err(line)).ok();
                }
            }
        });
        let address = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("paved serve logs its address within a minute")
            .unwrap_or_else(|line| panic!("paved serve failed to start: {line}"));
        Server { child, base: address }
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let response = reqwest::get(format!("{}{path}", self.base)).await.expect("the server answers");
        let status = response.status().as_u16();
        (status, response.json().await.expect("the answer is JSON"))
    }

    /// GETs `path` with `token` as `Authorization: Bearer`; the status and
    /// the JSON answer.
    pub async fn get_with(&self, path: &str, token: &str) -> (u16, Value) {
        let response = reqwest::Client::new()
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("the server answers");
        let status = response.status().as_u16();
        (status, response.json().await.expect("the answer is JSON"))
    }

    /// POSTs `body` with `headers`; the status and the JSON answer.
    pub async fn post(&self, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> (u16, Value) {
        let mut request = reqwest::Client::new().post(format!("{}{path}", self.base)).body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        (status, response.json().await.expect("the answer is JSON"))
    }

    /// Kills the server with SIGKILL, as a crash would.
    pub fn kill(mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }

    /// Sends SIGTERM and returns the exit code.
    pub fn stop(mut self) -> Option<i32> {
        let pid = self.child.id().to_string();
        std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let status = self.child.wait().unwrap();
        status.code()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// A GitHub `deployment_status` delivery of checkout-api, unique by `n`,
/// its status description `padding` bytes long (to make it larger).
pub fn deployment_status_delivery(n: u64, padding: usize) -> Vec<u8> {
    serde_json::json!({
        "action": "created",
        "deployment_status": {"id": n, "state": "success", "environment": "production",
            "created_at": "2026-11-02T10:00:00Z", "updated_at": "2026-11-02T10:00:00Z",
            "description": "x".repeat(padding),
            "creator": {"login": "octocat", "type": "User"}},
        "deployment": {"id": n, "sha": "0123456789abcdef0123456789abcdef01234567", "ref": "main",
            "environment": "production", "created_at": "2026-11-02T09:59:00Z",
            "creator": {"login": "octocat", "type": "User"}},
        "repository": {"full_name": "acme/checkout-api", "html_url": "https://github.com/acme/checkout-api"},
        "sender": {"login": "octocat", "type": "User"}
    })
    .to_string()
    .into_bytes()
}

/// POSTs the `deployment_status` delivery number `n` (of
/// [`deployment_status_delivery`], `padding` bytes more) to `base`'s
/// `/hooks/github`, signed with `secret` and with the delivery id
/// `delivery-{n}`.
pub async fn post_signed_delivery(
    http: &reqwest::Client,
    base: &str,
    secret: &str,
    n: u64,
    padding: usize,
) -> reqwest::Result<reqwest::Response> {
    let body = deployment_status_delivery(n, padding);
    let signature = format!("sha256={}", paved_ingest::signature::hmac_sha256_hex(secret.as_bytes(), &body));
    http.post(format!("{base}/hooks/github"))
        .header("X-GitHub-Event", "deployment_status")
        .header("X-GitHub-Delivery", format!("delivery-{n}"))
        .header("X-Hub-Signature-256", signature)
        .body(body)
        .send()
        .await
}
