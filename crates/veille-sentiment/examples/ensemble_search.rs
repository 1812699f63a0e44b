//! Measures by cross-validation whether combining scorers beats one learned
//! model: the probabilities of two learned models blended, and a small
//! meta-classifier stacking a learned model's probabilities with VADER's
//! scores.
//!
//! ```text
//! cargo run --release -p veille-sentiment --example ensemble_search -- \
//!     --train ../shared/data/xlmt_sentiment/english/train_text.txt \
//!     --labels ../shared/data/xlmt_sentiment/english/train_labels.txt \
//!     --train ../shared/data/tweeteval_sentiment/train_text.txt \
//!     --labels ../shared/data/tweeteval_sentiment/train_labels.txt \
//!     --base words= --base chars=chars:3-4 --folds 5 \
//!     --val ../shared/data/xlmt_sentiment/english/val_text.txt \
//!     --val-labels ../shared/data/xlmt_sentiment/english/val_labels.txt
//! ```
//!
//! Each `--base NAME=SPEC` is a learned model with the English default
//! options changed by SPEC, a comma-separated list of `chars:MIN-MAX`,
//! `bits:N`, `words:N`, `c:X`, `nb:ALPHA`, `lexicon:X` (empty for the
//! defaults). Every base model is cross-validated (post `i` held out in
//! fold `i % K`, as `veille train sentiment` does); then each pair of bases
//! is blended (a weighted mean of their log-probabilities) and each base is
//! stacked with VADER (a multinomial logistic regression over its
//! log-probabilities and VADER's compound, positive, neutral and negative
//! scores). A combination's weight or meta-classifier is fitted on the
//! other folds' out-of-fold probabilities only, so its fold figures stay
//! honest. Figures per `--train` set: macro-F1 mean ± spread over the
//! folds, as combined and with class offsets tuned on the other folds; on
//! the validation set, with offsets tuned on all folds. Speed: posts per
//! second on one thread, scoring with every part of the combination. One
//! JSON line per system on standard output.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a example reports a broken setup

use std::path::PathBuf;
use std::time::Instant;

use veille_model::SentimentLabel;
use veille_sentiment::dataset::{label_index, read_labelled, LabelledTexts};
use veille_sentiment::eval::{argmax_all, compare, cross_validate, mean_and_spread, CrossValidation};
use veille_sentiment::{train, LearnedScorer, Polarity, TrainOptions, Vader};

/// Out-of-fold and validation probabilities of one system.
struct System {
    name: String,
    oof: Vec<[f32; 3]>,
    val: Vec<[f32; 3]>,
    bytes: usize,
    posts_per_second: f64,
}

