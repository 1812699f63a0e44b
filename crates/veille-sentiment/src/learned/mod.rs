//! The learned scorer: a linear model over hashed word and character
//! n-grams and lexicon figures, trained on labelled posts.
//!
//! [`train`] fits a multinomial logistic regression (L2-regularised,
//! L-BFGS, optionally over features scaled by their naive-Bayes log-count
//! ratios, see [`TrainOptions::nb_smoothing`]); [`Model::save`] and [`Model::load`] keep it in a small binary
//! file; [`LearnedScorer`] scores with it. The label is the most probable
//! class; the compound score is P(positive) − P(negative) and the
//! proportions are the three class probabilities.

mod cues;
mod features;
mod file;
mod optimize;

use std::borrow::Cow;
use std::cell::RefCell;
use std::path::{Path, PathBuf};

use rustc_hash::{FxHashMap, FxHashSet};
use veille_model::{Sentiment, SentimentLabel};

use crate::dataset::label_index;
use crate::error::SentimentError;
use crate::scorer::Scorer;
use crate::vader::{Dialect, Vader};
use cues::Cues;
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
    /// log2 of the number of hash buckets (10 to 24).
    pub hash_bits: u8,
    /// Word n-grams: 1 for unigrams, 2 adds bigrams, 3 adds trigrams.
    pub word_ngrams: u8,
    /// Shortest and longest character (byte) n-gram; `(0, 0)` for none.
    pub char_ngrams: (u8, u8),
    /// Scale of the lexicon features; 0 leaves them out.
    pub lexicon_weight: f32,
    /// Number of word tokens after a negation ("not", "pas") whose
    /// unigrams are marked as negated (0 for none; needs the lexicon).
    pub negation_scope: u8,
    /// Whether a hashtag also counts as the word it holds ("#happy" as
    /// "happy"), for the n-grams and the lexicon.
    pub hashtag_words: bool,
    /// Bins of the lexicon compound score, one feature each (0 for none).
    pub lexicon_bins: u8,
    /// Inverse regularisation strength (larger fits the training set more
    /// closely).
    pub c: f64,
    /// Whether each class weighs the same in the loss, whatever its count
    /// (each post's weight is scaled by the inverse of its class's total).
    pub balance_classes: bool,
    /// Offsets added to the negative, neutral and positive log-odds after
    /// fitting: a shift of the class priors, chosen by cross-validation
    /// ([`crate::eval::tune_class_offsets`]) for macro-F1.
    pub class_offsets: [f32; 3],
    /// Naive-Bayes scaling of the hashed features (0 for none): when
    /// positive, the smoothing count of the log-count ratio each hashed
    /// feature gets per class (how much more often it occurs in that
    /// class's posts than in the others', NBSVM-style). A feature's weight
    /// for a class is fitted as a parameter times that ratio, so the L2
    /// penalty holds back the features that do not tell the class apart.
    pub nb_smoothing: f32,
    /// Upper bound on optimiser iterations. Default 300.
    pub max_iterations: usize,
}

