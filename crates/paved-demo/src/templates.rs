//! The golden paths pavedroad ships (`examples/templates`), built into the
//! binary so that the demo offers them wherever it runs: written to
//! `DIR/templates` and imported with the demo's catalog.

use std::path::{Path, PathBuf};

use anyhow::Context;

/// Every file of `examples/templates`, by its path there.
const FILES: &[(&str, &str)] = &[
    ("python-service/skeleton/app.py", include_str!("../../../examples/templates/python-service/skeleton/app.py")),
    (
        "python-service/skeleton/test_app.py",
        include_str!("../../../examples/templates/python-service/skeleton/test_app.py"),
    ),
    ("python-service/template.yaml", include_str!("../../../examples/templates/python-service/template.yaml")),
    ("rust-service/skeleton/Cargo.toml", include_str!("../../../examples/templates/rust-service/skeleton/Cargo.toml")),
    (
        "rust-service/skeleton/src/main.rs",
        include_str!("../../../examples/templates/rust-service/skeleton/src/main.rs"),
    ),
    ("rust-service/template.yaml", include_str!("../../../examples/templates/rust-service/template.yaml")),
    (
        "skeletons/service/.github/workflows/ci.yaml",
        include_str!("../../../examples/templates/skeletons/service/.github/workflows/ci.yaml"),
    ),
    ("skeletons/service/.gitlab-ci.yml", include_str!("../../../examples/templates/skeletons/service/.gitlab-ci.yml")),
    ("skeletons/service/RUNBOOK.md", include_str!("../../../examples/templates/skeletons/service/RUNBOOK.md")),
    (
        "skeletons/service/alerts/rules.yaml",
        include_str!("../../../examples/templates/skeletons/service/alerts/rules.yaml"),
    ),
    (
        "skeletons/service/catalog-info.yaml",
        include_str!("../../../examples/templates/skeletons/service/catalog-info.yaml"),
    ),
    (
        "skeletons/service/dashboards/service.json",
        include_str!("../../../examples/templates/skeletons/service/dashboards/service.json"),
    ),
    (
        "skeletons/service/deploy-target.yaml",
        include_str!("../../../examples/templates/skeletons/service/deploy-target.yaml"),
    ),
    ("skeletons/service/deploy.sh", include_str!("../../../examples/templates/skeletons/service/deploy.sh")),
];

/// Writes the templates under `directory/templates`; the `template.yaml`
/// of each, to import.
///
/// # Errors
/// A file that cannot be written.
pub fn write(directory: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let root = std::path::absolute(directory.join("templates"))?;
    let mut templates = Vec::new();
    for (path, text) in FILES {
        let target = root.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&target, text).with_context(|| format!("writing {}", target.display()))?;
        #[cfg(unix)]
        if path.ends_with(".sh") {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755))?;
        }
        if path.ends_with("/template.yaml") {
            templates.push(target);
        }
    }
    Ok(templates)
}

#[cfg(test)]
mod tests {
    /// Every file of `examples/templates` is built in: one added there and
    /// not here would be missing from the demo.
    #[test]
    fn every_shipped_template_file_is_built_in() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/templates");
        let mut found = Vec::new();
        let mut dirs = vec![root.clone()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    found.push(path.strip_prefix(&root).unwrap().to_string_lossy().into_owned());
                }
            }
        }
        found.sort();
        let built: Vec<&str> = super::FILES.iter().map(|(path, _)| *path).collect();
        assert_eq!(found, built);
    }
}
