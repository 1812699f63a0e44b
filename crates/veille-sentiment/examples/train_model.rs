//! Trains a learned sentiment model and reports how it does on held-out posts.
//!
//! ```text
//! cargo run --release -p veille-sentiment --example train_model -- \
//!     --lang en \
//!     --train ../shared/data/xlmt_sentiment/english/train_text.txt \
//!     --labels ../shared/data/xlmt_sentiment/english/train_labels.txt \
//!     --val ../shared/data/xlmt_sentiment/english/val_text.txt \
//!     --val-labels ../shared/data/xlmt_sentiment/english/val_labels.txt \
//!     --out crates/veille-sentiment/data/models/en.vsm
//! ```
//!
//! `--train`/`--labels` may be given several times (pairs are concatenated);
//! `--airline-csv FILE` adds the airline set to the training examples.
//! `--folds K` first reports the mean macro-F1 of K-fold cross-validation
//! on the `--train` examples (the airline set, when given, trains every
//! fold and is never held out).
//! `--c`, `--lexicon-weight`, `--hash-bits`, `--chars MIN,MAX` and
//! `--words N` override the training options.

use std::path::PathBuf;

use veille_sentiment::dataset::{balanced_weights, read_airline_csv, read_labelled, LabelledTexts};
use veille_sentiment::eval::{cross_validate, evaluate};
use veille_sentiment::{train_with_progress, LearnedScorer, TrainOptions, Vader};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    // The language picks the default options; the other flags override them.
    let lang = argv.iter().position(|a| a == "--lang").and_then(|i| argv.get(i + 1)).map_or("en", String::as_str);
    let mut options = TrainOptions::for_lang(lang);
    let mut args = argv.iter().cloned();
    let (mut train_texts, mut train_labels) = (Vec::new(), Vec::new());
    let (mut val_text, mut val_labels) = (None, None);
    let (mut airline, mut out, mut folds) = (None, None, None);
    let (mut airline_weight, mut extra_sets) = (None, Vec::new());
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--lang" => options.lang = value()?,
            "--train" => train_texts.push(PathBuf::from(value()?)),
            "--labels" => train_labels.push(PathBuf::from(value()?)),
            "--val" => val_text = Some(PathBuf::from(value()?)),
            "--val-labels" => val_labels = Some(PathBuf::from(value()?)),
            "--airline-csv" => airline = Some(PathBuf::from(value()?)),
            "--out" => out = Some(PathBuf::from(value()?)),
            "--folds" => folds = Some(value()?.parse::<usize>()?),
            "--airline-weight" => airline_weight = Some(value()?.parse::<f32>()?),
            "--extra" => {
                let v = value()?;
                let (t, l) = v.split_once(',').ok_or("--extra takes TEXT,LABELS")?;
                extra_sets.push((PathBuf::from(t), PathBuf::from(l)));
            }
            "--c" => options.c = value()?.parse()?,
            "--lexicon-weight" => options.lexicon_weight = value()?.parse()?,
            "--hash-bits" => options.hash_bits = value()?.parse()?,
            "--words" => options.word_ngrams = value()?.parse()?,
            "--negation-scope" => options.negation_scope = value()?.parse()?,
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
    let mut data = LabelledTexts::default();
    for (t, l) in train_texts.iter().zip(&train_labels) {
        let part = read_labelled(t, l)?;
        data.texts.extend(part.texts);
        data.labels.extend(part.labels);
    }
    let (mut extra, mut extra_weights) = (LabelledTexts::default(), Vec::new());
    if let Some(path) = airline {
        let part = read_airline_csv(&path)?;
        eprintln!("airline: {} posts, {} rows skipped", part.len(), part.skipped);
        // Class-balanced, weighing as much as the --train posts unless told otherwise.
        let total = airline_weight.unwrap_or(1.0) * data.len() as f32;
        extra_weights.extend(balanced_weights(&part.labels, total));
        extra.texts.extend(part.texts);
        extra.labels.extend(part.labels);
    }
    for (t, l) in &extra_sets {
        let part = read_labelled(t, l)?;
        let total = airline_weight.unwrap_or(1.0) * data.len() as f32;
        extra_weights.extend(balanced_weights(&part.labels, total));
        extra.texts.extend(part.texts);
        extra.labels.extend(part.labels);
    }
    if let Some(folds) = folds {
        let f1 = cross_validate(&data, &extra, &extra_weights, &options, folds)?;
        println!("{folds}-fold cross-validation macro-F1 {f1:.4}");
    }
    let mut weights = vec![1.0; data.len()];
    weights.extend(extra_weights);
    data.texts.extend(extra.texts);
    data.labels.extend(extra.labels);
    let start = std::time::Instant::now();
    let model = train_with_progress(&data.texts, &data.labels, Some(&weights), &options, &mut |_| {})?;
    eprintln!("trained on {} posts in {:.1}s", data.len(), start.elapsed().as_secs_f64());
    if let Some(path) = &out {
        model.save(path)?;
        eprintln!("wrote {} ({} bytes)", path.display(), model.to_bytes().len());
    }
    if let (Some(t), Some(l)) = (val_text, val_labels) {
        let val = read_labelled(&t, &l)?;
        let learned = evaluate(&LearnedScorer::new(model), &val);
        let vader = evaluate(&Vader::for_lang(&options.lang)?, &val);
        println!("{}", serde_json::to_string_pretty(&learned)?);
        println!("macro-F1 learned {:.4} vs vader {:.4}", learned.macro_f1, vader.macro_f1);
    }
    Ok(())
}
