//! The guard in front of every route: API keys, roles and workspaces, per-key rates,
//! request limits and deadlines, CORS.
//!
//! Once the key store holds any key, every request needs one, except `/healthz`,
//! `/readyz`, the API's description (`/api/v1/openapi.json`) and the dashboard's page and
//! assets (`/`, `/assets/...`), which load
//! without a key and then call the API with the key the user logs in with. The key
//! comes in `Authorization: Bearer KEY`, or, for the live stream only (browsers'
//! `EventSource` cannot set headers), in `?key=KEY`, which is removed from the request
//! before anything logs it.
//!
//! | request | role needed |
//! |---|---|
//! | `POST /api/v1/ingest` | `ingest` (or `admin`) |
//! | `POST /api/v1/alerts/{id}/ack` | `analyst` (or `admin`) |
//! | `GET /api/v1/export` | `analyst` (or `admin`), at most `exports_per_minute` per key |
//! | `GET /metrics` | `analyst` or `admin` for every workspace (`*`) |
//! | any other `GET` | `analyst` (or `admin`) |
//! | any other method | `admin` |
//!
//! The workspace a request names (`workspace`, default `default`) must be in the key's
//! scope. The verified key travels with the request as a [`Principal`] extension, so
//! handlers that take workspaces from a body (the ingest webhook) check them too.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use veille_auth::{Action, Denial, DenialReason, KeyStore, Principal, RateLimit, RateLimiter};
use veille_config::{CorsConfig, LimitsConfig, ServerConfig};
use veille_index::QueryCost;

/// The live stream: long-lived, and the only route that accepts `?key=`.
const LIVE: &str = "/api/v1/live";

/// What the guard enforces: the key store (none: the API is open) and the limits.
#[derive(Debug)]
pub struct Guard {
    keys: Option<KeyStore>,
    limits: LimitsConfig,
    cors: CorsConfig,
    rate: RateLimiter,
    exports: RateLimiter,
}

impl Default for Guard {
    /// No keys, default limits, CORS off.
    fn default() -> Self {
        Guard::new(None, &ServerConfig::default())
    }
}

impl Guard {
    /// Enforces `keys` (once it holds any key) and the `[server]` limits and CORS origins.
    pub fn new(keys: Option<KeyStore>, server: &ServerConfig) -> Guard {
        let limits = server.limits.clone();
        let rate = RateLimiter::new(RateLimit { per_second: limits.rate_per_second, burst: limits.rate_burst });
        let exports = RateLimiter::new(RateLimit {
            per_second: f64::from(limits.exports_per_minute) / 60.0,
            burst: limits.exports_per_minute,
        });
        Guard { keys, limits, cors: server.cors.clone(), rate, exports }
    }
}

/// `routes` behind the guard, the body limit and (when origins are configured) CORS.
pub(crate) fn secure(routes: Router, guard: Arc<Guard>) -> Router {
    let cors = cors_layer(&guard.cors);
    let routes = routes
        .layer(tower_http::limit::RequestBodyLimitLayer::new(guard.limits.max_body_bytes))
        .layer(axum::middleware::from_fn_with_state(guard, check));
    match cors {
        Some(cors) => routes.layer(cors),
        None => routes,
    }
}

fn cors_layer(cors: &CorsConfig) -> Option<tower_http::cors::CorsLayer> {
    let origins: Vec<HeaderValue> = cors.allow_origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
    (!origins.is_empty()).then(|| {
        tower_http::cors::CorsLayer::new()
            .allow_origin(origins)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
            .max_age(Duration::from_secs(600))
    })
}

/// A JSON error like the handlers', with a denial's status.
fn answer(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": message, "status": status.as_u16() }))).into_response()
}

fn deny(denial: &Denial, method: &Method, path: &str) -> Response {
    denial.record(method.as_str(), path);
    let status = StatusCode::from_u16(denial.reason.status()).unwrap_or(StatusCode::FORBIDDEN);
    let mut response = answer(status, &denial.message);
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    if let Some(wait) = denial.retry_after {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
    }
    response
}

fn open(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/" | "/api/v1/openapi.json") || path.starts_with("/assets/")
}

/// What the request wants to do, and whether it must reach every workspace.
fn action(method: &Method, path: &str) -> (Action, bool) {
    let reads = method == Method::GET || method == Method::HEAD;
    if method == Method::POST && path == "/api/v1/ingest" {
        (Action::Ingest, false)
    } else if method == Method::POST && path.starts_with("/api/v1/alerts/") && path.ends_with("/ack") {
        (Action::Acknowledge, false)
    } else if reads && path == "/api/v1/export" {
        (Action::Export, false)
    } else if reads {
        (Action::Read, path == "/metrics")
    } else {
        (Action::Administer, false)
    }
}

