//! `veille eval`: measure veille's algorithms against reference data.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use veille_graph::{pagerank, EdgeList, PageRankOptions};
use veille_sentiment::dataset::{read_airline_csv, read_labels, read_texts, LabelledTexts};
use veille_sentiment::eval::evaluate;
use veille_sentiment::{LearnedScorer, Model, Scorer, Vader};

#[derive(Debug, Subcommand)]
pub(crate) enum EvalCommand {
    /// PageRank of a TSV edge list (source TAB target [TAB weight]), printed as one JSON object {node: score}.
    Pagerank(PagerankArgs),
    /// Run the volume detector, streaming, over NAB-format CSVs and print NAB scores as JSON.
    Nab(NabArgs),
    /// Score labelled posts with a sentiment scorer and print accuracy, macro-F1, per-class figures and
    /// throughput as JSON.
    Sentiment(SentimentEvalArgs),
}

#[derive(Debug, Args)]
pub(crate) struct NabArgs {
    /// Folder of NAB-format CSV files (`timestamp,value`).
    #[arg(long)]
    data: PathBuf,
    /// NAB label windows (`combined_windows.json`).
    #[arg(long)]
    windows: PathBuf,
    /// Scoring profile: standard, reward_low_FP_rate or reward_low_FN_rate.
    #[arg(long, default_value = "standard")]
    profile: String,
    /// Also write the detector's output per file in NAB's results format here.
    #[arg(long)]
    out: Option<PathBuf>,
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
        EvalCommand::Nab(a) => {
            let profile: veille_signals::nab::NabProfile = a.profile.parse()?;
            let report = veille_signals::nab::eval_nab(&a.data, &a.windows, profile, a.out.as_deref())?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
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
