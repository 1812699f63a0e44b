//! The veille HTTP API.
//!
//! | endpoint | answers |
//! |---|---|
//! | `GET /api/v1/search` | mentions matching a query, newest or most relevant first, with highlighted snippets |
//! | `GET /api/v1/mentions/{key}` | one mention by key |
//! | `GET /api/v1/stats/volume` | mentions per time bucket, optionally split by platform, watch, sentiment or language |
//! | `GET /api/v1/keynodes` | top authors (`watch`, `window`, `limit`) with the components of their score, community and sample mentions |
//! | `GET /api/v1/communities` | communities of authors (`watch`, `limit`, `members`) with their size, label and share of mentions |
//! | `GET /api/v1/alerts` | active alerts (`state=history` for resolved ones, `all` for both), with their explanations |
//! | `GET /api/v1/alerts/{id}` | one alert |
//! | `POST /api/v1/alerts/{id}/ack` | acknowledges an alert; body `{"by": "name"}` |
//! | `POST /api/v1/alerts/incidents/{id}/ack` | acknowledges every active alert of an incident (`GET /api/v1/alerts?incident=ID` lists them); body `{"by": "name"}` |
//! | `GET /api/v1/watches` | the workspace's watches (name, kind), from the configuration or else from the index |
//! | `GET /api/v1/live` | Server-Sent Events: new mentions (`q` filters them) and alert changes, as they happen |
//! | `GET /` | the dashboard (its files under `/assets/...`) |
//! | `GET /api/v1/analytics/volume` | mentions per time bucket, split by watch, platform, sentiment or language (`format=csv` too) |
//! | `GET /api/v1/analytics/sentiment` | sentiment split, net sentiment and its trend (`interval`) |
//! | `GET /api/v1/analytics/share-of-voice` | count, share and sentiment per brand and competitor (`watches`, `interval` for a trend) |
//! | `GET /api/v1/analytics/terms` | words, hashtags or handles significant in the period against a baseline (`field`, `baseline_from`, `baseline_to`) |
//! | `GET /api/v1/analytics/authors` | top authors by mentions, engagement or key-node score (`by`, `limit`) |
//! | `GET /api/v1/analytics/breakdown` | mentions per language, platform, sentiment, watch, watch kind or post kind (`field`) |
//! | `GET /api/v1/analytics/audit` | what is said about one `watch` over a period, against the period before |
//! | `POST /api/v1/ingest` | mentions pushed as one JSON or NDJSON to a `push` source: 202 with counts accepted and dead-lettered |
//! | `GET /api/v1/export` | every matching mention, oldest first, streamed as NDJSON or CSV (`format`) |
//! | `GET /metrics` | Prometheus metrics |
//! | `GET /healthz` | 200 while the process runs |
//! | `GET /readyz` | 200 once the index is open and the pipeline started |
//!
//! Every data endpoint takes `workspace` (default `default`) and answers only
//! from that workspace. Errors are JSON `{"error": "...", "status": N}`; a bad
//! query or parameter is a 400 that says what is wrong. Analytics answers are JSON, or CSV
//! with a header row when asked `format=csv`.

mod alerts;
mod analytics;
mod dashboard;
mod error;
pub mod export;
mod guard;
mod ingest;
mod keynodes;
mod live;
mod params;
mod routes;
mod serving;
mod tls;
mod watches;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;
use veille_index::MentionIndex;

pub use error::ApiError;
pub use guard::Guard;
pub use routes::OPENAPI;
pub use serving::{bind, ingest_router, serve_app, ServeError};
pub use tls::TlsError;
pub use veille_auth::Principal;

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    index: MentionIndex,
    ready: Arc<AtomicBool>,
    alerts: Option<Arc<dyn veille_alert::AlertStore>>,
    key_nodes: Option<Arc<dyn veille_graph::KeyNodeStore>>,
    watches: Option<Arc<watches::WatchCatalogue>>,
    guard: Arc<Guard>,
    push: Option<veille_sources::PushHandles>,
}

