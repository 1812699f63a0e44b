//! The test-file model: what a `*.test.toml` file says, read with the line
//! of every case so failures and errors point at it.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;
use veille_config::signals::Severity;
use veille_config::watch::Timestamp;
use veille_model::Platform;
use veille_signals::RuleKind;

use crate::error::Error;
use crate::lines::line_of;

/// A test file: the configuration it tests and its cases, in file order.
#[derive(Debug, Clone)]
pub struct TestFile {
    /// The file.
    pub path: PathBuf,
    /// The configuration under test, resolved against the file's directory.
    pub config: Option<PathBuf>,
    /// The workspace cases use when they name none.
    pub workspace: Option<String>,
    /// The cases.
    pub cases: Vec<Case>,
}

/// One case with its place in the file.
#[derive(Debug, Clone)]
pub struct Case {
    /// Its name, unique in the file.
    pub name: String,
    /// 1-based line of its table.
    pub line: usize,
    /// What it checks.
    pub kind: CaseKind,
}

/// The three kinds of cases.
#[derive(Debug, Clone)]
pub enum CaseKind {
    /// A text and the watches that must and must not tag it.
    Match(MatchCase),
    /// A synthetic stream and the alerts it must (and must not) raise.
    Series(SeriesCase),
    /// Ordinary mentions through which no alert may fire.
    Baseline(BaselineCase),
}

impl CaseKind {
    /// `match`, `series` or `baseline`.
    pub fn as_str(&self) -> &'static str {
        match self {
            CaseKind::Match(_) => "match",
            CaseKind::Series(_) => "series",
            CaseKind::Baseline(_) => "baseline",
        }
    }
}

/// `[[match]]`: one post, tagged by the configured watches.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchCase {
    /// The case's name.
    pub name: String,
    /// The post's text.
    pub text: String,
    /// Its author's handle (for `author:` rules).
    #[serde(default)]
    pub author: Option<String>,
    /// Its language (for `lang:` rules).
    #[serde(default)]
    pub lang: Option<String>,
    /// Its platform (for `platform:` rules). Default `x`.
    #[serde(default)]
    pub platform: Option<Platform>,
    /// Its workspace; default the file's `workspace`, else the configuration's first.
    #[serde(default)]
    pub workspace: Option<String>,
    /// When it was posted (for campaigns with `from` / `until`). Default 2026-01-05T12:00:00Z.
    #[serde(default)]
    pub at: Option<Timestamp>,
    /// Watches that must tag it.
    #[serde(default)]
    pub tagged: Vec<String>,
    /// Watches that must not tag it.
    #[serde(default)]
    pub not_tagged: Vec<String>,
    /// Whether no watch other than `tagged` may tag it. Default false.
    #[serde(default)]
    pub only: bool,
}

/// `[[series]]`: a synthetic stream, written compactly, through signals and alerts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesCase {
    /// The case's name.
    pub name: String,
    /// The workspace of the stream; default the file's, else the configuration's first.
    #[serde(default)]
    pub workspace: Option<String>,
    /// Event time of the first bucket. Default 2026-01-05T00:00:00Z (a Monday).
    #[serde(default)]
    pub start: Option<Timestamp>,
    /// The mentions, one stream per watch or set of tags.
    #[serde(rename = "stream")]
    pub streams: Vec<Stream>,
    /// Alerts that must fire.
    #[serde(default)]
    pub expect: Vec<Expect>,
    /// Windows in which a rule must stay quiet.
    #[serde(default)]
    pub never: Vec<Never>,
}

/// `[[series.stream]]`: mentions of one watch (or one set of tags), bucket by bucket.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stream {
    /// The watch the mentions are tagged with.
    #[serde(default)]
    pub watch: Option<String>,
    /// More watches every mention is also tagged with.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Mentions per bucket, as runs: `20x1440 200x5 20x60`.
    pub rate: String,
    /// Share of negative mentions: a number for every bucket, or runs (`0.1x1440 0.7x20`).
    /// Absent: the mentions are not scored.
    #[serde(default)]
    pub negative: Option<ShareSpec>,
    /// Crisis-term hits per bucket, as runs, carried by the stream's mentions.
    #[serde(default)]
    pub crisis: Option<String>,
    /// The crisis watch the hits belong to; default the workspace's first crisis watch.
    #[serde(default)]
    pub crisis_watch: Option<String>,
    /// The crisis terms hit, in turn. Default `["crisis"]`.
    #[serde(default)]
    pub crisis_terms: Vec<String>,
    /// Texts of the mentions, in turn (explanations quote them).
    #[serde(default)]
    pub examples: Vec<String>,
    /// Authors: a number of distinct authors, or their handles, in turn. Default 500.
    #[serde(default)]
    pub authors: Option<AuthorsSpec>,
    /// Followers of every author (reach). Default none.
    #[serde(default)]
    pub followers: Option<u64>,
    /// Platform of the mentions. Default `x`.
    #[serde(default)]
    pub platform: Option<Platform>,
}

/// A share, constant or per bucket.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ShareSpec {
    /// The same share in every bucket.
    Constant(f64),
    /// Runs of shares: `0.1x1440 0.7x20`.
    Runs(String),
}

/// Authors of a stream.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum AuthorsSpec {
    /// This many distinct authors, posting in turn.
    Count(u32),
    /// These handles, posting in turn.
    Handles(Vec<String>),
}

/// `[[series.expect]]`: an alert that must fire.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The rule.
    pub rule: RuleKind,
    /// The watch.
    pub watch: String,
    /// Offset from the series start where the condition begins: `1d`, `24h30m`.
    pub at: String,
    /// Detection-delay bound: it must fire at most this long after `at`. Default `2m`.
    #[serde(default)]
    pub within: Option<String>,
    /// Its severity (the highest it reached).
    #[serde(default)]
    pub severity: Option<Severity>,
    /// Words its explanation (summary and description) must contain, in any case.
    #[serde(default)]
    pub explains: Vec<String>,
}

