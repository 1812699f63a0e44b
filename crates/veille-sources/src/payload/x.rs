//! Lines of the X API v2 filtered stream.
//!
//! Each line is one JSON object: a post (`data`) with its expansions
//! (`includes.users`, `includes.tweets`) and `matching_rules`, or an
//! `errors` report from the stream itself. Blank lines are keep-alives and
//! never reach this module.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use veille_model::{Author, Mention, Platform, Reference};

use super::{finish, Malformed};

/// What one stream line holds.
#[derive(Debug)]
pub enum StreamLine {
    /// A post.
    Post(Box<StreamPost>),
    /// The stream reports errors (an operational disconnect, a rule problem): no post.
    Errors(serde_json::Value),
}

impl StreamLine {
    /// Parses one line; `Err` says why it is neither a post nor an error report.
    pub fn parse(line: &str) -> Result<StreamLine, Malformed> {
        let value: serde_json::Value =
            serde_json::from_str(line).map_err(|e| Malformed::new(format!("not JSON: {e}")))?;
        if value.get("data").is_none() {
            return match value.get("errors") {
                Some(errors) => Ok(StreamLine::Errors(errors.clone())),
                None => Err(Malformed::new("neither `data` nor `errors`")),
            };
        }
        serde_json::from_value(value)
            .map(|p| StreamLine::Post(Box::new(p)))
            .map_err(|e| Malformed::new(format!("not a filtered-stream post: {e}")))
    }
}

impl StreamPost {
    /// The post's id (a number in a string).
    pub fn id(&self) -> &str {
        &self.data.id
    }

    /// The mention of this post, in `workspace` when given.
    pub fn into_mention(self, workspace: Option<&str>) -> Result<Mention, Malformed> {
        map_item(self, workspace).map_err(Malformed::new)
    }
}

/// A post of the filtered stream, with its expansions and the rules it matched.
#[derive(Debug, Deserialize)]
pub struct StreamPost {
    data: Tweet,
    #[serde(default)]
    includes: Includes,
    #[serde(default)]
    matching_rules: Vec<MatchingRule>,
}

