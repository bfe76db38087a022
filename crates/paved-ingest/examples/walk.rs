//! Reads a repository's whole history the way `paved import git` does and
//! reports how long it took; used by `scripts/bench-git-import.sh`.
//!
//! ```text
//! cargo run --release -p paved-ingest --example walk -- <repo> [--threads N] [--numstat] [--hide SHA]... [--again]
//! ```
//!
//! `--hide <sha>` (repeatable) hides a commit and its history, as an
//! incremental import hides the tips it stored. `--again` walks a second time with the first walk's tips hidden, as an
//! incremental import of an unchanged repository does, and reports its time.
//!
//! `--numstat` prints each commit as `git log --all --numstat --no-renames
//! --format=%H` would (sha, then `added<TAB>removed<TAB>path`, `-` for
//! binary files), to compare with git's output.

use std::io::Write;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use paved_ingest::git::{self, CommitSink, GitCommit, WalkOptions};

/// Counts (and optionally prints) instead of storing.
struct Report<W: Write> {
    out: Option<W>,
    commits: u64,
    files: u64,
    added: u64,
    removed: u64,
}

impl<W: Write> CommitSink for Report<W> {
    type Error = std::io::Error;

    fn push(&mut self, batch: Vec<GitCommit>) -> Result<(), std::io::Error> {
        for commit in batch {
            self.commits += 1;
            self.files += commit.files.len() as u64;
            for file in &commit.files {
                self.added += u64::from(file.added);
                self.removed += u64::from(file.removed);
            }
            if let Some(out) = self.out.as_mut() {
                writeln!(out, "{}", commit.sha)?;
                for file in &commit.files {
                    if file.binary {
                        writeln!(out, "-\t-\t{}", file.path)?;
                    } else {
                        writeln!(out, "{}\t{}\t{}", file.added, file.removed, file.path)?;
                    }
                }
            }
        }
        Ok(())
    }
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut repo = None;
    let mut options = WalkOptions::default();
    let mut numstat = false;
    let mut again = false;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--numstat" => numstat = true,
            "--again" => again = true,
            "--hide" => options.hide.extend(args.next()),
            "--threads" => options.threads = args.next().and_then(|n| n.parse::<NonZeroUsize>().ok()),
            _ => repo = Some(PathBuf::from(arg)),
        }
    }
    let Some(repo) = repo else {
        eprintln!("usage: walk <repo> [--threads N] [--numstat] [--hide SHA]... [--again]");
        return ExitCode::from(2);
    };
    let started = Instant::now();
    let result = git::open(&repo).map_err(git::WalkError::Git).and_then(|repo| {
        let stdout = std::io::stdout().lock();
        let mut report = Report {
            out: numstat.then(|| std::io::BufWriter::new(stdout)),
            commits: 0,
            files: 0,
            added: 0,
            removed: 0,
        };
        let outcome = repo.walk(&options, &mut report, &mut |_| {})?;
        if let Some(out) = report.out.as_mut() {
            out.flush().map_err(git::WalkError::Sink)?;
        }
        if again {
            let started = Instant::now();
            let hide = outcome.tips.iter().map(|tip| tip.sha.clone()).collect();
            let options = WalkOptions { hide, ..options.clone() };
            let mut quiet = Report { out: None::<std::io::Sink>, commits: 0, files: 0, added: 0, removed: 0 };
            let second = repo.walk(&options, &mut quiet, &mut |_| {})?;
            eprintln!(
                "again with {} tips hidden: {} commits, up to date: {}, in {:.3} s",
                options.hide.len(),
                second.commits,
                second.up_to_date,
                started.elapsed().as_secs_f64()
            );
        }
        Ok(report)
    });
    match result {
        Ok(report) => {
            eprintln!(
                "{} commits, {} file changes, +{} -{} in {:.3} s",
                report.commits,
                report.files,
                report.added,
                report.removed,
                started.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            let mut message = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                message.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
