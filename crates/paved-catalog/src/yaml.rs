//! A YAML tree that remembers where every key and value was written.
//!
//! yaml-rust2's own `Yaml` type drops positions, so the event parser feeds a
//! small receiver that builds [`Node`]s with 1-based line and column. The tree
//! is then converted to `serde_json::Value` for `CatalogEntity::document`.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Aliases may expand a document to at most this many nodes: a "billion
/// laughs" file of a few hundred bytes must not exhaust memory.
const MAX_EXPANDED_NODES: usize = 1_000_000;

/// Aliases may expand a document by at most this many bytes of scalar text
/// (keys and strings): a few aliases of one long string would otherwise copy
/// gigabytes while staying far under [`MAX_EXPANDED_NODES`].
const MAX_EXPANDED_BYTES: usize = 64 * 1024 * 1024;

/// Collections may nest at most this deep, aliases included. The tree is
/// walked recursively (conversion to JSON, drop), so an unbounded depth
/// (`- - - - ...` on one long line) would overflow the stack; and the stored
/// `CatalogEntity` JSON, which holds the document two levels down, must stay
/// well under serde_json's limit of 128 levels when it is read back. No
/// descriptor comes close.
pub(crate) const MAX_DEPTH: usize = 64;

/// A 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) struct Pos {
    pub line: u32,
    pub column: u32,
}

impl Pos {
    fn from_marker(mark: &Marker) -> Self {
        // yaml-rust2 0.10 counts lines from 1 and columns from 0.
        Self {
            line: u32::try_from(mark.line()).unwrap_or(u32::MAX),
            column: u32::try_from(mark.col()).unwrap_or(u32::MAX).saturating_add(1),
        }
    }
}

/// A YAML value with the position it was written at.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub value: Value,
    pub pos: Pos,
}

/// The value of a [`Node`]. Scalars are typed with the YAML 1.2 core schema.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// One `key: value` pair of a mapping, in the order written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub key: Node,
    pub value: Node,
}

impl Node {
    /// The string, when this node is a string scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The entries, when this node is a mapping.
    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The items, when this node is a sequence.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The entry whose key is the string `key`, when this node is a mapping.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.as_map()?.iter().find(|e| e.key.as_str() == Some(key))
    }

    /// The value under `key`, when this node is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// The text a mapping key stands for in JSON.
    pub fn key_text(&self) -> String {
        match &self.value {
            Value::Null => "null".to_owned(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Str(s) => s.clone(),
            // Never the key's own text: a key that is a mapping of keys
            // that are mappings would double in size at every level
            // (found by fuzzing). The catalog refuses such keys anyway.
            Value::Seq(_) | Value::Map(_) => {
                format!("({} key at line {}, column {})", self.type_name(), self.pos.line, self.pos.column)
            }
        }
    }

    /// A short name of the node's type, for messages.
    pub fn type_name(&self) -> &'static str {
        match &self.value {
            Value::Null => "nothing (null)",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// The JSON form of this node.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(entries.iter().map(|e| (e.key.key_text(), e.value.to_json())).collect()),
        }
    }

    /// What copying this node costs: its nodes, the bytes of its strings
    /// (keys included), and how many collections deep it is (0 for a scalar).
    fn measure(&self) -> Measure {
        let mut total = Measure { nodes: 1, bytes: 0, height: 0 };
        let mut add = |child: Measure| {
            total.nodes += child.nodes;
            total.bytes += child.bytes;
            total.height = total.height.max(child.height + 1);
        };
        match &self.value {
            Value::Str(s) => total.bytes = s.len(),
            Value::Seq(items) => items.iter().for_each(|item| add(item.measure())),
            Value::Map(entries) => entries.iter().for_each(|e| {
                add(e.key.measure());
                add(e.value.measure());
            }),
            _ => {}
        }
        // An empty collection is still one level.
        if matches!(self.value, Value::Seq(_) | Value::Map(_)) {
            total.height = total.height.max(1);
        }
        total
    }
}

/// See [`Node::measure`].
#[derive(Debug, Clone, Copy)]
struct Measure {
    nodes: usize,
    bytes: usize,
    height: usize,
}

