//! Trains a learned sentiment model, measures it by cross-validation on its
//! training posts, and reports how it does on held-out posts.
//!
//! ```text
//! cargo run --release -p veille-sentiment --example train_model -- \
//!     --lang en \
//!     --train ../shared/data/xlmt_sentiment/english/train_text.txt \
//!     --labels ../shared/data/xlmt_sentiment/english/train_labels.txt \
//!     --train ../shared/data/tweeteval_sentiment/train_text.txt \
//!     --labels ../shared/data/tweeteval_sentiment/train_labels.txt \
//!     --folds 5 --tune-offsets \
//!     --val ../shared/data/xlmt_sentiment/english/val_text.txt \
//!     --val-labels ../shared/data/xlmt_sentiment/english/val_labels.txt \
//!     --out crates/veille-sentiment/data/models/en.vsm
//! ```
//!
//! `--train`/`--labels` may be given several times: the sets are joined and
//! a post already read is left out (the same tweet packaged twice).
//! `--airline-csv FILE` adds the airline set to every training set, classes
//! balanced and weighing `--airline-weight` times the `--train` posts; it is
//! never held out. `--rated FILE` (repeatable) adds posts rated by people
//! (`id TAB rating TAB text`, VADER's ground truth), labelled by their mean
//! rating with a neutral band of `--rated-band` (default 1) and weighing
//! `--rated-weight` (default 0.25) times the `--train` posts, classes
//! balanced, never held out. `--folds K` runs K-fold cross-validation on the `--train`
//! posts and prints the mean and spread of the folds' macro-F1 for the
//! posts of each `--train` file, as trained and with class offsets tuned on
//! the other folds; `--tune-offsets` then tunes the final model's class
//! offsets on all out-of-fold probabilities, for the mean macro-F1 of the
//! `--train` files (`--tune-on K`: for the macro-F1 of the K-th `--train`
//! file alone, from 0, whose fold figures with offsets tuned on its own
//! posts of the other folds are then printed too). `--balanced` weighs the `--train` posts so that their classes weigh alike;
//! `--balance-classes` does it inside training, over every training post
//! (`TrainOptions::balance_classes`). `--c`,
//! `--lexicon-weight`, `--hash-bits`, `--chars MIN,MAX`, `--words N`,
//! `--negation-scope N`, `--hashtag-words`, `--bins N` and `--nb ALPHA`
//! (naive-Bayes scaling, `TrainOptions::nb_smoothing`) override the
//! training options. `--probe-airline FILE` scores the airline set, never
//! trained on, with each fold's model: how the options carry over to
//! another domain. The last line printed is a JSON summary.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a example reports a broken setup

use std::path::PathBuf;
use std::time::Instant;

