//! A repository's identity: `host/owner/name` (DESIGN §5, "A repository's
//! identity").

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A repository's identity, `host/owner/name` in its canonical form:
/// lower-case, without scheme, user, credentials, port or `.git`, e.g.
/// `github.com/acme/checkout`. GitLab subgroups are kept
/// (`gitlab.com/group/sub/name`), so the path has two or more segments.
///
/// Every spelling of a remote of one repository gives the same `RepoId`,
/// which is how commits, pull requests and deployments find their component
/// (`paved.dev/repo`, `github.com/project-slug`, `gitlab.com/project-slug`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RepoId(String);

/// Why a string does not name a repository. [`RepoIdError::hint`] says how to
/// write it instead.
///
/// The messages quote the input with any credentials removed, so an error
/// about `https://user:token@host/...` never shows the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepoIdError {
    /// The input is empty.
    #[error("the repository is empty")]
    Empty,
    /// The input contains whitespace.
    #[error("`{0}` is not a git URL: it contains a space")]
    Whitespace(String),
    /// A URL with a scheme git does not fetch over (`ftp://`, `file://`, ...).
    #[error("`{input}` uses the scheme `{scheme}`, not a git one")]
    Scheme {
        /// The input, without credentials.
        input: String,
        /// The scheme as written.
        scheme: String,
    },
    /// Neither a URL nor `host/...`: the first segment has no dot.
    #[error("`{0}` does not start with a host such as github.com")]
    NoHost(String),
    /// The host is empty or has characters a host name cannot have.
    #[error("`{0}` has no valid host")]
    BadHost(String),
    /// The path is not `owner/name` (or `group/.../name`).
    #[error("`{0}` does not name a repository as owner/name")]
    NotOwnerName(String),
    /// A github.com path with more than two segments (a page inside a
    /// repository, not a repository).
    #[error("`{0}` is not a GitHub repository: GitHub repositories are exactly owner/name")]
    GitHubDepth(String),
    /// A `github.com/project-slug` that is not `owner/name`.
    #[error("`{0}` is not a GitHub project slug")]
    GitHubSlug(String),
    /// A `gitlab.com/project-slug` that is not `group/name`.
    #[error("`{0}` is not a GitLab project slug")]
    GitLabSlug(String),
}

impl RepoIdError {
    /// How to write the value instead, for messages shown to people.
    pub fn hint(&self) -> &'static str {
        match self {
            Self::GitHubDepth(_) => {
                "name the repository itself, e.g. `https://github.com/acme/checkout`; use `paved.dev/paths` for a part of a monorepo"
            }
            Self::GitHubSlug(_) => "write the repository as `owner/name`, e.g. `acme/checkout`",
            Self::GitLabSlug(_) => "write the project as `group/name` (or `group/subgroup/name`)",
            _ => {
                "write `https://github.com/acme/checkout`, `git@github.com:acme/checkout.git` or `github.com/acme/checkout`"
            }
        }
    }
}

