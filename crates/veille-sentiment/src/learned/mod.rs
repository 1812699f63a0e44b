//! The learned scorer: a linear model over hashed word and character
//! n-grams and the VADER figures, trained on labelled posts.
//!
//! [`train`] fits a multinomial logistic regression (L2-regularised,
//! L-BFGS); [`Model::save`] and [`Model::load`] keep it in a small binary
//! file; [`LearnedScorer`] scores with it. The label is the most probable
//! class; the compound score is P(positive) − P(negative) and the
//! proportions are the three class probabilities.

mod features;
mod file;
mod optimize;

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;
use veille_model::{Sentiment, SentimentLabel};

use crate::dataset::label_index;
use crate::error::SentimentError;
use crate::scorer::Scorer;
use crate::vader::{Dialect, Vader};
use features::{FeatureSpec, Features};
use optimize::{Design, CLASSES};

/// The English model shipped with the crate (see `data/models/README.md`).
const BUILTIN_EN: &[u8] = include_bytes!("../../data/models/en.vsm");
/// The French model shipped with the crate.
const BUILTIN_FR: &[u8] = include_bytes!("../../data/models/fr.vsm");

/// How [`train`] builds and fits a model.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOptions {
    /// ISO 639-1 language of the texts; `en` and `fr` add VADER features.
    pub lang: String,
    /// log2 of the number of hash buckets (10 to 24). Default 18.
    pub hash_bits: u8,
    /// Word n-grams: 1 for unigrams, 2 for unigrams and bigrams. Default 2.
    pub word_ngrams: u8,
    /// Shortest and longest character n-gram; `(0, 0)` for none. Default (2, 5).
    pub char_ngrams: (u8, u8),
    /// Scale of the VADER features; 0 leaves them out.
    pub lexicon_weight: f32,
    /// Inverse regularisation strength (larger fits the training set more
    /// closely).
    pub c: f64,
    /// Upper bound on optimiser iterations. Default 300.
    pub max_iterations: usize,
}

impl TrainOptions {
    /// The options the shipped models were trained with: for English
    /// `c` 1 and `lexicon_weight` 6, for French (and others) 3 and 3.
    pub fn for_lang(lang: &str) -> TrainOptions {
        let (c, lexicon_weight) = if lang == "en" { (1.0, 6.0) } else { (3.0, 3.0) };
        TrainOptions {
            lang: lang.to_string(),
            hash_bits: 18,
            word_ngrams: 2,
            char_ngrams: (2, 5),
            lexicon_weight,
            c,
            max_iterations: 300,
        }
    }
}

/// A trained model: feature layout and weights.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    lang: String,
    spec: FeatureSpec,
    lexicon: Option<Dialect>,
    bias: [f32; CLASSES],
    /// `weights[slot * CLASSES + class]`.
    weights: Vec<f32>,
}

pub(crate) fn check_spec(spec: &FeatureSpec) -> Result<(), String> {
    if !(10..=24).contains(&spec.hash_bits) {
        return Err(format!("hash_bits {} is not within 10..=24", spec.hash_bits));
    }
    if !(1..=2).contains(&spec.word_ngrams) {
        return Err(format!("word_ngrams {} is not 1 or 2", spec.word_ngrams));
    }
    if (spec.char_min == 0) != (spec.char_max == 0) || spec.char_min > spec.char_max {
        return Err(format!(
            "character n-grams {}..={} are not a range (0..=0 for none)",
            spec.char_min, spec.char_max
        ));
    }
    if spec.char_max > 8 {
        return Err(format!("character n-grams longer than 8 ({})", spec.char_max));
    }
    if spec.lexicon_weight.is_nan() || spec.lexicon_weight < 0.0 {
        return Err("lexicon_weight must be zero or more".into());
    }
    Ok(())
}

impl Model {
    /// The language the model was trained for (ISO 639-1).
    pub fn lang(&self) -> &str {
        &self.lang
    }

    /// The model shipped with the crate for `lang` (`en` or `fr`).
    pub fn builtin(lang: &str) -> Result<Model, SentimentError> {
        let bytes = match lang {
            "en" => BUILTIN_EN,
            "fr" => BUILTIN_FR,
            other => {
                return Err(SentimentError::Model {
                    path: PathBuf::from(format!("<builtin {other}>")),
                    reason: "no model ships for this language (available: en, fr)".into(),
                })
            }
        };
        Model::from_bytes(bytes, Path::new(&format!("<builtin {lang}>")))
    }

    /// The model file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        file::encode(self)
    }

    /// Parses model bytes; `origin` names them in errors.
    pub fn from_bytes(bytes: &[u8], origin: &Path) -> Result<Model, SentimentError> {
        file::decode(bytes).map_err(|reason| SentimentError::Model { path: origin.to_path_buf(), reason })
    }

    /// Writes the model to `path`.
    pub fn save(&self, path: &Path) -> Result<(), SentimentError> {
        std::fs::write(path, self.to_bytes()).map_err(|source| SentimentError::Io { path: path.to_path_buf(), source })
    }

    /// Reads a model from `path`.
    pub fn load(path: &Path) -> Result<Model, SentimentError> {
        let bytes = std::fs::read(path).map_err(|source| SentimentError::Io { path: path.to_path_buf(), source })?;
        Model::from_bytes(&bytes, path)
    }

    /// Class probabilities (negative, neutral, positive) of a feature vector.
    fn probabilities(&self, features: &Features) -> [f32; CLASSES] {
        let mut z = self.bias;
        for (&i, &v) in features.indices.iter().zip(&features.values) {
            let w = &self.weights[i as usize * CLASSES..][..CLASSES];
            for k in 0..CLASSES {
                z[k] += w[k] * v;
            }
        }
        let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut p = z.map(|v| (v - max).exp());
        let sum: f32 = p.iter().sum();
        p.iter_mut().for_each(|v| *v /= sum);
        p
    }
}

