//! `POST /api/v1/ingest`: mentions pushed by a customer's own collectors.
//!
//! The body is one mention JSON (`Content-Type: application/json`) or NDJSON,
//! one mention per line (any other type). The answer is `202 Accepted` with
//! `{"source": "...", "accepted": N, "dead_lettered": M, "errors": [{"line": L, "reason": "..."}]}`
//! once the records are durable; a malformed line is dead-lettered
//! (never dropped) and named in `errors`. A body over `server.limits.max_body_bytes`
//! as sent, over [`MAX_PUSH_BODY_BYTES`](veille_sources::MAX_PUSH_BODY_BYTES) once
//! decompressed (`Content-Encoding: gzip` is accepted), or with a line over
//! [`MAX_LINE_BYTES`](veille_sources::MAX_LINE_BYTES) is refused whole with
//! `413`, naming the limit. `?workspace=W` puts every mention in workspace `W`.
//!
//! Who may push: when the API enforces keys, the guard has admitted an API key
//! with the `ingest` role, every mention must belong to a workspace in its
//! scope (else `403`), and `?source=NAME` picks the push source when there are
//! several. Otherwise the bearer token is a push source's own token (each
//! `kind = "push"` source reads it from the environment variable its
//! `token_env` names), compared in constant time; a wrong one is a `401`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use veille_auth::Principal;
use veille_sources::{PushError, PushFormat, PushHandle, PushHandles, PushReceipt, MAX_PUSH_BODY_BYTES};

/// The push sources the ingest endpoint feeds (none: it answers 404).
#[derive(Clone)]
pub(crate) struct PushState(pub(crate) Option<PushHandles>);

/// A JSON error in the API's usual shape.
fn refuse(status: StatusCode, message: String) -> Response {
    (status, Json(serde_json::json!({ "error": message, "status": status.as_u16() }))).into_response()
}

/// The bearer token of an `Authorization` header.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IngestParams {
    source: Option<String>,
    workspace: Option<String>,
}

/// The body as sent, decompressed when `Content-Encoding: gzip` says it is compressed: at most
/// [`MAX_PUSH_BODY_BYTES`] once decompressed.
fn decoded(headers: &HeaderMap, body: Bytes) -> Result<Bytes, Box<Response>> {
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap_or("(not text)").trim().to_ascii_lowercase())
        .filter(|e| !e.is_empty() && e != "identity");
    match encoding.as_deref() {
        None if body.starts_with(&[0x1f, 0x8b]) => Err(Box::new(refuse(
            StatusCode::BAD_REQUEST,
            "the body is gzip-compressed (it starts with 1f 8b) but the request has no `Content-Encoding: gzip`".into(),
        ))),
        None => Ok(body),
        Some("gzip" | "x-gzip") => {
            use std::io::Read;
            let mut out = Vec::new();
            let limit = MAX_PUSH_BODY_BYTES as u64;
            let mut reader = flate2::read::GzDecoder::new(&body[..]).take(limit + 1);
            if let Err(e) = reader.read_to_end(&mut out) {
                return Err(Box::new(refuse(
                    StatusCode::BAD_REQUEST,
                    format!("the gzip body cannot be decompressed: {e}"),
                )));
            }
            if out.len() as u64 > limit {
                return Err(Box::new(refuse(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("the body is larger than the limit of {MAX_PUSH_BODY_BYTES} bytes once decompressed"),
                )));
            }
            Ok(Bytes::from(out))
        }
        Some(other) => Err(Box::new(refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "Content-Encoding `{other}` is not supported: send the body as is or with `Content-Encoding: gzip`"
            ),
        ))),
    }
}

/// The push source an admitted API key writes to: the one named, or the only one.
fn named(push: &PushHandles, source: Option<&str>) -> Result<PushHandle, Box<Response>> {
    let names: Vec<&str> = push.names().collect();
    let name = match (source, names.as_slice()) {
        (Some(n), _) => n,
        (None, [only]) => only,
        (None, _) => {
            return Err(Box::new(refuse(
                StatusCode::BAD_REQUEST,
                format!("several push sources are configured: name one with `source` ({})", names.join(", ")),
            )))
        }
    };
    push.get(name).cloned().ok_or_else(|| {
        Box::new(refuse(StatusCode::NOT_FOUND, format!("no push source `{name}` (configured: {})", names.join(", "))))
    })
}

