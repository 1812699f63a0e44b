//! What the platforms send, as pure functions of the bytes they send.
//!
//! Every connector reads its platform over the network, then hands what it
//! read to this module: the parsing and the mapping to a [`Mention`] live
//! here, apart from the I/O, so they can be tested, property-tested and
//! fuzzed on any bytes without a server. Nothing here panics on input: a
//! payload that cannot become a mention gives a [`Malformed`] error whose
//! text is the reason its dead letter carries.
//!
//! | module | payload | steps |
//! |---|---|---|
//! | [`bluesky`] | one Jetstream event (a WebSocket text frame) | [`Event::parse`](bluesky::Event::parse), then [`Event::into_mention`](bluesky::Event::into_mention) |
//! | [`mastodon`] | a REST timeline page, or one Status of the streaming API | [`timeline_page`](mastodon::timeline_page), [`Status::from_value`](mastodon::Status::from_value), [`Status::into_mention`](mastodon::Status::into_mention) |
//! | [`reddit`] | a listing page of posts (t3) and comments (t1) | [`Listing::parse`](reddit::Listing::parse), then [`Thing::into_mention`](reddit::Thing::into_mention) per child |
//! | [`x`] | one line of the filtered stream | [`StreamLine::parse`](x::StreamLine::parse), then [`StreamPost::into_mention`](x::StreamPost::into_mention) |
//! | [`rss`] | an RSS or Atom document | [`Feed::parse`](rss::Feed::parse), then [`Entry::to_mention`](rss::Entry::to_mention) per entry |
//!
//! ```
//! use veille_sources::payload::bluesky::Event;
//!
//! let frame = r#"{"did":"did:plc:ann","time_us":1725911162329308,"kind":"commit",
//!   "commit":{"operation":"create","collection":"app.bsky.feed.post","rkey":"3k",
//!   "record":{"text":"Acme rocks","createdAt":"2024-09-09T19:46:02Z"}}}"#;
//! let event = Event::parse(frame).unwrap();
//! assert_eq!(event.time_us(), 1725911162329308);
//! let mention = event.into_mention(Some("acme")).unwrap().expect("a post");
//! assert_eq!(mention.text, "Acme rocks");
//!
//! let bad = Event::parse(r#"{"did":"did:plc:ann"}"#).unwrap_err();
//! assert!(bad.to_string().contains("time_us"), "{bad}");
//! ```
//!
//! [`Mention`]: veille_model::Mention

pub mod bluesky;
pub mod mastodon;
pub mod reddit;
pub mod rss;
pub mod x;

/// Puts a mapped mention in its source's `workspace` (when the source names one), then
/// fills its derived fields and checks it, as every platform's mapping ends.
fn finish(
    mut m: veille_model::Mention,
    workspace: Option<&str>,
) -> Result<veille_model::Mention, veille_model::ValidationError> {
    if let Some(ws) = workspace {
        m.workspace = ws.to_string();
    }
    m.normalize_and_validate()?;
    Ok(m)
}

/// Why a payload cannot become a mention; its text is the dead letter's reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Malformed(String);

impl Malformed {
    /// A refusal for `reason`.
    pub(crate) fn new(reason: impl Into<String>) -> Self {
        Malformed(reason.into())
    }

    /// The reason, as the dead letter carries it.
    pub fn reason(&self) -> &str {
        &self.0
    }
}

impl From<veille_model::ValidationError> for Malformed {
    fn from(e: veille_model::ValidationError) -> Self {
        Malformed(e.to_string())
    }
}