impl TrainOptions {
    /// The options the shipped models were trained with (chosen by
    /// cross-validation, see `data/models/README.md`): word unigrams and
    /// bigrams, character 3- and 4-grams and lexicon weight 3; for English
    /// 2^18 buckets, negation marking over 4 tokens, hashtags read as their
    /// words too, classes balanced in the loss, naive-Bayes scaling
    /// (smoothing 1) and `c` 2; for French (and others) 2^16 buckets,
    /// negation marking over 3 tokens and `c` 3. Class offsets are tuned separately
    /// (`veille train sentiment --folds`).
    pub fn for_lang(lang: &str) -> TrainOptions {
        let english = lang == "en";
        TrainOptions {
            lang: lang.to_string(),
            hash_bits: if english { 18 } else { 16 },
            word_ngrams: 2,
            char_ngrams: (3, 4),
            lexicon_weight: 3.0,
            negation_scope: if english { 4 } else { 3 },
            hashtag_words: english,
            lexicon_bins: 0,
            c: if english { 2.0 } else { 3.0 },
            balance_classes: english,
            class_offsets: [0.0; 3],
            nb_smoothing: if english { 1.0 } else { 0.0 },
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
    /// `weights[slot][class]`; the fourth lane is zero and aligns rows.
    weights: Vec<[f32; 4]>,
}

pub(crate) fn check_spec(spec: &FeatureSpec) -> Result<(), String> {
    if !(10..=24).contains(&spec.hash_bits) {
        return Err(format!("hash_bits {} is not within 10..=24", spec.hash_bits));
    }
    if !(1..=3).contains(&spec.word_ngrams) {
        return Err(format!("word_ngrams {} is not 1, 2 or 3", spec.word_ngrams));
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
    #[cfg(test)]
    fn probabilities(&self, features: &Features) -> [f32; CLASSES] {
        self.probabilities_plus(features, [0.0; 4])
    }

    /// Class probabilities of a feature vector whose other features added `acc` to the scores.
    fn probabilities_plus(&self, features: &Features, mut acc: [f32; 4]) -> [f32; CLASSES] {
        for (&i, &v) in features.indices.iter().zip(&features.values) {
            if let Some(w) = self.weights.get(i as usize) {
                for k in 0..4 {
                    acc[k] += w[k] * v;
                }
            }
        }
        let z: [f32; CLASSES] = std::array::from_fn(|k| self.bias[k] + acc[k]);
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

fn cues_for(dialect: Option<Dialect>) -> Option<Cues> {
    dialect.map(|d| {
        Cues::of(&match d {
            Dialect::English => Vader::english(),
            Dialect::French => Vader::french(),
        })
    })
}

/// The weight of each post in the loss: `weights` (1 each when `None`),
/// scaled when `balance` so that each class weighs a third of the total.
fn class_weights(labels: &[SentimentLabel], weights: Option<&[f32]>, balance: bool) -> Vec<f64> {
    let mut out: Vec<f64> = match weights {
        Some(w) => w.iter().map(|w| f64::from(*w)).collect(),
        None => vec![1.0; labels.len()],
    };
    if balance {
        let mut totals = [0.0f64; CLASSES];
        labels.iter().zip(&out).for_each(|(l, w)| totals[label_index(*l)] += w);
        let all: f64 = totals.iter().sum();
        for (l, w) in labels.iter().zip(&mut out) {
            let total = totals[label_index(*l)];
            if total > 0.0 {
                *w *= all / (CLASSES as f64 * total);
            }
        }
    }
    out
}

/// The naive-Bayes log-count ratio of each hashed column and class,
/// `scales[col * CLASSES + class]`: ln of the share of the class's feature
/// occurrences that fall on the column over the same share among the other
/// classes' posts, each count weighted like its post and smoothed by
/// `smoothing`; a feature counts once per post. Columns of the lexicon
/// figures (`slots` at or past `buckets`) keep a scale of 1.
fn nb_scales(design: &Design, slots: &[u32], buckets: usize, smoothing: f64) -> Vec<f64> {
    let mut counts = vec![0.0f64; design.columns * CLASSES];
    let mut seen: FxHashSet<u32> = FxHashSet::default();
    for (i, &label) in design.labels.iter().enumerate() {
        seen.clear();
        for &col in &design.cols[design.rows[i]..design.rows[i + 1]] {
            if seen.insert(col) {
                counts[col as usize * CLASSES + label] += design.weights[i];
            }
        }
    }
    let hashed = |col: usize| (slots[col] as usize) < buckets;
    let mut totals = [0.0f64; CLASSES];
    for col in (0..design.columns).filter(|&c| hashed(c)) {
        for k in 0..CLASSES {
            totals[k] += counts[col * CLASSES + k] + smoothing;
        }
    }
    let all: f64 = totals.iter().sum();
    let mut scales = vec![1.0f64; design.columns * CLASSES];
    for col in (0..design.columns).filter(|&c| hashed(c)) {
        let row = &counts[col * CLASSES..][..CLASSES];
        let sum: f64 = row.iter().sum();
        for k in 0..CLASSES {
            let inside = (row[k] + smoothing) / totals[k];
            let outside = (sum - row[k] + smoothing * (CLASSES - 1) as f64) / (all - totals[k]);
            scales[col * CLASSES + k] = (inside / outside).ln();
        }
    }
    scales
}

/// Where training stands, reported after each optimiser iteration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainProgress {
    /// Iterations done (1-based).
    pub iteration: usize,
    /// The most iterations training may take ([`TrainOptions::max_iterations`]).
    pub max_iterations: usize,
    /// Regularised training loss after this iteration.
    pub loss: f64,
}

/// Checks what training is given (as many labels and weights as texts, every class present,
/// sound options) and returns the feature layout the options ask for.
fn check_training(
    texts: usize,
    labels: &[SentimentLabel],
    weights: Option<&[f32]>,
    options: &TrainOptions,
) -> Result<FeatureSpec, SentimentError> {
    if texts != labels.len() {
        return Err(SentimentError::LengthMismatch { texts, labels: labels.len() });
    }
    if let Some(w) = weights {
        if w.len() != texts {
            return Err(SentimentError::Training(format!("{} weights for {} texts", w.len(), texts)));
        }
        if w.iter().any(|w| !w.is_finite() || *w < 0.0) {
            return Err(SentimentError::Training("weights must be finite and zero or more".into()));
        }
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
        negation_scope: options.negation_scope,
        lexicon_weight: options.lexicon_weight,
        hashtag_words: options.hashtag_words,
        lexicon_bins: options.lexicon_bins,
    };
    if options.class_offsets.iter().any(|o| !o.is_finite()) {
        return Err(SentimentError::Training("class_offsets must be finite".into()));
    }
    if !options.nb_smoothing.is_finite() || options.nb_smoothing < 0.0 {
        return Err(SentimentError::Training("nb_smoothing must be zero or more".into()));
    }
    check_spec(&spec).map_err(SentimentError::Training)?;
    Ok(spec)
}

/// Fits a model on `texts` labelled by `labels`.
pub fn train<S: AsRef<str>>(
    texts: &[S],
    labels: &[SentimentLabel],
    options: &TrainOptions,
) -> Result<Model, SentimentError> {
    train_with_progress(texts, labels, None, options, &mut |_| {})
}

/// [`train`] with a weight per text in the loss (`None`: 1 each), telling
/// `on_iteration` how far the optimiser has come.
pub fn train_with_progress<S: AsRef<str>>(
    texts: &[S],
    labels: &[SentimentLabel],
    weights: Option<&[f32]>,
    options: &TrainOptions,
    on_iteration: &mut dyn FnMut(TrainProgress),
) -> Result<Model, SentimentError> {
    let spec = check_training(texts.len(), labels, weights, options)?;
    let lexicon = lexicon_for(&options.lang);
    let cues = cues_for(lexicon);

    // Only slots that occur in training get a column.
    let mut column_of: FxHashMap<u32, u32> = FxHashMap::default();
    let mut slots: Vec<u32> = Vec::new();
    let mut design = Design {
        rows: vec![0],
        cols: Vec::new(),
        vals: Vec::new(),
        labels: labels.iter().map(|l| label_index(*l)).collect(),
        weights: class_weights(labels, weights, options.balance_classes),
        columns: 0,
        scales: Vec::new(),
    };
    let mut features = Features::default();
    for text in texts {
        features.extract(&spec, cues.as_ref(), text.as_ref());
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
    if options.nb_smoothing > 0.0 {
        design.scales = nb_scales(&design, &slots, spec.buckets(), f64::from(options.nb_smoothing));
    }
    let max_iterations = options.max_iterations;
    let fit = optimize::fit(&design, options.c, max_iterations, &mut |iteration, loss| {
        on_iteration(TrainProgress { iteration, max_iterations, loss })
    });

    let mut weights = vec![[0.0f32; 4]; spec.width()];
    for (col, &slot) in slots.iter().enumerate() {
        for (w, fitted) in weights[slot as usize].iter_mut().zip(&fit.weights[col * CLASSES..][..CLASSES]) {
            *w = *fitted as f32;
        }
    }
    let bias = std::array::from_fn(|k| fit.bias[k] as f32 + options.class_offsets[k]);
    Ok(Model { lang: options.lang.clone(), spec, lexicon, bias, weights })
}

thread_local! {
    static FEATURES: RefCell<Features> = RefCell::new(Features::default());
}

/// Scorers made so far in this process, to tell their models apart in a thread's caches.
static SCORERS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Scores texts with a trained [`Model`].
#[derive(Debug, Clone)]
pub struct LearnedScorer {
    model: Model,
    cues: Option<Cues>,
    /// This scorer's number (its clones share it: they hold the same model).
    id: u64,
    /// The model's language, borrowed when veille knows its name (no copy per mention).
    lang: Cow<'static, str>,
}

impl LearnedScorer {
    /// A scorer using `model`.
    pub fn new(model: Model) -> LearnedScorer {
        let cues = cues_for(model.lexicon);
        let id = SCORERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let lang = match crate::lang::static_code(&model.lang) {
            Some(code) => Cow::Borrowed(code),
            None => Cow::Owned(model.lang.clone()),
        };
        LearnedScorer { model, cues, id, lang }
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
        let chars = features.extract_scoring(&self.model.spec, self.cues.as_ref(), text, &self.model.weights, self.id);
        self.model.probabilities_plus(features, chars)
    }
}

/// The scorer's name, in each [`Sentiment`] it gives.
const NAME: &str = "learned";

impl Scorer for LearnedScorer {
    fn name(&self) -> &str {
        NAME
    }

    fn lang(&self) -> Option<&str> {
        Some(&self.model.lang)
    }

    fn score(&self, text: &str) -> Sentiment {
        let p = self.probabilities(text);
        let best = (0..CLASSES).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap_or(1);
        let label = crate::dataset::label_of_index(best).unwrap_or(SentimentLabel::Neutral);
        // In ten-thousandths, as VADER gives its figures: the digits a single-precision
        // probability adds beyond them say nothing, and cost every stored and exported mention.
        // The neutral share is what the other two leave, so the three still add up to one.
        let negative = (f64::from(p[0]) * 1e4).round();
        let positive = (f64::from(p[2]) * 1e4).round();
        let neutral = (1e4 - negative - positive).max(0.0);
        Sentiment {
            label,
            compound: (positive - negative) / 1e4,
            positive: positive / 1e4,
            neutral: neutral / 1e4,
            negative: negative / 1e4,
            lang: Some(self.lang.clone()),
            scorer: Cow::Borrowed(NAME),
            brands: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The figures are written in ten-thousandths, add up to one, and the label is the class
    /// the model finds likeliest.
    #[test]
    fn figures_come_in_ten_thousandths() {
        let scorer = LearnedScorer::new(Model::builtin("en").unwrap());
        for text in ["I love this airline", "worst delay ever, lost my bag", "flight 123 lands at 5pm", ""] {
            let s = scorer.score(text);
            for x in [s.compound, s.positive, s.neutral, s.negative] {
                let decimals = x.to_string().split('.').nth(1).map_or(0, str::len);
                assert!(decimals <= 4, "{text}: {x} is written with {decimals} decimals");
            }
            assert!((s.positive + s.neutral + s.negative - 1.0).abs() < 1e-9, "{text}: {s:?}");
            assert!((s.compound - (s.positive - s.negative)).abs() < 1e-9, "{text}: {s:?}");
            let p = scorer.probabilities(text);
            let best = (0..CLASSES).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap();
            assert_eq!(Some(s.label), crate::dataset::label_of_index(best), "{text}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// The scoring path (character n-grams read per word through the model) gives the
        /// probabilities of the whole feature vector, whichever models score in turn on a thread.
        #[test]
        fn scoring_reads_the_whole_feature_vector(
            texts in proptest::collection::vec(
                "((good|bad|not|never|but|mais|pas|GREAT|Nope!|don\u{2019}t|isn't|service|flight|vol|annul\u{e9}|\\\\u00e9t\\\\u00e9|sooo|caf\u{e9}|\u{1f600}|@acme|#fail|#happy|#Great|http://x.co/a|[a-zA-Z]{1,30}|[!-~]{1,12}|!!|:\\)|:-\\() ){1,14}",
                1..10,
            ),
        ) {
            let scorers = [
                LearnedScorer::new(Model::builtin("en").map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?),
                LearnedScorer::new(Model::builtin("fr").map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?),
            ];
            let mut full = Features::default();
            for _ in 0..2 {
                for text in &texts {
                    for scorer in &scorers {
                        full.extract(&scorer.model.spec, scorer.cues.as_ref(), text);
                        let expected = scorer.model.probabilities(&full);
                        let got = scorer.probabilities(text);
                        for k in 0..CLASSES {
                            proptest::prop_assert!(
                                (got[k] - expected[k]).abs() < 1e-5,
                                "{text:?}: class {k}: {} against {}", got[k], expected[k]
                            );
                        }
                    }
                }
            }
        }
    }
}
