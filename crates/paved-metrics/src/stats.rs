//! Percentiles as DESIGN §5 defines them: linear interpolation between the
//! closest ranks, rank = p·(n−1), as SQL's `PERCENTILE_CONT` — so the median
//! of an even count is the mean of the two middle values.

/// The `p` percentile (0 ≤ p ≤ 1) of `values`, or `None` when there are
/// none. `values` need not be sorted; NaNs must not be given.
pub fn percentile(values: &mut [f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let rank = p.clamp(0.0, 1.0) * (values.len() - 1) as f64;
    let lower = rank.floor() as usize;
    let upper = rank.ceil() as usize;
    let fraction = rank - lower as f64;
    Some(values[lower] + (values[upper] - values[lower]) * fraction)
}

/// The median (the 0.5 percentile).
pub fn median(values: &mut [f64]) -> Option<f64> {
    percentile(values, 0.5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [7.0]), Some(7.0));
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5), "the mean of the two middle values");
    }

    #[test]
    fn p90_interpolates_between_closest_ranks() {
        // rank = 0.9 × 9 = 8.1: 9 + 0.1 × (10 − 9).
        let mut values: Vec<f64> = (1..=10).map(f64::from).collect();
        assert!((percentile(&mut values, 0.9).unwrap() - 9.1).abs() < 1e-9);
        // rank = 0.9 × 1 = 0.9 between 100 and 200.
        assert!((percentile(&mut [100.0, 200.0], 0.9).unwrap() - 190.0).abs() < 1e-9);
    }
}
