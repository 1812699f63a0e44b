//! What an alert says for itself: figures against the baseline, top terms,
//! top authors, example mentions and platforms.

use std::collections::HashMap;
use std::fmt::Write as _;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use veille_model::{Platform, WatchKind};
use veille_signals::{Evidence, RuleKind, SignalEvent, Transition};

use crate::sample::{RecentMentions, Sampled};

/// How often a term was hit in the alert's mentions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermCount {
    /// The watch term as configured, or a hashtag as written.
    pub term: String,
    /// Mentions that hit it.
    pub mentions: u32,
}

/// An author among the alert's mentions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthorActivity {
    /// The handle, without `@`.
    pub handle: String,
    /// Their mentions in the window.
    pub mentions: u32,
    /// Follower count, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub followers: Option<u64>,
    /// Influence: the highest key-node score seen on their mentions, in [0, 1].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_node: Option<f64>,
}

/// One mention shown as an example.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Example {
    /// Its key, `platform:native_id`.
    pub key: String,
    /// Link to it, when the source gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Its author's handle.
    pub author: String,
    /// Its platform.
    pub platform: Platform,
    /// Its publication time.
    pub created_at: DateTime<Utc>,
    /// Sentiment compound of the text, when scored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compound: Option<f64>,
    /// The start of its text.
    pub excerpt: String,
}

/// Mentions per platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformCount {
    /// The platform.
    pub platform: Platform,
    /// Mentions in the window.
    pub mentions: u32,
}

/// Everything an alert says about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// One line for a pager or a chat title.
    pub summary: String,
    /// Several lines: figures, terms, authors, platforms, examples.
    pub description: String,
    /// Start of the window the mentions below come from (event time).
    pub window_start: DateTime<Utc>,
    /// End of that window.
    pub window_end: DateTime<Utc>,
    /// Recent mentions of the watch in the window that were kept to explain
    /// alerts (the newest ones when the window held more).
    pub sampled_mentions: u32,
    /// Most hit terms (crisis vocabulary, other watches, hashtags).
    pub top_terms: Vec<TermCount>,
    /// Most active authors, with their influence.
    pub top_authors: Vec<AuthorActivity>,
    /// Example mentions, the most telling first.
    pub examples: Vec<Example>,
    /// Mentions per platform, most first.
    pub platforms: Vec<PlatformCount>,
}

/// How much an explanation lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    pub(crate) top: usize,
    pub(crate) examples: usize,
}

/// How far before the decision mentions are drawn from, by evidence.
fn lookback(evidence: &Evidence) -> Duration {
    let s = match evidence {
        Evidence::Share { window_s, .. } => *window_s,
        Evidence::Silence { silent_s, .. } => silent_s.saturating_add(900),
        Evidence::Spike { .. } | Evidence::KeyNode { .. } => 900,
    };
    Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX / 2_000_000))
}

/// Builds the explanation of a fired `event` from the recent mentions.
pub(crate) fn explain(event: &SignalEvent, recent: &RecentMentions, limits: Limits) -> Explanation {
    let to = event.decided_at.max(event.at);
    let from = event.started_at.min(event.at).min(to - lookback(&event.evidence));
    let window = recent.window(&event.workspace, &event.watch, from, to);

    let mut terms: HashMap<&str, u32> = HashMap::new();
    let mut authors: HashMap<&str, AuthorActivity> = HashMap::new();
    let mut platforms: HashMap<Platform, u32> = HashMap::new();
    for s in &window {
        let mut seen: Vec<&str> = Vec::new();
        let own_name_terms = |watch: &str, kind: WatchKind| {
            watch == event.watch && matches!(kind, WatchKind::Brand | WatchKind::Competitor | WatchKind::Campaign)
        };
        let hashtags = s.head().split_whitespace().filter(|w| w.starts_with('#') && w.len() > 1);
        let hit_terms = s.hits.iter().filter(|(w, k, _)| !own_name_terms(w, *k)).map(|(_, _, t)| t.as_str());
        for term in hit_terms.chain(hashtags.map(|h| h.trim_end_matches(|c: char| !c.is_alphanumeric()))) {
            if !seen.contains(&term) {
                seen.push(term);
                *terms.entry(term).or_default() += 1;
            }
        }
        let a = authors.entry(&s.author).or_insert_with(|| AuthorActivity {
            handle: s.author.clone(),
            mentions: 0,
            followers: s.followers,
            key_node: None,
        });
        a.mentions += 1;
        a.followers = a.followers.max(s.followers);
        a.key_node = match (a.key_node, s.key_node) {
            (Some(x), Some(y)) => Some(x.max(y)),
            (x, y) => x.or(y),
        };
        *platforms.entry(s.platform).or_default() += 1;
    }

    let mut top_terms: Vec<TermCount> =
        terms.into_iter().map(|(term, mentions)| TermCount { term: term.to_string(), mentions }).collect();
    top_terms.sort_by(|a, b| b.mentions.cmp(&a.mentions).then_with(|| a.term.cmp(&b.term)));
    top_terms.truncate(limits.top);

    let mut top_authors: Vec<AuthorActivity> = authors.into_values().collect();
    top_authors.sort_by(|a, b| {
        b.mentions
            .cmp(&a.mentions)
            .then_with(|| b.key_node.unwrap_or(0.0).total_cmp(&a.key_node.unwrap_or(0.0)))
            .then_with(|| b.followers.cmp(&a.followers))
            .then_with(|| a.handle.cmp(&b.handle))
    });
    top_authors.truncate(limits.top);

    let mut platforms: Vec<PlatformCount> =
        platforms.into_iter().map(|(platform, mentions)| PlatformCount { platform, mentions }).collect();
    platforms.sort_by(|a, b| b.mentions.cmp(&a.mentions).then_with(|| a.platform.as_str().cmp(b.platform.as_str())));

    let examples = pick_examples(event, recent, &window, limits.examples);
    let mut explanation = Explanation {
        summary: String::new(),
        description: String::new(),
        window_start: from,
        window_end: to,
        sampled_mentions: window.len() as u32,
        top_terms,
        top_authors,
        examples,
        platforms,
    };
    explanation.summary = summary(event);
    explanation.description = description(event, &explanation);
    explanation
}

