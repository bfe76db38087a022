//! What the loader reports: errors and warnings with file, line and column.

use std::fmt;

use serde::Serialize;

/// How bad a [`Problem`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The entity (or file) cannot be used as written.
    Error,
    /// Worth fixing, but the entity is still loaded.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stable identifier of the kind of problem, printed as kebab-case
/// (`missing-field`) in text and JSON output. Scripts may match on these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemCode {
    /// The file is not valid YAML.
    YamlSyntax,
    /// A key is written twice in one mapping.
    DuplicateKey,
    /// A required field is absent.
    MissingField,
    /// A field has the wrong type or format.
    InvalidField,
    /// `metadata.name` breaks Backstage's name rules.
    BadName,
    /// `metadata.namespace` breaks Backstage's namespace rules.
    BadNamespace,
    /// An entity reference cannot be parsed.
    BadReference,
    /// Two entities have the same `kind:namespace/name`.
    DuplicateEntity,
    /// `spec.owner` names an entity that is not in the catalog.
    DanglingOwner,
    /// A User is a member of a Group that is not in the catalog.
    DanglingMemberOf,
    /// Another reference names an entity that is not in the catalog.
    DanglingReference,
    /// A kind pavedroad does not know; the entity is kept unchecked.
    UnknownKind,
    /// A `paved.dev/*` (or other read) annotation has a bad value.
    BadAnnotation,
    /// The file exists but cannot be read.
    UnreadableFile,
    /// The file is not UTF-8 text.
    NotUtf8,
    /// The file is larger than the configured limit.
    FileTooLarge,
    /// The path does not exist.
    NotFound,
    /// Nothing that was given holds a catalog descriptor.
    NoDescriptors,
    /// A Location target cannot be followed.
    LocationTarget,
}

impl ProblemCode {
    /// The stable kebab-case id, e.g. `missing-field`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::YamlSyntax => "yaml-syntax",
            Self::DuplicateKey => "duplicate-key",
            Self::MissingField => "missing-field",
            Self::InvalidField => "invalid-field",
            Self::BadName => "bad-name",
            Self::BadNamespace => "bad-namespace",
            Self::BadReference => "bad-reference",
            Self::DuplicateEntity => "duplicate-entity",
            Self::DanglingOwner => "dangling-owner",
            Self::DanglingMemberOf => "dangling-member-of",
            Self::DanglingReference => "dangling-reference",
            Self::UnknownKind => "unknown-kind",
            Self::BadAnnotation => "bad-annotation",
            Self::UnreadableFile => "unreadable-file",
            Self::NotUtf8 => "not-utf8",
            Self::FileTooLarge => "file-too-large",
            Self::NotFound => "not-found",
            Self::NoDescriptors => "no-descriptors",
            Self::LocationTarget => "location-target",
        }
    }
}

impl fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One error or warning, located in a descriptor file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Error or warning.
    pub severity: Severity,
    /// What kind of problem this is.
    pub code: ProblemCode,
    /// The file (or directory) as the user named it or as found from there.
    pub file: String,
    /// 1-based line; 0 when the problem concerns the whole path.
    pub line: u32,
    /// 1-based column (in characters); 0 when the problem concerns the whole path.
    pub column: u32,
    /// The entity concerned, `kind:namespace/name`, when known.
    pub entity: Option<String>,
    /// What is wrong, naming the field.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

impl Problem {
    /// Whether this is an error (as opposed to a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Renders like a compiler diagnostic:
/// `file:7:3: error[missing-field] component:default/foo: spec.lifecycle is missing`
/// followed by `  help: ...` on its own line.
impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: ", self.file)?;
        } else {
            write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        }
        write!(f, "{}[{}] ", self.severity, self.code)?;
        if let Some(entity) = &self.entity {
            write!(f, "{entity}: ")?;
        }
        f.write_str(&self.message)?;
        if !self.hint.is_empty() {
            write!(f, "\n  help: {}", self.hint)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem() -> Problem {
        Problem {
            severity: Severity::Error,
            code: ProblemCode::MissingField,
            file: "examples/bad/a.yaml".to_owned(),
            line: 7,
            column: 3,
            entity: Some("component:default/foo".to_owned()),
            message: "spec.lifecycle is missing".to_owned(),
            hint: "add `lifecycle: production` under spec".to_owned(),
        }
    }

    #[test]
    fn display_reads_like_a_compiler_diagnostic() {
        assert_eq!(
            problem().to_string(),
            "examples/bad/a.yaml:7:3: error[missing-field] component:default/foo: spec.lifecycle is missing\n  help: add `lifecycle: production` under spec"
        );
        let whole_path = Problem {
            line: 0,
            column: 0,
            entity: None,
            code: ProblemCode::NotFound,
            severity: Severity::Warning,
            hint: String::new(),
            ..problem()
        };
        assert_eq!(whole_path.to_string(), "examples/bad/a.yaml: warning[not-found] spec.lifecycle is missing");
    }

    #[test]
    fn json_uses_stable_lowercase_ids() {
        let json = serde_json::to_value(problem()).unwrap();
        assert_eq!(json["severity"], "error");
        assert_eq!(json["code"], "missing-field");
        assert_eq!(
            serde_json::to_value(ProblemCode::DanglingMemberOf).unwrap(),
            ProblemCode::DanglingMemberOf.as_str()
        );
    }
}
