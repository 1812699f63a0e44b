//! Running a test file's cases against a configuration.

use std::collections::BTreeSet;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{DateTime, TimeZone, Utc};
use regex::Regex;
use veille_alert::{Replay, ReplayOutcome};
use veille_config::Config;
use veille_match::Matcher;
use veille_model::{Author, Mention, Platform};
use veille_signals::RuleKind;

use crate::error::Error;
use crate::file::{BaselineCase, CaseKind, MatchCase, TestFile};
use crate::series::{self, around};

/// How one case ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Everything it expected happened.
    Passed,
    /// Something it expected did not happen: what was expected and what happened.
    Failed(String),
}

/// The result of one case.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// The test file.
    pub file: PathBuf,
    /// 1-based line of the case in it.
    pub line: usize,
    /// `match`, `series` or `baseline`.
    pub kind: &'static str,
    /// The case's name.
    pub name: String,
    /// Passed or failed, and why.
    pub outcome: Outcome,
    /// How long it ran (wall time; the case itself runs on event time only).
    pub duration: std::time::Duration,
}

impl CaseResult {
    /// Whether the case passed.
    pub fn passed(&self) -> bool {
        self.outcome == Outcome::Passed
    }
}

/// What the cases of a run touched, for coverage.
#[derive(Debug, Clone, Default)]
pub struct Exercised {
    /// `(workspace, watch)` pairs some case expects to tag or to alert.
    pub watches: BTreeSet<(String, String)>,
    /// `(workspace, watch, normalised term)` hits seen in passing and failing match cases.
    pub terms: BTreeSet<(String, String, String)>,
    /// Alert rules some series case expects to fire.
    pub rules: BTreeSet<RuleKind>,
}

impl Exercised {
    /// Adds what `other` touched.
    pub fn merge(&mut self, other: Exercised) {
        self.watches.extend(other.watches);
        self.terms.extend(other.terms);
        self.rules.extend(other.rules);
    }
}

/// A test file's results.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// The test file.
    pub path: PathBuf,
    /// The configuration it tested.
    pub config: PathBuf,
    /// One result per selected case, in file order.
    pub results: Vec<CaseResult>,
    /// What the cases touched.
    pub exercised: Exercised,
}

/// The configuration under test, compiled once for every case of a file.
pub struct Subject {
    /// Where it was read from.
    pub path: PathBuf,
    /// The configuration.
    pub config: Config,
    matcher: Matcher,
}

impl Subject {
    /// Loads and compiles the configuration at `path`.
    pub fn load(path: &Path) -> Result<Subject, Error> {
        let config = Config::load(path)?;
        let matcher = Matcher::compile(&config)
            .map_err(|source| Error::Watches { path: path.to_path_buf(), source: Box::new(source) })?;
        veille_signals::SignalMonitor::new(&config.signals)
            .map_err(|source| Error::Signals { path: path.to_path_buf(), source })?;
        Ok(Subject { path: path.to_path_buf(), config, matcher })
    }

    /// The workspace a case runs in: its own, else the file's, else the configuration's first.
    pub(crate) fn workspace(&self, case: Option<&String>, file: Option<&String>) -> Result<String, String> {
        let name = match case.or(file) {
            Some(n) => n.clone(),
            None => match self.config.workspaces.first() {
                Some(w) => w.name.clone(),
                None => return Err(format!("{} declares no workspace", self.path.display())),
            },
        };
        if self.config.workspace(&name).is_none() {
            return Err(format!("workspace `{name}` is not declared in {}", self.path.display()));
        }
        Ok(name)
    }

    /// An error message when `watch` is not a watch of `workspace`, listing those that are.
    pub(crate) fn unknown_watch(&self, workspace: &str, watch: &str) -> Option<String> {
        let ws = self.config.workspace(workspace)?;
        if ws.watches.iter().any(|w| w.name == watch) {
            return None;
        }
        let names: Vec<&str> = ws.watches.iter().map(|w| w.name.as_str()).collect();
        Some(format!("`{watch}` is not a watch of workspace `{workspace}` (its watches: {})", names.join(", ")))
    }
}

