//! Watches: what a workspace listens for.
//!
//! A watch is a named set of terms of one [`WatchKind`]. A mention matches a
//! watch when one of its terms occurs in the text (at word boundaries unless
//! `whole_word = false`), its `rule` holds, none of its `exclude` terms
//! occurs, and, for a time-boxed watch, its `created_at` falls in
//! `[from, until)`. Terms are compared after Unicode NFKC, case and diacritic
//! folding, so `"Société Générale"` also finds `societe generale`.
//!
//! ```toml
//! [[workspaces.watches]]
//! name = "united"
//! kind = "brand"
//! terms = ["United Airlines"]
//! handles = ["@united"]
//! hashtags = ["#UnitedAirlines"]
//! domains = ["united.com"]
//! exclude = ["manchester united"]
//! rule = 'NOT lang:de'
//! ```
//!
//! The rule language (parsed and checked by the matcher, which reports the
//! character where a rule fails) has `AND`, `OR`, `NOT`, parentheses,
//! `"exact phrases"`, `a NEAR/3 b` (at most 3 words apart, either order),
//! `a NEAR/3f b` (a before b), trailing wildcards `refund*` and the field
//! operators `author:`, `lang:` and `platform:`.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use veille_model::WatchKind;

/// One watch: a brand, competitor, campaign, crisis or moderation lexicon.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Watch {
    /// Unique name within the workspace; used in tags, queries and alerts.
    pub name: String,
    /// What the watch listens for.
    pub kind: WatchKind,
    /// Names and phrases that make a mention match. A trailing `*` matches
    /// any word that starts with the rest (`refund*` finds `refunded`).
    #[serde(default)]
    pub terms: Vec<String>,
    /// Other names of the same thing (product names, former names, acronyms).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Common misspellings, kept apart from aliases so they can be reviewed.
    #[serde(default)]
    pub misspellings: Vec<String>,
    /// Account handles, with or without the leading `@`.
    #[serde(default)]
    pub handles: Vec<String>,
    /// Hashtags, with or without the leading `#`.
    #[serde(default)]
    pub hashtags: Vec<String>,
    /// Web domains (`united.com`), found bare or inside URLs.
    #[serde(default)]
    pub domains: Vec<String>,
    /// Terms that veto the watch: a mention holding any of them does not match
    /// (the fruit for the brand "Apple", the football club for "United").
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Optional boolean rule that a match must also satisfy. A watch with no
    /// terms matches on its rule alone, which must then name a term.
    #[serde(default)]
    pub rule: Option<String>,
    /// Built-in lexicons whose terms are added to `terms`
    /// (`crisis-en`, `crisis-fr`, `insults-en`, ...).
    #[serde(default)]
    pub lexicons: Vec<Lexicon>,
    /// Whether terms must match with their exact case and accents. Default false.
    #[serde(default)]
    pub case_sensitive: bool,
    /// Whether terms only match whole words ("Orange" not in "oranges"). Default true.
    #[serde(default = "default_whole_word")]
    pub whole_word: bool,
    /// Start of the period the watch is active in (event time, inclusive),
    /// for campaigns. A TOML date or date-time, or a string in any timestamp
    /// format mentions accept.
    #[serde(default)]
    pub from: Option<Timestamp>,
    /// End of the active period (event time, exclusive).
    #[serde(default)]
    pub until: Option<Timestamp>,
}

fn default_whole_word() -> bool {
    true
}

impl Watch {
    /// A watch with no terms, matching whole words case-insensitively, always active.
    pub fn new(name: impl Into<String>, kind: WatchKind) -> Watch {
        Watch {
            name: name.into(),
            kind,
            terms: Vec::new(),
            aliases: Vec::new(),
            misspellings: Vec::new(),
            handles: Vec::new(),
            hashtags: Vec::new(),
            domains: Vec::new(),
            exclude: Vec::new(),
            rule: None,
            lexicons: Vec::new(),
            case_sensitive: false,
            whole_word: default_whole_word(),
            from: None,
            until: None,
        }
    }
}

/// A built-in term list shipped with the matcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Lexicon {
    /// English crisis vocabulary: boycott, recall, scandal, data leak, ...
    CrisisEn,
    /// French crisis vocabulary: boycott, rappel, scandale, arnaque, fuite de données, ...
    CrisisFr,
    /// English insults and abusive language.
    InsultsEn,
    /// French insults and abusive language.
    InsultsFr,
    /// English hate speech markers.
    HateEn,
    /// French hate speech markers.
    HateFr,
    /// English sexual content markers.
    SexualEn,
    /// French sexual content markers.
    SexualFr,
}

impl Lexicon {
    /// Every lexicon, in declaration order.
    pub const ALL: [Lexicon; 8] = [
        Lexicon::CrisisEn,
        Lexicon::CrisisFr,
        Lexicon::InsultsEn,
        Lexicon::InsultsFr,
        Lexicon::HateEn,
        Lexicon::HateFr,
        Lexicon::SexualEn,
        Lexicon::SexualFr,
    ];

