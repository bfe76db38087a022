//! Finding and reading descriptor files, following Locations, and the checks
//! that need the whole catalog (duplicates, dangling references).

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

use paved_domain::CatalogEntity;
use serde::Serialize;

use crate::problem::{Problem, ProblemCode, Severity};
use crate::validate::{self, Checked, Dangling};
use crate::yaml::{self, Pos};

/// How [`load`] reads files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOptions {
    /// Files larger than this are reported as `file-too-large` and never read.
    pub max_file_bytes: u64,
    /// Entities that exist elsewhere (the stored catalog), by
    /// [`paved_domain::EntityRef::key`]: a reference to one is not dangling.
    /// Descriptors checked on their own against a catalog use it.
    pub known: HashSet<String>,
    /// The most directory entries one load lists, walking directories and
    /// globs: a Location that targets `/` or `/**` stops there with an
    /// error instead of walking the machine.
    pub max_walked: usize,
}

impl Default for LoadOptions {
    /// 10 MiB per file; nothing known beyond what is read; 500,000
    /// directory entries walked.
    fn default() -> Self {
        Self { max_file_bytes: 10 * 1024 * 1024, known: HashSet::new(), max_walked: 500_000 }
    }
}

/// Everything [`load`] found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CatalogLoad {
    /// Every entity without an error, in the order read.
    pub entities: Vec<CatalogEntity>,
    /// Every error and warning, sorted by file, line and column.
    pub problems: Vec<Problem>,
    /// The descriptor files read, in the order read.
    pub files_read: Vec<PathBuf>,
    /// How many (non-empty) YAML documents those files held.
    pub documents: usize,
}

impl CatalogLoad {
    /// Whether any problem is an error.
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(Problem::is_error)
    }

    /// The errors, in order.
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(|p| p.severity == Severity::Error)
    }

    /// The warnings, in order.
    pub fn warnings(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(|p| p.severity == Severity::Warning)
    }
}

const LOOKS_FOR: &str = "pavedroad reads `catalog-info.yaml` and any `*.yaml`/`*.yml` whose apiVersion is `backstage.io/...` or `paved.dev/...` (hidden directories, `node_modules` and `target` are skipped)";

/// Reads the descriptors at `paths` (files, or directories walked
/// recursively), follows their Location entities, and checks everything.
///
/// Never panics and never stops at a bad file: every problem is in
/// [`CatalogLoad::problems`], and every entity without an error is in
/// [`CatalogLoad::entities`].
pub fn load(paths: &[PathBuf], options: &LoadOptions) -> CatalogLoad {
    let mut loader = Loader::new(options);
    if paths.is_empty() {
        loader.problem(
            ProblemCode::NoDescriptors,
            "(no path)",
            "no file or directory was given".to_owned(),
            &format!("name a catalog file or directory; {LOOKS_FOR}"),
        );
    }
    for path in paths {
        loader.visit_given(path);
        loader.follow_locations();
    }
    loader.finish()
}

/// Whether a file found while walking is read for sure, or only if it
/// turns out to hold Backstage or pavedroad documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Discovery {
    /// Named on the command line, by a Location, or `catalog-info.yaml`.
    Named,
    /// Any other `*.yaml` found in a directory.
    Walked,
}

/// What became of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Read (or reported) as a descriptor file.
    Descriptor,
    /// Not a descriptor: silently left alone.
    Skipped,
}

/// What reading one file found, before the loader keeps any of it
/// ([`Loader::keep_file`]): made on any thread, so that a directory's files
/// are read and parsed side by side.
struct ReadFile {
    canonical: PathBuf,
    content: Content,
}