/// Runs the cases of `file` whose name `filter` matches (all without a filter).
pub fn run_file(file: &TestFile, subject: &Subject, filter: Option<&Regex>) -> FileReport {
    let mut results = Vec::new();
    let mut exercised = Exercised::default();
    for case in &file.cases {
        if filter.is_some_and(|re| !re.is_match(&case.name)) {
            continue;
        }
        let started = Instant::now();
        let (outcome, touched) = match &case.kind {
            CaseKind::Match(m) => run_match(m, file, subject),
            CaseKind::Series(s) => series::run(s, file, subject),
            CaseKind::Baseline(b) => run_baseline(b, file, subject),
        };
        exercised.merge(touched);
        results.push(CaseResult {
            file: file.path.clone(),
            line: case.line,
            kind: case.kind.as_str(),
            name: case.name.clone(),
            outcome,
            duration: started.elapsed(),
        });
    }
    FileReport { path: file.path.clone(), config: subject.path.clone(), results, exercised }
}

fn default_match_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 12, 0, 0).single().unwrap_or_default()
}

fn run_match(case: &MatchCase, file: &TestFile, subject: &Subject) -> (Outcome, Exercised) {
    let mut touched = Exercised::default();
    let workspace = match subject.workspace(case.workspace.as_ref(), file.workspace.as_ref()) {
        Ok(w) => w,
        Err(e) => return (Outcome::Failed(e), touched),
    };
    for watch in case.tagged.iter().chain(&case.not_tagged) {
        if let Some(e) = subject.unknown_watch(&workspace, watch) {
            return (Outcome::Failed(e), touched);
        }
    }
    let at = case.at.and_then(|t| DateTime::from_timestamp_millis(t.unix_millis())).unwrap_or_else(default_match_time);
    let author = Author { handle: case.author.clone().unwrap_or_else(|| "someone".to_string()), ..Author::default() };
    let mut mention = Mention::new(case.platform.unwrap_or(Platform::X), "test-1", case.text.clone(), at, author);
    mention.workspace = workspace.clone();
    mention.lang = case.lang.clone().map(Into::into);
    subject.matcher.tag(&mut mention);

    for w in &case.tagged {
        touched.watches.insert((workspace.clone(), w.clone()));
    }
    let got: Vec<&str> = mention.tags.iter().map(|t| t.watch.as_str()).collect();
    for tag in &mention.tags {
        for hit in &tag.hits {
            touched.terms.insert((workspace.clone(), tag.watch.clone(), veille_match::normalize(&hit.term)));
        }
    }
    let missing: Vec<&str> = case.tagged.iter().map(String::as_str).filter(|w| !got.contains(w)).collect();
    let unwanted: Vec<&str> = case.not_tagged.iter().map(String::as_str).filter(|w| got.contains(w)).collect();
    let extra: Vec<&str> = if case.only {
        got.iter().copied().filter(|w| !case.tagged.iter().any(|t| t == w)).collect()
    } else {
        Vec::new()
    };
    if missing.is_empty() && unwanted.is_empty() && extra.is_empty() {
        return (Outcome::Passed, touched);
    }
    let mut msg = format!("text: {:?}\n", case.text);
    if !case.tagged.is_empty() {
        msg += &format!("expected tagged by: {}{}\n", case.tagged.join(", "), if case.only { " (only)" } else { "" });
    }
    if !case.not_tagged.is_empty() {
        msg += &format!("expected not tagged by: {}\n", case.not_tagged.join(", "));
    }
    let described: Vec<String> = mention
        .tags
        .iter()
        .map(|t| {
            let terms: Vec<&str> = t.hits.iter().map(|h| &mention.text[h.start..h.end]).collect();
            if terms.is_empty() {
                format!("{} (by its rule)", t.watch)
            } else {
                format!("{} (on {})", t.watch, terms.iter().map(|t| format!("{t:?}")).collect::<Vec<_>>().join(", "))
            }
        })
        .collect();
    msg += &format!(
        "got tagged by: {}\n",
        if described.is_empty() { "nothing".to_string() } else { described.join("; ") }
    );
    if !missing.is_empty() {
        msg += &format!("missing: {}\n", missing.join(", "));
    }
    if !unwanted.is_empty() {
        msg += &format!("tagged but must not be: {}\n", unwanted.join(", "));
    }
    if !extra.is_empty() {
        msg += &format!("tagged beyond `only`: {}\n", extra.join(", "));
    }
    (Outcome::Failed(msg.trim_end().to_string()), touched)
}

