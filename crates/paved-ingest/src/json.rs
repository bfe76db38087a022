//! The one rule every source's body follows before anything else reads it:
//! UTF-8 text holding one JSON value nested at most [`MAX_DEPTH`] deep.
//! A body that breaks it is refused (400) the same way whatever endpoint
//! it was sent to, instead of being stored and failing later in one
//! source's normaliser.

use serde::de::IgnoredAny;

/// The deepest nesting of arrays and objects taken: serde_json's own
/// recursion limit, which every normaliser's parse has.
pub const MAX_DEPTH: usize = 128;

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
        let deep = format!("{}{}", "[".repeat(129), "]".repeat(129));
        assert!(check(deep.as_bytes()).unwrap_err().contains("129 deep"));
        let deepest_taken = format!("{}{}", "[".repeat(128), "]".repeat(128));
        assert_eq!(check(deepest_taken.as_bytes()), Ok(()));
        assert_eq!(depth(br#"{"x": "\"[["}"#), 1, "brackets in strings, escaped quotes included, do not count");
    }
}
