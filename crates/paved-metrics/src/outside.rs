//! What a team's people do to services their team does not own (DESIGN
//! §6, the new silo seen from the team that is the silo): production
//! deployments, pipeline and infrastructure commits, acknowledgements and
//! on-call hours for other teams' services. A platform team that deploys
//! only its own few services looks healthy by its own services' figures;
//! this is where its deploying for everyone else shows.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use paved_domain::EntityRef;

use crate::culture::{Diagnosis, globs};

/// What a team's people did, in the window, to services the team does not
/// own.
#[derive(Debug, Clone, PartialEq)]
pub struct OutsideWork {
    /// The team's people (members of it and of the Groups below it).
    pub people: u64,
    /// Successful production deployments they made to other teams'
    /// services.
    pub deployments: u64,
    /// Those deployments' share of all production deployments of those
    /// services in the window.
    pub share_of_their_deployments: Option<f64>,
    /// Their production deployments to the team's own services, to compare.
    pub own_deployments: u64,
    /// The services they deployed, most deployments first.
    pub services: Vec<ServiceDeployments>,
    /// Who deployed them, most first.
    pub deployers: Vec<PersonDeployments>,
    /// Their commits to other teams' repositories that touch pipeline
    /// definitions.
    pub pipeline_commits: u64,
    /// ... that touch infrastructure code.
    pub infrastructure_commits: u64,
    /// Incidents of other teams' services they acknowledged first.
    pub acknowledgements: u64,
    /// Hours they were on call for other teams' services.
    pub on_call_hours: f64,
}

/// Deployments to one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceDeployments {
    /// The service.
    pub service: EntityRef,
    /// How many.
    pub deployments: u64,
}

/// Deployments by one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonDeployments {
    /// The person.
    pub person: EntityRef,
    /// How many.
    pub deployments: u64,
}

impl OutsideWork {
    /// Whether they did anything at all for other teams.
    pub fn is_empty(&self) -> bool {
        self.deployments == 0
            && self.pipeline_commits == 0
            && self.infrastructure_commits == 0
            && self.acknowledgements == 0
            && self.on_call_hours == 0.0
    }
}

