//! Percentiles as DESIGN §5 defines them: linear interpolation between the
//! closest ranks, rank = p·(n−1), as SQL's `PERCENTILE_CONT` — so the median
//! of an even count is the mean of the two middle values.

/// The `p` percentile (0 ≤ p ≤ 1) of `values`, or `None` when there are
/// none. `values` need not be sorted; NaNs must not be given.
pub fn percentile(values: &mut [f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let rank = p.clamp(0.0, 1.0) * (values.len() - 1) as f64;
    let lower = rank.floor() as usize;
    let fraction = rank - lower as f64;
    // Selection, not a sort: the rank's value and the next one up (the
    // smallest of those above it), in linear time.
    let (_, &mut low, above) = values.select_nth_unstable_by(lower, f64::total_cmp);
    let high = if fraction > 0.0 { above.iter().copied().min_by(f64::total_cmp).unwrap_or(low) } else { low };
    Some(low + (high - low) * fraction)
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
    fn percentiles_of_unsorted_values_with_ties() {
        let mut values = vec![5.0, 1.0, 9.0, 1.0, 7.0, 3.0, 9.0, 2.0];
        // Sorted: 1 1 2 3 5 7 9 9; rank 3.5 → 4; rank 6.3 → 9; rank 0 → 1.
        assert_eq!(percentile(&mut values, 0.5), Some(4.0));
        assert!((percentile(&mut values, 0.9).unwrap() - 9.0).abs() < 1e-9);
        assert_eq!(percentile(&mut values, 0.0), Some(1.0));
        assert_eq!(percentile(&mut values, 1.0), Some(9.0));
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
