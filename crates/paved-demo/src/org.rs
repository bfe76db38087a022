//! The demo organisation as a model: teams, people, services and
//! repositories, built from the seed. Everything else — catalog files, git
//! history, deployments, incidents — is derived from this model.
//!
//! One copy of the organisation is six groups under the `acme` root: a
//! two-person platform ("DevOps") team, three product teams it still
//! deploys for and hands over to, a healthy team that runs what it builds,
//! and a dissolved team whose service nobody owns any more. `--scale N`
//! makes N copies, the second and later with their team, service and
//! schedule names suffixed `-2`, `-3`, ...

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use super::random::{PAGERDUTY_ALPHABET, Random};

/// The organisation's root Group.
pub const ORGANISATION: &str = "acme";
/// The e-mail domain everyone commits with.
pub const EMAIL_DOMAIN: &str = "acme.example";
/// The GitHub organisation that holds every repository.
pub const GITHUB_OWNER: &str = "acme";

/// What a team is there to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The platform ("DevOps") team: deploys for product teams early on,
    /// then hands over.
    Platform,
    /// A product team the platform team deploys for, taking over its
    /// deployments and its pager month by month.
    Handover,
    /// A product team that deploys its own code and is on call for it.
    Healthy,
    /// A team dissolved in a reorganisation: it still owns a service, but
    /// has no members.
    Dissolved,
}

/// A Group of the catalog.
#[derive(Debug, Clone)]
pub struct Team {
    /// Its name (`orders`, `orders-2`).
    pub name: String,
    /// How people call it.
    pub display_name: String,
    /// One sentence on what it does.
    pub description: String,
    /// What it plays in the demo.
    pub role: Role,
    /// Its members, as indices into [`Org::people`].
    pub members: Vec<usize>,
    /// Where most of it works; its schedule hands off in this zone.
    pub timezone: Tz,
    /// Its on-call Schedule's name, if it has one.
    pub schedule: Option<String>,
    /// When its own rotation starts (a Monday, 09:00 local); before that,
    /// the platform team held its pager.
    pub oncall_from: Option<DateTime<Utc>>,
    /// Which copy of the organisation it belongs to (0 for the first).
    pub copy: usize,
}

/// A User of the catalog.
#[derive(Debug, Clone)]
pub struct Person {
    /// The User's name (`dana.kovac`).
    pub name: String,
    /// `Dana Kovač`.
    pub display_name: String,
    /// GitHub login.
    pub login: String,
    /// Every address they commit with, the work one first.
    pub emails: Vec<String>,
    /// PagerDuty user id.
    pub pagerduty_id: String,
    /// Their time zone.
    pub timezone: Tz,
    /// Their team, if any (the VP of engineering belongs to the root group).
    pub team: Option<usize>,
}

/// Someone the data names whom the catalog does not know: a contractor who
/// wrote the oldest service and left.
#[derive(Debug, Clone)]
pub struct Outsider {
    /// Their name as git shows it.
    pub display_name: String,
    /// The e-mail they committed with.
    pub email: String,
    /// Their GitHub login.
    pub login: String,
    /// Their time zone (for commit offsets).
    pub timezone: Tz,
}

/// The language a service is written in; it decides its file names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// Go.
    Go,
    /// TypeScript on Node.
    TypeScript,
    /// Kotlin on the JVM.
    Kotlin,
    /// Python.
    Python,
}

/// How a service gets deployed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeployPolicy {
    /// Continuous deployment: every merge to main goes out.
    OnMerge,
    /// Releases on some working days, cut by whoever deploys.
    Release,
}

/// A Component of the catalog.
#[derive(Debug, Clone)]
pub struct Service {
    /// Its name (`orders-api`).
    pub name: String,
    /// `Orders API`.
    pub title: String,
    /// One sentence on what it does.
    pub description: String,
    /// Its owning team (index into [`Org::teams`]).
    pub team: usize,
    /// Its `paved.dev/paths` in a monorepo; empty otherwise.
    pub paths: Vec<String>,
    /// The directory its code lives in inside the repository (`""` at the
    /// root).
    pub directory: String,
    /// Its language.
    pub language: Language,
    /// Whether it links a runbook.
    pub runbook: bool,
    /// Its `paved.dev/oncall` Schedule, if any.
    pub oncall: Option<String>,
    /// True when only the platform team touches its pipeline files.
    pub pipeline_by_platform: bool,
    /// Its PagerDuty service id.
    pub pagerduty_id: String,
    /// How it is deployed.
    pub policy: DeployPolicy,
}

