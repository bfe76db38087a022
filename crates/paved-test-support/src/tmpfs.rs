//! A small tmpfs, for tests of what happens when the disk is full.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The variable that turns a missing tmpfs into a failure (CI sets it).
pub const REQUIRE_TMPFS_VAR: &str = "PAVED_REQUIRE_TMPFS";

/// A tmpfs of a fixed size mounted on a temporary directory, unmounted on
/// drop.
#[derive(Debug)]
pub struct Tmpfs {
    _dir: tempfile::TempDir,
    mount: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (as `mount -o size=` reads it, e.g. `2m`).
    /// Mounting needs root: elsewhere this prints `SKIPPED <test>` to the
    /// real stderr and returns `None`.
    ///
    /// # Panics
    /// When the mount fails and `PAVED_REQUIRE_TMPFS` is set.
    pub fn mount(size: &str) -> Option<Self> {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mount = dir.path().join("tmpfs");
        std::fs::create_dir(&mount).expect("the mount point");
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&mount)
            .stderr(std::process::Stdio::null())
            .status();
        if status.is_ok_and(|status| status.success()) {
            return Some(Self { _dir: dir, mount });
        }
        let test = std::thread::current().name().unwrap_or("a disk-full test").to_owned();
        assert!(
            std::env::var_os(REQUIRE_TMPFS_VAR).is_none(),
            "{REQUIRE_TMPFS_VAR} is set but a tmpfs cannot be mounted (mounting needs root)"
        );
        let _ = writeln!(std::io::stderr(), "SKIPPED {test}: mounting a tmpfs needs root");
        None
    }

    /// The mounted directory.
    pub fn path(&self) -> &Path {
        &self.mount
    }

    /// Fills the tmpfs until `leave` bytes are free, with a file that
    /// [`Tmpfs::free`] removes.
    ///
    /// # Panics
    /// When the file cannot be written.
    pub fn fill(&self, leave: u64) {
        let free = fs_free(&self.mount);
        let size = free.saturating_sub(leave);
        std::fs::write(self.filler(), vec![0u8; usize::try_from(size).expect("a size that fits memory")])
            .expect("writing the filler");
    }

    /// Removes the filler of [`Tmpfs::fill`].
    ///
    /// # Panics
    /// When it cannot be removed.
    pub fn free(&self) {
        std::fs::remove_file(self.filler()).expect("removing the filler");
    }

    fn filler(&self) -> PathBuf {
        self.mount.join("filler")
    }
}

/// Free bytes of the file system at `path`, as `df` reports them.
fn fs_free(path: &Path) -> u64 {
    let output = Command::new("df").args(["--output=avail", "-B1"]).arg(path).output().expect("df runs");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .nth(1)
        .and_then(|line| line.trim().parse().ok())
        .expect("df prints the free bytes")
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Lazily: a process of the test may still hold a file open.
        let _ = Command::new("umount").arg("-l").arg(&self.mount).status();
        // `_dir` is removed after this, once the mount is gone.
    }
}
