//! The files that differ between two trees, as `git diff-tree -r
//! --no-renames` lists them, read straight from the trees' bytes.
//!
//! A tree object is its entries (`mode SP name NUL hash`) in git's name
//! order, so two trees that differ in a few entries share their bytes up to
//! the first difference and again after the last one. The diff skips the
//! shared start with one block comparison and stops as soon as what remains
//! of both trees is the same bytes, parsing only the entries in between:
//! a commit that edits one file of a directory of 1,500 costs a `memcmp`
//! of the directory, not 3,000 parsed entries (what a generic tree diff
//! does, and what made histories of many small commits over wide trees
//! slow to read).

use gix::ObjectId;
use gix::objs::tree::EntryMode;
use gix::objs::{Find, FindExt, Kind};

/// One side of a changed file: its blob (or submodule commit) and mode.
pub(super) type Side = Option<(ObjectId, EntryMode)>;

/// A file that differs: its path (a range of [`TreeDiff::paths`]) and both
/// sides; `None` where it did not exist.
#[derive(Debug, Clone)]
pub(super) struct Changed {
    pub(super) path: std::ops::Range<usize>,
    pub(super) old: Side,
    pub(super) new: Side,
}

/// Why two trees could not be compared.
#[derive(Debug, thiserror::Error)]
pub(super) enum TreeDiffError {
    /// An object could not be read.
    #[error("reading tree {id}: {source}")]
    Find {
        id: ObjectId,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// An object named as a tree is something else.
    #[error("{id} is a {kind}, not a tree")]
    NotATree { id: ObjectId, kind: Kind },
    /// A tree's bytes are not a list of entries.
    #[error("tree {id} is corrupt at byte {at}")]
    Corrupt { id: ObjectId, at: usize },
}

/// A tree diff with its buffers, reused from commit to commit.
#[derive(Default)]
pub(super) struct TreeDiff {
    /// The files that differ, in the order met (callers sort them).
    pub(super) changes: Vec<Changed>,
    /// Every changed path's bytes, one after another.
    pub(super) paths: Vec<u8>,
    /// The directory being compared, with a trailing `/` when not the root.
    prefix: Vec<u8>,
    /// Tree buffers of each level below the root, old and new.
    levels: Vec<(Vec<u8>, Vec<u8>)>,
}

/// One entry of a tree: where it lies in the tree's bytes and what it says.
#[derive(Clone, Copy)]
struct Entry<'a> {
    end: usize,
    mode: EntryMode,
    name: &'a [u8],
    hash: &'a [u8],
}

impl Entry<'_> {
    fn side(&self) -> (ObjectId, EntryMode) {
        (ObjectId::from_bytes_or_panic(self.hash), self.mode)
    }
}

impl TreeDiff {
    /// Lists the files that differ from `old` to `new` (the raw bytes of two
    /// trees; empty for no tree), reading subtrees from `objects`.
    pub(super) fn diff(
        &mut self,
        objects: &impl Find,
        hash_kind: gix::hash::Kind,
        old: (ObjectId, &[u8]),
        new: (ObjectId, &[u8]),
    ) -> Result<(), TreeDiffError> {
        self.changes.clear();
        self.paths.clear();
        self.prefix.clear();
        self.compare(objects, hash_kind, 0, old, new)
    }

