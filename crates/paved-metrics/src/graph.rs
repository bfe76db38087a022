//! A repository's commit graph, compact: commits are numbered, parents are
//! one flat array, and each commit carries only what the metrics read
//! (times, whether its message marks rework, the files it touched).

use std::collections::HashMap;

/// A commit as the graph is built from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphCommit {
    /// The full object id, lower-case hex.
    pub sha: String,
    /// The parents' object ids, first parent first.
    pub parents: Vec<String>,
    /// The author's time, Unix seconds.
    pub author_time: i64,
    /// The committer's time, Unix seconds (what lead time counts from).
    pub committer_time: i64,
    /// True when the message marks the commit as rework (see
    /// [`crate::ReworkPattern`]).
    pub rework: bool,
    /// The paths it changed.
    pub files: Vec<String>,
    /// Who wrote it: the author's e-mail, lower-cased (a developer's key
    /// until the catalog says who that is).
    pub author: String,
}

/// The commit graph of one repository.
#[derive(Debug, Clone, Default)]
pub struct CommitGraph {
    shas: Vec<String>,
    /// Commit numbers ordered by sha, for abbreviated lookups.
    by_sha: Vec<u32>,
    parent_start: Vec<u32>,
    parents: Vec<u32>,
    author_time: Vec<i64>,
    committer_time: Vec<i64>,
    rework: Vec<bool>,
    /// Longest distance to a root + 1: an ancestor always has a smaller one.
    generation: Vec<u32>,
    /// Commit numbers in committer-time order (ties by number): a window's
    /// commits are one slice of it.
    by_time: Vec<u32>,
    /// The committer time of each commit of `by_time`, in the same order:
    /// a window's bounds are found in one contiguous array rather than by
    /// a cache miss per step.
    by_time_at: Vec<i64>,
    file_start: Vec<u32>,
    files: Vec<u32>,
    paths: Vec<String>,
    /// Each commit's author, an index into `author_keys`.
    authors: Vec<u32>,
    author_keys: Vec<String>,
}

/// A commit's number in its graph.
pub type CommitId = u32;

impl CommitGraph {
    /// Builds the graph. Parents that are not among `commits` (a history cut
    /// short) are left out; a commit given twice counts once.
    pub fn new(commits: Vec<GraphCommit>) -> Self {
        // Each sha once (its first occurrence), numbered in the order given.
        // Sorted positions replace a hash index: a binary search finds a
        // parent, and the same order serves abbreviated lookups.
        let mut sorted: Vec<u32> = (0..commits.len() as u32).collect();
        sorted.sort_by(|a, b| commits[*a as usize].sha.cmp(&commits[*b as usize].sha));
        sorted.dedup_by(|later, first| commits[*later as usize].sha == commits[*first as usize].sha);
        let mut kept = vec![false; commits.len()];
        for &input in &sorted {
            kept[input as usize] = true;
        }
        let mut id_of_input = vec![u32::MAX; commits.len()];
        let mut next = 0;
        for (input, keep) in kept.iter().enumerate() {
            if *keep {
                id_of_input[input] = next;
                next += 1;
            }
        }
        let count = next as usize;
        let mut graph =
            Self { by_sha: sorted.iter().map(|input| id_of_input[*input as usize]).collect(), ..Self::default() };
        graph.shas.reserve_exact(count);
        graph.parent_start.reserve_exact(count + 1);
        graph.author_time.reserve_exact(count);
        graph.committer_time.reserve_exact(count);
        graph.rework.reserve_exact(count);
        graph.authors.reserve_exact(count);
        graph.file_start.reserve_exact(count + 1);
        // Parents resolve against the sorted shas before the commits are
        // moved into the graph.
        let find = |sha: &str| -> Option<u32> {
            sorted
                .binary_search_by(|input| commits[*input as usize].sha.as_str().cmp(sha))
                .ok()
                .map(|position| id_of_input[sorted[position] as usize])
        };
        for (input, commit) in commits.iter().enumerate() {
            if kept[input] {
                graph.parent_start.push(graph.parents.len() as u32);
                graph.parents.extend(commit.parents.iter().filter_map(|parent| find(parent)));
            }
        }
        graph.parent_start.push(graph.parents.len() as u32);
        let mut path_ids: HashMap<String, u32> = HashMap::new();
        let mut author_ids: HashMap<String, u32> = HashMap::new();
        for (commit, keep) in commits.into_iter().zip(kept) {
            if !keep {
                continue;
            }
            graph.shas.push(commit.sha);
            graph.author_time.push(commit.author_time);
            graph.committer_time.push(commit.committer_time);
            graph.rework.push(commit.rework);
            let next = author_ids.len() as u32;
            let author_id = *author_ids.entry(commit.author).or_insert_with_key(|author| {
                graph.author_keys.push(author.clone());
                next
            });
            graph.authors.push(author_id);
            graph.file_start.push(graph.files.len() as u32);
            for path in commit.files {
                let next = path_ids.len() as u32;
                let path_id = *path_ids.entry(path).or_insert_with_key(|path| {
                    graph.paths.push(path.clone());
                    next
                });
                graph.files.push(path_id);
            }
        }
        graph.file_start.push(graph.files.len() as u32);
        graph.generation = graph.generations();
        graph.by_time = (0..count as u32).collect();
        graph.by_time.sort_by_key(|&commit| (graph.committer_time[commit as usize], commit));
        graph.by_time_at = graph.by_time.iter().map(|&commit| graph.committer_time[commit as usize]).collect();
        graph
    }

