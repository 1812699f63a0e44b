//! What the signals owners publish for every other role: the state of each alert (the alerts
//! topic, keyed by alert id) and each workspace's key-node rankings (the key-nodes topic,
//! keyed by workspace and watch), both compacted. API servers (`veille process`,
//! `veille serve`) answer alert and key-node requests from them ([`SignalTables`]), and
//! processors stamp each mention's `scores.key_node` from the published author scores, as a
//! single machine does at ingest. An acknowledgement made through any API server travels to
//! the workspace's owner as a command on the signals topic, in order with the facts.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::Utc;
use serde::{Deserialize, Serialize};
use veille_alert::{Ack, AckError, Alert, AlertScope, AlertState, AlertStore};
use veille_bus::kafka::{KafkaError, KafkaSink, Pending, RawMessage, TableReader};
use veille_config::KafkaConfig;
use veille_graph::{CommunityQuery, CommunityReport, KeyNode, KeyNodeQuery, KeyNodeStore};
use veille_model::{Mention, Platform};

use crate::{Enricher, KeyNodes};

/// The `veille-kind` header of an acknowledgement command on the signals topic.
pub(crate) const ACK_KIND: &str = "ack";
/// Key nodes published per workspace and watch.
const PUBLISHED_KEY_NODES: usize = 200;
/// Communities published per workspace and watch, and members per community.
const PUBLISHED_COMMUNITIES: (usize, usize) = (50, 10);
/// Author scores published per workspace, for the processors' stamps.
const PUBLISHED_SCORES: usize = 5_000;

/// An acknowledgement made through an API server, for the alert's owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct AckCommand {
    /// The alert.
    pub(crate) id: String,
    /// Who acknowledged it.
    pub(crate) by: String,
}

/// One workspace's published key-node ranking, for one watch or all of them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Ranking {
    pub(crate) workspace: String,
    pub(crate) watch: Option<String>,
    pub(crate) key_nodes: Vec<KeyNode>,
    pub(crate) communities: CommunityReport,
    /// Workspace-wide scores of the best-scored authors (only in the all-watches ranking).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) scores: Vec<(Platform, String, f64)>,
}

fn ranking_key(workspace: &str, watch: Option<&str>) -> String {
    match watch {
        Some(w) => format!("{workspace}/{w}"),
        None => workspace.to_string(),
    }
}

/// The owner's side: publishes what changed since the last call.
pub(crate) struct Publisher {
    sink: KafkaSink,
    alerts_topic: String,
    keynodes_topic: String,
    runtime: tokio::runtime::Handle,
    /// What was last published under each key of each table.
    published: HashMap<(bool, String), String>,
}

impl Publisher {
    pub(crate) fn new(config: &KafkaConfig, runtime: tokio::runtime::Handle) -> Result<Self, KafkaError> {
        let sink = {
            let _runtime = runtime.enter();
            KafkaSink::new(config)?
        };
        Ok(Publisher {
            sink,
            alerts_topic: config.topics.alerts.clone(),
            keynodes_topic: config.topics.keynodes.clone(),
            runtime,
            published: HashMap::new(),
        })
    }

    /// Publishes the alerts whose state changed, and waits for the broker's acknowledgement.
    pub(crate) fn alerts(&mut self, alerts: &[Alert]) -> Result<(), KafkaError> {
        let mut pending = Pending::default();
        for alert in alerts {
            let payload = serde_json::to_string(alert).unwrap_or_default();
            self.send((false, alert.id.clone()), payload, &mut pending)?;
        }
        self.runtime.block_on(self.sink.settle(&mut pending)).map(|_| ())
    }

