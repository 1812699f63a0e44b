//! The dashboard: one page, its script and style sheet, and the vendored
//! charting library, embedded in the binary and served at `/` and `/assets/...`.
//!
//! The page's own files are revalidated on every load (`no-cache` with an
//! `ETag`, so an unchanged file costs a 304); the vendored library carries its
//! version in its path and is cached for a year.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// One embedded file.
struct Asset {
    /// Path under `/assets/` (`index.html` is also `/`).
    path: &'static str,
    body: &'static [u8],
    content_type: &'static str,
    /// Whether the path names the content's version, so it never changes.
    versioned: bool,
}

const ASSETS: &[Asset] = &[
    Asset {
        path: "index.html",
        body: include_bytes!("../assets/index.html"),
        content_type: "text/html; charset=utf-8",
        versioned: false,
    },
    Asset {
        path: "api.js",
        body: include_bytes!("../assets/api.js"),
        content_type: "text/javascript; charset=utf-8",
        versioned: false,
    },
    Asset {
        path: "scale.js",
        body: include_bytes!("../assets/scale.js"),
        content_type: "text/javascript; charset=utf-8",
        versioned: false,
    },
    Asset {
        path: "render.js",
        body: include_bytes!("../assets/render.js"),
        content_type: "text/javascript; charset=utf-8",
        versioned: false,
    },
    Asset {
        path: "alerts.js",
        body: include_bytes!("../assets/alerts.js"),
        content_type: "text/javascript; charset=utf-8",
        versioned: false,
    },
    Asset {
        path: "app.js",
        body: include_bytes!("../assets/app.js"),
        content_type: "text/javascript; charset=utf-8",
        versioned: false,
    },
    Asset {
        path: "app.css",
        body: include_bytes!("../assets/app.css"),
        content_type: "text/css; charset=utf-8",
        versioned: false,
    },
    Asset {
        path: "vendor/uplot-1.6.32.min.js",
        body: include_bytes!("../assets/vendor/uplot-1.6.32.min.js"),
        content_type: "text/javascript; charset=utf-8",
        versioned: true,
    },
    Asset {
        path: "vendor/uplot-1.6.32.min.css",
        body: include_bytes!("../assets/vendor/uplot-1.6.32.min.css"),
        content_type: "text/css; charset=utf-8",
        versioned: true,
    },
    Asset {
        path: "vendor/uplot-LICENSE",
        body: include_bytes!("../assets/vendor/uplot-LICENSE"),
        content_type: "text/plain; charset=utf-8",
        versioned: false,
    },
];

/// The page only loads what this server serves; snippets rendered as HTML
/// cannot run scripts or load anything.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Strong validators of every asset, in `ASSETS` order: a 64-bit FNV-1a of the bytes.
fn etags() -> &'static [String] {
    static ETAGS: OnceLock<Vec<String>> = OnceLock::new();
    ETAGS.get_or_init(|| ASSETS.iter().map(|a| format!("\"{:016x}\"", fnv1a(a.body))).collect())
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

/// Whether an `If-None-Match` header value names `etag` (or is `*`).
/// Weak validators (`W/"..."`) compare equal to strong ones, as RFC 9110 asks for GET.
pub(crate) fn matches_etag(if_none_match: &str, etag: &str) -> bool {
    if_none_match.split(',').map(str::trim).any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

/// `GET /`: the dashboard page.
pub(crate) async fn page(headers: HeaderMap) -> Response {
    serve("index.html", &headers)
}

/// `GET /assets/{*path}`: the page's script, style sheet and vendored library.
pub(crate) async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    serve(&path, &headers)
}

fn serve(path: &str, headers: &HeaderMap) -> Response {
    let Some(i) = ASSETS.iter().position(|a| a.path == path) else {
        return ApiError::NotFound(format!("no dashboard asset `{path}`")).into_response();
    };
    let asset = &ASSETS[i];
    let etag = &etags()[i];
    let cache = if asset.versioned { "public, max-age=31536000, immutable" } else { "no-cache" };
    let fresh = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| matches_etag(v, etag));
    let mut response =
        if fresh { StatusCode::NOT_MODIFIED.into_response() } else { (StatusCode::OK, asset.body).into_response() };
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if asset.path == "index.html" {
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
        h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_asset_the_page_names_is_embedded() {
        let page = std::str::from_utf8(ASSETS[0].body).unwrap();
        let named: Vec<&str> = page.split("/assets/").skip(1).filter_map(|rest| rest.split('"').next()).collect();
        assert!(named.len() >= 4, "{named:?}");
        for path in named {
            assert!(ASSETS.iter().any(|a| a.path == path), "index.html loads /assets/{path}, which is not embedded");
        }
    }

    #[test]
    fn vendored_library_ships_with_its_licence() {
        let licence = ASSETS.iter().find(|a| a.path == "vendor/uplot-LICENSE").unwrap();
        assert!(std::str::from_utf8(licence.body).unwrap().contains("MIT License"));
    }

    #[test]
    fn etags_differ_between_assets_and_are_quoted() {
        let tags = etags();
        for (i, t) in tags.iter().enumerate() {
            assert!(t.starts_with('"') && t.ends_with('"') && t.len() == 18, "{t}");
            assert!(!tags[..i].contains(t), "{t} repeated");
        }
    }

    #[test]
    fn if_none_match_lists_weak_and_wildcard_validators() {
        assert!(matches_etag("\"abc\"", "\"abc\""));
        assert!(matches_etag("W/\"abc\"", "\"abc\""));
        assert!(matches_etag("\"x\", W/\"abc\"", "\"abc\""));
        assert!(matches_etag("*", "\"abc\""));
        assert!(!matches_etag("\"abcd\"", "\"abc\""));
        assert!(!matches_etag("", "\"abc\""));
    }

    proptest! {
        #[test]
        fn an_etag_matches_wherever_it_sits_in_the_list(
            others in proptest::collection::vec("\"[a-f0-9]{1,16}\"", 0..5),
            at in 0usize..5,
            weak in any::<bool>(),
        ) {
            let etag = "\"0123456789abcdef\"";
            let mut list: Vec<String> = others.iter().filter(|o| o.as_str() != etag).cloned().collect();
            prop_assert!(!matches_etag(&list.join(", "), etag));
            let tag = if weak { format!("W/{etag}") } else { etag.to_string() };
            list.insert(at.min(list.len()), tag);
            prop_assert!(matches_etag(&list.join(" , "), etag));
        }
    }
}
