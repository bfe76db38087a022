//! The measure of a platform's success (DESIGN §7, seed phase 5): the
//! deployments developers performed independently — production
//! deployments made by an owner of the service, through pavedroad or their
//! own CI — and the resources they provisioned themselves through
//! pavedroad, per month.

use chrono::{DateTime, Utc};
use paved_domain::Source;

use super::Diagnosis;
use crate::window::{Period, Window};

/// What developers did themselves in one period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SelfServiceCounts {
    /// Successful production deployments made by an owner of the service.
    pub deployments_by_owners: u64,
    /// Of those, the ones made through pavedroad's own deploy.
    pub deployments_through_paved: u64,
    /// Successful production deployments made by someone known who does
    /// not own the service: the handoffs (a DevOps or platform team
    /// deploying for others), the figure to drive to zero.
    pub deployments_by_others: u64,
    /// Successful production deployments in all.
    pub deployments: u64,
    /// Resources made through self-service provisioning at an owner's
    /// request.
    pub resources_by_owners: u64,
    /// Resources made through self-service provisioning in all.
    pub resources: u64,
}

/// One month of [`SelfService`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SelfServicePoint {
    /// The month's start.
    pub period_start: DateTime<Utc>,
    /// Its counts.
    pub counts: SelfServiceCounts,
    /// True when the window cuts the month: its counts are incomplete.
    pub partial: bool,
}

/// What developers did themselves over the window, and per month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfService {
    /// Over the whole window.
    pub counts: SelfServiceCounts,
    /// Per calendar month.
    pub series: Vec<SelfServicePoint>,
}

impl Diagnosis<'_> {
    fn self_service_counts(&self, window: &Window) -> SelfServiceCounts {
        let mut counts = SelfServiceCounts::default();
        let paved = format!("{}:", Source::Paved);
        for deployment in self.deployments_in(window) {
            counts.deployments += 1;
            match deployment.actor_owns {
                Some(true) => {
                    counts.deployments_by_owners += 1;
                    counts.deployments_through_paved += u64::from(deployment.key.starts_with(&paved));
                }
                Some(false) => counts.deployments_by_others += 1,
                None => {}
            }
        }
        let tally = self.provision_tally(window);
        counts.resources = tally.total as u64 + tally.unattributed;
        counts.resources_by_owners = tally.owners as u64;
        counts
    }

    /// What developers did themselves, over the window and per month.
    pub fn self_service(&self) -> SelfService {
        let series: Vec<SelfServicePoint> = self
            .window
            .periods(Period::Month)
            .into_iter()
            .map(|(period_start, inside)| SelfServicePoint {
                period_start,
                counts: self.self_service_counts(&inside),
                partial: !Period::Month.is_whole(period_start, &inside),
            })
            .collect();
        let counts = series.iter().fold(SelfServiceCounts::default(), |sum, point| SelfServiceCounts {
            deployments_by_owners: sum.deployments_by_owners + point.counts.deployments_by_owners,
            deployments_through_paved: sum.deployments_through_paved + point.counts.deployments_through_paved,
            deployments_by_others: sum.deployments_by_others + point.counts.deployments_by_others,
            deployments: sum.deployments + point.counts.deployments,
            resources_by_owners: sum.resources_by_owners + point.counts.resources_by_owners,
            resources: sum.resources + point.counts.resources,
        });
        SelfService { counts, series }
    }
}