enum Content {
    /// A pipe, socket or device, never opened.
    NotRegular(&'static str),
    TooLarge {
        size: u64,
        looks_like_descriptor: bool,
    },
    Unreadable(io::Error),
    NotUtf8 {
        looks_like_descriptor: bool,
        pos: Pos,
        byte: u8,
    },
    /// Parsed, and its documents checked when it can be a descriptor file.
    Yaml {
        parsed: yaml::Parsed,
        is_catalog: bool,
        checked: Vec<Checked>,
    },
}

/// Reads, parses and checks `path` without touching the loader.
fn read_one(path: &Path, canonical: PathBuf, discovery: Discovery, max_bytes: u64) -> ReadFile {
    // Only regular files: opening a pipe would wait for a writer for ever,
    // and a device could be read without end.
    if let Ok(meta) = fs::metadata(path)
        && !meta.is_file()
    {
        return ReadFile { canonical, content: Content::NotRegular(file_kind(&meta)) };
    }
    let content = match read_bounded(path, max_bytes) {
        Err(ReadError::TooLarge(size)) => {
            Content::TooLarge { size, looks_like_descriptor: prefix_mentions_catalog_api_version(path) }
        }
        Err(ReadError::Io(e)) => Content::Unreadable(e),
        Ok(bytes) => {
            let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
            match std::str::from_utf8(bytes) {
                Err(e) => Content::NotUtf8 {
                    looks_like_descriptor: mentions_catalog_api_version(&String::from_utf8_lossy(bytes)),
                    pos: position_of_byte(bytes, e.valid_up_to()),
                    byte: bytes[e.valid_up_to()],
                },
                Ok(text) => {
                    let parsed = yaml::parse(text);
                    let is_catalog = is_catalog_file(&parsed, text);
                    let checked = if is_catalog || discovery == Discovery::Named {
                        let shown = path.display().to_string();
                        parsed.documents.iter().map(|doc| validate::check_document(doc, &shown)).collect()
                    } else {
                        Vec::new()
                    };
                    Content::Yaml { parsed, is_catalog, checked }
                }
            }
        }
    };
    ReadFile { canonical, content }
}

/// Files of one directory below this many are read on the calling thread.
const PARALLEL_FROM: usize = 16;

/// [`read_one`] for each of `files`, on as many threads as there are cores,
/// in the order given.
fn read_all(files: &[(PathBuf, Discovery)], max_bytes: u64) -> Vec<ReadFile> {
    let read = |(path, discovery): &(PathBuf, Discovery)| {
        let canonical = fs::canonicalize(path).unwrap_or_else(|_| path.clone());
        read_one(path, canonical, *discovery, max_bytes)
    };
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    if threads < 2 || files.len() < PARALLEL_FROM {
        return files.iter().map(read).collect();
    }
    let chunk = files.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> =
            files.chunks(chunk).map(|part| scope.spawn(move || part.iter().map(read).collect::<Vec<_>>())).collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    })
}

struct PendingTarget {
    checked: usize,
    location_file: String,
    location_type: Option<String>,
    target: String,
    pos: Pos,
}

struct Loader<'o> {
    options: &'o LoadOptions,
    problems: Vec<Problem>,
    files_read: Vec<PathBuf>,
    documents: usize,
    /// Canonical paths of the files read (or reported), so each is read once.
    seen_files: HashSet<PathBuf>,
    /// Canonical paths of the directories walked, so symlink loops end.
    seen_dirs: HashSet<PathBuf>,
    checked: Vec<Checked>,
    pending: VecDeque<PendingTarget>,
    /// Directory entries listed so far (at most `options.max_walked`).
    walked: usize,
    /// Set once the walk stopped at `options.max_walked`.
    walk_stopped: bool,
}

impl<'o> Loader<'o> {
    fn new(options: &'o LoadOptions) -> Self {
        Self {
            options,
            problems: Vec::new(),
            files_read: Vec::new(),
            documents: 0,
            seen_files: HashSet::new(),
            seen_dirs: HashSet::new(),
            checked: Vec::new(),
            pending: VecDeque::new(),
            walked: 0,
            walk_stopped: false,
        }
    }

    /// Counts `entries` more listed in `dir`; false (reported once) when
    /// that is past [`LoadOptions::max_walked`].
    fn may_walk(&mut self, dir: &Path, entries: usize) -> bool {
        if self.walk_stopped {
            return false;
        }
        self.walked += entries;
        if self.walked <= self.options.max_walked {
            return true;
        }
        self.walk_stopped = true;
        let shown = dir.display().to_string();
        self.problem(
            ProblemCode::UnreadableFile,
            &shown,
            format!(
                "the catalog's directories and globs list more than {} entries (the walk stopped at {shown})",
                self.options.max_walked
            ),
            "point the Locations at the catalog's own files or directories, or narrow their globs",
        );
        false
    }

    fn problem(&mut self, code: ProblemCode, file: &str, message: String, hint: &str) {
        self.problems.push(Problem {
            severity: Severity::Error,
            code,
            file: file.to_owned(),
            line: 0,
            column: 0,
            entity: None,
            message,
            hint: hint.to_owned(),
        });
    }

