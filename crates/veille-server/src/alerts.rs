//! Alert handlers: list, read and acknowledge alerts, and acknowledge incidents.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Deserialize;
use veille_alert::AlertStore;
use veille_alert::{AckError, Alert, AlertScope, AlertState};

use crate::error::ApiError;
use crate::routes::query;
use crate::{params, AppState};

/// Acknowledges alert `id` on the blocking pool: an acknowledgement enqueues notices, and each
/// receiver's outbox syncs its file before it answers.
async fn acknowledge(state: &AppState, id: &str, by: &str) -> Result<Result<Alert, AckError>, ApiError> {
    let store = state.alerts.clone().ok_or_else(unavailable)?;
    let (id, by) = (id.to_string(), by.to_string());
    tokio::task::spawn_blocking(move || store.ack(&id, &by))
        .await
        .map_err(|e| ApiError::Internal(format!("acknowledging an alert: {e}")))
}

fn unavailable() -> ApiError {
    ApiError::Unavailable(
        "alerting runs with the pipeline: this server has none (start `veille run`, or enable [signals] and [alerts])"
            .into(),
    )
}

fn alerts(state: &AppState) -> Result<&dyn AlertStore, ApiError> {
    state.alerts.as_deref().ok_or_else(unavailable)
}

/// `GET /api/v1/alerts` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListParams {
    workspace: Option<String>,
    /// `active` (default), `history` or `all`.
    state: Option<AlertScope>,
    /// Only the alerts of this incident.
    incident: Option<String>,
}

pub(crate) async fn list(
    State(state): State<AppState>,
    q: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let p = query(q)?;
    let workspace = params::workspace(p.workspace)?;
    let mut list = alerts(&state)?.list(p.state.unwrap_or_default(), Some(&workspace));
    if let Some(incident) = &p.incident {
        list.retain(|a| a.incident_id() == incident);
    }
    Ok(Json(serde_json::json!({ "total": list.len(), "alerts": list })))
}

/// `workspace` selects the alert's workspace, as for every other endpoint.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AlertParams {
    workspace: Option<String>,
}

/// The alert `id` if it belongs to `workspace`: another workspace's alert does not exist here.
fn find(alerts: &dyn AlertStore, id: &str, workspace: &str) -> Result<Alert, ApiError> {
    alerts
        .get(id)
        .filter(|a| a.workspace == workspace)
        .ok_or_else(|| ApiError::NotFound(format!("no alert `{id}` in workspace `{workspace}`")))
}

pub(crate) async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
    q: Result<Query<AlertParams>, QueryRejection>,
) -> Result<Json<Alert>, ApiError> {
    let p = query(q)?;
    let workspace = params::workspace(p.workspace)?;
    Ok(Json(find(alerts(&state)?, &id, &workspace)?))
}

/// `POST /api/v1/alerts/{id}/ack` body.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AckBody {
    /// Who acknowledges (shown in the alert and its notices).
    by: String,
}

pub(crate) async fn ack(
    State(state): State<AppState>,
    Path(id): Path<String>,
    q: Result<Query<AlertParams>, QueryRejection>,
    body: Result<Json<AckBody>, JsonRejection>,
) -> Result<Json<Alert>, ApiError> {
    let p = query(q)?;
    let Json(body) = body.map_err(|e| ApiError::BadRequest(format!("body: {}", e.body_text())))?;
    let workspace = params::workspace(p.workspace)?;
    let alerts = alerts(&state)?;
    find(alerts, &id, &workspace)?;
    match acknowledge(&state, &id, &body.by).await? {
        Ok(alert) => {
            tracing::info!(alert = %id, by = %body.by, "alert acknowledged");
            Ok(Json(alert))
        }
        Err(e @ AckError::Unknown(_)) => Err(ApiError::NotFound(e.to_string())),
        Err(e @ (AckError::Resolved(_) | AckError::Anonymous)) => Err(ApiError::Conflict(e.to_string())),
        Err(e @ AckError::Unavailable { .. }) => Err(ApiError::Unavailable(e.to_string())),
    }
}

/// The alerts of incident `id` in `workspace`, active first (newest first), then resolved.
fn incident(alerts: &dyn AlertStore, id: &str, workspace: &str) -> Vec<Alert> {
    let mut members = alerts.list(AlertScope::All, Some(workspace));
    members.retain(|a| a.incident_id() == id);
    members
}

/// `POST /api/v1/alerts/incidents/{id}/ack`: acknowledges every active alert of the incident
/// at once (a crisis is handled once, however many rules and watches it tripped). Answers
/// `{incident, acknowledged: [alert ids], alerts: [every alert of the incident]}`.
pub(crate) async fn ack_incident(
    State(state): State<AppState>,
    Path(id): Path<String>,
    q: Result<Query<AlertParams>, QueryRejection>,
    body: Result<Json<AckBody>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let p = query(q)?;
    let Json(body) = body.map_err(|e| ApiError::BadRequest(format!("body: {}", e.body_text())))?;
    let workspace = params::workspace(p.workspace)?;
    let alerts = alerts(&state)?;
    let members = incident(alerts, &id, &workspace);
    if members.is_empty() {
        return Err(ApiError::NotFound(format!("no incident `{id}` in workspace `{workspace}`")));
    }
    let mut acknowledged = Vec::new();
    for member in members.iter().filter(|a| a.state != AlertState::Resolved) {
        match acknowledge(&state, &member.id, &body.by).await? {
            Ok(_) => acknowledged.push(member.id.clone()),
            // It resolved since the listing: nothing left to acknowledge in it.
            Err(AckError::Resolved(_) | AckError::Unknown(_)) => {}
            Err(e @ AckError::Anonymous) => return Err(ApiError::Conflict(e.to_string())),
            Err(e @ AckError::Unavailable { .. }) => return Err(ApiError::Unavailable(e.to_string())),
        }
    }
    if acknowledged.is_empty() {
        return Err(ApiError::Conflict(format!("incident `{id}` is resolved: none of its alerts is active")));
    }
    tracing::info!(incident = %id, by = %body.by, alerts = acknowledged.len(), "incident acknowledged");
    let members = incident(alerts, &id, &workspace);
    Ok(Json(serde_json::json!({ "incident": id, "acknowledged": acknowledged, "alerts": members })))
}
