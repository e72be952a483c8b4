//! `Window`: the instant, period and slices a computation reads, validated from a filter.
//! Plain values: the metrics read them, the engine keys its entries by them.

use crate::error::{AppError, AppResult};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

/// The named periods of METRICS.md.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    async_graphql::Enum,
)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum Period {
    /// `[as_of - 24 h, as_of)`.
    #[graphql(name = "LAST_24H")]
    #[serde(rename = "LAST_24H", alias = "Last24h")]
    Last24h,
    /// `[as_of - 7 days, as_of)`.
    #[graphql(name = "LAST_7D")]
    #[serde(rename = "LAST_7D", alias = "Last7d")]
    Last7d,
    /// `[as_of - 30 days, as_of)`.
    #[graphql(name = "LAST_30D")]
    #[serde(rename = "LAST_30D", alias = "Last30d")]
    Last30d,
    /// No start.
    #[default]
    #[serde(rename = "ALL", alias = "All")]
    All,
}

/// The first day of a calendar week (weekly trends).
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    async_graphql::Enum,
)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WeekStart {
    /// ISO weeks.
    #[default]
    Monday,
    /// Weeks from Sunday to Saturday.
    Sunday,
    /// Weeks from Saturday to Friday.
    Saturday,
}

impl WeekStart {
    /// The weekday a week starts on.
    pub fn weekday(self) -> chrono::Weekday {
        match self {
            WeekStart::Monday => chrono::Weekday::Mon,
            WeekStart::Sunday => chrono::Weekday::Sun,
            WeekStart::Saturday => chrono::Weekday::Sat,
        }
    }

    fn key(self) -> &'static str {
        match self {
            WeekStart::Monday => "mon",
            WeekStart::Sunday => "sun",
            WeekStart::Saturday => "sat",
        }
    }
}

/// A filter as a client gives it, before validation.
#[derive(Clone, Debug, Default)]
pub struct WindowInput {
    /// Named period; `None` means `ALL`.
    pub period: Option<Period>,
    /// Custom start (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Custom end (exclusive).
    pub to: Option<DateTime<Utc>>,
    /// The instant the data is read at; `None` means now.
    pub as_of: Option<DateTime<Utc>>,
    /// Only requests (and their payments and reviews) and technicians of this city.
    pub city: Option<String>,
    /// Only requests (and their payments and reviews) and technicians of this specialty.
    pub specialty: Option<String>,
    /// The reporting zone of this request (an IANA name); `None`: the configured one.
    pub time_zone: Option<String>,
    /// The first day of a week; `None`: Monday.
    pub week_start: Option<WeekStart>,
}

/// The period as the client named it: a preset, or a custom range as given (before `to`
/// is cut to `asOf`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Span {
    /// A named period.
    Period(Period),
    /// `[from, to)`, either end open.
    Range(Option<DateTime<Utc>>, Option<DateTime<Utc>>),
}

/// What one computation reads: nothing at or after `as_of` exists; the period is
/// `[start, end)` with `end <= as_of`.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    /// The instant the data is read at.
    pub as_of: DateTime<Utc>,
    /// Period start, inclusive; `None` for no start.
    pub start: Option<DateTime<Utc>>,
    /// Period end, exclusive, never after `as_of`.
    pub end: DateTime<Utc>,
    /// City slice.
    pub city: Option<String>,
    /// Specialty slice.
    pub specialty: Option<String>,
    /// Reporting time zone for calendar buckets.
    pub tz: Tz,
    /// The first day of a calendar week.
    pub week_start: WeekStart,
    /// The period as asked.
    pub span: Span,
    /// No `asOf` was given: the window follows the clock (`as_of` is when it was read).
    pub live: bool,
}

/// Longest slice value accepted.
const MAX_SLICE_CHARS: usize = 100;

impl Window {
    /// Validates a filter against the server clock `now` (API.md "Filters").
    pub fn from_input(input: WindowInput, now: DateTime<Utc>, tz: Tz) -> AppResult<Window> {
        let as_of = match input.as_of {
            Some(t) if t > now => {
                return Err(AppError::bad_input(format!(
                    "asOf ({}) is later than the server clock ({})",
                    t.to_rfc3339(),
                    now.to_rfc3339()
                )));
            }
            Some(t) => t,
            None => now,
        };
        let tz = match input.time_zone.as_deref() {
            None => tz,
            Some(name) => zone(name)?,
        };
        let city = check_slice("city", input.city)?;
        let specialty = check_slice("specialty", input.specialty)?;
        let span = if input.from.is_some() || input.to.is_some() {
            if let (Some(from), Some(to)) = (input.from, input.to)
                && from >= to
            {
                return Err(AppError::bad_input(format!(
                    "`from` ({}) must be earlier than `to` ({})",
                    from.to_rfc3339(),
                    to.to_rfc3339()
                )));
            }
            Span::Range(input.from, input.to)
        } else {
            Span::Period(input.period.unwrap_or_default())
        };
        let (start, end) = bounds(span, as_of);
        Ok(Window {
            as_of,
            start,
            end,
            city,
            specialty,
            tz,
            week_start: input.week_start.unwrap_or_default(),
            span,
            live: input.as_of.is_none(),
        })
    }

