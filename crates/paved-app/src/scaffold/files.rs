//! A run's rendered files as the store keeps them: by path, a text as it
//! is, anything else in base64, with whether it is executable. They are
//! the common ancestor drift and the day-2 update compare against.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use super::render::{RenderedFile, Workspace};

/// `files` as stored.
pub(crate) fn encode(files: &Workspace) -> Value {
    let mut object = Map::new();
    for (path, file) in files {
        let entry = match std::str::from_utf8(&file.bytes) {
            Ok(text) => json!({ "text": text, "executable": file.executable }),
            Err(_) => json!({ "base64": STANDARD.encode(&file.bytes), "executable": file.executable }),
        };
        object.insert(path.clone(), entry);
    }
    Value::Object(object)
}

/// What [`encode`] stored; an entry it cannot read is left out.
pub(crate) fn decode(value: &Value) -> Workspace {
    let mut files = Workspace::new();
    for (path, entry) in value.as_object().into_iter().flatten() {
        let bytes = match (entry.get("text").and_then(Value::as_str), entry.get("base64").and_then(Value::as_str)) {
            (Some(text), _) => text.as_bytes().to_vec(),
            (None, Some(encoded)) => match STANDARD.decode(encoded) {
                Ok(bytes) => bytes,
                Err(_) => continue,
            },
            (None, None) => continue,
        };
        let executable = entry.get("executable").and_then(Value::as_bool).unwrap_or(false);
        files.insert(path.clone(), RenderedFile { bytes, executable });
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_binary_and_modes_come_back_as_they_were() {
        let mut files = Workspace::new();
        files.insert("RUNBOOK.md".into(), RenderedFile { bytes: b"# Runbook\n".to_vec(), executable: false });
        files.insert("deploy.sh".into(), RenderedFile { bytes: b"#!/bin/sh\n".to_vec(), executable: true });
        files.insert("logo.png".into(), RenderedFile { bytes: vec![0x89, b'P', 0xff, 0], executable: false });
        let stored = encode(&files);
        assert!(stored["logo.png"].get("base64").is_some(), "{stored}");
        assert_eq!(decode(&stored), files);
    }
}