use veille_sentiment::dataset::{
    balanced_weights, label_index, read_airline_csv, read_labelled, read_rated, LabelledTexts,
};
use veille_sentiment::eval::{argmax_all, compare, cross_validate, evaluate, mean_and_spread, tune_class_offsets};
use veille_sentiment::{train_with_progress, LearnedScorer, Scorer, TrainOptions, Vader};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    // The language picks the default options; the other flags override them.
    let lang = argv.iter().position(|a| a == "--lang").and_then(|i| argv.get(i + 1)).map_or("en", String::as_str);
    let mut options = TrainOptions::for_lang(lang);
    let mut args = argv.iter().cloned();
    let (mut train_texts, mut train_labels) = (Vec::new(), Vec::new());
    let (mut val_text, mut val_labels) = (None, None);
    let (mut airline, mut out, mut folds, mut probe) = (None, None, None, None);
    let (mut airline_weight, mut tune_offsets, mut balanced, mut name) = (1.0f32, false, false, String::new());
    let mut balance_all = false;
    let mut tune_on: Option<usize> = None;
    let (mut rated, mut rated_band, mut rated_weight) = (Vec::new(), 1.0f64, 0.25f32);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--lang" => options.lang = value()?,
            "--name" => name = value()?,
            "--train" => train_texts.push(PathBuf::from(value()?)),
            "--labels" => train_labels.push(PathBuf::from(value()?)),
            "--val" => val_text = Some(PathBuf::from(value()?)),
            "--val-labels" => val_labels = Some(PathBuf::from(value()?)),
            "--airline-csv" => airline = Some(PathBuf::from(value()?)),
            "--airline-weight" => airline_weight = value()?.parse()?,
            "--rated" => rated.push(PathBuf::from(value()?)),
            "--rated-band" => rated_band = value()?.parse()?,
            "--rated-weight" => rated_weight = value()?.parse()?,
            "--probe-airline" => probe = Some(read_airline_csv(&PathBuf::from(value()?))?),
            "--out" => out = Some(PathBuf::from(value()?)),
            "--folds" => folds = Some(value()?.parse::<usize>()?),
            "--tune-offsets" => tune_offsets = true,
            "--tune-on" => tune_on = Some(value()?.parse()?),
            "--balanced" => balanced = true,
            "--balance-classes" => balance_all = true,
            "--c" => options.c = value()?.parse()?,
            "--lexicon-weight" => options.lexicon_weight = value()?.parse()?,
            "--hash-bits" => options.hash_bits = value()?.parse()?,
            "--words" => options.word_ngrams = value()?.parse()?,
            "--negation-scope" => options.negation_scope = value()?.parse()?,
            "--hashtag-words" => options.hashtag_words = true,
            "--bins" => options.lexicon_bins = value()?.parse()?,
            "--max-iterations" => options.max_iterations = value()?.parse()?,
            "--nb" => options.nb_smoothing = value()?.parse()?,
            "--chars" => {
                let v = value()?;
                let (a, b) = v.split_once(',').ok_or("--chars takes MIN,MAX")?;
                options.char_ngrams = (a.parse()?, b.parse()?);
            }
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    if train_texts.len() != train_labels.len() {
        return Err("give one --labels per --train".into());
    }
    let (mut data, mut groups) = (LabelledTexts::default(), Vec::new());
    for (k, (t, l)) in train_texts.iter().zip(&train_labels).enumerate() {
        let duplicates = data.extend_unique(read_labelled(t, l)?);
        groups.resize(data.len(), k);
        eprintln!("{}: {duplicates} posts already read left out", t.display());
    }
    eprintln!("{} training posts", data.len());
    let weights: Vec<f32> =
        if balanced { balanced_weights(&data.labels, data.len() as f32) } else { vec![1.0; data.len()] };
    options.balance_classes |= balance_all;
    let (mut extra, mut extra_weights) = (LabelledTexts::default(), Vec::new());
    if let Some(path) = airline {
        let part = read_airline_csv(&path)?;
        eprintln!("airline: {} posts, {} rows skipped", part.len(), part.skipped);
        // Class-balanced, weighing `airline_weight` times the --train posts.
        extra_weights.extend(balanced_weights(&part.labels, airline_weight * data.len() as f32));
        extra.texts.extend(part.texts);
        extra.labels.extend(part.labels);
    }
    for path in &rated {
        let part = read_rated(path, rated_band)?;
        let mut given = [0usize; 3];
        part.labels.iter().for_each(|l| given[label_index(*l)] += 1);
        eprintln!("{}: {} rated posts (neg, neu, pos): {given:?}", path.display(), part.len());
        // Class-balanced, weighing `rated_weight` times the --train posts.
        extra_weights.extend(balanced_weights(&part.labels, rated_weight * data.len() as f32));
        extra.texts.extend(part.texts);
        extra.labels.extend(part.labels);
    }

    let mut summary = serde_json::json!({ "name": name, "posts": data.len(), "options": format!("{options:?}") });
    if let Some(folds) = folds {
        let started = Instant::now();
        let cv = cross_validate(&data, Some(&weights), &extra, &extra_weights, &options, folds)?;
        let mut cv_summary = Vec::new();
        for (k, figures) in cv.figures(&data.labels, &groups).iter().enumerate() {
            let (mean, spread) = mean_and_spread(&figures.as_trained);
            let (tuned, tuned_spread) = mean_and_spread(&figures.offsets_tuned);
            eprintln!(
                "cv macro-F1 of {}: {mean:.4} ± {spread:.4} as trained, {tuned:.4} ± {tuned_spread:.4} with offsets tuned",
                train_texts[k].display()
            );
            cv_summary.push(serde_json::json!({
                "set": train_texts[k].display().to_string(),
                "mean": mean, "spread": spread, "tuned_mean": tuned, "tuned_spread": tuned_spread,
                "folds": figures.as_trained, "tuned_folds": figures.offsets_tuned,
            }));
        }
        if let Some(probe) = &probe {
            // Another domain, never trained on: how each fold's model carries over.
            let offsets = cv.fold_offsets(&data.labels, &groups);
            let (mut plain, mut tuned) = (Vec::new(), Vec::new());
            for (model, offsets) in cv.models.iter().zip(offsets) {
                let scorer = LearnedScorer::new(model.clone());
                let p: Vec<[f32; 3]> = probe.texts.iter().map(|t| scorer.probabilities(t)).collect();
                plain.push(compare(&argmax_all(&p, [0.0; 3]), &probe.labels).macro_f1);
                tuned.push(compare(&argmax_all(&p, offsets), &probe.labels).macro_f1);
            }
            let (mean, spread) = mean_and_spread(&plain);
            let (tuned_mean, tuned_spread) = mean_and_spread(&tuned);
            eprintln!("probe macro-F1: {mean:.4} ± {spread:.4} as trained, {tuned_mean:.4} ± {tuned_spread:.4} with offsets tuned");
            cv_summary.push(serde_json::json!({
                "set": "probe", "mean": mean, "spread": spread, "tuned_mean": tuned_mean, "tuned_spread": tuned_spread,
                "folds": plain, "tuned_folds": tuned,
            }));
        }
        summary["cv"] = serde_json::json!(cv_summary);
        summary["cv_seconds"] = serde_json::json!(started.elapsed().as_secs_f64());
        if let Some(k) = tune_on {
            let (mean, spread, offsets) = tuned_on_one_set(&cv, &data.labels, &groups, k);
            eprintln!(
                "cv macro-F1 of {} with offsets tuned on its own posts: {mean:.4} ± {spread:.4}",
                train_texts.get(k).map_or(String::new(), |p| p.display().to_string())
            );
            summary["tuned_on_one_set"] = serde_json::json!({ "set": k, "mean": mean, "spread": spread });
            if tune_offsets {
                options.class_offsets = offsets;
                eprintln!("class offsets {:?}", options.class_offsets);
                summary["class_offsets"] = serde_json::json!(options.class_offsets);
            }
        } else if tune_offsets {
            options.class_offsets = cv.class_offsets(&data.labels, &groups);
            eprintln!("class offsets {:?}", options.class_offsets);
            summary["class_offsets"] = serde_json::json!(options.class_offsets);
        }
    }
    let mut all_weights = weights.clone();
    all_weights.extend(extra_weights);
    let mut all = data.clone();
    all.texts.extend(extra.texts);
    all.labels.extend(extra.labels);
    let start = Instant::now();
    let model = train_with_progress(&all.texts, &all.labels, Some(&all_weights), &options, &mut |_| {})?;
    eprintln!("trained on {} posts in {:.1}s", all.len(), start.elapsed().as_secs_f64());
    summary["bytes"] = serde_json::json!(model.to_bytes().len());
    if let Some(path) = &out {
        model.save(path)?;
        eprintln!("wrote {} ({} bytes)", path.display(), model.to_bytes().len());
    }
    let scorer = LearnedScorer::new(model);
    summary["posts_per_second"] = serde_json::json!(rate(&scorer, &data.texts));
    if let (Some(t), Some(l)) = (val_text, val_labels) {
        let val = read_labelled(&t, &l)?;
        let learned = evaluate(&scorer, &val);
        let vader = evaluate(&Vader::for_lang(&options.lang)?, &val);
        // The same model without its class offsets, to see what they do.
        let p: Vec<[f32; 3]> = val.texts.iter().map(|t| scorer.probabilities(t)).collect();
        let raw = argmax_all(&p, options.class_offsets.map(|o| -o));
        let raw_f1 = compare(&raw, &val.labels).macro_f1;
        eprintln!(
            "val macro-F1 learned {:.4} (without offsets {raw_f1:.4}) vs vader {:.4}",
            learned.macro_f1, vader.macro_f1
        );
        let mut given = [0usize; 3];
        raw.iter().for_each(|l| given[label_index(*l)] += 1);
        eprintln!("val labels given without offsets (neg, neu, pos): {given:?}; {:?}", learned.classes);
        summary["val"] = serde_json::json!({
            "macro_f1": learned.macro_f1,
            "macro_f1_without_offsets": raw_f1,
            "accuracy": learned.accuracy,
            "vader_macro_f1": vader.macro_f1,
        });
    }
    println!("{summary}");
    Ok(())
}

