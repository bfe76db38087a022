//! Writes a repository's simulated history as a real, bare git repository:
//! gitoxide creates the repository, hashes and encodes the objects (blobs,
//! trees, commits) and writes the references; the objects go into one pack
//! with its index, written here; `origin` names it `github.com/acme/<name>`.
//! No `git` process is started. The importer then reads it as it reads any
//! repository.
//!
//! File contents are generated lines: what matters to pavedroad is which
//! files a commit touches and how many lines it adds and removes, and those
//! follow the plan exactly.

use std::collections::{BTreeMap, HashSet};
use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use gix::objs::tree::{Entry, EntryKind};
use gix::objs::{Kind, WriteTo};
use gix::refs::transaction::{Change, LogChange, PreviousValue, RefEdit, RefLog};

use super::org::{GITHUB_OWNER, Org};
use super::timeline::{Author, FileChange, RepoHistory};

/// A file as of one commit: its lines and its blob.
#[derive(Debug, Clone)]
struct FileState {
    lines: Arc<Vec<String>>,
    blob: gix::ObjectId,
}

type Files = BTreeMap<String, FileState>;

/// Collects objects, each once, into one pack: a repository of thousands of
/// commits written as loose objects would be tens of thousands of small
/// files, which some file systems take seconds to write.
struct PackWriter {
    /// The pack so far, from its header (whose object count is filled in
    /// at the end).
    data: Vec<u8>,
    /// Each object's id, offset in `data` and CRC-32 of its entry.
    entries: Vec<(gix::ObjectId, u64, u32)>,
    written: HashSet<gix::ObjectId>,
    buffer: Vec<u8>,
}

impl PackWriter {
    fn new() -> Self {
        let mut data = Vec::with_capacity(1 << 20);
        data.extend_from_slice(b"PACK");
        data.extend_from_slice(&2u32.to_be_bytes());
        data.extend_from_slice(&0u32.to_be_bytes());
        Self { data, entries: Vec::new(), written: HashSet::new(), buffer: Vec::new() }
    }

    fn write_bytes(&mut self, kind: Kind, bytes: &[u8]) -> anyhow::Result<gix::ObjectId> {
        let id = gix::objs::compute_hash(gix::hash::Kind::Sha1, kind, bytes)?;
        // The same tree or blob comes back often (a directory nobody
        // touched): hashing is cheap, storing it twice is waste.
        if !self.written.insert(id) {
            return Ok(id);
        }
        let offset = self.data.len();
        let type_bits: u8 = match kind {
            Kind::Commit => 1,
            Kind::Tree => 2,
            Kind::Blob => 3,
            Kind::Tag => 4,
        };
        // The entry header: type and size, seven bits at a time after the
        // first four.
        let mut size = bytes.len() as u64;
        let mut byte = (type_bits << 4) | (size & 0x0f) as u8;
        size >>= 4;
        while size > 0 {
            self.data.push(byte | 0x80);
            byte = (size & 0x7f) as u8;
            size >>= 7;
        }
        self.data.push(byte);
        let mut encoder = gix::zlib::stream::deflate::Write::new(&mut self.data, gix::zlib::Compression::BEST_SPEED);
        encoder.write_all(bytes)?;
        encoder.flush()?;
        drop(encoder);
        let crc = crc32(&self.data[offset..]);
        self.entries.push((id, offset as u64, crc));
        Ok(id)
    }

    fn write(&mut self, object: &dyn WriteTo) -> anyhow::Result<gix::ObjectId> {
        let mut buffer = std::mem::take(&mut self.buffer);
        buffer.clear();
        object.write_to(&mut buffer)?;
        let id = self.write_bytes(object.kind(), &buffer);
        self.buffer = buffer;
        id
    }

