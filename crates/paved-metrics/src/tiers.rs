//! Performance tiers from named benchmark tables (DESIGN §5): `dora-2023`
//! (the default) and `dora-2021`.

/// A benchmark table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BenchmarkTable {
    /// The State of DevOps 2023 clusters.
    #[default]
    Dora2023,
    /// The State of DevOps 2021 clusters.
    Dora2021,
}

impl BenchmarkTable {
    /// The table's name, as printed next to every tier.
    pub fn name(self) -> &'static str {
        match self {
            Self::Dora2023 => "dora-2023",
            Self::Dora2021 => "dora-2021",
        }
    }
}

/// A table by its name, as `--table` and `?table=` take it.
impl std::str::FromStr for BenchmarkTable {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        match name {
            "dora-2023" => Ok(Self::Dora2023),
            "dora-2021" => Ok(Self::Dora2021),
            _ => Err(format!("table `{name}` is not one of dora-2023, dora-2021")),
        }
    }
}

/// A performance tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tier {
    /// The best cluster.
    Elite,
    /// The second.
    High,
    /// The third.
    Medium,
    /// Below.
    Low,
}

impl Tier {
    /// The tier's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Elite => "elite",
            Self::High => "high",
            Self::Medium => "medium",
            Self::Low => "low",
        }
    }
}

const HOUR: f64 = 3600.0;
const DAY: f64 = 24.0 * HOUR;

/// What deployment frequency is tiered on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrequencyFigures {
    /// Median deployment days per ISO week over the window.
    pub median_days_per_week: f64,
    /// Median deployment days per calendar month over the window.
    pub median_days_per_month: f64,
    /// Deployments per 6 months (182.5 days) at the window's rate.
    pub per_six_months: f64,
}

impl BenchmarkTable {
    /// The deployment frequency tier. dora-2023: elite at a median of 5 or
    /// more deployment days a week, high at 1 or more a week, medium at 1 or
    /// more deployment days a calendar month (median), low below. dora-2021:
    /// elite at 5 days a week ("on demand"), high at 1 a month, medium at 1
    /// per 6 months, low below.
    pub fn deployment_frequency(self, figures: FrequencyFigures) -> Tier {
        match self {
            Self::Dora2023 if figures.median_days_per_week >= 5.0 => Tier::Elite,
            Self::Dora2023 if figures.median_days_per_week >= 1.0 => Tier::High,
            Self::Dora2023 if figures.median_days_per_month >= 1.0 => Tier::Medium,
            Self::Dora2021 if figures.median_days_per_week >= 5.0 => Tier::Elite,
            Self::Dora2021 if figures.median_days_per_month >= 1.0 => Tier::High,
            Self::Dora2021 if figures.per_six_months >= 1.0 => Tier::Medium,
            _ => Tier::Low,
        }
    }

    /// The lead time tier of a median in seconds. dora-2023: < 1 day, < 7
    /// days, < 30 days; dora-2021: < 1 hour, < 7 days, < 180 days.
    pub fn lead_time(self, median_seconds: f64) -> Tier {
        let (elite, high, medium) = match self {
            Self::Dora2023 => (DAY, 7.0 * DAY, 30.0 * DAY),
            Self::Dora2021 => (HOUR, 7.0 * DAY, 180.0 * DAY),
        };
        below(median_seconds, elite, high, medium)
    }

    /// The change failure rate tier. dora-2023: ≤ 5 %, ≤ 10 %, ≤ 15 %;
    /// dora-2021: ≤ 15 %, ≤ 20 %, ≤ 30 %.
    pub fn change_failure_rate(self, rate: f64) -> Tier {
        let (elite, high, medium) = match self {
            Self::Dora2023 => (0.05, 0.10, 0.15),
            Self::Dora2021 => (0.15, 0.20, 0.30),
        };
        if rate <= elite + 1e-12 {
            Tier::Elite
        } else if rate <= high + 1e-12 {
            Tier::High
        } else if rate <= medium + 1e-12 {
            Tier::Medium
        } else {
            Tier::Low
        }
    }

    /// The recovery tier of a median in seconds (failed deployment recovery
    /// time in dora-2023, time to restore service in dora-2021): < 1 hour,
    /// < 1 day, < 7 days.
    pub fn recovery(self, median_seconds: f64) -> Tier {
        below(median_seconds, HOUR, DAY, 7.0 * DAY)
    }
}

fn below(value: f64, elite: f64, high: f64, medium: f64) -> Tier {
    if value < elite {
        Tier::Elite
    } else if value < high {
        Tier::High
    } else if value < medium {
        Tier::Medium
    } else {
        Tier::Low
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tier_boundaries_of_both_tables() {
        let t = BenchmarkTable::Dora2023;
        assert_eq!(t.lead_time(DAY - 1.0), Tier::Elite);
        assert_eq!(t.lead_time(DAY), Tier::High, "< 1 day is elite, exactly a day is not");
        assert_eq!(t.change_failure_rate(0.05), Tier::Elite);
        assert_eq!(t.change_failure_rate(0.150_000_1), Tier::Low);
        assert_eq!(t.recovery(3599.0), Tier::Elite);
        let f = |week, month, six| FrequencyFigures {
            median_days_per_week: week,
            median_days_per_month: month,
            per_six_months: six,
        };
        assert_eq!(t.deployment_frequency(f(5.0, 20.0, 100.0)), Tier::Elite);
        assert_eq!(t.deployment_frequency(f(1.0, 4.0, 30.0)), Tier::High);
        assert_eq!(t.deployment_frequency(f(0.0, 1.0, 6.0)), Tier::Medium);
        assert_eq!(t.deployment_frequency(f(0.0, 0.0, 1.0)), Tier::Low);
        let old = BenchmarkTable::Dora2021;
        assert_eq!(old.lead_time(HOUR), Tier::High);
        assert_eq!(old.deployment_frequency(f(0.0, 1.0, 6.0)), Tier::High);
        assert_eq!(old.deployment_frequency(f(0.0, 0.0, 1.0)), Tier::Medium);
        assert_eq!(old.change_failure_rate(0.2), Tier::High);
        assert_eq!("dora-2021".parse::<BenchmarkTable>(), Ok(old));
        assert_eq!(
            "dora-2024".parse::<BenchmarkTable>().unwrap_err(),
            "table `dora-2024` is not one of dora-2023, dora-2021"
        );
    }
}