    /// Every commit in committer-time order (ties by number).
    pub fn in_time_order(&self) -> &[u32] {
        &self.by_time
    }

    /// The commits committed at or after `since` and before `until`, in
    /// time order.
    pub fn committed_between(
        &self,
        since: chrono::DateTime<chrono::Utc>,
        until: chrono::DateTime<chrono::Utc>,
    ) -> &[u32] {
        let (since, until) = (crate::window::whole_seconds(since), crate::window::whole_seconds(until));
        let start = self.by_time_at.partition_point(|&at| at < since);
        let end = self.by_time_at.partition_point(|&at| at < until);
        &self.by_time[start..end.max(start)]
    }

    /// How many commits.
    pub fn len(&self) -> usize {
        self.shas.len()
    }

    /// True when there are no commits.
    pub fn is_empty(&self) -> bool {
        self.shas.is_empty()
    }

    /// The commit with this full or abbreviated (7+ hex digits) id; `None`
    /// when there is none or the abbreviation is ambiguous.
    pub fn find(&self, sha: &str) -> Option<CommitId> {
        let sha = sha.trim().to_ascii_lowercase();
        if let Ok(position) = self.by_sha.binary_search_by(|id| self.shas[*id as usize].as_str().cmp(&sha)) {
            return Some(self.by_sha[position]);
        }
        if sha.len() < 7 {
            return None;
        }
        let start = self.by_sha.partition_point(|id| self.shas[*id as usize].as_str() < sha.as_str());
        let mut matches = self.by_sha[start..].iter().take_while(|id| self.shas[**id as usize].starts_with(&sha));
        let first = *matches.next()?;
        matches.next().is_none().then_some(first)
    }

    /// The commit's full id.
    pub fn sha(&self, commit: CommitId) -> &str {
        &self.shas[commit as usize]
    }

    /// Its parents.
    pub fn parents(&self, commit: CommitId) -> &[u32] {
        let c = commit as usize;
        &self.parents[self.parent_start[c] as usize..self.parent_start[c + 1] as usize]
    }

    /// Its committer time, Unix seconds.
    pub fn committer_time(&self, commit: CommitId) -> i64 {
        self.committer_time[commit as usize]
    }

