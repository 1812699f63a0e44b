//! `[sentiment]`: how mentions are scored.
//!
//! ```toml
//! [sentiment]
//! languages = ["en", "fr"]      # the detector chooses among these
//! fallback_lang = "en"          # when a post has no letters to judge by
//! mask = true                   # scorers do not read @handles and the names of the watches that tagged a mention
//!
//! [sentiment.scorers.en]
//! scorer = "learned"            # the model shipped for English
//!
//! [sentiment.scorers.fr]
//! scorer = "learned"
//! model = "models/sentiment-fr.vsm"   # a model trained with `veille train sentiment`
//! ```
//!
//! With no `[sentiment.scorers]` table, English and French are scored by
//! the learned models shipped with veille, which beat VADER on every
//! measured set; `scorer = "vader"` picks the lexicon and rules.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

/// Languages with a shipped VADER lexicon and a shipped learned model.
pub const BUILTIN_LANGUAGES: [&str; 2] = ["en", "fr"];

/// `[sentiment]`: which scorer reads each language.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SentimentConfig {
    /// Whether mentions are scored at all. Default true.
    pub enabled: bool,
    /// ISO 639-1 codes the language detector chooses among, for mentions
    /// whose platform gives no language. Default `["en", "fr"]`.
    pub languages: Vec<String>,
    /// Language assumed when detection finds none (a post of links, handles
    /// or emoji only). Default `en`; must be one of `languages`.
    pub fallback_lang: String,
    /// Whether scorers read mentions with their @handles, and the names of
    /// the brand, competitor and campaign watches that tagged them, masked
    /// (a brand's own name is not an opinion about it). Default true.
    pub mask: bool,
    /// Scorer per language (ISO 639-1 code → scorer). Mentions in a language
    /// without a scorer get no sentiment. Default: the shipped `learned`
    /// models for `en` and `fr`.
    pub scorers: BTreeMap<String, LanguageScorer>,
}

/// `[sentiment.scorers.LANG]`: the scorer of one language.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LanguageScorer {
    /// `vader` (lexicon and rules) or `learned` (trained linear model).
    pub scorer: ScorerKind,
    /// Model file for `learned`; when absent, the model shipped for the
    /// language (`en`, `fr`). Relative paths are read from the working
    /// directory. Not allowed with `vader`.
    #[serde(default)]
    pub model: Option<PathBuf>,
}

/// Which kind of scorer reads a language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScorerKind {
    /// VADER, compatible with the reference implementations (en, fr).
    Vader,
    /// A linear model over n-grams and lexicon features.
    Learned,
}

impl Default for SentimentConfig {
    fn default() -> Self {
        SentimentConfig {
            enabled: true,
            languages: BUILTIN_LANGUAGES.iter().map(|l| l.to_string()).collect(),
            fallback_lang: "en".to_string(),
            mask: true,
            scorers: BUILTIN_LANGUAGES
                .iter()
                .map(|l| (l.to_string(), LanguageScorer { scorer: ScorerKind::Learned, model: None }))
                .collect(),
        }
    }
}

impl SentimentConfig {
    /// Checks values that types alone cannot: `(key under [sentiment], reason)` on failure.
    pub fn validate(&self) -> Result<(), (String, String)> {
        if self.languages.is_empty() {
            return Err(("languages".into(), "name at least one language".into()));
        }
        for (i, lang) in self.languages.iter().enumerate() {
            check_code(lang).map_err(|r| (format!("languages[{i}]"), r))?;
        }
        if !self.languages.contains(&self.fallback_lang) {
            return Err(("fallback_lang".into(), format!("`{}` is not one of `languages`", self.fallback_lang)));
        }
        for (lang, scorer) in &self.scorers {
            let key = format!("scorers.{lang}");
            check_code(lang).map_err(|r| (key.clone(), r))?;
            let builtin = BUILTIN_LANGUAGES.contains(&lang.as_str());
            match (scorer.scorer, &scorer.model) {
                (ScorerKind::Vader, Some(_)) => {
                    return Err((format!("{key}.model"), "only a `learned` scorer reads a model file".into()))
                }
                (ScorerKind::Vader, None) if !builtin => {
                    return Err((format!("{key}.scorer"), format!("no VADER lexicon for `{lang}` (available: en, fr)")))
                }
                (ScorerKind::Learned, None) if !builtin => {
                    return Err((format!("{key}.model"), format!("no model ships for `{lang}`: give a model file")))
                }
                _ => {}
            }
        }
        Ok(())
    }
}