fn options_of(spec: &str) -> Result<TrainOptions, Box<dyn std::error::Error>> {
    let mut options = TrainOptions::for_lang("en");
    for item in spec.split(',').filter(|s| !s.is_empty()) {
        let (key, value) = item.split_once(':').ok_or(format!("{item}: not KEY:VALUE"))?;
        match key {
            "chars" => {
                let (a, b) = value.split_once('-').ok_or("chars:MIN-MAX")?;
                options.char_ngrams = (a.parse()?, b.parse()?);
            }
            "bits" => options.hash_bits = value.parse()?,
            "words" => options.word_ngrams = value.parse()?,
            "c" => options.c = value.parse()?,
            "nb" => options.nb_smoothing = value.parse()?,
            "lexicon" => options.lexicon_weight = value.parse()?,
            other => return Err(format!("unknown option {other}").into()),
        }
    }
    Ok(options)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (mut train_texts, mut train_labels, mut bases) = (Vec::new(), Vec::new(), Vec::new());
    let (mut val_text, mut val_labels, mut folds) = (None, None, 5usize);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--train" => train_texts.push(PathBuf::from(value()?)),
            "--labels" => train_labels.push(PathBuf::from(value()?)),
            "--val" => val_text = Some(PathBuf::from(value()?)),
            "--val-labels" => val_labels = Some(PathBuf::from(value()?)),
            "--folds" => folds = value()?.parse()?,
            "--base" => {
                let v = value()?;
                let (name, spec) = v.split_once('=').ok_or("--base NAME=SPEC")?;
                bases.push((name.to_string(), options_of(spec)?));
            }
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    if train_texts.len() != train_labels.len() || train_texts.is_empty() {
        return Err("give one --labels per --train".into());
    }
    let (Some(val_text), Some(val_labels)) = (val_text, val_labels) else {
        return Err("--val and --val-labels are needed".into());
    };
    let (mut data, mut groups) = (LabelledTexts::default(), Vec::new());
    for (k, (t, l)) in train_texts.iter().zip(&train_labels).enumerate() {
        data.extend_unique(read_labelled(t, l)?);
        groups.resize(data.len(), k);
    }
    let val = read_labelled(&val_text, &val_labels)?;
    eprintln!("{} training posts, {} validation posts", data.len(), val.len());

    let report = |system: &System| report(system, folds, &data.labels, &groups, &val.labels);
    let mut systems = Vec::new();
    let mut scorers = Vec::new();
    for (name, options) in &bases {
        let started = Instant::now();
        let cv = cross_validate(&data, None, &LabelledTexts::default(), &[], options, folds)?;
        let scorer = LearnedScorer::new(train(&data.texts, &data.labels, options)?);
        let system = System {
            name: name.clone(),
            oof: cv.probabilities,
            val: val.texts.iter().map(|t| scorer.probabilities(t)).collect(),
            bytes: scorer.model().to_bytes().len(),
            posts_per_second: rate(&data.texts, &mut |t| scorer.probabilities(t)[0]),
        };
        eprintln!("{name}: {:.0}s", started.elapsed().as_secs_f64());
        report(&system);
        systems.push(system);
        scorers.push(scorer);
    }

    let vader = Vader::english();
    let vader_rate = rate(&data.texts, &mut |t| vader.polarity(t).compound as f32);
    let vader_train: Vec<Polarity> = data.texts.iter().map(|t| vader.polarity(t)).collect();
    let vader_val: Vec<Polarity> = val.texts.iter().map(|t| vader.polarity(t)).collect();
    let combined_rate = |a: f64, b: f64| 1.0 / (1.0 / a + 1.0 / b);

    for a in 0..systems.len() {
        for b in a + 1..systems.len() {
            let (sa, sb) = (&systems[a], &systems[b]);
            let blend = |p: &[[f32; 3]], q: &[[f32; 3]], alpha: f32| -> Vec<[f32; 3]> {
                p.iter()
                    .zip(q)
                    .map(|(p, q)| normalise(std::array::from_fn(|k| alpha * ln(p[k]) + (1.0 - alpha) * ln(q[k]))))
                    .collect()
            };
            let choose = |rows: &[usize]| -> f32 {
                let truth: Vec<SentimentLabel> = rows.iter().map(|&i| data.labels[i]).collect();
                let g: Vec<usize> = rows.iter().map(|&i| groups[i]).collect();
                let grid = (0..=10).map(|k| k as f32 / 10.0);
                let score = |alpha: f32| {
                    let p: Vec<[f32; 3]> = blend(&pick(&sa.oof, rows), &pick(&sb.oof, rows), alpha);
                    tuned_macro_f1(&p, &truth, &g)
                };
                grid.map(|alpha| (alpha, score(alpha)))
                    .fold((1.0, f64::MIN), |best, c| if c.1 > best.1 { c } else { best })
                    .0
            };
            let mut oof = vec![[0.0f32; 3]; data.len()];
            for fold in 0..folds {
                let rest: Vec<usize> = (0..data.len()).filter(|i| i % folds != fold).collect();
                let alpha = choose(&rest);
                for i in (fold..data.len()).step_by(folds) {
                    oof[i] = blend(&[sa.oof[i]], &[sb.oof[i]], alpha)[0];
                }
            }
            let all: Vec<usize> = (0..data.len()).collect();
            let alpha = choose(&all);
            eprintln!("blend {} and {}: weight {alpha} on {}", sa.name, sb.name, sa.name);
            report(&System {
                name: format!("blend {} + {} ({alpha})", sa.name, sb.name),
                oof,
                val: blend(&sa.val, &sb.val, alpha),
                bytes: sa.bytes + sb.bytes,
                posts_per_second: combined_rate(sa.posts_per_second, sb.posts_per_second),
            });
        }
    }

    for system in &systems {
        let inputs = |p: &[[f32; 3]], v: &[Polarity]| -> Vec<[f64; META]> {
            p.iter()
                .zip(v)
                .map(|(p, v)| {
                    [
                        f64::from(ln(p[0])),
                        f64::from(ln(p[1])),
                        f64::from(ln(p[2])),
                        v.compound,
                        v.positive,
                        v.neutral,
                        v.negative,
                    ]
                })
                .collect()
        };
        let x = inputs(&system.oof, &vader_train);
        let y: Vec<usize> = data.labels.iter().map(|l| label_index(*l)).collect();
        let fit_on = |rows: &[usize]| Meta::fit(&pick(&x, rows), &pick(&y, rows));
        let mut oof = vec![[0.0f32; 3]; data.len()];
        for fold in 0..folds {
            let rest: Vec<usize> = (0..data.len()).filter(|i| i % folds != fold).collect();
            let meta = fit_on(&rest);
            for i in (fold..data.len()).step_by(folds) {
                oof[i] = meta.probabilities(&x[i]);
            }
        }
        let meta = fit_on(&(0..data.len()).collect::<Vec<_>>());
        report(&System {
            name: format!("stack {} + vader", system.name),
            oof,
            val: inputs(&system.val, &vader_val).iter().map(|x| meta.probabilities(x)).collect(),
            bytes: system.bytes,
            posts_per_second: combined_rate(system.posts_per_second, vader_rate),
        });
    }
    Ok(())
}

