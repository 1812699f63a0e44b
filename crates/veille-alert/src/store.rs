//! Where the API reads alerts from: the pipeline's live book on one machine, or the table the
//! signals owners publish when the stages are scaled out.

use crate::{AckError, Alert, AlertScope, AlertState};

/// A readable, acknowledgeable set of alerts.
pub trait AlertStore: Send + Sync {
    /// Alerts of `workspace` (all workspaces when `None`) in `scope`: active first, then
    /// resolved ones, newest first.
    fn list(&self, scope: AlertScope, workspace: Option<&str>) -> Vec<Alert>;

    /// One alert, active or in the history.
    fn get(&self, id: &str) -> Option<Alert>;

    /// Acknowledges alert `id` on behalf of `by`; returns the alert as acknowledged.
    fn ack(&self, id: &str, by: &str) -> Result<Alert, AckError>;
}

/// The alerts of `all` that a listing of `scope` and `workspace` returns, in the order
/// [`AlertStore::list`] promises: active ones by start (newest first), then resolved ones,
/// most recently resolved first (ties by id).
pub fn select(all: impl IntoIterator<Item = Alert>, scope: AlertScope, workspace: Option<&str>) -> Vec<Alert> {
    let (mut active, mut resolved): (Vec<Alert>, Vec<Alert>) = all
        .into_iter()
        .filter(|a| workspace.is_none_or(|w| a.workspace == w))
        .partition(|a| a.state != AlertState::Resolved);
    active.sort_by(|a, b| b.starts_at.cmp(&a.starts_at).then_with(|| a.id.cmp(&b.id)));
    resolved.sort_by(|a, b| b.resolved_at.cmp(&a.resolved_at).then_with(|| a.id.cmp(&b.id)));
    let mut out = Vec::new();
    if matches!(scope, AlertScope::Active | AlertScope::All) {
        out.extend(active);
    }
    if matches!(scope, AlertScope::History | AlertScope::All) {
        out.extend(resolved);
    }
    out
}
