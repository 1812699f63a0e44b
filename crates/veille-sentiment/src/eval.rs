//! Evaluation of a scorer against human labels.

use std::time::Instant;

use serde::Serialize;
use veille_model::SentimentLabel;

use crate::dataset::{label_index, LabelledTexts};
use crate::error::SentimentError;
use crate::learned::{train_with_progress, LearnedScorer, Model, TrainOptions};
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

/// The out-of-fold class probabilities of K-fold cross-validation, from
/// which fold figures and class offsets are read.
#[derive(Debug, Clone, PartialEq)]
pub struct CrossValidation {
    /// Number of folds: post `i` was held out in fold `i % folds`.
    pub folds: usize,
    /// Class probabilities (negative, neutral, positive) of each post,
    /// from the model that did not see it.
    pub probabilities: Vec<[f32; 3]>,
    /// The model of each fold (fold `k` did not see the posts it held out).
    pub models: Vec<Model>,
}

/// Cross-validated macro-F1 of one group of posts, fold by fold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FoldFigures {
    /// Macro-F1 of the group's posts in each fold, as trained.
    pub as_trained: Vec<f64>,
    /// The same with class offsets tuned on the other folds only (see
    /// [`tune_class_offsets`]), so that the figure stays honest.
    pub offsets_tuned: Vec<f64>,
}

/// Mean and (population) standard deviation of `values`.
pub fn mean_and_spread(values: &[f64]) -> (f64, f64) {
    if values.is_empty() {
        return (0.0, 0.0);
    }
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / values.len() as f64;
    (mean, var.sqrt())
}

/// `folds`-fold cross-validation of [`train`](crate::train) with `options`
/// on `data`: post `i` is held out in fold `i % folds`, so the figures are
/// reproducible. Training posts weigh `weights` (1 each when `None`).
/// `extra` posts, weighing `extra_weights` each, join every fold's
/// training set and are never held out (another domain that should help,
/// not be judged). Use it to choose options without touching a validation
/// set.
pub fn cross_validate(
    data: &LabelledTexts,
    weights: Option<&[f32]>,
    extra: &LabelledTexts,
    extra_weights: &[f32],
    options: &TrainOptions,
    folds: usize,
) -> Result<CrossValidation, SentimentError> {
    if folds < 2 || folds > data.len() {
        return Err(SentimentError::Training(format!("{folds} folds for {} posts", data.len())));
    }
    if weights.is_some_and(|w| w.len() != data.len()) || extra_weights.len() != extra.len() {
        return Err(SentimentError::Training("give one weight per post".into()));
    }
    let mut probabilities = vec![[0.0f32; 3]; data.len()];
    let mut models = Vec::with_capacity(folds);
    for fold in 0..folds {
        let mut train_set = extra.clone();
        let mut train_weights = extra_weights.to_vec();
        for (i, (text, label)) in data.texts.iter().zip(&data.labels).enumerate() {
            if i % folds != fold {
                train_set.texts.push(text.clone());
                train_set.labels.push(*label);
                train_weights.push(weights.map_or(1.0, |w| w[i]));
            }
        }
        let model =
            train_with_progress(&train_set.texts, &train_set.labels, Some(&train_weights), options, &mut |_| {})?;
        let scorer = LearnedScorer::new(model);
        for i in (fold..data.len()).step_by(folds) {
            probabilities[i] = scorer.probabilities(&data.texts[i]);
        }
        models.push(scorer.model().clone());
    }
    Ok(CrossValidation { folds, probabilities, models })
}

impl CrossValidation {
    /// Fold figures of each group of posts (`groups[i]` is the group of
    /// post `i`, from 0; `labels` are the posts' labels). Offsets are tuned
    /// for the mean macro-F1 of the groups, as [`CrossValidation::class_offsets`] does.
    pub fn figures(&self, labels: &[SentimentLabel], groups: &[usize]) -> Vec<FoldFigures> {
        let count = groups.iter().max().map_or(0, |g| g + 1);
        let mut out = vec![FoldFigures { as_trained: Vec::new(), offsets_tuned: Vec::new() }; count];
        for fold in 0..self.folds {
            let (held, rest): (Vec<usize>, Vec<usize>) = (0..labels.len()).partition(|i| i % self.folds == fold);
            let pick = |idx: &[usize]| -> (Vec<[f32; 3]>, Vec<SentimentLabel>, Vec<usize>) {
                (
                    idx.iter().map(|&i| self.probabilities[i]).collect(),
                    idx.iter().map(|&i| labels[i]).collect(),
                    idx.iter().map(|&i| groups[i]).collect(),
                )
            };
            let (rp, rl, rg) = pick(&rest);
            let offsets = tune_class_offsets(&rp, &rl, &rg);
            let (hp, hl, hg) = pick(&held);
            for (g, figures) in out.iter_mut().enumerate() {
                let of_group = |offsets: [f32; 3]| {
                    let (mut p, mut l) = (Vec::new(), Vec::new());
                    for ((prob, label), _) in hp.iter().zip(&hl).zip(&hg).filter(|(_, gi)| **gi == g) {
                        p.push(*prob);
                        l.push(*label);
                    }
                    compare(&argmax_all(&p, offsets), &l).macro_f1
                };
                figures.as_trained.push(of_group([0.0; 3]));
                figures.offsets_tuned.push(of_group(offsets));
            }
        }
        out
    }