    /// The name used in configuration files.
    pub fn as_str(self) -> &'static str {
        match self {
            Lexicon::CrisisEn => "crisis-en",
            Lexicon::CrisisFr => "crisis-fr",
            Lexicon::InsultsEn => "insults-en",
            Lexicon::InsultsFr => "insults-fr",
            Lexicon::HateEn => "hate-en",
            Lexicon::HateFr => "hate-fr",
            Lexicon::SexualEn => "sexual-en",
            Lexicon::SexualFr => "sexual-fr",
        }
    }

    /// The kind of watch the lexicon belongs to (crisis or moderation).
    pub fn kind(self) -> WatchKind {
        match self {
            Lexicon::CrisisEn | Lexicon::CrisisFr => WatchKind::Crisis,
            _ => WatchKind::Moderation,
        }
    }
}

impl fmt::Display for Lexicon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An instant in event time, as written in a watch's `from` or `until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    unix_millis: i64,
}

impl Timestamp {
    /// The instant as milliseconds since the Unix epoch.
    pub fn unix_millis(self) -> i64 {
        self.unix_millis
    }

    /// Parses `YYYY-MM-DD` (midnight UTC) or any timestamp format mentions accept.
    pub fn parse(text: &str) -> Result<Timestamp, veille_model::TimestampError> {
        let trimmed = text.trim();
        let is_date = trimmed.len() == 10
            && trimmed.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
        let t = if is_date {
            veille_model::parse_timestamp(&format!("{trimmed}T00:00:00Z"))
                .map_err(|_| veille_model::TimestampError(text.to_string()))?
        } else {
            veille_model::parse_timestamp(trimmed)?
        };
        Ok(Timestamp { unix_millis: t.timestamp_millis() })
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        /// A TOML date-time arrives as its own type; a string in any accepted format also works.
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Toml(toml::value::Datetime),
        }
        struct Expecting;
        impl Visitor<'_> for Expecting {
            type Value = ();
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date, a date-time or a timestamp string")
            }
        }
        let text = match Raw::deserialize(d)
            .map_err(|_| de::Error::invalid_type(de::Unexpected::Other("value"), &Expecting))?
        {
            Raw::Text(s) => s,
            Raw::Toml(t) => t.to_string(),
        };
        Timestamp::parse(&text).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Holder {
        watch: Watch,
    }

    fn parse(toml_text: &str) -> Result<Watch, toml::de::Error> {
        toml::from_str::<Holder>(toml_text).map(|h| h.watch)
    }

    #[test]
    fn a_campaign_watch_reads_every_field() {
        let w = parse(
            r##"[watch]
name = "spring"
kind = "campaign"
terms = ["Spring Sale"]
aliases = ["spring deals"]
misspellings = ["sprng sale"]
handles = ["@acme"]
hashtags = ["#SpringSale"]
domains = ["acme.com"]
exclude = ["mattress"]
rule = 'NOT lang:de'
lexicons = ["crisis-en", "crisis-fr"]
case_sensitive = true
whole_word = false
from = 2015-02-16
until = "2015-02-25 00:00:00 -0800"
"##,
        )
        .unwrap();
        assert_eq!(w.kind, WatchKind::Campaign);
        assert_eq!(w.lexicons, vec![Lexicon::CrisisEn, Lexicon::CrisisFr]);
        assert!(w.case_sensitive && !w.whole_word);
        assert_eq!(w.from.unwrap().unix_millis(), 1_424_044_800_000);
        assert_eq!(w.until.unwrap().unix_millis(), 1_424_851_200_000);
    }

    #[test]
    fn documented_example_reads_every_list_it_shows() {
        let example = crate::documented_toml_example(include_str!("watch.rs"));
        let cfg = crate::Config::from_toml_str(&format!("[[workspaces]]\nname = \"airlines\"\n{example}"), "watch.rs")
            .unwrap();
        let w = &cfg.workspaces[0].watches[0];
        assert_eq!((w.name.as_str(), w.kind), ("united", WatchKind::Brand));
        assert_eq!(w.exclude, ["manchester united"]);
        assert_eq!(w.rule.as_deref(), Some("NOT lang:de"));
        assert!(w.whole_word && !w.case_sensitive, "what it does not set keeps its default");
    }

    #[test]
    fn defaults_match_whole_words_ignoring_case_at_any_time() {
        let w = parse("[watch]\nname = \"a\"\nkind = \"brand\"\n").unwrap();
        assert_eq!(w, Watch::new("a", WatchKind::Brand));
    }

    #[test]
    fn unknown_keys_lexicons_and_bad_times_are_errors() {
        let e = parse("[watch]\nname = \"a\"\nkind = \"brand\"\nterm = []\n").unwrap_err();
        assert!(e.to_string().contains("unknown field `term`"), "{e}");
        let e = parse("[watch]\nname = \"a\"\nkind = \"crisis\"\nlexicons = [\"crisis-de\"]\n").unwrap_err();
        assert!(e.to_string().contains("crisis-de"), "{e}");
        let e = parse("[watch]\nname = \"a\"\nkind = \"campaign\"\nfrom = \"soon\"\n").unwrap_err();
        assert!(e.to_string().contains("`soon` is not a timestamp"), "{e}");
    }
}
