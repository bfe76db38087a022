//! The one rule every source's body follows before anything else reads it:
//! UTF-8 text holding one JSON value nested at most [`MAX_DEPTH`] deep.
//! A body that breaks it is refused (400) the same way whatever endpoint
//! it was sent to, instead of being stored and failing later in one
//! source's normaliser.

use serde::de::IgnoredAny;

/// The deepest nesting of arrays and objects taken: well under serde_json's
/// recursion limit (128 levels, counted so that a `Value` parse refuses the
/// 128th), so that every body this check takes, every normaliser's parse
/// takes too, and the sender reads this module's sentence, not a parser's.
pub const MAX_DEPTH: usize = 100;

/// Checks `body` without building a value.
///
/// # Errors
/// A sentence saying what is wrong: not UTF-8 (with the byte offset), not
/// JSON (serde_json's message with line and column), or nested too deep.
pub fn check(body: &[u8]) -> Result<(), String> {
    let text = std::str::from_utf8(body)
        .map_err(|error| format!("the body is not UTF-8 text: invalid byte at offset {}", error.valid_up_to()))?;
    serde_json::from_str::<IgnoredAny>(text).map_err(|error| format!("the body is not valid JSON: {error}"))?;
    let depth = depth(text.as_bytes());
    if depth > MAX_DEPTH {
        return Err(format!("the body nests arrays and objects {depth} deep; the most taken is {MAX_DEPTH}"));
    }
    Ok(())
}

/// The deepest nesting of `[` and `{` in valid JSON, strings skipped.
fn depth(json: &[u8]) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &byte in json {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_rule_for_utf8_json_and_depth() {
        assert_eq!(check(br#"{"a": [1, {"b": "]]]{{{"}]}"#), Ok(()));
        assert!(check(b"{\"a\": \"\xff\"}").unwrap_err().contains("not UTF-8 text: invalid byte at offset 7"));
        assert!(check(b"{\"a\": }").unwrap_err().contains("not valid JSON"));
        let nested = |levels: usize| format!("{}{}", "[".repeat(levels), "]".repeat(levels));
        assert!(check(nested(MAX_DEPTH + 1).as_bytes()).unwrap_err().contains("101 deep; the most taken is 100"));
        assert_eq!(check(nested(MAX_DEPTH).as_bytes()), Ok(()));
        serde_json::from_str::<serde_json::Value>(&nested(MAX_DEPTH))
            .expect("a normaliser parses the deepest body taken");
        assert_eq!(depth(br#"{"x": "\"[["}"#), 1, "brackets in strings, escaped quotes included, do not count");
    }
}