    /// Publishes the rankings of `workspace` (all watches, then each of `watches`) that changed.
    pub(crate) fn rankings(
        &mut self,
        workspace: &str,
        watches: &[String],
        graphs: &KeyNodes,
    ) -> Result<(), KafkaError> {
        let mut pending = Pending::default();
        for watch in std::iter::once(None).chain(watches.iter().map(|w| Some(w.as_str()))) {
            let mut query = KeyNodeQuery::top(PUBLISHED_KEY_NODES);
            query.watch = watch.map(str::to_string);
            let (limit, members) = PUBLISHED_COMMUNITIES;
            let communities = CommunityQuery { watch: query.watch.clone(), limit, members };
            let ranking = Ranking {
                workspace: workspace.to_string(),
                watch: query.watch.clone(),
                key_nodes: graphs.key_nodes(workspace, &query),
                communities: graphs.communities(workspace, &communities),
                scores: if watch.is_none() { graphs.scores(workspace, PUBLISHED_SCORES) } else { Vec::new() },
            };
            if ranking.key_nodes.is_empty() {
                continue;
            }
            let payload = serde_json::to_string(&ranking).unwrap_or_default();
            self.send((true, ranking_key(workspace, watch)), payload, &mut pending)?;
        }
        self.runtime.block_on(self.sink.settle(&mut pending)).map(|_| ())
    }

    fn send(&mut self, key: (bool, String), payload: String, pending: &mut Pending) -> Result<(), KafkaError> {
        if self.published.get(&key) == Some(&payload) {
            return Ok(());
        }
        let topic = if key.0 { &self.keynodes_topic } else { &self.alerts_topic };
        self.runtime.block_on(self.sink.send_later(topic, &key.1, None, &payload, pending))?;
        self.published.insert(key, payload);
        Ok(())
    }
}

#[derive(Default)]
struct Tables {
    alerts: HashMap<String, Alert>,
    rankings: HashMap<String, Ranking>,
    /// Workspace → platform → handle → score (looked up by `&str`, without allocating).
    scores: HashMap<String, HashMap<Platform, HashMap<String, f64>>>,
}

/// Alerts and key nodes as the signals owners published them, kept up to date by two table
/// readers: what an API server that judges nothing itself answers from.
#[derive(Clone)]
pub struct SignalTables {
    tables: Arc<Mutex<Tables>>,
    readers: Arc<Vec<TableReader>>,
    sink: Arc<KafkaSink>,
    signals_topic: String,
}

impl std::fmt::Debug for SignalTables {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignalTables").field("readers", &self.readers).finish()
    }
}