/// One YAML document of a file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Document {
    pub root: Node,
    /// Keys written twice in one mapping: the second key's position and text.
    pub duplicate_keys: Vec<(Pos, String)>,
    /// Keys that are a list or a mapping (`? [a, b]: c`, `{x: 1}: c`):
    /// their positions and what they are.
    pub complex_keys: Vec<(Pos, &'static str)>,
}

/// Why a file could not be parsed completely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub pos: Pos,
    pub message: String,
    /// How to fix it, when the file is valid YAML but over one of our limits.
    pub hint: Option<&'static str>,
}

const DEPTH_HINT: &str =
    "flatten this structure: descriptors may nest collections at most 64 levels deep, aliases included";
const _: () = assert!(MAX_DEPTH == 64, "DEPTH_HINT names the limit");
const EXPANSION_HINT: &str = "write the values out, or refer to the anchor from fewer places";

/// Everything a YAML file holds: the documents that parsed completely and
/// the first syntax error, if any (parsing stops there).
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    pub documents: Vec<Document>,
    pub error: Option<SyntaxError>,
}

/// Parses every document of `text`. Never panics: a panic inside the YAML
/// library is reported as a syntax error at the start of the file.
pub(crate) fn parse(text: &str) -> Parsed {
    let mut builder = Builder::default();
    let outcome = catch_unwind(AssertUnwindSafe(|| builder.run(text)));
    let error = match outcome {
        Ok(result) => result.err(),
        Err(_) => Some(SyntaxError {
            pos: Pos { line: 1, column: 1 },
            message: "the YAML parser failed on this file".to_owned(),
            hint: None,
        }),
    };
    Parsed { documents: builder.documents, error }
}

enum Frame {
    Seq { pos: Pos, anchor: usize, items: Vec<Node> },
    Map { pos: Pos, anchor: usize, entries: Vec<Entry>, index: HashMap<String, usize>, key: Option<Node> },
}

#[derive(Default)]
struct Builder {
    documents: Vec<Document>,
    stack: Vec<Frame>,
    root: Option<Node>,
    /// Anchored nodes with their size.
    anchors: HashMap<usize, (Node, Measure)>,
    duplicate_keys: Vec<(Pos, String)>,
    complex_keys: Vec<(Pos, &'static str)>,
    /// Nodes and string bytes copied by aliases so far in this document.
    expanded_nodes: usize,
    expanded_bytes: usize,
}

impl Builder {
    fn run(&mut self, text: &str) -> Result<(), SyntaxError> {
        let mut parser = Parser::new_from_str(text);
        loop {
            let (event, mark) = parser.next_token().map_err(|e| SyntaxError {
                pos: Pos::from_marker(e.marker()),
                message: e.info().to_owned(),
                hint: None,
            })?;
            let pos = Pos::from_marker(&mark);
            match event {
                Event::StreamEnd => return Ok(()),
                Event::Nothing | Event::StreamStart => {}
                Event::DocumentStart => {
                    self.stack.clear();
                    self.root = None;
                    self.anchors.clear();
                    self.duplicate_keys.clear();
                    self.complex_keys.clear();
                    self.expanded_nodes = 0;
                    self.expanded_bytes = 0;
                }
                Event::DocumentEnd => {
                    let root = self.root.take();
                    if let Some(root) = root.filter(|r| r.value != Value::Null) {
                        self.documents.push(Document {
                            root,
                            duplicate_keys: std::mem::take(&mut self.duplicate_keys),
                            complex_keys: std::mem::take(&mut self.complex_keys),
                        });
                    }
                }
                Event::Alias(id) => {
                    let node = match self.anchors.get(&id) {
                        Some((anchored, measure)) => {
                            self.expanded_nodes = self.expanded_nodes.saturating_add(measure.nodes);
                            self.expanded_bytes = self.expanded_bytes.saturating_add(measure.bytes);
                            let error = if self.expanded_nodes > MAX_EXPANDED_NODES {
                                Some((
                                    format!("aliases expand this document to more than {MAX_EXPANDED_NODES} nodes"),
                                    EXPANSION_HINT,
                                ))
                            } else if self.expanded_bytes > MAX_EXPANDED_BYTES {
                                Some((
                                    format!(
                                        "aliases expand this document to more than {} MiB of text",
                                        MAX_EXPANDED_BYTES / (1024 * 1024)
                                    ),
                                    EXPANSION_HINT,
                                ))
                            } else if self.stack.len() + measure.height > MAX_DEPTH {
                                Some((
                                    format!(
                                        "collections are nested deeper than {MAX_DEPTH} levels here (counting the \
                                         {} levels this alias stands for)",
                                        measure.height
                                    ),
                                    DEPTH_HINT,
                                ))
                            } else {
                                None
                            };
                            if let Some((message, hint)) = error {
                                return Err(SyntaxError { pos, message, hint: Some(hint) });
                            }
                            Node { value: anchored.value.clone(), pos }
                        }
                        // An alias of a node that is still open (a recursive
                        // structure) cannot be represented in JSON.
                        None => Node { value: Value::Null, pos },
                    };
                    self.push(node, 0);
                }
                Event::Scalar(text, style, anchor, tag) => {
                    let node = Node { value: scalar_value(text, style, tag.as_ref()), pos };
                    self.push(node, anchor);
                }
                Event::SequenceStart(..) | Event::MappingStart(..) if self.stack.len() >= MAX_DEPTH => {
                    return Err(SyntaxError {
                        pos,
                        message: format!("collections are nested deeper than {MAX_DEPTH} levels here"),
                        hint: Some(DEPTH_HINT),
                    });
                }
                Event::SequenceStart(anchor, _) => {
                    self.stack.push(Frame::Seq { pos, anchor, items: Vec::new() });
                }
                Event::MappingStart(anchor, _) => {
                    self.stack.push(Frame::Map { pos, anchor, entries: Vec::new(), index: HashMap::new(), key: None });
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    let (node, anchor) = match self.stack.pop() {
                        Some(Frame::Seq { pos, anchor, items }) => (Node { value: Value::Seq(items), pos }, anchor),
                        Some(Frame::Map { pos, anchor, entries, .. }) => {
                            (Node { value: Value::Map(entries), pos }, anchor)
                        }
                        None => continue,
                    };
                    self.push(node, anchor);
                }
            }
        }
    }

