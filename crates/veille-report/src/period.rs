//! Report periods: the last complete calendar week or month before a date.

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};
use veille_config::ReportPeriod;

fn midnight(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(0, 0, 0).map(|t| t.and_utc()).unwrap_or_default()
}

/// The last complete period ending at or before `until`, as `[from, to)` in UTC: a week runs
/// from Monday 00:00 to the next Monday, a month from the first 00:00 to the next first.
pub fn last_complete(period: ReportPeriod, until: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let day = until.date_naive();
    match period {
        ReportPeriod::Weekly => {
            let monday = day - TimeDelta::days(i64::from(day.weekday().num_days_from_monday()));
            let to = midnight(monday);
            (to - TimeDelta::days(7), to)
        }
        ReportPeriod::Monthly => {
            let first = day.with_day(1).unwrap_or(day);
            let previous = if first.month() == 1 {
                NaiveDate::from_ymd_opt(first.year() - 1, 12, 1)
            } else {
                NaiveDate::from_ymd_opt(first.year(), first.month() - 1, 1)
            };
            (midnight(previous.unwrap_or(first)), midnight(first))
        }
    }
}

/// The period's name for titles: `week of 2026-01-05` or `January 2026`.
pub fn label(period: ReportPeriod, from: DateTime<Utc>) -> String {
    match period {
        ReportPeriod::Weekly => format!("week of {}", from.format("%Y-%m-%d")),
        ReportPeriod::Monthly => from.format("%B %Y").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        veille_model::parse_timestamp(s).unwrap()
    }

    #[test]
    fn a_week_runs_monday_to_monday_before_the_date() {
        assert_eq!(
            last_complete(ReportPeriod::Weekly, t("2026-01-15T10:00:00Z")),
            (t("2026-01-05T00:00:00Z"), t("2026-01-12T00:00:00Z"))
        );
        assert_eq!(
            last_complete(ReportPeriod::Weekly, t("2026-01-12T00:00:00Z")),
            (t("2026-01-05T00:00:00Z"), t("2026-01-12T00:00:00Z"))
        );
    }

    #[test]
    fn a_month_is_the_calendar_month_before_the_date() {
        assert_eq!(
            last_complete(ReportPeriod::Monthly, t("2026-02-01T00:00:00Z")),
            (t("2026-01-01T00:00:00Z"), t("2026-02-01T00:00:00Z"))
        );
        assert_eq!(
            last_complete(ReportPeriod::Monthly, t("2026-01-20T08:00:00Z")),
            (t("2025-12-01T00:00:00Z"), t("2026-01-01T00:00:00Z"))
        );
        assert_eq!(label(ReportPeriod::Monthly, t("2025-12-01T00:00:00Z")), "December 2025");
    }
}
