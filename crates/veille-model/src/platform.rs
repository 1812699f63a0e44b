use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where a mention was published. Part of the mention key, so the set is closed
/// and the names are stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// X, formerly Twitter (`twitter` is accepted as an alias).
    #[serde(alias = "twitter")]
    X,
    /// Bluesky (AT Protocol).
    Bluesky,
    /// Mastodon and other ActivityPub servers speaking its API.
    Mastodon,
    /// Reddit posts and comments.
    Reddit,
    /// News and blog articles from RSS or Atom feeds.
    Rss,
    /// YouTube videos and comments.
    Youtube,
    /// Facebook posts and comments.
    Facebook,
    /// Instagram posts and comments.
    Instagram,
    /// TikTok videos and comments.
    Tiktok,
    /// LinkedIn posts and comments.
    Linkedin,
    /// Any other web page, forum or review site.
    Web,
    /// The built-in stream simulator.
    Simulator,
}

impl Platform {
    /// Every platform, in declaration order.
    pub const ALL: [Platform; 12] = [
        Platform::X,
        Platform::Bluesky,
        Platform::Mastodon,
        Platform::Reddit,
        Platform::Rss,
        Platform::Youtube,
        Platform::Facebook,
        Platform::Instagram,
        Platform::Tiktok,
        Platform::Linkedin,
        Platform::Web,
        Platform::Simulator,
    ];

    /// The stable lowercase name, as used in keys, JSON and queries.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::X => "x",
            Platform::Bluesky => "bluesky",
            Platform::Mastodon => "mastodon",
            Platform::Reddit => "reddit",
            Platform::Rss => "rss",
            Platform::Youtube => "youtube",
            Platform::Facebook => "facebook",
            Platform::Instagram => "instagram",
            Platform::Tiktok => "tiktok",
            Platform::Linkedin => "linkedin",
            Platform::Web => "web",
            Platform::Simulator => "simulator",
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A platform name that veille does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown platform `{0}` (expected one of: x, bluesky, mastodon, reddit, rss, youtube, facebook, instagram, tiktok, linkedin, web, simulator)")]
pub struct UnknownPlatform(pub String);

impl FromStr for Platform {
    type Err = UnknownPlatform;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        if lower == "twitter" {
            return Ok(Platform::X);
        }
        Platform::ALL.into_iter().find(|p| p.as_str() == lower).ok_or_else(|| UnknownPlatform(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_twitter_is_x() {
        for p in Platform::ALL {
            assert_eq!(p.as_str().parse::<Platform>().unwrap(), p);
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(json, format!("\"{}\"", p.as_str()));
        }
        assert_eq!("Twitter".parse::<Platform>().unwrap(), Platform::X);
        assert!("myspace".parse::<Platform>().is_err());
    }
}
