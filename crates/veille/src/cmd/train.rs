//! `veille train`: fit veille's learned models on labelled data.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Result};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use veille_sentiment::dataset::{balanced_weights, read_rated, LabelledTexts};
use veille_sentiment::eval::{cross_validate, evaluate, mean_and_spread};
use veille_sentiment::{train_with_progress, LearnedScorer, TrainOptions};

use super::eval::{read_airline_posts, read_labelled_posts, Masking, Posts};

#[derive(Debug, Subcommand)]
pub(crate) enum TrainCommand {
    /// Train a learned sentiment model on labelled posts and write it to a model file; prints a JSON summary.
    Sentiment(TrainSentimentArgs),
}

#[derive(Debug, Args)]
pub(crate) struct TrainSentimentArgs {
    /// Posts, one per line; repeat with one --labels each to train on several files (a post already read
    /// from an earlier file, the same tweet packaged twice, is left out).
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
    /// Also train on posts rated by people, one per line as `id TAB mean rating TAB text` (ratings
    /// from -4 to +4, the layout of VADER's human-rated tweets and review snippets); repeatable.
    #[arg(long, value_name = "FILE")]
    rated: Vec<PathBuf>,
    /// A rated post is negative at minus this mean rating or below, positive at this or above,
    /// neutral between.
    #[arg(long, default_value_t = 1.0)]
    rated_band: f64,
    /// Weight of each --rated set relative to the --train posts, classes balanced.
    #[arg(long, default_value_t = 0.25)]
    rated_weight: f32,
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
    /// Cross-validate on the --train posts with this many folds (the summary gives each --train file's
    /// macro-F1, mean and spread over the folds, as trained and with class offsets tuned on the other
    /// folds); when the tuned offsets raise the files' mean macro-F1, shift the model's class priors by
    /// the offsets tuned on all held-out probabilities.
    #[arg(long, value_name = "K")]
    folds: Option<usize>,
    /// Tag the posts with this configuration's watches and mask the names of the brand, competitor and
    /// campaign watches that tag each post, as the pipeline does when scoring (@handles are always masked).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Workspace of --config whose watches tag the posts (default: its only workspace).
    #[arg(long, requires = "config")]
    workspace: Option<String>,
}

pub(crate) fn run(cmd: TrainCommand) -> Result<()> {
    match cmd {
        TrainCommand::Sentiment(a) => train_sentiment(a),
    }
}

