//! One service as its page shows it: the catalog's view of it, its
//! diagnosis over a window, its recent deployments (with their actors) and
//! incidents, and who is on call for it now. Gathered here; the web page
//! only lays it out.

use std::collections::BTreeSet;
use std::sync::Arc;

use paved_domain::{EntityRef, Identity, Incident, Record, RecordKind, ServiceInfo};
use paved_metrics::{BenchmarkTable, CultureReport, DeploymentFact, ServiceFacts, Window};
use paved_store::RecordFilter;

use crate::deployments::ActedDeployment;
use crate::oncall::{OnCallNow, OnCallScope};
use crate::{App, AppError, OrgAnalysis, ScopeRequest};

/// How many recent deployments and incidents an overview lists.
pub const RECENT: u32 = 25;

/// Everything a service's page shows.
#[derive(Debug)]
pub struct ServiceOverview {
    /// The organisation's analysis it was read from.
    pub org: Arc<OrgAnalysis>,
    /// The service as the catalog describes it.
    pub info: ServiceInfo,
    /// Its diagnosis over the window.
    pub report: Arc<CultureReport>,
    /// The people of its owning team.
    pub owners: BTreeSet<EntityRef>,
    /// Its latest deployments in the window (at most [`RECENT`]), newest
    /// first, every status.
    pub deployments: Vec<ActedDeployment>,
    /// Its latest incidents in the window (at most [`RECENT`]).
    pub incidents: Vec<Incident>,
    /// Its on-call Schedule, when it has one.
    pub schedule: Option<EntityRef>,
    /// Who is on call for it now (one per layer of its Schedule), until
    /// when, and who is next.
    pub on_call: Vec<OnCallNow>,
    /// The golden path it was made from and its drift last found, when
    /// `paved new` made it.
    pub golden_path: Option<crate::scaffold::drift::ServiceDrift>,
    /// Its results on each scorecard, as last kept.
    pub scores: Vec<crate::scorecards::ServiceScore>,
    index: Option<usize>,
}

impl ServiceOverview {
    /// The DORA facts of the service over its whole history.
    pub fn facts(&self) -> Option<&ServiceFacts> {
        self.index.and_then(|index| self.org.analysis.dora().facts().get(index))
    }

    /// What the DORA analysis made of one of its deployments (change set,
    /// failure); `None` for deployments it does not count.
    pub fn deployment_fact(&self, key: &str) -> Option<&DeploymentFact> {
        self.facts().and_then(|facts| facts.deployments.iter().find(|fact| fact.key == key))
    }

    /// The catalog User behind `identity`, when known.
    pub fn person_of(&self, identity: &Identity) -> Option<EntityRef> {
        self.org.catalog.resolve_person(identity, None).cloned()
    }
}

impl App {
    /// The overview of the service named `name` (case-insensitive) over
    /// `window`.
    ///
    /// # Errors
    /// [`AppError::NotFound`] when the catalog has no such service;
    /// [`AppError::Store`] when the store cannot be read.
    pub async fn service_overview(&self, name: &str, window: Window) -> Result<ServiceOverview, AppError> {
        let org = self.org_analysis().await?;
        let Some(info) =
            org.catalog.services().into_iter().find(|i| i.entity_ref.name().eq_ignore_ascii_case(name)).cloned()
        else {
            return Err(AppError::NotFound(format!("no service `{name}` in the catalog")));
        };
        let service = info.entity_ref.clone();
        let report = self
            .analysis
            .report(self, &ScopeRequest::Service(service.to_string()), window, BenchmarkTable::default())
            .await?;
        let index = org.indices(std::slice::from_ref(&service)).first().copied();
        let owners = org.catalog.owners_of(&service);
        let recent = |kind| {
            let mut filter = RecordFilter::new(kind);
            filter.services = vec![service.clone()];
            filter.since = Some(window.since);
            filter.until = Some(window.until);
            filter.limit = RECENT;
            filter
        };
        let pick = |record| if let Record::Deployment(d) = record { Some(d) } else { None };
        let deployments = crate::records_as(self.store.records(&recent(RecordKind::Deployment)).await?, pick);
        let deployments = self.with_actors(&org.catalog, deployments).await?;
        let pick = |record| if let Record::Incident(i) = record { Some(i) } else { None };
        let incidents = crate::records_as(self.store.records(&recent(RecordKind::Incident)).await?, pick);
        let schedule = org.catalog.schedule_of(&service).map(|s| s.entity_ref.clone());
        let on_call = self.who_is_on_call(&OnCallScope::Service(service.to_string()), None).await?;
        let scope = crate::scaffold::drift::DriftScope { service: Some(service.to_string()), team: None };
        let golden_path = self.recorded_drift(&scope).await?.into_iter().next();
        let scope = crate::scorecards::ScoreScope { service: Some(service.to_string()), team: None };
        let scores = self.kept_scores(&scope).await?;
        Ok(ServiceOverview {
            org,
            info,
            report,
            owners,
            deployments,
            incidents,
            schedule,
            on_call,
            golden_path,
            scores,
            index,
        })
    }
}
