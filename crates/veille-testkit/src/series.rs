//! Series cases: a synthetic stream, bucket by bucket, through the same
//! replay as `veille backtest`, then the alerts it raised against those expected.

use chrono::{DateTime, Duration, TimeZone, Utc};
use veille_alert::{Alert, Replay, ReplayOutcome};
use veille_model::{Author, Mention, Platform, Sentiment, SentimentLabel, TermHit, WatchKind, WatchMatch};
use veille_signals::RuleKind;

use crate::file::{AuthorsSpec, Expect, Never, SeriesCase, ShareSpec, Stream, TestFile};
use crate::notation::{parse_duration, Runs};
use crate::run::{fire_time, Exercised, Outcome, Subject};

/// A stream made ready to generate: its tags and its per-bucket figures.
struct Plan<'a> {
    index: usize,
    stream: &'a Stream,
    tags: Vec<WatchMatch>,
    rate: Runs,
    negative: Option<Runs>,
    crisis: Option<(Runs, String)>,
    made: u64,
}

fn default_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).single().unwrap_or_default()
}

/// Runs one series case.
pub(crate) fn run(case: &SeriesCase, file: &TestFile, subject: &Subject) -> (Outcome, Exercised) {
    let mut touched = Exercised::default();
    match run_inner(case, file, subject, &mut touched) {
        Ok(outcome) => (outcome, touched),
        Err(e) => (Outcome::Failed(e), touched),
    }
}

fn run_inner(
    case: &SeriesCase,
    file: &TestFile,
    subject: &Subject,
    touched: &mut Exercised,
) -> Result<Outcome, String> {
    let workspace = subject.workspace(case.workspace.as_ref(), file.workspace.as_ref())?;
    let start = case.start.and_then(|t| DateTime::from_timestamp_millis(t.unix_millis())).unwrap_or_else(default_start);
    let bucket_s = subject.config.signals.bucket_s;
    if case.streams.is_empty() {
        return Err("a series case needs at least one [[series.stream]]".to_string());
    }
    let mut plans = Vec::new();
    for (index, stream) in case.streams.iter().enumerate() {
        plans.push(plan(index, stream, &workspace, subject).map_err(|e| format!("stream {}: {e}", index + 1))?);
    }
    for e in &case.expect {
        if let Some(err) = subject.unknown_watch(&workspace, &e.watch) {
            return Err(format!("expect {} on {}: {err}", e.rule, e.watch));
        }
        touched.watches.insert((workspace.clone(), e.watch.clone()));
        touched.rules.insert(e.rule);
    }
    for n in &case.never {
        if let Some(err) = n.watch.as_ref().and_then(|w| subject.unknown_watch(&workspace, w)) {
            return Err(format!("never: {err}"));
        }
    }
    for p in &plans {
        if let Some(w) = &p.stream.watch {
            touched.watches.insert((workspace.clone(), w.clone()));
        }
    }

    let buckets = plans.iter().map(|p| p.rate.len()).max().unwrap_or(0);
    let end = start + Duration::seconds(buckets as i64 * bucket_s as i64);
    let mut replay = Replay::new(&subject.config.signals, &subject.config.alerts)
        .map_err(|e| format!("[signals]: {e}"))?
        .keep_buckets(bucket_s);
    let mut batch: Vec<Mention> = Vec::new();
    for b in 0..buckets {
        let bucket_start = start + Duration::seconds(b as i64 * bucket_s as i64);
        batch.clear();
        for p in &mut plans {
            generate(p, b, bucket_start, bucket_s, &workspace, &mut batch);
        }
        batch.sort_by_key(|m| m.created_at);
        // Event time moves on at every bucket, mentions or not, as in live mode.
        replay.advance_to(bucket_start);
        for m in &batch {
            replay.observe(m);
        }
    }
    let outcome = replay.finish();

    let mut failures = Vec::new();
    for e in &case.expect {
        if let Some(f) = check_expect(e, &workspace, start, &outcome, subject)? {
            failures.push(f);
        }
    }
    for n in &case.never {
        failures.extend(check_never(n, &workspace, start, end, &outcome, subject)?);
    }
    if failures.is_empty() {
        Ok(Outcome::Passed)
    } else {
        Ok(Outcome::Failed(failures.join("\n")))
    }
}