    /// The same filter read at another instant (a live window recomputed later).
    pub fn at(&self, as_of: DateTime<Utc>) -> Window {
        let (start, end) = bounds(self.span, as_of);
        Window {
            as_of,
            start,
            end,
            ..self.clone()
        }
    }

    /// The filter as a cache key part: the same for every request that asks the same
    /// question (a live window is `live`, whatever the clock).
    pub fn key(&self) -> String {
        let t = |d: Option<DateTime<Utc>>| d.map(|d| d.to_rfc3339()).unwrap_or_default();
        let span = match self.span {
            Span::Period(p) => format!("{p:?}"),
            Span::Range(from, to) => format!("{}..{}", t(from), t(to)),
        };
        let as_of = if self.live {
            "live".to_string()
        } else {
            self.as_of.to_rfc3339()
        };
        format!(
            "{as_of}|{span}|{}|{}|{}|{}",
            self.tz.name(),
            self.week_start.key(),
            self.city.as_deref().unwrap_or(""),
            self.specialty.as_deref().unwrap_or("")
        )
    }

    /// The window of the same length just before this one (API.md `previous`): the same
    /// filter read at `anchor` (the instant the figures were read at), then shifted back by
    /// its length, `as_of` included (a preset's previous window is read when it ended). A
    /// window without a start (all time) is shifted by 30 days: all time as of 30 days
    /// before `anchor`.
    pub fn previous(&self, anchor: DateTime<Utc>) -> Window {
        let here = self.at(anchor);
        let (start, end) = (here.start, here.end);
        let length = match start {
            Some(start) => end - start,
            None => Duration::days(30),
        };
        let span = match self.span {
            Span::Period(p) => Span::Period(p),
            Span::Range(..) => Span::Range(start.map(|s| s - length), Some(end - length)),
        };
        Window {
            as_of: anchor - length,
            start: start.map(|s| s - length),
            end: end - length,
            span,
            live: false,
            ..here
        }
    }

    /// The unfiltered window at `as_of`: all time, no slices.
    pub fn all(as_of: DateTime<Utc>, tz: Tz) -> Window {
        Window {
            as_of,
            start: None,
            end: as_of,
            city: None,
            specialty: None,
            tz,
            week_start: WeekStart::Monday,
            span: Span::Period(Period::All),
            live: false,
        }
    }

    /// The unfiltered window that follows the clock, read now.
    pub fn live_all(now: DateTime<Utc>, tz: Tz) -> Window {
        Window {
            live: true,
            ..Window::all(now, tz)
        }
    }

    /// Whether a city or specialty slice applies.
    pub fn is_sliced(&self) -> bool {
        self.city.is_some() || self.specialty.is_some()
    }
}

/// `[start, end)` of a span read at `as_of`.
fn bounds(span: Span, as_of: DateTime<Utc>) -> (Option<DateTime<Utc>>, DateTime<Utc>) {
    match span {
        Span::Range(from, to) => (from, to.map_or(as_of, |t| t.min(as_of))),
        Span::Period(period) => {
            let start = match period {
                Period::Last24h => Some(as_of - Duration::hours(24)),
                Period::Last7d => Some(as_of - Duration::days(7)),
                Period::Last30d => Some(as_of - Duration::days(30)),
                Period::All => None,
            };
            (start, as_of)
        }
    }
}

/// A request's reporting zone: an IANA name, else BAD_USER_INPUT.
fn zone(name: &str) -> AppResult<Tz> {
    if name.len() > 64 || name.chars().any(char::is_control) {
        return Err(AppError::bad_input(
            "`timeZone` must be an IANA time zone name (at most 64 characters)",
        ));
    }
    name.parse::<Tz>().map_err(|_| {
        AppError::bad_input(format!(
            "`timeZone` {name:?} is not a known IANA time zone (for example UTC, Africa/Bamako, America/New_York)"
        ))
    })
}