    /// Writes the pack and its index (version 2) into `directory`
    /// (`objects/pack`).
    fn finish(mut self, directory: &Path) -> anyhow::Result<()> {
        let count = u32::try_from(self.entries.len()).context("too many objects for one pack")?;
        self.data[8..12].copy_from_slice(&count.to_be_bytes());
        let pack_id = sha1(&self.data)?;
        self.data.extend_from_slice(pack_id.as_bytes());

        self.entries.sort_by_key(|entry| entry.0);
        let mut index = Vec::with_capacity(1100 + self.entries.len() * 28);
        index.extend_from_slice(b"\xfftOc");
        index.extend_from_slice(&2u32.to_be_bytes());
        let mut fanout = [0u32; 256];
        for (id, _, _) in &self.entries {
            fanout[usize::from(id.as_bytes()[0])] += 1;
        }
        let mut total = 0;
        for bucket in fanout {
            total += bucket;
            index.extend_from_slice(&total.to_be_bytes());
        }
        for (id, _, _) in &self.entries {
            index.extend_from_slice(id.as_bytes());
        }
        for (_, _, crc) in &self.entries {
            index.extend_from_slice(&crc.to_be_bytes());
        }
        // Offsets past 2 GiB go to a table of 64-bit offsets.
        let mut large = Vec::new();
        for (_, offset, _) in &self.entries {
            match u32::try_from(*offset) {
                Ok(small) if small < 0x8000_0000 => index.extend_from_slice(&small.to_be_bytes()),
                _ => {
                    index.extend_from_slice(&(0x8000_0000 | large.len() as u32).to_be_bytes());
                    large.push(*offset);
                }
            }
        }
        for offset in large {
            index.extend_from_slice(&offset.to_be_bytes());
        }
        index.extend_from_slice(pack_id.as_bytes());
        let index_id = sha1(&index)?;
        index.extend_from_slice(index_id.as_bytes());

        std::fs::create_dir_all(directory).with_context(|| format!("creating {}", directory.display()))?;
        let name = format!("pack-{pack_id}");
        let pack_path = directory.join(format!("{name}.pack"));
        std::fs::write(&pack_path, &self.data).with_context(|| format!("writing {}", pack_path.display()))?;
        // The index last: a pack without one is ignored, never half-read.
        let index_path = directory.join(format!("{name}.idx"));
        std::fs::write(&index_path, &index).with_context(|| format!("writing {}", index_path.display()))?;
        Ok(())
    }
}

fn sha1(bytes: &[u8]) -> anyhow::Result<gix::ObjectId> {
    let mut hasher = gix::hash::hasher(gix::hash::Kind::Sha1);
    hasher.update(bytes);
    Ok(hasher.try_finalize()?)
}