    fn visit_given(&mut self, path: &Path) {
        let shown = path.display().to_string();
        match fs::metadata(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => self.problem(
                ProblemCode::NotFound,
                &shown,
                format!("{shown} does not exist"),
                "check the path; it is read relative to the current directory",
            ),
            Err(e) => self.problem(
                ProblemCode::UnreadableFile,
                &shown,
                format!("cannot read {shown}: {e}"),
                "check the permissions of the path",
            ),
            Ok(meta) if meta.is_dir() => {
                if self.walk_dir(path) == Outcome::Skipped {
                    self.problem(
                        ProblemCode::NoDescriptors,
                        &shown,
                        format!("no catalog descriptor found in {shown}"),
                        LOOKS_FOR,
                    );
                }
            }
            Ok(_) => {
                self.read_file(path, Discovery::Named);
            }
        }
    }

    /// Walks `dir` in sorted order; `Descriptor` when anything in it was a
    /// descriptor (or was reported).
    fn walk_dir(&mut self, dir: &Path) -> Outcome {
        let canonical = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        if !self.seen_dirs.insert(canonical) {
            return Outcome::Descriptor;
        }
        let shown = dir.display().to_string();
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => {
                self.problem(
                    ProblemCode::UnreadableFile,
                    &shown,
                    format!("cannot list the directory {shown}: {e}"),
                    "check the permissions of the directory",
                );
                return Outcome::Descriptor;
            }
        };
        let mut names: Vec<std::ffi::OsString> = entries.filter_map(Result::ok).map(|e| e.file_name()).collect();
        if !self.may_walk(dir, names.len()) {
            return Outcome::Descriptor;
        }
        names.sort();
        // The directory's descriptor files are read and parsed side by side
        // first; they are then kept in order, between its subdirectories.
        let mut subdirs = Vec::new();
        let mut files = Vec::new();
        let mut order = Vec::with_capacity(names.len());
        for name in names {
            let text = name.to_string_lossy();
            let path = dir.join(&name);
            // Follows symlinks; a broken link is nothing to read.
            let Ok(meta) = fs::metadata(&path) else { continue };
            if meta.is_dir() {
                if text.starts_with('.') || text == "node_modules" || text == "target" {
                    continue;
                }
                order.push(true);
                subdirs.push(path);
            } else if text == "catalog-info.yaml" || text == "catalog-info.yml" {
                order.push(false);
                files.push((path, Discovery::Named));
            } else if has_yaml_extension(&text) {
                order.push(false);
                files.push((path, Discovery::Walked));
            }
        }
        let read = read_all(&files, self.options.max_file_bytes);
        let (mut subdirs, mut files) = (subdirs.into_iter(), files.into_iter().zip(read));
        let mut outcome = Outcome::Skipped;
        for is_dir in order {
            let found = if is_dir {
                let Some(path) = subdirs.next() else { continue };
                self.walk_dir(&path)
            } else {
                let Some(((path, discovery), file)) = files.next() else { continue };
                self.keep_file(&path, discovery, file)
            };
            if found == Outcome::Descriptor {
                outcome = Outcome::Descriptor;
            }
        }
        outcome
    }

    fn read_file(&mut self, path: &Path, discovery: Discovery) -> Outcome {
        let canonical = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if self.seen_files.contains(&canonical) {
            return Outcome::Descriptor;
        }
        let read = read_one(path, canonical, discovery, self.options.max_file_bytes);
        self.keep_file(path, discovery, read)
    }

    /// Records what reading `path` found (see [`read_one`]).
    fn keep_file(&mut self, path: &Path, discovery: Discovery, read: ReadFile) -> Outcome {
        let shown = path.display().to_string();
        let ReadFile { canonical, content } = read;
        if self.seen_files.contains(&canonical) {
            return Outcome::Descriptor;
        }
        let (parsed, checked) = match content {
            Content::NotRegular(kind) => {
                self.seen_files.insert(canonical);
                self.problem(
                    ProblemCode::UnreadableFile,
                    &shown,
                    format!("{shown} is not a regular file ({kind}); the catalog reads only regular files"),
                    "point at a descriptor file or a directory of them, not at a pipe, socket or device",
                );
                return Outcome::Descriptor;
            }
            Content::TooLarge { size, looks_like_descriptor } => {
                // Any large YAML found next to the catalog (a generated
                // OpenAPI file, Helm output) is no reason to fail: only a
                // file that starts like a descriptor is reported.
                if discovery == Discovery::Walked && !looks_like_descriptor {
                    return Outcome::Skipped;
                }
                self.seen_files.insert(canonical);
                self.problem(
                    ProblemCode::FileTooLarge,
                    &shown,
                    format!(
                        "{shown} is {size} bytes, more than the limit of {} bytes; it was not read",
                        self.options.max_file_bytes
                    ),
                    "split the descriptors into several smaller files (a Location can list them all)",
                );
                return Outcome::Descriptor;
            }
            Content::Unreadable(e) => {
                self.seen_files.insert(canonical);
                self.problem(
                    ProblemCode::UnreadableFile,
                    &shown,
                    format!("cannot read {shown}: {e}"),
                    "check that the file is readable by the user running pavedroad",
                );
                return Outcome::Descriptor;
            }
            Content::NotUtf8 { looks_like_descriptor, pos, byte } => {
                if discovery == Discovery::Walked && !looks_like_descriptor {
                    return Outcome::Skipped;
                }
                self.seen_files.insert(canonical);
                self.problems.push(Problem {
                    severity: Severity::Error,
                    code: ProblemCode::NotUtf8,
                    file: shown.clone(),
                    line: pos.line,
                    column: pos.column,
                    entity: None,
                    message: format!("{shown} is not UTF-8 text (invalid byte 0x{byte:02X})"),
                    hint: "save the file as UTF-8".to_owned(),
                });
                return Outcome::Descriptor;
            }
            Content::Yaml { is_catalog: false, .. } if discovery == Discovery::Walked => return Outcome::Skipped,
            Content::Yaml { parsed, checked, .. } => (parsed, checked),
        };
        self.seen_files.insert(canonical);
        self.files_read.push(path.to_path_buf());
        if let Some(error) = &parsed.error {
            self.problems.push(Problem {
                severity: Severity::Error,
                code: ProblemCode::YamlSyntax,
                file: shown.clone(),
                line: error.pos.line,
                column: error.pos.column,
                entity: None,
                message: if error.hint.is_some() {
                    format!("YAML beyond pavedroad's limits: {}", error.message)
                } else {
                    format!("invalid YAML: {}", error.message)
                },
                hint: error.hint.unwrap_or("check the indentation and quoting here; an unclosed `[`, `{` or quote above also ends here (documents before this one were still read)")
                    .to_owned(),
            });
        }
        if parsed.documents.is_empty() && parsed.error.is_none() && discovery == Discovery::Named {
            self.problem(
                ProblemCode::NoDescriptors,
                &shown,
                format!("{shown} holds no YAML document"),
                "add an entity (apiVersion, kind, metadata, spec), or remove the file",
            );
        }
        self.documents += parsed.documents.len();
        for checked in checked {
            if let Some(location) = &checked.location {
                for (target, pos) in &location.targets {
                    self.pending.push_back(PendingTarget {
                        checked: self.checked.len(),
                        location_file: shown.clone(),
                        location_type: location.location_type.clone(),
                        target: target.clone(),
                        pos: *pos,
                    });
                }
            }
            self.checked.push(checked);
        }
        Outcome::Descriptor
    }

    fn follow_locations(&mut self) {
        while let Some(pending) = self.pending.pop_front() {
            self.follow(pending);
        }
    }

    fn follow(&mut self, p: PendingTarget) {
        let target = p.target.trim();
        let scheme = target
            .split_once(':')
            .map(|(s, _)| s)
            .filter(|s| s.len() > 1 && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')));
        let not_local = match scheme {
            Some("file") => None,
            Some(s) => Some(format!("the {s} target `{target}` is not fetched")),
            None => match p.location_type.as_deref() {
                None | Some("file" | "url") => None,
                Some(t) => Some(format!("targets of type `{t}` are not followed (`{target}`)")),
            },
        };
        if let Some(message) = not_local {
            self.location_problem(
                &p,
                Severity::Warning,
                message,
                "pavedroad reads local files only; check the catalog out and point at the files, or list them in a local Location",
            );
            return;
        }
        if target.contains('\0') {
            self.location_problem(
                &p,
                Severity::Error,
                format!("the target `{}` holds a NUL character", target.replace('\0', "\\0")),
                "write the path of a file, a directory or a glob",
            );
            return;
        }
        let relative = target.strip_prefix("file://").or_else(|| target.strip_prefix("file:")).unwrap_or(target);
        let base = Path::new(&p.location_file).parent().unwrap_or(Path::new(""));
        let path = if Path::new(relative).is_absolute() {
            PathBuf::from(relative)
        } else {
            base.join(without_cur_dir(Path::new(relative)))
        };
        if relative.contains(['*', '?', '[', '{']) {
            self.follow_glob(&p, base, relative);
            return;
        }
        match fs::metadata(&path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => self.location_problem(
                &p,
                Severity::Error,
                format!("the target `{target}` does not exist (looked for {})", path.display()),
                "fix the path; relative targets are resolved from the directory of this Location's file",
            ),
            Err(e) => self.location_problem(
                &p,
                Severity::Error,
                format!("the target `{target}` cannot be read: {e}"),
                "check the permissions of the target",
            ),
            Ok(meta) if meta.is_dir() => {
                if self.walk_dir(&path) == Outcome::Skipped {
                    self.location_problem(
                        &p,
                        Severity::Error,
                        format!("the target directory `{target}` holds no catalog descriptor"),
                        LOOKS_FOR,
                    );
                }
            }
            Ok(_) => {
                self.read_file(&path, Discovery::Named);
            }
        }
    }

    /// A target such as `./services/*/catalog-info.yaml`.
    fn follow_glob(&mut self, p: &PendingTarget, base: &Path, pattern: &str) {
        let pattern_path = without_cur_dir(Path::new(pattern));
        let matcher = match globset::GlobBuilder::new(&pattern_path.to_string_lossy()).literal_separator(true).build() {
            Ok(glob) => glob.compile_matcher(),
            Err(e) => {
                self.location_problem(
                    p,
                    Severity::Error,
                    format!("the target `{pattern}` is not a valid glob: {}", e.kind()),
                    "write a glob such as `./services/*/catalog-info.yaml`",
                );
                return;
            }
        };
        // Walk from the longest directory prefix without glob characters.
        let fixed: PathBuf = pattern_path
            .components()
            .take_while(|c| !c.as_os_str().to_string_lossy().contains(['*', '?', '[', '{']))
            .collect();
        let root = if pattern_path.is_absolute() { fixed.clone() } else { base.join(&fixed) };
        let mut matches = Vec::new();
        let mut budget = self.options.max_walked.saturating_sub(self.walked);
        let complete = collect_files(&root, &fixed, &mut matches, &mut budget);
        let listed = self.options.max_walked.saturating_sub(self.walked) - budget;
        if !self.may_walk(&root, listed + usize::from(!complete)) {
            return;
        }
        matches.retain(|(relative, _)| matcher.is_match(relative));
        if matches.is_empty() {
            self.location_problem(
                p,
                Severity::Warning,
                format!("the target `{pattern}` matches no file"),
                "check the glob; relative targets are resolved from the directory of this Location's file",
            );
        }
        for (_, path) in matches {
            self.read_file(&path, Discovery::Named);
        }
    }

    fn location_problem(&mut self, p: &PendingTarget, severity: Severity, message: String, hint: &str) {
        let checked = &mut self.checked[p.checked];
        if severity == Severity::Error {
            checked.has_error = true;
        }
        self.problems.push(Problem {
            severity,
            code: ProblemCode::LocationTarget,
            file: p.location_file.clone(),
            line: p.pos.line,
            column: p.pos.column,
            entity: checked.entity_text.clone(),
            message,
            hint: hint.to_owned(),
        });
    }

    fn finish(mut self) -> CatalogLoad {
        self.check_catalog();
        let mut problems = self.problems;
        for checked in &mut self.checked {
            problems.append(&mut checked.problems);
        }
        problems.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
        let entities = self.checked.into_iter().filter(|c| !c.has_error).filter_map(|c| c.entity).collect();
        CatalogLoad { entities, problems, files_read: self.files_read, documents: self.documents }
    }

    /// Checks that need every entity: duplicates and dangling references.
    /// References count as resolved by any entity that was read, even one
    /// with errors of its own, so one mistake is reported once rather than
    /// again at every reference to it.
    fn check_catalog(&mut self) {
        let mut first_seen: HashMap<String, String> = HashMap::new();
        let mut by_name: HashMap<String, Vec<String>> = HashMap::new();
        let mut by_scope: HashMap<String, Vec<Candidate>> = HashMap::new();
        for checked in &mut self.checked {
            let Some(entity) = &checked.entity else { continue };
            let key = entity.entity_ref.key();
            let here = entity.source.to_string();
            match first_seen.get(&key) {
                Some(first) => {
                    checked.has_error = true;
                    checked.problems.push(Problem {
                        severity: Severity::Error,
                        code: ProblemCode::DuplicateEntity,
                        file: entity.source.file.clone(),
                        line: entity.source.line,
                        column: entity.source.column,
                        entity: Some(entity.entity_ref.to_string()),
                        message: format!("{} is defined twice; it was first defined at {first}", entity.entity_ref),
                        hint: "remove one of the two, or rename one (names are compared case-insensitively)".to_owned(),
                    });
                }
                None => {
                    first_seen.insert(key, here);
                    let name = entity.entity_ref.name().to_ascii_lowercase();
                    by_scope
                        .entry(scope_of(&entity.entity_ref))
                        .or_default()
                        .push(Candidate { name: name.chars().collect(), reference: entity.entity_ref.to_string() });
                    by_name.entry(name).or_default().push(entity.entity_ref.to_string());
                }
            }
        }
        // "Did you mean" hints, once per distinct missing entity.
        let mut suggestions: HashMap<String, Vec<String>> = HashMap::new();
        let mut budget = MAX_SUGGESTION_CELLS;
        for checked in &mut self.checked {
            let Some(entity) = &checked.entity else { continue };
            let file = entity.source.file.clone();
            for r in &checked.refs {
                if first_seen.contains_key(&r.target.key()) || self.options.known.contains(&r.target.key()) {
                    continue;
                }
                let (severity, code) = match r.dangling {
                    Dangling::Owner => (Severity::Error, ProblemCode::DanglingOwner),
                    Dangling::MemberOf => (Severity::Error, ProblemCode::DanglingMemberOf),
                    Dangling::DeployedComponent | Dangling::PagedNobody => {
                        (Severity::Error, ProblemCode::DanglingReference)
                    }
                    Dangling::Other => (Severity::Warning, ProblemCode::DanglingReference),
                };
                let similar = suggestions
                    .entry(r.target.key())
                    .or_insert_with(|| suggest(&r.target, &by_name, &by_scope, &mut budget))
                    .clone();
                let hint = match similar.as_slice() {
                    [_, ..] => format!("did you mean {}? write the full reference", similar.join(" or ")),
                    [] => format!(
                        "define {} in the catalog, or fix the reference (a bare name in {} means {}:{}/<name>)",
                        r.target,
                        r.field,
                        r.target.kind(),
                        r.target.namespace()
                    ),
                };
                if severity == Severity::Error {
                    checked.has_error = true;
                }
                checked.problems.push(Problem {
                    severity,
                    code,
                    file: file.clone(),
                    line: r.pos.line,
                    column: r.pos.column,
                    entity: Some(entity.entity_ref.to_string()),
                    message: format!("{} refers to {}, which is not in the catalog", r.field, r.target),
                    hint,
                });
            }
        }
    }
}