    fn compare(
        &mut self,
        objects: &impl Find,
        hash_kind: gix::hash::Kind,
        depth: usize,
        (old_id, old): (ObjectId, &[u8]),
        (new_id, new): (ObjectId, &[u8]),
    ) -> Result<(), TreeDiffError> {
        let hash_len = hash_kind.len_in_bytes();
        fn parse(id: ObjectId, data: &[u8], at: usize, hash_len: usize) -> Result<Entry<'_>, TreeDiffError> {
            entry(data, at, hash_len).ok_or(TreeDiffError::Corrupt { id, at })
        }
        // Skip the entries both trees start with: every entry that ends
        // within the bytes they share.
        let shared = common_prefix_len(old, new);
        let mut at = 0;
        while at < old.len() {
            let end = entry_end(old, at, hash_len).ok_or(TreeDiffError::Corrupt { id: old_id, at })?;
            if end > shared {
                break;
            }
            at = end;
        }
        let (mut a, mut b) = (at, at);
        // What both share at their end (after that start): once both
        // cursors have the same length left within it, the rest is equal.
        let shared_end = common_suffix_len(&old[a..], &new[b..]);
        loop {
            let (left_old, left_new) = (old.len() - a, new.len() - b);
            if left_old == left_new && left_old <= shared_end {
                return Ok(());
            }
            let x = (a < old.len()).then(|| parse(old_id, old, a, hash_len)).transpose()?;
            let y = (b < new.len()).then(|| parse(new_id, new, b, hash_len)).transpose()?;
            match (x, y) {
                (None, None) => return Ok(()),
                (Some(x), None) => {
                    self.one_side(objects, hash_kind, depth, x, Gone::New)?;
                    a = x.end;
                }
                (None, Some(y)) => {
                    self.one_side(objects, hash_kind, depth, y, Gone::Old)?;
                    b = y.end;
                }
                (Some(x), Some(y)) => match name_order(x, y) {
                    std::cmp::Ordering::Less => {
                        self.one_side(objects, hash_kind, depth, x, Gone::New)?;
                        a = x.end;
                    }
                    std::cmp::Ordering::Greater => {
                        self.one_side(objects, hash_kind, depth, y, Gone::Old)?;
                        b = y.end;
                    }
                    std::cmp::Ordering::Equal => {
                        if x.hash != y.hash || x.mode.kind() != y.mode.kind() {
                            if x.mode.is_tree() {
                                // Same name and both trees (the order puts a
                                // tree and a file of one name apart).
                                self.subtrees(objects, hash_kind, depth, x.name, Some(x.side().0), Some(y.side().0))?;
                            } else {
                                self.record(x.name, Some(x.side()), Some(y.side()));
                            }
                        }
                        a = x.end;
                        b = y.end;
                    }
                },
            }
        }
    }

    /// An entry only one side has: a file added or deleted, or every file of
    /// a tree added or deleted.
    fn one_side(
        &mut self,
        objects: &impl Find,
        hash_kind: gix::hash::Kind,
        depth: usize,
        entry: Entry<'_>,
        gone: Gone,
    ) -> Result<(), TreeDiffError> {
        let side = Some(entry.side());
        let (old, new) = match gone {
            Gone::New => (side, None),
            Gone::Old => (None, side),
        };
        if entry.mode.is_tree() {
            return self.subtrees(objects, hash_kind, depth, entry.name, old.map(|s| s.0), new.map(|s| s.0));
        }
        self.record(entry.name, old, new);
        Ok(())
    }

    /// Compares the trees `old` and `new` named `name` in the current
    /// directory (`None`: absent on that side).
    fn subtrees(
        &mut self,
        objects: &impl Find,
        hash_kind: gix::hash::Kind,
        depth: usize,
        name: &[u8],
        old: Option<ObjectId>,
        new: Option<ObjectId>,
    ) -> Result<(), TreeDiffError> {
        if self.levels.len() <= depth {
            self.levels.resize_with(depth + 1, Default::default);
        }
        let (mut old_buf, mut new_buf) = std::mem::take(&mut self.levels[depth]);
        let empty = ObjectId::empty_tree(hash_kind);
        let result = (|| {
            let old_len = old.map(|id| load_tree(objects, id, &mut old_buf)).transpose()?.unwrap_or(0);
            let new_len = new.map(|id| load_tree(objects, id, &mut new_buf)).transpose()?.unwrap_or(0);
            let prefix_len = self.prefix.len();
            self.prefix.extend_from_slice(name);
            self.prefix.push(b'/');
            let result = self.compare(
                objects,
                hash_kind,
                depth + 1,
                (old.unwrap_or(empty), &old_buf[..old_len]),
                (new.unwrap_or(empty), &new_buf[..new_len]),
            );
            self.prefix.truncate(prefix_len);
            result
        })();
        self.levels[depth] = (old_buf, new_buf);
        result
    }

    fn record(&mut self, name: &[u8], old: Side, new: Side) {
        let start = self.paths.len();
        self.paths.extend_from_slice(&self.prefix);
        self.paths.extend_from_slice(name);
        self.changes.push(Changed { path: start..self.paths.len(), old, new });
    }
}

