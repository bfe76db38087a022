//! The steps and the health check against real things: `sh`, bare git
//! repositories driven by the git CLI, and HTTP servers on 127.0.0.1.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use paved_domain::{HealthCheck, Step, StepAction};
use paved_runner::{LogLine, LogStream, StepContext, StepError, check_health, run_step};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

/// Generous bound on anything a test waits for, so that a bug fails the test
/// instead of hanging it (never a measure of speed).
const PATIENCE: Duration = Duration::from_secs(60);

fn context(workdir: &Path) -> StepContext {
    StepContext {
        service: "checkout-api".to_owned(),
        environment: "production".to_owned(),
        version: "v1.5.0".to_owned(),
        sha: Some("0123456789abcdef0123456789abcdef01234567".to_owned()),
        deployment_id: "17".to_owned(),
        actor: Some("user:default/ana.souza".to_owned()),
        workdir: workdir.to_owned(),
    }
}

fn step(name: &str, action: StepAction, timeout: Duration) -> Step {
    Step { name: name.to_owned(), action, timeout }
}

fn run(command: &str) -> StepAction {
    StepAction::Run { command: command.to_owned() }
}

/// Every line sent so far (the sender must be gone or done).
fn drain(rx: &mut UnboundedReceiver<LogLine>) -> Vec<LogLine> {
    let mut lines = Vec::new();
    while let Ok(line) = rx.try_recv() {
        lines.push(line);
    }
    lines
}

fn texts(lines: &[LogLine], stream: LogStream) -> Vec<&str> {
    lines.iter().filter(|line| line.stream == stream).map(|line| line.text.as_str()).collect()
}

