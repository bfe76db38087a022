//! Reading files of one commit's tree (without a work tree): what
//! scorecards read from a service's repository, such as its Prometheus
//! alert rules.

use gix::bstr::ByteSlice as _;

use super::{GitError, GitRepo};

/// One file of a tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeFile {
    /// Its path from the repository's root, `/`-separated.
    pub path: String,
    /// Its content.
    pub bytes: Vec<u8>,
}

impl GitRepo {
    /// The files of `commit`'s tree (a full sha; `None`: `HEAD`) whose
    /// path `wanted` accepts and whose size is at most `max_bytes`, in
    /// path order; with the commit read. Symbolic links and submodules are
    /// skipped.
    ///
    /// # Errors
    /// [`GitError::BadSha`] for a commit that is not 40 hex digits;
    /// [`GitError::Read`] when the commit, its tree or a blob cannot be
    /// read (an empty repository has no `HEAD`).
    pub fn files_at(
        &self,
        commit: Option<&str>,
        wanted: impl Fn(&str) -> bool,
        max_bytes: u64,
    ) -> Result<(String, Vec<TreeFile>), GitError> {
        let repo = self.repo.to_thread_local();
        let id = match commit {
            Some(sha) => gix::ObjectId::from_hex(sha.as_bytes()).map_err(|_| GitError::BadSha(sha.to_owned()))?,
            None => repo.head_id().map_err(|e| GitError::read(&self.path, "HEAD", e))?.detach(),
        };
        let what = || format!("commit {id}");
        let tree = repo
            .find_commit(id)
            .map_err(|e| GitError::read(&self.path, what(), e))?
            .tree()
            .map_err(|e| GitError::read(&self.path, what(), e))?;
        let mut recorder = gix::traverse::tree::Recorder::default();
        tree.traverse().breadthfirst(&mut recorder).map_err(|e| GitError::read(&self.path, what(), e))?;
        let mut files = Vec::new();
        for entry in recorder.records {
            if !entry.mode.is_blob() {
                continue;
            }
            let Ok(path) = entry.filepath.to_str() else { continue };
            if !wanted(path) {
                continue;
            }
            let header = repo.find_header(entry.oid).map_err(|e| GitError::read(&self.path, path, e))?;
            if header.size() > max_bytes {
                continue;
            }
            let blob = repo.find_object(entry.oid).map_err(|e| GitError::read(&self.path, path, e))?;
            files.push(TreeFile { path: path.to_owned(), bytes: blob.data.clone() });
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok((id.to_string(), files))
    }
}
