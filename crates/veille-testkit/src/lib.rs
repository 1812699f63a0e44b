//! Watches and alert rules as tested code.
//!
//! A team changes its watches every week; this crate lets it test them like
//! code, in CI, the way `promtool test rules` tests Prometheus alerts.
//!
//! # Test files
//!
//! A test file (`*.test.toml`, TOML like the configuration it tests) names
//! its configuration and holds three kinds of cases ([`TestFile`]):
//!
//! * **match cases** (`[[match]]`): a post (text, and optionally author,
//!   language, platform, workspace and time) and the watches that must
//!   (`tagged`) and must not (`not_tagged`) tag it; `only = true` also
//!   refuses any other watch;
//! * **series cases** (`[[series]]`): a synthetic stream written compactly,
//!   one `[[series.stream]]` per watch: mentions per bucket as runs
//!   (`rate = "20x1440 200x5 20x60"`: a day of 20 a minute, five minutes of
//!   200, an hour of 20, see [`Runs`]), the negative share, crisis-term hits,
//!   example texts and authors; then the alerts that must fire
//!   (`[[series.expect]]`: rule, watch, the offset `at` where the condition
//!   begins and the delay `within` which it must fire, severity, words the
//!   explanation must hold) and windows in which rules must stay quiet
//!   (`[[series.never]]`);
//! * **quiet baselines** (`[[baseline]]`): an NDJSON file of ordinary
//!   mentions through which no alert may fire.
//!
//! # Runs
//!
//! Series and baselines go through [`veille_alert::Replay`], the replay
//! behind `veille backtest`: the configured signals and alert book, on event
//! time only, so a case gives the same result on every machine, every time.
//! A failure says what was expected and what happened; for alerts, the
//! series values around the expected time against the usual level.
//! [`write_junit`] writes the results as JUnit XML, and [`Coverage`] lists
//! the watches, terms and rules no case exercises.
//!
//! # Lint
//!
//! [`check_config`] lints a configuration without running it: it must load,
//! every watch must compile (rules parse, fields exist, terms can match after
//! normalisation, exclusions do not veto every term), terms shared by two
//! watches of a workspace and alert thresholds outside sane ranges are
//! warned about. Every [`Finding`] names the file, the line and the key.
//!
//! ```
//! use std::path::Path;
//! use veille_testkit::{run_file, Subject, TestFile};
//!
//! let dir = std::env::temp_dir().join(format!("veille-testkit-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! std::fs::write(dir.join("veille.toml"), r#"
//! [[workspaces]]
//! name = "default"
//! [[workspaces.watches]]
//! name = "acme"
//! kind = "brand"
//! terms = ["Acme"]
//! exclude = ["Acme Road Runner"]
//! "#).unwrap();
//! let tests = r#"
//! config = "veille.toml"
//!
//! [[match]]
//! name = "the brand is heard"
//! text = "ACME lost my parcel"
//! tagged = ["acme"]
//!
//! [[match]]
//! name = "the cartoon is not the brand"
//! text = "Acme Road Runner reruns tonight"
//! not_tagged = ["acme"]
//! "#;
//! let file = TestFile::parse(tests, &dir.join("acme.test.toml")).unwrap();
//! let subject = Subject::load(file.config.as_deref().unwrap()).unwrap();
//! let report = run_file(&file, &subject, None);
//! assert!(report.results.iter().all(|r| r.passed()));
//! # std::fs::remove_dir_all(&dir).ok();
//! ```

mod coverage;
mod error;
mod file;
mod junit;
mod lines;
mod lint;
mod notation;
mod run;
mod series;

pub use coverage::Coverage;
pub use error::Error;
pub use file::{
    AuthorsSpec, BaselineCase, Case, CaseKind, Expect, MatchCase, Never, SeriesCase, ShareSpec, Stream, TestFile,
};
pub use junit::write_junit;
pub use lines::KeyLines;
pub use lint::{check_config, check_config_text, check_test_file, Finding, Level};
pub use notation::{parse_duration, Runs};
pub use run::{run_file, CaseResult, Exercised, FileReport, Outcome, Subject};
