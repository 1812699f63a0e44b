//! Query-string parameters shared by the endpoints.

use chrono::{DateTime, Utc};

use crate::error::ApiError;

/// Parses a time parameter: any timestamp veille reads, or `now`, `now-15m`, `now-24h`, `now-7d`
/// (see [`veille_model::parse_time_param`]); a 400 names the parameter otherwise.
pub(crate) fn time(name: &str, value: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    veille_model::parse_time_param(v, Utc::now()).map(Some).map_err(|e| ApiError::BadRequest(format!("`{name}`: {e}")))
}

/// Checks a workspace name the way mentions are checked (`default` when none is given).
pub(crate) fn workspace(value: Option<String>) -> Result<String, ApiError> {
    let ws = value.unwrap_or_else(|| veille_model::DEFAULT_WORKSPACE.to_string());
    veille_model::WorkspaceName::parse(&ws)
        .map(veille_model::WorkspaceName::into_string)
        .map_err(|e| ApiError::BadRequest(format!("`workspace`: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    use chrono::TimeDelta;

    #[test]
    fn relative_and_absolute_times() {
        let t = time("from", Some("now-24h")).unwrap().unwrap();
        assert!((Utc::now() - t - TimeDelta::hours(24)).num_seconds().abs() < 5);
        assert!(time("from", Some("2026-01-01T00:00:00Z")).unwrap().is_some());
        assert!(time("from", None).unwrap().is_none());
        let e = time("to", Some("now-3y")).unwrap_err();
        assert!(e.to_string().contains("`to`"), "{e}");
        assert!(time("to", Some("tomorrow")).is_err());
        // Found by probing: an overflow that panicked, a double minus read as the future.
        for bad in ["now-99999999999d", "now--5d", "now-999999999d"] {
            let e = time("from", Some(bad)).unwrap_err();
            assert!(matches!(e, ApiError::BadRequest(_)) && e.to_string().contains("`from`"), "{bad}: {e}");
        }
    }
}
