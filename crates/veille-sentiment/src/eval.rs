//! Evaluation of a scorer against human labels.

use std::time::Instant;

use serde::Serialize;
use veille_model::SentimentLabel;

use crate::dataset::{label_index, LabelledTexts};
use crate::error::SentimentError;
use crate::learned::{train_with_progress, LearnedScorer, TrainOptions};
use crate::scorer::Scorer;

/// Precision, recall and F1 of one class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct ClassReport {
    /// Share of posts given this label that carry it.
    pub precision: f64,
    /// Share of posts carrying this label that were given it.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Number of posts carrying this label.
    pub support: usize,
}

/// Per-class figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Classes {
    /// The negative class.
    pub negative: ClassReport,
    /// The neutral class.
    pub neutral: ClassReport,
    /// The positive class.
    pub positive: ClassReport,
}

/// How well a scorer's labels match human labels, and how fast it ran.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    /// The scorer's name.
    pub scorer: String,
    /// The scorer's language, when it has one.
    pub lang: Option<String>,
    /// Number of posts scored.
    pub count: usize,
    /// Records of the input left out (unusable labels).
    pub skipped: usize,
    /// Share of posts labelled as the humans did.
    pub accuracy: f64,
    /// Unweighted mean of the three classes' F1.
    pub macro_f1: f64,
    /// Per-class precision, recall and F1.
    pub classes: Classes,
    /// Posts scored per second, on one thread.
    pub posts_per_second: f64,
}

/// Scores every text of `data` with `scorer` and compares with the labels.
///
/// The throughput is timed on a second pass, after a first one has warmed
/// the scorer's tables and scratch space.
pub fn evaluate(scorer: &dyn Scorer, data: &LabelledTexts) -> EvalReport {
    data.texts.iter().for_each(|t| {
        std::hint::black_box(scorer.score(t));
    });
    let start = Instant::now();
    let predicted: Vec<SentimentLabel> = data.texts.iter().map(|t| scorer.score(t).label).collect();
    let seconds = start.elapsed().as_secs_f64();
    let mut report = compare(&predicted, &data.labels);
    report.scorer = scorer.name().to_string();
    report.lang = scorer.lang().map(str::to_string);
    report.skipped = data.skipped;
    report.posts_per_second = if seconds > 0.0 { predicted.len() as f64 / seconds } else { 0.0 };
    report
}

/// Mean macro-F1 of `folds`-fold cross-validation of [`train`] with
/// `options` on `data`: post `i` is held out in fold `i % folds`, so the
/// figure is reproducible. `extra` posts, weighing `extra_weights` each in
/// the loss (the others weigh 1), join every fold's training set and are
/// never held out (another domain that should help, not be judged). Use it
/// to choose options without touching a validation set.
pub fn cross_validate(
    data: &LabelledTexts,
    extra: &LabelledTexts,
    extra_weights: &[f32],
    options: &TrainOptions,
    folds: usize,
) -> Result<f64, SentimentError> {
    if folds < 2 || folds > data.len() {
        return Err(SentimentError::Training(format!("{folds} folds for {} posts", data.len())));
    }
    let mut total = 0.0;
    for fold in 0..folds {
        let (mut train_set, mut held_out) = (extra.clone(), LabelledTexts::default());
        for (i, (text, label)) in data.texts.iter().zip(&data.labels).enumerate() {
            let part = if i % folds == fold { &mut held_out } else { &mut train_set };
            part.texts.push(text.clone());
            part.labels.push(*label);
        }
        let mut weights = extra_weights.to_vec();
        weights.resize(train_set.len(), 1.0);
        let model = train_with_progress(&train_set.texts, &train_set.labels, Some(&weights), options, &mut |_| {})?;
        total += evaluate(&LearnedScorer::new(model), &held_out).macro_f1;
    }
    Ok(total / folds as f64)
}

/// Accuracy, macro-F1 and per-class figures of `predicted` against `truth`.
pub fn compare(predicted: &[SentimentLabel], truth: &[SentimentLabel]) -> EvalReport {
    // confusion[truth][predicted]
    let mut confusion = [[0usize; 3]; 3];
    for (p, t) in predicted.iter().zip(truth) {
        confusion[label_index(*t)][label_index(*p)] += 1;
    }
    let count = predicted.len().min(truth.len());
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let class = |k: usize| {
        let hits = confusion[k][k];
        let support: usize = confusion[k].iter().sum();
        let given: usize = (0..3).map(|t| confusion[t][k]).sum();
        let (precision, recall) = (ratio(hits, given), ratio(hits, support));
        let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
        ClassReport { precision, recall, f1, support }
    };
    let classes = Classes { negative: class(0), neutral: class(1), positive: class(2) };
    EvalReport {
        scorer: String::new(),
        lang: None,
        count,
        skipped: 0,
        accuracy: ratio((0..3).map(|k| confusion[k][k]).sum(), count),
        macro_f1: (classes.negative.f1 + classes.neutral.f1 + classes.positive.f1) / 3.0,
        classes,
        posts_per_second: 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SentimentLabel::{Negative as N, Neutral as U, Positive as P};

    #[test]
    fn figures_follow_the_confusion_matrix() {
        let truth = [N, N, U, P, P, P];
        let predicted = [N, U, U, P, P, N];
        let r = compare(&predicted, &truth);
        assert_eq!(r.count, 6);
        assert!((r.accuracy - 4.0 / 6.0).abs() < 1e-12);
        assert!((r.classes.negative.precision - 0.5).abs() < 1e-12);
        assert!((r.classes.negative.recall - 0.5).abs() < 1e-12);
        assert!((r.classes.neutral.precision - 0.5).abs() < 1e-12);
        assert!((r.classes.neutral.recall - 1.0).abs() < 1e-12);
        assert!((r.classes.positive.precision - 1.0).abs() < 1e-12);
        assert!((r.classes.positive.recall - 2.0 / 3.0).abs() < 1e-12);
        let f1 = |p: f64, r: f64| 2.0 * p * r / (p + r);
        let expected = (f1(0.5, 0.5) + f1(0.5, 1.0) + f1(1.0, 2.0 / 3.0)) / 3.0;
        assert!((r.macro_f1 - expected).abs() < 1e-12);
    }

    #[test]
    fn a_class_never_predicted_scores_zero_not_nan() {
        let r = compare(&[N, N], &[N, P]);
        assert_eq!(r.classes.positive.f1, 0.0);
        assert_eq!(r.classes.neutral.support, 0);
        assert!(r.macro_f1.is_finite());
    }
}
