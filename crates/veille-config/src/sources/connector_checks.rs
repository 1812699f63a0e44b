//! The rules connector settings must follow beyond their types; errors are `(key, reason)`.

use super::connectors::{BlueskySource, MastodonSource, PushSource, RedditSource, RssSource, XSource};

/// Checks that `value` names an environment variable rather than holding a secret.
pub(crate) fn check_env_name(key: &str, value: &str) -> Result<(), (String, String)> {
    if looks_like_secret(value) {
        // Never repeat it: it may be the token itself, pasted where its variable's name goes.
        return Err((
            key.into(),
            format!(
                "looks like a secret ({} characters, letters and digits mixed), not the name of an \
                 environment variable: put the secret in a variable and name the variable here \
                 (e.g. `MASTODON_TOKEN`); if it was a real secret, revoke it",
                value.chars().count()
            ),
        ));
    }
    let ok = !value.is_empty()
        && value.len() <= 128
        && value.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        && !value.as_bytes()[0].is_ascii_digit();
    if ok {
        Ok(())
    } else {
        Err((
            key.into(),
            "must name an environment variable (A-Z, 0-9 and `_`, e.g. `MASTODON_TOKEN`); \
             the secret itself never goes in the configuration"
                .into(),
        ))
    }
}

/// Whether `value`, given where a variable's name goes, is more likely a pasted secret: names
/// are words joined by `_` (`REDDIT_CLIENT_SECRET`), secrets long runs of letters and digits
/// (`AKIAIOSFODNN7EXAMPLE`, a hex token).
pub(crate) fn looks_like_secret(value: &str) -> bool {
    let switches =
        |word: &str| word.as_bytes().windows(2).filter(|w| w[0].is_ascii_digit() != w[1].is_ascii_digit()).count();
    value.split('_').any(|word| {
        let digits = word.bytes().filter(u8::is_ascii_digit).count();
        (word.len() >= 16 && switches(word) >= 2) || (word.len() >= 24 && digits > 0) || word.len() > 40
    })
}

fn check_url(key: &str, value: &str, schemes: &[&str]) -> Result<(), (String, String)> {
    let ok = schemes
        .iter()
        .any(|s| value.strip_prefix(s).and_then(|r| r.strip_prefix("://")).is_some_and(|r| !r.is_empty()));
    if ok {
        Ok(())
    } else {
        Err((key.into(), format!("`{value}` is not a URL starting with {}://", schemes.join("://, "))))
    }
}

fn check_positive(key: &str, value: u64) -> Result<(), (String, String)> {
    if value == 0 {
        return Err((key.into(), "must be at least 1".into()));
    }
    Ok(())
}

impl BlueskySource {
    pub(crate) fn validate(&self) -> Result<(), (String, String)> {
        check_url("url", &self.url, &["wss", "ws"])?;
        for (i, did) in self.wanted_dids.iter().enumerate() {
            if !did.starts_with("did:") {
                return Err((
                    format!("wanted_dids[{i}]"),
                    format!("`{did}` is not a DID (did:plc:... or did:web:...)"),
                ));
            }
        }
        check_positive("flush_ms", self.flush_ms)?;
        self.backoff.validate("backoff")
    }
}

impl MastodonSource {
    pub(crate) fn validate(&self) -> Result<(), (String, String)> {
        check_url("instance", &self.instance, &["https", "http"])?;
        for (i, tag) in self.hashtags.iter().enumerate() {
            let tag = tag.trim_start_matches('#');
            if tag.is_empty() || !tag.chars().all(|c| c.is_alphanumeric() || c == '_') {
                return Err((format!("hashtags[{i}]"), format!("`{tag}` is not a hashtag (letters, digits, `_`)")));
            }
        }
        if self.local && !self.hashtags.is_empty() {
            return Err(("local".into(), "applies to the public timeline only; remove it or the hashtags".into()));
        }
        if let Some(env) = &self.token_env {
            check_env_name("token_env", env)?;
        }
        check_positive("poll_interval_ms", self.poll_interval_ms)?;
        check_positive("flush_ms", self.flush_ms)?;
        self.backoff.validate("backoff")
    }
}

