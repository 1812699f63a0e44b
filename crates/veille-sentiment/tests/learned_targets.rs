//! The learned scorers beat VADER on the xlmt validation sets, trained on
//! the training sets only.
//!
//! Targets: English ≥ 0.685 (VADER 0.605 + 8 points), French ≥ 0.601
//! (VADER-FR 0.521 + 8 points), and the shipped French model keeps the
//! 0.658 it scored when English was retrained. French is checked retrained
//! and as shipped; the shipped English model, trained on xlmt, TweetEval and
//! VADER's rated review snippets (too many posts to retrain in a test), as
//! shipped.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

use std::path::Path;

use veille_sentiment::dataset::read_labelled;
use veille_sentiment::eval::evaluate;
use veille_sentiment::{train, LearnedScorer, Model, TrainOptions, Vader};

fn check(data: &Path, folder: &str, lang: &str, target: f64) {
    let dir = data.join("xlmt_sentiment").join(folder);
    let train_set = read_labelled(&dir.join("train_text.txt"), &dir.join("train_labels.txt")).expect("train files");
    let val = read_labelled(&dir.join("val_text.txt"), &dir.join("val_labels.txt")).expect("val files");
    let model = train(&train_set.texts, &train_set.labels, &TrainOptions::for_lang(lang)).expect("training");
    let learned = evaluate(&LearnedScorer::new(model.clone()), &val);
    let vader = evaluate(&Vader::for_lang(lang).expect("vader"), &val);
    println!(
        "xlmt {folder} val ({} posts): learned accuracy {:.4} macro-F1 {:.4}; \
         vader accuracy {:.4} macro-F1 {:.4}",
        val.len(),
        learned.accuracy,
        learned.macro_f1,
        vader.accuracy,
        vader.macro_f1
    );
    assert!(learned.macro_f1 >= target, "{folder}: macro-F1 {} below {target}", learned.macro_f1);
    let shipped = evaluate(&LearnedScorer::new(Model::builtin(lang).expect("shipped model")), &val);
    println!("xlmt {folder} val: shipped {lang} model macro-F1 {:.4}", shipped.macro_f1);
    assert!(shipped.macro_f1 >= target, "shipped {lang} model: {}", shipped.macro_f1);
}

#[test]
fn the_shipped_english_model_beats_vader_by_eight_points() {
    let Some(data) = common::shared_data() else {
        return;
    };
    let dir = data.join("xlmt_sentiment/english");
    let val = read_labelled(&dir.join("val_text.txt"), &dir.join("val_labels.txt")).expect("val files");
    let shipped = evaluate(&LearnedScorer::new(Model::builtin("en").expect("shipped model")), &val);
    let vader = evaluate(&Vader::english(), &val);
    println!("xlmt english val: shipped model macro-F1 {:.4}, vader {:.4}", shipped.macro_f1, vader.macro_f1);
    assert!(shipped.macro_f1 >= 0.685, "{} against VADER {}", shipped.macro_f1, vader.macro_f1);
}

#[test]
fn french_learned_scorer_beats_vader_by_eight_points() {
    let Some(data) = common::shared_data() else {
        return;
    };
    check(&data, "french", "fr", 0.601);
    let dir = data.join("xlmt_sentiment/french");
    let val = read_labelled(&dir.join("val_text.txt"), &dir.join("val_labels.txt")).expect("val files");
    let shipped = evaluate(&LearnedScorer::new(Model::builtin("fr").expect("shipped model")), &val);
    // 0.6579: the 0.658 of the figures, which give three decimals.
    assert!((shipped.macro_f1 * 1000.0).round() >= 658.0, "shipped French model: {}", shipped.macro_f1);
}
