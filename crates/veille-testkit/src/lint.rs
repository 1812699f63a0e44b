//! `veille check`: lints a configuration without running it.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use veille_config::{Config, ConfigError, Watch, WorkspaceConfig};
use veille_match::{normalize, MatchError, Matcher};

use crate::file::{CaseKind, TestFile};
use crate::lines::KeyLines;

/// How bad a finding is: errors fail `veille check`, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Worth a look; the configuration works.
    Warning,
    /// The configuration is wrong.
    Error,
}

/// One problem, where it is and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The file.
    pub path: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// The dotted key at fault, e.g. `workspaces[0].watches[2].rule`.
    pub key: String,
    /// Error or warning.
    pub level: Level,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        write!(f, "{}", self.path.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        write!(f, ": {level}: ")?;
        if !self.key.is_empty() {
            write!(f, "`{}`: ", self.key)?;
        }
        f.write_str(&self.message)
    }
}

struct Lint<'a> {
    path: &'a Path,
    lines: KeyLines,
    findings: Vec<Finding>,
}

impl Lint<'_> {
    fn add(&mut self, level: Level, key: String, message: String) {
        let line = self.lines.line(&key);
        self.findings.push(Finding { path: self.path.to_path_buf(), line, key, level, message });
    }
}

/// Lints the configuration file at `path`: whether it loads, then its
/// watches (rules, terms, exclusions, terms shared between watches) and the
/// sanity of its alert thresholds. Findings come in file order.
pub fn check_config(path: &Path) -> Vec<Finding> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            return vec![Finding {
                path: path.to_path_buf(),
                line: None,
                key: String::new(),
                level: Level::Error,
                message: format!("cannot read: {e}"),
            }]
        }
    };
    check_config_text(&text, path)
}

/// Lints configuration text; `path` names it in findings.
pub fn check_config_text(text: &str, path: &Path) -> Vec<Finding> {
    let mut lint = Lint { path, lines: KeyLines::of(text), findings: Vec::new() };
    match Config::from_toml_str(text, path) {
        Err(ConfigError::Parse { line, message, .. }) => {
            let key = message.split('`').nth(1).unwrap_or_default().to_string();
            lint.findings.push(Finding { path: path.to_path_buf(), line, key, level: Level::Error, message });
        }
        Err(ConfigError::Invalid { key, reason, .. }) => lint.add(Level::Error, key, reason),
        Err(e @ ConfigError::Io { .. }) => lint.add(Level::Error, String::new(), e.to_string()),
        Ok(config) => {
            for (i, ws) in config.workspaces.iter().enumerate() {
                for (j, watch) in ws.watches.iter().enumerate() {
                    lint_watch(&mut lint, ws, watch, &format!("workspaces[{i}].watches[{j}]"));
                }
                shared_terms(&mut lint, ws, i);
            }
            thresholds(&mut lint, &config);
        }
    }
    lint.findings.sort_by_key(|f| (f.line.unwrap_or(0), f.level));
    lint.findings
}

