//! `veille eval`: measure veille's algorithms against reference data.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use indicatif::ProgressBar;
use veille_config::Config;
use veille_graph::{pagerank, EdgeList, PageRankOptions};
use veille_match::Matcher;
use veille_model::{Author, Mention, Platform, SentimentLabel, WatchKind};
use veille_sentiment::dataset::{read_airline_rows, read_labels, read_texts, AirlineRow, LabelledTexts};
use veille_sentiment::eval::{compare, evaluate};
use veille_sentiment::{LearnedScorer, Model, Scorer, SentimentAnalyzer, Vader};

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
    /// The Twitter US airline CSV (`text` and `airline_sentiment` columns), instead of --text and --labels;
    /// figures are also given per airline (`airline` column).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["text", "labels"])]
    airline_csv: Option<PathBuf>,
    /// Language of the posts (default: the model's language, else en).
    #[arg(long, value_parser = ["en", "fr"])]
    lang: Option<String>,
    /// The scorer: the learned linear model (veille's default) or VADER.
    #[arg(long, default_value = "learned", value_parser = ["vader", "learned"])]
    scorer: String,
    /// Model file for --scorer learned (default: the model shipped for the language).
    #[arg(long, value_name = "FILE")]
    model: Option<PathBuf>,
    /// Tag the posts with this configuration's watches and mask, as the pipeline does, @handles and the
    /// names of the brand, competitor and campaign watches that tag each post; figures are also given
    /// per watch (human and scored net sentiment of the posts it tags).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Workspace of --config whose watches tag the posts (default: its only workspace).
    #[arg(long, requires = "config")]
    workspace: Option<String>,
    /// Mask @handles (without --config): what the pipeline does to every post.
    #[arg(long, conflicts_with = "config")]
    mask_handles: bool,
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

/// Labelled posts with, for the airline CSV, each row's airline, author and time.
pub(crate) struct Posts {
    pub(crate) data: LabelledTexts,
    /// Per post: (airline, author, posting time), when the source says.
    pub(crate) rows: Vec<Option<AirlineRow>>,
}

impl Posts {
    /// Posts without rows.
    pub(crate) fn plain(data: LabelledTexts) -> Posts {
        let rows = vec![None; data.len()];
        Posts { data, rows }
    }
}

/// Reads the airline CSV, saying how many rows were left out.
pub(crate) fn read_airline_posts(path: &Path) -> Result<Posts> {
    let (rows, skipped) = read_airline_rows(path)?;
    if skipped > 0 {
        tracing::warn!(file = %path.display(), rows = skipped, "airline rows without a usable label left out");
    }
    let mut data =
        LabelledTexts::new(rows.iter().map(|r| r.text.clone()).collect(), rows.iter().map(|r| r.label).collect())?;
    data.skipped = skipped;
    Ok(Posts { data, rows: rows.into_iter().map(Some).collect() })
}

/// How posts are masked before scoring.
pub(crate) struct Masking {
    matcher: Option<Matcher>,
    analyzer: SentimentAnalyzer,
    workspace: String,
    /// `none`, `handles` or `handles and watch names`.
    pub(crate) what: &'static str,
}

impl Masking {
    /// Masking as the pipeline does it with `config` (handles and the names of the watches of
    /// `workspace` that tag a post), handles alone (`handles`), or none.
    pub(crate) fn new(config: Option<&Path>, workspace: Option<&str>, handles: bool) -> Result<Masking> {
        let Some(path) = config else {
            let analyzer = SentimentAnalyzer::new(&["en"], "en")?.with_masking(handles);
            let what = if handles { "handles" } else { "none" };
            return Ok(Masking { matcher: None, analyzer, workspace: String::new(), what });
        };
        let mut config = Config::load(path)?;
        config.sentiment.mask = true;
        let workspace = match workspace {
            Some(w) if config.workspaces.iter().any(|c| c.name == w) => w.to_string(),
            Some(w) => bail!("{}: no workspace `{w}`", path.display()),
            None => match config.workspaces.as_slice() {
                [only] => only.name.clone(),
                [] => bail!("{}: no workspace, so no watch to mask", path.display()),
                _ => bail!("{}: several workspaces: pick one with --workspace", path.display()),
            },
        };
        for name in veille_sentiment::mask::sentiment_word_names(&config).iter().filter(|n| n.workspace == workspace) {
            tracing::warn!("{name}");
        }
        let matcher = Matcher::compile(&config)?;
        let analyzer = SentimentAnalyzer::for_config(&config)?;
        Ok(Masking { matcher: Some(matcher), analyzer, workspace, what: "handles and watch names" })
    }