/// The most telling mentions: the key node's own first, then negative ones,
/// then by influence, reach and recency; those with a link first among equals.
fn pick_examples(event: &SignalEvent, recent: &RecentMentions, window: &[&Sampled], n: usize) -> Vec<Example> {
    let mut out = Vec::new();
    if let Evidence::KeyNode { mention, author, compound, url, .. } = &event.evidence {
        out.push(match recent.find(&event.workspace, &event.watch, mention) {
            Some(s) => example(s),
            None => Example {
                key: mention.to_string(),
                url: url.clone(),
                author: author.clone(),
                platform: mention.as_str().split(':').next().and_then(|p| p.parse().ok()).unwrap_or(Platform::Web),
                created_at: event.at,
                compound: Some(*compound),
                excerpt: String::new(),
            },
        });
    }
    let mut ranked: Vec<&&Sampled> = window.iter().filter(|s| out.iter().all(|e| e.key != s.key.as_str())).collect();
    ranked.sort_by(|a, b| {
        b.negative
            .cmp(&a.negative)
            .then_with(|| b.key_node.unwrap_or(0.0).total_cmp(&a.key_node.unwrap_or(0.0)))
            .then_with(|| b.followers.cmp(&a.followers))
            .then_with(|| b.url.is_some().cmp(&a.url.is_some()))
            .then_with(|| b.created_at.cmp(&a.created_at))
    });
    for s in ranked {
        if out.len() >= n {
            break;
        }
        // One example per author, so a single loud account does not fill the list.
        if out.iter().all(|e| e.author != s.author) {
            out.push(example(s));
        }
    }
    out.truncate(n.max(usize::from(matches!(event.evidence, Evidence::KeyNode { .. }))));
    out
}

fn example(s: &Sampled) -> Example {
    Example {
        key: s.key.to_string(),
        url: s.url.clone(),
        author: s.author.clone(),
        platform: s.platform,
        created_at: s.created_at,
        compound: s.compound,
        excerpt: s.excerpt(),
    }
}

fn rule_title(rule: RuleKind) -> &'static str {
    match rule {
        RuleKind::VolumeSpike => "volume spike",
        RuleKind::CrisisBurst => "crisis-term burst",
        RuleKind::NegativeSurge => "negative surge",
        RuleKind::KeyNodeNegative => "key node negative",
        RuleKind::FlatLine => "flat line",
    }
}