fn plan<'a>(index: usize, stream: &'a Stream, workspace: &str, subject: &Subject) -> Result<Plan<'a>, String> {
    let ws = subject.config.workspace(workspace).ok_or_else(|| format!("no workspace `{workspace}`"))?;
    let mut names: Vec<&String> = stream.watch.iter().collect();
    names.extend(&stream.tags);
    if names.is_empty() {
        return Err("name the `watch` (or the `tags`) its mentions are tagged with".to_string());
    }
    let mut tags = Vec::new();
    for name in names {
        if let Some(e) = subject.unknown_watch(workspace, name) {
            return Err(e);
        }
        let kind = ws.watches.iter().find(|w| &w.name == name).map_or(WatchKind::Brand, |w| w.kind);
        tags.push(WatchMatch { watch: name.clone(), kind, hits: Vec::new() });
    }
    let rate = Runs::parse(&stream.rate).map_err(|e| format!("rate {e}"))?;
    let negative = match &stream.negative {
        None => None,
        Some(ShareSpec::Constant(v)) if (0.0..=1.0).contains(v) => Some(Runs::constant(*v, rate.len() as u32)),
        Some(ShareSpec::Constant(v)) => return Err(format!("negative share {v} is not between 0 and 1")),
        Some(ShareSpec::Runs(text)) => {
            let r = Runs::parse(text).map_err(|e| format!("negative {e}"))?;
            if r.values().any(|v| v > 1.0) {
                return Err("negative shares must be between 0 and 1".to_string());
            }
            Some(r)
        }
    };
    let crisis = match &stream.crisis {
        None => None,
        Some(text) => {
            let runs = Runs::parse(text).map_err(|e| format!("crisis {e}"))?;
            let watch = match &stream.crisis_watch {
                Some(w) => {
                    if let Some(e) = subject.unknown_watch(workspace, w) {
                        return Err(e);
                    }
                    w.clone()
                }
                None => {
                    ws.watches.iter().find(|w| w.kind == WatchKind::Crisis).map(|w| w.name.clone()).ok_or_else(
                        || format!("crisis hits need a crisis watch, and workspace `{workspace}` has none"),
                    )?
                }
            };
            if let Some(b) =
                (0..runs.len()).find(|&b| runs.at(b).unwrap_or(0.0) > 0.0 && rate.at(b).unwrap_or(0.0) < 1.0)
            {
                return Err(format!("bucket {b} has crisis hits but no mention to carry them"));
            }
            Some((runs, watch))
        }
    };
    Ok(Plan { index, stream, tags, rate, negative, crisis, made: 0 })
}

/// Appends the mentions of bucket `b` of plan `p`, spread evenly over the bucket.
fn generate(p: &mut Plan<'_>, b: usize, bucket_start: DateTime<Utc>, bucket_s: u64, ws: &str, out: &mut Vec<Mention>) {
    let n = p.rate.at(b).unwrap_or(0.0).round() as u64;
    if n == 0 {
        return;
    }
    let negatives = p.negative.as_ref().map(|r| (r.at(b).unwrap_or(0.0) * n as f64).round() as u64);
    let hits = p.crisis.as_ref().map_or(0, |(r, _)| r.at(b).unwrap_or(0.0).round() as u64);
    // Even spreads: item j gets floor((j+1)k/n) - floor(jk/n) of k things.
    let share = |k: u64, j: u64| (j + 1) * k / n - j * k / n;
    let s = p.stream;
    let label = s.watch.as_deref().or(s.tags.first().map(String::as_str)).unwrap_or("watch");
    for j in 0..n {
        let k = p.made;
        p.made += 1;
        let at = bucket_start + Duration::milliseconds((j * bucket_s * 1000 / n) as i64);
        let handle = match &s.authors {
            Some(AuthorsSpec::Handles(h)) if !h.is_empty() => h[(k as usize) % h.len()].clone(),
            Some(AuthorsSpec::Count(c)) => format!("user{}", k % u64::from((*c).max(1))),
            _ => format!("user{}", k % 500),
        };
        let text = if s.examples.is_empty() {
            format!("a post about {label}")
        } else {
            s.examples[(k as usize) % s.examples.len()].clone()
        };
        let author = Author { handle, followers: s.followers, ..Author::default() };
        let mut m = Mention::new(s.platform.unwrap_or(Platform::X), format!("s{}-{k}", p.index), text, at, author);
        m.workspace = ws.to_string();
        m.tags = p.tags.clone();
        if let Some(neg) = negatives {
            let negative = share(neg, j) > 0;
            m.scores.sentiment = Some(Sentiment {
                label: if negative { SentimentLabel::Negative } else { SentimentLabel::Neutral },
                compound: if negative { -0.6 } else { 0.0 },
                positive: 0.0,
                neutral: if negative { 0.5 } else { 1.0 },
                negative: if negative { 0.5 } else { 0.0 },
                lang: None,
                scorer: "test".into(),
                brands: Vec::new(),
            });
        }
        if let Some((_, watch)) = &p.crisis {
            let count = share(hits, j);
            if count > 0 {
                let terms = &s.crisis_terms;
                let hits = (0..count)
                    .map(|h| TermHit {
                        term: if terms.is_empty() {
                            "crisis".to_string()
                        } else {
                            terms[((k + h) as usize) % terms.len()].clone()
                        },
                        start: 0,
                        end: 0,
                    })
                    .collect();
                m.tags.push(WatchMatch { watch: watch.clone(), kind: WatchKind::Crisis, hits });
            }
        }
        out.push(m);
    }
}

