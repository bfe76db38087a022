//! One commit → one [`GitCommit`]: decode it, diff its tree against its first
//! parent's, count lines of the blobs that changed. One `CommitReader` per
//! thread; it keeps its buffers and gitoxide's diff caches between commits
//! (building them per commit costs about a millisecond, more than most
//! diffs).

use std::path::Path;

use gix::bstr::{BStr, ByteSlice};
use gix::diff::blob::platform::prepare_diff::Operation;
use gix::diff::blob::platform::resource::Data;
use gix::diff::blob::{Algorithm, Diff, InternedInput, ResourceKind};
use gix::objs::FindExt;
use gix::objs::tree::{EntryKind, EntryMode};
use gix::{ObjectId, Repository};

use super::GitError;
use super::record::{FileChange, GitCommit, GitTime, Signature};
use super::tree_diff::{TreeDiff, common_prefix_len, common_suffix_len, load_tree};

pub(super) struct CommitReader<'repo> {
    repo: &'repo Repository,
    path: &'repo Path,
    blobs: gix::diff::blob::Platform,
    trees: TreeDiff,
    shallow: Vec<ObjectId>,
    commit_buf: Vec<u8>,
    parent_buf: Vec<u8>,
    /// The root trees of the last diff, kept: history is read newest first,
    /// so the next commit's tree is usually this one's parent's.
    old_root: RootTree,
    new_root: RootTree,
    diff: Diff,
}

/// A root tree's bytes, and which tree they are.
#[derive(Default)]
struct RootTree {
    id: Option<ObjectId>,
    buf: Vec<u8>,
    len: usize,
}

