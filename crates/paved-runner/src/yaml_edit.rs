//! Setting one value of a YAML file and nothing else.
//!
//! A serializer would rewrite the whole file (comments gone, keys reordered,
//! quotes changed) and make every gitops commit noisy. Instead, yaml-rust2's
//! event parser says where the value's scalar starts; its end is found from
//! its style (quoted, or plain up to a comment or the end of its line), and
//! the new value is spliced in between the untouched bytes. The result is
//! parsed again and must differ from the original in that one value only.

use std::panic::{AssertUnwindSafe, catch_unwind};

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Collections may nest at most this deep (the tree is built recursively).
const MAX_DEPTH: usize = 64;

/// What setting the value did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Edit {
    /// The value already was the version, written so that it reads back as
    /// that string: nothing to commit.
    Unchanged,
    /// The file's new text.
    Changed(String),
}

/// Why the value cannot be set. Each sentence names the key and says what
/// to change in the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum EditError {
    /// The file does not parse.
    #[error("it is not valid YAML ({message} at line {line}, column {column})")]
    Syntax { message: String, line: usize, column: usize },
    /// The key is not a dotted path.
    #[error("the key has an empty part; write it dotted, e.g. `image.tag`")]
    BadKey,
    /// A part of the key is not in the file.
    #[error("there is no `{missing}` {place}; add it to the file first (the runner changes a value, it adds no keys)")]
    Missing { missing: String, place: String },
    /// A part of the key is not a mapping.
    #[error("{path} is {found}, not a mapping, so it has no `{missing}`")]
    NotMapping { path: String, found: &'static str, missing: String },
    /// A part of the key is written twice.
    #[error("`{path}` is written twice in one mapping; keep one")]
    Duplicate { path: String },
    /// The key holds a mapping, a list or an alias.
    #[error("`{path}` holds {found}, not a single value")]
    NotScalar { path: String, found: &'static str },
    /// The value is written in a form the splice does not handle.
    #[error("`{path}` is {form}, which the runner does not rewrite; write it on one line, e.g. `tag: \"1.0\"`")]
    Unsupported { path: String, form: &'static str },
    /// The file nests deeper than [`MAX_DEPTH`].
    #[error("it nests collections more than 64 levels deep")]
    TooDeep,
    /// The spliced file did not read back as the original with one value
    /// changed (a bug here, not in the file).
    #[error(
        "changing `{path}` would have changed more of the file than its value, so the file was left alone; this is a bug in pavedroad, please report it with the file"
    )]
    Unverified { path: String },
}

/// A node of the document, with what the edit needs of its scalars.
enum Node {
    Scalar { value: String, style: TScalarStyle, start: Marker, event: usize },
    Alias,
    Seq,
    Map(Vec<(Node, Node)>),
}

impl Node {
    fn kind(&self) -> &'static str {
        match self {
            Node::Scalar { value, style: TScalarStyle::Plain, .. } if value.is_empty() => "empty",
            Node::Scalar { .. } => "a single value",
            Node::Alias => "an alias (`*name`)",
            Node::Seq => "a list",
            Node::Map(_) => "a mapping",
        }
    }
}

/// `text` with the value at the dotted `key` set to the string `version`.
/// The key is looked up in the first document that has it.
pub(crate) fn set_value(text: &str, key: &str, version: &str) -> Result<Edit, EditError> {
    let parts: Vec<&str> = key.split('.').collect();
    if parts.iter().any(|part| part.trim().is_empty()) {
        return Err(EditError::BadKey);
    }
    let events = parse(text)?;
    let roots = documents(&events)?;
    let mut first_missing = None;
    let mut target = None;
    for root in &roots {
        match find(root, &parts) {
            Ok(node) => {
                target = Some(node);
                break;
            }
            Err(missing @ EditError::Missing { .. }) => {
                first_missing.get_or_insert(missing);
            }
            Err(other) => return Err(other),
        }
    }
    let Some(target) = target else {
        return Err(first_missing.unwrap_or_else(|| EditError::Missing {
            missing: parts[0].to_owned(),
            place: "in the file, which holds no YAML document".to_owned(),
        }));
    };
    let Node::Scalar { value, style, start, event } = target else {
        return Err(EditError::NotScalar { path: key.to_owned(), found: target.kind() });
    };
    let unsupported = |form| EditError::Unsupported { path: key.to_owned(), form };
    match style {
        TScalarStyle::Literal | TScalarStyle::Folded => return Err(unsupported("a block scalar (`|` or `>`)")),
        // An empty value's position is where the next token starts.
        TScalarStyle::Plain if value.is_empty() => return Err(unsupported("empty")),
        _ => {}
    }
    if value == version && (*style != TScalarStyle::Plain || reads_back_plain(version)) {
        return Ok(Edit::Unchanged);
    }
    let unverified = || EditError::Unverified { path: key.to_owned() };
    let begin = byte_offset(text, start.index()).ok_or_else(unverified)?;
    let length = scalar_length(&text[begin..], *style, value)
        .ok_or_else(|| unsupported("a value written over several lines"))?;
    let replacement = match style {
        TScalarStyle::SingleQuoted if !version.chars().any(char::is_control) => single_quoted(version),
        TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted => double_quoted(version),
        _ if reads_back_plain(version) => version.to_owned(),
        _ => double_quoted(version),
    };
    let edited = format!("{}{replacement}{}", &text[..begin], &text[begin + length..]);
    if !only_value_changed(&events, *event, &edited, version) {
        return Err(unverified());
    }
    Ok(Edit::Changed(edited))
}

