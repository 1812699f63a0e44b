//! `[graph]`: the author interaction graph and key-node scores.
//!
//! ```toml
//! [graph]
//! half_life_hours = 72.0        # an interaction counts half as much 72 h later; `inf` never forgets
//! max_authors = 200000          # per workspace; the coldest authors are evicted beyond it
//! max_edges = 2000000           # per workspace; same eviction when exceeded
//! damping = 0.85                # PageRank damping factor
//! pagerank_tolerance = 0.002    # PageRank left unpropagated on an author, as a share of its own
//! communities_every_s = 600     # communities are due every 10 min of event time; 0: on demand
//! samples_per_author = 2        # recent mention keys kept per author (and per author and watch)
//!
//! [graph.edge_weights]          # weight of one interaction of each kind
//! reply = 1.0
//! quote = 1.0
//! repost = 1.0
//! mention = 1.0
//!
//! [graph.score]                 # key-node score: weighted mean of four components in [0, 1]
//! centrality = 0.4
//! reach = 0.2
//! engagement = 0.25
//! activity = 0.15
//! centrality_midpoint = 20.0    # PageRank, as a multiple of the average author's, scoring 0.5
//! reach_midpoint = 10000.0      # followers scoring 0.5
//! engagement_midpoint = 50.0    # decayed interactions and engagement received scoring 0.5
//! activity_midpoint = 5.0       # decayed mentions written scoring 0.5
//! ```

use std::fmt;

use serde::Deserialize;

/// `[graph]`: how the interaction graph weighs, forgets and scores.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GraphConfig {
    /// Whether key-node scores are computed. Default true.
    pub enabled: bool,
    /// Hours after which an interaction weighs half as much (event time); `inf`
    /// keeps every interaction at full weight. Default 72.
    pub half_life_hours: f64,
    /// Most authors kept per workspace; beyond it the coldest are evicted. Default 200,000.
    pub max_authors: usize,
    /// Most interaction edges kept per workspace; beyond it the coldest authors
    /// are evicted with their edges. Default 2,000,000.
    pub max_edges: usize,
    /// PageRank damping factor (probability of following an edge), in (0, 1). Default 0.85.
    pub damping: f64,
    /// Largest PageRank change an author may leave unpropagated after each
    /// mention, as a share of the larger of the teleport share and what it
    /// sends each out-neighbour. Smaller is more exact and slower. Default 0.002.
    pub pagerank_tolerance: f64,
    /// Communities are due for recomputation after this many seconds of event
    /// time (the pipeline runs detection off the ingest path); 0 recomputes
    /// them only on demand. Default 600.
    pub communities_every_s: u64,
    /// Recent mention keys kept per author (and per author and watch) as samples. Default 2.
    pub samples_per_author: usize,
    /// Weight of one interaction of each kind.
    pub edge_weights: EdgeWeights,
    /// How the key-node score combines its components.
    pub score: ScoreWeights,
}

/// `[graph.edge_weights]`: weight of one interaction of each kind. A mention
/// that reaches the same account several ways (a reply that also @mentions
/// it) counts once, with the largest weight.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EdgeWeights {
    /// A reply to the account's post. Default 1.
    pub reply: f64,
    /// A quote of the account's post. Default 1.
    pub quote: f64,
    /// A repost of the account's post. Default 1.
    pub repost: f64,
    /// An @mention of the account. Default 1.
    pub mention: f64,
}

/// `[graph.score]`: weights of the key-node score's components and the raw
/// value at which each component scores 0.5.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScoreWeights {
    /// Weight of centrality (PageRank in the interaction graph). Default 0.4.
    pub centrality: f64,
    /// Weight of reach (followers). Default 0.2.
    pub reach: f64,
    /// Weight of engagement received (interactions and reported engagement). Default 0.25.
    pub engagement: f64,
    /// Weight of recent activity (mentions written). Default 0.15.
    pub activity: f64,
    /// PageRank, as a multiple of the average author's, that scores 0.5. Default 20.
    pub centrality_midpoint: f64,
    /// Followers that score 0.5. Default 10,000.
    pub reach_midpoint: f64,
    /// Decayed engagement received that scores 0.5. Default 50.
    pub engagement_midpoint: f64,
    /// Decayed mentions written that score 0.5. Default 5.
    pub activity_midpoint: f64,
}

/// A `[graph]` value that parsed but breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidGraphValue {
    /// Dotted key under `graph`, e.g. `score.reach`.
    pub key: String,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for InvalidGraphValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`graph.{}`: {}", self.key, self.reason)
    }
}

impl std::error::Error for InvalidGraphValue {}