/// The configured term lists of a watch, by key.
fn lists(w: &Watch) -> [(&'static str, &Vec<String>); 6] {
    [
        ("terms", &w.terms),
        ("aliases", &w.aliases),
        ("misspellings", &w.misspellings),
        ("handles", &w.handles),
        ("hashtags", &w.hashtags),
        ("domains", &w.domains),
    ]
}

/// Words of a normalised term: runs of letters, digits and `_`.
fn words(term: &str) -> Vec<String> {
    normalize(term)
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

fn lint_watch(lint: &mut Lint<'_>, ws: &WorkspaceConfig, watch: &Watch, at: &str) {
    // The matcher's own verdict on this watch alone, so every watch reports.
    let one = Config {
        workspaces: vec![WorkspaceConfig { name: ws.name.clone(), watches: vec![watch.clone()] }],
        ..Config::default()
    };
    if let Err(e) = Matcher::compile(&one) {
        let key = match &e {
            MatchError::Rule { .. } | MatchError::NothingToFind { .. } => format!("{at}.rule"),
            MatchError::Term { field, term, .. } => {
                let list = lists(watch).into_iter().chain([("exclude", &watch.exclude)]).find(|(k, _)| k == field);
                match list.and_then(|(_, l)| l.iter().position(|t| t == term)) {
                    Some(n) => format!("{at}.{field}[{n}]"),
                    None => format!("{at}.{field}"),
                }
            }
            MatchError::LexiconKind { .. } => format!("{at}.lexicons"),
            MatchError::EmptyPeriod { .. } => format!("{at}.until"),
            MatchError::Automaton { .. } => at.to_string(),
        };
        lint.add(Level::Error, key, e.to_string());
    }
    // Terms that normalise to nothing a word boundary can hold.
    for (field, list) in lists(watch).into_iter().chain([("exclude", &watch.exclude)]) {
        for (n, term) in list.iter().enumerate() {
            if words(term).is_empty() {
                lint.add(
                    Level::Error,
                    format!("{at}.{field}[{n}]"),
                    format!("`{term}` can never match: no letter or digit is left after normalisation"),
                );
            }
        }
    }
    // Exclusions that veto the terms they sit beside.
    let mut vetoed = Vec::new();
    let mut total = 0;
    for (field, list) in lists(watch) {
        for (n, term) in list.iter().enumerate() {
            total += 1;
            let tw = words(term);
            let veto = watch.exclude.iter().find(|e| {
                let ew = words(e);
                !ew.is_empty() && tw.windows(ew.len()).any(|win| win == ew.as_slice())
            });
            if let Some(e) = veto {
                vetoed.push((format!("{at}.{field}[{n}]"), term.clone(), e.clone()));
            }
        }
    }
    if total > 0 && vetoed.len() == total && watch.lexicons.is_empty() && watch.rule.is_none() {
        let key = format!("{at}.exclude");
        let which: Vec<String> = vetoed.iter().map(|(_, t, e)| format!("`{t}` holds `{e}`")).collect();
        lint.add(
            Level::Error,
            key,
            format!("vetoes every term of watch `{}`, so it can never match ({})", watch.name, which.join(", ")),
        );
    } else {
        for (key, term, e) in vetoed {
            lint.add(Level::Error, key, format!("`{term}` can never match: the exclude term `{e}` occurs in it"));
        }
    }
}

fn shared_terms(lint: &mut Lint<'_>, ws: &WorkspaceConfig, i: usize) {
    let mut first: BTreeMap<String, (String, String)> = BTreeMap::new();
    for (j, watch) in ws.watches.iter().enumerate() {
        let mut own = std::collections::BTreeSet::new();
        for (field, list) in lists(watch) {
            for (n, term) in list.iter().enumerate() {
                let key = normalize(term);
                if !own.insert(key.clone()) {
                    continue;
                }
                let here = format!("workspaces[{i}].watches[{j}].{field}[{n}]");
                match first.get(&key) {
                    Some((other, there)) if other != &watch.name => {
                        let line = lint.lines.line(there).map(|l| format!(" (line {l})")).unwrap_or_default();
                        lint.add(
                            Level::Warning,
                            here,
                            format!(
                                "`{term}` is also a term of watch `{other}`{line} in workspace `{}`: both tag the same mentions",
                                ws.name
                            ),
                        );
                    }
                    Some(_) => {}
                    None => {
                        first.insert(key, (watch.name.clone(), here));
                    }
                }
            }
        }
    }
}

fn thresholds(lint: &mut Lint<'_>, config: &Config) {
    detector_thresholds(lint, config);
    spike_rule_thresholds(lint, config);
    rule_thresholds(lint, config);
    if config.alerts.renotify_s < 300 {
        lint.add(
            Level::Warning,
            "alerts.renotify_s".to_string(),
            format!("{} s re-sends a firing alert every few minutes", config.alerts.renotify_s),
        );
    }
}

/// A warning on `signals.KEY` when `bad`.
fn warn(lint: &mut Lint<'_>, key: &str, bad: bool, why: String) {
    if bad {
        lint.add(Level::Warning, format!("signals.{key}"), why);
    }
}

fn detector_thresholds(lint: &mut Lint<'_>, config: &Config) {
    let d = &config.signals.detector;
    warn(
        lint,
        "detector.threshold",
        d.threshold < 1.5,
        format!("{} is below 1.5: ordinary days will page (the cross-validated default is 2.8)", d.threshold),
    );
    warn(
        lint,
        "detector.threshold",
        d.threshold > 10.0,
        format!("{} is above 10: only gross surges will ever fire (the cross-validated default is 2.8)", d.threshold),
    );
    warn(
        lint,
        "detector.warmup_s",
        d.warmup_s < 3600,
        format!("{} s judges on less than an hour of history", d.warmup_s),
    );
}

/// The volume rules (`volume_spike`, `crisis_burst`).
fn spike_rule_thresholds(lint: &mut Lint<'_>, config: &Config) {
    let (s, r) = (&config.signals, &config.signals.rules);
    let (v, c) = (&r.volume_spike, &r.crisis_burst);
    for (name, floor, min, critical_share, cooldown, for_s) in [
        ("volume_spike", 5, v.min_volume, v.critical_share, v.cooldown_s, v.for_s),
        ("crisis_burst", 3, c.min_volume, c.critical_share, c.cooldown_s, c.for_s),
    ] {
        warn(
            lint,
            &format!("rules.{name}.min_volume"),
            min < floor,
            format!("{min} extra counts is noise: a handful of posts would page (use at least {floor})"),
        );
        warn(
            lint,
            &format!("rules.{name}.critical_share"),
            critical_share > 1.0,
            format!("{critical_share} is more than a whole usual day: the rule can never be critical"),
        );
        warn(
            lint,
            &format!("rules.{name}.cooldown_s"),
            cooldown < s.bucket_s,
            format!("{cooldown} s is shorter than a bucket: one surge may page again and again"),
        );
        warn(
            lint,
            &format!("rules.{name}.for_s"),
            for_s > 86_400,
            format!("{for_s} s: a surge must last over a day before it fires"),
        );
    }
}

/// The negative-share, key-node and flat-line rules.
fn rule_thresholds(lint: &mut Lint<'_>, config: &Config) {
    let r = &config.signals.rules;
    let n = &r.negative_surge;
    warn(
        lint,
        "rules.negative_surge.min_z",
        n.min_z < 2.0,
        format!("{} is below 2: chance alone will fire it", n.min_z),
    );
    warn(
        lint,
        "rules.negative_surge.min_lift",
        n.min_lift < 0.05,
        format!("{} is a rise of under 5 points: barely a change", n.min_lift),
    );
    warn(
        lint,
        "rules.negative_surge.min_volume",
        n.min_volume < 10,
        format!("{} scored mentions are too few for a share to mean anything", n.min_volume),
    );
    warn(
        lint,
        "rules.key_node_negative.min_key_node",
        r.key_node_negative.min_key_node < 0.5,
        format!("{} makes most authors key nodes", r.key_node_negative.min_key_node),
    );
    warn(
        lint,
        "rules.flat_line.silent_for_s",
        r.flat_line.silent_for_s < 300,
        format!("{} s of silence is ordinary for most watches", r.flat_line.silent_for_s),
    );
}

/// Lints a test file: whether it parses, its configuration loads, and its
/// cases name watches that exist.
pub fn check_test_file(path: &Path, config: Option<&Path>) -> Vec<Finding> {
    let err = |line: Option<usize>, key: &str, message: String| Finding {
        path: path.to_path_buf(),
        line,
        key: key.to_string(),
        level: Level::Error,
        message,
    };
    let file = match TestFile::load(path) {
        Ok(f) => f,
        Err(crate::Error::Parse { line, message, .. }) => return vec![err(line, "", message)],
        Err(crate::Error::Invalid { line, reason, .. }) => return vec![err(Some(line), "", reason)],
        Err(e) => return vec![err(None, "", e.to_string())],
    };
    let Some(config_path) = config.map(Path::to_path_buf).or_else(|| file.config.clone()) else {
        return vec![err(None, "config", "names no configuration to test".to_string())];
    };
    let config = match Config::load(&config_path) {
        Ok(c) => c,
        Err(e) => return vec![err(None, "config", e.to_string())],
    };
    let mut out = Vec::new();
    for case in &file.cases {
        let ws_name = match &case.kind {
            CaseKind::Match(m) => m.workspace.as_ref(),
            CaseKind::Series(s) => s.workspace.as_ref(),
            CaseKind::Baseline(b) => b.workspace.as_ref(),
        }
        .or(file.workspace.as_ref())
        .cloned()
        .or_else(|| config.workspaces.first().map(|w| w.name.clone()))
        .unwrap_or_default();
        let Some(ws) = config.workspace(&ws_name) else {
            out.push(err(Some(case.line), "workspace", format!("case `{}`: no workspace `{ws_name}`", case.name)));
            continue;
        };
        let named: Vec<&String> = match &case.kind {
            CaseKind::Match(m) => m.tagged.iter().chain(&m.not_tagged).collect(),
            CaseKind::Series(s) => s
                .streams
                .iter()
                .flat_map(|st| st.watch.iter().chain(&st.tags).chain(&st.crisis_watch))
                .chain(s.expect.iter().map(|e| &e.watch))
                .chain(s.never.iter().filter_map(|n| n.watch.as_ref()))
                .collect(),
            CaseKind::Baseline(b) => {
                if !b.file.exists() {
                    out.push(err(
                        Some(case.line),
                        "file",
                        format!("case `{}`: {} does not exist", case.name, b.file.display()),
                    ));
                }
                Vec::new()
            }
        };
        for w in named {
            if !ws.watches.iter().any(|x| &x.name == w) {
                out.push(err(
                    Some(case.line),
                    "",
                    format!("case `{}`: `{w}` is not a watch of workspace `{ws_name}`", case.name),
                ));
            }
        }
    }
    out
}