/// What a file of a repository holds, which decides who changes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// Application code, tests and build files.
    Code,
    /// CI/CD pipeline definitions (`.github/workflows/*.yml`).
    Pipeline,
    /// Infrastructure code: Terraform and Helm charts.
    Infrastructure,
    /// Documentation.
    Docs,
}

/// A file of a repository.
#[derive(Debug, Clone)]
pub struct RepoFile {
    /// Its path from the repository's root.
    pub path: String,
    /// What it holds.
    pub kind: FileKind,
    /// The service it belongs to; `None` for files the repository's
    /// services share.
    pub service: Option<usize>,
}

/// A git repository, `github.com/acme/<name>`.
#[derive(Debug, Clone)]
pub struct Repo {
    /// Its name.
    pub name: String,
    /// The services it holds (two in the monorepo).
    pub services: Vec<usize>,
    /// Its owning team.
    pub team: usize,
    /// Its files.
    pub files: Vec<RepoFile>,
    /// Pull requests merged on an average working day.
    pub pull_requests_per_day: f64,
}

impl Repo {
    /// `acme/<name>`, as `github.com/project-slug` writes it.
    pub fn slug(&self) -> String {
        format!("{GITHUB_OWNER}/{}", self.name)
    }

    /// `https://github.com/acme/<name>`.
    pub fn url(&self) -> String {
        format!("https://github.com/{GITHUB_OWNER}/{}", self.name)
    }

    /// The files of `kind` that belong to `service` (or that the
    /// repository's services share).
    pub fn files_of(&self, service: usize, kind: FileKind) -> Vec<&RepoFile> {
        let own: Vec<&RepoFile> =
            self.files.iter().filter(|file| file.kind == kind && file.service == Some(service)).collect();
        if !own.is_empty() {
            return own;
        }
        self.files.iter().filter(|file| file.kind == kind && file.service.is_none()).collect()
    }
}

/// The whole organisation.
#[derive(Debug, Clone)]
pub struct Org {
    /// Every team; the platform team of copy `c` is `teams[c * TEAMS_PER_COPY]`.
    pub teams: Vec<Team>,
    /// Every person.
    pub people: Vec<Person>,
    /// Every service.
    pub services: Vec<Service>,
    /// Every repository.
    pub repos: Vec<Repo>,
    /// People the catalog does not know.
    pub outsiders: Vec<Outsider>,
    /// The platform's on-call Schedule of each copy.
    pub platform_schedules: Vec<String>,
}

/// A team of the template, before it is copied.
struct TeamTemplate {
    name: &'static str,
    display_name: &'static str,
    description: &'static str,
    role: Role,
    /// One time zone per member, separated by spaces; the first is the
    /// team's.
    timezones: &'static str,
    /// Weeks after the start of the data when the team's own rotation
    /// starts; `None` for no schedule, `Some(0)` for one from the start.
    oncall_after_weeks: Option<i64>,
    services: &'static [ServiceTemplate],
}

struct ServiceTemplate {
    name: &'static str,
    title: &'static str,
    description: &'static str,
    language: Language,
    runbook: bool,
    oncall: bool,
    pipeline_by_platform: bool,
    /// The monorepo both search services live in; `None` for a repository
    /// of its own.
    monorepo: Option<&'static str>,
    pull_requests_per_day: f64,
}

const fn service(
    name: &'static str,
    title: &'static str,
    description: &'static str,
    language: Language,
    pull_requests_per_day: f64,
) -> ServiceTemplate {
    ServiceTemplate {
        name,
        title,
        description,
        language,
        runbook: true,
        oncall: true,
        pipeline_by_platform: false,
        monorepo: None,
        pull_requests_per_day,
    }
}

/// The monorepo of the search team.
const SEARCH_MONOREPO: &str = "search";

