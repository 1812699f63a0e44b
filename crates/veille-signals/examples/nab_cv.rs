//! Scores the volume detector on a NAB corpus and cross-validates its settings.
//!
//! ```text
//! cargo run --release -p veille-signals --example nab_cv -- ../shared/data/nab
//! cargo run --release -p veille-signals --example nab_cv -- ../shared/data/nab \
//!     threshold=2.5,2.8,3.2 record_margin=0.03,0.05,0.08 level_margin=0.05,0.08,0.12
//! ```
//!
//! With the data folder alone it prints, for the default `[signals.detector]`
//! settings, the windows caught, the false alarms and the three NAB scores of
//! every category and overall. Each further `key=v1,v2,...` adds a setting to
//! a grid (any numeric `[signals.detector]` key, or `cooldown_s` for the
//! evaluation's quiet time after an alarm): every combination is scored, the
//! best ones are listed, and the grid is cross-validated twice, leaving one
//! category out and five folds of files (every fifth file). In each fold the
//! combination with the best standard + reward_low_FP score on the other files
//! is scored on the held-out ones; the held-out scores give the mean and
//! spread over folds, and, summed as NAB sums files, a pooled score.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a example reports a broken setup

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

use veille_signals::nab::{default_windows, evaluate, NabCorpus, NabDetector, NabProfile, NabReport};

const PROFILES: [NabProfile; 3] = NabProfile::ALL;

fn set(settings: &mut NabDetector, key: &str, value: f64) -> Result<(), String> {
    let d = &mut settings.detector;
    let whole = || {
        if value >= 0.0 && value.fract() == 0.0 {
            Ok(value as u64)
        } else {
            Err(format!("{key} takes a whole number"))
        }
    };
    match key {
        "power" => d.power = value,
        "level_memory_s" => d.level_memory_s = value,
        "seasonal_memory_days" => d.seasonal_memory_days = value,
        "scale_memory_s" => d.scale_memory_s = value,
        "clip" => d.clip = value,
        "excess_cutoff" => d.excess_cutoff = value,
        "excess_window_s" => d.excess_window_s = whole()?,
        "reference_days" => d.reference_days = whole()? as usize,
        "threshold" => d.threshold = value,
        "min_reference" => d.min_reference = value,
        "record_margin" => d.record_margin = value,
        "level_window_s" => d.level_window_s = whole()?,
        "level_margin" => d.level_margin = value,
        "seasonal_window_s" => d.seasonal_window_s = whole()?,
        "seasonal_margin" => d.seasonal_margin = value,
        "seasonal_min_days" => d.seasonal_min_days = whole()?,
        "warmup_s" => d.warmup_s = whole()?,
        "warmup_buckets" => d.warmup_buckets = whole()?,
        "cooldown_s" => settings.cooldown_s = whole()?,
        _ => return Err(format!("unknown setting `{key}`")),
    }
    Ok(())
}

fn print_report(report: &NabReport) {
    println!("{:<24} {:>9} {:>5} {:>9} {:>10} {:>10}", "category", "windows", "fp", "standard", "low_FP", "low_FN");
    let Some(standard) = report.profiles.get(&NabProfile::Standard) else { return };
    let rows = standard.categories.iter().map(|(c, t)| (c.as_str(), *t)).chain([("ALL", standard.total)]);
    for (category, t) in rows {
        let score = |p: NabProfile| {
            let tally = if category == "ALL" {
                report.profiles.get(&p).map(|s| s.total)
            } else {
                report.profiles.get(&p).and_then(|s| s.categories.get(category).copied())
            };
            tally.and_then(|t| t.score()).map_or("-".to_string(), |s| format!("{s:.2}"))
        };
        println!(
            "{category:<24} {:>4}/{:<4} {:>5} {:>9} {:>10} {:>10}",
            t.detected_windows,
            t.windows,
            t.false_positives,
            score(PROFILES[0]),
            score(PROFILES[1]),
            score(PROFILES[2])
        );
    }
}

/// standard + reward_low_FP over the files `keep` accepts.
fn objective(report: &NabReport, keep: &dyn Fn(&str) -> bool) -> f64 {
    PROFILES[..2].iter().map(|&p| report.tally(p, keep).score().unwrap_or(0.0)).sum()
}