pub(crate) async fn ingest(
    State(PushState(push)): State<PushState>,
    principal: Option<Extension<Principal>>,
    params: Result<Query<IngestParams>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (source, workspace) = match params {
        Ok(Query(p)) => (p.source, p.workspace),
        Err(e) => return refuse(StatusCode::BAD_REQUEST, e.body_text()),
    };
    let Some(push) = push.as_ref().filter(|p| !p.is_empty()) else {
        return refuse(StatusCode::NOT_FOUND, "no push source is configured: add a `kind = \"push\"` source".into());
    };
    let workspace = match workspace.map(|w| crate::params::workspace(Some(w))).transpose() {
        Ok(w) => w,
        Err(e) => return e.into_response(),
    };
    let handle = match authorized(push, principal.is_some(), source.as_deref(), &headers) {
        Ok(h) => h,
        Err(refusal) => return *refusal,
    };
    if let (Some(asked), Some(fixed)) = (workspace.as_deref(), handle.workspace()) {
        if asked != fixed {
            return refuse(
                StatusCode::BAD_REQUEST,
                format!(
                    "push source `{}` puts every mention in workspace `{fixed}`; `workspace={asked}` contradicts it",
                    handle.name()
                ),
            );
        }
    }
    let body = match body {
        Ok(b) => b,
        // Over `server.limits.max_body_bytes`: the guard answers with the limit's name.
        Err(e) => return refuse(e.status(), e.body_text()),
    };
    let body = match decoded(&headers, body) {
        Ok(b) => b,
        Err(refusal) => return *refusal,
    };
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json")));
    let format = if json { PushFormat::Json } else { PushFormat::Ndjson };
    let pushed = match &principal {
        Some(Extension(who)) => {
            handle.push_within(&body, format, workspace.as_deref(), |ws| who.scope.contains(ws)).await
        }
        None => handle.push_within(&body, format, workspace.as_deref(), |_| true).await,
    };
    answer(handle.name(), pushed)
}

/// The push source a request goes to: the one named by `source` for a request that passed
/// the API-key guard (`keyed`), else the one whose bearer token the request carries.
fn authorized(
    push: &PushHandles,
    keyed: bool,
    source: Option<&str>,
    headers: &HeaderMap,
) -> Result<PushHandle, Box<Response>> {
    if keyed {
        return named(push, source);
    }
    match bearer(headers).and_then(|t| push.authorize(t)) {
        Some(h) => Ok(h.clone()),
        None => {
            let mut resp =
                refuse(StatusCode::UNAUTHORIZED, "a valid `Authorization: Bearer <token>` is required".into());
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
            Err(Box::new(resp))
        }
    }
}

/// The answer to a push: `202` with what was accepted and refused, or the error's status.
fn answer(source: &str, pushed: Result<PushReceipt, PushError>) -> Response {
    match pushed {
        Ok(receipt) => {
            let errors: Vec<_> =
                receipt.refused.iter().map(|r| serde_json::json!({ "line": r.line, "reason": r.reason })).collect();
            let answer = serde_json::json!({
                "source": source,
                "accepted": receipt.accepted,
                "dead_lettered": receipt.refused.len(),
                "errors": errors,
            });
            (StatusCode::ACCEPTED, Json(answer)).into_response()
        }
        Err(e @ (PushError::BodyTooLarge { .. } | PushError::LineTooLong { .. })) => {
            refuse(StatusCode::PAYLOAD_TOO_LARGE, e.to_string())
        }
        Err(e @ PushError::OutsideScope { .. }) => refuse(StatusCode::FORBIDDEN, e.to_string()),
        Err(e @ PushError::Stopped(_)) => refuse(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    }
}
