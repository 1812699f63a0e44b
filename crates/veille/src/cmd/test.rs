//! `veille test`: runs test files of watches and alert rules (see `veille_testkit`).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;
use regex::Regex;
use veille_testkit::{run_file, write_junit, Coverage, Exercised, FileReport, Outcome, Subject, TestFile};

#[derive(Debug, Args)]
pub(crate) struct TestArgs {
    /// Test files (`*.test.toml`).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Test this configuration instead of the one each file names.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Run only the cases whose name matches this regular expression.
    #[arg(long)]
    run: Option<String>,
    /// Write the results as JUnit XML to this file.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// List the watches, terms and alert rules that no case exercises.
    #[arg(long)]
    coverage: bool,
}

/// Runs the files; `Ok(false)` when a case failed.
pub(crate) fn run(a: TestArgs) -> Result<bool> {
    let filter = a.run.as_deref().map(Regex::new).transpose().context("--run is not a regular expression")?;
    let mut reports: Vec<FileReport> = Vec::new();
    let mut subjects: Vec<(Subject, Exercised)> = Vec::new();
    for path in &a.files {
        let file = TestFile::load(path)?;
        let Some(config) = a.config.clone().or_else(|| file.config.clone()) else {
            bail!(veille_testkit::Error::NoConfig { path: path.clone() });
        };
        let at = match subjects.iter().position(|(s, _)| s.path == config) {
            Some(i) => i,
            None => {
                subjects.push((Subject::load(&config)?, Exercised::default()));
                subjects.len() - 1
            }
        };
        let report = run_file(&file, &subjects[at].0, filter.as_ref());
        for r in &report.results {
            let ms = r.duration.as_secs_f64() * 1000.0;
            let place = format!("{}:{}", r.file.display(), r.line);
            match &r.outcome {
                Outcome::Passed => println!("ok    {:<8} {}  ({place}, {ms:.0} ms)", r.kind, r.name),
                Outcome::Failed(msg) => {
                    println!("FAIL  {:<8} {}  ({place}, {ms:.0} ms)", r.kind, r.name);
                    for line in msg.lines() {
                        println!("        {line}");
                    }
                }
            }
        }
        subjects[at].1.merge(report.exercised.clone());
        reports.push(report);
    }
    let total: usize = reports.iter().map(|r| r.results.len()).sum();
    let failed: usize = reports.iter().flat_map(|r| &r.results).filter(|c| !c.passed()).count();
    println!("\n{} cases: {} passed, {failed} failed", total, total - failed);
    if let Some(path) = &a.junit {
        let f = std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
        write_junit(&reports, std::io::BufWriter::new(f))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if a.coverage {
        for (subject, exercised) in &subjects {
            let c = Coverage::of(&subject.config, exercised);
            println!("\ncoverage of {}:", subject.path.display());
            if c.is_complete() {
                println!("  every watch, term and alert rule is exercised");
            }
            let list = |title: &str, items: Vec<String>| {
                if !items.is_empty() {
                    println!("  {title} ({}):", items.len());
                    for i in items {
                        println!("    {i}");
                    }
                }
            };
            list("watches no case exercises", c.watches);
            list("terms no match case hits", c.terms);
            list("alert rules no series case expects", c.rules.iter().map(|r| r.to_string()).collect());
        }
    }
    if total == 0 {
        bail!("no case ran{}", a.run.map(|r| format!(" (none matches --run {r})")).unwrap_or_default());
    }
    Ok(failed == 0)
}