/// Posts per second on one thread, best of three passes over `texts`.
fn rate(scorer: &dyn Scorer, texts: &[String]) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        for t in texts {
            std::hint::black_box(scorer.score(std::hint::black_box(t)));
        }
        best = best.min(start.elapsed().as_secs_f64());
    }
    texts.len() as f64 / best
}

/// Fold figures of the posts of group `k` with class offsets tuned on group `k`'s posts of the
/// other folds (mean, spread), and the offsets tuned on all of group `k`'s out-of-fold posts.
fn tuned_on_one_set(
    cv: &veille_sentiment::eval::CrossValidation,
    labels: &[veille_model::SentimentLabel],
    groups: &[usize],
    k: usize,
) -> (f64, f64, [f32; 3]) {
    let of = |keep: &dyn Fn(usize) -> bool| -> (Vec<[f32; 3]>, Vec<veille_model::SentimentLabel>) {
        (0..labels.len()).filter(|&i| groups[i] == k && keep(i)).map(|i| (cv.probabilities[i], labels[i])).unzip()
    };
    let mut figures = Vec::new();
    for fold in 0..cv.folds {
        let (rp, rl) = of(&|i| i % cv.folds != fold);
        let offsets = tune_class_offsets(&rp, &rl, &vec![0; rl.len()]);
        let (hp, hl) = of(&|i| i % cv.folds == fold);
        figures.push(compare(&argmax_all(&hp, offsets), &hl).macro_f1);
    }
    let (mean, spread) = mean_and_spread(&figures);
    let (p, l) = of(&|_| true);
    (mean, spread, tune_class_offsets(&p, &l, &vec![0; l.len()]))
}
