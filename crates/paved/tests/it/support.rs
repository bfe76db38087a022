//! Running the real binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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