    /// Adds a finished node to the collection being built, or makes it the
    /// document's root.
    fn push(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            let measure = node.measure();
            self.anchors.insert(anchor, (node.clone(), measure));
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, index, key, .. }) => match key.take() {
                None => *key = Some(node),
                Some(k) => {
                    if matches!(k.value, Value::Seq(_) | Value::Map(_)) {
                        self.complex_keys.push((k.pos, k.type_name()));
                    }
                    let text = k.key_text();
                    match index.get(&text) {
                        // As in JSON.parse: the last value wins, in the
                        // first key's place.
                        Some(&i) => {
                            self.duplicate_keys.push((k.pos, text));
                            entries[i].value = node;
                        }
                        None => {
                            index.insert(text, entries.len());
                            entries.push(Entry { key: k, value: node });
                        }
                    }
                }
            },
        }
    }
}

fn scalar_value(text: String, style: TScalarStyle, tag: Option<&Tag>) -> Value {
    if let Some(tag) = tag {
        let core = tag.handle == "tag:yaml.org,2002:" || tag.handle == "!!";
        if core {
            return match tag.suffix.as_str() {
                "str" => Value::Str(text),
                "null" => Value::Null,
                "bool" => plain_value(&text).filter(|v| matches!(v, Value::Bool(_))).unwrap_or(Value::Str(text)),
                "int" => plain_value(&text).filter(|v| matches!(v, Value::Int(_))).unwrap_or(Value::Str(text)),
                "float" => match plain_value(&text) {
                    Some(Value::Float(f)) => Value::Float(f),
                    #[allow(clippy::cast_precision_loss)]
                    Some(Value::Int(i)) => Value::Float(i as f64),
                    _ => Value::Str(text),
                },
                _ => Value::Str(text),
            };
        }
        // A local tag (`!foo`) does not change how the value is read.
        return Value::Str(text);
    }
    if style != TScalarStyle::Plain {
        return Value::Str(text);
    }
    plain_value(&text).unwrap_or(Value::Str(text))
}

