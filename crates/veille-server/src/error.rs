//! API errors: JSON bodies with a message, and the right status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use veille_index::IndexError;

/// An error answered to an API client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is wrong: a bad query, parameter or range (400).
    #[error("{0}")]
    BadRequest(String),
    /// Nothing exists at that key (404).
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with the resource's state, e.g. acknowledging a resolved alert (409).
    #[error("{0}")]
    Conflict(String),
    /// The capability is not running in this process (503).
    #[error("{0}")]
    Unavailable(String),
    /// The server failed (500); details are logged, not sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<IndexError> for ApiError {
    fn from(e: IndexError) -> Self {
        match e {
            IndexError::Query { .. } | IndexError::Request(_) => ApiError::BadRequest(e.to_string()),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(msg) => {
                tracing::error!(error = %msg, "request failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let message = match &self {
            ApiError::Internal(_) => "internal error: see the server log".to_string(),
            other => other.to_string(),
        };
        (status, Json(serde_json::json!({ "error": message, "status": status.as_u16() }))).into_response()
    }
}
