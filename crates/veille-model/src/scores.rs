use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// The three-way sentiment label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SentimentLabel {
    /// Compound score at or below the negative threshold.
    Negative,
    /// Between the thresholds.
    Neutral,
    /// Compound score at or above the positive threshold.
    Positive,
}

impl SentimentLabel {
    /// The stable lowercase name, as indexed and queried.
    pub fn as_str(self) -> &'static str {
        match self {
            SentimentLabel::Negative => "negative",
            SentimentLabel::Neutral => "neutral",
            SentimentLabel::Positive => "positive",
        }
    }

    /// The label VADER's convention gives a compound score (thresholds ±0.05).
    pub fn from_compound(compound: f64) -> Self {
        if compound >= 0.05 {
            SentimentLabel::Positive
        } else if compound <= -0.05 {
            SentimentLabel::Negative
        } else {
            SentimentLabel::Neutral
        }
    }
}

/// Sentiment toward one watched brand, from the sentences that name it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BrandSentiment {
    /// The watch the sentences matched.
    pub watch: String,
    /// Label of those sentences.
    pub label: SentimentLabel,
    /// Compound score of those sentences, in [-1, 1].
    pub compound: f64,
}

/// The sentiment of a whole mention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sentiment {
    /// Negative, neutral or positive.
    pub label: SentimentLabel,
    /// Normalised score in [-1, 1].
    pub compound: f64,
    /// Share of positive valence, in [0, 1].
    #[serde(default)]
    pub positive: f64,
    /// Share of neutral tokens, in [0, 1].
    #[serde(default)]
    pub neutral: f64,
    /// Share of negative valence, in [0, 1].
    #[serde(default)]
    pub negative: f64,
    /// The language the scorer read the text as (ISO 639-1). Scorers name the languages they
    /// know without copying the name for each mention ([`Cow::Borrowed`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<Cow<'static, str>>,
    /// Which scorer produced the figures (`vader`, `learned`, ...); borrowed, like `lang`, when
    /// the name is known when veille is built.
    pub scorer: Cow<'static, str>,
    /// Sentiment toward each matched brand, when the mention names several.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub brands: Vec<BrandSentiment>,
}

/// Scores enrichment computed for a mention.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    /// Sentiment of the text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<Sentiment>,
    /// The author's key-node (influence) score at ingest time, in [0, 1].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_node: Option<f64>,
}

impl Scores {
    /// True when no score has been computed.
    pub fn is_empty(&self) -> bool {
        self.sentiment.is_none() && self.key_node.is_none()
    }
}