/// CRC-32 (IEEE), as pack indexes keep it for each entry.
fn crc32(bytes: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut n = 0;
        while n < 256 {
            let mut value = n as u32;
            let mut bit = 0;
            while bit < 8 {
                value = if value & 1 == 1 { 0xedb8_8320 ^ (value >> 1) } else { value >> 1 };
                bit += 1;
            }
            table[n] = value;
            n += 1;
        }
        table
    };
    let mut crc = !0u32;
    for &byte in bytes {
        crc = TABLE[((crc ^ u32::from(byte)) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

/// Writes `history` of repository `repo` as a bare repository at `path`
/// (which must not exist yet) and returns the id of every commit, in the
/// plan's order.
///
/// # Errors
/// When the repository cannot be created or an object or reference cannot
/// be written.
pub fn write(path: &Path, org: &Org, repo: usize, history: &RepoHistory) -> anyhow::Result<Vec<gix::ObjectId>> {
    let name = &org.repos[repo].name;
    // Isolated: the machine's git configuration (a default branch named
    // `master`, hooks, templates) must not change what is written.
    let repository = gix::ThreadSafeRepository::init_opts(
        path,
        gix::create::Kind::Bare,
        gix::create::Options::default(),
        gix::open::Options::isolated(),
    )
    .with_context(|| format!("creating the repository {}", path.display()))?;
    let mut config = std::fs::OpenOptions::new()
        .append(true)
        .open(path.join("config"))
        .with_context(|| format!("opening {}", path.join("config").display()))?;
    write!(
        config,
        "[remote \"origin\"]\n\turl = https://github.com/{GITHUB_OWNER}/{name}.git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n"
    )
    .with_context(|| format!("writing {}", path.join("config").display()))?;

    let mut writer = PackWriter::new();
    let mut states: Vec<Arc<Files>> = Vec::with_capacity(history.commits.len());
    let mut ids: Vec<gix::ObjectId> = Vec::with_capacity(history.commits.len());
    for (index, commit) in history.commits.iter().enumerate() {
        let mut files = match commit.parents.first() {
            Some(&parent) => (*states[parent]).clone(),
            None => Files::new(),
        };
        // A file changed twice in one commit (a merge) gets one blob.
        let mut changed: Vec<&str> = Vec::new();
        for change in &commit.changes {
            apply(&mut files, change);
            changed.push(&change.path);
        }
        changed.sort_unstable();
        changed.dedup();
        for path in changed {
            if let Some(file) = files.get_mut(path) {
                let mut content = file.lines.join("\n");
                content.push('\n');
                file.blob = writer.write_bytes(Kind::Blob, content.as_bytes())?;
            }
        }
        let entries: Vec<(&str, gix::ObjectId)> = files.iter().map(|(path, file)| (path.as_str(), file.blob)).collect();
        let tree = write_tree(&entries, &mut writer)?;
        let object = gix::objs::Commit {
            tree,
            parents: commit.parents.iter().map(|&parent| ids[parent]).collect(),
            author: signature(org, commit.author, commit.authored_at, index),
            committer: signature(org, commit.committer, commit.committed_at, index),
            encoding: None,
            message: format!("{}\n", commit.message).into(),
            extra_headers: Vec::new(),
        };
        ids.push(writer.write(&object).with_context(|| format!("writing a commit of {name}"))?);
        states.push(Arc::new(files));
    }

    writer.finish(&path.join("objects").join("pack")).with_context(|| format!("writing the objects of {name}"))?;

    let mut repository = repository.to_thread_local();
    // No reflogs: nothing here happened in this repository's life.
    repository.refs.write_reflog = gix::refs::store::WriteReflog::Disable;
    let mut references = Vec::new();
    if let Some(main) = history.main {
        references.push(("refs/heads/main".to_owned(), ids[main]));
    }
    for (branch, tip) in &history.open_branches {
        references.push((format!("refs/heads/{branch}"), ids[*tip]));
    }
    let edits = references
        .into_iter()
        .map(|(reference, id)| -> anyhow::Result<RefEdit> {
            Ok(RefEdit {
                change: Change::Update {
                    log: LogChange {
                        mode: RefLog::AndReference,
                        force_create_reflog: false,
                        message: "paved demo".into(),
                    },
                    expected: PreviousValue::Any,
                    new: gix::refs::Target::Object(id),
                },
                name: reference.as_str().try_into().with_context(|| format!("the branch name {reference}"))?,
                deref: false,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    repository.edit_references_as(edits, None).with_context(|| format!("writing the branches of {name}"))?;
    Ok(ids)
}

/// Writes the tree of `entries` (paths relative to this directory, sorted
/// by path, so each sub-directory's entries are contiguous).
fn write_tree(entries: &[(&str, gix::ObjectId)], writer: &mut PackWriter) -> anyhow::Result<gix::ObjectId> {
    let mut tree = gix::objs::Tree::empty();
    let mut index = 0;
    while index < entries.len() {
        let (path, blob) = entries[index];
        let Some((directory, _)) = path.split_once('/') else {
            tree.entries.push(Entry { mode: EntryKind::Blob.into(), filename: path.into(), oid: blob });
            index += 1;
            continue;
        };
        let inside = |candidate: &str| {
            candidate.len() > directory.len()
                && candidate.starts_with(directory)
                && candidate.as_bytes()[directory.len()] == b'/'
        };
        let end =
            entries[index..].iter().position(|(candidate, _)| !inside(candidate)).map_or(entries.len(), |n| index + n);
        let children: Vec<(&str, gix::ObjectId)> =
            entries[index..end].iter().map(|(candidate, id)| (&candidate[directory.len() + 1..], *id)).collect();
        let id = write_tree(&children, writer)?;
        tree.entries.push(Entry { mode: EntryKind::Tree.into(), filename: directory.into(), oid: id });
        index = end;
    }
    // Git orders a directory as if its name ended in `/`; `Entry`'s order
    // does that.
    tree.entries.sort();
    writer.write(&tree)
}

/// Applies `change` to its file; its blob is written once the commit's
/// changes are all applied.
fn apply(files: &mut Files, change: &FileChange) {
    let mut lines: Vec<String> = files.get(&change.path).map(|file| (*file.lines).clone()).unwrap_or_default();
    let position = (change.salt % (lines.len() as u64 + 1)) as usize;
    let mut removed = change.removed as usize;
    // Keep files at a readable size: past 250 lines, changes replace
    // rather than add.
    if lines.len() > 250 {
        removed += change.added as usize;
    }
    let removed = removed.min(lines.len() - position);
    let extension = change.path.rsplit('.').next().unwrap_or_default();
    let added = (0..change.added).map(|n| line(extension, change.salt, n));
    lines.splice(position..position + removed, added);
    files.insert(
        change.path.clone(),
        FileState { lines: Arc::new(lines), blob: gix::ObjectId::null(gix::hash::Kind::Sha1) },
    );
}

const WORDS: &[&str] = &[
    "order", "cart", "total", "price", "user", "token", "retry", "limit", "cache", "index", "event", "batch", "client",
    "request", "result", "status", "session", "amount", "region", "replica",
];

/// Line `n` of a change, in the file's language (roughly).
fn line(extension: &str, salt: u64, n: u32) -> String {
    let mut bits = salt ^ u64::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let mut word = || {
        bits = bits.rotate_left(13).wrapping_mul(0xbf58_476d_1ce4_e5b9) ^ (bits >> 29);
        WORDS[(bits % WORDS.len() as u64) as usize]
    };
    let (a, b, c) = (word(), word(), word());
    let number = salt.wrapping_add(u64::from(n)) % 1000;
    match extension {
        "go" => format!("\t{a}{} := {b}.{}({c}, {number})", capitalise(b), capitalise(c)),
        "kt" | "kts" => format!("    val {a}{} = {b}.{c}({number})", capitalise(b)),
        "ts" => format!("  const {a}{} = await {b}.{c}({number});", capitalise(b)),
        "py" | "toml" => format!("    {a}_{b} = {c}({number})"),
        "yml" | "yaml" => format!("  {a}_{b}: {c}-{number}"),
        "tf" => format!("  {a}_{b} = \"{c}-{number}\""),
        "md" => format!("The {a} {b} keeps the {c} within {number} ms."),
        "json" | "mod" => format!("  \"{a}-{b}\": \"{number}.0.0\""),
        _ => format!("RUN {a} --{b}={c}-{number}"),
    }
}

fn capitalise(word: &str) -> String {
    let mut characters = word.chars();
    characters.next().map_or_else(String::new, |first| first.to_ascii_uppercase().to_string() + characters.as_str())
}

/// Who and when, with the offset of their time zone then. Someone with a
/// second address uses it for about one commit in five.
fn signature(org: &Org, author: Author, at: DateTime<Utc>, index: usize) -> gix::actor::Signature {
    let (name, email, zone): (&str, &str, Tz) = match author {
        Author::Person(person) => {
            let person = &org.people[person];
            let email = match person.emails.get(1) {
                Some(second) if index.wrapping_mul(2_654_435_761).is_multiple_of(5) => second,
                _ => &person.emails[0],
            };
            (&person.display_name, email, person.timezone)
        }
        Author::Outsider(outsider) => {
            let outsider = &org.outsiders[outsider];
            (&outsider.display_name, &outsider.email, outsider.timezone)
        }
    };
    let offset = zone.offset_from_utc_datetime(&at.naive_utc()).fix().local_minus_utc();
    gix::actor::Signature {
        name: name.into(),
        email: email.into(),
        time: gix::date::Time { seconds: at.timestamp(), offset },
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::timeline::CommitPlan;

    fn commit(parents: Vec<usize>, at: DateTime<Utc>, message: &str, changes: Vec<FileChange>) -> CommitPlan {
        CommitPlan {
            parents,
            author: Author::Person(0),
            authored_at: at,
            committer: Author::Person(0),
            committed_at: at,
            message: message.to_owned(),
            changes,
        }
    }

    fn change(path: &str, added: u32, removed: u32, salt: u64) -> FileChange {
        FileChange { path: path.to_owned(), added, removed, salt }
    }

    #[test]
    fn the_written_repository_reads_back_with_the_planned_changes() {
        let at = Utc.with_ymd_and_hms(2026, 5, 4, 9, 30, 0).unwrap();
        let org = Org::build(1, 1, at);
        let history = RepoHistory {
            commits: vec![
                commit(
                    vec![],
                    at,
                    "Initial commit",
                    vec![change("README.md", 3, 0, 1), change("src/a/b.go", 10, 0, 2)],
                ),
                commit(vec![0], at + chrono::Duration::hours(1), "Add b", vec![change("src/a/b.go", 4, 2, 3)]),
                commit(vec![0], at + chrono::Duration::hours(2), "Add c", vec![change("src/a.go", 5, 0, 4)]),
                commit(vec![1, 2], at + chrono::Duration::hours(3), "Merge", vec![change("src/a.go", 5, 0, 4)]),
            ],
            main: Some(3),
            open_branches: vec![("feature/x".to_owned(), 2)],
            pull_requests: Vec::new(),
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo");
        let ids = write(&path, &org, 0, &history).unwrap();
        assert_eq!(ids.len(), 4);
        let packs: Vec<_> = std::fs::read_dir(path.join("objects/pack")).unwrap().flatten().collect();
        assert_eq!(packs.len(), 2, "one pack and its index");

        let repository = paved_ingest::git::open(&path).unwrap();
        assert_eq!(repository.identity(None).unwrap().to_string(), format!("github.com/acme/{}", org.repos[0].name));
        let mut commits: Vec<paved_ingest::git::GitCommit> = Vec::new();
        repository.walk(&paved_ingest::git::WalkOptions::default(), &mut commits, &mut |_| {}).unwrap();
        assert_eq!(commits.len(), 4);
        let shas: Vec<String> = ids.iter().map(ToString::to_string).collect();
        let second = commits.iter().find(|c| c.sha == shas[1]).unwrap();
        let files: Vec<(&str, u32, u32)> = second.files.iter().map(|f| (f.path.as_str(), f.added, f.removed)).collect();
        assert_eq!(files, [("src/a/b.go", 4, 2)]);
        let merge = commits.iter().find(|c| c.sha == shas[3]).unwrap();
        assert_eq!(merge.parents.len(), 2);

        let again = tempfile::tempdir().unwrap();
        assert_eq!(write(&again.path().join("demo"), &org, 0, &history).unwrap(), ids, "the same plan, the same ids");
    }
}
