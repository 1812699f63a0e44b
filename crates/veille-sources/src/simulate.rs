//! `kind = "simulate"`: a realistic bilingual stream about named brands.
//!
//! The generator is deterministic: the same configuration and seed give the
//! same mentions, so a resumed simulator regenerates and skips what it had
//! already sent. It models what listening teams see:
//! - a daily cycle (quiet nights, busy evenings) around the configured rate;
//! - an author population with heavy-tailed followers, where a handful of
//!   influential accounts attract most replies, reposts and @mentions;
//! - English and French posts with positive, neutral and negative wording,
//!   brand names, handles and hashtags;
//! - an optional crisis burst: for a while, volume about one brand jumps and
//!   turns negative, with crisis vocabulary (recall, boycott, scandale, ...).
//!
//! With `history_s`, the stream starts that long before `start` (by default,
//! the moment the source first runs): the history goes out as fast as the
//! pipeline takes it, then the stream goes live, and the crisis comes
//! `after_s` after the live start. A first run thus has days of conversation
//! to chart, and detectors a baseline, before anything happens live.

use std::f64::consts::PI;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use veille_bus::{Batch, Record};
use veille_config::SimulateSource;
use veille_model::{parse_timestamp, Author, Mention, Platform, Reference};

use crate::{metrics, Source, SourceContext, SourceEnd, SourceError};

/// Accounts the simulator makes influential (the first handles of the population).
pub const INFLUENTIAL_AUTHORS: usize = 5;

const PLATFORMS: [Platform; 4] = [Platform::X, Platform::Bluesky, Platform::Mastodon, Platform::Reddit];

const EN_POSITIVE: &[&str] = &[
    "Really impressed by {b} today, great service and friendly staff",
    "Big thanks to {b} for sorting out my order so fast! Love it",
    "{b} just keeps getting better, the new app is awesome",
    "Honestly the best experience I've had with {b} in years",
    "Shout out to the {b} team, super helpful and kind",
];
const EN_NEUTRAL: &[&str] = &[
    "Anyone know if {b} is open on Sunday?",
    "Checking the {b} website for the new prices",
    "{b} announced a new store downtown next month",
    "Comparing {b} and {c} before I decide",
    "Waiting in line at {b}, it's busy this afternoon",
];
const EN_NEGATIVE: &[&str] = &[
    "Terrible customer service from {b}, still waiting for a refund",
    "{b} cancelled my order again. So frustrating and disappointing",
    "Worst experience ever with {b}, never again",
    "Why is {b} so slow? Two hours on hold, this is awful",
    "Very unhappy with {b}, the product broke after a week",
];
const FR_POSITIVE: &[&str] = &[
    "Vraiment content de {b}, service rapide et équipe super sympa",
    "Merci {b} pour votre aide, c'est parfait !",
    "Excellente expérience chez {b}, je recommande",
    "Le nouveau produit de {b} est génial, bravo",
    "Toujours satisfait de {b}, rien à redire",
];
const FR_NEUTRAL: &[&str] = &[
    "Quelqu'un sait si {b} ouvre dimanche ?",
    "Je compare {b} et {c} avant de choisir",
    "{b} annonce un nouveau magasin le mois prochain",
    "En attente chez {b}, il y a du monde cet après-midi",
    "Je regarde les prix sur le site de {b}",
];
const FR_NEGATIVE: &[&str] = &[
    "Service client de {b} vraiment nul, toujours pas remboursé",
    "{b} a encore annulé ma commande, c'est inadmissible",
    "Très déçu par {b}, le produit est tombé en panne",
    "Pire expérience avec {b}, plus jamais",
    "Deux heures d'attente au téléphone avec {b}, c'est honteux",
];
const EN_CRISIS: &[&str] = &[
    "{b} product recall: is it safe? Everyone should boycott {b} until they explain",
    "Scandal at {b}: a data leak exposed customer accounts. Disgusting",
    "Food poisoning after eating {b}, this is a scandal #boycott{b}",
    "{b} recall is a disaster, they lied to customers. Boycott now",
];
const FR_CRISIS: &[&str] = &[
    "Rappel de produit chez {b} : scandale, il faut boycotter {b}",
    "Fuite de données chez {b}, c'est une arnaque totale #boycott{b}",
    "Intoxication après un produit {b}, scandale sanitaire",
    "{b} nous a menti, rappel massif et aucune excuse. Boycott !",
];
const SYLLABLES: &[&str] =
    &["ma", "lo", "ri", "ven", "ka", "sol", "tim", "ber", "na", "zo", "lu", "an", "el", "do", "fi", "ra"];

