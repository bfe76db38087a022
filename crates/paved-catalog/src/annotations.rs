//! The annotations pavedroad reads: [`TABLE`], which says where each one's
//! value goes, and the parsers of their values. Each parser returns the
//! normalised value, or what is wrong and how to fix it.

use std::str::FromStr;

use paved_domain::{CONTACTS_ANNOTATION, Contact, EntityRef, PavedAnnotations, RepoId, RepoIdError};

/// What is wrong with a value and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invalid {
    pub message: String,
    pub hint: String,
}

fn invalid(message: impl Into<String>, hint: impl Into<String>) -> Invalid {
    Invalid { message: message.into(), hint: hint.into() }
}

/// The annotations pavedroad reads, in the order they are checked (and
/// their problems reported). None depends on the entity's kind: each is read
/// wherever it is written.
pub(crate) static TABLE: &[Annotation] = &[
    // The repository: paved.dev/repo wins over the project slugs.
    Annotation { key: "paved.dev/repo", parse: Parse::Whole(|v, p| p.repo(normalize_repo(v)?)) },
    Annotation { key: "github.com/project-slug", parse: Parse::Whole(|v, p| p.repo(github_slug(v)?)) },
    Annotation { key: "gitlab.com/project-slug", parse: Parse::Whole(|v, p| p.repo(gitlab_slug(v)?)) },
    Annotation {
        key: "paved.dev/paths",
        parse: Parse::Whole(|v, p| {
            p.paved.paths = globs(v)?;
            Ok(())
        }),
    },
    Annotation { key: "paved.dev/production-environments", parse: Parse::Whole(production_environments) },
    Annotation { key: "paved.dev/oncall", parse: Parse::Whole(oncall) },
    Annotation {
        key: "paved.dev/emails",
        parse: Parse::EachItem(|item, p| {
            p.paved.emails.push(email(item)?);
            Ok(())
        }),
    },
    Annotation {
        key: "github.com/user-login",
        parse: Parse::Whole(|v, p| {
            p.paved.github_login = Some(github_login(v)?);
            Ok(())
        }),
    },
    Annotation {
        key: "gitlab.com/user-login",
        parse: Parse::Whole(|v, p| {
            p.paved.gitlab_login = Some(gitlab_login(v)?);
            Ok(())
        }),
    },
    Annotation {
        key: "paved.dev/timezone",
        parse: Parse::Whole(|v, p| {
            p.paved.timezone = Some(timezone(v)?);
            Ok(())
        }),
    },
    Annotation { key: "paved.dev/role", parse: Parse::Whole(role) },
    Annotation {
        key: CONTACTS_ANNOTATION,
        parse: Parse::NonEmptyList {
            item: |item, p| {
                p.paved.contacts.push(contact(item)?);
                Ok(())
            },
            empty: || {
                invalid(
                    "paved.dev/contacts names no contact",
                    "list how to reach this person, e.g. `email:ana@example.com, slack:https://hooks.slack.com/services/...`, or remove the annotation to use spec.profile.email",
                )
            },
        },
    },
];

/// One annotation pavedroad reads: its key, and how its value is parsed.
pub(crate) struct Annotation {
    pub key: &'static str,
    pub parse: Parse,
}