    /// Its author time, Unix seconds.
    pub fn author_time(&self, commit: CommitId) -> i64 {
        self.author_time[commit as usize]
    }

    /// True when its message marks it as rework.
    pub fn is_rework(&self, commit: CommitId) -> bool {
        self.rework[commit as usize]
    }

    /// The paths it changed.
    pub fn files(&self, commit: CommitId) -> impl Iterator<Item = &str> {
        let c = commit as usize;
        self.files[self.file_start[c] as usize..self.file_start[c + 1] as usize]
            .iter()
            .map(|path| self.paths[*path as usize].as_str())
    }

    /// Its author's number (see [`Self::author_keys`]).
    pub fn author(&self, commit: CommitId) -> u32 {
        self.authors[commit as usize]
    }

    /// The authors' keys (lower-cased e-mails), by number.
    pub fn author_keys(&self) -> &[String] {
        &self.author_keys
    }

    /// Its committer time as an instant.
    pub fn committed_at(&self, commit: CommitId) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp(self.committer_time(commit), 0)
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC)
    }

    /// The number of a path (see [`Self::path`]) of each file it changed.
    pub fn file_ids(&self, commit: CommitId) -> &[u32] {
        let c = commit as usize;
        &self.files[self.file_start[c] as usize..self.file_start[c + 1] as usize]
    }

    /// A path by its number.
    pub fn path(&self, id: u32) -> &str {
        &self.paths[id as usize]
    }

    /// How many distinct paths.
    pub fn path_count(&self) -> usize {
        self.paths.len()
    }

    /// Every commit reachable from `tip` (itself included) that is not in
    /// `shipped`, each marked shipped as it is found.
    pub fn take_unshipped(&self, tip: CommitId, shipped: &mut [bool]) -> Vec<CommitId> {
        let mut found = Vec::new();
        if shipped[tip as usize] {
            return found;
        }
        shipped[tip as usize] = true;
        let mut stack = vec![tip];
        while let Some(commit) = stack.pop() {
            found.push(commit);
            for &parent in self.parents(commit) {
                if !shipped[parent as usize] {
                    shipped[parent as usize] = true;
                    stack.push(parent);
                }
            }
        }
        found
    }

    /// The commits of a branch: reachable from `head` and not from `base`
    /// (what `git log base..head` lists), at most `limit` of them.
    pub fn branch_commits(&self, head: CommitId, base: CommitId, limit: usize) -> Vec<CommitId> {
        let mut found = Vec::new();
        let mut seen = std::collections::HashSet::from([head]);
        let mut stack = vec![head];
        while let Some(commit) = stack.pop() {
            if found.len() >= limit || commit == base || self.is_strict_ancestor(commit, base) {
                continue;
            }
            found.push(commit);
            stack.extend(self.parents(commit).iter().copied().filter(|parent| seen.insert(*parent)));
        }
        found
    }

    /// True when `ancestor` is reachable from `descendant` and is not it.
    pub fn is_strict_ancestor(&self, ancestor: CommitId, descendant: CommitId) -> bool {
        if ancestor == descendant {
            return false;
        }
        let floor = self.generation[ancestor as usize];
        let mut seen = HashMap::new();
        let mut stack = vec![descendant];
        while let Some(commit) = stack.pop() {
            for &parent in self.parents(commit) {
                if parent == ancestor {
                    return true;
                }
                // Nothing below the ancestor's generation can reach it.
                if self.generation[parent as usize] > floor && seen.insert(parent, ()).is_none() {
                    stack.push(parent);
                }
            }
        }
        false
    }

    /// Generation numbers, computed without recursion (histories are deep).
    fn generations(&self) -> Vec<u32> {
        let n = self.shas.len();
        let mut generation = vec![0u32; n];
        for root in 0..n as u32 {
            if generation[root as usize] != 0 {
                continue;
            }
            // Depth-first: a commit is numbered once all its parents are.
            let mut stack = vec![(root, false)];
            while let Some((commit, parents_done)) = stack.pop() {
                if generation[commit as usize] != 0 {
                    continue;
                }
                if parents_done {
                    let highest = self.parents(commit).iter().map(|p| generation[*p as usize]).max().unwrap_or(0);
                    generation[commit as usize] = highest + 1;
                    continue;
                }
                stack.push((commit, true));
                for &parent in self.parents(commit) {
                    if generation[parent as usize] == 0 {
                        stack.push((parent, false));
                    }
                }
            }
        }
        generation
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(sha: &str, parents: &[&str], time: i64) -> GraphCommit {
        GraphCommit {
            sha: sha.to_owned(),
            parents: parents.iter().map(|p| (*p).to_owned()).collect(),
            author_time: time,
            committer_time: time,
            rework: false,
            files: vec![format!("{sha}.rs")],
            author: "dev@example.com".to_owned(),
        }
    }

    /// a ← b ← c ← e (merge of c and d), a ← d.
    fn graph() -> CommitGraph {
        CommitGraph::new(vec![
            commit("e000000000", &["c000000000", "d000000000"], 5),
            commit("c000000000", &["b000000000"], 3),
            commit("d000000000", &["a000000000"], 4),
            commit("b000000000", &["a000000000"], 2),
            commit("a000000000", &[], 1),
        ])
    }

    #[test]
    fn abbreviated_ids_resolve_when_unambiguous() {
        let g = graph();
        assert_eq!(g.find("c0000000").map(|c| g.sha(c)), Some("c000000000"));
        assert_eq!(g.find("c00000"), None, "shorter than 7 digits");
        let twins = CommitGraph::new(vec![commit("abcdef01aa", &[], 1), commit("abcdef01bb", &[], 2)]);
        assert_eq!(twins.find("abcdef01"), None, "ambiguous");
        assert!(twins.find("abcdef01b").is_some());
    }

    #[test]
    fn unshipped_commits_are_taken_once() {
        let g = graph();
        let mut shipped = vec![false; g.len()];
        let first = g.take_unshipped(g.find("c000000000").unwrap(), &mut shipped);
        assert_eq!(first.len(), 3, "c, b, a");
        let second = g.take_unshipped(g.find("e000000000").unwrap(), &mut shipped);
        let mut shas: Vec<&str> = second.iter().map(|c| g.sha(*c)).collect();
        shas.sort_unstable();
        assert_eq!(shas, ["d000000000", "e000000000"], "only what c did not ship");
        assert!(g.take_unshipped(g.find("c000000000").unwrap(), &mut shipped).is_empty());
    }

    #[test]
    fn a_branch_is_what_its_head_reaches_and_its_base_does_not() {
        let g = graph();
        let id = |sha: &str| g.find(sha).unwrap();
        assert_eq!(g.branch_commits(id("d000000000"), id("c000000000"), 100), [id("d000000000")]);
        let mut merged = g.branch_commits(id("e000000000"), id("b000000000"), 100);
        merged.sort_unstable();
        let mut expected = vec![id("e000000000"), id("c000000000"), id("d000000000")];
        expected.sort_unstable();
        assert_eq!(merged, expected);
        assert!(g.branch_commits(id("b000000000"), id("c000000000"), 100).is_empty(), "already in the base");
    }

    #[test]
    fn ancestry_is_strict_and_follows_every_parent() {
        let g = graph();
        let id = |sha: &str| g.find(sha).unwrap();
        assert!(g.is_strict_ancestor(id("a000000000"), id("e000000000")));
        assert!(g.is_strict_ancestor(id("d000000000"), id("e000000000")), "through the second parent");
        assert!(!g.is_strict_ancestor(id("e000000000"), id("e000000000")));
        assert!(!g.is_strict_ancestor(id("d000000000"), id("c000000000")));
        assert!(!g.is_strict_ancestor(id("e000000000"), id("a000000000")));
    }
}