fn check_code(code: &str) -> Result<(), String> {
    if code.len() == 2 && code.bytes().all(|b| b.is_ascii_lowercase()) {
        Ok(())
    } else {
        Err(format!("`{code}` is not an ISO 639-1 code like `en`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(toml_text: &str) -> Result<SentimentConfig, toml::de::Error> {
        toml::from_str(toml_text)
    }

    #[test]
    fn defaults_score_english_and_french_with_the_learned_models_and_mask() {
        let cfg = parse("").unwrap();
        assert_eq!(cfg, SentimentConfig::default());
        assert_eq!(cfg.languages, ["en", "fr"]);
        assert_eq!(cfg.scorers["en"], LanguageScorer { scorer: ScorerKind::Learned, model: None });
        assert_eq!(cfg.scorers["fr"], LanguageScorer { scorer: ScorerKind::Learned, model: None });
        assert!(cfg.mask);
        assert!(!parse("mask = false").unwrap().mask);
        assert!(cfg.validate().is_ok());
    }

    #[test]
    fn documented_example_is_the_defaults_with_a_french_model_file() {
        #[derive(Deserialize)]
        struct Doc {
            sentiment: SentimentConfig,
        }
        let example = crate::documented_toml_example(include_str!("sentiment.rs"));
        let parsed: Doc = toml::from_str(&example).unwrap();
        let mut expected = SentimentConfig::default();
        if let Some(fr) = expected.scorers.get_mut("fr") {
            fr.model = Some(PathBuf::from("models/sentiment-fr.vsm"));
        }
        assert_eq!(parsed.sentiment, expected);
    }

    #[test]
    fn per_language_scorers_and_model_files_are_read() {
        let cfg = parse(
            "languages = [\"en\", \"fr\", \"de\"]\n\
             [scorers.en]\nscorer = \"learned\"\n\
             [scorers.de]\nscorer = \"learned\"\nmodel = \"models/de.vsm\"\n",
        )
        .unwrap();
        assert_eq!(cfg.scorers.len(), 2, "a table replaces the default scorers");
        assert_eq!(cfg.scorers["en"].model, None);
        assert_eq!(cfg.scorers["de"].model.as_deref(), Some(std::path::Path::new("models/de.vsm")));
        assert!(cfg.validate().is_ok());
    }

    #[test]
    fn impossible_choices_name_their_key() {
        let e = parse("[scorers.en]\nscorer = \"bert\"\n").unwrap_err();
        assert!(e.to_string().contains("vader"), "{e}");
        let e = parse("[scorers.en]\nscorer = \"vader\"\nmodle = \"x\"\n").unwrap_err();
        assert!(e.to_string().contains("modle"), "{e}");

        let cfg = parse("[scorers.de]\nscorer = \"vader\"\n").unwrap();
        assert_eq!(cfg.validate().unwrap_err().0, "scorers.de.scorer");
        let cfg = parse("[scorers.de]\nscorer = \"learned\"\n").unwrap();
        assert_eq!(cfg.validate().unwrap_err().0, "scorers.de.model");
        let cfg = parse("[scorers.en]\nscorer = \"vader\"\nmodel = \"m.vsm\"\n").unwrap();
        assert_eq!(cfg.validate().unwrap_err().0, "scorers.en.model");
        let cfg = parse("languages = [\"en\"]\nfallback_lang = \"fr\"\n").unwrap();
        assert_eq!(cfg.validate().unwrap_err().0, "fallback_lang");
        let cfg = parse("languages = [\"english\"]\nfallback_lang = \"english\"\n").unwrap();
        assert_eq!(cfg.validate().unwrap_err().0, "languages[0]");
    }
}
