//! A window as rollup cells: whole local days of the reporting zone in the middle, local
//! hours and UTC quarter hours towards the edges (while they are kept), raw rows for the
//! rest. Pure: no database.

use chrono::{DateTime, Days, Duration, NaiveDate, Offset, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

pub use crate::metrics::trends::day_start;

/// Level of the cell that holds everything.
pub const ALL: i16 = 0;
/// Level of the local days of the reporting zone (bucket: the local date at UTC midnight).
pub const DAY: i16 = 2;
/// Level of the local hours of the reporting zone (bucket: the hour's first instant).
pub const HOUR: i16 = 3;
/// Level of the UTC quarter hours (bucket: the quarter's first instant).
pub const QUARTER: i16 = 4;

/// The bucket of the level-0 cell.
pub fn epoch() -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH
}

/// An instant before every row.
pub fn min_instant() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0)
        .single()
        .expect("year 1")
}

/// An instant after every row.
pub fn max_instant() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(9999, 12, 31, 0, 0, 0)
        .single()
        .expect("year 9999")
}

/// What the rollups hold, as the cover needs it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Layout {
    /// The zone of the day and hour levels.
    pub zone: Tz,
    /// First instant from which the hour and quarter levels hold every row.
    pub fine_from: DateTime<Utc>,
}

/// Cells of one level whose buckets start in `[from, to)`: together they hold exactly the
/// rows whose instant is in `[a, b)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cells {
    /// The level.
    pub level: i16,
    /// First bucket.
    pub from: DateTime<Utc>,
    /// End of the buckets (exclusive).
    pub to: DateTime<Utc>,
    /// First instant held.
    pub a: DateTime<Utc>,
    /// End of the instants held (exclusive).
    pub b: DateTime<Utc>,
}

/// A window as cells plus raw instant ranges, disjoint, covering it exactly.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cover {
    /// Rollup cells.
    pub cells: Vec<Cells>,
    /// Ranges read from the platform's rows.
    pub raw: Vec<Edge>,
}

/// The bucket of a local date at the day level.
pub fn day_bucket(date: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight exists"))
}

fn offset(tz: Tz, t: DateTime<Utc>) -> i64 {
    i64::from(
        tz.offset_from_utc_datetime(&t.naive_utc())
            .fix()
            .local_minus_utc(),
    )
}

fn floor_quarter(t: DateTime<Utc>) -> DateTime<Utc> {
    let secs = t.timestamp().div_euclid(900) * 900;
    DateTime::from_timestamp(secs, 0).expect("in range")
}

fn ceil_quarter(t: DateTime<Utc>) -> DateTime<Utc> {
    let floor = floor_quarter(t);
    if floor == t {
        t
    } else {
        floor + Duration::minutes(15)
    }
}

/// The window `[start, end)` as cells, when nothing exists at or after `end`'s `as_of`
/// (`to_end_of_data`: `end` is `as_of`, so an open start reads the level-0 cell).
pub fn cover(
    layout: &Layout,
    start: Option<DateTime<Utc>>,
    end: DateTime<Utc>,
    to_end_of_data: bool,
) -> Cover {
    let mut out = Cover::default();
    let zone = layout.zone;
    let Some(start) = start else {
        if to_end_of_data {
            out.cells.push(Cells {
                level: ALL,
                from: epoch(),
                to: epoch() + Duration::seconds(1),
                a: min_instant(),
                b: max_instant(),
            });
        } else {
            let last = end.with_timezone(&zone).date_naive();
            let b = day_start(zone, last);
            out.cells.push(Cells {
                level: DAY,
                from: min_instant(),
                to: day_bucket(last),
                a: min_instant(),
                b,
            });
            edge(layout, b, end, &mut out);
        }
        return out;
    };
    if start >= end {
        return out;
    }
    match whole_days(zone, start, end) {
        Some(days) => {
            edge(layout, start, days.a, &mut out);
            out.cells.push(days);
            edge(layout, days.b, end, &mut out);
        }
        None => edge(layout, start, end, &mut out),
    }
    out
}

/// A range `[a, b)` read from the platform's rows.
pub type Edge = (DateTime<Utc>, DateTime<Utc>);

/// The whole local days of `zone` within `[start, end)`, as day-level cells, if any.
pub fn whole_days(zone: Tz, start: DateTime<Utc>, end: DateTime<Utc>) -> Option<Cells> {
    let first = start.with_timezone(&zone).date_naive();
    let first = if day_start(zone, first) == start {
        first
    } else {
        first + Days::new(1)
    };
    let last = end.with_timezone(&zone).date_naive();
    (first < last).then(|| Cells {
        level: DAY,
        from: day_bucket(first),
        to: day_bucket(last),
        a: day_start(zone, first),
        b: day_start(zone, last),
    })
}