/// The teams of one copy, in this order: the platform team first.
const TEMPLATE: &[TeamTemplate] = &[
    TeamTemplate {
        name: "platform",
        display_name: "Platform",
        description: "The DevOps team: CI/CD, clusters, and for now most production deployments",
        role: Role::Platform,
        timezones: "Europe/Berlin Europe/Lisbon",
        oncall_after_weeks: Some(0),
        services: &[
            service(
                "edge-gateway",
                "Edge gateway",
                "Ingress, TLS and rate limits for every public API",
                Language::Go,
                0.2,
            ),
            service("build-cache", "Build cache", "Remote cache and runners for every CI pipeline", Language::Go, 0.15),
        ],
    },
    TeamTemplate {
        name: "orders",
        display_name: "Orders",
        description: "Carts, checkout and order placement",
        role: Role::Handover,
        timezones: "Europe/Berlin Europe/Berlin Europe/Warsaw Europe/Berlin Europe/Berlin Europe/Berlin",
        oncall_after_weeks: Some(6),
        services: &[
            service("orders-api", "Orders API", "Order placement and order history", Language::Kotlin, 0.6),
            service("cart-service", "Cart service", "Shopping carts and their prices", Language::TypeScript, 0.5),
            service(
                "order-events",
                "Order events",
                "Publishes order changes to the rest of the company",
                Language::Kotlin,
                0.4,
            ),
        ],
    },
    TeamTemplate {
        name: "payments",
        display_name: "Payments",
        description: "Taking money, and giving it back",
        role: Role::Handover,
        timezones: "Europe/London Europe/London Europe/Dublin Europe/London Europe/London",
        oncall_after_weeks: Some(10),
        services: &[
            ServiceTemplate {
                pipeline_by_platform: true,
                ..service("payments-api", "Payments API", "Card and wallet payments", Language::Go, 0.55)
            },
            service("billing-service", "Billing service", "Invoices and subscriptions", Language::Kotlin, 0.45),
            ServiceTemplate {
                runbook: false,
                ..service("fraud-check", "Fraud check", "Scores every payment for fraud", Language::Python, 0.4)
            },
        ],
    },
    TeamTemplate {
        name: "search",
        display_name: "Search",
        description: "Product search, indexing and recommendations",
        role: Role::Handover,
        timezones: "America/New_York America/New_York America/Chicago America/New_York America/Toronto",
        oncall_after_weeks: Some(14),
        services: &[
            ServiceTemplate {
                monorepo: Some(SEARCH_MONOREPO),
                ..service("search-api", "Search API", "Product search and suggestions", Language::Go, 0.5)
            },
            ServiceTemplate {
                monorepo: Some(SEARCH_MONOREPO),
                ..service(
                    "search-indexer",
                    "Search indexer",
                    "Keeps the search index in step with the catalog",
                    Language::Python,
                    0.4,
                )
            },
            ServiceTemplate {
                runbook: false,
                oncall: false,
                ..service("recommendations", "Recommendations", "\"You may also like\"", Language::Python, 0.4)
            },
        ],
    },
    TeamTemplate {
        name: "identity",
        display_name: "Identity",
        description: "Sign-in, accounts and notifications; builds it, deploys it, runs it",
        role: Role::Healthy,
        timezones: "Europe/Madrid Europe/Madrid Europe/Lisbon America/Sao_Paulo Europe/Madrid Asia/Kolkata",
        oncall_after_weeks: Some(0),
        services: &[
            service("auth-service", "Auth service", "Sign-in, sessions and tokens", Language::Go, 0.35),
            service("accounts-api", "Accounts API", "Customer accounts and profiles", Language::TypeScript, 0.3),
            service("notifications", "Notifications", "E-mail and push notifications", Language::TypeScript, 0.25),
        ],
    },
    TeamTemplate {
        name: "growth",
        display_name: "Growth",
        description: "Growth experiments; dissolved in the spring reorganisation",
        role: Role::Dissolved,
        timezones: "",
        oncall_after_weeks: None,
        services: &[ServiceTemplate {
            runbook: false,
            oncall: false,
            ..service(
                "legacy-reports",
                "Legacy reports",
                "Nightly sales reports nobody dares to switch off",
                Language::Python,
                0.0,
            )
        }],
    },
];

/// Teams per copy of the organisation.
pub const TEAMS_PER_COPY: usize = TEMPLATE.len();