/// The posts to train on, masked as the pipeline masks them.
struct TrainingSet {
    /// The `--train` posts, each once.
    data: LabelledTexts,
    /// Per post of `data`, the `--train` file it came from.
    groups: Vec<usize>,
    /// Posts left out because an earlier file had them.
    duplicates: usize,
    /// The airline and rated posts, when given (never cross-validated on).
    extra: LabelledTexts,
    /// Per post of `data` then `extra`, its weight in the loss.
    weights: Vec<f32>,
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
    if !a.rated_weight.is_finite() || a.rated_weight < 0.0 {
        bail!("--rated-weight must be zero or more");
    }
    if !a.rated_band.is_finite() || a.rated_band <= 0.0 {
        bail!("--rated-band must be more than zero");
    }
    if !a.rated.is_empty() && a.train.is_empty() {
        bail!("--rated posts weigh relative to the --train posts: give some");
    }
    let masking = Masking::new(a.config.as_deref(), a.workspace.as_deref(), true)?;
    let set = read_training_set(&a, &masking)?;
    let mut options = TrainOptions::for_lang(&a.lang);
    options.c = a.c.unwrap_or(options.c);
    options.lexicon_weight = a.lexicon_weight.unwrap_or(options.lexicon_weight);
    options.hash_bits = a.hash_bits.unwrap_or(options.hash_bits);
    options.max_iterations = a.max_iterations.unwrap_or(options.max_iterations);
    let cv_summary = match a.folds {
        Some(folds) => cross_validation(&a, &set, &mut options, folds)?,
        None => Vec::new(),
    };
    let TrainingSet { mut data, duplicates, extra, weights, .. } = set;
    data.texts.extend(extra.texts);
    data.labels.extend(extra.labels);
    data.skipped += extra.skipped;

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
        "duplicates": duplicates,
        "masked": masking.what,
        "cross_validation": cv_summary,
        "class_offsets": options.class_offsets,
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

/// Reads and masks the `--train` files (each post once), the airline CSV and the rated posts.
fn read_training_set(a: &TrainSentimentArgs, masking: &Masking) -> Result<TrainingSet> {
    let mask = |posts: Posts| -> LabelledTexts {
        let texts = posts
            .data
            .texts
            .iter()
            .zip(&posts.rows)
            .enumerate()
            .map(|(i, (text, row))| masking.scored_text(&masking.mention(i, text, row.as_ref())))
            .collect();
        LabelledTexts { texts, labels: posts.data.labels, skipped: posts.data.skipped }
    };
    let (mut data, mut groups, mut duplicates) = (LabelledTexts::default(), Vec::new(), 0);
    for (k, (text, labels)) in a.train.iter().zip(&a.labels).enumerate() {
        duplicates += data.extend_unique(mask(Posts::plain(read_labelled_posts(text, labels)?)));
        groups.resize(data.len(), k);
    }
    let mut weights = vec![1.0; data.len()];
    let mut extra = LabelledTexts::default();
    if let Some(csv) = &a.airline_csv {
        extra = mask(read_airline_posts(csv)?);
        if data.is_empty() {
            weights.resize(extra.len(), 1.0);
        } else {
            weights.extend(balanced_weights(&extra.labels, a.airline_weight * data.len() as f32));
        }
    }
    for path in &a.rated {
        let rated = read_rated(path, a.rated_band)?;
        weights.extend(balanced_weights(&rated.labels, a.rated_weight * data.len() as f32));
        extra.extend_all(mask(Posts::plain(rated)));
    }
    Ok(TrainingSet { data, groups, duplicates, extra, weights })
}

/// Cross-validates on the `--train` posts; returns each file's figures, and sets the class
/// offsets when tuning them on the other folds helped.
fn cross_validation(
    a: &TrainSentimentArgs,
    set: &TrainingSet,
    options: &mut TrainOptions,
    folds: usize,
) -> Result<Vec<serde_json::Value>> {
    let TrainingSet { data, groups, extra, weights, .. } = set;
    if data.is_empty() {
        bail!("--folds cross-validates on the --train posts: give some");
    }
    let spinner = ProgressBar::new_spinner().with_message(format!("{folds}-fold cross-validation"));
    let (mut as_trained, mut tuned) = (0.0, 0.0);
    spinner.enable_steady_tick(std::time::Duration::from_millis(200));
    let (own, extra_weights) = weights.split_at(data.len());
    let cv = cross_validate(data, Some(own), extra, extra_weights, options, folds)?;
    spinner.finish_and_clear();
    let mut summary = Vec::new();
    for (k, figures) in cv.figures(&data.labels, groups).iter().enumerate() {
        if !groups.contains(&k) {
            // Every post of this file was read before: nothing of its own to measure.
            continue;
        }
        let (mean, spread) = mean_and_spread(&figures.as_trained);
        let (tuned_mean, tuned_spread) = mean_and_spread(&figures.offsets_tuned);
        as_trained += mean;
        tuned += tuned_mean;
        summary.push(serde_json::json!({
            "train": a.train[k].display().to_string(),
            "macro_f1_mean": mean,
            "macro_f1_spread": spread,
            "offsets_tuned_macro_f1_mean": tuned_mean,
            "offsets_tuned_macro_f1_spread": tuned_spread,
        }));
    }
    if tuned > as_trained {
        options.class_offsets = cv.class_offsets(&data.labels, groups);
    }
    Ok(summary)
}
