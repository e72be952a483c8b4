//! The detectors as pure functions of the series they read: each says whether its condition
//! holds now and with which figures. The evaluation (`evaluate`) reads the series through
//! the engine and turns these answers into alerts.

/// The median of `values` (the mean of the two middle ones for an even count); `None` when
/// empty.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// A day's value against its history, by the modified z-score of Iglewicz and Hoaglin:
/// `z = 0.6745 (x - median) / MAD`, MAD the median absolute deviation from the median.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Anomaly {
    /// The value judged.
    pub value: f64,
    /// The history's median.
    pub median: f64,
    /// The modified z-score (infinite when the history does not vary and the value differs).
    pub z: f64,
}

/// Whether `value` is an outlier against `history` (`|z| > z_bound`). Quiet when the history
/// is shorter than `min_history` or is all zeros (nothing happened yet to compare with).
/// When the MAD is zero (more than half the days equal), the mean absolute deviation
/// (scaled by 1.2533 to match a normal's spread) stands in for it; when that is zero too, any
/// different value is an outlier.
pub fn anomaly(history: &[f64], value: f64, z_bound: f64, min_history: usize) -> Option<Anomaly> {
    if history.len() < min_history || history.iter().all(|v| *v == 0.0) {
        return None;
    }
    let m = median(history)?;
    let deviations: Vec<f64> = history.iter().map(|v| (v - m).abs()).collect();
    let mad = median(&deviations)?;
    let z = if mad > 0.0 {
        0.6745 * (value - m) / mad
    } else {
        let mean_ad = deviations.iter().sum::<f64>() / deviations.len() as f64;
        if mean_ad > 0.0 {
            (value - m) / (1.253_314 * mean_ad)
        } else if value == m {
            0.0
        } else {
            f64::INFINITY.copysign(value - m)
        }
    };
    (z.abs() > z_bound).then_some(Anomaly {
        value,
        median: m,
        z,
    })
}

/// A week against the week before it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrendChange {
    /// Sum of the last week.
    pub this_week: f64,
    /// Sum of the week before.
    pub last_week: f64,
    /// Change in percent of the week before.
    pub change_percent: f64,
}

/// Whether the last 7 values changed by more than `percent` against the 7 before them;
/// quiet when the week before sums to less than `min_base` (a change from almost nothing
/// is noise). `days` is oldest first and needs at least 14 values.
pub fn trend_change(days: &[f64], percent: f64, min_base: f64) -> Option<TrendChange> {
    if days.len() < 14 {
        return None;
    }
    let n = days.len();
    let this_week: f64 = days[n - 7..].iter().sum();
    let last_week: f64 = days[n - 14..n - 7].iter().sum();
    if last_week < min_base || last_week <= 0.0 {
        return None;
    }
    let change_percent = (this_week - last_week) / last_week * 100.0;
    (change_percent.abs() > percent).then_some(TrendChange {
        this_week,
        last_week,
        change_percent,
    })
}

/// A spike of failed logins in the last hour.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spike {
    /// Failures in the last hour.
    pub last_hour: i64,
    /// Median failures per hour over the hours before.
    pub median_hour: f64,
}

/// Whether the last hour (`hours[0]`) has more than `factor` times the median of the hours
/// after it in the list (the previous ones) and at least `min_failures`.
pub fn spike(hours: &[i64], factor: f64, min_failures: i64) -> Option<Spike> {
    let (&last_hour, previous) = hours.split_first()?;
    let previous: Vec<f64> = previous.iter().map(|v| *v as f64).collect();
    let median_hour = median(&previous).unwrap_or(0.0);
    (last_hour >= min_failures && last_hour as f64 > factor * median_hour).then_some(Spike {
        last_hour,
        median_hour,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn a_day_far_from_a_steady_history_is_an_anomaly() {
        // history 10, 11, 9, 10, 12, 8, 10 repeated four times: median 10; deviations
        // 0,1,1,0,2,2,0 -> median deviation 1; a day of 20: z = 0.6745 * 10 / 1 = 6.745
        let week = [10.0, 11.0, 9.0, 10.0, 12.0, 8.0, 10.0];
        let history: Vec<f64> = week.iter().cycle().take(28).copied().collect();
        let a = anomaly(&history, 20.0, 3.5, 14).expect("20 is an outlier");
        assert_eq!(a.median, 10.0);
        assert!((a.z - 6.745).abs() < 1e-9, "{}", a.z);
        // a day of 14: z = 0.6745 * 4 = 2.698, within 3.5
        assert_eq!(anomaly(&history, 14.0, 3.5, 14), None);
        // a drop counts too: 2 -> z = -5.396
        assert!(anomaly(&history, 2.0, 3.5, 14).unwrap().z < -5.0);
    }

    #[test]
    fn short_or_empty_histories_stay_quiet() {
        assert_eq!(anomaly(&[10.0; 5], 100.0, 3.5, 14), None);
        assert_eq!(anomaly(&[0.0; 28], 5.0, 3.5, 14), None);
    }

    #[test]
    fn a_flat_history_uses_the_mean_deviation() {
        // 27 days of 10 and one of 14: median 10, MAD 0, mean deviation 4/28;
        // a day of 11: z = 1 / (1.253314 * 4/28) = 5.585 -> an outlier
        let mut history = vec![10.0; 27];
        history.push(14.0);
        let a = anomaly(&history, 11.0, 3.5, 14).unwrap();
        assert!((a.z - 1.0 / (1.253_314 * 4.0 / 28.0)).abs() < 1e-9);
        assert_eq!(anomaly(&history, 10.0, 3.5, 14), None);
    }

    #[test]
    fn week_over_week_beyond_the_bound() {
        // 7 days of 10 (70) then 7 days of 14 (98): +40 %
        let mut days = vec![10.0; 7];
        days.extend([14.0; 7]);
        let t = trend_change(&days, 30.0, 20.0).unwrap();
        assert_eq!((t.last_week, t.this_week), (70.0, 98.0));
        assert!((t.change_percent - 40.0).abs() < 1e-9);
        assert_eq!(
            trend_change(&days, 40.0, 20.0),
            None,
            "exactly 40 % is not beyond 40 %"
        );
        // a fall of 50 %
        let mut fall = vec![10.0; 7];
        fall.extend([5.0; 7]);
        assert!(trend_change(&fall, 30.0, 20.0).unwrap().change_percent < -49.0);
        // from almost nothing: quiet
        let mut tiny = vec![1.0; 7];
        tiny.extend([10.0; 7]);
        assert_eq!(trend_change(&tiny, 30.0, 20.0), None);
        assert_eq!(trend_change(&[1.0; 13], 30.0, 0.0), None);
    }

    #[test]
    fn a_spike_needs_both_the_factor_and_the_floor() {
        // previous hours: median 10; last hour 31 > 30 and >= 20
        let mut hours = vec![31];
        hours.extend([10; 168]);
        assert_eq!(
            spike(&hours, 3.0, 20),
            Some(Spike {
                last_hour: 31,
                median_hour: 10.0
            })
        );
        hours[0] = 30; // not above 3 x 10
        assert_eq!(spike(&hours, 3.0, 20), None);
        let mut quiet = vec![40];
        quiet.extend([0; 168]);
        assert_eq!(spike(&quiet, 3.0, 50), None, "below the floor of 50");
        quiet[0] = 50;
        assert!(spike(&quiet, 3.0, 50).is_some());
    }
}