impl RootTree {
    fn load(&mut self, objects: &impl gix::objs::Find, id: ObjectId) -> Result<(), super::tree_diff::TreeDiffError> {
        if self.id != Some(id) {
            self.id = None;
            self.len = load_tree(objects, id, &mut self.buf)?;
            self.id = Some(id);
        }
        Ok(())
    }

    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl<'repo> CommitReader<'repo> {
    pub(super) fn new(repo: &'repo Repository, path: &'repo Path) -> Result<Self, GitError> {
        // Blobs as stored in git (no work-tree filters), attributes from the
        // index (or HEAD's tree in a bare repository) for `binary`/`-diff`.
        let blobs = repo
            .diff_resource_cache(gix::diff::blob::pipeline::Mode::ToGit, Default::default())
            .map_err(|e| GitError::read(path, "the diff configuration and attributes", e))?;
        let mut shallow: Vec<ObjectId> = repo
            .shallow_commits()
            .map_err(|e| GitError::read(path, "the shallow file", e))?
            .map(|commits| commits.iter().copied().collect())
            .unwrap_or_default();
        shallow.sort();
        Ok(Self {
            repo,
            path,
            blobs,
            trees: TreeDiff::default(),
            shallow,
            commit_buf: Vec::new(),
            parent_buf: Vec::new(),
            old_root: RootTree::default(),
            new_root: RootTree::default(),
            diff: Diff::default(),
        })
    }

    pub(super) fn read(&mut self, id: ObjectId) -> Result<GitCommit, GitError> {
        let path = self.path;
        let what = || format!("commit {id}");
        let (tree, parents, author, committer, message) = {
            let commit = self
                .repo
                .objects
                .find_commit(&id, &mut self.commit_buf)
                .map_err(|e| GitError::read(path, what(), e))?;
            // A shallow clone's boundary commits have their parents cut off;
            // git shows them as root commits, and so do we.
            let parents: Vec<ObjectId> =
                if self.shallow.binary_search(&id).is_ok() { Vec::new() } else { commit.parents().collect() };
            // A signature gitoxide cannot parse does not stop the import.
            let author = commit.author().map_or_else(|_| lenient_signature(commit.author), signature);
            let committer = commit.committer().map_or_else(|_| lenient_signature(commit.committer), signature);
            (commit.tree(), parents, author, committer, without_nul(commit.message.to_str_lossy().into_owned()))
        };

        let files = match parents.as_slice() {
            [] => self.files(None, tree)?,
            [first] => {
                let what = || format!("commit {first}, parent of {id}");
                let parent_tree = self
                    .repo
                    .objects
                    .find_commit_iter(first, &mut self.parent_buf)
                    .map_err(|e| GitError::read(path, what(), e))?
                    .tree_id()
                    .map_err(|e| GitError::read(path, what(), e))?;
                self.files(Some(parent_tree), tree)?
            }
            _merge => Vec::new(),
        };
        Ok(GitCommit {
            sha: id.to_string(),
            parents: parents.iter().map(ToString::to_string).collect(),
            author,
            committer,
            message,
            files,
        })
    }

    /// The numstat of `old` → `new` (`None`: the empty tree), in path order.
    fn files(&mut self, old: Option<ObjectId>, new: ObjectId) -> Result<Vec<FileChange>, GitError> {
        let path = self.path;
        let hash = new.kind();
        let old = old.unwrap_or_else(|| ObjectId::empty_tree(hash));
        // The previous commit's parent is most often this commit.
        if self.old_root.id == Some(new) {
            std::mem::swap(&mut self.old_root, &mut self.new_root);
        }
        let objects = &self.repo.objects;
        let what = || format!("the changes between trees {old} and {new}");
        self.new_root.load(objects, new).map_err(|e| GitError::read(path, what(), e))?;
        self.old_root.load(objects, old).map_err(|e| GitError::read(path, what(), e))?;
        self.trees
            .diff(objects, hash, (old, self.old_root.bytes()), (new, self.new_root.bytes()))
            .map_err(|e| GitError::read(path, what(), e))?;

        let changes = std::mem::take(&mut self.trees.changes);
        let paths = std::mem::take(&mut self.trees.paths);
        let mut files = Vec::with_capacity(changes.len());
        let mut result = Ok(());
        for change in &changes {
            match self.file_change(paths[change.path.clone()].as_bstr(), change.old, change.new) {
                Ok(file) => files.push(file),
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        // The buffers go back for the next commit.
        self.trees.changes = changes;
        self.trees.paths = paths;
        self.blobs.clear_resource_cache_keep_allocation();
        result?;
        files.sort_unstable_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    }

    fn file_change(
        &mut self,
        file: &BStr,
        old: Option<(ObjectId, EntryMode)>,
        new: Option<(ObjectId, EntryMode)>,
    ) -> Result<FileChange, GitError> {
        let path = lossless_path(file);
        // A submodule is shown by git as the single line
        // `Subproject commit <sha>`.
        let is_gitlink = |side: Option<(ObjectId, EntryMode)>| side.is_some_and(|(_, mode)| mode.is_commit());
        if is_gitlink(old) || is_gitlink(new) {
            let text = |side: Option<(ObjectId, EntryMode)>| -> Result<Vec<u8>, GitError> {
                Ok(match side {
                    None => Vec::new(),
                    Some((id, mode)) if mode.is_commit() => format!("Subproject commit {id}\n").into_bytes(),
                    Some((id, _)) => {
                        let mut buf = Vec::new();
                        self.repo
                            .objects
                            .find_blob(&id, &mut buf)
                            .map_err(|e| GitError::read(self.path, format!("blob {id} ({path})"), e))?;
                        buf
                    }
                })
            };
            let (before, after) = (text(old)?, text(new)?);
            if is_binary(&before) || is_binary(&after) {
                return Ok(FileChange { path, added: 0, removed: 0, binary: true });
            }
            let (added, removed) = count_lines(&mut self.diff, Algorithm::Myers, &before, &after);
            return Ok(FileChange { path, added, removed, binary: false });
        }

        let null = ObjectId::null(self.repo.object_hash());
        let mode_of = |side: Option<(ObjectId, EntryMode)>, other: Option<(ObjectId, EntryMode)>| -> EntryKind {
            side.or(other).map_or(EntryKind::Blob, |(_, mode)| mode.kind())
        };
        let (old_id, old_kind) = (old.map_or(null, |(id, _)| id), mode_of(old, new));
        let (new_id, new_kind) = (new.map_or(null, |(id, _)| id), mode_of(new, old));
        let objects = &self.repo.objects;
        self.blobs
            .set_resource(old_id, old_kind, file, ResourceKind::OldOrSource, objects)
            .map_err(|e| GitError::read(self.path, format!("blob {old_id} ({path})"), e.into_error()))?;
        self.blobs
            .set_resource(new_id, new_kind, file, ResourceKind::NewOrDestination, objects)
            .map_err(|e| GitError::read(self.path, format!("blob {new_id} ({path})"), e.into_error()))?;
        let outcome = self
            .blobs
            .prepare_diff()
            .map_err(|e| GitError::read(self.path, format!("the diff of {path}"), e.into_error()))?;
        if outcome.operation == Operation::SourceOrDestinationIsBinary {
            return Ok(FileChange { path, added: 0, removed: 0, binary: true });
        }
        // Always Myers, git's default, whatever `diff.algorithm` or a diff
        // driver says: the same repository gives the same numbers on every
        // machine, equal to git's with its defaults. (gitoxide's histogram
        // differs from git's on a few commits in a thousand.)
        let algorithm = Algorithm::Myers;
        let before = outcome.old.data.as_slice().unwrap_or_default();
        let after = outcome.new.data.as_slice().unwrap_or_default();
        let (added, removed) = match (outcome.old.data, outcome.new.data) {
            (Data::Missing, _) => (line_count(after), 0),
            (_, Data::Missing) => (0, line_count(before)),
            _ => count_lines(&mut self.diff, algorithm, before, after),
        };
        Ok(FileChange { path, added, removed, binary: false })
    }
}

/// Lines added and removed from `before` to `after`, with lines compared
/// including their terminator, as git does: a last line that gains or loses
/// its newline counts as one removed and one added.
fn count_lines(diff: &mut Diff, algorithm: Algorithm, before: &[u8], after: &[u8]) -> (u32, u32) {
    // Fast path, exact: when the lines one side does not share with the
    // other's beginning and end are none, the change is a pure insertion or
    // removal, which any of the algorithms reports as such (they all strip
    // common prefix and suffix lines first). Else the whole inputs are
    // interned: Myers' pruning counts line occurrences over whole files, as
    // git's does, and trimming first would change its result.
    let (prefix, suffix) = common_lines(before, after);
    if before.len() == prefix + suffix || after.len() == prefix + suffix {
        let (before_lines, after_lines) = (line_count(before), line_count(after));
        return (after_lines.saturating_sub(before_lines), before_lines.saturating_sub(after_lines));
    }
    let input =
        InternedInput::new(gix::diff::blob::sources::byte_lines(before), gix::diff::blob::sources::byte_lines(after));
    diff.compute_with(algorithm, &input.before, &input.after, input.interner.num_tokens());
    (diff.count_additions(), diff.count_removals())
}

/// Bytes of whole lines the two texts share at their start, then at their
/// end (not overlapping the start in either).
fn common_lines(before: &[u8], after: &[u8]) -> (usize, usize) {
    let same = common_prefix_len(before, after);
    // Whole lines only: up to and including the last newline of the common
    // bytes, or everything when both texts end there (the same last line).
    let prefix = if same == before.len() && same == after.len() {
        same
    } else {
        before[..same].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1)
    };
    let (before_rest, after_rest) = (&before[prefix..], &after[prefix..]);
    let same = common_suffix_len(before_rest, after_rest);
    // The common end starts at a line start in both texts: right after a
    // newline that both have, or at the start of what the prefix left.
    let starts_line = |rest: &[u8], at: usize| at == 0 || rest[at - 1] == b'\n';
    let mut suffix = same;
    while suffix > 0
        && !(starts_line(before_rest, before_rest.len() - suffix) && starts_line(after_rest, after_rest.len() - suffix))
    {
        suffix -= 1;
    }
    (prefix, suffix)
}

/// Lines in a text, counting a last line without a newline.
fn line_count(text: &[u8]) -> u32 {
    let newlines = text.iter().filter(|&&b| b == b'\n').count();
    let unterminated = usize::from(text.last().is_some_and(|&b| b != b'\n'));
    u32::try_from(newlines + unterminated).unwrap_or(u32::MAX)
}

/// Git's rule: a NUL byte in the first 8,000 bytes.
fn is_binary(data: &[u8]) -> bool {
    data[..data.len().min(8000)].contains(&0)
}

/// A path as text without losing anything: valid UTF-8 as it is, each byte
/// that is not as `\xNN` (lower-case hex), so that distinct paths stay
/// distinct (`\xff.txt` and `\xfe.txt` would both be `\u{FFFD}.txt` if
/// made lossy).
fn lossless_path(path: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(path.len());
    for chunk in path.utf8_chunks() {
        out.push_str(chunk.valid());
        for byte in chunk.invalid() {
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
    out
}

/// Names, e-mails and messages as text: lossy UTF-8, and never a NUL (the
/// store refuses them): each becomes U+FFFD.
fn without_nul(text: String) -> String {
    if text.contains('\0') { text.replace('\0', "\u{FFFD}") } else { text }
}

fn text(bytes: &[u8]) -> String {
    without_nul(bytes.to_str_lossy().into_owned())
}

fn signature(sig: gix::actor::SignatureRef<'_>) -> Signature {
    let sig = sig.trim();
    let time = sig.time().map_or(GitTime { seconds: sig.seconds(), offset_seconds: 0 }, |t| GitTime {
        seconds: t.seconds,
        offset_seconds: t.offset,
    });
    Signature { name: text(sig.name), email: text(sig.email), time }
}

/// A signature gitoxide could not parse (hand-made or ancient commits), read
/// the way git's `split_ident_line` does: the name before the last `<`, the
/// e-mail up to the following `>`, then seconds and an offset if present.
fn lenient_signature(raw: &BStr) -> Signature {
    let raw = raw.trim();
    let (name, rest) = raw.rfind_byte(b'<').map_or((raw, &b""[..]), |at| (&raw[..at], &raw[at + 1..]));
    let (email, time) = rest.find_byte(b'>').map_or((rest, &b""[..]), |at| (&rest[..at], &rest[at + 1..]));
    let mut fields = time.fields();
    let seconds = fields.next().and_then(|s| s.to_str().ok()?.parse().ok()).unwrap_or(0);
    let offset_seconds = fields.next().and_then(parse_offset).unwrap_or(0);
    Signature { name: text(name.trim()), email: text(email.trim()), time: GitTime { seconds, offset_seconds } }
}

/// `+0530` → 19,800; `-0800` → -28,800.
fn parse_offset(field: &[u8]) -> Option<i32> {
    let (sign, digits) = match field.split_first()? {
        (b'+', digits) => (1, digits),
        (b'-', digits) => (-1, digits),
        _ => return None,
    };
    let hhmm: i32 = digits.to_str().ok()?.parse().ok()?;
    Some(sign * (hhmm / 100 * 3600 + hhmm % 100 * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_made_text_losslessly_and_nuls_replaced() {
        assert_eq!(lossless_path(b"\xff.txt"), "\\xff.txt");
        assert_eq!(lossless_path(b"\xfe.txt"), "\\xfe.txt");
        assert_eq!(lossless_path(b"caf\xc3\xa9/a\xc3.rs"), "caf\u{e9}/a\\xc3.rs");
        assert_eq!(lossless_path(b"plain/path.rs"), "plain/path.rs");
        assert_eq!(text(b"a\0b"), "a\u{FFFD}b");
        assert_eq!(without_nul("x\0".to_owned()), "x\u{FFFD}");
    }

    #[test]
    fn malformed_signatures_are_read_leniently() {
        let sig = lenient_signature(b"Jane Doe <jane@example.com> 1700000000 +0530".as_bstr());
        assert_eq!((sig.name.as_str(), sig.email.as_str()), ("Jane Doe", "jane@example.com"));
        assert_eq!(sig.time, GitTime { seconds: 1_700_000_000, offset_seconds: 19_800 });
        let sig = lenient_signature(b"nobody <> x -0800".as_bstr());
        assert_eq!(
            (sig.name.as_str(), sig.email.as_str(), sig.time.seconds, sig.time.offset_seconds),
            ("nobody", "", 0, -28_800)
        );
        let sig = lenient_signature(b"just a name".as_bstr());
        assert_eq!((sig.name.as_str(), sig.email.as_str()), ("just a name", ""));
    }

    #[test]
    fn lines_are_counted_like_git() {
        let mut diff = Diff::default();
        assert_eq!(line_count(b""), 0);
        assert_eq!(line_count(b"a"), 1);
        assert_eq!(line_count(b"a\nb\n"), 2);
        assert_eq!(count_lines(&mut diff, Algorithm::Myers, b"a\nb\nc\n", b"a\nB\nc\nd\n"), (2, 1));
        // Adding a newline to the last line changes that line.
        assert_eq!(count_lines(&mut diff, Algorithm::Myers, b"a\nb", b"a\nb\n"), (1, 1));
        assert_eq!(count_lines(&mut diff, Algorithm::Myers, b"", b"x\n"), (1, 0));
        assert!(is_binary(b"PNG\0") && !is_binary(b"text\n"));
        // Pure insertions and removals take the fast path; the counts agree
        // with the full diff.
        for (before, after) in [
            (&b"a\nb\nc\n"[..], &b"a\nx\ny\nb\nc\n"[..]),
            (b"a\nb\nc\n", b"a\nc\n"),
            (b"a\nb", b"a\nb\nc"),
            (b"a\nb\n", b"x\na\nb\n"),
            (b"b\n", b"ab\n"),
            (b"a\n", b"a\na\n"),
            (b"same\n", b"same\n"),
        ] {
            let fast = count_lines(&mut diff, Algorithm::Myers, before, after);
            let input = InternedInput::new(
                gix::diff::blob::sources::byte_lines(before),
                gix::diff::blob::sources::byte_lines(after),
            );
            let full = Diff::compute(Algorithm::Myers, &input);
            assert_eq!(fast, (full.count_additions(), full.count_removals()), "{before:?} -> {after:?}");
        }
        assert_eq!(common_lines(b"a\nb", b"a\nb\nc"), (2, 0));
        assert_eq!(common_lines(b"b\n", b"ab\n"), (0, 0));
        let long: Vec<u8> = (0..1000u32).flat_map(|i| format!("line {i}\n").into_bytes()).collect();
        let mut changed = long.clone();
        changed[500] = b'#';
        assert_eq!(common_prefix_len(&long, &changed), 500);
        assert_eq!(common_suffix_len(&long, &changed), long.len() - 501);
        assert_eq!(common_prefix_len(&long, &long[..700]), 700);
        assert_eq!(common_suffix_len(&long[300..], &long), long.len() - 300);
    }
}