/// Resolves a plain scalar with the YAML 1.2 core schema; `None` for strings.
fn plain_value(text: &str) -> Option<Value> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Some(Value::Float(f64::INFINITY)),
        "-.inf" | "-.Inf" | "-.INF" => return Some(Value::Float(f64::NEG_INFINITY)),
        ".nan" | ".NaN" | ".NAN" => return Some(Value::Float(f64::NAN)),
        _ => {}
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok().map(Value::Int);
    }
    if let Some(oct) = text.strip_prefix("0o") {
        return i64::from_str_radix(oct, 8).ok().map(Value::Int);
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return match text.parse::<i64>() {
            Ok(i) => Some(Value::Int(i)),
            Err(_) => text.parse::<f64>().ok().map(Value::Float),
        };
    }
    if is_core_float(digits) {
        return text.parse::<f64>().ok().map(Value::Float);
    }
    None
}

/// `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, the sign already removed.
fn is_core_float(s: &str) -> bool {
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match frac_part {
        Some(f) => all_digits(int_part) && all_digits(f) && !(int_part.is_empty() && f.is_empty()),
        None => !int_part.is_empty() && all_digits(int_part),
    };
    let exponent_ok = match exponent {
        None => true,
        Some(e) => {
            let e = e.strip_prefix(['-', '+']).unwrap_or(e);
            !e.is_empty() && all_digits(e)
        }
    };
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, column: u32) -> Pos {
        Pos { line, column }
    }

    #[test]
    fn keys_and_values_keep_their_line_and_column() {
        let parsed = parse("apiVersion: v1\nmetadata:\n  name: foo\n  tags: [a, b]\n");
        assert_eq!(parsed.error, None);
        let root = &parsed.documents[0].root;
        let first = &root.as_map().unwrap()[0];
        assert_eq!(first.key.pos, pos(1, 1));
        assert_eq!(first.value.pos, pos(1, 13));
        let metadata = root.entry("metadata").unwrap();
        assert_eq!(metadata.key.pos, pos(2, 1));
        let name = metadata.value.entry("name").unwrap();
        assert_eq!((name.key.pos, name.value.pos), (pos(3, 3), pos(3, 9)));
        let tags = metadata.value.get("tags").unwrap().as_seq().unwrap();
        assert_eq!(tags[1].pos, pos(4, 13));
    }

    #[test]
    fn scalars_are_typed_like_yaml_1_2_and_quotes_keep_strings() {
        let parsed = parse("a: 1\nb: '1'\nc: true\nd: 1.5\ne: ~\nf: 0x1F\ng: 1.2.3\nh: !!str 7\ni: yes\n");
        let json = parsed.documents[0].root.to_json();
        assert_eq!(
            json,
            serde_json::json!({"a": 1, "b": "1", "c": true, "d": 1.5, "e": null, "f": 31, "g": "1.2.3", "h": "7", "i": "yes"})
        );
    }

    #[test]
    fn anchors_and_aliases_are_resolved() {
        let parsed = parse("base: &b {x: 1}\ncopy: *b\n");
        let json = parsed.documents[0].root.to_json();
        assert_eq!(json, serde_json::json!({"base": {"x": 1}, "copy": {"x": 1}}));
    }

    #[test]
    fn documents_before_a_syntax_error_are_kept() {
        let parsed = parse("a: 1\n---\nb: 2\n---\nc: [1, 2\nd: 3\n");
        assert_eq!(parsed.documents.len(), 2);
        let error = parsed.error.unwrap();
        assert_eq!(error.pos.line, 6, "{error:?}");
    }

    #[test]
    fn a_syntax_error_is_reported_where_it_is() {
        let parsed = parse("a: 1\nb: c: d\n");
        let error = parsed.error.unwrap();
        assert_eq!(error.pos, pos(2, 5), "{error:?}");
    }

    #[test]
    fn keys_that_are_mappings_are_reported_and_stay_small_however_deep() {
        // Each level's key used to be its inner key's JSON, escaped again:
        // twice as long per level (found by fuzzing).
        let deep = format!("{}x: 1{}: 2\n", "{".repeat(40), "}".repeat(40));
        let parsed = parse(&deep);
        let doc = &parsed.documents[0];
        assert_eq!(doc.complex_keys.len(), 40, "every level: {:?}", doc.complex_keys);
        assert!(doc.complex_keys.iter().all(|(_, what)| *what == "a mapping"));
        assert!(doc.root.to_json().to_string().len() < 200, "{}", doc.root.to_json());
    }

    #[test]
    fn duplicate_keys_are_reported_and_the_last_one_wins() {
        let parsed = parse("a: 1\nb: 2\na: 3\n");
        let doc = &parsed.documents[0];
        assert_eq!(doc.duplicate_keys, vec![(pos(3, 1), "a".to_owned())]);
        assert_eq!(doc.root.to_json(), serde_json::json!({"a": 3, "b": 2}));
        assert_eq!(doc.root.get("a").unwrap().pos, pos(3, 4));
    }

    #[test]
    fn alias_bombs_stop_with_an_error() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let prev = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        let parsed = parse(&text);
        assert!(parsed.error.unwrap().message.contains("aliases"));
    }

    #[test]
    fn aliases_of_a_long_string_stop_with_an_error_at_the_alias_that_goes_over_64_mib() {
        // 1 MiB of text, copied by each alias: the 65th goes over 64 MiB.
        let mut text = format!("s: &s {}\nl:\n", "x".repeat(1024 * 1024));
        text.push_str(&"- *s\n".repeat(100));
        let error = parse(&text).error.unwrap();
        assert!(error.message.contains("more than 64 MiB of text"), "{}", error.message);
        assert_eq!(error.pos, pos(67, 3));
        assert!(error.hint.unwrap().contains("fewer places"));
        // A few copies are fine.
        let text = format!("s: &s {}\nl: [*s, *s, *s]\n", "x".repeat(1024 * 1024));
        assert_eq!(parse(&text).error, None);
    }

    #[test]
    fn aliases_cannot_nest_deeper_than_the_depth_limit() {
        // Each anchored list is 40 deep; the second holds the first 30 levels
        // down, 71 levels in all (the root mapping counts too).
        let a0 = format!("a0: &a0 {}x{}\n", "[".repeat(40), "]".repeat(40));
        let a1 = format!("a1: &a1 {}*a0{}\n", "[".repeat(30), "]".repeat(30));
        let error = parse(&(a0.clone() + &a1)).error.unwrap();
        assert!(error.message.contains("nested deeper than 64 levels"), "{}", error.message);
        assert!(error.message.contains("the 40 levels this alias stands for"), "{}", error.message);
        assert_eq!(error.pos, pos(2, 39));
        // Within the limit: 1 + 20 + 40 levels.
        let a1 = format!("a1: {}*a0{}\n", "[".repeat(20), "]".repeat(20));
        assert_eq!(parse(&(a0 + &a1)).error, None);
        // A chain of anchors, each holding the previous one, stops at the
        // limit instead of overflowing the stack.
        let mut chain = format!("a0: &a0 {}x{}\n", "[".repeat(50), "]".repeat(50));
        for i in 1..200 {
            chain.push_str(&format!("a{i}: &a{i} {}*a{}{}\n", "[".repeat(50), i - 1, "]".repeat(50)));
        }
        let error = parse(&chain).error.unwrap();
        assert_eq!(error.pos, pos(2, 59), "{error:?}");
    }

    #[test]
    fn deep_nesting_stops_with_an_error_instead_of_overflowing_the_stack() {
        let text = "- ".repeat(100_000) + "x\n";
        let error = parse(&text).error.unwrap();
        assert!(error.message.contains("nested deeper than 64 levels"), "{error:?}");
        let flow = "[".repeat(65) + &"]".repeat(65);
        let error = parse(&flow).error.unwrap();
        assert_eq!(error.pos, pos(1, 65), "{error:?}");
        let flow = "[".repeat(64) + &"]".repeat(64);
        assert_eq!(parse(&flow).error, None);
    }

    #[test]
    fn empty_documents_are_skipped() {
        let parsed = parse("---\n---\na: 1\n");
        assert_eq!(parsed.documents.len(), 1);
    }
}