impl GraphConfig {
    /// Checks values that types alone cannot.
    pub fn validate(&self) -> Result<(), InvalidGraphValue> {
        let invalid =
            |key: &str, reason: &str| Err(InvalidGraphValue { key: key.to_string(), reason: reason.to_string() });
        if self.half_life_hours.is_nan() || self.half_life_hours <= 0.0 {
            return invalid("half_life_hours", "must be a positive number of hours (or inf)");
        }
        if self.max_authors < 2 {
            return invalid("max_authors", "must be at least 2");
        }
        if self.max_edges < 1 {
            return invalid("max_edges", "must be at least 1");
        }
        if !(self.damping > 0.0 && self.damping < 1.0) {
            return invalid("damping", "must be strictly between 0 and 1");
        }
        if !(self.pagerank_tolerance > 0.0 && self.pagerank_tolerance <= 1.0) {
            return invalid("pagerank_tolerance", "must be in (0, 1]");
        }
        let w = &self.edge_weights;
        for (key, v) in [
            ("edge_weights.reply", w.reply),
            ("edge_weights.quote", w.quote),
            ("edge_weights.repost", w.repost),
            ("edge_weights.mention", w.mention),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return invalid(key, "must be a finite number at least 0");
            }
        }
        let s = &self.score;
        for (key, v) in [
            ("score.centrality", s.centrality),
            ("score.reach", s.reach),
            ("score.engagement", s.engagement),
            ("score.activity", s.activity),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return invalid(key, "must be a finite number at least 0");
            }
        }
        if s.centrality + s.reach + s.engagement + s.activity <= 0.0 {
            return invalid("score", "needs at least one weight above 0");
        }
        for (key, v) in [
            ("score.centrality_midpoint", s.centrality_midpoint),
            ("score.reach_midpoint", s.reach_midpoint),
            ("score.engagement_midpoint", s.engagement_midpoint),
            ("score.activity_midpoint", s.activity_midpoint),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return invalid(key, "must be a finite number above 0");
            }
        }
        Ok(())
    }
}

impl Default for GraphConfig {
    fn default() -> Self {
        GraphConfig {
            enabled: true,
            half_life_hours: 72.0,
            max_authors: 200_000,
            max_edges: 2_000_000,
            damping: 0.85,
            pagerank_tolerance: 0.002,
            communities_every_s: 600,
            samples_per_author: 2,
            edge_weights: EdgeWeights::default(),
            score: ScoreWeights::default(),
        }
    }
}

impl Default for EdgeWeights {
    fn default() -> Self {
        EdgeWeights { reply: 1.0, quote: 1.0, repost: 1.0, mention: 1.0 }
    }
}

impl Default for ScoreWeights {
    fn default() -> Self {
        ScoreWeights {
            centrality: 0.4,
            reach: 0.2,
            engagement: 0.25,
            activity: 0.15,
            centrality_midpoint: 20.0,
            reach_midpoint: 10_000.0,
            engagement_midpoint: 50.0,
            activity_midpoint: 5.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<GraphConfig, toml::de::Error> {
        toml::from_str(text)
    }

    #[test]
    fn documented_example_parses_to_the_defaults() {
        let example = crate::documented_toml_example(include_str!("graph.rs"));
        #[derive(Deserialize)]
        struct Doc {
            graph: GraphConfig,
        }
        let parsed: Doc = toml::from_str(&example).unwrap();
        assert_eq!(parsed.graph, GraphConfig::default());
        assert_eq!(parse("").unwrap(), GraphConfig::default());
        GraphConfig::default().validate().unwrap();
    }

    #[test]
    fn infinite_half_life_means_never_forget_and_is_valid() {
        let cfg = parse("half_life_hours = inf\n[score]\nreach = 0.0\n").unwrap();
        assert!(cfg.half_life_hours.is_infinite());
        assert_eq!(cfg.score.reach, 0.0);
        assert_eq!(cfg.score.centrality, 0.4);
        cfg.validate().unwrap();
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused_with_their_key() {
        let e = parse("[edge_weights]\nlike = 2.0\n").unwrap_err();
        assert!(e.to_string().contains("like"), "{e}");
        let e = parse("halflife_hours = 3\n").unwrap_err();
        assert!(e.to_string().contains("halflife_hours"), "{e}");

        for (text, key) in [
            ("half_life_hours = 0.0", "half_life_hours"),
            ("damping = 1.0", "damping"),
            ("max_authors = 1", "max_authors"),
            ("pagerank_tolerance = 0.0", "pagerank_tolerance"),
            ("[edge_weights]\nrepost = -1.0", "edge_weights.repost"),
            ("[score]\nreach_midpoint = 0.0", "score.reach_midpoint"),
            ("[score]\ncentrality = 0.0\nreach = 0.0\nengagement = 0.0\nactivity = 0.0", "score"),
        ] {
            let e = parse(text).unwrap().validate().unwrap_err();
            assert_eq!(e.key, key, "{text}");
            assert!(e.to_string().starts_with(&format!("`graph.{key}`")), "{e}");
        }
    }
}
