//! Rendering as Backstage's scaffolder does: `${{ expression }}` for values
//! and Nunjucks-style `{% if %}`/`{% for %}` blocks, with minijinja
//! configured with those delimiters. A skeleton directory renders into
//! files whose names are templated too; files matching
//! `copyWithoutTemplating` (and any that is not UTF-8 text) are copied as
//! they are. A step's input renders string by string, and a string that is
//! one expression alone keeps the expression's type (a list stays a list).

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use globset::GlobSet;
use minijinja::value::Serde;
use minijinja::{Environment, syntax::SyntaxConfig};
use serde_json::Value;

/// One rendered file, by its path in the new repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    /// Its contents.
    pub bytes: Vec<u8>,
    /// Whether it is executable (kept from the skeleton).
    pub executable: bool,
}

/// The files a run writes, by path (`/`-separated, relative).
pub type Workspace = BTreeMap<String, RenderedFile>;

/// What went wrong, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{at}: {message}")]
pub struct RenderError {
    /// The file (and line) or the input field.
    pub at: String,
    /// What is wrong.
    pub message: String,
}

/// How much work one rendering may do (minijinja's fuel: instructions
/// run and output written), far beyond any real file or input.
const FUEL: u64 = 2_000_000;

/// The most a template prints of one value.
const MAX_PRINTED_BYTES: usize = 1 << 20;

/// Counts what is written, and fails past [`MAX_PRINTED_BYTES`].
struct Measure(usize);

impl std::fmt::Write for Measure {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        self.0 += text.len();
        if self.0 > MAX_PRINTED_BYTES { Err(std::fmt::Error) } else { Ok(()) }
    }
}

/// The largest value one `${{ expression }}` input may give, as JSON.
const MAX_VALUE_BYTES: usize = 1 << 20;

/// `value` as JSON, refused past [`MAX_VALUE_BYTES`]: a lazy value
/// (`[[x]] * 7000 * 7000`) is written out item by item and stopped there,
/// never held whole.
fn bounded_json(value: &minijinja::Value) -> Result<Value, String> {
    struct Bounded {
        bytes: Vec<u8>,
        overflowed: bool,
    }
    impl std::io::Write for Bounded {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            if self.bytes.len() + bytes.len() > MAX_VALUE_BYTES {
                self.overflowed = true;
                return Err(std::io::Error::other("too large"));
            }
            self.bytes.extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut out = Bounded { bytes: Vec::new(), overflowed: false };
    match serde_json::to_writer(&mut out, value) {
        Ok(()) => serde_json::from_slice(&out.bytes).map_err(|error| error.to_string()),
        Err(_) if out.overflowed => Err(format!("the expression's value is larger than {} MiB", MAX_VALUE_BYTES >> 20)),
        Err(error) => Err(error.to_string()),
    }
}

/// The template engine with Backstage's delimiters.
pub struct Renderer {
    env: Environment<'static>,
}

impl Default for Renderer {
    fn default() -> Self {
        Self::new()
    }
}

impl Renderer {
    /// An engine reading `${{ }}`, `{% %}` and `{# #}`, keeping a file's
    /// last newline.
    pub fn new() -> Self {
        let mut env = Environment::new();
        let syntax = SyntaxConfig::builder()
            .variable_delimiters("${{", "}}")
            .block_delimiters("{%", "%}")
            .comment_delimiters("{#", "#}")
            .keep_trailing_newline(true)
            .build()
            .expect("Backstage's delimiters are distinct");
        env.set_syntax(syntax);
        // A template is code a platform team wrote, run in the server: it
        // may not loop or print without end (found by fuzzing).
        env.set_fuel(Some(FUEL));
        // A value is printed whole before fuel counts it: measure it first,
        // and refuse one that would print past a megabyte (a list of lazy
        // lists, `${{ 382 * [1, 77382 * [1]] }}`) instead of writing it out.
        env.set_formatter(|out, state, value| {
            use std::fmt::Write as _;
            // The length first: a formatter that failed still walks the
            // rest of a list, which for 40 million lazy items takes seconds.
            let too_many = value.len().is_some_and(|len| len > MAX_PRINTED_BYTES);
            if too_many || write!(Measure(0), "{value}").is_err() {
                return Err(minijinja::Error::new(
                    minijinja::ErrorKind::InvalidOperation,
                    format!("a value longer than {} MiB is too long to print", MAX_PRINTED_BYTES >> 20),
                ));
            }
            minijinja::escape_formatter(out, state, value)
        });
        Self { env }
    }

    /// `text` rendered with `context`; `at` names it in an error.
    ///
    /// # Errors
    /// A syntax error or a failing expression, with its line.
    pub fn string(&self, text: &str, context: &Value, at: &str) -> Result<String, RenderError> {
        self.env.render_str(text, Serde(context)).map_err(|error| render_error(at, &error))
    }

    /// A step's input with every string rendered; one that is a single
    /// `${{ expression }}` becomes the expression's value.
    ///
    /// # Errors
    /// The first failing string, named by its field.
    pub fn input(&self, input: &Value, context: &Value, at: &str) -> Result<Value, RenderError> {
        Ok(match input {
            Value::String(text) => match lone_expression(text) {
                Some(expression) => {
                    let compiled = self.env.compile_expression(expression).map_err(|error| render_error(at, &error))?;
                    let value = compiled.eval(Serde(context)).map_err(|error| render_error(at, &error))?;
                    if value.is_undefined() {
                        Value::Null
                    } else {
                        bounded_json(&value).map_err(|message| RenderError { at: at.to_owned(), message })?
                    }
                }
                None => Value::String(self.string(text, context, at)?),
            },
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| self.input(item, context, &format!("{at}[{i}]")))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(key, item)| Ok((key.clone(), self.input(item, context, &format!("{at}.{key}"))?)))
                    .collect::<Result<_, RenderError>>()?,
            ),
            other => other.clone(),
        })
    }

    /// Every file under `skeleton`, its path and (unless `plain` or
    /// matched by `verbatim`) its contents rendered with `values` (as
    /// `values.*`), placed under `target` in `into`. A path that renders
    /// empty, or out of the repository, is an error.
    ///
    /// # Errors
    /// A file that cannot be read, or a render error naming the file and
    /// its line.
    pub fn tree(
        &self,
        skeleton: &Path,
        values: &Value,
        plain: bool,
        verbatim: &GlobSet,
        target: &str,
        into: &mut Workspace,
    ) -> Result<(), RenderError> {
        let context = serde_json::json!({ "values": values });
        let mut files = Vec::new();
        walk(skeleton, skeleton, &mut files)?;
        for relative in files {
            let shown = format!("{}/{}", skeleton.display(), relative);
            let source = skeleton.join(&relative);
            let bytes = std::fs::read(&source)
                .map_err(|error| RenderError { at: shown.clone(), message: format!("cannot be read ({error})") })?;
            let executable = is_executable(&source);
            let path = if plain { relative.clone() } else { self.string(&relative, &context, &shown)? };
            let path = checked_path(target, &path).ok_or_else(|| RenderError {
                at: shown.clone(),
                message: format!("its name renders as `{path}`, which is not a path inside the new repository"),
            })?;
            let copy = plain || verbatim.is_match(&relative) || verbatim.is_match(&path);
            let bytes = match (copy, String::from_utf8(bytes)) {
                (false, Ok(text)) => self.string(&text, &context, &shown)?.into_bytes(),
                (_, Ok(text)) => text.into_bytes(),
                (_, Err(binary)) => binary.into_bytes(),
            };
            into.insert(path, RenderedFile { bytes, executable });
        }
        Ok(())
    }
}

