//! `veille train`: fit veille's learned models on labelled data.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Result};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use veille_sentiment::dataset::{balanced_weights, LabelledTexts};
use veille_sentiment::eval::evaluate;
use veille_sentiment::{train_with_progress, LearnedScorer, TrainOptions};

use super::eval::{read_airline_posts, read_labelled_posts};

#[derive(Debug, Subcommand)]
pub(crate) enum TrainCommand {
    /// Train a learned sentiment model on labelled posts and write it to a model file; prints a JSON summary.
    Sentiment(TrainSentimentArgs),
}

#[derive(Debug, Args)]
pub(crate) struct TrainSentimentArgs {
    /// Posts, one per line; repeat with one --labels each to train on several files.
    #[arg(long = "train", value_name = "FILE")]
    train: Vec<PathBuf>,
    /// Labels, one per line of the matching --train: 0 negative, 1 neutral, 2 positive.
    #[arg(long, value_name = "FILE")]
    labels: Vec<PathBuf>,
    /// Also train on the Twitter US airline CSV (`text` and `airline_sentiment` columns).
    #[arg(long, value_name = "FILE")]
    airline_csv: Option<PathBuf>,
    /// Weight of the airline set relative to the --train posts; its classes are balanced so that its
    /// skew to negative posts does not shift the model's priors. With no --train, each airline post
    /// weighs 1.
    #[arg(long, default_value_t = 1.0)]
    airline_weight: f32,
    /// Language of the posts (ISO 639-1); en and fr add the VADER lexicon cues.
    #[arg(long)]
    lang: String,
    /// Where to write the model.
    #[arg(long, value_name = "MODEL")]
    out: PathBuf,
    /// Inverse regularisation strength (default: the shipped models' setting for the language).
    #[arg(long)]
    c: Option<f64>,
    /// Scale of the lexicon features (default: the shipped models' setting).
    #[arg(long)]
    lexicon_weight: Option<f32>,
    /// log2 of the number of hash buckets, 10 to 24 (default: the shipped models' setting).
    #[arg(long)]
    hash_bits: Option<u8>,
    /// Most optimiser iterations.
    #[arg(long)]
    max_iterations: Option<usize>,
}

pub(crate) fn run(cmd: TrainCommand) -> Result<()> {
    match cmd {
        TrainCommand::Sentiment(a) => train_sentiment(a),
    }
}

fn train_sentiment(a: TrainSentimentArgs) -> Result<()> {
    if a.train.len() != a.labels.len() {
        bail!("give one --labels per --train ({} --train, {} --labels)", a.train.len(), a.labels.len());
    }
    if a.train.is_empty() && a.airline_csv.is_none() {
        bail!("nothing to train on: give --train FILE --labels FILE or --airline-csv FILE");
    }
    if !a.airline_weight.is_finite() || a.airline_weight < 0.0 {
        bail!("--airline-weight must be zero or more");
    }
    let mut data = LabelledTexts::default();
    for (text, labels) in a.train.iter().zip(&a.labels) {
        let part = read_labelled_posts(text, labels)?;
        data.texts.extend(part.texts);
        data.labels.extend(part.labels);
    }
    let mut weights = vec![1.0; data.len()];
    if let Some(csv) = &a.airline_csv {
        let part = read_airline_posts(csv)?;
        if data.is_empty() {
            weights.resize(part.len(), 1.0);
        } else {
            weights.extend(balanced_weights(&part.labels, a.airline_weight * data.len() as f32));
        }
        data.texts.extend(part.texts);
        data.labels.extend(part.labels);
        data.skipped += part.skipped;
    }

    let mut options = TrainOptions::for_lang(&a.lang);
    options.c = a.c.unwrap_or(options.c);
    options.lexicon_weight = a.lexicon_weight.unwrap_or(options.lexicon_weight);
    options.hash_bits = a.hash_bits.unwrap_or(options.hash_bits);
    options.max_iterations = a.max_iterations.unwrap_or(options.max_iterations);

    let bar = ProgressBar::new(options.max_iterations as u64).with_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} iterations, loss {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let mut iterations = 0;
    let model = train_with_progress(&data.texts, &data.labels, Some(&weights), &options, &mut |p| {
        iterations = p.iteration;
        bar.set_position(p.iteration as u64);
        bar.set_message(format!("{:.1}", p.loss));
    })?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    model.save(&a.out)?;
    let bytes = std::fs::metadata(&a.out).map(|m| m.len())?;
    let fit = evaluate(&LearnedScorer::new(model), &data);
    let summary = serde_json::json!({
        "lang": a.lang,
        "posts": data.len(),
        "skipped": data.skipped,
        "epochs": iterations,
        "seconds": seconds,
        "train_accuracy": fit.accuracy,
        "train_macro_f1": fit.macro_f1,
        "out": a.out.display().to_string(),
        "bytes": bytes,
    });
    println!("{}", serde_json::to_string_pretty(&summary)?);
    Ok(())
}