/// How far apart (in edits) a name may be from a missing one to be suggested.
const MAX_SUGGESTION_DISTANCE: usize = 2;

/// How many edit-distance cells the "did you mean" hints of one load may
/// compute in all. A catalog with thousands of dangling references to
/// thousands of similar names stops suggesting rather than taking minutes.
const MAX_SUGGESTION_CELLS: usize = 5_000_000;

/// An entity that a missing reference might have meant.
struct Candidate {
    /// The name, lower-cased.
    name: Vec<char>,
    /// `kind:namespace/name`.
    reference: String,
}

/// `kind:namespace`, the scope in which a typo of a name is looked for.
fn scope_of(r: &paved_domain::EntityRef) -> String {
    format!("{}:{}", r.kind(), r.namespace())
}

/// The entities a missing `target` may have meant: those of the same name
/// in another kind or namespace, or else those of the same kind and
/// namespace whose name is one or two edits away. Spends at most `budget`
/// edit-distance cells.
fn suggest(
    target: &paved_domain::EntityRef,
    by_name: &HashMap<String, Vec<String>>,
    by_scope: &HashMap<String, Vec<Candidate>>,
    budget: &mut usize,
) -> Vec<String> {
    let name: Vec<char> = target.name().to_ascii_lowercase().chars().collect();
    if let Some(same_name) = by_name.get(&name.iter().collect::<String>()) {
        return same_name.clone();
    }
    if name.len() <= 3 {
        return Vec::new();
    }
    let Some(candidates) = by_scope.get(&scope_of(target)) else { return Vec::new() };
    let mut row = Vec::new();
    let mut close = Vec::new();
    for candidate in candidates {
        if candidate.name.len().abs_diff(name.len()) > MAX_SUGGESTION_DISTANCE {
            continue;
        }
        let cells = (name.len() + 1) * (candidate.name.len() + 1);
        if cells > *budget {
            break;
        }
        *budget -= cells;
        if edit_distance_within(&name, &candidate.name, MAX_SUGGESTION_DISTANCE, &mut row).is_some() {
            close.push(candidate.reference.clone());
        }
    }
    close.sort();
    close
}

