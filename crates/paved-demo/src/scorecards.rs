//! The scorecard pavedroad ships (`examples/scorecards`), built into the
//! binary so that `paved demo` works from the binary alone: written to
//! `DIR/scorecards` and imported with the demo's catalog.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// Every file of `examples/scorecards`, by its name there.
const FILES: &[(&str, &str)] = &[("readiness.yaml", include_str!("../../../examples/scorecards/readiness.yaml"))];

/// Writes the scorecards under `directory/scorecards`; their paths, to
/// import.
///
/// # Errors
/// A file that cannot be written.
pub fn write(directory: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let root = std::path::absolute(directory.join("scorecards"))?;
    std::fs::create_dir_all(&root).with_context(|| format!("creating {}", root.display()))?;
    FILES
        .iter()
        .map(|(name, text)| {
            let target = root.join(name);
            std::fs::write(&target, text).with_context(|| format!("writing {}", target.display()))?;
            Ok(target)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    /// Every scorecard of `examples/scorecards` is built in.
    #[test]
    fn every_shipped_scorecard_is_built_in() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/scorecards");
        let mut shipped: Vec<String> =
            std::fs::read_dir(root).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        shipped.sort();
        let built: Vec<&str> = super::FILES.iter().map(|(name, _)| *name).collect();
        assert_eq!(shipped, built);
    }
}