/// `+1d 0h07m` from the series start.
fn offset(start: DateTime<Utc>, t: DateTime<Utc>) -> String {
    let s = (t - start).num_seconds();
    let (sign, s) = if s < 0 { ("-", -s) } else { ("+", s) };
    let (d, h, m, sec) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
    let mut out = format!("{sign}{d}d{h}h{m:02}m");
    if sec != 0 {
        out += &format!("{sec:02}s");
    }
    out
}

fn stamp(start: DateTime<Utc>, t: DateTime<Utc>) -> String {
    format!("{} ({})", t.format("%Y-%m-%d %H:%M:%S"), offset(start, t))
}

fn check_expect(
    e: &Expect,
    ws: &str,
    start: DateTime<Utc>,
    outcome: &ReplayOutcome,
    subject: &Subject,
) -> Result<Option<String>, String> {
    let at = start + parse_duration(&e.at).map_err(|err| format!("expect {} on {}: at {err}", e.rule, e.watch))?;
    let within = match &e.within {
        Some(w) => parse_duration(w).map_err(|err| format!("expect {} on {}: within {err}", e.rule, e.watch))?,
        None => Duration::minutes(2),
    };
    let by = at + within;
    let of_group: Vec<&Alert> =
        outcome.alerts.iter().filter(|a| a.workspace == ws && a.watch == e.watch && a.rule == e.rule).collect();
    let head = format!(
        "expected {} on {} to fire between {} and {} (within {})",
        e.rule,
        e.watch,
        stamp(start, at),
        offset(start, by),
        veille_signals::duration_text(within.num_seconds().max(0) as u64)
    );
    let Some(alert) = of_group.iter().find(|a| (at..=by).contains(&fire_time(outcome, a))) else {
        let mut msg = format!("{head}\n");
        if of_group.is_empty() {
            msg += "it never fired\n";
        }
        for a in &of_group {
            let t = fire_time(outcome, a);
            let how = if t > by {
                format!("{} late", veille_signals::duration_text((t - by).num_seconds() as u64))
            } else {
                format!("{} early", veille_signals::duration_text((at - t).num_seconds() as u64))
            };
            msg += &format!("it fired at {} ({how}): {}\n", stamp(start, t), a.explanation.summary);
        }
        // Show the values up to the first fire after the expected time, so a late alert's surge is in view.
        let later = of_group.iter().map(|a| fire_time(outcome, a)).filter(|&t| t > at).min();
        msg += &around(outcome, ws, &e.watch, e.rule, at, later, Some(start), subject);
        msg += &others(outcome, ws, start, e);
        return Ok(Some(msg.trim_end().to_string()));
    };
    let mut problems = Vec::new();
    if let Some(sev) = e.severity {
        if alert.severity != sev {
            problems.push(format!("expected severity {}, it was {}", sev.as_str(), alert.severity.as_str()));
        }
    }
    let text = format!("{}\n{}", alert.explanation.summary, alert.explanation.description).to_lowercase();
    let lacking: Vec<&str> =
        e.explains.iter().map(String::as_str).filter(|w| !text.contains(&w.to_lowercase())).collect();
    if !lacking.is_empty() {
        problems.push(format!(
            "its explanation lacks {}:\n{}",
            lacking.iter().map(|w| format!("`{w}`")).collect::<Vec<_>>().join(", "),
            alert.explanation.summary
        ));
    }
    if problems.is_empty() {
        return Ok(None);
    }
    Ok(Some(format!(
        "{} on {} fired at {} as expected, but {}",
        e.rule,
        e.watch,
        stamp(start, fire_time(outcome, alert)),
        problems.join("; ")
    )))
}

