//! Backstage's field format rules (catalog-model `KubernetesValidatorFunctions`,
//! `CommonValidatorFunctions` and the default tag rule), written out here.

/// `metadata.name`, label values, link icons: 1–63 characters, starting and
/// ending with `[A-Za-z0-9]`, with `[-_.A-Za-z0-9]` in between.
///
/// Backstage documents this as "sequences of [a-zA-Z0-9] separated by any of
/// [-_.]", but its check also accepts consecutive separators (`a--b`); we
/// follow the check, so every name Backstage accepts loads here.
pub(crate) fn is_valid_object_name(s: &str) -> bool {
    let bytes = s.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    bytes.len() <= 63
        && first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && bytes.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// `metadata.namespace`: a DNS label, `[a-z0-9]+(-[a-z0-9]+)*`, 1–63 characters.
pub(crate) fn is_valid_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.split('-')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
}

/// A DNS subdomain: dot-separated DNS labels, at most 253 characters.
pub(crate) fn is_valid_dns_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(is_valid_dns_label)
}

/// `kind`: a letter followed by letters and digits, 1–63 characters.
pub(crate) fn is_valid_kind(s: &str) -> bool {
    let mut chars = s.chars();
    s.len() <= 63 && chars.next().is_some_and(|c| c.is_ascii_alphabetic()) && chars.all(|c| c.is_ascii_alphanumeric())
}

/// `apiVersion`: `[dns-subdomain/]version` where the version is 1–63
/// characters of `[a-zA-Z0-9]`.
pub(crate) fn is_valid_api_version(s: &str) -> bool {
    let version_ok = |v: &str| !v.is_empty() && v.len() <= 63 && v.bytes().all(|b| b.is_ascii_alphanumeric());
    prefix_and_or_suffix(s, is_valid_dns_subdomain, version_ok)
}

/// Label and annotation keys: `[dns-subdomain/]object-name`.
pub(crate) fn is_valid_label_or_annotation_key(s: &str) -> bool {
    prefix_and_or_suffix(s, is_valid_dns_subdomain, is_valid_object_name)
}

/// Label values: empty, or an object name.
pub(crate) fn is_valid_label_value(s: &str) -> bool {
    s.is_empty() || is_valid_object_name(s)
}

/// Tags: `[a-z0-9:+#]+(-[a-z0-9:+#]+)*`, 1–63 characters.
pub(crate) fn is_valid_tag(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.split('-').all(|part| {
            !part.is_empty()
                && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b':' | b'+' | b'#'))
        })
}

/// A URL as the WHATWG parser would accept it, roughly: a scheme
/// (`[a-zA-Z][a-zA-Z0-9+.-]*`), a colon, then something without whitespace.
pub(crate) fn is_valid_url(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'))
        && !rest.is_empty()
        && !s.trim().contains(char::is_whitespace)
}

fn prefix_and_or_suffix(s: &str, prefix: impl Fn(&str) -> bool, suffix: impl Fn(&str) -> bool) -> bool {
    let parts: Vec<&str> = s.split('/').collect();
    match parts.as_slice() {
        [only] => suffix(only),
        [p, rest] => prefix(p) && suffix(rest),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_names_follow_backstage() {
        for ok in ["a", "checkout-api", "frank.tiernan", "Lorem_Service", "a--b", &"x".repeat(63)] {
            assert!(is_valid_object_name(ok), "{ok}");
        }
        for bad in ["", "invalid component", "-a", "a-", ".a", "a.", "ä", &"x".repeat(64), "a/b"] {
            assert!(!is_valid_object_name(bad), "{bad}");
        }
    }

    #[test]
    fn namespaces_are_lowercase_dns_labels() {
        assert!(is_valid_dns_label("default"));
        assert!(is_valid_dns_label("team-1"));
        for bad in ["", "Default", "a--b", "-a", "a_b", "a.b", &"x".repeat(64)] {
            assert!(!is_valid_dns_label(bad), "{bad}");
        }
    }

    #[test]
    fn kinds_api_versions_and_keys() {
        assert!(is_valid_kind("Component") && is_valid_kind("API") && is_valid_kind("AiResource"));
        assert!(!is_valid_kind("1Component") && !is_valid_kind("Comp-onent") && !is_valid_kind(""));
        assert!(is_valid_api_version("backstage.io/v1alpha1") && is_valid_api_version("v1"));
        assert!(!is_valid_api_version("backstage.io/v1/x") && !is_valid_api_version("Backstage.io/v1"));
        assert!(is_valid_label_or_annotation_key("paved.dev/repo"));
        assert!(is_valid_label_or_annotation_key("github.com/project-slug"));
        assert!(!is_valid_label_or_annotation_key("paved.dev/"));
    }

    #[test]
    fn tags_and_urls() {
        for ok in ["java", "c++", "c#", "go-1:15", "a-b"] {
            assert!(is_valid_tag(ok), "{ok}");
        }
        for bad in ["go 1.15.3", "Java", "a--b", "-a", "", "go1.15"] {
            assert!(!is_valid_tag(bad), "{bad}");
        }
        assert!(is_valid_url("https://example.com/runbook"));
        assert!(is_valid_url("mailto:sre@example.com"));
        assert!(!is_valid_url("example.com/runbook") && !is_valid_url("https://exa mple.com"));
    }
}