/// The Levenshtein distance of `a` and `b` when it is at most `max`, for
/// "did you mean" hints; stops as soon as it must be larger. `row` is
/// scratch space.
fn edit_distance_within(a: &[char], b: &[char], max: usize, row: &mut Vec<usize>) -> Option<usize> {
    row.clear();
    row.extend(0..=b.len());
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1).min(row[j] + 1).min(diagonal + usize::from(ca != cb));
            diagonal = above;
        }
        if row.iter().all(|&d| d > max) {
            return None;
        }
    }
    Some(row[b.len()]).filter(|&d| d <= max)
}

/// What a file that is neither a regular file nor a directory is.
fn file_kind(meta: &fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        let kind = meta.file_type();
        if kind.is_fifo() {
            return "a named pipe";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
    }
    let _ = meta;
    "not a file"
}

enum ReadError {
    TooLarge(u64),
    Io(io::Error),
}

/// Reads a file, checking its size from its metadata first so that a huge
/// file is never read into memory (and stopping at the limit in case it grows
/// while being read).
fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, ReadError> {
    let file = fs::File::open(path).map_err(ReadError::Io)?;
    let size = file.metadata().map_err(ReadError::Io)?.len();
    if size > max {
        return Err(ReadError::TooLarge(size));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(max.saturating_add(1)).read_to_end(&mut bytes).map_err(ReadError::Io)?;
    if bytes.len() as u64 > max {
        return Err(ReadError::TooLarge(bytes.len() as u64));
    }
    Ok(bytes)
}

/// How much of a walked file over the size limit is read to tell whether
/// it is a descriptor.
const SNIFF_BYTES: u64 = 64 * 1024;

/// Whether the first [`SNIFF_BYTES`] of `path` show a Backstage or pavedroad
/// apiVersion. A file that cannot be read counts, so its problem is reported.
fn prefix_mentions_catalog_api_version(path: &Path) -> bool {
    let mut prefix = Vec::new();
    let read = fs::File::open(path).and_then(|file| file.take(SNIFF_BYTES).read_to_end(&mut prefix));
    if read.is_err() {
        return true;
    }
    let prefix = prefix.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&prefix);
    mentions_catalog_api_version(&String::from_utf8_lossy(prefix))
}