#[derive(Debug, Deserialize)]
struct Tweet {
    id: String,
    text: String,
    #[serde(default)]
    author_id: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    referenced_tweets: Vec<ReferencedTweet>,
    #[serde(default)]
    public_metrics: Option<TweetMetrics>,
    #[serde(default)]
    entities: Option<Entities>,
    #[serde(default)]
    in_reply_to_user_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ReferencedTweet {
    #[serde(rename = "type")]
    kind: String,
    id: String,
}

#[derive(Debug, Default, Deserialize)]
struct TweetMetrics {
    #[serde(default)]
    retweet_count: u64,
    #[serde(default)]
    reply_count: u64,
    #[serde(default)]
    like_count: u64,
    #[serde(default)]
    quote_count: u64,
}

#[derive(Debug, Default, Deserialize)]
struct Entities {
    #[serde(default)]
    mentions: Vec<EntityMention>,
}

#[derive(Debug, Deserialize)]
struct EntityMention {
    username: String,
}

#[derive(Debug, Default, Deserialize)]
struct Includes {
    #[serde(default)]
    users: Vec<User>,
    #[serde(default)]
    tweets: Vec<Tweet>,
}

#[derive(Debug, Deserialize)]
struct User {
    id: String,
    username: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    public_metrics: Option<UserMetrics>,
}

#[derive(Debug, Deserialize)]
struct UserMetrics {
    #[serde(default)]
    followers_count: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct MatchingRule {
    #[serde(default)]
    tag: Option<String>,
}

/// Maps one stream object; `Err` holds why it is refused.
fn map_item(item: StreamPost, workspace: Option<&str>) -> Result<Mention, String> {
    let t = item.data;
    let created = t.created_at.as_deref().ok_or("data.created_at is missing (ask for tweet.fields=created_at)")?;
    let created_at = DateTime::parse_from_rfc3339(created)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|e| format!("data.created_at: `{created}` is not a timestamp: {e}"))?;
    let users = &item.includes.users;
    let user = |id: &str| users.iter().find(|u| u.id == id);
    let author = match t.author_id.as_deref() {
        Some(aid) => match user(aid) {
            Some(u) => Author {
                id: Some(u.id.clone()),
                handle: u.username.clone(),
                display_name: u.name.clone(),
                followers: u.public_metrics.as_ref().and_then(|m| m.followers_count),
            },
            None => Author { id: Some(aid.to_string()), ..Author::default() },
        },
        None => return Err("data.author_id is missing (ask for expansions=author_id)".into()),
    };
    let url =
        format!("https://x.com/{}/status/{}", if author.handle.is_empty() { "i/web" } else { &author.handle }, t.id);
    let mut m = Mention::new(Platform::X, t.id.clone(), t.text.clone(), created_at, author);
    m.url = Some(url);
    m.lang = t.lang.clone().map(Into::into);
    for r in &t.referenced_tweets {
        let referenced_author = item
            .includes
            .tweets
            .iter()
            .find(|x| x.id == r.id)
            .and_then(|x| x.author_id.as_deref())
            .or(if r.kind == "replied_to" { t.in_reply_to_user_id.as_deref() } else { None })
            .and_then(user)
            .map(|u| u.username.clone());
        let reference = Some(Reference { id: r.id.clone(), author: referenced_author });
        match r.kind.as_str() {
            "replied_to" => m.reply_to = reference,
            "quoted" => m.quote_of = reference,
            "retweeted" => m.repost_of = reference,
            _ => {}
        }
    }
    m.mentions = t.entities.map(|e| e.mentions.into_iter().map(|x| x.username).collect()).unwrap_or_default();
    let metrics = t.public_metrics.unwrap_or_default();
    m.engagement.likes = metrics.like_count;
    m.engagement.reposts = metrics.retweet_count;
    m.engagement.replies = metrics.reply_count;
    m.engagement.quotes = metrics.quote_count;
    let tags: Vec<String> = item.matching_rules.into_iter().filter_map(|r| r.tag).collect();
    if !tags.is_empty() {
        m.attributes.insert("rules".into(), tags.join(" "));
    }
    finish(m, workspace).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quote_of_a_reply_maps_authors_references_and_metrics() {
        let json = r#"{"data":{"id":"1346889436626259968","text":"Acme did it again @AcmeHelp","author_id":"2244994945","created_at":"2021-01-06T18:40:40.000Z","lang":"en","conversation_id":"1346889436626259968","referenced_tweets":[{"type":"quoted","id":"1346554693649113090"}],"public_metrics":{"retweet_count":3,"reply_count":1,"like_count":12,"quote_count":2},"entities":{"mentions":[{"start":18,"end":27,"username":"AcmeHelp","id":"99"}]}},"includes":{"users":[{"id":"2244994945","name":"Dev","username":"XDevelopers","public_metrics":{"followers_count":512958,"following_count":2039,"tweet_count":3635,"listed_count":1672}},{"id":"783214","name":"X","username":"X"}],"tweets":[{"id":"1346554693649113090","text":"quoted","author_id":"783214"}]},"matching_rules":[{"id":"1346889436626259000","tag":"acme"}]}"#;
        let StreamLine::Post(post) = StreamLine::parse(json).unwrap() else { panic!("not a post") };
        let m = post.into_mention(None).unwrap();
        assert_eq!(m.key().as_str(), "x:1346889436626259968");
        assert_eq!((m.author.handle.as_str(), m.author.followers), ("XDevelopers", Some(512958)));
        let q = m.quote_of.as_ref().unwrap();
        assert_eq!((q.id.as_str(), q.author.as_deref()), ("1346554693649113090", Some("X")));
        assert_eq!(m.mentions, ["AcmeHelp"]);
        assert_eq!((m.engagement.likes, m.engagement.reposts, m.engagement.quotes), (12, 3, 2));
        assert_eq!(m.url.as_deref(), Some("https://x.com/XDevelopers/status/1346889436626259968"));
        assert_eq!(m.attributes.get("rules").map(String::as_str), Some("acme"));
    }

    #[test]
    fn error_reports_and_strangers_are_told_apart() {
        let errors =
            r#"{"errors":[{"title":"operational-disconnect","disconnect_type":"UpstreamOperationalDisconnect"}]}"#;
        assert!(matches!(StreamLine::parse(errors), Ok(StreamLine::Errors(_))));
        let stranger = StreamLine::parse(r#"{"hello":1}"#).unwrap_err();
        assert_eq!(stranger.reason(), "neither `data` nor `errors`");
        let bad = StreamLine::parse(r#"{"data":{"id":7}}"#).unwrap_err();
        assert!(bad.reason().starts_with("not a filtered-stream post"), "{bad}");
        assert!(StreamLine::parse("{").unwrap_err().reason().starts_with("not JSON"));
    }
}
