//! Filtered-stream objects (a post with its expansions) and how they become mentions.

use std::collections::{HashSet, VecDeque};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use veille_model::{Author, Mention, Platform, Reference};

/// Post ids remembered to skip backfilled duplicates.
pub(super) const RECENT_IDS: usize = 50_000;

#[derive(Debug, Deserialize)]
pub(super) struct StreamItem {
    pub(super) data: Tweet,
    #[serde(default)]
    includes: Includes,
    #[serde(default)]
    matching_rules: Vec<MatchingRule>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Tweet {
    pub(super) id: String,
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

#[derive(Debug, Deserialize)]
pub(super) struct Rules {
    #[serde(default)]
    pub(super) data: Vec<Rule>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Rule {
    pub(super) id: String,
    pub(super) value: String,
}

/// Post ids are numbers in strings: compares them as numbers.
pub(super) fn newer(id: &str, than: &str) -> bool {
    (id.len(), id) > (than.len(), than)
}

/// Maps one stream object; `Err` holds why it is refused.
pub(super) fn map_item(item: StreamItem, workspace: Option<&str>) -> Result<Mention, String> {
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
    m.lang = t.lang.clone();
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
    if let Some(ws) = workspace {
        m.workspace = ws.to_string();
    }
    m.normalize_and_validate().map_err(|e| e.to_string())?;
    Ok(m)
}

/// Ids of the posts sent lately.
#[derive(Debug, Default)]
pub(super) struct RecentIds {
    set: HashSet<String>,
    order: VecDeque<String>,
}

impl RecentIds {
    /// Remembers `id`; false when it was already there.
    pub(super) fn insert(&mut self, id: &str) -> bool {
        if !self.set.insert(id.to_string()) {
            return false;
        }
        self.order.push_back(id.to_string());
        if self.order.len() > RECENT_IDS {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quote_of_a_reply_maps_authors_references_and_metrics() {
        let json = r#"{"data":{"id":"1346889436626259968","text":"Acme did it again @AcmeHelp","author_id":"2244994945","created_at":"2021-01-06T18:40:40.000Z","lang":"en","conversation_id":"1346889436626259968","referenced_tweets":[{"type":"quoted","id":"1346554693649113090"}],"public_metrics":{"retweet_count":3,"reply_count":1,"like_count":12,"quote_count":2},"entities":{"mentions":[{"start":18,"end":27,"username":"AcmeHelp","id":"99"}]}},"includes":{"users":[{"id":"2244994945","name":"Dev","username":"XDevelopers","public_metrics":{"followers_count":512958,"following_count":2039,"tweet_count":3635,"listed_count":1672}},{"id":"783214","name":"X","username":"X"}],"tweets":[{"id":"1346554693649113090","text":"quoted","author_id":"783214"}]},"matching_rules":[{"id":"1346889436626259000","tag":"acme"}]}"#;
        let m = map_item(serde_json::from_str(json).unwrap(), None).unwrap();
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
    fn recent_ids_forget_the_oldest() {
        let mut r = RecentIds::default();
        assert!(r.insert("1"));
        assert!(!r.insert("1"));
        for i in 0..RECENT_IDS {
            r.insert(&format!("x{i}"));
        }
        assert!(r.insert("1"), "forgotten after {RECENT_IDS} newer ids");
    }
}