/// Every event of `text` with where it starts.
fn parse(text: &str) -> Result<Vec<(Event, Marker)>, EditError> {
    let parsed = catch_unwind(AssertUnwindSafe(|| {
        let mut parser = Parser::new_from_str(text);
        let mut events = Vec::new();
        loop {
            let (event, mark) = parser.next_token().map_err(|error| EditError::Syntax {
                message: error.info().to_owned(),
                line: error.marker().line(),
                // yaml-rust2 0.10 counts lines from 1 and columns from 0.
                column: error.marker().col() + 1,
            })?;
            let end = event == Event::StreamEnd;
            events.push((event, mark));
            if end {
                return Ok(events);
            }
        }
    }));
    parsed.unwrap_or_else(|_| {
        Err(EditError::Syntax { message: "the YAML parser gave up on it".to_owned(), line: 1, column: 1 })
    })
}

/// The root node of each document.
fn documents(events: &[(Event, Marker)]) -> Result<Vec<Node>, EditError> {
    let mut roots = Vec::new();
    let mut next = 0;
    while let Some((event, _)) = events.get(next) {
        next += 1;
        if *event == Event::DocumentStart {
            roots.push(node(events, &mut next, 0)?);
        }
    }
    Ok(roots)
}

fn node(events: &[(Event, Marker)], next: &mut usize, depth: usize) -> Result<Node, EditError> {
    if depth > MAX_DEPTH {
        return Err(EditError::TooDeep);
    }
    let index = *next;
    let truncated = || EditError::Syntax { message: "the document ends early".to_owned(), line: 1, column: 1 };
    let (event, mark) = events.get(index).ok_or_else(truncated)?;
    *next += 1;
    match event {
        Event::Scalar(value, style, ..) => {
            Ok(Node::Scalar { value: value.clone(), style: *style, start: *mark, event: index })
        }
        Event::Alias(_) => Ok(Node::Alias),
        Event::SequenceStart(..) => {
            while events.get(*next).ok_or_else(truncated)?.0 != Event::SequenceEnd {
                node(events, next, depth + 1)?;
            }
            *next += 1;
            Ok(Node::Seq)
        }
        Event::MappingStart(..) => {
            let mut entries = Vec::new();
            while events.get(*next).ok_or_else(truncated)?.0 != Event::MappingEnd {
                let key = node(events, next, depth + 1)?;
                let value = node(events, next, depth + 1)?;
                entries.push((key, value));
            }
            *next += 1;
            Ok(Node::Map(entries))
        }
        _ => Err(EditError::Syntax {
            message: format!("unexpected {event:?}"),
            line: mark.line(),
            column: mark.col() + 1,
        }),
    }
}

/// The node at the dotted path `parts` under `root`.
fn find<'a>(root: &'a Node, parts: &[&str]) -> Result<&'a Node, EditError> {
    let mut current = root;
    for (depth, part) in parts.iter().enumerate() {
        let walked = parts[..depth].join(".");
        let place = if depth == 0 { "at the top level".to_owned() } else { format!("under `{walked}`") };
        let entries = match current {
            Node::Map(entries) => entries,
            Node::Scalar { value, style: TScalarStyle::Plain, .. } if depth == 0 && value.is_empty() => {
                return Err(EditError::Missing { missing: (*part).to_owned(), place });
            }
            other => {
                let path = if depth == 0 { "the document".to_owned() } else { format!("`{walked}`") };
                return Err(EditError::NotMapping { path, found: other.kind(), missing: (*part).to_owned() });
            }
        };
        let mut found = entries.iter().filter(|(key, _)| matches!(key, Node::Scalar { value, .. } if value == part));
        let Some((_, value)) = found.next() else {
            return Err(EditError::Missing { missing: (*part).to_owned(), place });
        };
        if found.next().is_some() {
            return Err(EditError::Duplicate { path: parts[..=depth].join(".") });
        }
        current = value;
    }
    Ok(current)
}