const FIRST_NAMES: &str = "Dana Raj Lena Marco Ana Tom Priya Sam Yuki Omar Chloe Mateo Ines Felix Amara Jonas Sofia Kwame Elif \
    Noah Mei Lucas Zara Ivan Nadia Hugo Aisha Pablo Greta Tariq Leah Mikko Rosa Emeka Hana Oskar Lucia \
    Arjun Freya Diego Maja Kenji Nora Farid Clara Tobias Ayla Bruno Ingrid Samir Vera Dmitri Julia Kofi \
    Eva Ravi Alba Henrik Lina Marek Selin Theo Wanjiru Nico";

const LAST_NAMES: &str = "Kovac Patel Fischer Rossi Souza Becker Raman Okafor Tanaka Haddad Martin Garcia Silva Wagner Mensah \
    Berg Costa Asante Yilmaz Meyer Chen Dubois Ahmed Petrov Nowak Laurent Bello Romero Lindqvist Aziz \
    Cohen Virtanen Moreno Eze Sato Nilsson Ferrari Iyer Hansen Lopez Kowalski Mori Novak Rahimi Schmidt \
    Keller Demir Almeida Larsen Khan Horvat Volkov Weber Boateng Jensen Rao Ortiz Nyberg Braun Dvorak \
    Arslan Fontaine Kamau Russo";

/// The local hour of a Schedule's hand-offs: 09:00 for weekly rotations;
/// 08:00 and 20:00 for the platform team's twelve-hour turns.
pub fn handoff_hour(role: Role) -> u32 {
    if role == Role::Platform { 8 } else { 9 }
}

