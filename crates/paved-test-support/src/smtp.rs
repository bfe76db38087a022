//! A real SMTP server for tests: Python's aiosmtpd (Debian's
//! `python3-aiosmtpd`) writing what it receives to a Maildir, read back
//! with Python's own e-mail parser.
//!
//! Without aiosmtpd a test says SKIPPED, unless `PAVED_REQUIRE_SMTP` is set
//! (as `.ci/run` does, after installing the package): then it fails,
//! saying how to install it.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Generous bound on what a test waits for, so that a bug fails the test
/// instead of hanging it (never a measure of speed).
const PATIENCE: Duration = Duration::from_secs(60);

/// A Python interpreter that has aiosmtpd: `PAVED_PYTHON` when set, else
/// `python3` on the PATH, else Debian's own (`/usr/bin/python3`, where
/// `python3-aiosmtpd` installs, which a pyenv or virtualenv `python3` may
/// hide).
pub fn python_with_aiosmtpd(test: &str) -> Option<String> {
    let candidates: Vec<String> = match std::env::var("PAVED_PYTHON") {
        Ok(python) if !python.is_empty() => vec![python],
        _ => vec!["python3".to_owned(), "/usr/bin/python3".to_owned()],
    };
    for python in &candidates {
        let found = Command::new(python)
            .args(["-c", "import aiosmtpd"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if found {
            return Some(python.clone());
        }
    }
    assert!(
        std::env::var_os("PAVED_REQUIRE_SMTP").is_none(),
        "PAVED_REQUIRE_SMTP is set but no Python here imports aiosmtpd (tried {candidates:?}); \
         install it: apt-get install python3-aiosmtpd (or pip install aiosmtpd), or name an interpreter in PAVED_PYTHON"
    );
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: Python's aiosmtpd is not installed (apt-get install python3-aiosmtpd; .ci/run does)"
    );
    None
}

/// aiosmtpd on 127.0.0.1, writing each message into a Maildir; killed
/// when dropped.
pub struct SmtpServer {
    child: Child,
    /// The port it listens on.
    pub port: u16,
    maildir: PathBuf,
    python: String,
    _dir: tempfile::TempDir,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

impl SmtpServer {
    /// Starts aiosmtpd with `python` on a free port.
    pub fn start(python: &str) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let maildir = dir.path().join("Maildir");
        let log = std::fs::File::create(dir.path().join("aiosmtpd.log")).expect("a log file");
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let child = Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("the log file"))
            .stderr(log)
            .spawn()
            .expect("aiosmtpd starts");
        let mut server = Self { child, port, maildir, python: python.to_owned(), _dir: dir };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("aiosmtpd exited ({status}): {}", server.log());
            }
            assert!(started.elapsed() < PATIENCE, "aiosmtpd does not listen on {port}: {}", server.log());
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// What aiosmtpd printed.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("aiosmtpd.log")).unwrap_or_default()
    }

    /// `smtp://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The messages delivered so far, each read by Python's e-mail parser:
    /// headers (the envelope in `X-MailFrom` and `X-RcptTo`, which
    /// aiosmtpd adds) and the decoded text and HTML parts.
    pub fn messages(&self) -> Vec<Value> {
        let new = self.maildir.join("new");
        let Ok(entries) = std::fs::read_dir(&new) else { return Vec::new() };
        let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        files.iter().map(|file| self.parse(file)).collect()
    }

    fn parse(&self, file: &Path) -> Value {
        const SCRIPT: &str = r#"
import email, email.policy, json, sys
with open(sys.argv[1], "rb") as f:
    msg = email.message_from_binary_file(f, policy=email.policy.default)
out = {name: str(msg[name]) if msg[name] is not None else None for name in
       ["From", "To", "Subject", "Message-ID", "X-Paved-Delivery", "Auto-Submitted", "X-MailFrom", "X-RcptTo"]}
out["text"] = msg.get_body(preferencelist=("plain",)).get_content()
out["html"] = msg.get_body(preferencelist=("html",)).get_content()
print(json.dumps(out))
"#;
        let output = Command::new(&self.python).args(["-c", SCRIPT]).arg(file).output().expect("python runs");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        serde_json::from_slice(&output.stdout).expect("JSON")
    }

    /// Waits until `count` messages have arrived.
    pub fn wait_for(&self, count: usize) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let messages = self.messages();
            if messages.len() >= count {
                return messages;
            }
            assert!(started.elapsed() < PATIENCE, "{} of {count} messages arrived: {}", messages.len(), self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