fn ln(p: f32) -> f32 {
    p.max(1e-4).ln()
}

/// Softmax of log-scores.
fn normalise(z: [f32; 3]) -> [f32; 3] {
    let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let e = z.map(|v| (v - max).exp());
    let sum: f32 = e.iter().sum();
    e.map(|v| v / sum)
}

fn pick<T: Copy>(values: &[T], rows: &[usize]) -> Vec<T> {
    rows.iter().map(|&i| values[i]).collect()
}

/// Mean over groups of macro-F1 with class offsets tuned on the same posts.
fn tuned_macro_f1(p: &[[f32; 3]], truth: &[SentimentLabel], groups: &[usize]) -> f64 {
    let offsets = veille_sentiment::eval::tune_class_offsets(p, truth, groups);
    let labels = argmax_all(p, offsets);
    let count = groups.iter().max().map_or(0, |g| g + 1);
    (0..count)
        .map(|g| {
            let (mut l, mut t) = (Vec::new(), Vec::new());
            for ((label, truth), _) in labels.iter().zip(truth).zip(groups).filter(|(_, gi)| **gi == g) {
                l.push(*label);
                t.push(*truth);
            }
            compare(&l, &t).macro_f1
        })
        .sum::<f64>()
        / count.max(1) as f64
}

fn report(system: &System, folds: usize, labels: &[SentimentLabel], groups: &[usize], val: &[SentimentLabel]) {
    let cv = CrossValidation { folds, probabilities: system.oof.clone(), models: Vec::new() };
    let sets: Vec<serde_json::Value> = cv
        .figures(labels, groups)
        .iter()
        .map(|f| {
            let (mean, spread) = mean_and_spread(&f.as_trained);
            let (tuned, tuned_spread) = mean_and_spread(&f.offsets_tuned);
            serde_json::json!({ "mean": mean, "spread": spread, "tuned_mean": tuned, "tuned_spread": tuned_spread })
        })
        .collect();
    let offsets = cv.class_offsets(labels, groups);
    let val_f1 = compare(&argmax_all(&system.val, offsets), val).macro_f1;
    let raw_f1 = compare(&argmax_all(&system.val, [0.0; 3]), val).macro_f1;
    let line = serde_json::json!({
        "name": system.name, "cv": sets, "offsets": offsets, "val": val_f1, "val_without_offsets": raw_f1,
        "bytes": system.bytes, "posts_per_second": system.posts_per_second,
    });
    println!("{line}");
}