/// Waits for a line with this text, returning it and the lines before it.
async fn wait_for(rx: &mut UnboundedReceiver<LogLine>, text: &str) -> Vec<LogLine> {
    let mut seen = Vec::new();
    let waited = tokio::time::timeout(PATIENCE, async {
        while let Some(line) = rx.recv().await {
            let found = line.text == text;
            seen.push(line);
            if found {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(waited, Ok(true), "no line `{text}` in the log; saw {seen:?}");
    seen
}

/// Whether the process `pid` still runs (a zombie waiting for a parent that
/// never reaps it does not run).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => false,
        Ok(stat) => {
            let state = stat.rsplit_once(')').map(|(_, rest)| rest.trim_start().chars().next());
            state != Some(Some('Z')) && state != Some(Some('X'))
        }
    }
}

/// Waits until `pid` has ended; false if it still runs after [`PATIENCE`].
fn ended(pid: u32) -> bool {
    let until = Instant::now() + PATIENCE;
    while Instant::now() < until {
        if !alive(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

fn read_pid(path: &Path) -> u32 {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{} was not written: {e}", path.display()));
    text.trim().parse().unwrap_or_else(|e| panic!("{} holds `{text}`: {e}", path.display()))
}

#[tokio::test]
async fn run_streams_output_as_it_comes_with_the_deploy_variables() {
    let workdir = tempfile::tempdir().expect("temp dir");
    let ctx = context(workdir.path());
    let dir = workdir.path().canonicalize().expect("canonical workdir");
    // After its first lines the script waits until the test has seen the
    // line before in the log: the order below holds only if lines arrive as
    // they are written, stdout and stderr alike.
    let script = r#"wait_for() { while [ ! -e "$1" ]; do sleep 0.05; done; }
        echo "service=$PAVED_SERVICE environment=$PAVED_ENVIRONMENT version=$PAVED_VERSION"
        echo "sha=$PAVED_SHA deployment=$PAVED_DEPLOYMENT_ID"
        echo "dir=$(pwd -P)"
        wait_for go1
        echo "first problem" >&2
        wait_for go2
        printf 'done\n'"#;
    let release = step("release", run(script), PATIENCE);
    let (tx, mut rx) = unbounded_channel();
    let dir_line = format!("dir={}", dir.display());
    let handshake = async {
        let mut seen = wait_for(&mut rx, &dir_line).await;
        std::fs::write(workdir.path().join("go1"), "").expect("go1");
        seen.extend(wait_for(&mut rx, "first problem").await);
        std::fs::write(workdir.path().join("go2"), "").expect("go2");
        seen
    };
    let (result, mut lines) = tokio::join!(run_step(&release, &ctx, &tx), handshake);
    assert_eq!(result, Ok(()));
    drop(tx);
    lines.extend(drain(&mut rx));
    let output: Vec<(LogStream, &str)> =
        lines.iter().filter(|l| l.stream != LogStream::System).map(|l| (l.stream, l.text.as_str())).collect();
    assert_eq!(
        output,
        [
            (LogStream::Stdout, "service=checkout-api environment=production version=v1.5.0"),
            (LogStream::Stdout, "sha=0123456789abcdef0123456789abcdef01234567 deployment=17"),
            (LogStream::Stdout, dir_line.as_str()),
            (LogStream::Stderr, "first problem"),
            (LogStream::Stdout, "done"),
        ]
    );
    assert_eq!(lines.first().map(|l| l.stream), Some(LogStream::System));
    assert!(lines[0].text.starts_with("step `release` started: run"), "{:?}", lines[0]);
    assert_eq!(
        lines.last().map(|l| (l.stream, l.text.as_str())),
        Some((LogStream::System, "step `release` succeeded"))
    );
}

#[tokio::test]
async fn run_without_a_sha_has_an_empty_paved_sha_and_the_runner_environment() {
    let workdir = tempfile::tempdir().expect("temp dir");
    let ctx = StepContext { sha: None, ..context(workdir.path()) };
    // PATH comes from the runner's own environment.
    let probe = step("probe", run("echo \"sha=[$PAVED_SHA] path=[$PATH]\"; cat"), PATIENCE);
    let (tx, mut rx) = unbounded_channel();
    assert_eq!(run_step(&probe, &ctx, &tx).await, Ok(()), "stdin is closed, so `cat` ends at once");
    drop(tx);
    let lines = drain(&mut rx);
    let path = std::env::var("PATH").unwrap_or_default();
    assert_eq!(texts(&lines, LogStream::Stdout), [format!("sha=[] path=[{path}]")]);
}

#[tokio::test]
async fn run_fails_naming_the_exit_status() {
    let workdir = tempfile::tempdir().expect("temp dir");
    let release = step("release", run("echo migrating; echo 'no database' >&2; exit 3"), PATIENCE);
    let (tx, mut rx) = unbounded_channel();
    let result = run_step(&release, &context(workdir.path()), &tx).await;
    assert_eq!(result, Err(StepError::Exited { step: "release".to_owned(), status: 3 }));
    assert_eq!(result.err().map(|e| e.to_string()).as_deref(), Some("step `release` exited with status 3"));
    drop(tx);
    let lines = drain(&mut rx);
    assert_eq!(texts(&lines, LogStream::Stdout), ["migrating"]);
    assert_eq!(texts(&lines, LogStream::Stderr), ["no database"]);
    assert_eq!(
        texts(&lines, LogStream::System),
        [
            "step `release` started: run `echo migrating; echo 'no database' >&2; exit 3`",
            "step `release` exited with status 3"
        ]
    );
}

#[tokio::test]
async fn run_past_its_timeout_is_killed_with_what_it_started() {
    let workdir = tempfile::tempdir().expect("temp dir");
    let script = "sleep 30 & echo $! > grandchild.pid; echo $$ > shell.pid; sleep 30";
    let slow = step("slow", run(script), Duration::from_secs(1));
    let (tx, _rx) = unbounded_channel();
    let started = Instant::now();
    let result = run_step(&slow, &context(workdir.path()), &tx).await;
    assert_eq!(result, Err(StepError::TimedOut { step: "slow".to_owned(), after: Duration::from_secs(1) }));
    assert_eq!(result.err().map(|e| e.to_string()).as_deref(), Some("step `slow` timed out after 1s and was killed"));
    // Far less than the 30 s the script would sleep: it was killed.
    assert!(started.elapsed() < Duration::from_secs(25), "took {:?}", started.elapsed());
    let grandchild = read_pid(&workdir.path().join("grandchild.pid"));
    let shell = read_pid(&workdir.path().join("shell.pid"));
    assert!(ended(shell), "the step's shell {shell} still runs");
    assert!(ended(grandchild), "the `sleep` the step started in the background ({grandchild}) still runs");
}

#[tokio::test]
async fn a_cancelled_run_kills_what_it_started() {
    let workdir = tempfile::tempdir().expect("temp dir");
    let script = "sleep 300 & echo $! > grandchild.pid; echo $$ > shell.pid; echo started; wait";
    let long = step("long", run(script), Duration::from_secs(600));
    let (tx, mut rx) = unbounded_channel();
    let ctx = context(workdir.path());
    // The runner is cancelled (its future dropped) once the step has started.
    tokio::select! {
        result = run_step(&long, &ctx, &tx) => panic!("the step ended by itself: {result:?}"),
        _ = wait_for(&mut rx, "started") => {}
    }
    let grandchild = read_pid(&workdir.path().join("grandchild.pid"));
    let shell = read_pid(&workdir.path().join("shell.pid"));
    assert!(ended(shell), "the step's shell {shell} still runs");
    assert!(ended(grandchild), "the `sleep` the step started in the background ({grandchild}) still runs");
}

#[tokio::test]
async fn run_stops_what_it_left_in_the_background_when_it_exits() {
    let workdir = tempfile::tempdir().expect("temp dir");
    let script = "sleep 300 > /dev/null 2>&1 & echo $! > leftover.pid";
    let quick = step("quick", run(script), PATIENCE);
    let (tx, mut rx) = unbounded_channel();
    assert_eq!(run_step(&quick, &context(workdir.path()), &tx).await, Ok(()));
    drop(tx);
    let lines = drain(&mut rx);
    assert!(texts(&lines, LogStream::System).contains(&"stopping what the command left running in the background"));
    let leftover = read_pid(&workdir.path().join("leftover.pid"));
    assert!(ended(leftover), "the `sleep` left in the background ({leftover}) still runs");
}

#[tokio::test]
async fn a_closed_log_does_not_fail_a_step() {
    let workdir = tempfile::tempdir().expect("temp dir");
    let (tx, rx) = unbounded_channel();
    drop(rx);
    let chatty = step("chatty", run("for i in 1 2 3; do echo line $i; done"), PATIENCE);
    assert_eq!(run_step(&chatty, &context(workdir.path()), &tx).await, Ok(()));
    let failing = step("failing", run("exit 4"), PATIENCE);
    assert_eq!(
        run_step(&failing, &context(workdir.path()), &tx).await,
        Err(StepError::Exited { step: "failing".to_owned(), status: 4 })
    );
}

// ---------------------------------------------------------------- gitops

const VALUES: &str = r#"# checkout-api in production. Deploys change image.tag, people the rest.
replicaCount: 3   # scaled by hand, see the runbook

image:
  repository: "registry.example/checkout-api"
  # the version running now
  tag: 'v1.4.1'
  pullPolicy: IfNotPresent

resources: {limits: {cpu: "500m", memory: 512Mi}}
"#;

/// Runs git in `dir` as a person (not the runner); panics when it fails.
fn git(dir: &Path, args: &[&str]) -> String {
    let output = std::process::Command::new("git")
        .args(["-c", "user.name=Sam Seeder", "-c", "user.email=sam@localhost", "-c", "init.defaultBranch=main"])
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("git runs");
    assert!(output.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A bare repository whose `main` holds `deploy/values.yaml`, and a clone
/// of it where people work.
struct Remote {
    dir: tempfile::TempDir,
    bare: PathBuf,
    people: PathBuf,
}

impl Remote {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let bare = dir.path().join("deploy.git");
        git(dir.path(), &["init", "--quiet", "--bare", "--initial-branch=main", "deploy.git"]);
        let people = dir.path().join("people");
        git(dir.path(), &["clone", "--quiet", &bare.to_string_lossy(), "people"]);
        std::fs::create_dir(people.join("deploy")).expect("deploy dir");
        std::fs::write(people.join("deploy/values.yaml"), VALUES).expect("values.yaml");
        std::fs::write(people.join("README.md"), "The deploy repository.\n").expect("readme");
        git(&people, &["add", "."]);
        git(&people, &["commit", "--quiet", "-m", "Seed"]);
        git(&people, &["push", "--quiet", "origin", "HEAD:refs/heads/main"]);
        Self { dir, bare, people }
    }

    fn repo(&self) -> String {
        self.bare.to_string_lossy().into_owned()
    }

    fn values(&self) -> String {
        git(&self.bare, &["show", "main:deploy/values.yaml"])
    }

    fn commits(&self) -> usize {
        git(&self.bare, &["rev-list", "--count", "main"]).trim().parse().expect("a count")
    }

    fn hook(&self, name: &str, script: &str) {
        use std::os::unix::fs::PermissionsExt;
        let path = self.bare.join("hooks").join(name);
        std::fs::write(&path, script).expect("hook");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("hook mode");
    }
}

fn bump(remote: &Remote, file: &str, key: &str) -> Step {
    let action = StepAction::Gitops {
        repo: remote.repo(),
        branch: "main".to_owned(),
        file: file.to_owned(),
        key: key.to_owned(),
    };
    step("bump", action, PATIENCE)
}

#[tokio::test]
async fn gitops_pushes_only_the_new_value_with_the_deploy_trailers() {
    let remote = Remote::new();
    let workdir = tempfile::tempdir().expect("temp dir");
    let ctx = context(workdir.path());
    let bump = bump(&remote, "deploy/values.yaml", "image.tag");
    let (tx, mut rx) = unbounded_channel();
    assert_eq!(run_step(&bump, &ctx, &tx).await, Ok(()));

    assert_eq!(remote.values(), VALUES.replace("tag: 'v1.4.1'", "tag: 'v1.5.0'"));
    assert_eq!(git(&remote.bare, &["diff", "--name-only", "main~1", "main"]), "deploy/values.yaml\n");
    assert_eq!(remote.commits(), 2);
    let who = git(&remote.bare, &["log", "-1", "--format=%an <%ae>|%cn <%ce>", "main"]);
    assert_eq!(who.trim(), "pavedroad <paved@localhost>|pavedroad <paved@localhost>");
    let message = git(&remote.bare, &["log", "-1", "--format=%B", "main"]);
    assert_eq!(
        message.trim(),
        "Deploy checkout-api v1.5.0 to production\n\nPaved-Deployment: 17\nPaved-Actor: user:default/ana.souza"
    );
    // git itself reads them as trailers.
    let trailers = git(
        &remote.bare,
        &["log", "-1", "--format=%(trailers:key=Paved-Deployment,key=Paved-Actor,valueonly)", "main"],
    );
    assert_eq!(trailers.trim(), "17\nuser:default/ana.souza");

    drop(tx);
    let lines = drain(&mut rx);
    let system = texts(&lines, LogStream::System);
    assert!(system.iter().any(|l| l.starts_with("git clone ")), "{system:?}");
    assert!(system.iter().any(|l| l.starts_with("git push origin HEAD:refs/heads/main")), "{system:?}");
    // git's own output is in the log too.
    let stderr = texts(&lines, LogStream::Stderr);
    assert!(stderr.iter().any(|l| l.starts_with("Cloning into 'repo'")), "{stderr:?}");
    assert!(stderr.iter().any(|l| l.contains("HEAD -> main")), "{stderr:?}");
    // The clone was made under the workdir and is gone.
    assert_eq!(std::fs::read_dir(workdir.path()).expect("workdir").count(), 0);

    // The same version again: nothing to commit.
    let (tx, mut rx) = unbounded_channel();
    assert_eq!(run_step(&bump, &ctx, &tx).await, Ok(()));
    assert_eq!(remote.commits(), 2);
    drop(tx);
    let lines = drain(&mut rx);
    let expected = "`image.tag` in deploy/values.yaml already is `v1.5.0`: nothing to commit";
    assert!(texts(&lines, LogStream::System).contains(&expected), "{lines:?}");
}

#[tokio::test]
async fn gitops_refuses_a_missing_key_or_file_naming_it() {
    let remote = Remote::new();
    let workdir = tempfile::tempdir().expect("temp dir");
    let ctx = context(workdir.path());
    let (tx, _rx) = unbounded_channel();

    let missing_key = run_step(&bump(&remote, "deploy/values.yaml", "image.digest"), &ctx, &tx).await;
    assert_eq!(
        missing_key.err().map(|e| e.to_string()),
        Some(format!(
            "step `bump`: cannot set `image.digest` in deploy/values.yaml on branch `main` of {}: there is no `digest` under `image`; add it to the file first (the runner changes a value, it adds no keys)",
            remote.repo()
        ))
    );
    let missing_file = run_step(&bump(&remote, "deploy/staging.yaml", "image.tag"), &ctx, &tx).await;
    assert_eq!(
        missing_file.err().map(|e| e.to_string()),
        Some(format!(
            "step `bump`: cannot set `image.tag` in deploy/staging.yaml on branch `main` of {}: the file is not there; the runner changes an existing file, it creates none",
            remote.repo()
        ))
    );
    let outside = run_step(&bump(&remote, "../people/deploy/values.yaml", "image.tag"), &ctx, &tx).await;
    assert!(matches!(outside, Err(StepError::Invalid { .. })), "{outside:?}");
    assert_eq!(remote.commits(), 1, "nothing was pushed");
    assert_eq!(remote.values(), VALUES);
}

#[tokio::test]
async fn gitops_through_a_link_changes_the_file_it_leads_to() {
    let remote = Remote::new();
    std::os::unix::fs::symlink("values.yaml", remote.people.join("deploy/production.yaml")).expect("link");
    git(&remote.people, &["add", "deploy/production.yaml"]);
    git(&remote.people, &["commit", "--quiet", "-m", "Name production's values"]);
    git(&remote.people, &["push", "--quiet", "origin", "HEAD:refs/heads/main"]);
    let workdir = tempfile::tempdir().expect("temp dir");
    let (tx, _rx) = unbounded_channel();
    let result = run_step(&bump(&remote, "deploy/production.yaml", "image.tag"), &context(workdir.path()), &tx).await;
    assert_eq!(result, Ok(()));
    assert_eq!(remote.values(), VALUES.replace("tag: 'v1.4.1'", "tag: 'v1.5.0'"));
    assert_eq!(git(&remote.bare, &["diff", "--name-only", "main~1", "main"]), "deploy/values.yaml\n");
}

#[tokio::test]
async fn gitops_edits_the_new_tip_when_the_branch_moved_during_the_push() {
    let remote = Remote::new();
    // Someone scales the service; their commit waits on a side branch...
    let scaled = VALUES.replace("replicaCount: 3", "replicaCount: 4");
    std::fs::write(remote.people.join("deploy/values.yaml"), &scaled).expect("write");
    git(&remote.people, &["commit", "--quiet", "-am", "Scale to 4"]);
    git(&remote.people, &["push", "--quiet", "origin", "HEAD:refs/heads/scaled"]);
    // ...and lands on main while the runner's first push is being received,
    // after the runner cloned: its push is refused because main moved.
    let moved = remote.dir.path().join("moved");
    remote.hook(
        "update",
        &format!(
            "#!/bin/sh\nif [ \"$1\" = refs/heads/main ] && [ ! -e '{0}' ]; then\n  : > '{0}'\n  git update-ref refs/heads/main refs/heads/scaled\nfi\nexit 0\n",
            moved.display()
        ),
    );
    let workdir = tempfile::tempdir().expect("temp dir");
    let (tx, mut rx) = unbounded_channel();
    let result = run_step(&bump(&remote, "deploy/values.yaml", "image.tag"), &context(workdir.path()), &tx).await;
    assert_eq!(result, Ok(()));
    assert!(moved.exists(), "the branch was moved during the push");

    // Both changes are there, the deploy on top of the other person's.
    assert_eq!(remote.values(), scaled.replace("tag: 'v1.4.1'", "tag: 'v1.5.0'"));
    assert_eq!(git(&remote.bare, &["rev-parse", "main~1"]), git(&remote.bare, &["rev-parse", "scaled"]));
    assert_eq!(remote.commits(), 3);
    drop(tx);
    let lines = drain(&mut rx);
    let retried =
        texts(&lines, LogStream::System).into_iter().filter(|l| l.contains("moved since it was cloned")).count();
    assert_eq!(retried, 1, "{lines:?}");
}

#[tokio::test]
async fn gitops_gives_up_when_the_branch_keeps_moving() {
    let remote = Remote::new();
    let pushes = remote.dir.path().join("pushes");
    remote.hook(
        "update",
        &format!(
            "#!/bin/sh\n[ \"$1\" = refs/heads/main ] || exit 0\necho push >> '{}'\n\
             export GIT_AUTHOR_NAME=Other GIT_AUTHOR_EMAIL=other@localhost GIT_COMMITTER_NAME=Other GIT_COMMITTER_EMAIL=other@localhost\n\
             new=$(git commit-tree -p refs/heads/main -m 'Someone else' 'refs/heads/main^{{tree}}') && git update-ref refs/heads/main \"$new\"\nexit 0\n",
            pushes.display()
        ),
    );
    let workdir = tempfile::tempdir().expect("temp dir");
    let (tx, _rx) = unbounded_channel();
    let result = run_step(&bump(&remote, "deploy/values.yaml", "image.tag"), &context(workdir.path()), &tx).await;
    assert_eq!(
        result.err().map(|e| e.to_string()),
        Some(format!(
            "step `bump`: branch `main` of {} moved under each of 4 pushes; deploy again once it is quiet",
            remote.repo()
        ))
    );
    let tried = std::fs::read_to_string(&pushes).expect("the hook ran");
    assert_eq!(tried.lines().count(), 4, "one push and three retries");
    assert_eq!(remote.values(), VALUES, "no deploy commit landed");
}

#[tokio::test]
async fn gitops_fails_naming_git_when_the_branch_does_not_exist() {
    let remote = Remote::new();
    let workdir = tempfile::tempdir().expect("temp dir");
    let action = StepAction::Gitops {
        repo: remote.repo(),
        branch: "release".to_owned(),
        file: "deploy/values.yaml".to_owned(),
        key: "image.tag".to_owned(),
    };
    let (tx, _rx) = unbounded_channel();
    let result = run_step(&step("bump", action, PATIENCE), &context(workdir.path()), &tx).await;
    assert_eq!(
        result.err().map(|e| e.to_string()),
        Some(format!(
            "step `bump` could not clone branch `release` of {}: `git clone` exited with status 128; git's output is in the deploy's log",
            remote.repo()
        ))
    );
}

// ------------------------------------------------------------------ http

/// What a test server received: method, headers, body.
type Received = Arc<Mutex<Vec<(String, HeaderMap, Bytes)>>>;

async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    address
}

/// A CD system answering `status` with `body` on /deploy, recording requests.
async fn cd_system(status: StatusCode, body: &'static str) -> (SocketAddr, Received) {
    let received = Received::default();
    let log = received.clone();
    let router = Router::new().route(
        "/deploy",
        axum::routing::any(move |method: axum::http::Method, headers: HeaderMap, bytes: Bytes| async move {
            log.lock().expect("lock").push((method.to_string(), headers, bytes));
            (status, body)
        }),
    );
    (serve(router).await, received)
}

fn notify(address: SocketAddr, method: &str, secret_env: Option<&str>) -> Step {
    let action = StepAction::Http {
        url: format!("http://{address}/deploy"),
        method: method.to_owned(),
        secret_env: secret_env.map(str::to_owned),
    };
    step("notify", action, PATIENCE)
}

#[tokio::test]
async fn http_sends_the_deploy_as_json() {
    let (address, received) = cd_system(StatusCode::ACCEPTED, "queued").await;
    let workdir = tempfile::tempdir().expect("temp dir");
    let (tx, mut rx) = unbounded_channel();
    assert_eq!(run_step(&notify(address, "put", None), &context(workdir.path()), &tx).await, Ok(()));
    let requests = received.lock().expect("lock").clone();
    assert_eq!(requests.len(), 1);
    let (method, headers, body) = &requests[0];
    assert_eq!(method, "PUT");
    assert_eq!(headers.get("content-type").and_then(|v| v.to_str().ok()), Some("application/json"));
    assert!(headers.get("authorization").is_none());
    let body: serde_json::Value = serde_json::from_slice(body).expect("JSON body");
    assert_eq!(
        body,
        serde_json::json!({
            "service": "checkout-api",
            "environment": "production",
            "version": "v1.5.0",
            "sha": "0123456789abcdef0123456789abcdef01234567",
            "deployment_id": "17",
        })
    );
    drop(tx);
    let lines = drain(&mut rx);
    assert!(texts(&lines, LogStream::System).contains(&format!("PUT http://{address}/deploy answered 202").as_str()));
}

#[tokio::test]
async fn http_fails_on_an_error_status_quoting_the_body() {
    const BODY: &str = "sync failed: the application checkout-api is out of sync with its source and the cluster \
        refuses the manifest because the image registry.example/checkout-api:v1.5.0 does not exist; \
        check the build that should have pushed it, then deploy again. This sentence goes on past 200 characters.";
    let (address, _) = cd_system(StatusCode::INTERNAL_SERVER_ERROR, BODY).await;
    let workdir = tempfile::tempdir().expect("temp dir");
    let (tx, _rx) = unbounded_channel();
    let result = run_step(&notify(address, "POST", None), &context(workdir.path()), &tx).await;
    let excerpt: String = BODY.chars().take(200).collect();
    assert_eq!(
        result,
        Err(StepError::HttpStatus {
            step: "notify".to_owned(),
            method: "POST".to_owned(),
            url: format!("http://{address}/deploy"),
            status: 500,
            body: excerpt.clone(),
        })
    );
    assert_eq!(
        result.err().map(|e| e.to_string()),
        Some(format!("step `notify`: POST http://{address}/deploy answered 500: {excerpt}"))
    );
}

#[tokio::test]
async fn http_without_its_secret_fails_naming_the_variable() {
    let (address, received) = cd_system(StatusCode::OK, "").await;
    let workdir = tempfile::tempdir().expect("temp dir");
    let (tx, _rx) = unbounded_channel();
    let step = notify(address, "POST", Some("PAVED_RUNNER_TEST_NEVER_SET_TOKEN"));
    let result = run_step(&step, &context(workdir.path()), &tx).await;
    assert_eq!(
        result.err().map(|e| e.to_string()).as_deref(),
        Some(
            "step `notify`: the environment variable `PAVED_RUNNER_TEST_NEVER_SET_TOKEN` named by secret_env is not set on this runner; set it where the runner runs"
        )
    );
    assert!(received.lock().expect("lock").is_empty(), "nothing was sent");
}

#[tokio::test]
async fn http_with_no_server_fails_saying_there_was_no_answer() {
    let address = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port");
    let workdir = tempfile::tempdir().expect("temp dir");
    let (tx, _rx) = unbounded_channel();
    let result = run_step(&notify(address, "POST", None), &context(workdir.path()), &tx).await;
    assert!(matches!(result, Err(StepError::HttpRequest { .. })), "{result:?}");
}

/// The token the bearer test's runner has in its environment.
const TOKEN_VARIABLE: &str = "PAVED_RUNNER_TEST_DEPLOY_TOKEN";
const TOKEN: &str = "s3cr3t-deploy-token-4417";

#[tokio::test]
async fn http_sends_the_runner_secret_as_a_bearer_token_and_never_logs_it() {
    if std::env::var_os(TOKEN_VARIABLE).is_none() {
        // The secret must be in the runner's environment when it starts (and
        // a test may not change its own): run this test again in a process
        // that has it.
        let exe = std::env::current_exe().expect("test binary");
        let output = std::process::Command::new(exe)
            .args(["http_sends_the_runner_secret_as_a_bearer_token_and_never_logs_it", "--exact", "--nocapture"])
            .env(TOKEN_VARIABLE, TOKEN)
            .output()
            .expect("the test binary runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
        assert!(stdout.contains("1 passed"), "the test ran in the child: {stdout}");
        return;
    }
    let (address, received) = cd_system(StatusCode::OK, "ok").await;
    let workdir = tempfile::tempdir().expect("temp dir");
    let ctx = context(workdir.path());
    let (tx, mut rx) = unbounded_channel();
    assert_eq!(run_step(&notify(address, "POST", Some(TOKEN_VARIABLE)), &ctx, &tx).await, Ok(()));
    let requests = received.lock().expect("lock").clone();
    let authorization = requests[0].1.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
    assert_eq!(authorization, Some(format!("Bearer {TOKEN}")));

    // A CD system that echoes the request's header in its error: the token
    // stays out of the error.
    let echo = Router::new().route(
        "/deploy",
        post(|headers: HeaderMap| async move {
            let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            (StatusCode::UNAUTHORIZED, format!("token not accepted: {auth}"))
        }),
    );
    let echo_address = serve(echo).await;
    let result = run_step(&notify(echo_address, "POST", Some(TOKEN_VARIABLE)), &ctx, &tx).await;
    let message = result.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.ends_with("answered 401: token not accepted: Bearer ***"), "{message}");
    drop(tx);
    let lines = drain(&mut rx);
    assert!(!lines.is_empty());
    assert!(lines.iter().all(|line| !line.text.contains(TOKEN)), "the token is in the log: {lines:?}");
}

// ---------------------------------------------------------------- health

/// A service answering the statuses in `answers` in turn, then the last one.
async fn service(answers: &'static [u16]) -> (SocketAddr, Arc<AtomicUsize>) {
    let polls = Arc::new(AtomicUsize::new(0));
    let counter = polls.clone();
    let router = Router::new().route(
        "/healthz",
        get(move || async move {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let status = answers.get(n).or(answers.last()).copied().unwrap_or(200);
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        }),
    );
    (serve(router).await, polls)
}

fn health(address: SocketAddr, consecutive: u32, interval: Duration, timeout: Duration) -> HealthCheck {
    HealthCheck { url: format!("http://{address}/healthz"), expect: 200, consecutive, interval, timeout }
}

#[tokio::test]
async fn health_passes_after_enough_healthy_answers_in_a_row() {
    let (address, polls) = service(&[503, 503, 200, 200, 200]).await;
    let (tx, mut rx) = unbounded_channel();
    let check = health(address, 3, Duration::from_millis(50), PATIENCE);
    assert_eq!(check_health(&check, &tx).await, Ok(()));
    assert_eq!(polls.load(Ordering::SeqCst), 5);
    drop(tx);
    let lines = drain(&mut rx);
    let polled: Vec<&str> =
        texts(&lines, LogStream::System).into_iter().filter(|l| l.starts_with("health ") && l.ends_with(")")).collect();
    assert_eq!(
        polled,
        ["health 503 (0/3)", "health 503 (0/3)", "health 200 (1/3)", "health 200 (2/3)", "health 200 (3/3)"]
    );
}

#[tokio::test]
async fn health_fails_when_the_timeout_passes_naming_the_status() {
    let (address, polls) = service(&[503]).await;
    let (tx, _rx) = unbounded_channel();
    let check = health(address, 3, Duration::from_millis(100), Duration::from_secs(2));
    let result = check_health(&check, &tx).await;
    assert_eq!(
        result.err().map(|e| e.to_string()),
        Some(format!(
            "health check: 503 from http://{address}/healthz (expected 200); 0 of 3 healthy in a row when it timed out after 2s"
        ))
    );
    assert!(polls.load(Ordering::SeqCst) >= 1);
}

#[tokio::test]
async fn health_counts_a_refused_connection_as_unhealthy() {
    let address = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port");
    let (tx, _rx) = unbounded_channel();
    let check = health(address, 1, Duration::from_millis(100), Duration::from_secs(1));
    match check_health(&check, &tx).await {
        Err(StepError::Unhealthy { last, healthy: 0, .. }) => assert!(last.starts_with("no answer ("), "{last}"),
        other => panic!("expected unhealthy, got {other:?}"),
    }
}