/// The cells a fact kept only at levels 0 and 2 (days from `layout.fine_from`) serves
/// `[start, end)` with: the level-0 cell for all time to the end of the data, else the
/// whole days and raw edges (at most a day each); `None` when the window starts before the
/// kept days or has no start but an earlier end.
pub fn day_cover(
    layout: &Layout,
    start: Option<DateTime<Utc>>,
    end: DateTime<Utc>,
    to_end_of_data: bool,
) -> Option<(Option<Cells>, Vec<Edge>)> {
    match start {
        None if to_end_of_data => Some((
            Some(Cells {
                level: ALL,
                from: epoch(),
                to: epoch() + Duration::seconds(1),
                a: min_instant(),
                b: max_instant(),
            }),
            Vec::new(),
        )),
        None => None,
        Some(start) if start < layout.fine_from => None,
        Some(start) => Some(match whole_days(layout.zone, start, end) {
            Some(days) => (Some(days), vec![(start, days.a), (days.b, end)]),
            None => (None, vec![(start, end)]),
        }),
    }
}

/// `[a, b)` (at most a few days) as hours and quarters where they are kept, raw elsewhere.
fn edge(layout: &Layout, mut a: DateTime<Utc>, b: DateTime<Utc>, out: &mut Cover) {
    if a >= b {
        return;
    }
    if a < layout.fine_from {
        let split = ceil_quarter(layout.fine_from).min(b);
        out.raw.push((a, split));
        a = split;
        if a >= b {
            return;
        }
    }
    let (q1, q2) = (ceil_quarter(a), floor_quarter(b));
    if q1 >= q2 {
        out.raw.push((a, b));
        return;
    }
    if a < q1 {
        out.raw.push((a, q1));
    }
    match hours(layout.zone, q1, q2) {
        Some((h1, h2)) => {
            quarters(q1, h1, out);
            out.cells.push(Cells {
                level: HOUR,
                from: h1,
                to: h2,
                a: h1,
                b: h2,
            });
            quarters(h2, q2, out);
        }
        None => quarters(q1, q2, out),
    }
    if q2 < b {
        out.raw.push((q2, b));
    }
}

fn quarters(a: DateTime<Utc>, b: DateTime<Utc>, out: &mut Cover) {
    if a < b {
        out.cells.push(Cells {
            level: QUARTER,
            from: a,
            to: b,
            a,
            b,
        });
    }
}