fn check_slice(name: &str, value: Option<String>) -> AppResult<Option<String>> {
    let Some(value) = value else { return Ok(None) };
    if value.chars().count() > MAX_SLICE_CHARS {
        return Err(AppError::bad_input(format!(
            "`{name}` is longer than {MAX_SLICE_CHARS} characters"
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(AppError::bad_input(format!(
            "`{name}` contains a control character"
        )));
    }
    Ok(Some(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, d, h, 0, 0).unwrap()
    }

    fn code(r: AppResult<Window>) -> &'static str {
        r.unwrap_err().code()
    }

    #[test]
    fn presets_end_at_as_of() {
        let w = Window::from_input(
            WindowInput {
                period: Some(Period::Last7d),
                as_of: Some(at(15, 12)),
                ..Default::default()
            },
            at(20, 0),
            Tz::UTC,
        )
        .unwrap();
        assert_eq!(w.start, Some(at(8, 12)));
        assert_eq!(w.end, at(15, 12));
    }

    #[test]
    fn custom_range_replaces_period_and_is_cut_at_as_of() {
        let w = Window::from_input(
            WindowInput {
                period: Some(Period::Last24h),
                from: Some(at(1, 0)),
                to: Some(at(19, 0)),
                as_of: Some(at(15, 12)),
                ..Default::default()
            },
            at(20, 0),
            Tz::UTC,
        )
        .unwrap();
        assert_eq!((w.start, w.end), (Some(at(1, 0)), at(15, 12)));
    }

    #[test]
    fn previous_is_the_same_filter_one_length_earlier() {
        let input = |period, from, to| WindowInput {
            period,
            from,
            to,
            as_of: Some(at(15, 12)),
            city: Some("Abidjan".into()),
            ..Default::default()
        };
        // LAST_7D at 15 June 12:00 is [8 June 12:00, 15 June 12:00): the previous one is
        // [1 June 12:00, 8 June 12:00), read on 8 June at 12:00, same slice
        let w = Window::from_input(input(Some(Period::Last7d), None, None), at(20, 0), Tz::UTC)
            .unwrap();
        let p = w.previous(w.as_of);
        assert_eq!(
            (p.start, p.end, p.as_of),
            (Some(at(1, 12)), at(8, 12), at(8, 12))
        );
        assert_eq!(
            (p.span, p.city.as_deref(), p.live),
            (w.span, Some("Abidjan"), false)
        );
        // anchored on the instant the figures were read (a cached live entry's), not on now
        let p = w.previous(at(15, 10));
        assert_eq!((p.start, p.end), (Some(at(1, 10)), at(8, 10)));
        // a custom range cut at asOf: [1 June 00:00, 15 June 12:00) is 14.5 days long
        let w = Window::from_input(
            input(None, Some(at(1, 0)), Some(at(19, 0))),
            at(20, 0),
            Tz::UTC,
        )
        .unwrap();
        let p = w.previous(w.as_of);
        let may_17_noon = Utc.with_ymd_and_hms(2026, 5, 17, 12, 0, 0).unwrap();
        assert_eq!(
            (p.start, p.end, p.as_of),
            (Some(may_17_noon), at(1, 0), at(1, 0))
        );
        assert_ne!(p.key(), w.key());
        // all time: all time as of 30 days earlier
        let w =
            Window::from_input(input(Some(Period::All), None, None), at(20, 0), Tz::UTC).unwrap();
        let p = w.previous(w.as_of);
        let may_16_noon = Utc.with_ymd_and_hms(2026, 5, 16, 12, 0, 0).unwrap();
        assert_eq!((p.start, p.end, p.as_of), (None, may_16_noon, may_16_noon));
    }

    #[test]
    fn bad_filters_are_bad_user_input() {
        let now = at(20, 0);
        let from_after_to = WindowInput {
            from: Some(at(2, 0)),
            to: Some(at(1, 0)),
            ..Default::default()
        };
        assert_eq!(
            code(Window::from_input(from_after_to, now, Tz::UTC)),
            "BAD_USER_INPUT"
        );
        let equal = WindowInput {
            from: Some(at(2, 0)),
            to: Some(at(2, 0)),
            ..Default::default()
        };
        assert_eq!(
            code(Window::from_input(equal, now, Tz::UTC)),
            "BAD_USER_INPUT"
        );
        let future = WindowInput {
            as_of: Some(at(21, 0)),
            ..Default::default()
        };
        assert_eq!(
            code(Window::from_input(future, now, Tz::UTC)),
            "BAD_USER_INPUT"
        );
        let long = WindowInput {
            city: Some("x".repeat(101)),
            ..Default::default()
        };
        assert_eq!(
            code(Window::from_input(long, now, Tz::UTC)),
            "BAD_USER_INPUT"
        );
        let control = WindowInput {
            specialty: Some("it\n".into()),
            ..Default::default()
        };
        assert_eq!(
            code(Window::from_input(control, now, Tz::UTC)),
            "BAD_USER_INPUT"
        );
    }
}
