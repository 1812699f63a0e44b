//! Live updates as Server-Sent Events: newly indexed mentions and alert changes.
//!
//! `GET /api/v1/live?workspace=W[&q=QUERY]` answers an event stream. About once
//! a second it reads the index for mentions of the workspace (matching `q`)
//! that it has not sent yet, and, when the server runs the pipeline's alerts,
//! compares the workspace's active alerts with what it sent before.
//!
//! | event | data |
//! |---|---|
//! | `ready` | `{"workspace", "query", "alerts": bool}`, once, first |
//! | `mention` | a mention, as `/api/v1/mentions/{key}` answers it, oldest first |
//! | `gap` | `{"missed": N}`: more new mentions arrived within a second than one event batch holds; the oldest N were skipped |
//! | `alert` | `{"change", "id", "alert"}`; `change` is `active` (already active when the stream opened), `raised`, `updated` (pending to firing), `acknowledged` or `resolved` |
//! | `problem` | `{"error"}`: the index could not be read this time; the stream goes on |
//!
//! The index is read the same way whether this process writes it (`veille run`)
//! or another one does (`veille serve`), so both stream. Mentions are sent in the
//! order the index took them, whatever their publication times (a late arrival is
//! sent, a post dated in the future does not hold the stream back); a replayed
//! mention that was sent already is not sent again. Each client costs at most one
//! search of [`BATCH`] hits and one look at the alerts per second, whatever the
//! ingest rate.

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use serde::Deserialize;
use veille_alert::{Ack, Alert, AlertScope, AlertState, AlertStore};
use veille_index::{IndexError, MentionIndex};
use veille_model::Mention;

use crate::error::ApiError;
use crate::routes::query;
use crate::{params, AppState};

/// How often the index and the alerts are read for each client.
const POLL: Duration = Duration::from_secs(1);
/// Most mentions one read sends.
pub(crate) const BATCH: usize = 50;
/// How far back (in indexing sequence numbers, microseconds) each read looks again, for
/// shards whose commits became visible after a newer one of another shard.
const OVERLAP_US: u64 = 5_000_000;
/// Most sent mention keys remembered per client, so that a replayed mention is not sent twice.
const REMEMBERED: usize = 5_000;

/// Which mentions of one workspace and query a client was sent.
///
/// It follows the order in which the index took mentions (their indexing sequence numbers),
/// not their publication times: a post dated in the future or a late arrival neither stops
/// the stream nor is left out of it.
pub(crate) struct MentionCursor {
    workspace: String,
    query: String,
    /// Nothing indexed at or before this sequence number is sent: what was there when the
    /// stream opened, and what a burst larger than one batch skipped.
    floor: u64,
    /// The newest sequence number seen.
    newest: u64,
    /// Mentions sent (or skipped as replays) within the re-read window: (sequence, store key).
    recent: BTreeSet<(u64, String)>,
    /// Store keys sent, oldest first, and the same as a set.
    sent_order: VecDeque<String>,
    sent: HashSet<String>,
}

/// What one read of the index found.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    /// New mentions, in the order they were indexed.
    pub(crate) mentions: Vec<Mention>,
    /// New mentions skipped because there were more than one batch.
    pub(crate) missed: usize,
}

impl MentionCursor {
    /// A cursor for `query` in `workspace` that considers everything indexed now as sent.
    pub(crate) fn start(index: &MentionIndex, workspace: String, query: String) -> Result<Self, IndexError> {
        let last = index.last_indexed(&workspace, &query)?;
        Ok(MentionCursor {
            workspace,
            query,
            floor: last,
            newest: last,
            recent: BTreeSet::new(),
            sent_order: VecDeque::new(),
            sent: HashSet::new(),
        })
    }

    /// The oldest sequence number a read looks at.
    fn window_start(&self) -> u64 {
        (self.floor + 1).max(self.newest.saturating_sub(OVERLAP_US))
    }