/// The decoded query parameters.
fn params(uri: &Uri) -> Vec<(String, String)> {
    form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()).into_owned().collect()
}

/// `uri` without its `key` parameter, so no log or handler ever sees it.
fn without_key(uri: &Uri) -> Uri {
    let Some(query) = uri.query() else { return uri.clone() };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| !form_urlencoded::parse(pair.as_bytes()).any(|(name, _)| name == "key"))
        .collect();
    let path_and_query =
        if kept.is_empty() { uri.path().to_string() } else { format!("{}?{}", uri.path(), kept.join("&")) };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = path_and_query.parse().ok();
    Uri::from_parts(parts).unwrap_or_else(|_| uri.clone())
}

fn one<'a>(params: &'a [(String, String)], name: &str) -> Result<Option<&'a str>, Denial> {
    let mut values = params.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str());
    let first = values.next();
    if values.next().is_some() {
        return Err(Denial::new(DenialReason::OverLimit, format!("`{name}` is given more than once")));
    }
    Ok(first)
}

/// The key presented with the request, if any.
fn presented(request: &Request, params: &[(String, String)]) -> Result<Option<String>, Denial> {
    if let Some(value) = request.headers().get(header::AUTHORIZATION) {
        let text = value.to_str().unwrap_or("");
        return match text.split_once(' ') {
            Some((scheme, key)) if scheme.eq_ignore_ascii_case("bearer") => Ok(Some(key.trim().to_string())),
            _ => Err(Denial::new(DenialReason::MalformedKey, "expected `Authorization: Bearer KEY`")),
        };
    }
    if request.uri().path() == LIVE {
        return Ok(one(params, "key")?.map(str::to_string));
    }
    Ok(None)
}

async fn authenticate(keys: &KeyStore, key: String, client: String) -> Result<Principal, Denial> {
    if let Some(answer) = keys.authenticate_cached(&key) {
        return answer;
    }
    let keys = keys.clone();
    tokio::task::spawn_blocking(move || keys.authenticate_from(&key, &client))
        .await
        .unwrap_or_else(|e| Err(Denial::new(DenialReason::InvalidKey, format!("key verification failed: {e}"))))
}

/// Who the request is from, when keys are enforced; every refusal is a denial.
async fn admit(
    guard: &Guard,
    method: &Method,
    path: &str,
    presented: Result<Option<String>, Denial>,
    params: &[(String, String)],
    client: String,
) -> Result<Option<Principal>, Denial> {
    let Some(keys) = guard.keys.as_ref().filter(|k| k.is_enforcing()) else {
        return Ok(None);
    };
    if open(path) {
        return Ok(None);
    }
    let Some(key) = presented? else {
        return Err(Denial::new(DenialReason::MissingKey, "an API key is required: send `Authorization: Bearer KEY`"));
    };
    let who = authenticate(keys, key, client).await?;
    let (action, everywhere) = action(method, path);
    if everywhere && !who.scope.is_all() {
        return Err(Denial::new(DenialReason::Workspace, "this endpoint needs a key for every workspace (`*`)")
            .for_key(&who.key_id));
    }
    if action == Action::Ingest {
        // A push names its workspaces in its mentions (or `?workspace=`): the handler checks
        // each of them against the key's scope.
        who.may(action)?;
        if let Some(workspace) = one(params, "workspace")? {
            who.authorize(action, workspace)?;
        }
    } else {
        who.authorize(action, one(params, "workspace")?.unwrap_or(veille_model::DEFAULT_WORKSPACE))?;
    }
    if let Err(wait) = guard.rate.check(&who.key_id) {
        let limit = guard.rate.limit();
        let mut denial = Denial::new(
            DenialReason::RateLimited,
            format!(
                "rate limit of {} requests per second (bursts of {}) exceeded for this key (server.limits.rate_per_second)",
                limit.per_second, limit.burst
            ),
        )
        .for_key(&who.key_id);
        denial.retry_after = Some(wait);
        return Err(denial);
    }
    if action == Action::Export {
        if let Err(wait) = guard.exports.check(&who.key_id) {
            let mut denial = Denial::new(
                DenialReason::RateLimited,
                format!(
                    "export limit of {} per minute exceeded for this key (server.limits.exports_per_minute)",
                    guard.limits.exports_per_minute
                ),
            )
            .for_key(&who.key_id);
            denial.retry_after = Some(wait);
            return Err(denial);
        }
    }
    Ok(Some(who))
}

