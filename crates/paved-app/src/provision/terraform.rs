//! The `terraform` driver: a call of a platform-owned Terraform module,
//! rendered as HCL (`module "<name>" { source = ... }` with the variables
//! the request set) into `<path>/<resource>.tf` of the team's
//! infrastructure repository, committed on a new branch
//! `paved/<resource>` (authored by who asked) and pushed. Nothing is
//! applied here: the team's pipeline plans and applies what is merged.
//!
//! The push creates the branch and its commit in one step, so a failure
//! leaves no branch without its commit; asking again finds the branch and
//! answers with its commit. Removal deletes the request's branch if it is
//! still there and, if the file reached the default branch, pushes
//! `paved/remove-<resource>` deleting it, for the pipeline to destroy once
//! merged. git runs as the `git` CLI, so the server's SSH keys and
//! credential helpers apply.

use paved_domain::{EntityRef, TerraformCall};
use serde_json::{Map, Value, json};

use super::{Made, Names};
pub(crate) use crate::gitcli::Author;
use crate::gitcli::{Git, one_line, redact};

/// One request of a `terraform` Module.
pub(crate) struct Call<'a> {
    pub(crate) terraform: &'a TerraformCall,
    pub(crate) module: &'a EntityRef,
    pub(crate) resource: &'a EntityRef,
    pub(crate) service: &'a EntityRef,
    pub(crate) team: &'a EntityRef,
    pub(crate) names: &'a Names,
    pub(crate) parameters: &'a Value,
    pub(crate) requested_by: &'a str,
    pub(crate) author: &'a Author,
}

impl Call<'_> {
    /// The repository, `{team}` replaced by the team's name.
    fn repository(&self) -> String {
        self.terraform.repository.replace("{team}", self.team.name())
    }

    fn branch(&self) -> String {
        format!("paved/{}", self.names.entity)
    }

    fn file(&self) -> String {
        format!("{}/{}.tf", self.terraform.path.trim_end_matches('/'), self.names.entity)
    }

    /// The module's source with its version: a registry address takes a
    /// `version` argument, any other source a `ref` in its query.
    fn source_and_version(&self) -> (String, Option<String>) {
        let source = self.terraform.source.trim().to_owned();
        match self.terraform.version.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            None => (source, None),
            Some(version) if is_registry_address(&source) => (source, Some(version.to_owned())),
            Some(version) => {
                let glue = if source.contains('?') { '&' } else { '?' };
                (format!("{source}{glue}ref={version}"), None)
            }
        }
    }
}

/// `namespace/name/provider`, optionally behind a hostname: the forms
/// Terraform reads as a registry module.
fn is_registry_address(source: &str) -> bool {
    let parts: Vec<&str> = source.split('/').collect();
    !source.contains("::")
        && !source.contains("://")
        && !source.starts_with('.')
        && !source.starts_with('/')
        && (parts.len() == 3 || (parts.len() == 4 && parts[0].contains('.')))
        && parts.iter().all(|part| !part.is_empty())
}

/// The file the request writes: a comment saying where it came from, and
/// the module call. Values are written by an HCL formatter, so a
/// parameter's quotes or `${` cannot change the call.
pub(crate) fn render(call: &Call<'_>) -> Result<String, String> {
    let (source, version) = call.source_and_version();
    let mut block = hcl::Block::builder("module").add_label(call.names.sql.as_str());
    block = block.add_attribute(("source", source));
    if let Some(version) = version {
        block = block.add_attribute(("version", version));
    }
    if let Some(parameters) = call.parameters.as_object() {
        for (name, value) in parameters {
            let key = hcl::Identifier::new(name.as_str())
                .map_err(|_| format!("parameter `{name}` cannot name a Terraform variable"))?;
            let value = hcl::to_expression(value).map_err(|e| format!("parameter `{name}`: {e}"))?;
            block = block.add_attribute(hcl::Attribute::new(key, value));
        }
    }
    let body = hcl::Body::builder().add_block(block.build()).build();
    let hcl = hcl::format::to_string(&body).map_err(|e| format!("the call cannot be written as HCL: {e}"))?;
    Ok(format!(
        "# Requested through pavedroad by {} for {} (Module {}).\n# pavedroad applies nothing: the team's \
         pipeline plans and applies this once merged.\n# Resource: {}\n\n{hcl}",
        one_line(call.requested_by),
        call.service,
        call.module,
        call.resource,
    ))
}