/// The byte offset of the `chars`th character (yaml-rust2 counts characters).
fn byte_offset(text: &str, chars: usize) -> Option<usize> {
    text.char_indices().map(|(offset, _)| offset).chain([text.len()]).nth(chars)
}

/// How many bytes the scalar at the start of `rest` takes, or `None` when it
/// is not written on one line.
fn scalar_length(rest: &str, style: TScalarStyle, value: &str) -> Option<usize> {
    match style {
        TScalarStyle::DoubleQuoted => {
            let mut chars = rest.char_indices();
            if chars.next()?.1 != '"' {
                return None;
            }
            while let Some((offset, c)) = chars.next() {
                match c {
                    '\\' => {
                        chars.next();
                    }
                    '"' => return Some(offset + 1),
                    '\n' => return None,
                    _ => {}
                }
            }
            None
        }
        TScalarStyle::SingleQuoted => {
            let mut chars = rest.char_indices().peekable();
            if chars.next()?.1 != '\'' {
                return None;
            }
            while let Some((offset, c)) = chars.next() {
                match c {
                    '\'' if chars.peek().is_some_and(|&(_, next)| next == '\'') => {
                        chars.next();
                    }
                    '\'' => return Some(offset + 1),
                    '\n' => return None,
                    _ => {}
                }
            }
            None
        }
        _ => {
            let line = &rest[..rest.find('\n').unwrap_or(rest.len())];
            let before_comment = [" #", "\t#"].iter().filter_map(|mark| line.find(mark)).min().unwrap_or(line.len());
            let written = line[..before_comment].trim_end_matches([' ', '\t', '\r']);
            if written == value {
                return Some(written.len());
            }
            // In a flow collection (`{tag: 1.0, pull: always}`) the value
            // ends where the collection's punctuation starts.
            let after = written.strip_prefix(value)?;
            after.trim_start().starts_with([',', ']', '}']).then_some(value.len())
        }
    }
}

/// Whether `edited` parses into the same events as the original, except the
/// scalar at `index`, which now holds `version` with its anchor and tag.
fn only_value_changed(original: &[(Event, Marker)], index: usize, edited: &str, version: &str) -> bool {
    let Ok(events) = parse(edited) else {
        return false;
    };
    events.len() == original.len()
        && original.iter().zip(&events).enumerate().all(|(i, ((before, _), (after, _)))| match (before, after) {
            (Event::Scalar(_, _, anchor, tag), Event::Scalar(value, _, new_anchor, new_tag)) if i == index => {
                value == version && anchor == new_anchor && tag == new_tag
            }
            _ => before == after,
        })
}

/// Whether `value` written without quotes reads back as that string, in
/// YAML 1.2 and in the YAML 1.1 that Helm and many Go tools still read
/// (where `yes`, `on` and `2024-01-01` are not strings). Deliberately narrow:
/// anything else is quoted, which is never wrong.
fn reads_back_plain(value: &str) -> bool {
    const WORDS: [&str; 11] = ["y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf"];
    let Some(first) = value.chars().next() else {
        return false;
    };
    let safe = value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+' | '/'));
    if !safe || WORDS.contains(&value.to_ascii_lowercase().as_str()) {
        return false;
    }
    // A leading letter cannot start a number; a leading digit is a string
    // only with two dots or more (`1.4.2`, never `1.10` or `2024-01-01`).
    first.is_ascii_alphabetic() || (first.is_ascii_digit() && value.matches('.').count() >= 2)
}

