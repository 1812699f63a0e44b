//! Signal events: which rule fired or resolved, for which watch, and why.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use veille_config::signals::Severity;
use veille_model::MentionKey;

use crate::detector::Novelty;
use crate::rule::Transition;

/// The rules signals evaluate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// Mention volume far above the watch's seasonal baseline.
    VolumeSpike,
    /// Crisis-term hits far above their baseline.
    CrisisBurst,
    /// The negative share well above its baseline.
    NegativeSurge,
    /// An influential author posting negatively about the watch.
    KeyNodeNegative,
    /// A usually busy watch went silent.
    FlatLine,
}

impl RuleKind {
    /// Every rule.
    pub const ALL: [RuleKind; 5] = [
        RuleKind::VolumeSpike,
        RuleKind::CrisisBurst,
        RuleKind::NegativeSurge,
        RuleKind::KeyNodeNegative,
        RuleKind::FlatLine,
    ];

    /// The stable snake-case name, as used in alert labels.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::VolumeSpike => "volume_spike",
            RuleKind::CrisisBurst => "crisis_burst",
            RuleKind::NegativeSurge => "negative_surge",
            RuleKind::KeyNodeNegative => "key_node_negative",
            RuleKind::FlatLine => "flat_line",
        }
    }
}

impl fmt::Display for RuleKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The figures behind a transition, so an alert can explain itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Evidence {
    /// The volume detector (volume spike, crisis burst).
    Spike {
        /// Count in the bucket (mentions or crisis-term hits).
        value: f64,
        /// Count the seasonal baseline expected in the bucket.
        baseline: f64,
        /// Robust deviation of the bucket, in scales.
        z: f64,
        /// Spike score: excess over the excess window / typical daily maximum of that excess.
        score: f64,
        /// The spike score a spike needs.
        threshold: f64,
        /// Counts above the baseline over the window behind the novelty.
        extra_volume: f64,
        /// Width of the window behind the novelty, in seconds.
        window_s: u64,
        /// The novelty that fired the rule (absent on older events).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        novelty: Option<Novelty>,
        /// Counts observed over the window behind the novelty.
        #[serde(default)]
        window_observed: f64,
        /// Counts the baseline expected over that window.
        #[serde(default)]
        window_expected: f64,
        /// The watch's usual mentions a day, against which the surge's size is judged.
        #[serde(default)]
        daily_volume: f64,
    },
    /// The negative share over a sliding window.
    Share {
        /// Negative share over the window.
        value: f64,
        /// The baseline share.
        baseline: f64,
        /// Negative mentions in the window.
        negative: f64,
        /// Scored mentions in the window.
        scored: f64,
        /// Binomial z-score of the negatives against the baseline.
        z: f64,
        /// Width of the window, in seconds.
        window_s: u64,
    },
    /// One negative mention by an influential author.
    KeyNode {
        /// The mention.
        mention: MentionKey,
        /// Its author's handle.
        author: String,
        /// The author's key-node score.
        key_node: f64,
        /// Sentiment compound toward the watch, in [-1, 1].
        compound: f64,
        /// Link to the mention, when known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
    },
    /// A silence.
    Silence {
        /// How long the watch has been silent, in seconds.
        silent_s: u64,
        /// Mentions the baseline expected during the silence.
        expected: f64,
    },
}

/// A duration in seconds, in words: `45 s`, `15 min`, `3 h`.
pub fn duration_text(s: u64) -> String {
    if s >= 3600 && s.is_multiple_of(3600) {
        format!("{} h", s / 3600)
    } else if s >= 60 {
        format!("{} min", s / 60)
    } else {
        format!("{s} s")
    }
}

/// One rule transition for one watch of one workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalEvent {
    /// The workspace.
    pub workspace: String,
    /// The watch.
    pub watch: String,
    /// The rule.
    pub rule: RuleKind,
    /// Fired or resolved.
    pub transition: Transition,
    /// The rule's configured severity.
    pub severity: Severity,
    /// Start of the bucket that decided (the mention's time for key-node events).
    pub at: DateTime<Utc>,
    /// When the condition started: for a fire of the volume detector, the
    /// first bucket of the surge; else `at`.
    pub started_at: DateTime<Utc>,
    /// Event time up to which data was seen when deciding (the bucket's end,
    /// or later when the decision waited for late mentions).
    pub decided_at: DateTime<Utc>,
    /// Whether the decision used counts that late mentions could still raise.
    pub provisional: bool,
    /// The figures behind the decision.
    pub evidence: Evidence,
}

impl fmt::Display for SignalEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = match self.transition {
            Transition::Fired => "fired",
            Transition::Resolved => "resolved",
        };
        write!(
            f,
            "{} {}/{} {} {verb} at {}: ",
            self.severity.as_str(),
            self.workspace,
            self.watch,
            self.rule,
            self.at.to_rfc3339()
        )?;
        match &self.evidence {
            Evidence::Spike { value, baseline, .. } if self.transition == Transition::Resolved => {
                write!(f, "back to {value:.0} in the bucket vs {baseline:.1} expected")
            }
            Evidence::Spike {
                window_observed, window_expected, extra_volume, window_s, novelty, score, threshold, ..
            } => write!(
                f,
                "{} over {}: {window_observed:.0} vs {window_expected:.1} expected ({extra_volume:.0} extra), spike score {score:.2} (threshold {threshold})",
                novelty.map_or("surge", Novelty::as_str),
                duration_text(*window_s),
            ),
            Evidence::Share { value, baseline, negative, scored, z, .. } => write!(
                f,
                "{:.0}% negative ({negative:.0} of {scored:.0}) vs {:.0}% usually, z {z:.1}",
                value * 100.0,
                baseline * 100.0
            ),
            Evidence::KeyNode { author, .. } if self.transition == Transition::Resolved => {
                write!(f, "cooldown over for @{author}")
            }
            Evidence::KeyNode { author, key_node, compound, mention, .. } => {
                write!(f, "@{author} (key-node {key_node:.2}) posted {mention} with sentiment {compound:.2}")
            }
            Evidence::Silence { silent_s, expected } => {
                write!(f, "silent for {} min while {expected:.0} mentions were expected", silent_s / 60)
            }
        }
    }
}