impl RepoId {
    /// Normalises any git remote to `host/owner/name`:
    /// `https://github.com/acme/checkout.git`, `git@github.com:acme/checkout.git`,
    /// `ssh://git@github.com:22/acme/checkout` and `github.com/acme/checkout`
    /// all give `github.com/acme/checkout`. User names, passwords and tokens
    /// (`https://user:token@host/...`), ports, a leading `www.`, trailing
    /// slashes and `.git` are dropped; everything is lower-cased.
    ///
    /// # Errors
    /// When the input is not a git remote with a host and at least
    /// `owner/name` (exactly `owner/name` on github.com), or uses a scheme
    /// other than `https`, `http`, `ssh`, `git` or `git+ssh`. Local paths
    /// (`/srv/git/checkout.git`, `file://...`) are refused: they name no host.
    pub fn parse_url(input: &str) -> Result<Self, RepoIdError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(RepoIdError::Empty);
        }
        let shown = redact_credentials(input);
        if input.contains(char::is_whitespace) {
            return Err(RepoIdError::Whitespace(shown));
        }
        let (host, path) = if let Some((scheme, rest)) = input.split_once("://") {
            if !matches!(scheme.to_ascii_lowercase().as_str(), "https" | "http" | "ssh" | "git" | "git+ssh") {
                return Err(RepoIdError::Scheme { input: shown, scheme: scheme.to_owned() });
            }
            let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
            let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            let host = host_port.split_once(':').map_or(host_port, |(h, _)| h);
            (host, path)
        } else if let Some((user_host, path)) = input.split_once(':').filter(|(before, _)| !before.contains('/')) {
            // scp-like syntax: `git@github.com:acme/checkout.git`
            let host = user_host.rsplit_once('@').map_or(user_host, |(_, h)| h);
            (host, path)
        } else {
            let (host, path) = input.split_once('/').unwrap_or((input, ""));
            if !host.contains('.') {
                return Err(RepoIdError::NoHost(shown));
            }
            (host, path)
        };
        let host = host.to_ascii_lowercase();
        let host = host.strip_prefix("www.").unwrap_or(&host);
        let host_ok = !host.is_empty()
            && host.split('.').all(|label| !label.is_empty())
            && host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'));
        if !host_ok {
            return Err(RepoIdError::BadHost(shown));
        }
        let path = path.trim_matches('/');
        let path = path.strip_suffix(".git").unwrap_or(path);
        let segments: Vec<&str> = path.split('/').collect();
        if segments.len() < 2 || segments.iter().any(|s| !is_path_segment(s)) {
            return Err(RepoIdError::NotOwnerName(shown));
        }
        if host == "github.com" && segments.len() != 2 {
            return Err(RepoIdError::GitHubDepth(shown));
        }
        Ok(Self(format!("{host}/{}", segments.join("/")).to_ascii_lowercase()))
    }

    /// The value of Backstage's `github.com/project-slug` annotation,
    /// `owner/name`, as `github.com/owner/name`.
    ///
    /// # Errors
    /// [`RepoIdError::GitHubSlug`] when the slug is not exactly `owner/name`.
    pub fn from_github_slug(slug: &str) -> Result<Self, RepoIdError> {
        let slug = slug.trim();
        let segments: Vec<&str> = slug.split('/').collect();
        if segments.len() != 2 || segments.iter().any(|s| !is_path_segment(s)) {
            return Err(RepoIdError::GitHubSlug(slug.to_owned()));
        }
        Ok(Self(format!("github.com/{slug}").to_ascii_lowercase()))
    }

    /// The value of `gitlab.com/project-slug`, `group/name` (subgroups
    /// allowed), as `gitlab.com/group/name`.
    ///
    /// # Errors
    /// [`RepoIdError::GitLabSlug`] when the slug has fewer than two segments
    /// or a segment that cannot be in a project path.
    pub fn from_gitlab_slug(slug: &str) -> Result<Self, RepoIdError> {
        let slug = slug.trim().trim_matches('/');
        let segments: Vec<&str> = slug.split('/').collect();
        if segments.len() < 2 || segments.iter().any(|s| !is_path_segment(s)) {
            return Err(RepoIdError::GitLabSlug(slug.to_owned()));
        }
        Ok(Self(format!("gitlab.com/{slug}").to_ascii_lowercase()))
    }

    /// The identity, `host/owner/name`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The host, e.g. `github.com`.
    pub fn host(&self) -> &str {
        self.0.split_once('/').map_or(&self.0, |(host, _)| host)
    }

    /// The path on the host, e.g. `acme/checkout` or `group/sub/name`.
    pub fn path(&self) -> &str {
        self.0.split_once('/').map_or("", |(_, path)| path)
    }

    /// The repository's own name, the last segment: `checkout`.
    pub fn name(&self) -> &str {
        self.0.rsplit_once('/').map_or(&self.0, |(_, name)| name)
    }
}

/// `scheme://user:secret@host/...` → `scheme://host/...`; anything else is
/// returned as is. Used so that no error message repeats a token.
fn redact_credentials(input: &str) -> String {
    let Some((scheme, rest)) = input.split_once("://") else {
        return input.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
        None => input.to_owned(),
    }
}

fn is_path_segment(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

impl fmt::Display for RepoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for RepoId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for RepoId {
    type Err = RepoIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_url(s)
    }
}

