use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{MentionError, ValidationError};
use crate::limits::{MAX_ID_BYTES, MAX_TEXT_BYTES};

use crate::platform::Platform;
use crate::scores::Scores;
use crate::tags::WatchMatch;
use crate::time::flexible;

/// The workspace a mention belongs to when its input names none.
pub const DEFAULT_WORKSPACE: &str = "default";

/// The identity of a mention: `platform:native_id`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MentionKey(String);

impl MentionKey {
    /// The key of the mention `native_id` on `platform`.
    pub fn new(platform: Platform, native_id: &str) -> Self {
        MentionKey(format!("{}:{}", platform.as_str(), native_id))
    }

    /// The key as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MentionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who wrote a mention.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Author {
    /// The platform's stable id for the account, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The handle, without a leading `@`.
    #[serde(default)]
    pub handle: String,
    /// The display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Follower count when the platform gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub followers: Option<u64>,
}

/// A reference to another post: the one replied to, quoted or reposted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    /// The referenced post's native id on the same platform.
    pub id: String,
    /// The referenced post's author handle, when known (feeds the interaction graph).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
}

/// Engagement counts at collection time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Engagement {
    /// Likes, favourites, upvotes.
    #[serde(default)]
    pub likes: u64,
    /// Reposts, retweets, boosts.
    #[serde(default)]
    pub reposts: u64,
    /// Replies and comments.
    #[serde(default)]
    pub replies: u64,
    /// Quotes.
    #[serde(default)]
    pub quotes: u64,
}

impl Engagement {
    /// All interactions added up.
    pub fn total(&self) -> u64 {
        self.likes.saturating_add(self.reposts).saturating_add(self.replies).saturating_add(self.quotes)
    }
}

/// One post, comment or article that a source heard.
///
/// Build one with [`Mention::new`] and set the public fields, or parse JSON
/// with [`Mention::from_json`]. The platform and native id are fixed at
/// construction because they make the [`MentionKey`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mention {
    /// `platform:native_id`; computed, and checked when the input gives it.
    #[serde(default)]
    key: MentionKey,
    /// The workspace (client or brand team) the mention belongs to.
    #[serde(default = "default_workspace")]
    pub workspace: String,
    platform: Platform,
    native_id: String,
    /// Link to the post.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Title, for articles and Reddit posts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The text as published (HTML stripped).
    #[serde(default)]
    pub text: String,
    /// ISO 639-1 language code, from the platform or detected; a detected code is borrowed (no copy
    /// per mention).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<Cow<'static, str>>,
    /// When it was published (event time).
    #[serde(with = "flexible")]
    pub created_at: DateTime<Utc>,
    /// When veille received it (ingest time).
    #[serde(default, with = "flexible::option", skip_serializing_if = "Option::is_none")]
    pub ingested_at: Option<DateTime<Utc>>,
    /// Who wrote it.
    pub author: Author,
    /// The post this one replies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<Reference>,
    /// The post this one quotes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote_of: Option<Reference>,
    /// The post this one reposts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repost_of: Option<Reference>,
    /// Handles mentioned in the text, without `@`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<String>,
    /// Engagement counts.
    #[serde(default)]
    pub engagement: Engagement,
    /// Free-form metadata kept from the source (CSV columns, feed names, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
    /// Watches that matched, set by the matcher.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<WatchMatch>,
    /// Scores set by enrichment.
    #[serde(default, skip_serializing_if = "Scores::is_empty")]
    pub scores: Scores,
}

fn default_workspace() -> String {
    DEFAULT_WORKSPACE.to_string()
}

impl Mention {
    /// A mention in the default workspace with only the required fields set.
    pub fn new(
        platform: Platform,
        native_id: impl Into<String>,
        text: impl Into<String>,
        created_at: DateTime<Utc>,
        author: Author,
    ) -> Self {
        let native_id = native_id.into();
        Mention {
            key: MentionKey::new(platform, &native_id),
            workspace: default_workspace(),
            platform,
            native_id,
            url: None,
            title: None,
            text: text.into(),
            lang: None,
            created_at,
            ingested_at: None,
            author,
            reply_to: None,
            quote_of: None,
            repost_of: None,
            mentions: Vec::new(),
            engagement: Engagement::default(),
            attributes: BTreeMap::new(),
            tags: Vec::new(),
            scores: Scores::default(),
        }
    }