/// Writes what a value (or an item of it) says into [`Parsed`], or says
/// what is wrong with it.
type ParseFn = fn(&str, &mut Parsed<'_>) -> Result<(), Invalid>;

/// How an annotation's value is parsed.
pub(crate) enum Parse {
    /// The value as a whole.
    Whole(ParseFn),
    /// Each item of a list ([`split_list`]) on its own: every good item is
    /// kept and every bad one is a problem.
    EachItem(ParseFn),
    /// Like [`Parse::EachItem`], and a list without items is the problem
    /// `empty` says.
    NonEmptyList {
        /// Parses one item.
        item: ParseFn,
        /// What is wrong with a list without items.
        empty: fn() -> Invalid,
    },
}

impl Annotation {
    /// Parses `value` into `parsed`; what is wrong with it, if anything.
    pub(crate) fn parse(&self, value: &str, parsed: &mut Parsed<'_>) -> Vec<Invalid> {
        match self.parse {
            Parse::Whole(parse) => parse(value, parsed).err().into_iter().collect(),
            Parse::EachItem(parse) => split_list(value).iter().filter_map(|item| parse(item, parsed).err()).collect(),
            Parse::NonEmptyList { item, empty } => {
                let items = split_list(value);
                if items.is_empty() {
                    return vec![empty()];
                }
                items.iter().filter_map(|i| item(i, parsed).err()).collect()
            }
        }
    }
}

/// What an entity's annotations say, as the parsers of [`TABLE`] fill it in.
pub(crate) struct Parsed<'a> {
    /// The entity's namespace, the default of a reference in a value.
    pub namespace: &'a str,
    /// The values pavedroad reads.
    pub paved: PavedAnnotations,
    /// The entity the value just parsed names, which the catalog should
    /// hold: the caller takes it and checks it as a reference.
    pub reference: Option<EntityRef>,
}

impl Parsed<'_> {
    /// The first repository found is kept.
    fn repo(&mut self, repo: String) -> Result<(), Invalid> {
        self.paved.repo.get_or_insert(repo);
        Ok(())
    }
}

fn production_environments(value: &str, parsed: &mut Parsed<'_>) -> Result<(), Invalid> {
    parsed.paved.production_environments = split_list(value);
    if parsed.paved.production_environments.is_empty() {
        return Err(invalid(
            "paved.dev/production-environments names no environment",
            "list the production environments, e.g. `production, production-eu`",
        ));
    }
    Ok(())
}

/// `paved.dev/oncall`: a Schedule, in the entity's namespace unless it says.
fn oncall(value: &str, parsed: &mut Parsed<'_>) -> Result<(), Invalid> {
    let schedule = EntityRef::parse(value, Some("schedule"), parsed.namespace)
        .map_err(|e| invalid(format!("paved.dev/oncall: {e}"), "name a Schedule, e.g. `checkout-oncall`"))?;
    parsed.paved.oncall = Some(value.trim().to_owned());
    parsed.reference = Some(schedule);
    Ok(())
}

/// `paved.dev/role` of a Group, lower-cased.
fn role(value: &str, parsed: &mut Parsed<'_>) -> Result<(), Invalid> {
    let role = value.trim();
    if role.is_empty() {
        return Err(invalid("paved.dev/role is empty", "write e.g. `paved.dev/role: platform`"));
    }
    parsed.paved.role = Some(role.to_ascii_lowercase());
    Ok(())
}

/// Normalises any git remote to `host/owner/name`; the rules live in
/// [`RepoId::parse_url`], shared with the git importer so that a component's
/// `paved.dev/repo` and a work tree's `origin` give the same identity.
pub(crate) fn normalize_repo(input: &str) -> Result<String, Invalid> {
    RepoId::parse_url(input).map(|id| id.to_string()).map_err(repo_invalid)
}

/// `github.com/project-slug: owner/name` → `github.com/owner/name`.
pub(crate) fn github_slug(input: &str) -> Result<String, Invalid> {
    RepoId::from_github_slug(input).map(|id| id.to_string()).map_err(repo_invalid)
}

/// `gitlab.com/project-slug: group/name` (subgroups allowed) → `gitlab.com/group/name`.
pub(crate) fn gitlab_slug(input: &str) -> Result<String, Invalid> {
    RepoId::from_gitlab_slug(input).map(|id| id.to_string()).map_err(repo_invalid)
}

fn repo_invalid(e: RepoIdError) -> Invalid {
    invalid(e.to_string(), e.hint())
}