/// Inputs of the meta-classifier.
const META: usize = 7;

/// A multinomial logistic regression over a few dense inputs.
struct Meta {
    /// Mean and standard deviation of each input on the fitted rows.
    scale: [(f64, f64); META],
    /// `weights[class]`: one weight per standardised input, then the bias.
    weights: [[f64; META + 1]; 3],
}

impl Meta {
    /// Fits by gradient descent, classes weighing alike, with a light L2
    /// penalty.
    fn fit(x: &[[f64; META]], y: &[usize]) -> Meta {
        let mut counts = [0.0f64; 3];
        y.iter().for_each(|&k| counts[k] += 1.0);
        let class_weight = counts.map(|c| if c > 0.0 { x.len() as f64 / (3.0 * c) } else { 0.0 });
        let n = x.len().max(1) as f64;
        let scale = std::array::from_fn(|j| {
            let mean = x.iter().map(|r| r[j]).sum::<f64>() / n;
            let var = x.iter().map(|r| (r[j] - mean) * (r[j] - mean)).sum::<f64>() / n;
            (mean, var.sqrt().max(1e-9))
        });
        let mut meta = Meta { scale, weights: [[0.0; META + 1]; 3] };
        let x: Vec<[f64; META]> = x.iter().map(|r| meta.standardise(r)).collect();
        for _ in 0..1000 {
            let mut grad = [[0.0f64; META + 1]; 3];
            for (row, &label) in x.iter().zip(y) {
                let p = meta.standardised_probabilities(row);
                for k in 0..3 {
                    let d = class_weight[label] * (f64::from(p[k]) - f64::from(u8::from(k == label)));
                    for j in 0..META {
                        grad[k][j] += d * row[j];
                    }
                    grad[k][META] += d;
                }
            }
            for (weights, grad) in meta.weights.iter_mut().zip(&grad) {
                for (j, (w, g)) in weights.iter_mut().zip(grad).enumerate() {
                    let penalty = if j < META { 1e-3 * *w } else { 0.0 };
                    *w -= 0.5 * (g / n + penalty);
                }
            }
        }
        meta
    }

    fn standardise(&self, row: &[f64; META]) -> [f64; META] {
        std::array::from_fn(|j| (row[j] - self.scale[j].0) / self.scale[j].1)
    }

    fn probabilities(&self, row: &[f64; META]) -> [f32; 3] {
        self.standardised_probabilities(&self.standardise(row))
    }

    fn standardised_probabilities(&self, row: &[f64; META]) -> [f32; 3] {
        let z: [f32; 3] = std::array::from_fn(|k| {
            let w = &self.weights[k];
            (row.iter().zip(w).map(|(x, w)| x * w).sum::<f64>() + w[META]) as f32
        });
        normalise(z)
    }
}

/// Posts per second on one thread, best of three passes over `texts`.
fn rate(texts: &[String], score: &mut dyn FnMut(&str) -> f32) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        for t in texts {
            std::hint::black_box(score(std::hint::black_box(t)));
        }
        best = best.min(start.elapsed().as_secs_f64());
    }
    texts.len() as f64 / best
}
