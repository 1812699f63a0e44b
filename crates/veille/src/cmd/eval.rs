//! `veille eval`: measure veille's algorithms against reference data.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use indicatif::ProgressBar;
use veille_graph::{pagerank, EdgeList, PageRankOptions};
use veille_sentiment::dataset::{read_airline_csv, read_labels, read_texts, LabelledTexts};
use veille_sentiment::eval::evaluate;
use veille_sentiment::{LearnedScorer, Model, Scorer, Vader};

#[derive(Debug, Subcommand)]
pub(crate) enum EvalCommand {
    /// PageRank of a TSV edge list (source TAB target [TAB weight]), printed as one JSON object {node: score}.
    Pagerank(PagerankArgs),
    /// Run the volume detector, streaming, over the Numenta Anomaly Benchmark (or files in its format) and
    /// print NAB's scores per file, per category and overall, for its three profiles.
    Nab(NabArgs),
    /// Score labelled posts with a sentiment scorer and print accuracy, macro-F1, per-class figures and
    /// throughput as JSON.
    Sentiment(SentimentEvalArgs),
}

#[derive(Debug, Args)]
pub(crate) struct NabArgs {
    /// NAB's data folder (`DIR/<category>/<file>.csv`, `timestamp,value`), or one category folder.
    #[arg(long)]
    data: PathBuf,
    /// NAB label windows, keyed `<category>/<file>.csv` [default: DIR/labels/combined_windows.json].
    #[arg(long)]
    windows: Option<PathBuf>,
    /// Also write the detector's alarms per file in NAB's results format here (`OUT/<category>/veille_<file>.csv`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print the whole report as JSON instead of tables.
    #[arg(long)]
    json: bool,
}

fn eval_nab(a: NabArgs) -> Result<()> {
    use veille_signals::nab::{default_windows, evaluate, NabCorpus, NabDetector, NabProfile, Tally};

    let windows = a.windows.unwrap_or_else(|| default_windows(&a.data));
    let corpus = NabCorpus::load(&a.data, &windows)?;
    let bar = ProgressBar::new_spinner().with_message(format!("scoring {} NAB files", corpus.files.len()));
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    let report = evaluate(&corpus, &NabDetector::default(), a.out.as_deref())?;
    bar.finish_and_clear();
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    let score = |t: Option<Tally>| t.and_then(|t| t.score()).map_or_else(|| "-".to_string(), |s| format!("{s:.2}"));
    let header = |first: &str| {
        println!(
            "{first:<48} {:>9} {:>5} {:>9} {:>19} {:>19}",
            "windows", "fp", "standard", "reward_low_FP_rate", "reward_low_FN_rate"
        );
    };
    header("file");
    for (key, file) in &report.files {
        let s =
            |p: NabProfile| file.scores.get(&p).and_then(|s| s.normalized()).map_or("-".into(), |x| format!("{x:.2}"));
        let standard = file.scores.get(&NabProfile::Standard);
        println!(
            "{key:<48} {:>4}/{:<4} {:>5} {:>9} {:>19} {:>19}",
            standard.map_or(0, |s| s.detected_windows),
            standard.map_or(0, |s| s.windows),
            standard.map_or(0, |s| s.fp),
            s(NabProfile::Standard),
            s(NabProfile::RewardLowFpRate),
            s(NabProfile::RewardLowFnRate),
        );
    }
    println!();
    header("category");
    let categories: Vec<String> =
        report.profiles.get(&NabProfile::Standard).map(|p| p.categories.keys().cloned().collect()).unwrap_or_default();
    let rows = categories.iter().map(|c| Some(c.as_str())).chain([None]);
    for category in rows {
        let tally = |p: NabProfile| {
            report.profiles.get(&p).and_then(|s| match category {
                Some(c) => s.categories.get(c).copied(),
                None => Some(s.total),
            })
        };
        let t = tally(NabProfile::Standard).unwrap_or_default();
        println!(
            "{:<48} {:>4}/{:<4} {:>5} {:>9} {:>19} {:>19}",
            category.unwrap_or("all files"),
            t.detected_windows,
            t.windows,
            t.false_positives,
            score(tally(NabProfile::Standard)),
            score(tally(NabProfile::RewardLowFpRate)),
            score(tally(NabProfile::RewardLowFnRate)),
        );
    }
    if let Some(out) = &a.out {
        println!("\nNAB results files written under {}", out.display());
    }
    Ok(())
}

#[derive(Debug, Args)]
pub(crate) struct PagerankArgs {
    /// The edge list; repeated edges add their weights, as in a weighted directed graph.
    #[arg(long)]
    edges: PathBuf,
    /// Probability of following an edge rather than jumping to a random node.
    #[arg(long, default_value_t = 0.85)]
    damping: f64,
    /// Convergence threshold per node (iteration stops when the L1 change is below tol × nodes).
    #[arg(long, default_value_t = 1e-6)]
    tol: f64,
    /// Most power iterations.
    #[arg(long, default_value_t = 100)]
    max_iter: usize,
}