fn lexicon_for(lang: &str) -> Option<Dialect> {
    match lang {
        "en" => Some(Dialect::English),
        "fr" => Some(Dialect::French),
        _ => None,
    }
}

fn vader_for(dialect: Option<Dialect>) -> Option<Vader> {
    dialect.map(|d| match d {
        Dialect::English => Vader::english(),
        Dialect::French => Vader::french(),
    })
}

/// Fits a model on `texts` labelled by `labels`.
pub fn train<S: AsRef<str>>(
    texts: &[S],
    labels: &[SentimentLabel],
    options: &TrainOptions,
) -> Result<Model, SentimentError> {
    if texts.len() != labels.len() {
        return Err(SentimentError::LengthMismatch { texts: texts.len(), labels: labels.len() });
    }
    let mut seen = [false; CLASSES];
    labels.iter().for_each(|l| seen[label_index(*l)] = true);
    if !seen.iter().all(|s| *s) {
        return Err(SentimentError::Training("the examples must include negative, neutral and positive texts".into()));
    }
    if options.c.is_nan() || options.c <= 0.0 || options.max_iterations == 0 {
        return Err(SentimentError::Training("c and max_iterations must be positive".into()));
    }
    let spec = FeatureSpec {
        hash_bits: options.hash_bits,
        word_ngrams: options.word_ngrams,
        char_min: options.char_ngrams.0,
        char_max: options.char_ngrams.1,
        lexicon_weight: options.lexicon_weight,
    };
    check_spec(&spec).map_err(SentimentError::Training)?;
    let lexicon = lexicon_for(&options.lang);
    let vader = vader_for(lexicon);

    // Only slots that occur in training get a column.
    let mut column_of: FxHashMap<u32, u32> = FxHashMap::default();
    let mut slots: Vec<u32> = Vec::new();
    let mut design = Design {
        rows: vec![0],
        cols: Vec::new(),
        vals: Vec::new(),
        labels: labels.iter().map(|l| label_index(*l)).collect(),
        columns: 0,
    };
    let mut features = Features::default();
    for text in texts {
        features.extract(&spec, vader.as_ref(), text.as_ref());
        for (&slot, &value) in features.indices.iter().zip(&features.values) {
            let col = *column_of.entry(slot).or_insert_with(|| {
                slots.push(slot);
                (slots.len() - 1) as u32
            });
            design.cols.push(col);
            design.vals.push(f64::from(value));
        }
        design.rows.push(design.cols.len());
    }
    design.columns = slots.len();
    let fit = optimize::fit(&design, options.c, options.max_iterations);

    let mut weights = vec![0.0f32; spec.width() * CLASSES];
    for (col, &slot) in slots.iter().enumerate() {
        for k in 0..CLASSES {
            weights[slot as usize * CLASSES + k] = fit.weights[col * CLASSES + k] as f32;
        }
    }
    Ok(Model { lang: options.lang.clone(), spec, lexicon, bias: fit.bias.map(|b| b as f32), weights })
}

thread_local! {
    static FEATURES: RefCell<Features> = RefCell::new(Features::default());
}

/// Scores texts with a trained [`Model`].
#[derive(Debug, Clone)]
pub struct LearnedScorer {
    model: Model,
    vader: Option<Vader>,
}

impl LearnedScorer {
    /// A scorer using `model`.
    pub fn new(model: Model) -> LearnedScorer {
        let vader = vader_for(model.lexicon);
        LearnedScorer { model, vader }
    }

    /// The model in use.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Class probabilities (negative, neutral, positive) of `text`.
    pub fn probabilities(&self, text: &str) -> [f32; 3] {
        FEATURES.with(|cell| match cell.try_borrow_mut() {
            Ok(mut features) => self.probabilities_with(text, &mut features),
            Err(_) => self.probabilities_with(text, &mut Features::default()),
        })
    }

    fn probabilities_with(&self, text: &str, features: &mut Features) -> [f32; 3] {
        features.extract(&self.model.spec, self.vader.as_ref(), text);
        self.model.probabilities(features)
    }
}

impl Scorer for LearnedScorer {
    fn name(&self) -> &str {
        "learned"
    }

    fn lang(&self) -> Option<&str> {
        Some(&self.model.lang)
    }

    fn score(&self, text: &str) -> Sentiment {
        let p = self.probabilities(text);
        let best = (0..CLASSES).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap_or(1);
        let label = crate::dataset::label_of_index(best).unwrap_or(SentimentLabel::Neutral);
        Sentiment {
            label,
            compound: f64::from(p[2] - p[0]),
            positive: f64::from(p[2]),
            neutral: f64::from(p[1]),
            negative: f64::from(p[0]),
            lang: Some(self.model.lang.clone()),
            scorer: self.name().to_string(),
            brands: Vec::new(),
        }
    }
}