/// What one request's git work needs: where it goes, as shown, and a
/// scratch directory for the clone (removed when dropped).
struct Workspace<'a> {
    repository: String,
    shown: String,
    branch: String,
    file: String,
    scratch: tempfile::TempDir,
    work: std::path::PathBuf,
    git: Git<'a>,
}

impl<'a> Workspace<'a> {
    fn new(call: &Call<'a>) -> Result<Self, String> {
        let repository = call.repository();
        let scratch = tempfile::Builder::new()
            .prefix("paved-terraform-")
            .tempdir()
            .map_err(|e| format!("no scratch directory for the clone ({e})"))?;
        Ok(Self {
            shown: redact(&repository),
            repository,
            branch: call.branch(),
            file: call.file(),
            work: scratch.path().join("repo"),
            scratch,
            git: Git { author: Some(call.author) },
        })
    }
}

/// Commits the call on its branch and pushes it; if the branch is already
/// there (the request ran before), answers with its commit.
pub(crate) async fn provision(call: &Call<'_>) -> Result<Made, String> {
    let Workspace { repository, shown, branch, file, scratch, work, git } = Workspace::new(call)?;
    let exists = !git
        .run(scratch.path(), &["ls-remote", "--heads", "--", &repository, &format!("refs/heads/{branch}")])
        .await
        .map_err(|e| format!("cannot reach the infrastructure repository {shown}: {e}"))?
        .trim()
        .is_empty();
    if exists {
        git.run(
            scratch.path(),
            &["clone", "--quiet", "--depth=1", &format!("--branch={branch}"), "--", &repository, "repo"],
        )
        .await
        .map_err(|e| format!("cannot clone branch {branch} of {shown}: {e}"))?;
        if !work.join(&file).is_file() {
            return Err(format!(
                "branch {branch} of {shown} is there without {file}; remove the branch or ask with another --name"
            ));
        }
    } else {
        let text = render(call)?;
        git.run(scratch.path(), &["clone", "--quiet", "--depth=1", "--", &repository, "repo"])
            .await
            .map_err(|e| format!("cannot clone {shown}: {e}"))?;
        git.run(&work, &["checkout", "--quiet", "-b", &branch]).await?;
        let path = work.join(&file);
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await.map_err(|e| format!("cannot make {}: {e}", parent.display()))?;
        }
        tokio::fs::write(&path, text).await.map_err(|e| format!("cannot write {file}: {e}"))?;
        git.run(&work, &["add", "--", &file]).await?;
        let subject = format!("Provision {} for {}", call.names.entity, call.service.name());
        let body = format!(
            "Calls the Terraform module of {} with the variables the request set.\npavedroad applies nothing: the \
             team's pipeline plans and applies it once merged.\n\nPaved-Resource: {}\nPaved-Requested-By: {}",
            call.module,
            call.resource,
            one_line(call.requested_by)
        );
        git.run(&work, &["commit", "--quiet", "--allow-empty", "-m", &subject, "-m", &body]).await?;
        git.run(&work, &["push", "--quiet", "origin", &format!("HEAD:refs/heads/{branch}")])
            .await
            .map_err(|e| format!("cannot push branch {branch} to {shown}: {e}"))?;
    }
    let commit = git.run(&work, &["rev-parse", "HEAD"]).await?.trim().to_owned();
    let mut outputs = Map::new();
    outputs.insert("repository".into(), json!(shown));
    outputs.insert("branch".into(), json!(branch));
    outputs.insert("commit".into(), json!(commit));
    outputs.insert("file".into(), json!(file));
    Ok(Made { outputs, secrets: Map::new() })
}