/// `s` seconds (saturating: configured values are far below the limit).
fn seconds(s: u64) -> TimeDelta {
    TimeDelta::seconds(i64::try_from(s).unwrap_or(i64::MAX / 1_000_000))
}

/// `s` seconds after `t`, or the end of time for a delay past it.
fn later(t: DateTime<Utc>, s: u64) -> DateTime<Utc> {
    t.checked_add_signed(seconds(s)).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// One simulated author.
#[derive(Debug, Clone)]
struct SimAuthor {
    handle: String,
    followers: u64,
    platform: Platform,
    french: bool,
}

/// The deterministic generator behind the source; also used by `veille simulate`.
#[derive(Debug)]
pub struct Simulator {
    config: SimulateSource,
    rng: SmallRng,
    authors: Vec<SimAuthor>,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    generated: u64,
    recent: Vec<(String, usize)>,
}

impl Simulator {
    /// A generator starting at `start` (event time of the first mention); the
    /// stream's first `history_s` seconds are its history.
    pub fn new(config: SimulateSource, start: DateTime<Utc>) -> Self {
        let mut rng = SmallRng::seed_from_u64(config.seed);
        let authors = (0..config.authors)
            .map(|i| {
                let name: String =
                    (0..rng.random_range(2..4)).map(|_| SYLLABLES[rng.random_range(0..SYLLABLES.len())]).collect();
                let followers = if i < INFLUENTIAL_AUTHORS {
                    rng.random_range(50_000..500_000)
                } else {
                    // Pareto-like tail: most accounts have a few hundred followers.
                    (50.0 / rng.random_range(0.02f64..1.0).powf(1.2)) as u64
                };
                SimAuthor {
                    handle: format!("{name}{i}"),
                    followers,
                    platform: PLATFORMS[rng.random_range(0..PLATFORMS.len())],
                    french: rng.random_bool(config.french_share),
                }
            })
            .collect();
        Simulator { config, rng, authors, start, now: start, generated: 0, recent: Vec::new() }
    }

    /// Handles of the accounts the simulator makes influential.
    pub fn influential_handles(&self) -> Vec<String> {
        self.authors.iter().take(INFLUENTIAL_AUTHORS).map(|a| a.handle.clone()).collect()
    }

    /// Mentions generated so far.
    pub fn generated(&self) -> u64 {
        self.generated
    }

    /// Event time of the first mention.
    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    /// Event time of the last generated mention.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Event time where the history ends and the stream goes live (the crisis
    /// comes `after_s` after it).
    pub fn live_from(&self) -> DateTime<Utc> {
        later(self.start, self.config.history_s)
    }

    fn in_crisis(&self, t: DateTime<Utc>) -> bool {
        self.config.crisis.as_ref().is_some_and(|c| {
            let from = later(self.live_from(), c.after_s);
            t >= from && t < later(from, c.duration_s)
        })
    }

    /// Mentions per second at event time `t`: the daily cycle, plus the crisis burst.
    fn rate_at(&self, t: DateTime<Utc>) -> f64 {
        let hour = (t.timestamp().rem_euclid(86_400)) as f64 / 3600.0;
        let daily = 1.0 + 0.6 * (2.0 * PI * (hour - 13.0) / 24.0).cos();
        let base = self.config.rate * daily;
        match &self.config.crisis {
            Some(c) if self.in_crisis(t) => {
                base + self.config.rate * (c.intensity - 1.0) / self.config.brands.len() as f64
            }
            _ => base,
        }
    }

    fn pick_author(&mut self) -> usize {
        // Activity follows a Zipf-like law over the population.
        let n = self.authors.len() as f64;
        let u: f64 = self.rng.random_range(0.0..1.0);
        ((n.powf(u) - 1.0) as usize).min(self.authors.len() - 1)
    }

    fn target(&mut self) -> usize {
        if self.rng.random_bool(0.6) {
            self.rng.random_range(0..INFLUENTIAL_AUTHORS.min(self.authors.len()))
        } else {
            self.pick_author()
        }
    }

    /// A post's text from a template of the author's language and the moment's mood, naming
    /// `brand` (and `other` where the template compares); sometimes with an @ or a # of the brand.
    fn text(&mut self, french: bool, crisis: bool, brand: &str, other: &str) -> String {
        let templates = match (french, crisis, self.rng.random_range(0..10)) {
            (false, true, _) => EN_CRISIS,
            (true, true, _) => FR_CRISIS,
            (false, false, 0..=2) => EN_POSITIVE,
            (false, false, 3..=6) => EN_NEUTRAL,
            (false, false, _) => EN_NEGATIVE,
            (true, false, 0..=2) => FR_POSITIVE,
            (true, false, 3..=6) => FR_NEUTRAL,
            (true, false, _) => FR_NEGATIVE,
        };
        let squashed: String = brand.chars().filter(|c| c.is_alphanumeric()).collect();
        let mut text = templates[self.rng.random_range(0..templates.len())].replace("{b}", brand).replace("{c}", other);
        text = text.replace(&format!("#boycott{brand}"), &format!("#boycott{squashed}"));
        if self.rng.random_bool(0.25) {
            text.push_str(&format!(" @{}", squashed.to_lowercase()));
        }
        if self.rng.random_bool(0.15) {
            text.push_str(&format!(" #{squashed}"));
        }
        text
    }

    /// Makes `m` a reply, quote or repost of a recent post on its platform (preferably an
    /// influential author's), or has it @mention an account, or neither.
    fn interact(&mut self, m: &mut Mention, platform: veille_model::Platform) {
        let roll: f64 = self.rng.random_range(0.0..1.0);
        let same_platform: Vec<usize> =
            (0..self.recent.len()).filter(|&i| self.authors[self.recent[i].1].platform == platform).collect();
        if roll < 0.35 && !same_platform.is_empty() {
            let influential: Vec<usize> =
                same_platform.iter().copied().filter(|&i| self.recent[i].1 < INFLUENTIAL_AUTHORS).collect();
            let pool = if !influential.is_empty() && self.rng.random_bool(0.7) { influential } else { same_platform };
            let (post, to) = self.recent[pool[self.rng.random_range(0..pool.len())]].clone();
            let reference = Some(Reference { id: post, author: Some(self.authors[to].handle.clone()) });
            match self.rng.random_range(0..3) {
                0 => m.reply_to = reference,
                1 => m.quote_of = reference,
                _ => m.repost_of = reference,
            }
        } else if roll < 0.5 {
            let to = self.target();
            let handle = self.authors[to].handle.clone();
            m.text.push_str(&format!(" cc @{handle}"));
            m.mentions.push(handle);
        }
    }

    /// The next mention of the stream.
    pub fn next_mention(&mut self) -> Mention {
        let rate = self.rate_at(self.now).max(1e-6);
        let gap: f64 = -self.rng.random_range(f64::EPSILON..1.0).ln() / rate;
        self.now += TimeDelta::microseconds((gap * 1e6) as i64);
        let crisis_brand = self.config.crisis.as_ref().map(|c| c.brand.clone());
        let crisis_share = match &self.config.crisis {
            Some(c) if self.in_crisis(self.now) => {
                self.config.rate * (c.intensity - 1.0) / self.config.brands.len() as f64 / rate
            }
            _ => 0.0,
        };
        let crisis = crisis_brand.is_some() && self.rng.random_bool(crisis_share.clamp(0.0, 1.0));
        let author_ix = self.pick_author();
        let author = self.authors[author_ix].clone();
        let brands = &self.config.brands;
        let brand = match (&crisis_brand, crisis) {
            (Some(b), true) => b.clone(),
            _ => brands[self.rng.random_range(0..brands.len())].clone(),
        };
        let other = brands.iter().find(|b| **b != brand).cloned().unwrap_or_else(|| brand.clone());
        let text = self.text(author.french, crisis, &brand, &other);
        let id = format!("sim-{}-{}", self.config.seed, self.generated);
        let mut m = Mention::new(
            author.platform,
            id.clone(),
            text,
            self.now,
            Author {
                id: Some(format!("u{author_ix}")),
                handle: author.handle.clone(),
                display_name: None,
                followers: Some(author.followers),
            },
        );
        m.lang = Some(if author.french { "fr" } else { "en" }.into());
        m.url = Some(format!("https://{}.example/{}/{}", author.platform, author.handle, id));
        self.interact(&mut m, author.platform);
        let fame = (author.followers as f64).sqrt();
        m.engagement.likes = (fame * self.rng.random_range(0.0..0.5)) as u64;
        m.engagement.reposts = (fame * self.rng.random_range(0.0..0.1)) as u64;
        m.engagement.replies = (fame * self.rng.random_range(0.0..0.05)) as u64;
        if let Some(ws) = &self.config.workspace {
            m.workspace = ws.clone();
        }
        if self.recent.len() >= 200 {
            let slot = (self.generated % 200) as usize;
            self.recent[slot] = (id, author_ix);
        } else {
            self.recent.push((id, author_ix));
        }
        self.generated += 1;
        m
    }
}

/// The simulator as a pipeline source, paced in event time by `speed`.
#[derive(Debug, Clone)]
pub struct SimulatorSource {
    config: SimulateSource,
    start: Option<DateTime<Utc>>,
}

impl SimulatorSource {
    /// A source for `config`; fails when `start` is not a timestamp or the history is longer
    /// than [`SimulateSource::MAX_HISTORY_S`].
    pub fn new(config: SimulateSource) -> Result<Self, SourceError> {
        if config.history_s > SimulateSource::MAX_HISTORY_S {
            return Err(SourceError::Config {
                source_name: config.name.clone(),
                message: format!("history_s: {} is more than a year", config.history_s),
            });
        }
        let start = match &config.start {
            Some(s) => Some(parse_timestamp(s).map_err(|e| SourceError::Config {
                source_name: config.name.clone(),
                message: format!("start: {e}"),
            })?),
            None => None,
        };
        Ok(SimulatorSource { config, start })
    }
}

/// A cursor `generated@start_millis`.
fn parse_cursor(name: &str, cursor: &str) -> Result<(u64, DateTime<Utc>), SourceError> {
    let bad = || SourceError::Cursor {
        source_name: name.to_string(),
        cursor: cursor.to_string(),
        message: "expected `count@start_millis`".into(),
    };
    let (n, start) = cursor.split_once('@').ok_or_else(bad)?;
    let n = n.parse().map_err(|_| bad())?;
    let start = start.parse::<i64>().ok().and_then(DateTime::from_timestamp_millis).ok_or_else(bad)?;
    Ok((n, start))
}

#[async_trait::async_trait]
impl Source for SimulatorSource {
    fn name(&self) -> &str {
        &self.config.name
    }

    async fn run(self: Box<Self>, ctx: SourceContext) -> Result<SourceEnd, SourceError> {
        let name = self.config.name.clone();
        let (skip, start) = match &ctx.resume {
            Some(c) => parse_cursor(&name, c)?,
            None => (0, self.start.unwrap_or_else(Utc::now) - seconds(self.config.history_s)),
        };
        let mut sim = Simulator::new(self.config.clone(), start);
        for _ in 0..skip {
            sim.next_mention();
        }
        let wall_start = tokio::time::Instant::now();
        // Real time (speed 1) follows the clock: what is older than now (the history, a start
        // in the past, what a stopped simulator missed) is sent at once, then the stream goes
        // live. Other speeds send the history at once, then scale event time from where the
        // stream goes live (or from where a resumed one stopped).
        let event_start = if self.config.speed == 1.0 { Utc::now() } else { sim.now().max(sim.live_from()) };
        let mut caught_up = false;
        let limit = self.config.count.unwrap_or(u64::MAX);
        let paced = self.config.speed > 0.0;
        let mut records = Vec::with_capacity(ctx.batch_size);
        let mut held: Option<Mention> = None;
        loop {
            let done = held.is_none() && sim.generated() >= limit;
            if !done && records.len() < ctx.batch_size {
                let m = match held.take() {
                    Some(m) => m,
                    None => sim.next_mention(),
                };
                let early = paced && {
                    let due = (m.created_at - event_start).to_std().unwrap_or_default().div_f64(self.config.speed);
                    due > wall_start.elapsed() + Duration::from_millis(5)
                };
                if !early {
                    records.push(Record::Mention(Box::new(m)));
                    continue;
                }
                held = Some(m);
                if !caught_up {
                    caught_up = true;
                    tracing::info!(
                        source = %name,
                        mentions = sim.generated().saturating_sub(1),
                        history_from = %sim.start(),
                        seconds = wall_start.elapsed().as_secs_f64(),
                        "simulator caught up with its history, now live"
                    );
                }
            }
            if !records.is_empty() {
                metrics::observe(&name, &records);
                let sent = sim.generated() - u64::from(held.is_some());
                let cursor = format!("{sent}@{}", start.timestamp_millis());
                let batch = Batch::new(
                    name.as_str(),
                    std::mem::replace(&mut records, Vec::with_capacity(ctx.batch_size)),
                    Some(cursor),
                );
                if ctx.out.send(batch).await.is_err() {
                    return Ok(SourceEnd::Cancelled);
                }
            }
            if done {
                break;
            }
            if let Some(m) = &held {
                let due = (m.created_at - event_start).to_std().unwrap_or_default().div_f64(self.config.speed);
                tokio::select! {
                    _ = tokio::time::sleep_until(wall_start + due) => {}
                    _ = ctx.cancel.cancelled() => return Ok(SourceEnd::Cancelled),
                }
            } else if ctx.cancel.is_cancelled() {
                return Ok(SourceEnd::Cancelled);
            }
        }
        Ok(SourceEnd::Exhausted)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU64;
    use std::sync::Arc;

    use veille_config::CrisisInjection;

    use super::*;

    fn config(history_s: u64, speed: f64) -> SimulateSource {
        SimulateSource {
            name: "sim".into(),
            brands: vec!["Acme".into(), "Globex".into()],
            rate: 2.0,
            speed,
            history_s,
            count: None,
            start: None,
            seed: 7,
            french_share: 0.3,
            authors: 200,
            crisis: Some(CrisisInjection { brand: "Acme".into(), after_s: 600, duration_s: 300, intensity: 8.0 }),
            workspace: None,
        }
    }

    /// Words only the crisis templates use.
    fn is_crisis(m: &Mention) -> bool {
        ["recall", "Scandal", "scandal", "oycott", "Rappel", "Fuite", "Intoxication"].iter().any(|w| m.text.contains(w))
    }

    #[test]
    fn the_history_comes_first_and_the_crisis_comes_after_the_live_start() {
        let live = DateTime::parse_from_rfc3339("2026-03-02T12:00:00Z").unwrap().with_timezone(&Utc);
        let day = 86_400;
        let mut sim = Simulator::new(config(day, 0.0), live - TimeDelta::seconds(day as i64));
        assert_eq!(sim.live_from(), live);
        let burst = live + TimeDelta::seconds(600)..live + TimeDelta::seconds(900);
        let (mut history, mut calm, mut crisis) = (0, 0, 0);
        loop {
            let m = sim.next_mention();
            if m.created_at >= burst.end {
                break;
            }
            if m.created_at < live {
                history += 1;
            }
            if burst.contains(&m.created_at) {
                crisis += u64::from(is_crisis(&m));
            } else {
                calm += u64::from(is_crisis(&m));
            }
        }
        // A day at 2 mentions per second, give or take the daily cycle's noise.
        assert!((150_000..195_000).contains(&history), "{history} mentions of history");
        assert_eq!(calm, 0, "crisis wording outside the burst");
        // 300 s of burst at 2 × 7 / 2 = 7 extra mentions per second about the brand.
        assert!(crisis > 1_500, "{crisis} crisis mentions in the burst");
    }

    #[test]
    fn the_daily_cycle_makes_busy_afternoons_and_quiet_nights() {
        let mut cfg = config(0, 0.0);
        cfg.crisis = None;
        let midnight = DateTime::parse_from_rfc3339("2026-03-02T00:00:00Z").unwrap().with_timezone(&Utc);
        let mut sim = Simulator::new(cfg, midnight);
        let mut per_hour = [0u32; 24];
        loop {
            let m = sim.next_mention();
            let hour = (m.created_at - midnight).num_hours();
            if hour >= 24 {
                break;
            }
            per_hour[hour as usize] += 1;
        }
        // The cycle peaks at 13:00 and is lowest at 01:00 (1.6 and 0.4 times the rate).
        assert!(per_hour[13] > 3 * per_hour[1], "{per_hour:?}");
    }

    async fn run_for(source: SimulatorSource, wall: Duration) -> Vec<Mention> {
        run_until(source, None, wall).await
    }

    /// Runs `source` for `wall` from the first mention at or after `live` (from the start when
    /// `live` is `None`), however long the history before it takes on a busy machine.
    async fn run_until(source: SimulatorSource, live: Option<DateTime<Utc>>, wall: Duration) -> Vec<Mention> {
        let (tx, mut rx) = veille_bus::embedded(64);
        let cancel = tokio_util::sync::CancellationToken::new();
        let ctx = SourceContext {
            resume: None,
            out: tx,
            batch_size: 512,
            cancel: cancel.clone(),
            progress: Arc::new(AtomicU64::new(0)),
        };
        let task = tokio::spawn(Box::new(source).run(ctx));
        let mut out: Vec<Mention> = Vec::new();
        // Waiting for the live start is bounded only so that a broken source fails the test.
        let mut deadline = tokio::time::Instant::now() + if live.is_some() { Duration::from_secs(120) } else { wall };
        let mut waiting = live;
        while let Ok(Some(batch)) = tokio::time::timeout_at(deadline, rx.recv()).await {
            out.extend(batch.records.into_iter().filter_map(|r| match r {
                Record::Mention(m) => Some(*m),
                _ => None,
            }));
            if waiting.is_some_and(|live| out.last().is_some_and(|m| m.created_at >= live)) {
                waiting = None;
                deadline = tokio::time::Instant::now() + wall;
            }
        }
        assert!(waiting.is_none(), "the source never went live");
        cancel.cancel();
        while rx.recv().await.is_some() {}
        assert_eq!(task.await.unwrap().unwrap(), SourceEnd::Cancelled);
        out
    }

    #[tokio::test]
    async fn a_real_time_source_sends_its_history_at_once_then_follows_the_clock() {
        let started = Utc::now();
        let source = SimulatorSource::new(config(6 * 3600, 1.0)).unwrap();
        let mentions = run_for(source, Duration::from_secs(3)).await;
        let ended = Utc::now();
        let first = mentions.first().unwrap().created_at;
        assert!((first - (started - TimeDelta::hours(6))).num_seconds().abs() < 5, "history starts at {first}");
        let history = mentions.iter().filter(|m| m.created_at < started).count();
        // Six hours at 2 mentions/s, times the daily cycle (0.4 to 1.6): at least 17,000 whatever the hour.
        assert!(history > 15_000, "{history} mentions of history");
        assert!(mentions.iter().all(|m| m.created_at <= ended), "a mention came before its time");
        assert!(mentions.windows(2).all(|w| w[0].created_at <= w[1].created_at), "out of event-time order");
    }

    #[tokio::test]
    async fn a_faster_source_sends_its_history_at_once_then_paces_from_the_live_start() {
        let mut cfg = config(3600, 60.0);
        let live = Utc::now();
        cfg.start = Some(live.to_rfc3339());
        // Two wall seconds from the first live mention, however long the history took to send.
        let mentions = run_until(SimulatorSource::new(cfg).unwrap(), Some(live), Duration::from_secs(2)).await;
        let history = mentions.iter().filter(|m| m.created_at < live).count();
        let paced = mentions.iter().filter(|m| m.created_at >= live).map(|m| m.created_at).max().unwrap();
        // An hour at 2 mentions/s, times the daily cycle (0.4 to 1.6): at least 2,880 whatever the hour.
        assert!(history > 2_500, "{history} mentions of history");
        assert!(mentions.windows(2).all(|w| w[0].created_at <= w[1].created_at), "history all came first");
        // Two wall seconds at 60 event seconds per second: about two event minutes past the start.
        let ahead = (paced - live).num_seconds();
        assert!((60..=150).contains(&ahead), "live mentions reach {ahead} s past the start");
    }
}