    /// The mention's identity, `platform:native_id`.
    pub fn key(&self) -> &MentionKey {
        &self.key
    }

    /// The identity of this copy in storage, `workspace/platform:native_id`: writes are upserts
    /// on it, so a post tracked by two workspaces is kept once in each and a write in one
    /// workspace never replaces or removes another workspace's copy.
    pub fn store_key(&self) -> String {
        let mut k = String::with_capacity(self.workspace.len() + 1 + self.key.as_str().len());
        k.push_str(&self.workspace);
        k.push('/');
        k.push_str(self.key.as_str());
        k
    }

    /// Where it was published.
    pub fn platform(&self) -> Platform {
        self.platform
    }

    /// The platform's id for the post.
    pub fn native_id(&self) -> &str {
        &self.native_id
    }

    /// Parses and validates one mention from JSON.
    pub fn from_json(json: &str) -> Result<Self, MentionError> {
        // The common case parses without tracking paths; only a failure pays for the
        // second, path-tracking parse that names the offending field.
        let mut mention = match serde_json::from_str::<Mention>(json) {
            Ok(mention) => mention,
            Err(_) => Mention::explain_json_error(json)?,
        };
        mention.normalize_and_validate()?;
        Ok(mention)
    }

    /// Parses `json` again, tracking field paths, to describe why it is not a mention.
    fn explain_json_error(json: &str) -> Result<Self, MentionError> {
        let mut de = serde_json::Deserializer::from_str(json);
        let mention: Mention = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let message = strip_position(&inner.to_string());
            if inner.is_data() {
                // A missing field is reported at its parent: name the field itself.
                if let Some(name) = message.strip_prefix("missing field `").and_then(|m| m.strip_suffix('`')) {
                    let field = if path == "." { name.to_string() } else { format!("{path}.{name}") };
                    return MentionError { line: None, field, reason: "is missing".into() };
                }
                if path != "." {
                    return MentionError { line: None, field: path, reason: message };
                }
            }
            MentionError { line: None, field: String::new(), reason: format!("invalid JSON: {inner}") }
        })?;
        de.end().map_err(|e| MentionError {
            line: None,
            field: String::new(),
            reason: format!("invalid JSON: {e}"),
        })?;
        Ok(mention)
    }

    /// Parses one line of NDJSON input; errors carry the 1-based line number.
    pub fn from_ndjson_line(line: &str, line_number: u64) -> Result<Self, MentionError> {
        Mention::from_json(line).map_err(|mut e| {
            e.line = Some(line_number);
            e
        })
    }

    /// Serialises the mention as one line of JSON (no trailing newline).
    pub fn to_json(&self) -> String {
        // Room for the text, the other fields and the enrichment, so the buffer rarely grows.
        let enrichment = 256 * self.tags.len() + if self.scores.is_empty() { 0 } else { 320 };
        let mut out =
            Vec::with_capacity(self.text.len() + self.title.as_ref().map_or(0, String::len) + 512 + enrichment);
        // Every field is a string, number, map or list: serialisation cannot fail, and
        // serde_json writes UTF-8 only.
        if serde_json::to_writer(&mut out, self).is_err() {
            return String::new();
        }
        String::from_utf8(out).unwrap_or_default()
    }

    /// Fills derived fields (key, trimmed handle, normalised language) and checks every rule.
    pub fn normalize_and_validate(&mut self) -> Result<(), ValidationError> {
        let expected = MentionKey::new(self.platform, &self.native_id);
        if !self.key.0.is_empty() && self.key != expected {
            return Err(ValidationError::new(
                "key",
                format!("must be `platform:native_id` ({expected}), found `{}`", self.key),
            ));
        }
        self.key = expected;
        if let Some(h) = self.author.handle.strip_prefix('@') {
            self.author.handle = h.to_string();
        }
        for handle in &mut self.mentions {
            if let Some(h) = handle.strip_prefix('@') {
                *handle = h.to_string();
            }
        }
        if let Some(lang) = &self.lang {
            let primary = lang.split(['-', '_']).next().unwrap_or("").trim().to_ascii_lowercase();
            self.lang = if primary.is_empty() || primary == "und" { None } else { Some(Cow::Owned(primary)) };
        }
        self.validate()
    }

    /// Checks every rule a stored mention must respect.
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_id("native_id", &self.native_id)?;
        if let Err(e) = crate::WorkspaceName::parse(&self.workspace) {
            return Err(ValidationError::new("workspace", e.to_string()));
        }
        if self.text.len() > MAX_TEXT_BYTES {
            return Err(ValidationError::new(
                "text",
                format!("is {} bytes, more than the limit of {MAX_TEXT_BYTES}", self.text.len()),
            ));
        }
        if self.text.trim().is_empty()
            && self.repost_of.is_none()
            && self.title.as_deref().is_none_or(|t| t.trim().is_empty())
        {
            return Err(ValidationError::new("text", "is empty (only a repost may have no text)"));
        }
        if self.author.handle.trim().is_empty() && self.author.id.as_deref().is_none_or(|id| id.trim().is_empty()) {
            return Err(ValidationError::new("author", "needs a `handle` or an `id`"));
        }
        if let Some(url) = &self.url {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(ValidationError::new("url", format!("`{url}` is not an http(s) URL")));
            }
        }
        if let Some(lang) = &self.lang {
            if !(2..=3).contains(&lang.len()) || !lang.bytes().all(|b| b.is_ascii_lowercase()) {
                return Err(ValidationError::new("lang", format!("`{lang}` is not an ISO 639 language code")));
            }
        }
        // The index stores times as 64-bit nanoseconds (they end in 2262 and would wrap to
        // 1677): a time outside the storable range is refused, never stored elsewhere in time.
        for (field, t) in [("created_at", Some(self.created_at)), ("ingested_at", self.ingested_at)] {
            match t {
                Some(t) if t.timestamp() < 0 => return Err(ValidationError::new(field, "is before 1970")),
                Some(t) if !crate::time::is_storable(t) => {
                    return Err(ValidationError::new(
                        field,
                        format!("is {}, after 2199-12-31T23:59:59Z, the latest time veille stores (a wrong unit or a broken feed?)", t.to_rfc3339()),
                    ))
                }
                _ => {}
            }
        }
        for (field, r) in [("reply_to", &self.reply_to), ("quote_of", &self.quote_of), ("repost_of", &self.repost_of)] {
            if let Some(r) = r {
                check_id(&format!("{field}.id"), &r.id)?;
            }
        }
        Ok(())
    }
}

