//! A generic JSON webhook, signed with HMAC-SHA256.
//!
//! The body is `{"version":1,"delivery":…,"sent_at":…,"kind":…,"alert":{…}}`
//! (the alert as `GET /api/v1/alerts` shows it). Headers:
//!
//! * `X-Veille-Signature: sha256=<hex>`: HMAC-SHA256 of the raw body with
//!   the shared secret. The body carries `sent_at`, so the signature covers
//!   the time too and a receiver can refuse old replays.
//! * `X-Veille-Timestamp`: `sent_at` in Unix seconds.
//! * `X-Veille-Delivery`: the notice's unique id; a receiver that sees it
//!   twice (a retry after a lost answer) can drop the second.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

use super::{client, deliver, Notifier};
use crate::alert::{Alert, AlertNotice, NoticeKind};
use crate::error::{DeliveryError, Error};

/// Header carrying the body's signature.
pub const SIGNATURE_HEADER: &str = "X-Veille-Signature";
/// Header carrying the send time, in Unix seconds.
pub const TIMESTAMP_HEADER: &str = "X-Veille-Timestamp";
/// Header carrying the notice's unique delivery id.
pub const DELIVERY_HEADER: &str = "X-Veille-Delivery";

/// Posts each notice as signed JSON.
#[derive(Clone)]
pub struct WebhookNotifier {
    name: String,
    url: String,
    secret: Vec<u8>,
    http: reqwest::Client,
}

impl std::fmt::Debug for WebhookNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookNotifier").field("name", &self.name).field("url", &self.url).finish_non_exhaustive()
    }
}

/// The webhook's JSON body.
#[derive(Debug, Serialize)]
struct Body<'a> {
    version: u32,
    delivery: String,
    sent_at: DateTime<Utc>,
    kind: NoticeKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    link: Option<String>,
    alert: &'a Alert,
}

impl WebhookNotifier {
    /// A notifier posting to `url`, signing with `secret`.
    pub fn new(name: String, url: &str, secret: &[u8], timeout: Duration) -> Result<Self, Error> {
        let http = client(&name, timeout)?;
        Ok(WebhookNotifier { name, url: url.to_string(), secret: secret.to_vec(), http })
    }

    /// The raw body for `notice`, as sent at `now`.
    pub fn body(&self, notice: &AlertNotice, now: DateTime<Utc>) -> Vec<u8> {
        let body = Body {
            version: 1,
            delivery: notice.delivery_id(),
            sent_at: now,
            kind: notice.kind,
            link: notice.link(),
            alert: &notice.alert,
        };
        serde_json::to_vec(&body).unwrap_or_default()
    }
}

#[async_trait]
impl Notifier for WebhookNotifier {
    fn name(&self) -> &str {
        &self.name
    }

    async fn send(&self, notice: &AlertNotice) -> Result<(), DeliveryError> {
        let now = Utc::now();
        let body = self.body(notice, now);
        let request = self
            .http
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, sign(&self.secret, &body))
            .header(TIMESTAMP_HEADER, now.timestamp().to_string())
            .header(DELIVERY_HEADER, notice.delivery_id())
            .body(body);
        deliver(request).await
    }
}

/// The `X-Veille-Signature` value of `body`: `sha256=` and the hex HMAC-SHA256.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    // HMAC takes keys of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    mac.update(body);
    let tag = mac.finalize().into_bytes();
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256=");
    for b in tag {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
    out
}

/// Whether `header` is the valid signature of `body` under `secret`
/// (compared in constant time).
pub fn verify(secret: &[u8], body: &[u8], header: &str) -> bool {
    let Some(hex) = header.trim().strip_prefix("sha256=") else { return false };
    let Some(tag) = decode_hex(hex) else { return false };
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(secret) else { return false };
    mac.update(body);
    mac.verify_slice(&tag).is_ok()
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    s.as_bytes().chunks(2).map(|p| Some(nibble(p[0])? << 4 | nibble(p[1])?)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_rfc_4231_test_vector() {
        // RFC 4231, test case 2.
        let sig = sign(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(sig, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        assert!(verify(b"Jefe", b"what do ya want for nothing?", &sig));
    }

    #[test]
    fn a_changed_body_secret_or_header_fails_verification() {
        let sig = sign(b"k", b"{\"a\":1}");
        assert!(!verify(b"k", b"{\"a\":2}", &sig));
        assert!(!verify(b"other", b"{\"a\":1}", &sig));
        assert!(!verify(b"k", b"{\"a\":1}", sig.trim_start_matches("sha256=")));
        assert!(!verify(b"k", b"{\"a\":1}", "sha256=zz"));
        assert!(verify(b"k", b"{\"a\":1}", &sig.to_uppercase().replace("SHA256=", "sha256=")));
    }
}