    fn remember(&mut self, seq: u64, key: String) {
        self.recent.insert((seq, key.clone()));
        if self.sent.insert(key.clone()) {
            self.sent_order.push_back(key);
        }
        while self.sent_order.len() > REMEMBERED {
            if let Some(old) = self.sent_order.pop_front() {
                self.sent.remove(&old);
            }
        }
    }

    /// Reads the mentions indexed since the last read.
    pub(crate) fn next_batch(&mut self, index: &MentionIndex) -> Result<Batch, IndexError> {
        let start = self.window_start();
        let page = index.indexed_since(&self.workspace, &self.query, start, BATCH)?;
        let known = self.recent.range((start, String::new())..).count();
        let mut fresh = Vec::new();
        let mut replays = Vec::new();
        for hit in page.hits {
            self.newest = self.newest.max(hit.seq);
            let key = hit.mention.store_key();
            if self.recent.contains(&(hit.seq, key.clone())) {
                continue;
            }
            if self.sent.contains(&key) {
                replays.push((hit.seq, key));
                continue;
            }
            fresh.push(hit);
        }
        let missed = page.total.saturating_sub(known + fresh.len() + replays.len());
        if missed > 0 {
            // The page holds the newest: everything older in the window is skipped.
            if let Some(oldest) = fresh.last() {
                self.floor = self.floor.max(oldest.seq.saturating_sub(1));
            }
        }
        for (seq, key) in replays {
            self.remember(seq, key);
        }
        fresh.reverse();
        let mut mentions = Vec::with_capacity(fresh.len());
        for hit in fresh {
            self.remember(hit.seq, hit.mention.store_key());
            mentions.push(hit.mention);
        }
        let start = self.window_start();
        self.recent = self.recent.split_off(&(start, String::new()));
        Ok(Batch { mentions, missed })
    }
}

/// The state of each active alert a client was told about.
#[derive(Default)]
pub(crate) struct AlertCursor {
    known: BTreeMap<String, (AlertState, Option<Ack>)>,
    started: bool,
}

/// A change to one alert, as sent to the client.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(crate) struct AlertChange {
    pub(crate) change: &'static str,
    pub(crate) id: String,
    /// The alert now; absent when a resolved alert already left the history.
    pub(crate) alert: Option<Alert>,
}

impl AlertCursor {
    /// Compares `active` (the workspace's active alerts now) with what was sent;
    /// `lookup` finds an alert that is no longer active.
    pub(crate) fn changes(&mut self, active: Vec<Alert>, lookup: impl Fn(&str) -> Option<Alert>) -> Vec<AlertChange> {
        let mut out = Vec::new();
        let mut now: BTreeMap<String, (AlertState, Option<Ack>)> = BTreeMap::new();
        for alert in active {
            let state = (alert.state, alert.ack.clone());
            let change = match self.known.get(&alert.id) {
                None if !self.started => Some("active"),
                None => Some("raised"),
                Some((_, ack)) if *ack != alert.ack && alert.ack.is_some() => Some("acknowledged"),
                Some((s, _)) if *s != alert.state => Some("updated"),
                Some(_) => None,
            };
            now.insert(alert.id.clone(), state);
            if let Some(change) = change {
                out.push(AlertChange { change, id: alert.id.clone(), alert: Some(alert) });
            }
        }
        for id in self.known.keys().filter(|id| !now.contains_key(*id)) {
            out.push(AlertChange { change: "resolved", id: id.clone(), alert: lookup(id) });
        }
        self.known = now;
        self.started = true;
        out
    }
}

/// `GET /api/v1/live` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LiveParams {
    workspace: Option<String>,
    q: Option<String>,
}

/// One client's stream.
struct Feed {
    index: MentionIndex,
    alerts: Option<Arc<dyn AlertStore>>,
    workspace: String,
    mentions: Option<MentionCursor>,
    alert_cursor: AlertCursor,
    queue: VecDeque<Event>,
    ticker: tokio::time::Interval,
}