/// The Monday on or before `day`.
pub fn monday_on_or_before(day: NaiveDate) -> NaiveDate {
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

/// `day` at `hour:minute` in `zone`, as a UTC instant (the earlier of an
/// ambiguous local time; an hour later for one skipped by daylight saving).
pub fn local_instant(zone: Tz, day: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    let naive = day.and_hms_opt(hour, minute, 0).unwrap_or_default();
    match zone.from_local_datetime(&naive) {
        chrono::LocalResult::Single(at) | chrono::LocalResult::Ambiguous(at, _) => at.with_timezone(&Utc),
        chrono::LocalResult::None => match zone.from_local_datetime(&(naive + Duration::hours(1))) {
            chrono::LocalResult::Single(at) | chrono::LocalResult::Ambiguous(at, _) => at.with_timezone(&Utc),
            chrono::LocalResult::None => Utc.from_utc_datetime(&naive),
        },
    }
}

fn zone(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}

/// Lower-case ASCII for a name part (names here are ASCII already).
fn slug(text: &str) -> String {
    text.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

impl Org {
    /// Builds `scale` copies of the organisation for `seed`; `data_start` is
    /// the first day of the timeline, from which the teams' rotations are
    /// placed.
    pub fn build(seed: u64, scale: usize, data_start: DateTime<Utc>) -> Self {
        Self::build_with_people(seed, scale, data_start, 0)
    }

    /// As [`Self::build`], with `extra_people` more engineers spread over
    /// the product teams of every copy (the benchmark organisation of `paved
    /// synth` is larger than the demo's template teams). With none, the
    /// organisation is exactly [`Self::build`]'s.
    pub fn build_with_people(seed: u64, scale: usize, data_start: DateTime<Utc>, extra_people: usize) -> Self {
        let mut random = Random::new(seed, "org");
        let mut names = NamePool::new(&mut random);
        let first_monday = monday_on_or_before(data_start.date_naive());
        let mut org = Org {
            teams: Vec::new(),
            people: Vec::new(),
            services: Vec::new(),
            repos: Vec::new(),
            outsiders: Vec::new(),
            platform_schedules: Vec::new(),
        };
        let copies = scale.max(1);
        for copy in 0..copies {
            let suffix = if copy == 0 { String::new() } else { format!("-{}", copy + 1) };
            let extra = extra_people / copies + usize::from(copy < extra_people % copies);
            org.add_copy(copy, &suffix, first_monday, extra, &mut names, &mut random);
        }
        // The contractor who wrote the oldest service and left; the catalog
        // never knew them.
        org.outsiders.push(Outsider {
            display_name: "Alex Moreau".to_owned(),
            email: "alex@moreau-consulting.example".to_owned(),
            login: "amoreau-dev".to_owned(),
            timezone: zone("Europe/Paris"),
        });
        org
    }

    fn add_copy(
        &mut self,
        copy: usize,
        suffix: &str,
        first_monday: NaiveDate,
        extra: usize,
        names: &mut NamePool,
        random: &mut Random,
    ) {
        let first_team = self.teams.len();
        let product_teams: Vec<usize> = TEMPLATE
            .iter()
            .enumerate()
            .filter(|(_, template)| matches!(template.role, Role::Handover | Role::Healthy))
            .map(|(offset, _)| offset)
            .collect();
        for (offset, template) in TEMPLATE.iter().enumerate() {
            let team_index = self.teams.len();
            let timezone = template.timezones.split_whitespace().next().map_or(Tz::UTC, zone);
            let name = format!("{}{suffix}", template.name);
            let schedule = template.oncall_after_weeks.map(|_| format!("{name}-oncall"));
            let oncall_from = template.oncall_after_weeks.map(|weeks| {
                local_instant(timezone, first_monday + Duration::weeks(weeks), handoff_hour(template.role), 0)
            });
            let mut members = Vec::new();
            for member_zone in template.timezones.split_whitespace() {
                members.push(self.people.len());
                self.people.push(names.person(zone(member_zone), Some(team_index), random));
            }
            if let Some(rank) = product_teams.iter().position(|team| *team == offset) {
                let count = extra / product_teams.len() + usize::from(rank < extra % product_teams.len());
                let zones: Vec<&str> = template.timezones.split_whitespace().collect();
                for n in 0..count {
                    members.push(self.people.len());
                    self.people.push(names.person(zone(zones[n % zones.len()]), Some(team_index), random));
                }
            }
            self.teams.push(Team {
                name,
                display_name: if suffix.is_empty() {
                    template.display_name.to_owned()
                } else {
                    format!("{} {}", template.display_name, copy + 1)
                },
                description: template.description.to_owned(),
                role: template.role,
                members,
                timezone,
                schedule,
                oncall_from,
                copy,
            });
        }
        let platform_schedule = self.teams[first_team].schedule.clone().unwrap_or_default();
        self.platform_schedules.push(platform_schedule.clone());
        // The VP of engineering: in the catalog, in no team, never paged.
        self.people.push(names.person(zone("Europe/Berlin"), None, random));

        for (offset, template) in TEMPLATE.iter().enumerate() {
            let team = first_team + offset;
            for service_template in template.services {
                let service_index = self.services.len();
                let name = format!("{}{suffix}", service_template.name);
                let repo_name = match service_template.monorepo {
                    Some(monorepo) => format!("{monorepo}{suffix}"),
                    None => name.clone(),
                };
                let repo = match self.repos.iter().position(|repo| repo.name == repo_name) {
                    Some(existing) => existing,
                    None => {
                        self.repos.push(Repo {
                            name: repo_name,
                            services: Vec::new(),
                            team,
                            files: Vec::new(),
                            pull_requests_per_day: 0.0,
                        });
                        self.repos.len() - 1
                    }
                };
                let directory = match service_template.monorepo {
                    Some(_) => format!("services/{}/", service_template.name),
                    None => String::new(),
                };
                let paths = match service_template.monorepo {
                    Some(_) => vec![
                        format!("services/{}/**", service_template.name),
                        format!("charts/{}/**", service_template.name),
                        format!(".github/workflows/{}.yml", service_template.name),
                    ],
                    None => Vec::new(),
                };
                let policy = match template.role {
                    Role::Platform | Role::Healthy => DeployPolicy::OnMerge,
                    Role::Handover | Role::Dissolved => DeployPolicy::Release,
                };
                // A service without a schedule of its own still pages
                // someone: the platform's catch-all escalation policy.
                let oncall = if service_template.oncall { self.teams[team].schedule.clone() } else { None };
                self.services.push(Service {
                    name,
                    title: service_template.title.to_owned(),
                    description: service_template.description.to_owned(),
                    team,
                    paths,
                    directory,
                    language: service_template.language,
                    runbook: service_template.runbook,
                    oncall,
                    pipeline_by_platform: service_template.pipeline_by_platform,
                    pagerduty_id: format!("P{}", random.text(PAGERDUTY_ALPHABET, 6)),
                    policy,
                });
                let repo = &mut self.repos[repo];
                repo.services.push(service_index);
                repo.pull_requests_per_day += service_template.pull_requests_per_day;
            }
        }
        for repo in first_repo_of_copy(self, first_team)..self.repos.len() {
            let files = files_of(self, repo);
            self.repos[repo].files = files;
        }
    }

    /// The platform team of `team`'s copy.
    pub fn platform_of(&self, team: usize) -> usize {
        self.teams[team].copy * TEAMS_PER_COPY
    }

    /// The platform engineer who gets the night pages and does most
    /// deployments, in `team`'s copy.
    pub fn hero_of(&self, team: usize) -> usize {
        self.teams[self.platform_of(team)].members[0]
    }

    /// The time zone a person works in.
    pub fn timezone_of(&self, person: usize) -> Tz {
        self.people[person].timezone
    }

    /// True when `person` is a member of `team`. (Teams here have no
    /// sub-teams, so members of the owning group are the owners.)
    pub fn is_member(&self, person: usize, team: usize) -> bool {
        self.people[person].team == Some(team)
    }

    /// Finds a person by User name.
    pub fn person_named(&self, name: &str) -> Option<usize> {
        self.people.iter().position(|person| person.name == name)
    }
}

fn first_repo_of_copy(org: &Org, first_team: usize) -> usize {
    org.repos.iter().position(|repo| repo.team >= first_team).unwrap_or(org.repos.len())
}

/// The files of a repository: each service's code, pipeline and chart,
/// Terraform, and a README.
fn files_of(org: &Org, repo: usize) -> Vec<RepoFile> {
    let mut files = vec![RepoFile { path: "README.md".to_owned(), kind: FileKind::Docs, service: None }];
    let repo = &org.repos[repo];
    let monorepo = repo.services.len() > 1;
    for &service_index in &repo.services {
        let service = &org.services[service_index];
        let base_name = service.directory.trim_end_matches('/').rsplit('/').next().unwrap_or_default().to_owned();
        let code: &[&str] = match service.language {
            Language::Go => &[
                "cmd/server/main.go",
                "internal/api/handlers.go",
                "internal/api/routes.go",
                "internal/store/postgres.go",
                "internal/domain/model.go",
                "internal/domain/rules.go",
                "internal/api/handlers_test.go",
                "go.mod",
                "Dockerfile",
            ],
            Language::TypeScript => &[
                "src/index.ts",
                "src/routes.ts",
                "src/handlers.ts",
                "src/db.ts",
                "src/model.ts",
                "test/handlers.test.ts",
                "package.json",
                "Dockerfile",
            ],
            Language::Kotlin => &[
                "src/main/kotlin/App.kt",
                "src/main/kotlin/Routes.kt",
                "src/main/kotlin/Service.kt",
                "src/main/kotlin/Repository.kt",
                "src/test/kotlin/ServiceTest.kt",
                "build.gradle.kts",
                "Dockerfile",
            ],
            Language::Python => &[
                "app/main.py",
                "app/api.py",
                "app/models.py",
                "app/jobs.py",
                "tests/test_api.py",
                "pyproject.toml",
                "Dockerfile",
            ],
        };
        for path in code {
            files.push(RepoFile {
                path: format!("{}{path}", service.directory),
                kind: FileKind::Code,
                service: Some(service_index),
            });
        }
        let (workflows, chart): (Vec<String>, String) = if monorepo {
            (vec![format!(".github/workflows/{base_name}.yml")], format!("charts/{base_name}/"))
        } else {
            (
                vec![".github/workflows/ci.yml".to_owned(), ".github/workflows/deploy.yml".to_owned()],
                "chart/".to_owned(),
            )
        };
        for path in workflows {
            files.push(RepoFile { path, kind: FileKind::Pipeline, service: Some(service_index) });
        }
        for path in ["Chart.yaml", "values.yaml", "templates/deployment.yaml", "templates/service.yaml"] {
            files.push(RepoFile {
                path: format!("{chart}{path}"),
                kind: FileKind::Infrastructure,
                service: Some(service_index),
            });
        }
        if !monorepo {
            for path in ["infra/main.tf", "infra/variables.tf"] {
                files.push(RepoFile {
                    path: path.to_owned(),
                    kind: FileKind::Infrastructure,
                    service: Some(service_index),
                });
            }
        }
    }
    if monorepo {
        for path in ["infra/main.tf", "infra/variables.tf"] {
            files.push(RepoFile { path: path.to_owned(), kind: FileKind::Infrastructure, service: None });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// Hands out unique names: the pools shuffled by the seed, then walked.
struct NamePool {
    first: Vec<&'static str>,
    last: Vec<&'static str>,
    next: usize,
    logins: std::collections::HashSet<String>,
}

impl NamePool {
    fn new(random: &mut Random) -> Self {
        let mut first: Vec<&'static str> = FIRST_NAMES.split_whitespace().collect();
        let mut last: Vec<&'static str> = LAST_NAMES.split_whitespace().collect();
        random.shuffle(&mut first);
        random.shuffle(&mut last);
        Self { first, last, next: 0, logins: std::collections::HashSet::new() }
    }

    fn person(&mut self, timezone: Tz, team: Option<usize>, random: &mut Random) -> Person {
        let n = self.next;
        self.next += 1;
        // Walk the pairs diagonally so that neighbours share neither name;
        // past every pair, a number keeps names unique.
        let (first_count, last_count) = (self.first.len(), self.last.len());
        let round = n / first_count;
        let first = self.first[n % first_count];
        let last = self.last[(n + round) % last_count];
        let number = if round >= last_count { format!("{}", round / last_count + 1) } else { String::new() };
        let (first_slug, last_slug) = (slug(first), slug(last));
        let name = format!("{first_slug}.{last_slug}{number}");
        let full = format!("{first_slug}{last_slug}{number}");
        let mut login = match random.below(4) {
            0 => full.clone(),
            1 => format!("{}{last_slug}{number}", &first_slug[..1]),
            2 => format!("{first_slug}-{last_slug}{number}"),
            _ => format!("{first_slug}{}{}", &last_slug[..1], 10 + random.below(90)),
        };
        // A short login may be taken; the full one never is (names are
        // unique).
        if !self.logins.insert(login.clone()) {
            login = full;
            self.logins.insert(login.clone());
        }
        let mut emails = vec![format!("{name}@{EMAIL_DOMAIN}")];
        // Some people also commit from a personal address; the catalog
        // lists both, as it should.
        if random.chance(0.3) {
            emails.push(format!("{first_slug}{number}@{last_slug}.example"));
        }
        Person {
            name,
            display_name: format!(
                "{first} {last}{}",
                if number.is_empty() { String::new() } else { format!(" {number}") }
            ),
            login,
            emails,
            pagerduty_id: format!("P{}", random.text(PAGERDUTY_ALPHABET, 6)),
            timezone,
            team,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap()
    }

    #[test]
    fn one_copy_has_the_planted_shape() {
        let org = Org::build(42, 1, start());
        assert_eq!(org.teams.len(), 6);
        assert_eq!(org.people.len(), 25);
        assert_eq!(org.services.len(), 15);
        assert_eq!(org.repos.len(), 14, "the two search services share a monorepo");
        let platform = &org.teams[0];
        assert_eq!((platform.role, platform.members.len()), (Role::Platform, 2));
        let dissolved = org.teams.iter().find(|team| team.role == Role::Dissolved).unwrap();
        assert!(dissolved.members.is_empty());
        let monorepo = org.repos.iter().find(|repo| repo.services.len() == 2).unwrap();
        assert!(org.services[monorepo.services[0]].paths.iter().any(|p| p.starts_with("services/")));
        let mut names: Vec<&str> = org.people.iter().map(|p| p.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 25, "names are unique");
    }

    #[test]
    fn copies_are_suffixed_and_names_stay_unique() {
        let org = Org::build(42, 3, start());
        assert_eq!((org.teams.len(), org.people.len(), org.services.len()), (18, 75, 45));
        assert!(org.services.iter().any(|s| s.name == "orders-api-3"));
        assert!(org.teams.iter().any(|t| t.name == "platform-2"));
        let mut logins: Vec<&str> = org.people.iter().map(|p| p.name.as_str()).collect();
        logins.sort_unstable();
        logins.dedup();
        assert_eq!(logins.len(), 75);
    }

    #[test]
    fn the_seed_decides_who_is_who() {
        let a = Org::build(1, 1, start());
        let b = Org::build(2, 1, start());
        let names = |org: &Org| org.people.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&a), names(&Org::build(1, 1, start())));
        assert_ne!(names(&a), names(&b));
    }
}