fn has_yaml_extension(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".yaml") || lower.ends_with(".yml")
}

/// Whether a YAML file found while walking holds Backstage or pavedroad
/// documents. A file whose YAML is broken counts when its text shows such an
/// apiVersion, so its syntax error is reported rather than hidden.
fn is_catalog_file(parsed: &yaml::Parsed, text: &str) -> bool {
    let documents_say_so = parsed
        .documents
        .iter()
        .any(|d| d.root.get("apiVersion").and_then(yaml::Node::as_str).is_some_and(is_catalog_api_version));
    documents_say_so || (parsed.error.is_some() && mentions_catalog_api_version(text))
}

fn is_catalog_api_version(v: &str) -> bool {
    let v = v.trim();
    v.starts_with("backstage.io/") || v.starts_with("paved.dev/")
}

fn mentions_catalog_api_version(text: &str) -> bool {
    text.lines().any(|line| {
        line.trim_start()
            .strip_prefix("apiVersion:")
            .map(|v| v.trim().trim_matches(['"', '\'']))
            .is_some_and(is_catalog_api_version)
    })
}

/// The 1-based line and column (in characters) of byte `offset`.
fn position_of_byte(bytes: &[u8], offset: usize) -> Pos {
    let before = &bytes[..offset];
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
    Pos { line: u32::try_from(line).unwrap_or(u32::MAX), column: u32::try_from(column).unwrap_or(u32::MAX) }
}