/// The whole local hours within `[a, b)` (quarter boundaries), when the zone's offset
/// stays the same modulo one hour over them (a 30-minute shift, as at Lord Howe, moves
/// the hours: quarters only there).
fn hours(zone: Tz, a: DateTime<Utc>, b: DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let local = a + Duration::seconds(offset(zone, a));
    let into = i64::from(local.minute()) * 60 + i64::from(local.second());
    let h1 = if into == 0 {
        a
    } else {
        a + Duration::seconds(3600 - into)
    };
    let mut h2 = h1;
    let phase = offset(zone, h1).rem_euclid(3600);
    while h2 + Duration::hours(1) <= b {
        if offset(zone, h2 + Duration::hours(1)).rem_euclid(3600) != phase
            || offset(zone, h2).rem_euclid(3600) != phase
        {
            return None;
        }
        h2 += Duration::hours(1);
    }
    (h1 < h2).then_some((h1, h2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn layout(zone: Tz) -> Layout {
        Layout {
            zone,
            fine_from: utc("2026-01-01T00:00:00Z"),
        }
    }

    /// Every instant of the window is in exactly one part, and nothing outside it is.
    fn assert_tiles(cover: &Cover, start: DateTime<Utc>, end: DateTime<Utc>) {
        let mut parts: Vec<(DateTime<Utc>, DateTime<Utc>)> = cover
            .cells
            .iter()
            .map(|c| (c.a, c.b))
            .chain(cover.raw.iter().copied())
            .collect();
        parts.sort();
        assert_eq!(parts.first().unwrap().0, start);
        assert_eq!(parts.last().unwrap().1, end);
        for pair in parts.windows(2) {
            assert_eq!(pair[0].1, pair[1].0, "{parts:?}");
        }
    }

    #[test]
    fn thirty_days_in_kathmandu_are_raw_edges_quarters_hours_and_days() {
        // as_of 2026-03-20T10:02:00Z = 15:47 in Kathmandu (+05:45)
        let end = utc("2026-03-20T10:02:00Z");
        let start = end - Duration::days(30);
        let cover = cover(&layout(chrono_tz::Asia::Kathmandu), Some(start), end, true);
        assert_tiles(&cover, start, end);
        // head: 10:02 -> 10:15 raw (13 min), quarters to 10:15Z = 16:00 local, hours to
        // local midnight 18:15Z; days Feb 19 .. Mar 20 (29); tail: hours to 15:00 local
        // (09:15Z), quarters to 10:00Z, raw 2 min
        assert_eq!(
            cover.raw,
            vec![
                (start, utc("2026-02-18T10:15:00Z")),
                (utc("2026-03-20T10:00:00Z"), end)
            ]
        );
        let days = cover.cells.iter().find(|c| c.level == DAY).unwrap();
        assert_eq!(days.from, utc("2026-02-19T00:00:00Z"));
        assert_eq!(days.to, utc("2026-03-20T00:00:00Z"));
        assert_eq!(days.a, utc("2026-02-18T18:15:00Z"));
        let hours: Vec<_> = cover.cells.iter().filter(|c| c.level == HOUR).collect();
        assert_eq!(hours.len(), 2);
        assert_eq!(hours[0].from, utc("2026-02-18T10:15:00Z"));
        assert_eq!(hours[1].to, utc("2026-03-20T09:15:00Z"));
        let quarters: Vec<_> = cover.cells.iter().filter(|c| c.level == QUARTER).collect();
        assert_eq!(quarters.len(), 1);
        assert_eq!(
            (quarters[0].a, quarters[0].b),
            (utc("2026-03-20T09:15:00Z"), utc("2026-03-20T10:00:00Z"))
        );
    }

    #[test]
    fn all_time_at_as_of_is_the_level_zero_cell_and_before_a_date_is_days() {
        let end = utc("2026-03-20T10:02:00Z");
        let all = cover(&layout(chrono_tz::UTC), None, end, true);
        assert_eq!(all.cells.len(), 1);
        assert_eq!(all.cells[0].level, ALL);
        assert!(all.raw.is_empty());
        let until = cover(&layout(chrono_tz::UTC), None, end, false);
        assert_eq!(until.cells[0].level, DAY);
        assert_eq!(until.cells[0].to, utc("2026-03-20T00:00:00Z"));
        assert_tiles(&until, min_instant(), end);
    }

    #[test]
    fn new_york_days_across_daylight_saving_are_whole_cells() {
        // 2026-03-08 has 23 hours in New York; 2026-11-01 has 25
        let zone = chrono_tz::America::New_York;
        for (start, end) in [
            ("2026-03-07T05:00:00Z", "2026-03-10T04:00:00Z"),
            ("2026-10-31T04:00:00Z", "2026-11-03T05:00:00Z"),
        ] {
            let (start, end) = (utc(start), utc(end));
            let c = cover(&layout(zone), Some(start), end, false);
            assert_tiles(&c, start, end);
            assert_eq!(c.cells.len(), 1, "{c:?}");
            assert!(c.raw.is_empty());
        }
        // a window starting inside the 25-hour day: hours of both 01:00 (EDT then EST)
        let (start, end) = (utc("2026-11-01T05:10:00Z"), utc("2026-11-02T05:00:00Z"));
        let c = cover(&layout(zone), Some(start), end, false);
        assert_tiles(&c, start, end);
        let hours = c.cells.iter().find(|c| c.level == HOUR).unwrap();
        assert_eq!((hours.a, hours.b), (utc("2026-11-01T06:00:00Z"), end));
    }

    #[test]
    fn lord_howe_half_hour_shift_uses_quarters_and_before_the_kept_range_is_raw() {
        // Lord Howe leaves daylight saving on 2026-04-05 at 02:00 local (+11 -> +10:30)
        let zone = chrono_tz::Australia::Lord_Howe;
        let (start, end) = (utc("2026-04-04T13:00:00Z"), utc("2026-04-04T18:00:00Z"));
        let c = cover(&layout(zone), Some(start), end, false);
        assert_tiles(&c, start, end);
        assert!(c.cells.iter().all(|c| c.level == QUARTER), "{c:?}");
        let old = layout(chrono_tz::UTC);
        let (start, end) = (utc("2025-12-31T20:07:00Z"), utc("2026-01-01T02:00:00Z"));
        let c = cover(&old, Some(start), end, false);
        assert_tiles(&c, start, end);
        assert_eq!(c.raw, vec![(start, utc("2026-01-01T00:00:00Z"))]);
    }
}