impl AppState {
    /// State serving `index`; not ready until [`AppState::set_ready`].
    pub fn new(index: MentionIndex) -> Self {
        AppState {
            index,
            ready: Arc::new(AtomicBool::new(false)),
            alerts: None,
            key_nodes: None,
            watches: None,
            guard: Arc::default(),
            push: None,
        }
    }

    /// Serves key nodes and communities from live graphs too (the pipeline's, or the
    /// signals owners' when the stages are scaled out).
    pub fn with_key_nodes<K: veille_graph::KeyNodeStore + 'static>(mut self, key_nodes: Option<K>) -> Self {
        self.key_nodes = key_nodes.map(|k| Arc::new(k) as Arc<dyn veille_graph::KeyNodeStore>);
        self
    }

    /// Lists the configured watches of each workspace at `/api/v1/watches` (without
    /// them, it lists the watches found in the index).
    pub fn with_watches(mut self, workspaces: &[veille_config::WorkspaceConfig]) -> Self {
        self.watches = Some(Arc::new(watches::catalogue(workspaces)));
        self
    }

    /// Serves alerts too (the pipeline's live book, or the signals owners' alerts when the
    /// stages are scaled out).
    pub fn with_alerts<A: veille_alert::AlertStore + 'static>(mut self, alerts: Option<A>) -> Self {
        self.alerts = alerts.map(|a| Arc::new(a) as Arc<dyn veille_alert::AlertStore>);
        self
    }

    /// Puts every route behind `guard`: API keys, roles, workspaces, rates and limits.
    pub fn with_guard(mut self, guard: Guard) -> Self {
        self.guard = Arc::new(guard);
        self
    }

    /// Accepts mentions pushed to `POST /api/v1/ingest` for these push sources.
    pub fn with_push(mut self, push: veille_sources::PushHandles) -> Self {
        self.push = Some(push);
        self
    }

    /// Marks the service ready (or not) for `/readyz`.
    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Relaxed);
    }
}

/// `POST /api/v1/ingest` for `push` (a 404 without push sources).
fn ingest_routes<S>(push: Option<veille_sources::PushHandles>) -> Router<S> {
    Router::new()
        .route(
            "/api/v1/ingest",
            post(ingest::ingest).layer(axum::extract::DefaultBodyLimit::max(veille_sources::MAX_PUSH_BODY_BYTES)),
        )
        .with_state(ingest::PushState(push))
}

/// The API's routes.
pub fn router(state: AppState) -> Router {
    let guard = Arc::clone(&state.guard);
    let routes = Router::new()
        .route("/api/v1/search", get(routes::search))
        .route("/api/v1/mentions/{key}", get(routes::mention))
        .route("/api/v1/stats/volume", get(analytics::volume))
        .route("/api/v1/keynodes", get(keynodes::key_nodes))
        .route("/api/v1/communities", get(keynodes::communities))
        .route("/api/v1/alerts", get(alerts::list))
        .route("/api/v1/alerts/{id}", get(alerts::get))
        .route("/api/v1/alerts/{id}/ack", post(alerts::ack))
        .route("/api/v1/alerts/incidents/{id}/ack", post(alerts::ack_incident))
        .route("/api/v1/watches", get(watches::list))
        .route("/api/v1/live", get(live::live))
        .route("/", get(dashboard::page))
        .route("/assets/{*path}", get(dashboard::asset))
        .route("/api/v1/analytics/volume", get(analytics::volume))
        .route("/api/v1/analytics/sentiment", get(analytics::sentiment))
        .route("/api/v1/analytics/share-of-voice", get(analytics::share_of_voice))
        .route("/api/v1/analytics/terms", get(analytics::terms))
        .route("/api/v1/analytics/authors", get(analytics::authors))
        .route("/api/v1/analytics/breakdown", get(analytics::breakdown))
        .route("/api/v1/analytics/audit", get(analytics::audit))
        .route("/api/v1/export", get(export::export))
        .merge(ingest_routes(state.push.clone()))
        .route("/metrics", get(routes::metrics))
        .route("/api/v1/openapi.json", get(routes::openapi))
        .route("/healthz", get(routes::healthz))
        .route("/readyz", get(routes::readyz))
        .fallback(routes::not_found)
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state);
    guard::secure(routes, guard)
}