pub(crate) fn run(cmd: EvalCommand) -> Result<()> {
    match cmd {
        EvalCommand::Nab(a) => eval_nab(a),
        EvalCommand::Sentiment(a) => eval_sentiment(a),
        EvalCommand::Pagerank(a) => {
            let file = File::open(&a.edges).with_context(|| format!("cannot open {}", a.edges.display()))?;
            let graph = EdgeList::read_tsv(BufReader::new(file)).with_context(|| format!("{}", a.edges.display()))?;
            let options = PageRankOptions { damping: a.damping, tol: a.tol, max_iter: a.max_iter };
            let ranks = pagerank(&graph, &options)?;
            println!("{}", serde_json::to_string(&ranks)?);
            Ok(())
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct SentimentEvalArgs {
    /// Posts, one per line.
    #[arg(long, value_name = "FILE", requires = "labels", required_unless_present = "airline_csv")]
    text: Option<PathBuf>,
    /// Labels, one per line of --text: 0 negative, 1 neutral, 2 positive.
    #[arg(long, value_name = "FILE", requires = "text")]
    labels: Option<PathBuf>,
    /// The Twitter US airline CSV (`text` and `airline_sentiment` columns), instead of --text and --labels.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["text", "labels"])]
    airline_csv: Option<PathBuf>,
    /// Language of the posts (default: the model's language, else en).
    #[arg(long, value_parser = ["en", "fr"])]
    lang: Option<String>,
    /// The scorer: VADER or the learned linear model.
    #[arg(long, default_value = "vader", value_parser = ["vader", "learned"])]
    scorer: String,
    /// Model file for --scorer learned (default: the model shipped for the language).
    #[arg(long, value_name = "FILE")]
    model: Option<PathBuf>,
}

/// Reads one post per line of `text` and one label per line of `labels`; the
/// error names the file and line at fault.
pub(crate) fn read_labelled_posts(text: &Path, labels: &Path) -> Result<LabelledTexts> {
    let texts = read_texts(text)?;
    let labels_read = read_labels(labels)?;
    if texts.len() != labels_read.len() {
        let longer = if texts.len() > labels_read.len() { text } else { labels };
        bail!(
            "{} has {} lines but {} has {}: line {} of {} has no counterpart",
            text.display(),
            texts.len(),
            labels.display(),
            labels_read.len(),
            texts.len().min(labels_read.len()) + 1,
            longer.display(),
        );
    }
    Ok(LabelledTexts::new(texts, labels_read)?)
}

/// Reads the airline CSV, saying how many rows were left out.
pub(crate) fn read_airline_posts(path: &Path) -> Result<LabelledTexts> {
    let data = read_airline_csv(path)?;
    if data.skipped > 0 {
        tracing::warn!(file = %path.display(), rows = data.skipped, "airline rows without a usable label left out");
    }
    Ok(data)
}

fn eval_sentiment(a: SentimentEvalArgs) -> Result<()> {
    let data = match (&a.airline_csv, &a.text, &a.labels) {
        (Some(csv), _, _) => read_airline_posts(csv)?,
        (None, Some(text), Some(labels)) => read_labelled_posts(text, labels)?,
        _ => bail!("give --text and --labels, or --airline-csv"),
    };
    if data.is_empty() {
        bail!("no labelled posts to evaluate");
    }
    let scorer: Box<dyn Scorer> = match a.scorer.as_str() {
        "learned" => {
            let model = match &a.model {
                Some(path) => Model::load(path)?,
                None => Model::builtin(a.lang.as_deref().unwrap_or("en"))?,
            };
            if let Some(lang) = a.lang.as_deref().filter(|l| *l != model.lang()) {
                bail!("the model is for `{}`, not `{lang}`", model.lang());
            }
            Box::new(LearnedScorer::new(model))
        }
        _ => {
            if a.model.is_some() {
                bail!("--model goes with --scorer learned");
            }
            Box::new(Vader::for_lang(a.lang.as_deref().unwrap_or("en"))?)
        }
    };
    let report = evaluate(scorer.as_ref(), &data);
    let json = serde_json::json!({
        "scorer": report.scorer,
        "lang": report.lang,
        "posts": report.count,
        "skipped": report.skipped,
        "accuracy": report.accuracy,
        "macro_f1": report.macro_f1,
        "classes": report.classes,
        "posts_per_sec": report.posts_per_second,
    });
    println!("{}", serde_json::to_string_pretty(&json)?);
    Ok(())
}