/// The expression of a string that is `${{ expression }}` and nothing
/// else.
fn lone_expression(text: &str) -> Option<&str> {
    let inner = text.trim().strip_prefix("${{")?.strip_suffix("}}")?;
    (!inner.contains("${{") && !inner.contains("}}")).then_some(inner.trim())
}

fn render_error(at: &str, error: &minijinja::Error) -> RenderError {
    let line = error.line().map(|line| format!(":{line}")).unwrap_or_default();
    let detail = error.detail().map(|d| format!(": {d}")).unwrap_or_default();
    RenderError { at: format!("{at}{line}"), message: format!("{}{detail}", error.kind()) }
}

/// `target/path` normalised, or `None` when it leaves the repository, is
/// empty or reaches into `.git`.
fn checked_path(target: &str, path: &str) -> Option<String> {
    let joined = PathBuf::from(target.trim_start_matches('/')).join(path);
    let mut parts: Vec<String> = Vec::new();
    for component in joined.components() {
        match component {
            Component::Normal(part) => {
                let part = part.to_str()?;
                if part == ".git" {
                    return None;
                }
                parts.push(part.to_owned());
            }
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    // A directory whose name rendered empty leaves an empty part: refused.
    if parts.is_empty() || path.split('/').any(str::is_empty) {
        return None;
    }
    Some(parts.join("/"))
}

/// The files under `dir`, relative to `root`, `/`-separated, in order.
fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), RenderError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|error| RenderError { at: dir.display().to_string(), message: format!("cannot be read ({error})") })?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|entry| entry.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            walk(root, &path, out)?;
        } else if let Ok(relative) = path.strip_prefix(root) {
            let parts: Vec<&str> = relative.components().filter_map(|c| c.as_os_str().to_str()).collect();
            out.push(parts.join("/"));
        }
    }
    Ok(())
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(_: &Path) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn globs(list: &[&str]) -> GlobSet {
        let mut set = globset::GlobSetBuilder::new();
        for glob in list {
            set.add(globset::Glob::new(glob).unwrap());
        }
        set.build().unwrap()
    }

    #[test]
    fn endless_loops_and_huge_values_are_refused_not_run() {
        // Both found by fuzzing: a loop of 10^10 iterations, and a list of
        // 54 million items made lazily and then written out.
        let renderer = Renderer::new();
        let context = json!({ "values": {} });
        let endless = "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}";
        let error = renderer.string(endless, &context, "skeleton/README.md").unwrap_err();
        assert!(error.message.contains("fuel"), "{error}");
        let huge = json!("${{- 7388*- 7388*[[z]]}}");
        let error = renderer.input(&huge, &context, "steps[0].input.list").unwrap_err();
        assert_eq!(error.to_string(), "steps[0].input.list: the expression's value is larger than 1 MiB");
        let long = renderer.string("${{ 40000000 * [8] }}", &context, "skeleton/list.txt").unwrap_err();
        assert!(long.message.contains("longer than 1 MiB is too long to print"), "{long}");
        let nested = renderer.string("${{ 382 * [60, 77382 * [60, 77]] }}", &context, "x").unwrap_err();
        assert!(nested.message.contains("too long to print"), "{nested}");
        assert_eq!(renderer.string("${{ [1, 2] * 2 }}", &context, "x").unwrap(), "[1, 2, 1, 2]");
        let fine = renderer.input(&json!("${{ [1, 2] * 3 }}"), &context, "x").unwrap();
        assert_eq!(fine, json!([1, 2, 1, 2, 1, 2]));
    }

    #[test]
    fn backstage_delimiters_blocks_and_names_render_and_verbatim_files_are_copied() {
        let dir = tempfile::tempdir().unwrap();
        let skeleton = dir.path();
        std::fs::create_dir_all(skeleton.join("${{ values.name }}_pkg")).unwrap();
        std::fs::write(
            skeleton.join("${{ values.name }}_pkg/main.py"),
            "NAME = \"${{ values.name }}\"\n{% if values.http %}PORT = ${{ values.port }}\n{% endif %}{% for e in values.envs %}# ${{ e }}\n{% endfor %}",
        )
        .unwrap();
        std::fs::create_dir_all(skeleton.join(".github/workflows")).unwrap();
        std::fs::write(skeleton.join(".github/workflows/ci.yaml"), "run: echo ${{ github.sha }}\n").unwrap();
        std::fs::write(skeleton.join("logo.bin"), [0xff, 0xfe, 0x00]).unwrap();
        let values = json!({ "name": "ledger", "http": true, "port": 8080, "envs": ["staging", "production"] });
        let mut into = Workspace::new();
        Renderer::new().tree(skeleton, &values, false, &globs(&[".github/workflows/*"]), "", &mut into).unwrap();
        let paths: Vec<&str> = into.keys().map(String::as_str).collect();
        assert_eq!(paths, [".github/workflows/ci.yaml", "ledger_pkg/main.py", "logo.bin"]);
        assert_eq!(
            String::from_utf8(into["ledger_pkg/main.py"].bytes.clone()).unwrap(),
            "NAME = \"ledger\"\nPORT = 8080\n# staging\n# production\n"
        );
        assert_eq!(into[".github/workflows/ci.yaml"].bytes, b"run: echo ${{ github.sha }}\n", "copied as it is");
        assert_eq!(into["logo.bin"].bytes, [0xff, 0xfe, 0x00], "binary copied");
    }

    #[test]
    fn errors_name_the_file_and_line_and_names_cannot_leave_the_repository() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "ok\n{% if %}\n").unwrap();
        let mut into = Workspace::new();
        let error = Renderer::new().tree(dir.path(), &json!({}), false, &globs(&[]), "", &mut into).unwrap_err();
        assert!(error.at.ends_with("a.txt:2"), "{error}");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("${{ values.name }}"), "x").unwrap();
        let escaped = Renderer::new()
            .tree(dir.path(), &json!({ "name": "../../etc/passwd" }), false, &globs(&[]), "", &mut into)
            .unwrap_err();
        assert!(escaped.message.contains("not a path inside the new repository"), "{escaped}");
        assert_eq!(checked_path("", ".git/config"), None);
        assert_eq!(checked_path("sub", "./a/b"), Some("sub/a/b".to_owned()));
    }

    #[test]
    fn a_lone_expression_keeps_its_type_and_text_is_rendered() {
        let context = json!({ "parameters": { "name": "ledger", "tags": ["a", "b"], "port": 8080 } });
        let input = json!({
            "tags": "${{ parameters.tags }}",
            "port": "${{ parameters.port }}",
            "title": "The ${{ parameters.name }} service",
            "missing": "${{ parameters.nothing }}",
        });
        let rendered = Renderer::new().input(&input, &context, "input").unwrap();
        assert_eq!(
            rendered,
            json!({ "tags": ["a", "b"], "port": 8080, "title": "The ledger service", "missing": null })
        );
    }
}