/// Deletes the request's branch if it is still there and, if its file
/// reached the default branch, pushes a branch deleting it. Says what it
/// did.
pub(crate) async fn deprovision(call: &Call<'_>) -> Result<String, String> {
    let Workspace { repository, shown, branch, file, scratch, work, git } = Workspace::new(call)?;
    git.run(scratch.path(), &["clone", "--quiet", "--depth=1", "--", &repository, "repo"])
        .await
        .map_err(|e| format!("cannot clone {shown}: {e}"))?;
    let mut done = Vec::new();
    let request_branch = git.run(&work, &["ls-remote", "--heads", "origin", &format!("refs/heads/{branch}")]).await?;
    if !request_branch.trim().is_empty() {
        git.run(&work, &["push", "--quiet", "origin", "--delete", &branch])
            .await
            .map_err(|e| format!("cannot delete branch {branch} of {shown}: {e}"))?;
        done.push(format!("deleted branch {branch}"));
    }
    if work.join(&file).is_file() {
        let removal = format!("paved/remove-{}", call.names.entity);
        git.run(&work, &["checkout", "--quiet", "-b", &removal]).await?;
        git.run(&work, &["rm", "--quiet", "--", &file]).await?;
        let subject = format!("Remove {} of {}", call.names.entity, call.service.name());
        let body = format!(
            "The team's pipeline destroys it once merged.\n\nPaved-Resource: {}\nPaved-Requested-By: {}",
            call.resource,
            one_line(call.requested_by)
        );
        git.run(&work, &["commit", "--quiet", "-m", &subject, "-m", &body]).await?;
        git.run(&work, &["push", "--quiet", "--force", "origin", &format!("HEAD:refs/heads/{removal}")])
            .await
            .map_err(|e| format!("cannot push branch {removal} to {shown}: {e}"))?;
        done.push(format!("pushed {removal} deleting {file}; the team's pipeline destroys it once merged"));
    }
    if done.is_empty() {
        done.push(format!("{file} was on no branch of {shown}"));
    }
    Ok(done.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call<'a>(terraform: &'a TerraformCall, parameters: &'a Value, names: &'a Names, author: &'a Author) -> Call<'a> {
        static REFS: std::sync::OnceLock<[EntityRef; 4]> = std::sync::OnceLock::new();
        let refs = REFS.get_or_init(|| {
            [
                "module:default/bucket".parse().unwrap(),
                "resource:default/checkout-api-bucket".parse().unwrap(),
                "component:default/checkout-api".parse().unwrap(),
                "group:default/checkout".parse().unwrap(),
            ]
        });
        Call {
            terraform,
            module: &refs[0],
            resource: &refs[1],
            service: &refs[2],
            team: &refs[3],
            names,
            parameters,
            requested_by: "user:default/ana\nPaved-Resource: x",
            author,
        }
    }

    #[test]
    fn the_call_pins_its_version_the_way_its_source_takes_it_and_quotes_every_value() {
        let names = Names {
            entity: "checkout-api-bucket".into(),
            sql: "checkout_api_bucket".into(),
            prefix: "checkout-api:".into(),
        };
        let author = Author { name: "Ana".into(), email: "ana@example.com".into() };
        let parameters = json!({ "region": "eu-west-1\" }\nresource \"x\" {", "size_gb": 20, "tags": ["a", "${b}"] });
        let git = TerraformCall {
            source: "git::https://git.example.com/infra-modules.git//bucket".into(),
            version: Some("v1.4.0".into()),
            repository: "/srv/{team}-infra.git".into(),
            path: "terraform".into(),
        };
        let c = call(&git, &parameters, &names, &author);
        assert_eq!(c.repository(), "/srv/checkout-infra.git");
        assert_eq!(c.file(), "terraform/checkout-api-bucket.tf");
        let text = render(&c).unwrap();
        assert!(text.contains("module \"checkout_api_bucket\" {"), "{text}");
        assert!(
            text.contains("source = \"git::https://git.example.com/infra-modules.git//bucket?ref=v1.4.0\""),
            "{text}"
        );
        assert!(!text.contains("version ="), "{text}");
        assert!(text.contains(r#"region = "eu-west-1\" }\nresource \"x\" {""#), "{text}");
        assert!(text.contains("$${b}"), "an interpolation is escaped: {text}");
        assert!(text.contains("by user:default/ana Paved-Resource: x for"), "{text}");
        let registry = TerraformCall { source: "terraform-aws-modules/s3-bucket/aws".into(), ..git.clone() };
        let text = render(&call(&registry, &json!({}), &names, &author)).unwrap();
        assert!(text.contains("version = \"v1.4.0\""), "{text}");
        let bad = json!({ "not a name": 1 });
        assert!(render(&call(&git, &bad, &names, &author)).unwrap_err().contains("`not a name`"));
    }
}