/// One line: severity, where, what, and the figures.
pub(crate) fn summary(event: &SignalEvent) -> String {
    let head = format!("[{}] {}/{}: {}", event.severity.as_str(), event.workspace, event.watch, rule_title(event.rule));
    let figures = match (&event.evidence, event.transition) {
        (Evidence::Spike { value, baseline, .. }, Transition::Resolved) => {
            format!("back to {value:.0} per bucket vs {baseline:.1} expected")
        }
        (
            Evidence::Spike { window_observed, window_expected, extra_volume, window_s, novelty, .. },
            Transition::Fired,
        ) => {
            let unit = if event.rule == RuleKind::CrisisBurst { "crisis-term hits" } else { "mentions" };
            let what = novelty.map_or("surge", veille_signals::Novelty::as_str);
            format!(
                "{window_observed:.0} {unit} over {} vs {window_expected:.1} expected ({extra_volume:.0} extra, {what})",
                veille_signals::duration_text(*window_s)
            )
        }
        (Evidence::Share { value, baseline, negative, scored, .. }, _) => {
            format!("{:.0}% negative ({negative:.0} of {scored:.0}) vs {:.0}% usually", value * 100.0, baseline * 100.0)
        }
        (Evidence::KeyNode { author, .. }, Transition::Resolved) => format!("no longer tracking @{author}"),
        (Evidence::KeyNode { author, key_node, compound, .. }, Transition::Fired) => {
            format!("@{author} (key node {key_node:.2}) posted negatively ({compound:.2})")
        }
        (Evidence::Silence { silent_s, expected }, _) => {
            format!("silent for {} min while {expected:.0} mentions were expected", silent_s / 60)
        }
    };
    let verb = if event.transition == Transition::Resolved { " resolved" } else { "" };
    format!("{head}{verb}: {figures}")
}

/// Several lines for people: the figures against the baseline, then what
/// was said and by whom.
pub(crate) fn description(event: &SignalEvent, e: &Explanation) -> String {
    let mut d = String::new();
    let _ = writeln!(d, "{}", series_line(&event.evidence));
    let _ = writeln!(
        d,
        "Mentions {} to {} ({} sampled).",
        e.window_start.format("%Y-%m-%d %H:%M"),
        e.window_end.format("%H:%M UTC"),
        e.sampled_mentions
    );
    if !e.top_terms.is_empty() {
        let terms: Vec<String> = e.top_terms.iter().map(|t| format!("{} ({})", t.term, t.mentions)).collect();
        let _ = writeln!(d, "Top terms: {}.", terms.join(", "));
    }
    if !e.top_authors.is_empty() {
        let authors: Vec<String> = e.top_authors.iter().map(author_line).collect();
        let _ = writeln!(d, "Top authors: {}.", authors.join(", "));
    }
    if !e.platforms.is_empty() {
        let total: u32 = e.platforms.iter().map(|p| p.mentions).sum();
        let shares: Vec<String> = e
            .platforms
            .iter()
            .map(|p| format!("{} {:.0}%", p.platform, 100.0 * f64::from(p.mentions) / f64::from(total.max(1))))
            .collect();
        let _ = writeln!(d, "Platforms: {}.", shares.join(", "));
    }
    if !e.examples.is_empty() {
        let _ = writeln!(d, "Examples:");
        d.push_str(&examples_text(&e.examples));
    }
    d.trim_end().to_string()
}

/// The examples, one per line: author, excerpt, link.
pub(crate) fn examples_text(examples: &[Example]) -> String {
    let mut d = String::new();
    for x in examples {
        let link = x.url.as_deref().unwrap_or(&x.key);
        let _ = writeln!(d, "- @{} on {}: \"{}\" {link}", x.author, x.platform, x.excerpt);
    }
    d
}

fn author_line(a: &AuthorActivity) -> String {
    let mut s = format!("@{} ×{}", a.handle, a.mentions);
    let mut facts = Vec::new();
    if let Some(k) = a.key_node {
        facts.push(format!("influence {k:.2}"));
    }
    if let Some(f) = a.followers {
        facts.push(format!("{f} followers"));
    }
    if !facts.is_empty() {
        let _ = write!(s, " ({})", facts.join(", "));
    }
    s
}

fn series_line(evidence: &Evidence) -> String {
    match evidence {
        Evidence::Spike {
            value,
            baseline,
            z,
            score,
            threshold,
            extra_volume,
            window_s,
            novelty,
            window_observed,
            window_expected,
            daily_volume,
        } => format!(
            "Series: {} over {}: {window_observed:.0} against {window_expected:.1} expected ({extra_volume:.0} extra; \
             the watch usually has {daily_volume:.0} mentions a day). Last bucket {value:.0} against a baseline of {baseline:.1} \
             (deviation {z:.1} scales); spike score {score:.2} against a threshold of {threshold}.",
            novelty.map_or("surge", veille_signals::Novelty::as_str),
            veille_signals::duration_text(*window_s)
        ),
        Evidence::Share { value, baseline, negative, scored, z, window_s } => format!(
            "Series: {:.1}% negative ({negative:.0} of {scored:.0} scored mentions over {} min) against a baseline of {:.1}% (z {z:.1}).",
            value * 100.0,
            window_s / 60,
            baseline * 100.0
        ),
        Evidence::KeyNode { mention, author, key_node, compound, .. } => format!(
            "Key node @{author} (influence {key_node:.2}) posted {mention} with sentiment {compound:.2}."
        ),
        Evidence::Silence { silent_s, expected } => format!(
            "Series: no mention for {} min while the baseline expected {expected:.0}; a source may be down.",
            silent_s / 60
        ),
    }
}