fn cross_validate(label: &str, folds: &[BTreeSet<String>], grid: &[(String, NabReport)]) {
    let mut held_out = Vec::new();
    let mut pooled = vec![veille_signals::nab::Tally::default(); PROFILES.len()];
    for test in folds {
        let train = |k: &str| !test.contains(k);
        let Some((name, best)) = grid.iter().max_by(|a, b| objective(&a.1, &train).total_cmp(&objective(&b.1, &train)))
        else {
            return;
        };
        let scores: Vec<f64> =
            PROFILES.iter().map(|&p| best.tally(p, |k| test.contains(k)).score().unwrap_or(0.0)).collect();
        for (i, &p) in PROFILES.iter().enumerate() {
            let t = best.tally(p, |k| test.contains(k));
            pooled[i].raw += t.raw;
            pooled[i].null += t.null;
            pooled[i].perfect += t.perfect;
        }
        held_out.push((scores, name.clone()));
    }
    let stats = |i: usize| {
        let xs: Vec<f64> = held_out.iter().map(|(s, _)| s[i]).collect();
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0)).sqrt();
        (mean, sd)
    };
    let ((ms, ss), (ml, sl)) = (stats(0), stats(1));
    println!(
        "CV {label}: fold mean standard {ms:.1} ± {ss:.1}, reward_low_FP {ml:.1} ± {sl:.1}; pooled standard {:.2}, reward_low_FP {:.2}, reward_low_FN {:.2}",
        pooled[0].score().unwrap_or(0.0),
        pooled[1].score().unwrap_or(0.0),
        pooled[2].score().unwrap_or(0.0)
    );
    for (i, (s, name)) in held_out.iter().enumerate() {
        println!("  fold {i}: standard {:6.2}  reward_low_FP {:6.2}  chose {name}", s[0], s[1]);
    }
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let data = PathBuf::from(args.next().ok_or("usage: nab_cv DATA_DIR [key=v1,v2,...]...")?);
    let corpus = NabCorpus::load(&data, &default_windows(&data)).map_err(|e| e.to_string())?;
    let mut axes: Vec<(String, Vec<f64>)> = Vec::new();
    for arg in args {
        let (key, values) = arg.split_once('=').ok_or(format!("`{arg}` is not key=v1,v2,..."))?;
        let values: Result<Vec<f64>, _> = values.split(',').map(str::parse).collect();
        axes.push((key.to_string(), values.map_err(|_| format!("`{arg}`: values must be numbers"))?));
    }
    let defaults = NabDetector::default();
    let report = evaluate(&corpus, &defaults, None).map_err(|e| e.to_string())?;
    println!("defaults:");
    print_report(&report);
    if axes.is_empty() {
        return Ok(());
    }
    let mut combos: Vec<(String, NabDetector)> = vec![(String::new(), defaults)];
    for (key, values) in &axes {
        let mut next = Vec::new();
        for (name, settings) in &combos {
            for &v in values {
                let mut s = settings.clone();
                set(&mut s, key, v)?;
                next.push((format!("{name} {key}={v}").trim().to_string(), s));
            }
        }
        combos = next;
    }
    let mut grid = Vec::new();
    for (name, settings) in combos {
        grid.push((name, evaluate(&corpus, &settings, None).map_err(|e| e.to_string())?));
    }
    let all = |_: &str| true;
    let mut ranked: Vec<&(String, NabReport)> = grid.iter().collect();
    ranked.sort_by(|a, b| objective(&b.1, &all).total_cmp(&objective(&a.1, &all)));
    println!("best of {} combinations on all files:", grid.len());
    for (name, r) in ranked.iter().take(10) {
        let t = r.tally(NabProfile::Standard, all);
        println!(
            "  standard {:6.2}  reward_low_FP {:6.2}  {}/{} windows {} fp  {name}",
            r.overall(NabProfile::Standard),
            r.overall(NabProfile::RewardLowFpRate),
            t.detected_windows,
            t.windows,
            t.false_positives
        );
    }
    // Leave one category out (categories with windows), and five folds of files.
    let by_category: Vec<BTreeSet<String>> = corpus
        .categories()
        .iter()
        .map(|c| corpus.files.iter().filter(|f| f.category == *c).map(|f| f.key.clone()).collect::<BTreeSet<_>>())
        .filter(|keys| corpus.files.iter().any(|f| keys.contains(&f.key) && !f.windows.is_empty()))
        .collect();
    cross_validate("leave one category out", &by_category, &grid);
    let folds: Vec<BTreeSet<String>> = (0..5)
        .map(|k| corpus.files.iter().enumerate().filter(|(i, _)| i % 5 == k).map(|(_, f)| f.key.clone()).collect())
        .collect();
    cross_validate("5 folds of files", &folds, &grid);
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