    /// The class offsets each fold's figures were tuned with: those that
    /// maximise the groups' mean macro-F1 on the other folds' posts.
    pub fn fold_offsets(&self, labels: &[SentimentLabel], groups: &[usize]) -> Vec<[f32; 3]> {
        (0..self.folds)
            .map(|fold| {
                let rest: Vec<usize> = (0..labels.len()).filter(|i| i % self.folds != fold).collect();
                let p: Vec<[f32; 3]> = rest.iter().map(|&i| self.probabilities[i]).collect();
                let l: Vec<SentimentLabel> = rest.iter().map(|&i| labels[i]).collect();
                let g: Vec<usize> = rest.iter().map(|&i| groups[i]).collect();
                tune_class_offsets(&p, &l, &g)
            })
            .collect()
    }

    /// Class offsets tuned on all out-of-fold probabilities for the mean
    /// macro-F1 of the groups of posts (see [`tune_class_offsets`]).
    pub fn class_offsets(&self, labels: &[SentimentLabel], groups: &[usize]) -> [f32; 3] {
        tune_class_offsets(&self.probabilities, labels, groups)
    }
}

/// The label of each probability triple once `offsets` are added to the
/// log-probabilities.
pub fn argmax_all(probabilities: &[[f32; 3]], offsets: [f32; 3]) -> Vec<SentimentLabel> {
    probabilities
        .iter()
        .map(|p| {
            let z: [f32; 3] = std::array::from_fn(|k| p[k].max(1e-30).ln() + offsets[k]);
            let best = (0..3).max_by(|&a, &b| z[a].total_cmp(&z[b])).unwrap_or(1);
            crate::dataset::label_of_index(best).unwrap_or(SentimentLabel::Neutral)
        })
        .collect()
}

/// The offsets to add to the log-probabilities of the negative and
/// positive classes (the neutral one stays at 0) that maximise the mean,
/// over the groups of posts (`groups[i]` is the group of post `i`), of the
/// macro-F1 of `probabilities` against `truth`: searched on a grid of
/// steps of 0.05 within ±1.5, ties going to the smaller shift.
///
/// Shifting the decision this way shifts the class priors. Tuned on
/// held-out probabilities, it makes up for training classes that are not
/// balanced like the posts to be scored, and for macro-F1 rewarding the
/// rarer classes. Groups let sets of different class balance (a balanced
/// benchmark, a natural sample) count alike, whatever their sizes.
pub fn tune_class_offsets(probabilities: &[[f32; 3]], truth: &[SentimentLabel], groups: &[usize]) -> [f32; 3] {
    let logs: Vec<[f32; 3]> = probabilities.iter().map(|p| p.map(|v| v.max(1e-30).ln())).collect();
    let truth: Vec<usize> = truth.iter().map(|l| label_index(*l)).collect();
    let count = groups.iter().max().map_or(0, |g| g + 1);
    let grid: Vec<f32> = (-30..=30).map(|k| k as f32 * 0.05).collect();
    let mut best = ([0.0f32; 3], f64::NEG_INFINITY);
    let mut confusion = vec![[[0.0f64; 3]; 3]; count];
    for &neg in &grid {
        for &pos in &grid {
            let offsets = [neg, 0.0, pos];
            confusion.iter_mut().for_each(|c| *c = [[0.0; 3]; 3]);
            for ((z, &t), &g) in logs.iter().zip(&truth).zip(groups) {
                let s: [f32; 3] = std::array::from_fn(|k| z[k] + offsets[k]);
                let p = if s[0] >= s[1] && s[0] >= s[2] {
                    0
                } else if s[1] >= s[2] {
                    1
                } else {
                    2
                };
                confusion[g][t][p] += 1.0;
            }
            let f1 = confusion.iter().map(macro_f1_of).sum::<f64>() / count.max(1) as f64;
            let shift = |o: &[f32; 3]| o[0].abs() + o[2].abs();
            if f1 > best.1 + 1e-12 || ((f1 - best.1).abs() <= 1e-12 && shift(&offsets) < shift(&best.0)) {
                best = (offsets, f1);
            }
        }
    }
    best.0
}

fn macro_f1_of(confusion: &[[f64; 3]; 3]) -> f64 {
    (0..3)
        .map(|k| {
            let hits = confusion[k][k];
            let support: f64 = confusion[k].iter().sum();
            let given: f64 = (0..3).map(|t| confusion[t][k]).sum();
            if hits <= 0.0 {
                0.0
            } else {
                2.0 * hits / (support + given)
            }
        })
        .sum::<f64>()
        / 3.0
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
    fn tuned_offsets_recover_a_shifted_prior() {
        // The model under-calls the positive class: a positive offset fixes it.
        let probabilities = [[0.1, 0.6, 0.3], [0.1, 0.55, 0.35], [0.7, 0.2, 0.1], [0.1, 0.8, 0.1]];
        let truth = [P, P, N, U];
        assert_eq!(argmax_all(&probabilities, [0.0; 3]), [U, U, N, U]);
        let offsets = tune_class_offsets(&probabilities, &truth, &[0; 4]);
        assert_eq!(argmax_all(&probabilities, offsets), truth);
        assert_eq!(argmax_all(&probabilities, [0.0; 3]), [U, U, N, U], "no side effect");
    }

    #[test]
    fn a_class_never_predicted_scores_zero_not_nan() {
        let r = compare(&[N, N], &[N, P]);
        assert_eq!(r.classes.positive.f1, 0.0);
        assert_eq!(r.classes.neutral.support, 0);
        assert!(r.macro_f1.is_finite());
    }
}
