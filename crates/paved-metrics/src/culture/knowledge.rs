//! Knowledge concentration (DESIGN §6, knowledge hoarding): bus factors of
//! deployments, acknowledgements and pages, after-hours pages per person,
//! code truck factors per repository, and runbook coverage.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use paved_domain::EntityRef;

use super::{Diagnosis, round3, services_of_repo};

/// The smallest number of people who together account for at least half.
#[derive(Debug, Clone, PartialEq)]
pub struct BusFactor {
    /// How many people (0 without data).
    pub bus_factor: u64,
    /// Those people.
    pub people: Vec<EntityRef>,
    /// Over how many events.
    pub events: u64,
}

/// Bus factors of one service (or the organisation).
#[derive(Debug, Clone, PartialEq)]
pub struct BusFactors {
    /// The service, or `null` for the scope as a whole.
    pub service: Option<EntityRef>,
    /// Of production deployments.
    pub deployments: BusFactor,
    /// Of incident acknowledgements.
    pub acknowledgements: BusFactor,
    /// Of pages.
    pub pages: BusFactor,
}

/// A repository's code truck factor (Avelino et al., ICPC 2016).
#[derive(Debug, Clone, PartialEq)]
pub struct TruckFactor {
    /// The repository (the first service's reference that lives in it).
    pub services: Vec<EntityRef>,
    /// How many authors must leave before more than half of the files have
    /// no author left.
    pub truck_factor: u64,
    /// Those authors (catalog Users, or e-mails not in the catalog).
    pub authors: Vec<String>,
    /// Files considered.
    pub files: u64,
    /// Every author and how many files they are an author of, most first.
    pub file_authors: Vec<(String, u64)>,
}

/// After-hours pages of one person.
#[derive(Debug, Clone, PartialEq)]
pub struct AfterHours {
    /// The person.
    pub person: EntityRef,
    /// Their team.
    pub team: Option<EntityRef>,
    /// Pages in their own time zone's night.
    pub after_hours_pages: u64,
    /// All their pages.
    pub pages: u64,
}

/// Knowledge concentration (DESIGN §6, knowledge hoarding).
#[derive(Debug, Clone, PartialEq)]
pub struct Knowledge {
    /// The scope as a whole.
    pub scope: BusFactors,
    /// Each service.
    pub services: Vec<BusFactors>,
    /// After-hours pages per person, most first.
    pub after_hours: Vec<AfterHours>,
    /// The top person's share of after-hours pages.
    pub after_hours_top_share: Option<f64>,
    /// Code truck factor per repository.
    pub truck_factors: Vec<TruckFactor>,
    /// Services with a runbook link, of all.
    pub runbook_coverage: Option<f64>,
}

/// A repository's truck factor, whatever the scope: [`TruckFactor`] without
/// the services.
#[derive(Debug, Clone)]
pub(crate) struct RepoTruckFactor {
    truck_factor: u64,
    authors: Vec<String>,
    files: u64,
    file_authors: Vec<(String, u64)>,
}