impl RedditSource {
    pub(crate) fn validate(&self) -> Result<(), (String, String)> {
        if self.subreddits.is_empty() && self.search.is_none() {
            return Err(("subreddits".into(), "needs at least one subreddit, or a `search`".into()));
        }
        for (i, sub) in self.subreddits.iter().enumerate() {
            let sub = sub.trim_start_matches("r/");
            if sub.is_empty() || !sub.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '+') {
                return Err((format!("subreddits[{i}]"), format!("`{sub}` is not a subreddit name")));
            }
        }
        if self.search.as_deref().is_some_and(|q| q.trim().is_empty()) {
            return Err(("search".into(), "is empty".into()));
        }
        match (&self.client_id_env, &self.client_secret_env) {
            (Some(id), Some(secret)) => {
                check_env_name("client_id_env", id)?;
                check_env_name("client_secret_env", secret)?;
            }
            (None, None) => {}
            (Some(_), None) => return Err(("client_secret_env".into(), "is needed with `client_id_env`".into())),
            (None, Some(_)) => return Err(("client_id_env".into(), "is needed with `client_secret_env`".into())),
        }
        if let Some(url) = &self.base_url {
            check_url("base_url", url, &["https", "http"])?;
        }
        check_url("token_url", &self.token_url, &["https", "http"])?;
        if self.user_agent.trim().is_empty() {
            return Err(("user_agent".into(), "is empty (Reddit refuses anonymous agents)".into()));
        }
        if !(1..=100).contains(&self.limit) {
            return Err(("limit".into(), "must be between 1 and 100".into()));
        }
        check_positive("poll_interval_ms", self.poll_interval_ms)?;
        self.backoff.validate("backoff")
    }
}

impl RssSource {
    pub(crate) fn validate(&self) -> Result<(), (String, String)> {
        if self.feeds.is_empty() {
            return Err(("feeds".into(), "needs at least one feed".into()));
        }
        for (i, feed) in self.feeds.iter().enumerate() {
            check_url(&format!("feeds[{i}].url"), &feed.url, &["https", "http"])?;
            if self.feeds[..i].iter().any(|f| f.url == feed.url) {
                return Err((format!("feeds[{i}].url"), format!("`{}` is listed twice", feed.url)));
            }
            if let Some(ms) = feed.interval_ms {
                check_positive(&format!("feeds[{i}].interval_ms"), ms)?;
            }
        }
        check_positive("interval_ms", self.interval_ms)?;
        self.backoff.validate("backoff")
    }
}

impl XSource {
    pub(crate) fn validate(&self) -> Result<(), (String, String)> {
        check_env_name("token_env", &self.token_env)?;
        check_url("base_url", &self.base_url, &["https", "http"])?;
        for (i, rule) in self.rules.iter().enumerate() {
            if rule.value.trim().is_empty() {
                return Err((format!("rules[{i}].value"), "is empty".into()));
            }
            if self.rules[..i].iter().any(|r| r.value == rule.value) {
                return Err((format!("rules[{i}].value"), format!("`{}` is listed twice", rule.value)));
            }
        }
        if self.backfill_minutes > 5 {
            return Err(("backfill_minutes".into(), "must be between 0 and 5".into()));
        }
        check_positive("rate_limit_ms", self.rate_limit_ms)?;
        check_positive("stall_ms", self.stall_ms)?;
        check_positive("flush_ms", self.flush_ms)?;
        self.backoff.validate("backoff")?;
        self.network_backoff.validate("network_backoff")
    }
}

impl PushSource {
    pub(crate) fn validate(&self) -> Result<(), (String, String)> {
        check_env_name("token_env", &self.token_env)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_names_pass_and_pasted_secrets_are_caught_without_being_repeated() {
        for name in [
            "MASTODON_TOKEN",
            "X_BEARER_TOKEN",
            "REDDIT_CLIENT_SECRET",
            "OAUTH2_TOKEN",
            "TOKEN2",
            "VEILLE_INGEST_TOKEN_2026",
        ] {
            assert!(check_env_name("token_env", name).is_ok(), "{name}");
        }
        // All upper-case, so they pass the character check: the probe's case.
        for secret in [
            "AKIAIOSFODNN7EXAMPLE",
            "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08",
            "GHP_A1B2C3D4E5F6G7H8I9J0K1L2M3N4O5P6Q7R8",
        ] {
            let (key, message) = check_env_name("token_env", secret).unwrap_err();
            assert_eq!(key, "token_env");
            assert!(message.contains("looks like a secret"), "{message}");
            assert!(!message.contains(secret), "the secret is repeated: {message}");
        }
    }
}