#[derive(Clone, Copy)]
enum Gone {
    Old,
    New,
}

/// Reads tree `id` into `buf`, returning its length (the empty tree needs
/// no object).
pub(super) fn load_tree(objects: &impl Find, id: ObjectId, buf: &mut Vec<u8>) -> Result<usize, TreeDiffError> {
    if id == ObjectId::empty_tree(id.kind()) {
        buf.clear();
        return Ok(0);
    }
    let find_error = |source: gix::Error| TreeDiffError::Find { id, source: source.into() };
    let data = objects.find(&id, buf).map_err(find_error)?;
    if data.kind != Kind::Tree {
        return Err(TreeDiffError::NotATree { id, kind: data.kind });
    }
    let (start, len) = (data.data.as_ptr(), data.data.len());
    // The stores decode into the buffer from its start; should one not,
    // the object is read again and copied there.
    if start != buf.as_ptr() {
        let mut other = Vec::new();
        let copy = objects.find(&id, &mut other).map_err(find_error)?.data.to_vec();
        *buf = copy;
    }
    Ok(len)
}

/// The entry starting at byte `at` of a tree, or `None` when the bytes
/// there are not one.
fn entry(data: &[u8], at: usize, hash_len: usize) -> Option<Entry<'_>> {
    let rest = &data[at..];
    let space = rest.iter().take(8).position(|&b| b == b' ')?;
    let mode = EntryMode::from_bytes(&rest[..=space])?;
    let nul = space + 1 + memchr::memchr(0, &rest[space + 1..])?;
    let end = nul + 1 + hash_len;
    let hash = rest.get(nul + 1..end)?;
    Some(Entry { end: at + end, mode, name: &rest[space + 1..nul], hash })
}

/// Where the entry starting at byte `at` ends: after the NUL that ends its
/// name and its hash. The NUL is searched from the third byte (a mode of at
/// least one digit, a space, a name of at least one byte), so that a tree
/// written with short modes by an old tool is still read right.
fn entry_end(data: &[u8], at: usize, hash_len: usize) -> Option<usize> {
    let from = at + 3;
    let nul = from + memchr::memchr(0, data.get(from..)?)?;
    let end = nul + 1 + hash_len;
    (end <= data.len()).then_some(end)
}

/// Git's order of tree entries: by name, a tree's name as if it ended in
/// `/`.
fn name_order(x: Entry<'_>, y: Entry<'_>) -> std::cmp::Ordering {
    let common = x.name.len().min(y.name.len());
    x.name[..common].cmp(&y.name[..common]).then_with(|| {
        let after = |e: Entry<'_>| e.name.get(common).copied().or(e.mode.is_tree().then_some(b'/'));
        after(x).cmp(&after(y))
    })
}

/// Bytes two slices share at their start.
pub(super) fn common_prefix_len(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 64;
    let n = a.len().min(b.len());
    let mut same = 0;
    while same + BLOCK <= n && a[same..same + BLOCK] == b[same..same + BLOCK] {
        same += BLOCK;
    }
    same + a[same..n].iter().zip(&b[same..n]).take_while(|(x, y)| x == y).count()
}