fn single_quoted(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

fn double_quoted(value: &str) -> String {
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('"');
    for c in value.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if c.is_control() => quoted.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALUES: &str = "\
# Values for checkout-api (managed by pavedroad: only image.tag changes)
replicas: 3   # scaled by hand
image:
  repository: 'registry.example/checkout-api'
  # the version deployed
  tag: v1.4.1 # bumped by deploys
  pullPolicy: \"IfNotPresent\"
env:
  - name: MODE
    value: \"1.10\"
";

    fn changed(text: &str, key: &str, version: &str) -> String {
        match set_value(text, key, version) {
            Ok(Edit::Changed(text)) => text,
            other => panic!("expected a change, got {other:?}"),
        }
    }

    #[test]
    fn only_the_value_changes_and_comments_stay() {
        let edited = changed(VALUES, "image.tag", "v1.5.0");
        assert_eq!(edited, VALUES.replace("tag: v1.4.1 #", "tag: v1.5.0 #"));
    }

    #[test]
    fn a_version_that_would_read_as_a_number_is_quoted() {
        assert!(changed(VALUES, "image.tag", "1.10").contains("  tag: \"1.10\" # bumped by deploys\n"));
        assert!(changed(VALUES, "image.tag", "true").contains("  tag: \"true\" #"));
        assert!(changed(VALUES, "image.tag", "2024-01-01").contains("  tag: \"2024-01-01\" #"));
        assert!(changed(VALUES, "image.tag", "1.4.2").contains("  tag: 1.4.2 #"));
    }

    #[test]
    fn a_quoted_value_keeps_its_quotes() {
        assert!(changed(VALUES, "image.repository", "it's").contains("  repository: 'it''s'\n"));
        assert!(changed(VALUES, "image.pullPolicy", "Always").contains("  pullPolicy: \"Always\"\n"));
        assert!(changed(VALUES, "image.pullPolicy", "say \"hi\"").contains(r#"  pullPolicy: "say \"hi\"""#));
    }

    #[test]
    fn the_same_version_changes_nothing() {
        assert_eq!(set_value(VALUES, "image.tag", "v1.4.1"), Ok(Edit::Unchanged));
        // `1.10` written plain is the number 1.1, not the string: quote it.
        let plain = "tag: 1.10\n";
        assert_eq!(changed(plain, "tag", "1.10"), "tag: \"1.10\"\n");
        assert_eq!(set_value("tag: \"1.10\"\n", "tag", "1.10"), Ok(Edit::Unchanged));
    }

    #[test]
    fn text_before_the_value_may_be_any_unicode() {
        let text = "# déployé par pavedroad — ✓\nimage: {tag: v1, pull: always}\n";
        assert_eq!(changed(text, "image.tag", "v2"), text.replace("tag: v1,", "tag: v2,"));
    }

    #[test]
    fn crlf_line_endings_stay() {
        let text = "image:\r\n  tag: v1\r\n  name: x\r\n";
        assert_eq!(changed(text, "image.tag", "v2"), "image:\r\n  tag: v2\r\n  name: x\r\n");
    }

    #[test]
    fn a_missing_key_is_named_and_nothing_is_invented() {
        let error = set_value(VALUES, "image.digest", "sha256:abc").err().map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some(
                "there is no `digest` under `image`; add it to the file first (the runner changes a value, it adds no keys)"
            )
        );
        let error = set_value(VALUES, "chart.tag", "v1").err().map(|e| e.to_string());
        assert!(error.is_some_and(|e| e.contains("no `chart` at the top level")));
    }

    #[test]
    fn keys_that_are_not_values_are_refused() {
        assert!(matches!(set_value(VALUES, "image", "v1"), Err(EditError::NotScalar { found: "a mapping", .. })));
        assert!(matches!(
            set_value(VALUES, "replicas.tag", "v1"),
            Err(EditError::NotMapping { found: "a single value", .. })
        ));
        assert!(matches!(set_value(VALUES, "env.name", "v1"), Err(EditError::NotMapping { found: "a list", .. })));
        assert!(matches!(
            set_value("tag: |\n  v1\n", "tag", "v2"),
            Err(EditError::Unsupported { form: "a block scalar (`|` or `>`)", .. })
        ));
        assert!(matches!(
            set_value("tag: a\n  b\n", "tag", "v2"),
            Err(EditError::Unsupported { form: "a value written over several lines", .. })
        ));
        assert!(matches!(set_value("tag:\nx: 1\n", "tag", "v2"), Err(EditError::Unsupported { form: "empty", .. })));
        assert!(matches!(set_value("a: b\na: c\n", "a", "v2"), Err(EditError::Duplicate { .. })));
        assert!(matches!(set_value("a: [\n", "a", "v2"), Err(EditError::Syntax { .. })));
        assert_eq!(set_value(VALUES, "image..tag", "v2"), Err(EditError::BadKey));
    }

    #[test]
    fn the_first_document_with_the_key_is_edited() {
        let text = "kind: a\n---\nimage:\n  tag: v1\n";
        assert_eq!(changed(text, "image.tag", "v2"), "kind: a\n---\nimage:\n  tag: v2\n");
    }

    #[test]
    fn anchors_and_tags_are_kept() {
        assert_eq!(changed("tag: &t !!str v1\nother: *t\n", "tag", "v2"), "tag: &t !!str v2\nother: *t\n");
    }
}