/// `[[series.never]]`: a window in which a rule stays quiet.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Never {
    /// The rule; every rule when absent.
    #[serde(default)]
    pub rule: Option<RuleKind>,
    /// The watch; every watch when absent.
    #[serde(default)]
    pub watch: Option<String>,
    /// Offset where the window starts. Default `0`.
    #[serde(default)]
    pub from: Option<String>,
    /// Offset where it ends (exclusive). Default the end of the series.
    #[serde(default)]
    pub until: Option<String>,
}

/// `[[baseline]]`: an NDJSON file of ordinary mentions; no alert may fire.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineCase {
    /// The case's name.
    pub name: String,
    /// The NDJSON file, relative to the test file.
    pub file: PathBuf,
    /// Put every mention in this workspace; default the mentions' own.
    #[serde(default)]
    pub workspace: Option<String>,
    /// Tag the mentions again with the configured watches (else keep their tags). Default true.
    #[serde(default = "yes")]
    pub retag: bool,
    /// Rules that may not fire; every rule when empty.
    #[serde(default)]
    pub rules: Vec<RuleKind>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    config: Option<PathBuf>,
    #[serde(default)]
    workspace: Option<String>,
    #[serde(default, rename = "match")]
    matches: Vec<Spanned<MatchCase>>,
    #[serde(default)]
    series: Vec<Spanned<SeriesCase>>,
    #[serde(default)]
    baseline: Vec<Spanned<BaselineCase>>,
}

impl TestFile {
    /// Reads and parses a test file.
    pub fn load(path: &Path) -> Result<TestFile, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
        TestFile::parse(&text, path)
    }

    /// Parses test-file text; `path` names it in errors and anchors relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<TestFile, Error> {
        let raw: RawFile = toml::from_str(text).map_err(|e| Error::Parse {
            path: path.to_path_buf(),
            line: e.span().map(|s| line_of(text, s.start)),
            message: e.message().trim().to_string(),
        })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut cases = Vec::new();
        let line = |start: usize| line_of(text, start);
        for m in raw.matches {
            let l = line(m.span().start);
            let m = m.into_inner();
            cases.push(Case { name: m.name.clone(), line: l, kind: CaseKind::Match(m) });
        }
        for s in raw.series {
            let l = line(s.span().start);
            let s = s.into_inner();
            cases.push(Case { name: s.name.clone(), line: l, kind: CaseKind::Series(s) });
        }
        for b in raw.baseline {
            let l = line(b.span().start);
            let mut b = b.into_inner();
            b.file = dir.join(&b.file);
            cases.push(Case { name: b.name.clone(), line: l, kind: CaseKind::Baseline(b) });
        }
        cases.sort_by_key(|c| c.line);
        let mut seen = std::collections::BTreeMap::new();
        for c in &cases {
            if c.name.trim().is_empty() {
                return Err(Error::Invalid {
                    path: path.to_path_buf(),
                    line: c.line,
                    reason: format!("a {} case needs a `name`", c.kind.as_str()),
                });
            }
            if let Some(first) = seen.insert(c.name.as_str(), c.line) {
                return Err(Error::Invalid {
                    path: path.to_path_buf(),
                    line: c.line,
                    reason: format!("case `{}` is also defined at line {first}: names must be unique", c.name),
                });
            }
        }
        Ok(TestFile {
            path: path.to_path_buf(),
            config: raw.config.map(|c| dir.join(c)),
            workspace: raw.workspace,
            cases,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"config = "veille.toml"

[[match]]
name = "brand"
text = "I love Acme"
tagged = ["acme"]

[[series]]
name = "spike"
[[series.stream]]
watch = "acme"
rate = "5x1440 60x5"
[[series.expect]]
rule = "volume_spike"
watch = "acme"
at = "1d"

[[baseline]]
name = "quiet"
file = "quiet.ndjson"
"#;

    #[test]
    fn cases_come_in_file_order_with_their_lines_and_paths_resolved() {
        let f = TestFile::parse(FILE, Path::new("config/x.test.toml")).unwrap();
        assert_eq!(f.config, Some(PathBuf::from("config/veille.toml")));
        let seen: Vec<(&str, usize, &str)> =
            f.cases.iter().map(|c| (c.name.as_str(), c.line, c.kind.as_str())).collect();
        assert_eq!(seen, vec![("brand", 3, "match"), ("spike", 8, "series"), ("quiet", 18, "baseline")]);
        let CaseKind::Baseline(b) = &f.cases[2].kind else { panic!("a baseline") };
        assert_eq!(b.file, PathBuf::from("config/quiet.ndjson"));
    }

    #[test]
    fn mistakes_name_the_line() {
        let bad = FILE.replace("rule = \"volume_spike\"", "rule = \"volume_spikes\"");
        let e = TestFile::parse(&bad, Path::new("x.test.toml")).unwrap_err().to_string();
        assert!(e.starts_with("x.test.toml:14:") && e.contains("volume_spikes"), "{e}");
        let bad = FILE.replace("tagged = [\"acme\"]", "taged = [\"acme\"]");
        let e = TestFile::parse(&bad, Path::new("x.test.toml")).unwrap_err().to_string();
        assert!(e.starts_with("x.test.toml:6:") && e.contains("taged"), "{e}");
        let bad = FILE.replace("name = \"quiet\"", "name = \"brand\"");
        let e = TestFile::parse(&bad, Path::new("x.test.toml")).unwrap_err().to_string();
        assert!(e.contains("x.test.toml:18:") && e.contains("also defined at line 3"), "{e}");
    }
}