impl Serialize for RepoId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for RepoId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Self::parse_url(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(input: &str) -> Result<String, RepoIdError> {
        RepoId::parse_url(input).map(|r| r.to_string())
    }

    #[test]
    fn remotes_normalise_to_host_owner_name() {
        for input in [
            "https://github.com/acme/checkout.git",
            "https://github.com/acme/checkout",
            "https://github.com/acme/checkout/",
            "http://www.github.com/Acme/Checkout",
            "git@github.com:acme/checkout.git",
            "git@github.com:/acme/checkout.git",
            "ssh://git@github.com/acme/checkout",
            "ssh://git@github.com:22/acme/checkout.git",
            "git+ssh://git@github.com/acme/checkout.git",
            "git://github.com/acme/checkout.git",
            "github.com/acme/checkout",
            " github.com/acme/checkout.git ",
            "HTTPS://GitHub.com/ACME/checkout.git",
        ] {
            assert_eq!(parse(input).as_deref(), Ok("github.com/acme/checkout"), "{input}");
        }
    }

    #[test]
    fn gitlab_subgroups_and_other_hosts_keep_their_path() {
        assert_eq!(parse("https://gitlab.com/group/sub/name.git").as_deref(), Ok("gitlab.com/group/sub/name"));
        assert_eq!(parse("gitlab.com/group/sub/name").as_deref(), Ok("gitlab.com/group/sub/name"));
        assert_eq!(parse("git@gitlab.com:group/sub/name.git").as_deref(), Ok("gitlab.com/group/sub/name"));
        assert_eq!(
            parse("ssh://git@git.acme.example:2222/platform/tools/deployer").as_deref(),
            Ok("git.acme.example/platform/tools/deployer")
        );
        let id = RepoId::parse_url("gitlab.com/group/sub/name").unwrap();
        assert_eq!((id.host(), id.path(), id.name()), ("gitlab.com", "group/sub/name", "name"));
    }

    #[test]
    fn credentials_never_survive_not_even_in_errors() {
        assert_eq!(
            parse("https://jane:ghp_s3cr3tT0ken@github.com/acme/checkout.git").as_deref(),
            Ok("github.com/acme/checkout")
        );
        assert_eq!(parse("https://oauth2:glpat-xyz@gitlab.com/g/s/n").as_deref(), Ok("gitlab.com/g/s/n"));
        for bad in ["https://jane:ghp_s3cr3tT0ken@github.com/acme", "ftp://jane:ghp_s3cr3tT0ken@github.com/acme/x"] {
            let err = RepoId::parse_url(bad).unwrap_err();
            assert!(!err.to_string().contains("s3cr3t"), "{err}");
            assert!(!format!("{err:?}").contains("s3cr3t"), "{err:?}");
        }
    }

    #[test]
    fn non_repositories_are_refused_with_a_reason() {
        for input in [
            "",
            "checkout",
            "acme/checkout",
            "https://github.com/acme",
            "https://github.com/acme/checkout/tree/main",
            "ftp://github.com/acme/checkout",
            "file:///srv/git/checkout.git",
            "/srv/git/checkout.git",
            "../checkout",
            "../acme/checkout",
            "./acme/checkout",
            "github.com/acme/check out",
            "https:///acme/checkout",
            "https://github.com/acme/../checkout",
        ] {
            let err = RepoId::parse_url(input).unwrap_err();
            assert!(!err.hint().is_empty(), "{input}");
        }
        assert!(matches!(RepoId::parse_url("https://github.com/a/b/tree/main"), Err(RepoIdError::GitHubDepth(_))));
    }

    #[test]
    fn project_slugs() {
        assert_eq!(RepoId::from_github_slug("Acme/Checkout").unwrap().as_str(), "github.com/acme/checkout");
        assert!(RepoId::from_github_slug("acme").is_err() && RepoId::from_github_slug("acme/a/b").is_err());
        assert_eq!(RepoId::from_gitlab_slug("acme/web/shop").unwrap().as_str(), "gitlab.com/acme/web/shop");
        assert!(RepoId::from_gitlab_slug("acme").is_err());
    }

    #[test]
    fn serde_round_trip_normalises() {
        let id: RepoId = serde_json::from_str("\"git@github.com:Acme/Checkout.git\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"github.com/acme/checkout\"");
        assert!(serde_json::from_str::<RepoId>("\"checkout\"").is_err());
    }

    fn segment() -> impl Strategy<Value = String> {
        "[A-Za-z0-9_-][A-Za-z0-9_.-]{0,12}"
            .prop_filter("not . or ..", |s| s != "." && s != ".." && !s.ends_with(".git"))
    }

    fn host() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("github.com".to_owned()),
            Just("gitlab.com".to_owned()),
            "[a-z0-9][a-z0-9-]{0,8}\\.[a-z]{2,5}".prop_filter("no www.", |h| !h.starts_with("www.")),
        ]
    }

    proptest! {
        /// Every spelling of one repository (scheme, scp syntax, user,
        /// token, port, case, `.git`) gives the same identity, which is a
        /// fixed point of parsing and never contains the credentials.
        #[test]
        fn every_spelling_gives_one_identity(
            host in host(),
            owner in segment(),
            sub in proptest::option::of(segment()),
            name in segment(),
            port in 1u16..,
            token in "[A-Za-z0-9]{8,20}",
        ) {
            let path = match (&sub, host.as_str()) {
                (Some(sub), h) if h != "github.com" => format!("{owner}/{sub}/{name}"),
                _ => format!("{owner}/{name}"),
            };
            let expected = format!("{host}/{path}").to_ascii_lowercase();
            for spelling in [
                format!("https://{host}/{path}.git"),
                format!("https://x-access-token:{token}@{}/{path}", host.to_uppercase()),
                format!("git@{host}:{path}.git"),
                format!("ssh://git@{host}:{port}/{path}/"),
                format!("{host}/{path}"),
            ] {
                let id = RepoId::parse_url(&spelling).unwrap();
                prop_assert_eq!(id.as_str(), expected.as_str(), "{}", spelling);
                prop_assert!(!id.as_str().contains(&token.to_ascii_lowercase()) || expected.contains(&token.to_ascii_lowercase()));
                prop_assert_eq!(RepoId::parse_url(id.as_str()).unwrap(), id.clone());
            }
        }
    }
}
