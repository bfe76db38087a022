//! What the benchmarks of the binary share: running `paved` and starting
//! `paved serve`.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Runs `paved ARGS` in `dir`; its standard output. Panics when it fails.
pub fn paved(bin: &Path, dir: &Path, args: &[&str]) -> String {
    let output = Command::new(bin).current_dir(dir).args(args).output().expect("paved runs");
    assert!(output.status.success(), "paved {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Starts `paved serve --listen 127.0.0.1:0 ARGS` in `dir` with `env`, and
/// waits for the line that says where it listens: the process and its
/// address.
pub fn serve(bin: &Path, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (Child, String) {
    let mut server = Command::new(bin)
        .current_dir(dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .envs(env.iter().copied())
        .env("RUST_LOG", "warn,paved=info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("paved serve starts");
    let stderr = BufReader::new(server.stderr.take().expect("stderr"));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            if let Some(rest) = line.split("listening on http://").nth(1) {
                tx.send(rest.split_whitespace().next().unwrap_or_default().to_owned()).ok();
            }
        }
    });
    let address = rx.recv_timeout(Duration::from_secs(60)).expect("paved serve says where it listens");
    (server, address)
}