fn event(name: &str, data: &impl serde::Serialize) -> Event {
    match serde_json::to_string(data) {
        Ok(json) => Event::default().event(name).data(json),
        Err(e) => Event::default().event("problem").data(serde_json::json!({ "error": e.to_string() }).to_string()),
    }
}

impl Feed {
    /// Reads the index and the alerts once and queues what changed.
    async fn read(&mut self) {
        if let Some(mut cursor) = self.mentions.take() {
            let index = self.index.clone();
            let read = tokio::task::spawn_blocking(move || {
                let batch = cursor.next_batch(&index);
                (cursor, batch)
            })
            .await;
            match read {
                Ok((cursor, batch)) => {
                    self.mentions = Some(cursor);
                    match batch {
                        Ok(batch) => {
                            if batch.missed > 0 {
                                self.queue.push_back(event("gap", &serde_json::json!({ "missed": batch.missed })));
                            }
                            self.queue.extend(batch.mentions.iter().map(|m| event("mention", m)));
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "live stream: index read failed");
                            self.queue.push_back(event("problem", &serde_json::json!({ "error": e.to_string() })));
                        }
                    }
                }
                // The read panicked: the cursor is lost, so this stream ends.
                Err(e) => tracing::error!(error = %e, "live stream: index read panicked"),
            }
        }
        if let Some(alerts) = &self.alerts {
            let active = alerts.list(AlertScope::Active, Some(&self.workspace));
            let changes = self.alert_cursor.changes(active, |id| alerts.get(id));
            self.queue.extend(changes.iter().map(|c| event("alert", c)));
        }
    }

    fn into_stream(self) -> impl Stream<Item = Result<Event, Infallible>> {
        futures::stream::unfold(self, |mut feed| async move {
            loop {
                if let Some(next) = feed.queue.pop_front() {
                    return Some((Ok(next), feed));
                }
                feed.mentions.as_ref()?;
                feed.ticker.tick().await;
                feed.read().await;
            }
        })
    }
}

