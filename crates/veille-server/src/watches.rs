//! The watches of a workspace, for the dashboard's watch picker.
//!
//! A server started with the configuration lists the configured watches; a
//! server over an index alone lists the watches its mentions were tagged
//! with (the most frequent first, at most [`MAX_INDEXED_WATCHES`]).

use std::collections::BTreeMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use veille_index::{MentionIndex, SearchRequest, VolumeRequest, VolumeSplit};
use veille_model::WatchKind;

use crate::error::ApiError;
use crate::routes::query;
use crate::{params, AppState};

/// Most watches listed from the index alone.
const MAX_INDEXED_WATCHES: usize = 100;

/// A watch as the dashboard lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct WatchSummary {
    name: String,
    /// Unknown when the index holds the name but no mention names its kind.
    kind: Option<WatchKind>,
    /// Tagged mentions, when listed from the index.
    #[serde(skip_serializing_if = "Option::is_none")]
    mentions: Option<u64>,
}

/// Configured watches per workspace name.
pub(crate) type WatchCatalogue = BTreeMap<String, Vec<WatchSummary>>;

/// The catalogue of the configured workspaces.
pub(crate) fn catalogue(workspaces: &[veille_config::WorkspaceConfig]) -> WatchCatalogue {
    workspaces
        .iter()
        .map(|ws| {
            let watches =
                ws.watches.iter().map(|w| WatchSummary { name: w.name.clone(), kind: Some(w.kind), mentions: None });
            (ws.name.clone(), watches.collect())
        })
        .collect()
}

/// `GET /api/v1/watches` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WatchParams {
    workspace: Option<String>,
}

pub(crate) async fn list(
    State(state): State<AppState>,
    q: Result<Query<WatchParams>, QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let workspace = params::workspace(query(q)?.workspace)?;
    if let Some(configured) = state.watches.as_ref() {
        let watches = configured.get(&workspace).cloned().unwrap_or_default();
        return Ok(Json(serde_json::json!({ "workspace": workspace, "source": "config", "watches": watches })));
    }
    let index = state.index.clone();
    let ws = workspace.clone();
    let watches = tokio::task::spawn_blocking(move || indexed(&index, &ws))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(Json(serde_json::json!({ "workspace": workspace, "source": "index", "watches": watches })))
}

/// The watches mentions of `workspace` were tagged with, the most frequent first.
fn indexed(index: &MentionIndex, workspace: &str) -> Result<Vec<WatchSummary>, ApiError> {
    let req = VolumeRequest {
        workspace: workspace.to_string(),
        query: String::new(),
        from: None,
        to: None,
        // Ten-year buckets: a handful over any span the index holds, summed below.
        interval: "3650d".into(),
        split: Some(VolumeSplit::Watch),
    };
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for bucket in index.volume(&req)?.buckets {
        for (name, n) in bucket.split {
            *counts.entry(name).or_default() += n;
        }
    }
    let mut ranked: Vec<(String, u64)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked.truncate(MAX_INDEXED_WATCHES);
    let mut out = Vec::with_capacity(ranked.len());
    for (name, mentions) in ranked {
        // The index keeps watch names folded to lower case; one tagged mention gives
        // the name as configured and the watch's kind.
        let escaped = name.replace('\\', "\\\\").replace('"', "\\\"");
        let mut one = SearchRequest::new(workspace, format!("watch:\"{escaped}\""));
        one.limit = 1;
        let tag =
            index.search(&one)?.hits.into_iter().flat_map(|h| h.mention.tags).find(|t| t.watch.to_lowercase() == name);
        let (name, kind) = match tag {
            Some(t) => (t.watch, Some(t.kind)),
            None => (name, None),
        };
        out.push(WatchSummary { name, kind, mentions: Some(mentions) });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use veille_model::{Author, Checkpoint, Mention, Platform, WatchMatch};

    fn tagged(id: &str, watch: &str, kind: WatchKind) -> Mention {
        let author = Author { handle: "ann".into(), ..Default::default() };
        let mut m = Mention::new(Platform::X, id, format!("about {watch}"), chrono::Utc::now(), author);
        m.tags.push(WatchMatch { watch: watch.into(), kind, hits: Vec::new() });
        m
    }

    #[test]
    fn an_index_alone_lists_its_watches_by_frequency_with_their_kinds() {
        let dir = tempfile::tempdir().unwrap();
        let index = MentionIndex::open(dir.path()).unwrap();
        let mut writer = index.writer(&Default::default()).unwrap();
        for i in 0..3 {
            writer.upsert(&tagged(&format!("g{i}"), "Globex", WatchKind::Competitor)).unwrap();
        }
        writer.upsert(&tagged("a1", "acme", WatchKind::Brand)).unwrap();
        writer.commit(&Checkpoint::default()).unwrap();
        index.reload().unwrap();

        let watches = indexed(&index, "default").unwrap();
        assert_eq!(
            watches,
            vec![
                WatchSummary { name: "Globex".into(), kind: Some(WatchKind::Competitor), mentions: Some(3) },
                WatchSummary { name: "acme".into(), kind: Some(WatchKind::Brand), mentions: Some(1) },
            ]
        );
        assert!(indexed(&index, "other").unwrap().is_empty(), "another workspace sees none of them");
    }

    #[test]
    fn configured_watches_are_listed_per_workspace_in_config_order() {
        let config = veille_config::Config::from_toml_str(
            "[[workspaces]]\nname = \"default\"\n[[workspaces.watches]]\nname = \"acme\"\nkind = \"brand\"\n\
             terms = [\"Acme\"]\n[[workspaces.watches]]\nname = \"globex\"\nkind = \"competitor\"\nterms = [\"Globex\"]\n",
            "test.toml",
        )
        .unwrap();
        let c = catalogue(&config.workspaces);
        let names: Vec<(&str, Option<WatchKind>)> = c["default"].iter().map(|w| (w.name.as_str(), w.kind)).collect();
        assert_eq!(names, vec![("acme", Some(WatchKind::Brand)), ("globex", Some(WatchKind::Competitor))]);
    }
}