/// `./a/./b` → `a/b`, so messages show the path a reader expects.
fn without_cur_dir(path: &Path) -> PathBuf {
    path.components().filter(|c| *c != Component::CurDir).collect()
}

/// Every file under `dir` (skipping hidden directories, `node_modules` and
/// `target`), with its path relative to the Location's directory, listing
/// at most `budget` entries (counted down); false when it stopped there.
fn collect_files(dir: &Path, relative: &Path, out: &mut Vec<(PathBuf, PathBuf)>, budget: &mut usize) -> bool {
    let Ok(entries) = fs::read_dir(dir) else { return true };
    let mut names: Vec<_> = entries.filter_map(Result::ok).map(|e| e.file_name()).collect();
    if names.len() > *budget {
        *budget = 0;
        return false;
    }
    *budget -= names.len();
    names.sort();
    for name in names {
        let path = dir.join(&name);
        let rel = relative.join(&name);
        let Ok(meta) = fs::symlink_metadata(&path) else { continue };
        if meta.is_dir() {
            let text = name.to_string_lossy();
            let skipped = text.starts_with('.') || text == "node_modules" || text == "target";
            if !skipped && !collect_files(&path, &rel, out, budget) {
                return false;
            }
        } else {
            out.push((rel, path));
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_location_that_targets_too_much_stops_with_an_error() {
        // As a Location targeting `/` would, found by fuzzing.
        let dir = tempfile::tempdir().unwrap();
        for i in 0..20 {
            std::fs::create_dir_all(dir.path().join(format!("d{i}"))).unwrap();
            std::fs::write(dir.path().join(format!("d{i}/notes.txt")), "not a descriptor").unwrap();
        }
        let location = "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: { name: all }\n\
                        spec: { targets: [./d0, './**/*.yaml'] }\n";
        std::fs::write(dir.path().join("catalog-info.yaml"), location).unwrap();
        let options = LoadOptions { max_walked: 10, ..LoadOptions::default() };
        let load = load(&[dir.path().join("catalog-info.yaml")], &options);
        let stopped: Vec<&Problem> =
            load.problems.iter().filter(|p| p.message.contains("list more than 10 entries")).collect();
        assert_eq!(stopped.len(), 1, "reported once: {:#?}", load.problems);
    }

    #[test]
    fn byte_offsets_become_lines_and_columns() {
        let text = "ab\ncdé\nf".as_bytes();
        assert_eq!(position_of_byte(text, 0), Pos { line: 1, column: 1 });
        assert_eq!(position_of_byte(text, 3), Pos { line: 2, column: 1 });
        // After `cdé`: three characters, four bytes.
        assert_eq!(position_of_byte(text, 7), Pos { line: 2, column: 4 });
    }

    #[test]
    fn api_versions_in_broken_yaml_are_still_recognised() {
        assert!(mentions_catalog_api_version("x: [\n  apiVersion: 'backstage.io/v1alpha1'\n"));
        assert!(!mentions_catalog_api_version("apiVersion: apps/v1\nkind: Deployment\n"));
    }

    #[test]
    fn edit_distances() {
        let distance = |a: &str, b: &str, max| {
            let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
            edit_distance_within(&a, &b, max, &mut Vec::new())
        };
        assert_eq!(distance("checkout", "chekout", 2), Some(1));
        assert_eq!(distance("payments", "payment", 2), Some(1));
        assert_eq!(distance("abc", "xyz", 3), Some(3));
        assert_eq!(distance("abc", "xyz", 2), None);
        assert_eq!(distance("", "ab", 2), Some(2));
        assert_eq!(distance("team-0001", "owner-0001", 2), None);
    }

    #[test]
    fn current_dir_components_are_dropped() {
        assert_eq!(without_cur_dir(Path::new("./a/./b.yaml")), PathBuf::from("a/b.yaml"));
        assert_eq!(without_cur_dir(Path::new("../a")), PathBuf::from("../a"));
    }
}