/// Refuses pages and queries over the limits before anything runs.
fn within_limits(limits: &LimitsConfig, params: &[(String, String)]) -> Result<(), Denial> {
    let over = |message: String| Err(Denial::new(DenialReason::OverLimit, message));
    if let Some(limit) = one(params, "limit")?.and_then(|l| l.parse::<u64>().ok()) {
        if limit > limits.max_page_size as u64 {
            return over(format!(
                "`limit` is {limit}, the most is {} (server.limits.max_page_size)",
                limits.max_page_size
            ));
        }
    }
    let Some(q) = one(params, "q")? else { return Ok(()) };
    let cost = QueryCost::of(q);
    let checks = [
        (cost.bytes, limits.max_query_bytes, "bytes long", "max_query_bytes"),
        (cost.clauses, limits.max_query_clauses, "terms, phrases or ranges", "max_query_clauses"),
        (cost.expansions, limits.max_query_wildcards, "wildcard, fuzzy or regex terms", "max_query_wildcards"),
        (cost.depth, limits.max_query_depth, "levels of parentheses", "max_query_depth"),
    ];
    for (value, most, what, key) in checks {
        if value > most {
            return over(format!("the query has {value} {what}, the most is {most} (server.limits.{key})"));
        }
    }
    Ok(())
}

/// Whether `query` names the `workspace` field: the workspace is the `workspace` parameter's
/// business alone (the index scopes every query to it; such a query could only probe).
fn names_workspace_field(query: &str) -> bool {
    query
        .split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | '+' | '-' | '!' | '{' | '['))
        .any(|word| word.trim_start_matches(['"', '\\']).starts_with("workspace:"))
}

/// The middleware: admits the request, then runs it within the limits.
async fn check(State(guard): State<Arc<Guard>>, mut request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let params = params(request.uri());
    if path == LIVE {
        *request.uri_mut() = without_key(request.uri());
    }
    let key = presented(&request, &params);
    let client = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map_or_else(|| "unknown".to_string(), |c| c.0.ip().to_string());
    let mut key_id = None;
    match admit(&guard, &method, &path, key, &params, client).await {
        Ok(Some(who)) => {
            key_id = Some(who.key_id.clone());
            request.extensions_mut().insert(who);
        }
        Ok(None) => {}
        Err(denial) => return deny(&denial, &method, &path),
    }
    if let Err(denial) = within_limits(&guard.limits, &params) {
        return deny(&denial, &method, &path);
    }
    if params.iter().any(|(n, v)| n == "q" && names_workspace_field(v)) {
        let denial = Denial::new(
            DenialReason::Workspace,
            "a query may not name the `workspace` field: choose the workspace with the `workspace` parameter",
        );
        return deny(&denial, &method, &path);
    }
    let has_query = params.iter().any(|(n, v)| n == "q" && !v.trim().is_empty());
    let response = if path == LIVE {
        next.run(request).await
    } else {
        let deadline = Duration::from_millis(guard.limits.request_time_ms);
        match tokio::time::timeout(deadline, next.run(request)).await {
            Ok(response) => response,
            Err(_) => {
                let ms = guard.limits.request_time_ms;
                let (reason, message) = if has_query {
                    (
                        DenialReason::QueryTooSlow,
                        format!("the query ran longer than the limit of {ms} ms (server.limits.request_time_ms) and was cancelled: narrow it or its time range"),
                    )
                } else {
                    (
                        DenialReason::Timeout,
                        format!("the request took longer than the limit of {ms} ms (server.limits.request_time_ms)"),
                    )
                };
                return deny(&Denial::new(reason, message), &method, &path);
            }
        }
    };
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
        // A handler's own 413 (a pushed line over its limit, a body too large once
        // decompressed) already names its limit in JSON; the body limit's answer is plain text.
        let from_handler = response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|t| t.to_str().is_ok_and(|t| t.starts_with("application/json")));
        let message = if from_handler {
            "the request is over a size limit (see the answer)".to_string()
        } else {
            format!(
                "the request body is larger than the limit of {} bytes (server.limits.max_body_bytes)",
                guard.limits.max_body_bytes
            )
        };
        let mut denial = Denial::new(DenialReason::BodyTooLarge, message);
        denial.key_id = key_id;
        if from_handler {
            denial.record(method.as_str(), &path);
            return response;
        }
        return deny(&denial, &method, &path);
    }
    response
}