fn run_baseline(case: &BaselineCase, file: &TestFile, subject: &Subject) -> (Outcome, Exercised) {
    let touched = Exercised::default();
    let workspace = match &case.workspace {
        Some(w) => match subject.workspace(Some(w), file.workspace.as_ref()) {
            Ok(w) => Some(w),
            Err(e) => return (Outcome::Failed(e), touched),
        },
        None => None,
    };
    let mentions = match read_mentions(&case.file) {
        Ok(m) => m,
        Err(e) => return (Outcome::Failed(e), touched),
    };
    let mut replay = match Replay::new(&subject.config.signals, &subject.config.alerts) {
        Ok(r) => r.keep_buckets(subject.config.signals.bucket_s),
        Err(e) => return (Outcome::Failed(format!("[signals]: {e}")), touched),
    };
    let (first, last) = (mentions.first().map(|m| m.created_at), mentions.last().map(|m| m.created_at));
    for mut m in mentions {
        if let Some(w) = &workspace {
            m.workspace = w.clone();
        }
        if case.retag {
            m.tags.clear();
            subject.matcher.tag(&mut m);
        }
        replay.observe(&m);
    }
    let outcome = replay.finish();
    let fired: Vec<_> =
        outcome.alerts.iter().filter(|a| case.rules.is_empty() || case.rules.contains(&a.rule)).collect();
    if fired.is_empty() {
        return (Outcome::Passed, touched);
    }
    let n = fired.len();
    let span = match (first, last) {
        (Some(a), Some(b)) => format!(" ({} to {})", a.format("%Y-%m-%d %H:%M"), b.format("%Y-%m-%d %H:%M")),
        _ => String::new(),
    };
    let mut msg = format!("expected no alert through {}{span}; {n} fired:\n", case.file.display());
    for a in fired.iter().take(5) {
        msg += &format!(
            "- {} {}/{} {} fired at {}: {}\n",
            a.severity.as_str(),
            a.workspace,
            a.watch,
            a.rule,
            fire_time(&outcome, a).format("%Y-%m-%d %H:%M"),
            a.explanation.summary
        );
        msg += &around(&outcome, &a.workspace, &a.watch, a.rule, fire_time(&outcome, a), None, None, subject);
    }
    if n > 5 {
        msg += &format!("... and {} more\n", n - 5);
    }
    (Outcome::Failed(msg.trim_end().to_string()), touched)
}

/// When an alert reached people in event time: its detection, or its first
/// notice when `[alerts] pending_s` held it back.
pub(crate) fn fire_time(outcome: &ReplayOutcome, alert: &veille_alert::Alert) -> DateTime<Utc> {
    outcome.first_notified.get(&alert.id).map_or(alert.detected_at, |&n| n.max(alert.detected_at))
}

/// Reads an NDJSON file of mentions, sorted by event time; errors name the line.
fn read_mentions(path: &Path) -> Result<Vec<Mention>, String> {
    let f = std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let n = i as u64 + 1;
        let line = line.map_err(|e| format!("{}:{n}: {e}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        out.push(Mention::from_ndjson_line(&line, n).map_err(|e| format!("{}: {e}", path.display()))?);
    }
    if out.is_empty() {
        return Err(format!("{} holds no mention", path.display()));
    }
    out.sort_by_key(|m| m.created_at);
    Ok(out)
}