/// Bytes two slices share at their end.
pub(super) fn common_suffix_len(a: &[u8], b: &[u8]) -> usize {
    const BLOCK: usize = 64;
    let n = a.len().min(b.len());
    let mut same = 0;
    while same + BLOCK <= n && a[a.len() - same - BLOCK..a.len() - same] == b[b.len() - same - BLOCK..b.len() - same] {
        same += BLOCK;
    }
    let (a, b) = (&a[..a.len() - same], &b[..b.len() - same]);
    same + a.iter().rev().zip(b.iter().rev()).take_while(|(x, y)| x == y).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(entries: &[(&str, &str, u8)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (mode, name, fill) in entries {
            out.extend_from_slice(mode.as_bytes());
            out.push(b' ');
            out.extend_from_slice(name.as_bytes());
            out.push(0);
            out.extend_from_slice(&[*fill; 20]);
        }
        out
    }

    fn changes(old: &[(&str, &str, u8)], new: &[(&str, &str, u8)]) -> Vec<(String, bool, bool)> {
        let (old, new) = (tree(old), tree(new));
        let mut diff = TreeDiff::default();
        // Flat trees: no subtree is ever looked up.
        struct NoObjects;
        impl Find for NoObjects {
            fn try_find<'a>(
                &self,
                _id: &gix::hash::oid,
                _buffer: &'a mut Vec<u8>,
            ) -> gix::Result<Option<gix::objs::Data<'a>>> {
                Ok(None)
            }
        }
        let objects = NoObjects;
        let id = |b: u8| ObjectId::from_bytes_or_panic(&[b; 20]);
        diff.diff(&objects, gix::hash::Kind::Sha1, (id(1), &old), (id(2), &new)).expect("flat trees");
        diff.changes
            .iter()
            .map(|c| {
                (String::from_utf8_lossy(&diff.paths[c.path.clone()]).into_owned(), c.old.is_some(), c.new.is_some())
            })
            .collect()
    }

    #[test]
    fn only_the_entries_that_differ_are_reported() {
        let many: Vec<(String, u8)> = (0..1500).map(|i| (format!("f{i:04}.txt"), 7)).collect();
        let old: Vec<(&str, &str, u8)> = many.iter().map(|(n, f)| ("100644", n.as_str(), *f)).collect();
        let mut new = old.clone();
        new[700].2 = 9; // edited
        new.remove(20); // deleted
        new.insert(1000, ("100644", "f0999b.txt", 3)); // added
        new[1400].0 = "100755"; // made executable: a change of kind
        assert_eq!(
            changes(&old, &new),
            vec![
                ("f0020.txt".to_owned(), true, false),
                ("f0700.txt".to_owned(), true, true),
                ("f0999b.txt".to_owned(), false, true),
                ("f1400.txt".to_owned(), true, true),
            ]
        );
        assert_eq!(changes(&old, &old), vec![]);
    }

    #[test]
    fn a_legacy_mode_of_the_same_kind_is_no_change() {
        // Old git wrote 100664 for group-writable files; git compares the
        // canonical mode, 100644.
        assert_eq!(changes(&[("100664", "a", 1)], &[("100644", "a", 1)]), vec![]);
    }

    #[test]
    fn trees_sort_as_if_their_name_ended_in_a_slash() {
        let entry = |mode: &'static str, name: &'static str| Entry {
            end: 0,
            mode: EntryMode::from_bytes(mode.as_bytes()).expect("mode"),
            name: name.as_bytes(),
            hash: &[0; 20],
        };
        use std::cmp::Ordering::*;
        assert_eq!(name_order(entry("100644", "foo"), entry("100644", "foo.c")), Less);
        assert_eq!(name_order(entry("40000", "foo"), entry("100644", "foo.c")), Greater);
        assert_eq!(name_order(entry("40000", "foo"), entry("100644", "foo")), Greater);
        assert_eq!(name_order(entry("40000", "foo"), entry("40000", "foo")), Equal);
        assert_eq!(name_order(entry("40000", "foo"), entry("100644", "foo0")), Less);
    }
}