/// The other alerts of the run, briefly, so a failure shows what did fire.
fn others(outcome: &ReplayOutcome, ws: &str, start: DateTime<Utc>, e: &Expect) -> String {
    let rest: Vec<String> = outcome
        .alerts
        .iter()
        .filter(|a| a.workspace == ws && !(a.watch == e.watch && a.rule == e.rule))
        .take(5)
        .map(|a| format!("{} on {} at {}", a.rule, a.watch, offset(start, fire_time(outcome, a))))
        .collect();
    if rest.is_empty() {
        String::new()
    } else {
        format!("other alerts: {}\n", rest.join(", "))
    }
}

fn check_never(
    n: &Never,
    ws: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    outcome: &ReplayOutcome,
    subject: &Subject,
) -> Result<Vec<String>, String> {
    let from = match &n.from {
        Some(f) => start + parse_duration(f).map_err(|e| format!("never: from {e}"))?,
        None => start,
    };
    let until = match &n.until {
        Some(u) => start + parse_duration(u).map_err(|e| format!("never: until {e}"))?,
        None => end + Duration::days(1),
    };
    let what =
        format!("{} on {}", n.rule.map_or("any rule", RuleKind::as_str), n.watch.as_deref().unwrap_or("any watch"));
    let mut out = Vec::new();
    for a in &outcome.alerts {
        let t = fire_time(outcome, a);
        let hit = a.workspace == ws
            && n.rule.is_none_or(|r| r == a.rule)
            && n.watch.as_ref().is_none_or(|w| w == &a.watch)
            && (from..until).contains(&t);
        if hit {
            let mut msg = format!(
                "expected {what} to stay quiet from {} to {}\n{} on {} fired at {} ({}): {}\n",
                offset(start, from),
                offset(start, until),
                a.rule,
                a.watch,
                stamp(start, t),
                a.severity.as_str(),
                a.explanation.summary
            );
            msg += &around(outcome, ws, &a.watch, a.rule, t, None, Some(start), subject);
            out.push(msg.trim_end().to_string());
        }
    }
    Ok(out)
}

/// The series values around `at` (and on to `until`, at most 30 buckets)
/// against the usual level (the mean of the day before), for the figure the rule watches.
#[allow(clippy::too_many_arguments)]
pub(crate) fn around(
    outcome: &ReplayOutcome,
    ws: &str,
    watch: &str,
    rule: RuleKind,
    at: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
    start: Option<DateTime<Utc>>,
    subject: &Subject,
) -> String {
    let bucket_s = subject.config.signals.bucket_s as i64;
    let of_watch: Vec<_> = outcome.buckets.iter().filter(|b| &*b.workspace == ws && &*b.watch == watch).collect();
    let value = |b: &veille_signals::ClosedBucket| -> f64 {
        match rule {
            RuleKind::CrisisBurst => b.stats.crisis_terms as f64,
            RuleKind::NegativeSurge => b.stats.negative_share().unwrap_or(0.0) * 100.0,
            _ => b.stats.mentions as f64,
        }
    };
    let figure = match rule {
        RuleKind::CrisisBurst => "crisis-term hits",
        RuleKind::NegativeSurge => "negative share (%)",
        _ => "mentions",
    };
    let from = at - Duration::seconds(4 * bucket_s);
    let to = (at + Duration::seconds(8 * bucket_s))
        .max(until.map_or(at, |u| u + Duration::seconds(2 * bucket_s)))
        .min(at + Duration::seconds(26 * bucket_s));
    let day_before: Vec<f64> =
        of_watch.iter().filter(|b| b.start < from && b.start >= from - Duration::days(1)).map(|b| value(b)).collect();
    let usual = match of_watch.first() {
        Some(first) if first.start < from => {
            let since = first.start.max(from - Duration::days(1));
            let total: f64 = day_before.iter().sum();
            if rule == RuleKind::NegativeSurge {
                format!("usually {:.1}", total / day_before.len().max(1) as f64)
            } else {
                // Buckets without mentions are not emitted: divide by the buckets of the span.
                let span = ((from - since).num_seconds() / bucket_s).max(1);
                format!("usually {:.1} a bucket over the day before", total / span as f64)
            }
        }
        _ => "no history before".to_string(),
    };
    let mut cells = Vec::new();
    let mut t = from;
    while t <= to {
        let v = of_watch.iter().find(|b| b.start == t).map_or(0.0, |b| value(b));
        let mark = if t <= at && at < t + Duration::seconds(bucket_s) { "*" } else { "" };
        cells.push(format!("{mark}{v:.0}"));
        t += Duration::seconds(bucket_s);
    }
    let from_text = start.map_or_else(|| from.format("%H:%M").to_string(), |s| offset(s, from));
    format!(
        "{watch} {figure} per bucket from {from_text} (* = {}): {} ({usual})\n",
        at.format("%H:%M"),
        cells.join(" ")
    )
}