    /// The mention the pipeline would make of post `i`, tagged by the watches.
    pub(crate) fn mention(&self, i: usize, text: &str, row: Option<&AirlineRow>) -> Mention {
        let created = row
            .and_then(|r| DateTime::parse_from_str(r.created.trim(), "%Y-%m-%d %H:%M:%S %z").ok())
            .map_or(DateTime::UNIX_EPOCH, |t| t.with_timezone(&Utc));
        let author = Author { handle: row.map(|r| r.author.clone()).unwrap_or_default(), ..Author::default() };
        let mut mention = Mention::new(Platform::X, i.to_string(), text, created, author);
        mention.workspace.clone_from(&self.workspace);
        if let Some(matcher) = &self.matcher {
            matcher.tag(&mut mention);
        }
        mention
    }

    /// The text a scorer reads of `mention`.
    pub(crate) fn scored_text(&self, mention: &Mention) -> String {
        self.analyzer.scored_text(mention)
    }
}

fn eval_sentiment(a: SentimentEvalArgs) -> Result<()> {
    let posts = match (&a.airline_csv, &a.text, &a.labels) {
        (Some(csv), _, _) => read_airline_posts(csv)?,
        (None, Some(text), Some(labels)) => Posts::plain(read_labelled_posts(text, labels)?),
        _ => bail!("give --text and --labels, or --airline-csv"),
    };
    if posts.data.is_empty() {
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
    let masking = Masking::new(a.config.as_deref(), a.workspace.as_deref(), a.mask_handles)?;
    let mentions: Vec<Mention> = posts
        .data
        .texts
        .iter()
        .zip(&posts.rows)
        .enumerate()
        .map(|(i, (text, row))| masking.mention(i, text, row.as_ref()))
        .collect();
    let masked = LabelledTexts {
        texts: mentions.iter().map(|m| masking.scored_text(m)).collect(),
        labels: posts.data.labels.clone(),
        skipped: posts.data.skipped,
    };
    let report = evaluate(scorer.as_ref(), &masked);
    let predicted: Vec<SentimentLabel> = masked.texts.iter().map(|t| scorer.score(t).label).collect();
    let mut json = serde_json::json!({
        "scorer": report.scorer,
        "lang": report.lang,
        "masked": masking.what,
        "posts": report.count,
        "skipped": report.skipped,
        "accuracy": report.accuracy,
        "macro_f1": report.macro_f1,
        "classes": report.classes,
        "posts_per_sec": report.posts_per_second,
    });
    if posts.rows.iter().any(Option::is_some) {
        let airline_of = |i: usize| posts.rows[i].as_ref().map(|r| r.airline.clone());
        json["by_airline"] = breakdown(&predicted, &posts.data.labels, |i| airline_of(i).into_iter().collect());
    }
    if masking.matcher.is_some() {
        let watches = |i: usize| {
            mentions[i]
                .tags
                .iter()
                .filter(|t| matches!(t.kind, WatchKind::Brand | WatchKind::Competitor))
                .map(|t| t.watch.clone())
                .collect()
        };
        json["by_watch"] = breakdown(&predicted, &posts.data.labels, watches);
    }
    println!("{}", serde_json::to_string_pretty(&json)?);
    Ok(())
}

/// Figures per group of posts (`groups_of(i)`: the groups post `i` belongs to): posts, accuracy,
/// macro-F1, and net sentiment (% positive − % negative) by the humans and by the scorer.
fn breakdown(
    predicted: &[SentimentLabel],
    truth: &[SentimentLabel],
    groups_of: impl Fn(usize) -> Vec<String>,
) -> serde_json::Value {
    let mut members: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for i in 0..truth.len() {
        for g in groups_of(i) {
            members.entry(g).or_default().push(i);
        }
    }
    let net = |labels: &mut dyn Iterator<Item = SentimentLabel>| {
        let (mut n, mut score) = (0usize, 0i64);
        for l in labels {
            n += 1;
            score += match l {
                SentimentLabel::Positive => 1,
                SentimentLabel::Negative => -1,
                SentimentLabel::Neutral => 0,
            };
        }
        if n == 0 {
            0.0
        } else {
            100.0 * score as f64 / n as f64
        }
    };
    let mut out = serde_json::Map::new();
    for (group, idx) in members {
        let p: Vec<SentimentLabel> = idx.iter().map(|&i| predicted[i]).collect();
        let t: Vec<SentimentLabel> = idx.iter().map(|&i| truth[i]).collect();
        let r = compare(&p, &t);
        out.insert(
            group,
            serde_json::json!({
                "posts": idx.len(),
                "accuracy": r.accuracy,
                "macro_f1": r.macro_f1,
                "human_net": net(&mut t.iter().copied()),
                "scored_net": net(&mut p.iter().copied()),
            }),
        );
    }
    serde_json::Value::Object(out)
}
