//! The transition phase (DESIGN §6), read from the four-line test over the
//! window and month by month.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{CultureConfig, Diagnosis, FourLineTest};

/// The transition phases (DESIGN §6), in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// A DevOps team does the work: reframe DevOps as a capability.
    Reframe,
    /// The platform builds self-service tools while still operating.
    Build,
    /// Deployments are being handed to the teams that build.
    Transfer,
    /// Teams deploy; on call and infrastructure are shifting to them.
    Shift,
    /// Developers run what they build; keep improving.
    Evolve,
}

/// The phase of a period, with the figures that decided it.
#[derive(Debug, Clone, PartialEq)]
pub struct PhasePoint {
    /// The period's start.
    pub period_start: DateTime<Utc>,
    /// The phase (`null` without deployments to judge by).
    pub phase: Option<Phase>,
    /// True when the window cuts the month: its phase is shown, marked,
    /// and does not decide the window's.
    pub partial: bool,
}

/// The rule that decides the phase: its cut-offs on the share of
/// production deployments made by owners.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PhaseRule {
    /// Under this share: `reframe`.
    pub reframe_below: f64,
    /// Under this share (the deploy line's role threshold): `build`.
    pub build_below: f64,
    /// Under this share (the deploy line's culture threshold): `transfer`.
    pub transfer_below: f64,
}

/// The transition phase.
#[derive(Debug, Clone, PartialEq)]
pub struct PhaseReport {
    /// The phase over the window.
    pub phase: Option<Phase>,
    /// The rule that decided it.
    pub rule: PhaseRule,
    /// The figures the rule read.
    pub decided_by: BTreeMap<&'static str, Option<f64>>,
    /// The months of the window that did not decide it because the window
    /// cuts them (the month in progress, a month the window starts in):
    /// the phase is read from the whole months when they hold production
    /// deployments, else (none listed here) from the whole window.
    pub partial_months_left_out: Vec<DateTime<Utc>>,
    /// The phase per calendar month.
    pub series: Vec<PhasePoint>,
}

impl Diagnosis<'_> {
    /// The phase of `test`'s whole-window values (or a month's).
    fn phase_of(
        deploy: Option<f64>,
        on_call: Option<f64>,
        pipelines: Option<f64>,
        provision: Option<f64>,
        config: &CultureConfig,
    ) -> Option<Phase> {
        let deploy = deploy?;
        let others_culture = [(on_call, config.on_call), (pipelines, config.pipelines), (provision, config.provision)]
            .into_iter()
            .all(|(value, t)| value.is_none_or(|v| v >= t.culture - 1e-12));
        Some(if deploy < config.cutoffs.reframe_below {
            Phase::Reframe
        } else if deploy < config.deploy.role + 1e-12 {
            Phase::Build
        } else if deploy < config.deploy.culture - 1e-12 {
            Phase::Transfer
        } else if !others_culture {
            Phase::Shift
        } else {
            Phase::Evolve
        })
    }

    pub fn phase(&self, test: &FourLineTest) -> PhaseReport {
        let series = test
            .deploy_own_code
            .series
            .iter()
            .enumerate()
            .map(|(i, point)| PhasePoint {
                period_start: point.period_start,
                phase: Self::phase_of(
                    point.value,
                    test.on_call_own_services.series.get(i).and_then(|p| p.value),
                    test.own_pipelines.series.get(i).and_then(|p| p.value),
                    test.self_provision.series.get(i).and_then(|p| p.value),
                    self.config,
                ),
                partial: point.partial,
            })
            .collect();
        // Whole months decide when they hold production deployments; a
        // month in progress (or cut by the window's start) does not.
        let by_whole_months = test.deploy_own_code.whole_months_value.is_some()
            && test.deploy_own_code.series.iter().any(|point| point.partial);
        let value = |line: &super::Line| if by_whole_months { line.whole_months_value } else { line.value };
        let partial_months_left_out = if by_whole_months {
            test.deploy_own_code.series.iter().filter(|p| p.partial).map(|p| p.period_start).collect()
        } else {
            Vec::new()
        };
        PhaseReport {
            phase: Self::phase_of(
                value(&test.deploy_own_code),
                value(&test.on_call_own_services),
                value(&test.own_pipelines),
                value(&test.self_provision),
                self.config,
            ),
            rule: PhaseRule {
                reframe_below: self.config.cutoffs.reframe_below,
                build_below: self.config.deploy.role,
                transfer_below: self.config.deploy.culture,
            },
            decided_by: BTreeMap::from([
                ("deploy_own_code", value(&test.deploy_own_code)),
                ("on_call_own_services", value(&test.on_call_own_services)),
                ("own_pipelines", value(&test.own_pipelines)),
                ("self_provision", value(&test.self_provision)),
            ]),
            partial_months_left_out,
            series,
        }
    }
}