/// Splits a list written as `a, b` or one item per line; empty items dropped.
pub(crate) fn split_list(input: &str) -> Vec<String> {
    input.split([',', '\n']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// Splits a list of globs like [`split_list`], but only at commas and line
/// breaks outside braces: `services/{checkout,cart}/**` is one glob.
fn split_globs(input: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, ch) in input.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' | '\n' if depth == 0 => {
                items.push(&input[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&input[start..]);
    items.into_iter().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// Checks that each glob of `paved.dev/paths` compiles.
pub(crate) fn globs(input: &str) -> Result<Vec<String>, Invalid> {
    let globs = split_globs(input);
    if globs.is_empty() {
        return Err(invalid(
            "paved.dev/paths has no glob",
            "list the paths of this component, e.g. `services/checkout/**, libs/cart/**`",
        ));
    }
    for glob in &globs {
        if let Err(e) = globset::Glob::new(glob) {
            return Err(invalid(
                format!("paved.dev/paths: `{glob}` is not a valid glob: {}", e.kind()),
                "write globs like `services/checkout/**` or `libs/*/src/**`, separated by commas",
            ));
        }
    }
    Ok(globs)
}

/// An email address, lower-cased: `local@domain.tld`, no spaces.
pub(crate) fn email(input: &str) -> Result<String, Invalid> {
    let address = input.trim();
    let ok = match address.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && !address.contains(char::is_whitespace)
                && domain.contains('.')
                && domain
                    .split('.')
                    .all(|label| !label.is_empty() && label.chars().all(|c| c.is_alphanumeric() || c == '-'))
        }
        None => false,
    };
    if ok {
        Ok(address.to_lowercase())
    } else {
        Err(invalid(
            format!("`{address}` is not an email address"),
            "write addresses like `jane.doe@example.com`, separated by commas",
        ))
    }
}

/// One item of `paved.dev/contacts` (the syntax is
/// [`paved_domain::Contact`]'s).
pub(crate) fn contact(input: &str) -> Result<Contact, Invalid> {
    Contact::parse(input).map_err(|e| invalid(format!("paved.dev/contacts: {e}"), e.hint()))
}

/// A GitHub login: letters, digits and `-`, not starting with `-`, at most 39.
pub(crate) fn github_login(input: &str) -> Result<String, Invalid> {
    let login = input.trim();
    let ok = !login.is_empty()
        && login.len() <= 39
        && !login.starts_with('-')
        && login.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ok {
        Ok(login.to_owned())
    } else {
        Err(invalid(
            format!("`{login}` is not a GitHub login"),
            "write the login as on github.com, e.g. `jane-doe` (no `@`, no URL)",
        ))
    }
}

/// A GitLab username: letters, digits, `_`, `-` and `.`.
pub(crate) fn gitlab_login(input: &str) -> Result<String, Invalid> {
    let login = input.trim();
    let ok = !login.is_empty()
        && login.len() <= 255
        && login.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if ok {
        Ok(login.to_owned())
    } else {
        Err(invalid(
            format!("`{login}` is not a GitLab username"),
            "write the username as on GitLab, e.g. `jane.doe` (no `@`, no URL)",
        ))
    }
}

/// An IANA time zone name known to chrono-tz, e.g. `Europe/Berlin`.
pub(crate) fn timezone(input: &str) -> Result<String, Invalid> {
    let name = input.trim();
    match chrono_tz::Tz::from_str(name) {
        Ok(tz) => Ok(tz.name().to_owned()),
        Err(_) => Err(invalid(
            format!("`{name}` is not an IANA time zone"),
            "use a name from the tz database, e.g. `Europe/Berlin`, `America/New_York` or `Asia/Kolkata`",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_remotes_normalise_to_host_owner_name() {
        for input in [
            "https://github.com/acme/checkout.git",
            "https://github.com/acme/checkout",
            "https://github.com/acme/checkout/",
            "http://www.github.com/Acme/Checkout",
            "git@github.com:acme/checkout.git",
            "ssh://git@github.com/acme/checkout",
            "ssh://git@github.com:22/acme/checkout.git",
            "git+ssh://git@github.com/acme/checkout.git",
            "github.com/acme/checkout",
            " github.com/acme/checkout.git ",
        ] {
            assert_eq!(normalize_repo(input).as_deref(), Ok("github.com/acme/checkout"), "{input}");
        }
        assert_eq!(
            normalize_repo("https://gitlab.example.com/platform/tools/deployer.git").as_deref(),
            Ok("gitlab.example.com/platform/tools/deployer")
        );
    }

    #[test]
    fn bad_remotes_are_rejected_with_a_reason() {
        for input in [
            "",
            "checkout",
            "acme/checkout",
            "https://github.com/acme",
            "https://github.com/acme/checkout/tree/main",
            "ftp://github.com/acme/checkout",
            "github.com/acme/check out",
            "https:///acme/checkout",
        ] {
            assert!(normalize_repo(input).is_err(), "{input}");
        }
    }

    /// Property: every remote spelling of one repository normalises to the
    /// same identity, and the identity is a fixed point.
    #[test]
    fn normalisation_is_idempotent_over_generated_repositories() {
        let hosts = ["github.com", "gitlab.com", "git.acme.example"];
        let names = ["a", "checkout-api", "Web_App", "x.y", "r2d2"];
        for host in hosts {
            for owner in names {
                for name in names {
                    let expected = format!("{host}/{owner}/{name}").to_ascii_lowercase();
                    for spelling in [
                        format!("https://{host}/{owner}/{name}.git"),
                        format!("git@{host}:{owner}/{name}.git"),
                        format!("ssh://git@{host}/{owner}/{name}"),
                        format!("{host}/{owner}/{name}"),
                    ] {
                        assert_eq!(normalize_repo(&spelling).as_deref(), Ok(expected.as_str()), "{spelling}");
                    }
                    assert_eq!(normalize_repo(&expected).as_deref(), Ok(expected.as_str()));
                }
            }
        }
    }

    #[test]
    fn project_slugs() {
        assert_eq!(github_slug("acme/checkout").as_deref(), Ok("github.com/acme/checkout"));
        assert!(github_slug("acme").is_err() && github_slug("acme/a/b").is_err());
        assert_eq!(gitlab_slug("acme/web/shop").as_deref(), Ok("gitlab.com/acme/web/shop"));
        assert!(gitlab_slug("acme").is_err());
    }

    #[test]
    fn globs_must_compile() {
        assert_eq!(
            globs("services/checkout/**,\n libs/cart/**").unwrap(),
            vec!["services/checkout/**", "libs/cart/**"]
        );
        assert_eq!(
            globs("services/{checkout,cart}/**, libs/{a,b}/*.rs\nweb/**").unwrap(),
            vec!["services/{checkout,cart}/**", "libs/{a,b}/*.rs", "web/**"]
        );
        let err = globs("services/{checkout").unwrap_err();
        assert!(err.message.contains("services/{checkout"), "{err:?}");
        assert!(globs(" , ").is_err());
    }

    #[test]
    fn emails_logins_and_time_zones() {
        assert_eq!(email(" Jane.Doe@Example.com ").as_deref(), Ok("jane.doe@example.com"));
        for bad in ["jane", "jane@", "@example.com", "jane@example", "ja ne@example.com", "a@b@c.com"] {
            assert!(email(bad).is_err(), "{bad}");
        }
        assert!(github_login("jane-doe").is_ok() && github_login("@jane").is_err());
        assert!(gitlab_login("jane.doe").is_ok() && gitlab_login("jane doe").is_err());
        assert_eq!(timezone("Europe/Berlin").as_deref(), Ok("Europe/Berlin"));
        assert!(timezone("Europe/Berlinn").is_err() && timezone("CEST+2").is_err());
    }
}