impl SignalTables {
    /// Starts reading the alerts and key-nodes topics of `config` (which must exist) from
    /// their start. Must be called inside a Tokio runtime.
    pub fn start(config: &KafkaConfig) -> Result<Self, KafkaError> {
        let tables: Arc<Mutex<Tables>> = Arc::default();
        let into = tables.clone();
        let alerts = TableReader::start(config, &config.topics.alerts, move |m: RawMessage| {
            let Some(key) = m.key.map(|k| String::from_utf8_lossy(&k).into_owned()) else { return };
            let mut t = into.lock().unwrap_or_else(|p| p.into_inner());
            match m.payload.map(|p| serde_json::from_slice::<Alert>(&p)) {
                Some(Ok(alert)) => {
                    t.alerts.insert(key, alert);
                }
                Some(Err(error)) => tracing::warn!(%key, %error, "an alert state that does not parse"),
                None => {
                    t.alerts.remove(&key);
                }
            }
        })?;
        let into = tables.clone();
        let keynodes = TableReader::start(config, &config.topics.keynodes, move |m: RawMessage| {
            let Some(key) = m.key.map(|k| String::from_utf8_lossy(&k).into_owned()) else { return };
            let mut t = into.lock().unwrap_or_else(|p| p.into_inner());
            match m.payload.map(|p| serde_json::from_slice::<Ranking>(&p)) {
                Some(Ok(ranking)) => {
                    if ranking.watch.is_none() {
                        let mut scores: HashMap<Platform, HashMap<String, f64>> = HashMap::new();
                        for (platform, handle, score) in &ranking.scores {
                            scores.entry(*platform).or_default().insert(handle.clone(), *score);
                        }
                        t.scores.insert(ranking.workspace.clone(), scores);
                    }
                    t.rankings.insert(key, ranking);
                }
                Some(Err(error)) => tracing::warn!(%key, %error, "a key-node ranking that does not parse"),
                None => {
                    t.rankings.remove(&key);
                }
            }
        })?;
        Ok(SignalTables {
            tables,
            readers: Arc::new(vec![alerts, keynodes]),
            sink: Arc::new(KafkaSink::new(config)?),
            signals_topic: config.topics.signals.clone(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The published workspace-wide key-node score of an author.
    fn score(&self, workspace: &str, platform: Platform, handle: &str) -> Option<f64> {
        self.lock().scores.get(workspace)?.get(&platform)?.get(handle).copied()
    }
}

impl AlertStore for SignalTables {
    fn list(&self, scope: AlertScope, workspace: Option<&str>) -> Vec<Alert> {
        let all: Vec<Alert> = self.lock().alerts.values().cloned().collect();
        veille_alert::select(all, scope, workspace)
    }

    fn get(&self, id: &str) -> Option<Alert> {
        self.lock().alerts.get(id).cloned()
    }

    fn ack(&self, id: &str, by: &str) -> Result<Alert, AckError> {
        let by = by.trim();
        if by.is_empty() {
            return Err(AckError::Anonymous);
        }
        let mut alert = self.get(id).ok_or_else(|| AckError::Unknown(id.to_string()))?;
        if alert.state == AlertState::Resolved {
            return Err(AckError::Resolved(id.to_string()));
        }
        let command = serde_json::to_string(&AckCommand { id: id.to_string(), by: by.to_string() }).unwrap_or_default();
        self.sink.send_detached(&self.signals_topic, &alert.workspace, Some(ACK_KIND), &command).map_err(|e| {
            tracing::error!(alert = id, error = %e, "sending an acknowledgement to the alert's owner");
            AckError::Unavailable { id: id.to_string(), reason: e.to_string() }
        })?;
        // Shown acknowledged at once; the owner's next published state confirms it.
        alert.ack = Some(Ack { by: by.to_string(), at: Utc::now() });
        self.lock().alerts.insert(id.to_string(), alert.clone());
        Ok(alert)
    }
}

impl KeyNodeStore for SignalTables {
    fn key_nodes(&self, workspace: &str, query: &KeyNodeQuery) -> Vec<KeyNode> {
        let t = self.lock();
        let ranking = t.rankings.get(&ranking_key(workspace, query.watch.as_deref()));
        ranking.map(|r| r.key_nodes.iter().take(query.limit).cloned().collect()).unwrap_or_default()
    }

    fn communities(&self, workspace: &str, query: &CommunityQuery) -> CommunityReport {
        let t = self.lock();
        let Some(ranking) = t.rankings.get(&ranking_key(workspace, query.watch.as_deref())) else {
            return CommunityReport::default();
        };
        let mut report = ranking.communities.clone();
        report.communities.truncate(query.limit);
        for c in &mut report.communities {
            c.key_nodes.truncate(query.members);
        }
        report
    }

    fn refuses(&self, query: &KeyNodeQuery) -> Option<String> {
        let most = PUBLISHED_KEY_NODES;
        if query.window.is_some() {
            Some(
                "this server reads the rankings the signals owners publish: ask a `veille signals` API for a `window`"
                    .into(),
            )
        } else if query.limit > most {
            Some(format!("this server reads the rankings the signals owners publish, {most} authors at most"))
        } else {
            None
        }
    }
}

/// Stamps `scores.key_node` on each mention from the published author scores: what a
/// processor knows of the key nodes its signals owners compute.
pub(crate) struct PublishedScores(pub(crate) SignalTables);

impl Enricher for PublishedScores {
    fn name(&self) -> &'static str {
        "key_nodes"
    }

    fn enrich(&mut self, mention: &mut Mention) {
        if let Some(score) = self.0.score(&mention.workspace, mention.platform(), &mention.author.handle) {
            mention.scores.key_node = Some(score);
        }
    }
}

/// The watches of each configured workspace, for the per-watch rankings.
pub(crate) fn watches_by_workspace(config: &veille_config::Config) -> BTreeMap<String, Vec<String>> {
    config.workspaces.iter().map(|w| (w.name.clone(), w.watches.iter().map(|x| x.name.clone()).collect())).collect()
}