pub(crate) async fn live(
    State(state): State<AppState>,
    q: Result<Query<LiveParams>, QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let p = query(q)?;
    let workspace = params::workspace(p.workspace)?;
    let text = p.q.unwrap_or_default();
    let index = state.index.clone();
    let (ws, q) = (workspace.clone(), text.clone());
    // A bad query is a 400 here, before the stream starts.
    let cursor = tokio::task::spawn_blocking(move || MentionCursor::start(&index, ws, q))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    let mut ticker = tokio::time::interval(POLL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let ready = serde_json::json!({ "workspace": workspace, "query": text, "alerts": state.alerts.is_some() });
    let mut feed = Feed {
        index: state.index.clone(),
        alerts: state.alerts.clone(),
        workspace,
        mentions: Some(cursor),
        alert_cursor: AlertCursor::default(),
        queue: VecDeque::from([event("ready", &ready).retry(Duration::from_secs(3))]),
        ticker,
    };
    // The first tick completes at once: alerts already active are in the first events.
    feed.ticker.tick().await;
    if let Some(alerts) = &feed.alerts {
        let active = alerts.list(AlertScope::Active, Some(&feed.workspace));
        let changes = feed.alert_cursor.changes(active, |id| alerts.get(id));
        feed.queue.extend(changes.iter().map(|c| event("alert", c)));
    }
    Ok(Sse::new(feed.into_stream()).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)).text("keep-alive")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeDelta, Utc};
    use veille_model::{Author, Checkpoint, Platform};

    fn post(id: &str, text: &str, ago_s: i64) -> Mention {
        let when = Utc::now() - TimeDelta::seconds(ago_s);
        Mention::new(Platform::Mastodon, id, text, when, Author { handle: "ann".into(), ..Default::default() })
    }

    fn index_with(mentions: &[Mention]) -> (tempfile::TempDir, MentionIndex, veille_index::MentionWriter) {
        let dir = tempfile::tempdir().unwrap();
        let index = MentionIndex::open(dir.path()).unwrap();
        let mut writer = index.writer(&Default::default()).unwrap();
        add(&index, &mut writer, mentions);
        (dir, index, writer)
    }

    fn add(index: &MentionIndex, writer: &mut veille_index::MentionWriter, mentions: &[Mention]) {
        for m in mentions {
            writer.upsert(m).unwrap();
        }
        writer.commit(&Checkpoint::default()).unwrap();
        index.reload().unwrap();
    }

    fn keys(batch: &Batch) -> Vec<String> {
        batch.mentions.iter().map(|m| m.key().to_string()).collect()
    }

    #[test]
    fn a_cursor_sends_each_newly_indexed_mention_once_in_indexing_order() {
        let (_dir, index, mut writer) = index_with(&[post("old1", "acme is fine", 120), post("old2", "acme", 60)]);
        let mut cursor = MentionCursor::start(&index, "default".into(), String::new()).unwrap();
        assert!(cursor.next_batch(&index).unwrap().mentions.is_empty(), "what was there at the start is not new");

        let third = post("n3", "third", 1);
        add(&index, &mut writer, &[post("n2", "second", 5), post("n1", "first", 10), third.clone()]);
        let batch = cursor.next_batch(&index).unwrap();
        assert_eq!(keys(&batch), ["mastodon:n2", "mastodon:n1", "mastodon:n3"]);
        assert_eq!(batch.missed, 0);
        assert!(cursor.next_batch(&index).unwrap().mentions.is_empty(), "nothing is sent twice");

        // A replayed mention (same key) is not new either.
        add(&index, &mut writer, &[third]);
        assert!(cursor.next_batch(&index).unwrap().mentions.is_empty());
    }

    #[test]
    fn mentions_are_streamed_in_indexing_order_whatever_their_dates() {
        let (_dir, index, mut writer) = index_with(&[post("now", "just now", 0)]);
        let mut cursor = MentionCursor::start(&index, "default".into(), String::new()).unwrap();
        let late = post("stale", "an hour late", 3600);
        let mut future = post("future", "dated 2199", 0);
        future.created_at = chrono::TimeZone::with_ymd_and_hms(&Utc, 2199, 6, 1, 0, 0, 0).unwrap();
        add(&index, &mut writer, &[late, future]);
        assert_eq!(keys(&cursor.next_batch(&index).unwrap()), ["mastodon:stale", "mastodon:future"]);
        // The probe saw a post dated 2200 stop its workspace's stream for good.
        add(&index, &mut writer, &[post("after", "later news", 0)]);
        assert_eq!(keys(&cursor.next_batch(&index).unwrap()), ["mastodon:after"]);
        let mut again = MentionCursor::start(&index, "default".into(), String::new()).unwrap();
        add(&index, &mut writer, &[post("next", "and more", 0)]);
        assert_eq!(keys(&again.next_batch(&index).unwrap()), ["mastodon:next"]);
    }

    #[test]
    fn a_stream_opened_over_many_mentions_reports_no_gap_for_one_new_one() {
        // The probe saw `gap {"missed":622}` after pushing one mention into a busy workspace.
        let many: Vec<Mention> = (0..700).map(|i| post(&format!("m{i}"), "busy", 600 - i64::from(i) / 2)).collect();
        let (_dir, index, mut writer) = index_with(&many);
        let mut cursor = MentionCursor::start(&index, "default".into(), String::new()).unwrap();
        add(&index, &mut writer, &[post("one", "a new one", 0)]);
        let batch = cursor.next_batch(&index).unwrap();
        assert_eq!((keys(&batch), batch.missed), (vec!["mastodon:one".to_string()], 0));
        add(&index, &mut writer, &[post("two", "and another", 0)]);
        let batch = cursor.next_batch(&index).unwrap();
        assert_eq!((keys(&batch), batch.missed), (vec!["mastodon:two".to_string()], 0));
    }

    #[test]
    fn the_query_filters_the_stream_and_the_workspace_scopes_it() {
        let (_dir, index, mut writer) = index_with(&[]);
        let mut cursor = MentionCursor::start(&index, "default".into(), "globex".into()).unwrap();
        let mut elsewhere = post("other-ws", "globex elsewhere", 1);
        elsewhere.workspace = "other".into();
        add(&index, &mut writer, &[post("a", "acme news", 2), post("g", "globex news", 1), elsewhere]);
        assert_eq!(keys(&cursor.next_batch(&index).unwrap()), ["mastodon:g"]);
    }

    #[test]
    fn a_burst_beyond_one_batch_sends_the_newest_and_counts_the_rest_once() {
        let (_dir, index, mut writer) = index_with(&[post("before", "x", 30)]);
        let mut cursor = MentionCursor::start(&index, "default".into(), String::new()).unwrap();
        let burst: Vec<Mention> =
            (0..BATCH + 20).map(|i| post(&format!("b{i}"), "burst", 20 - (i / 10) as i64)).collect();
        add(&index, &mut writer, &burst);
        let batch = cursor.next_batch(&index).unwrap();
        assert_eq!(batch.mentions.len(), BATCH);
        assert!(batch.mentions.windows(2).all(|w| w[0].created_at <= w[1].created_at), "oldest first");
        assert_eq!(batch.missed, 20, "the 20 oldest of the burst");
        let next = cursor.next_batch(&index).unwrap();
        assert!(next.mentions.is_empty() && next.missed == 0, "{:?} sent, {} missed", keys(&next), next.missed);
    }

    fn alert(id: &str, state: &str, ack: Option<&str>) -> Alert {
        let now = Utc::now().to_rfc3339();
        serde_json::from_value(serde_json::json!({
            "id": id, "workspace": "default", "watch": "acme", "rule": "volume_spike", "severity": "warning",
            "state": state, "starts_at": now, "detected_at": now, "ends_at": null, "raised_at": now,
            "resolved_at": null, "events": 1,
            "evidence": { "kind": "silence", "silent_s": 60, "expected": 3.0 },
            "explanation": { "summary": "acme is busy", "description": "", "window_start": now, "window_end": now,
                "sampled_mentions": 0, "top_terms": [], "top_authors": [], "examples": [], "platforms": [] },
            "notifications": 0, "last_notified": null,
            "ack": ack.map(|by| serde_json::json!({ "by": by, "at": now })), "open_conditions": ["series"],
        }))
        .unwrap()
    }

    fn names(changes: &[AlertChange]) -> Vec<(&str, &str)> {
        changes.iter().map(|c| (c.change, c.id.as_str())).collect()
    }

    #[test]
    fn alert_changes_follow_the_lifecycle_raised_updated_acknowledged_resolved() {
        let mut cursor = AlertCursor::default();
        let none = |_: &str| None;
        assert_eq!(names(&cursor.changes(vec![alert("a", "firing", None)], none)), [("active", "a")]);
        assert!(cursor.changes(vec![alert("a", "firing", None)], none).is_empty(), "no change, no event");
        let raised = cursor.changes(vec![alert("b", "pending", None), alert("a", "firing", None)], none);
        assert_eq!(names(&raised), [("raised", "b")]);
        let updated = cursor.changes(vec![alert("b", "firing", None), alert("a", "firing", Some("eve"))], none);
        assert_eq!(names(&updated), [("updated", "b"), ("acknowledged", "a")]);
        let resolved = cursor.changes(vec![alert("b", "firing", None)], |id| Some(alert(id, "resolved", Some("eve"))));
        assert_eq!(names(&resolved), [("resolved", "a")]);
        assert_eq!(resolved[0].alert.as_ref().map(|a| a.state), Some(AlertState::Resolved));
    }
}
