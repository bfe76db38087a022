//! The processes steps start: each in a process group of its own, its output
//! sent to the log line by line as it comes, and the whole group stopped when
//! the deadline passes, when the process is done, or when the step's future
//! is dropped.

use std::io;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use rustix::process::{Pid, Signal, kill_process_group};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until, timeout};

use crate::{LogSender, LogStream, send, system};

/// How long a process group has between `SIGTERM` and `SIGKILL`.
const GRACE: Duration = Duration::from_secs(2);

/// How long the output of a killed group may take to drain before the
/// runner stops reading (a process that left the group may hold the pipes).
const DRAIN: Duration = Duration::from_secs(5);

/// The longest line sent to the log in one piece.
const MAX_LINE: usize = 16 * 1024;

/// How a process ended.
#[derive(Debug)]
pub(crate) enum Finished {
    /// It exited (or was killed by a signal the runner did not send).
    Exited(ExitStatus),
    /// The deadline passed and its group was killed.
    TimedOut,
}

/// Runs `command` in a new process group with stdin closed, its stdout and
/// stderr sent to `log` line by line, until it exits or `deadline` passes.
/// Either way nothing of its group is left running when this returns.
///
/// # Errors
/// When the process cannot be started or waited for.
pub(crate) async fn run(command: &mut Command, deadline: Instant, log: &LogSender) -> io::Result<Finished> {
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).process_group(0).kill_on_drop(true);
    let mut child = command.spawn()?;
    // From here on, dropping this future (a cancelled runner) kills the group.
    let mut group = ProcessGroup::of(&child);
    let mut pumps = Pumps {
        stdout: child.stdout.take().map(|pipe| tokio::spawn(pump(pipe, LogStream::Stdout, log.clone()))),
        stderr: child.stderr.take().map(|pipe| tokio::spawn(pump(pipe, LogStream::Stderr, log.clone()))),
    };
    let exited = tokio::select! {
        status = child.wait() => Some(status?),
        () = sleep_until(deadline) => None,
    };
    let finished = match exited {
        Some(status) => {
            // What the command left behind in its group (`cmd &`) ends with it.
            if group.signal(Signal::TERM) {
                system(log, "stopping what the command left running in the background");
            }
            Finished::Exited(status)
        }
        None => {
            group.signal(Signal::TERM);
            if timeout(GRACE, child.wait()).await.is_err() {
                group.signal(Signal::KILL);
            }
            child.wait().await?;
            Finished::TimedOut
        }
    };
    if timeout(GRACE, pumps.finish()).await.is_err() {
        group.signal(Signal::KILL);
        if timeout(DRAIN, pumps.finish()).await.is_err() {
            system(log, "stopped reading the output: a process outside the step's group still holds it open");
            pumps.abort();
        }
    }
    group.signal(Signal::KILL);
    group.forget();
    Ok(finished)
}

/// A child's process group, killed when this is dropped unless forgotten.
struct ProcessGroup {
    leader: Option<Pid>,
}

impl ProcessGroup {
    fn of(child: &Child) -> Self {
        let leader = child.id().and_then(|id| i32::try_from(id).ok()).and_then(Pid::from_raw);
        Self { leader }
    }

    /// Sends `signal` to every process of the group; whether any was there.
    fn signal(&self, signal: Signal) -> bool {
        self.leader.is_some_and(|leader| kill_process_group(leader, signal).is_ok())
    }

    /// Done with the group: dropping it signals nothing any more.
    fn forget(&mut self) {
        self.leader = None;
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.signal(Signal::KILL);
    }
}

/// The tasks reading a child's stdout and stderr.
struct Pumps {
    stdout: Option<JoinHandle<()>>,
    stderr: Option<JoinHandle<()>>,
}

impl Pumps {
    /// Waits until both pipes are closed; may be called again after a
    /// timeout, and returns at once when they already are.
    async fn finish(&mut self) {
        for handle in [&mut self.stdout, &mut self.stderr] {
            if let Some(task) = handle {
                // A pump ends only at the end of its pipe or on a read error;
                // either way there is nothing more to read.
                let _ = task.await;
                *handle = None;
            }
        }
    }

    fn abort(&mut self) {
        for task in [self.stdout.take(), self.stderr.take()].into_iter().flatten() {
            task.abort();
        }
    }
}

impl Drop for Pumps {
    fn drop(&mut self) {
        self.abort();
    }
}

/// Sends what `pipe` carries to `log`, one line at a time, lossily decoded.
async fn pump(pipe: impl AsyncRead + Unpin, stream: LogStream, log: LogSender) {
    let mut reader = BufReader::new(pipe);
    let mut line = Vec::new();
    // A read error ends the output like its end does: nothing more to read.
    while let Ok(buffer) = reader.fill_buf().await {
        if buffer.is_empty() {
            break;
        }
        let room = MAX_LINE - line.len();
        let (taken, ends_line) = match buffer.iter().take(room).position(|&byte| byte == b'\n') {
            Some(newline) => {
                line.extend_from_slice(&buffer[..newline]);
                (newline + 1, true)
            }
            None => {
                let taken = buffer.len().min(room);
                line.extend_from_slice(&buffer[..taken]);
                (taken, line.len() == MAX_LINE)
            }
        };
        reader.consume(taken);
        if ends_line {
            emit(&log, stream, &mut line);
        }
    }
    if !line.is_empty() {
        emit(&log, stream, &mut line);
    }
}

fn emit(log: &LogSender, stream: LogStream, line: &mut Vec<u8>) {
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    send(log, stream, String::from_utf8_lossy(line).into_owned());
    line.clear();
}

/// How a process ended, as the end of a sentence: "exited with status 3".
pub(crate) fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(signal)) => format!("was killed by signal {signal}"),
        (None, None) => "ended without a status".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn lines_of(bytes: &'static [u8]) -> Vec<String> {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        pump(bytes, LogStream::Stdout, tx).await;
        let mut lines = Vec::new();
        while let Ok(line) = rx.try_recv() {
            lines.push(line.text);
        }
        lines
    }

    #[tokio::test]
    async fn output_is_split_into_lines_without_their_breaks() {
        assert_eq!(lines_of(b"one\r\ntwo\n\nthree").await, ["one", "two", "", "three"]);
    }

    #[tokio::test]
    async fn output_that_is_not_utf8_is_decoded_lossily() {
        assert_eq!(lines_of(b"caf\xe9\n").await, ["caf\u{fffd}"]);
    }

    #[tokio::test]
    async fn a_very_long_line_arrives_in_pieces() {
        let long: &'static [u8] = Box::leak(vec![b'x'; MAX_LINE * 2 + 10].into_boxed_slice());
        let lines = lines_of(long).await;
        assert_eq!(lines.iter().map(String::len).collect::<Vec<_>>(), [MAX_LINE, MAX_LINE, 10]);
    }
}