impl Diagnosis<'_> {
    /// What `members` did to the services outside the scope (the team's
    /// own services) in the window.
    pub(crate) fn outside_work(&self, members: &BTreeSet<EntityRef>) -> OutsideWork {
        let in_scope: BTreeSet<usize> = self.services.iter().copied().collect();
        let outside: Vec<usize> = (0..self.dataset.services.len()).filter(|s| !in_scope.contains(s)).collect();
        let is_member = |person: Option<&EntityRef>| person.is_some_and(|p| members.contains(p));

        let mut deployers: Vec<&EntityRef> = Vec::new();
        let mut per_service: Vec<ServiceDeployments> = Vec::new();
        let mut all_outside = 0u64;
        for &service in &outside {
            let Some(facts) = self.facts.get(service) else { continue };
            let window = self.window.slice(&facts.deployments, |d| d.finished);
            all_outside += window.len() as u64;
            let by_members: Vec<&EntityRef> =
                window.iter().filter_map(|d| d.actor.as_ref()).filter(|a| members.contains(*a)).collect();
            if !by_members.is_empty() {
                per_service.push(ServiceDeployments {
                    service: self.dataset.services[service].service.clone(),
                    deployments: by_members.len() as u64,
                });
                deployers.extend(by_members);
            }
        }
        per_service.sort_by(|a, b| b.deployments.cmp(&a.deployments).then_with(|| a.service.cmp(&b.service)));
        let deployments = deployers.len() as u64;
        let own_deployments = self.deployments_in(&self.window).filter(|d| is_member(d.actor.as_ref())).count() as u64;

        let (pipeline_commits, infrastructure_commits) = self.outside_commits(&outside, members);

        let acknowledgements = self
            .dataset
            .incidents
            .iter()
            .filter(|i| !in_scope.contains(&i.service) && i.acknowledged && is_member(i.acknowledged_by.as_ref()))
            .filter(|i| i.opened_at.is_some_and(|at| self.window.contains(at)))
            .count() as u64;
        // A person's hours on call, each hour once: one Schedule covers
        // several services (one shift row each), and two Schedules can
        // overlap, so the shifts of each person are merged first.
        let mut intervals: BTreeMap<&EntityRef, Vec<Interval>> = BTreeMap::new();
        for shift in self.dataset.shifts.iter().filter(|s| !in_scope.contains(&s.service)) {
            let Some(person) = shift.person.as_ref().filter(|p| members.contains(*p)) else { continue };
            let (start, end) = (shift.start.max(self.window.since), shift.end.min(self.window.until));
            if start < end {
                intervals.entry(person).or_default().push((start, end));
            }
        }
        let on_call_hours = intervals.into_values().map(merged_hours).sum::<f64>();

        OutsideWork {
            people: members.len() as u64,
            deployments,
            share_of_their_deployments: (all_outside > 0)
                .then(|| (deployments as f64 / all_outside as f64 * 1000.0).round() / 1000.0),
            own_deployments,
            services: per_service,
            deployers: Self::ranking(deployers.into_iter())
                .into_iter()
                .map(|(person, deployments)| PersonDeployments { person, deployments })
                .collect(),
            pipeline_commits,
            infrastructure_commits,
            acknowledgements,
            on_call_hours: (on_call_hours * 10.0).round() / 10.0,
        }
    }

    /// Commits in the window by `members` to the repositories of the
    /// `outside` services that the scope does not deploy from, touching
    /// pipeline definitions and infrastructure code (each commit counted
    /// once per line).
    fn outside_commits(&self, outside: &[usize], members: &BTreeSet<EntityRef>) -> (u64, u64) {
        let scope_repos: BTreeSet<usize> =
            self.services.iter().filter_map(|&s| self.dataset.services[s].repo).collect();
        let repos: BTreeSet<usize> = outside
            .iter()
            .filter_map(|&s| self.dataset.services[s].repo)
            .filter(|repo| !scope_repos.contains(repo))
            .collect();
        let (pipelines, infrastructure) =
            (globs(&self.config.pipeline_globs), globs(&self.config.infrastructure_globs));
        let (mut pipeline_commits, mut infrastructure_commits) = (0u64, 0u64);
        for repo in repos {
            let graph = &self.dataset.repos[repo];
            // Decided once per author of the repository, not per commit.
            let member: Vec<bool> = self.dataset.authors[repo]
                .iter()
                .map(|(person, automation)| !automation && person.as_ref().is_some_and(|p| members.contains(p)))
                .collect();
            if !member.contains(&true) {
                continue;
            }
            for &commit in graph.committed_between(self.window.since, self.window.until) {
                if !member[graph.author(commit) as usize] {
                    continue;
                }
                let paths = || graph.file_ids(commit).iter().map(|&file| graph.path(file));
                pipeline_commits += u64::from(paths().any(|path| pipelines.is_match(path)));
                infrastructure_commits += u64::from(paths().any(|path| infrastructure.is_match(path)));
            }
        }
        (pipeline_commits, infrastructure_commits)
    }
}

/// A span of time on call: start and end.
type Interval = (DateTime<Utc>, DateTime<Utc>);

/// The hours the intervals cover, an hour covered twice counted once.
fn merged_hours(mut intervals: Vec<Interval>) -> f64 {
    intervals.sort();
    let mut seconds = 0i64;
    let mut current: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
    for (start, end) in intervals {
        current = match current {
            Some((from, until)) if start <= until => Some((from, until.max(end))),
            Some((from, until)) => {
                seconds += (until - from).num_seconds();
                Some((start, end))
            }
            None => Some((start, end)),
        };
    }
    if let Some((from, until)) = current {
        seconds += (until - from).num_seconds();
    }
    seconds as f64 / 3600.0
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn an_hour_on_call_counts_once_however_many_shifts_cover_it() {
        let at = |hour: u32| Utc.with_ymd_and_hms(2026, 11, 2, hour, 0, 0).unwrap();
        // One Schedule covering two services gives two equal shifts; a
        // second Schedule overlaps them by an hour; a later shift apart.
        let shifts = vec![(at(8), at(12)), (at(8), at(12)), (at(11), at(13)), (at(20), at(21))];
        assert_eq!(merged_hours(shifts), 6.0);
        assert_eq!(merged_hours(Vec::new()), 0.0);
    }
}