impl Diagnosis<'_> {
    fn bus_factor<'p>(people: impl Iterator<Item = &'p EntityRef>) -> BusFactor {
        let ranked = Self::ranking(people);
        let events: u64 = ranked.iter().map(|(_, n)| n).sum();
        let mut covered = 0;
        let mut chosen = Vec::new();
        for (person, n) in ranked {
            if events == 0 || covered * 2 >= events {
                break;
            }
            covered += n;
            chosen.push(person);
        }
        BusFactor { bus_factor: chosen.len() as u64, people: chosen, events }
    }

    fn bus_factors(&self, service: Option<usize>) -> BusFactors {
        let only;
        let scope: &[usize] = match service {
            Some(s) => {
                only = [s];
                &only
            }
            None => self.services,
        };
        let deployers: Vec<&EntityRef> = scope
            .iter()
            .filter_map(|s| self.facts.get(*s))
            .flat_map(|f| self.window.slice(&f.deployments, |d| d.finished))
            .filter_map(|d| d.actor.as_ref())
            .collect();
        let incidents: Vec<_> =
            self.incidents_of(scope).filter(|i| i.opened_at.is_some_and(|o| self.window.contains(o))).collect();
        let acknowledgers: Vec<&EntityRef> = incidents.iter().filter_map(|i| i.acknowledged_by.as_ref()).collect();
        let paged: Vec<&EntityRef> =
            incidents.iter().flat_map(|i| &i.pages).filter_map(|p| p.person.as_ref()).collect();
        BusFactors {
            service: service.map(|s| self.dataset.services[s].service.clone()),
            deployments: Self::bus_factor(deployers.into_iter()),
            acknowledgements: Self::bus_factor(acknowledgers.into_iter()),
            pages: Self::bus_factor(paged.into_iter()),
        }
    }

    fn after_hours(&self) -> Vec<AfterHours> {
        let mut per_person: BTreeMap<EntityRef, (u64, u64)> = BTreeMap::new();
        for incident in self.incidents_of(self.services) {
            for page in incident.pages.iter().filter(|p| self.window.contains(p.at)) {
                let Some(person) = &page.person else { continue };
                let zone = self.dataset.people.get(person).map_or(chrono_tz::Tz::UTC, |p| p.timezone);
                let night = self.config.is_after_hours(page.at, zone);
                let entry = per_person.entry(person.clone()).or_default();
                entry.1 += 1;
                entry.0 += u64::from(night);
            }
        }
        let mut list: Vec<AfterHours> = per_person
            .into_iter()
            .map(|(person, (after, all))| AfterHours {
                team: self.team_of(&person),
                person,
                after_hours_pages: after,
                pages: all,
            })
            .collect();
        list.sort_by(|a, b| b.after_hours_pages.cmp(&a.after_hours_pages).then_with(|| a.person.cmp(&b.person)));
        list
    }

    /// The degree-of-authorship truck factor (Avelino et al., ICPC 2016)
    /// of each repository of the scope, over its whole history.
    fn truck_factors(&self) -> Vec<TruckFactor> {
        services_of_repo(self.dataset, self.services)
            .into_iter()
            .map(|(repo, services)| {
                let computed = match self.truck_factors.get(repo) {
                    Some(cell) => cell.get_or_init(|| self.repo_truck_factor(repo)).clone(),
                    None => self.repo_truck_factor(repo),
                };
                TruckFactor {
                    services: services.iter().map(|s| self.dataset.services[*s].service.clone()).collect(),
                    truck_factor: computed.truck_factor,
                    authors: computed.authors,
                    files: computed.files,
                    file_authors: computed.file_authors,
                }
            })
            .collect()
    }

    /// The degree-of-authorship truck factor of one repository over its
    /// whole history. Developers are numbered (a catalog User, or an
    /// e-mail not in the catalog) and files are the graph's path numbers.
    fn repo_truck_factor(&self, repo: usize) -> RepoTruckFactor {
        let graph = &self.dataset.repos[repo];
        let authors = &self.dataset.authors[repo];
        // Author number -> developer number (None for automation).
        let mut names: Vec<String> = Vec::new();
        let mut numbers: HashMap<String, u32> = HashMap::new();
        let developer_of: Vec<Option<u32>> = authors
            .iter()
            .enumerate()
            .map(|(author, (person, automation))| {
                if *automation {
                    return None;
                }
                let name = person.as_ref().map_or_else(|| graph.author_keys()[author].clone(), ToString::to_string);
                Some(*numbers.entry(name).or_insert_with_key(|name| {
                    names.push(name.clone());
                    names.len() as u32 - 1
                }))
            })
            .collect();
        // Per file: who created it, and how many commits each developer made to it.
        let mut creator: Vec<Option<u32>> = vec![None; graph.path_count()];
        let mut deliveries: Vec<HashMap<u32, u64>> = vec![HashMap::new(); graph.path_count()];
        for &commit in graph.in_time_order() {
            let Some(dev) = developer_of[graph.author(commit) as usize] else { continue };
            for &file in graph.file_ids(commit) {
                creator[file as usize].get_or_insert(dev);
                *deliveries[file as usize].entry(dev).or_default() += 1;
            }
        }
        let mut authors_of: Vec<BTreeSet<&str>> = Vec::new();
        for (file, by_dev) in deliveries.iter().enumerate() {
            if by_dev.is_empty() {
                continue;
            }
            let total: u64 = by_dev.values().sum();
            let doa: Vec<(u32, f64)> = by_dev
                .iter()
                .map(|(&dev, &dl)| {
                    let fa = if creator[file] == Some(dev) { 1.0 } else { 0.0 };
                    let ac = (total - dl) as f64;
                    (dev, 3.293 + 1.098 * fa + 0.164 * dl as f64 - 0.321 * (1.0 + ac).ln())
                })
                .collect();
            let max = doa.iter().map(|(_, d)| *d).fold(f64::MIN, f64::max);
            authors_of.push(
                doa.into_iter()
                    .filter(|(_, d)| max > 0.0 && d / max > 0.75 && *d >= 3.293)
                    .map(|(dev, _)| names[dev as usize].as_str())
                    .collect(),
            );
        }
        let files = authors_of.len();
        let mut file_authors: BTreeMap<&str, u64> = BTreeMap::new();
        for author in authors_of.iter().flatten() {
            *file_authors.entry(author).or_default() += 1;
        }
        let mut file_authors: Vec<(String, u64)> =
            file_authors.into_iter().map(|(author, n)| (author.to_owned(), n)).collect();
        file_authors.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        // Greedily remove the author of most files until more than half
        // the files have no author left.
        let mut removed: Vec<String> = Vec::new();
        let mut remaining = authors_of;
        loop {
            let orphaned = remaining.iter().filter(|a| a.is_empty()).count();
            if files == 0 || orphaned * 2 > files {
                break;
            }
            let mut coverage: BTreeMap<&str, usize> = BTreeMap::new();
            for file_authors in &remaining {
                for author in file_authors {
                    *coverage.entry(author).or_default() += 1;
                }
            }
            let Some((top, _)) = coverage.into_iter().max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(a.0))) else {
                break;
            };
            for file_authors in &mut remaining {
                file_authors.remove(top);
            }
            removed.push(top.to_owned());
        }
        RepoTruckFactor { truck_factor: removed.len() as u64, authors: removed, files: files as u64, file_authors }
    }

    pub fn knowledge(&self) -> Knowledge {
        let after_hours = self.after_hours();
        let total_after: u64 = after_hours.iter().map(|a| a.after_hours_pages).sum();
        let runbooks = self.services.iter().filter(|s| self.dataset.services[**s].runbooks > 0).count();
        Knowledge {
            scope: self.bus_factors(None),
            services: self.services.iter().map(|s| self.bus_factors(Some(*s))).collect(),
            after_hours_top_share: after_hours
                .first()
                .filter(|_| total_after > 0)
                .map(|top| round3(top.after_hours_pages as f64 / total_after as f64)),
            after_hours,
            truck_factors: self.truck_factors(),
            runbook_coverage: (!self.services.is_empty()).then(|| round3(runbooks as f64 / self.services.len() as f64)),
        }
    }
}
