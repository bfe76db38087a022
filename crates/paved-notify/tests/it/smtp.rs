//! E-mail through a real SMTP server: Python's aiosmtpd (Debian's
//! `python3-aiosmtpd`) writing what it receives to a Maildir, read back
//! with Python's own e-mail parser.
//!
//! Without aiosmtpd the test says SKIPPED, unless `PAVED_REQUIRE_SMTP` is
//! set (as `.ci/run` does, after installing the package): then it fails,
//! saying how to install it.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use paved_domain::Contact;
use paved_notify::links::{Action, verify};
use paved_notify::render::email_subject;
use paved_notify::{Channel, DeliveryKey, Notifier, NotifierSettings, SmtpSettings};
use serde_json::Value;

use crate::support::{LINK_KEY, closed_port, message, now, token_of};

/// Generous bound on what a test waits for, so that a bug fails the test
/// instead of hanging it (never a measure of speed).
const PATIENCE: Duration = Duration::from_secs(60);

const FROM: &str = "pavedroad <paved@example.com>";

/// A Python interpreter that has aiosmtpd: `PAVED_PYTHON` when set, else
/// `python3` on the PATH, else Debian's own (`/usr/bin/python3`, where
/// `python3-aiosmtpd` installs, which a pyenv or virtualenv `python3` may
/// hide).
fn python_with_aiosmtpd(test: &str) -> Option<String> {
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
struct SmtpServer {
    child: Child,
    port: u16,
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
    fn start(python: &str) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let maildir = dir.path().join("Maildir");
        let log = std::fs::File::create(dir.path().join("aiosmtpd.log")).expect("a log file");
        let port = closed_port();
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

    fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("aiosmtpd.log")).unwrap_or_default()
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The messages delivered so far, each read by Python's e-mail parser:
    /// headers (the envelope in `X-MailFrom` and `X-RcptTo`, which
    /// aiosmtpd adds) and the decoded text and HTML parts.
    fn messages(&self) -> Vec<Value> {
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
    fn wait_for(&self, count: usize) -> Vec<Value> {
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

fn notifier(smtp_url: &str) -> Notifier {
    let settings = NotifierSettings {
        smtp: Some(SmtpSettings::parse(smtp_url, FROM).unwrap()),
        timeout: Duration::from_secs(10),
        ..NotifierSettings::default()
    };
    Notifier::new(settings).unwrap()
}

#[tokio::test]
async fn a_real_smtp_server_receives_the_page_with_its_ack_link() {
    let Some(python) = python_with_aiosmtpd("a_real_smtp_server_receives_the_page_with_its_ack_link") else {
        return;
    };
    let server = SmtpServer::start(&python);
    let notifier = notifier(&server.url());
    let message = message();
    let key = DeliveryKey::new("incident-42/step-1/user:default/ana/email").unwrap();
    let contact: Contact = "email:ana@example.com".parse().unwrap();

    let delivered = notifier.notify(&contact, &message, &key).await.expect("delivered");
    assert_eq!(delivered.channel, Channel::Email);
    assert_eq!(delivered.contact, "email:ana@example.com");
    assert_eq!(delivered.detail, format!("the SMTP server 127.0.0.1:{} accepted it (250)", server.port));

    let received = server.wait_for(1);
    let mail = &received[0];
    assert_eq!(mail["X-MailFrom"], "paved@example.com", "{mail:#}");
    assert_eq!(mail["X-RcptTo"], "ana@example.com");
    assert_eq!(mail["From"], "pavedroad <paved@example.com>");
    assert_eq!(mail["To"], "ana@example.com");
    assert_eq!(mail["Subject"], email_subject(&message));
    assert!(
        mail["Subject"]
            .as_str()
            .unwrap()
            .starts_with("[paved] SEV-2 checkout-api: High error rate — acknowledge: https://"),
        "{}",
        mail["Subject"]
    );
    assert_eq!(mail["X-Paved-Delivery"], key.as_str());
    assert_eq!(mail["Auto-Submitted"], "auto-generated");

    // The body carries the ack link, whole, and its token acknowledges
    // incident 42 as Ana.
    let text = mail["text"].as_str().unwrap();
    let ack_line = text.lines().find(|line| line.starts_with("Acknowledge: ")).expect("an Acknowledge line");
    let ack_url = ack_line.trim_start_matches("Acknowledge: ");
    assert_eq!(ack_url, message.ack_url);
    let claims = verify(LINK_KEY, token_of(ack_url), now()).expect("the link verifies");
    assert_eq!((claims.incident_id, claims.action, claims.person.as_str()), (42, Action::Ack, "user:default/ana"));
    assert!(text.contains("Runbook:     https://wiki.example.com/runbooks/checkout-api"), "{text}");
    assert!(text.contains("Also paged:  Ben Ortiz"), "{text}");
    let html = mail["html"].as_str().unwrap();
    let escaped_ack = message.ack_url.replace('&', "&amp;");
    assert!(html.contains(&format!("<a href=\"{escaped_ack}\">Acknowledge</a>")), "{html}");

    // A retry of the same delivery has the same Message-ID, so mail
    // systems can drop it.
    notifier.notify(&contact, &message, &key).await.expect("delivered again");
    let received = server.wait_for(2);
    assert_eq!(received[0]["Message-ID"], received[1]["Message-ID"]);
    assert!(
        received[0]["Message-ID"].as_str().unwrap().ends_with(".paved@example.com>"),
        "{}",
        received[0]["Message-ID"]
    );
}

#[tokio::test]
async fn an_smtp_server_that_is_down_is_worth_retrying() {
    let notifier = notifier(&format!("smtp://127.0.0.1:{}", closed_port()));
    let contact: Contact = "email:ana@example.com".parse().unwrap();
    let key = DeliveryKey::new("k").unwrap();
    let err = notifier.notify(&contact, &message(), &key).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert!(
        err.to_string().starts_with("email:ana@example.com: could not hand it to the SMTP server 127.0.0.1:"),
        "{err}"
    );
}