fn check_id(field: &str, id: &str) -> Result<(), ValidationError> {
    if id.is_empty() {
        return Err(ValidationError::new(field, "is empty"));
    }
    if id.len() > MAX_ID_BYTES {
        return Err(ValidationError::new(
            field,
            format!("is {} bytes, more than the limit of {MAX_ID_BYTES}", id.len()),
        ));
    }
    if id.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ValidationError::new(field, format!("`{id}` holds white space or control characters")));
    }
    Ok(())
}

/// serde_json appends "at line 1 column 57" to data errors; the field path says more.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"workspace":"acme","platform":"x","native_id":"1","text":"Hi @Acme","created_at":"2026-01-02T03:04:05Z","author":{"handle":"@ann","followers":12},"lang":"en-US"}"#;

    #[test]
    fn parses_normalises_and_round_trips() {
        let m = Mention::from_json(GOOD).unwrap();
        assert_eq!(m.key().as_str(), "x:1");
        assert_eq!(m.author.handle, "ann");
        assert_eq!(m.lang.as_deref(), Some("en"));
        let again = Mention::from_json(&m.to_json()).unwrap();
        assert_eq!(again, m);
    }

    #[test]
    fn times_the_index_cannot_hold_are_refused_instead_of_wrapping() {
        // Unix seconds of the year 55840 (a Reddit `created_utc` in milliseconds, found by fuzzing).
        let e = Mention::from_json(&GOOD.replace("2026-01-02T03:04:05Z", "1700000480480")).unwrap_err();
        assert_eq!(e.field, "created_at");
        assert!(e.reason.contains("after 2199-12-31T23:59:59Z"), "{e}");
        let e =
            Mention::from_json(&GOOD.replace("\"lang\"", "\"ingested_at\":\"1700000480480\",\"lang\"")).unwrap_err();
        assert_eq!(e.field, "ingested_at");
        // The index keeps 64-bit nanoseconds: 9999 (and 2262 or 2200) would come back as another
        // year. The probe's mention dated 9999-12-31 was indexed as 1816.
        for late in ["9999-12-31T23:59:59Z", "2262-04-12T00:00:00Z", "2200-01-01T00:00:00Z"] {
            let e = Mention::from_json(&GOOD.replace("2026-01-02T03:04:05Z", late)).unwrap_err();
            assert_eq!(e.field, "created_at", "{late}");
            assert!(e.reason.contains("latest time veille stores"), "{e}");
        }
        let last = Mention::from_json(&GOOD.replace("2026-01-02T03:04:05Z", "2199-12-31T23:59:59Z")).unwrap();
        assert_eq!(Mention::from_json(&last.to_json()).unwrap(), last);
        let e = Mention::from_json(&GOOD.replace("2026-01-02T03:04:05Z", "1969-12-31T23:59:59Z")).unwrap_err();
        assert_eq!(e.reason, "is before 1970");
    }

    #[test]
    fn unix_seconds_may_be_a_json_number() {
        let m = Mention::from_json(&GOOD.replace("\"2026-01-02T03:04:05Z\"", "1767323045")).unwrap();
        assert_eq!(m.created_at.to_rfc3339(), "2026-01-02T03:04:05+00:00");
        let m = Mention::from_json(&GOOD.replace("\"2026-01-02T03:04:05Z\"", "1767323045.5")).unwrap();
        assert_eq!(m.created_at.timestamp_subsec_millis(), 500);
        let e = Mention::from_json(&GOOD.replace("\"2026-01-02T03:04:05Z\"", "true")).unwrap_err();
        assert_eq!(e.field, "created_at");
        assert!(e.reason.contains("a timestamp string or a number of Unix seconds"), "{e}");
    }

    #[test]
    fn the_store_key_scopes_the_mention_key_to_its_workspace() {
        let a = Mention::from_json(GOOD).unwrap();
        let mut b = a.clone();
        b.workspace = "globex".into();
        assert_eq!(a.key(), b.key());
        assert_eq!(a.store_key(), "acme/x:1");
        assert_ne!(a.store_key(), b.store_key());
    }

    #[test]
    fn errors_name_the_field_and_line() {
        let bad = GOOD.replace(r#""followers":12"#, r#""followers":"many""#);
        let e = Mention::from_ndjson_line(&bad, 7).unwrap_err();
        assert_eq!(e.line, Some(7));
        assert_eq!(e.field, "author.followers");
        assert!(e.to_string().starts_with("line 7: field `author.followers`: invalid type"), "{e}");

        let e = Mention::from_json(&GOOD.replace("\"platform\":\"x\"", "\"platform\":\"myspace\"")).unwrap_err();
        assert_eq!(e.field, "platform");

        let e = Mention::from_json(&GOOD.replace("\"text\":\"Hi @Acme\"", "\"text\":\"  \"")).unwrap_err();
        assert_eq!(e.field, "text");

        let e = Mention::from_json(&GOOD.replace("2026-01-02T03:04:05Z", "soon")).unwrap_err();
        assert_eq!(e.field, "created_at");

        let e = Mention::from_json(&GOOD.replace("\"lang\"", "\"langue\"")).unwrap_err();
        assert!(e.reason.contains("unknown field `langue`"), "{e}");

        let no_author = GOOD.replace(",\"author\":{\"handle\":\"@ann\",\"followers\":12}", "");
        let e = Mention::from_json(&no_author).unwrap_err();
        assert_eq!((e.field.as_str(), e.reason.as_str()), ("author", "is missing"));

        let e = Mention::from_json("{\"platform\":").unwrap_err();
        assert_eq!(e.field, "");
        assert!(e.reason.starts_with("invalid JSON"), "{e}");

        let e = Mention::from_json(&GOOD.replace("\"workspace\":\"acme\"", "\"workspace\":\"Acme Corp\"")).unwrap_err();
        assert_eq!(e.field, "workspace");

        let e = Mention::from_json(&GOOD.replace("\"native_id\":\"1\"", "\"native_id\":\"1\",\"key\":\"x:2\""))
            .unwrap_err();
        assert_eq!(e.field, "key");
    }
}
