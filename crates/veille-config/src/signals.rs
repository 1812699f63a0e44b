//! `[signals]`: time series per watch and the detectors that watch them.
//!
//! Every workspace × watch gets event-time buckets (`bucket_s`, rolled up to
//! each of `rollups_s`) and a set of detectors. Defaults work without tuning:
//! the volume detector calibrates itself on each series' own history, so the
//! same numbers suit a brand heard ten times a day and one heard ten times a
//! second.
//!
//! ```toml
//! [signals]
//! allowed_lateness_s = 120
//!
//! [signals.detector]
//! threshold = 2.8
//!
//! [signals.rules.volume_spike]
//! severity = "critical"
//! min_volume = 50
//! ```

use serde::{Deserialize, Serialize};

/// How urgent an alert raised by a rule is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth a look during office hours.
    Info,
    /// Needs attention today.
    #[default]
    Warning,
    /// Pages the manager on call.
    Critical,
}

impl Severity {
    /// The stable lowercase name, as used in alert labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// `[signals]`: bucketing and detection.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SignalsConfig {
    /// Whether signals and alerts are computed. Default true.
    pub enabled: bool,
    /// Width of the base event-time bucket, in seconds; detectors run on it. Default 60.
    pub bucket_s: u64,
    /// Wider buckets the base buckets roll up to, in seconds, each a multiple
    /// of the previous one. Default `[300, 3600]` (5 minutes and 1 hour).
    pub rollups_s: Vec<u64>,
    /// How late (event time behind the newest mention seen) a mention may
    /// arrive and still count in its bucket, in seconds. Default 120.
    pub allowed_lateness_s: u64,
    /// At start, `veille run` replays this much of the indexed history (before
    /// the newest indexed mention) through the detectors before it evaluates
    /// anything new, so a restart neither goes blind nor judges on a cold
    /// baseline; in seconds, 0 to start cold. Default 604,800 (7 days).
    pub rebuild_s: u64,
    /// The streaming baseline and spike detector shared by the volume and crisis rules.
    pub detector: DetectorConfig,
    /// The alert rules.
    pub rules: RulesConfig,
}

impl Default for SignalsConfig {
    fn default() -> Self {
        SignalsConfig {
            enabled: true,
            bucket_s: 60,
            rollups_s: vec![300, 3600],
            allowed_lateness_s: 120,
            rebuild_s: 604_800,
            detector: DetectorConfig::default(),
            rules: RulesConfig::default(),
        }
    }
}

impl SignalsConfig {
    /// Checks values that types alone cannot: `(dotted key under signals, reason)` on failure.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let bad = |key: &str, reason: &str| Err((key.to_string(), reason.to_string()));
        if self.bucket_s == 0 || 86_400 % self.bucket_s != 0 {
            return bad("bucket_s", "must divide a day (86400) into whole buckets");
        }
        let mut previous = self.bucket_s;
        for (i, &r) in self.rollups_s.iter().enumerate() {
            if r <= previous || r % previous != 0 {
                return Err((
                    format!("rollups_s[{i}]"),
                    format!("{r} must be a larger multiple of {previous} (the previous bucket width)"),
                ));
            }
            previous = r;
        }
        if self.allowed_lateness_s > 86_400 {
            return bad("allowed_lateness_s", "must be at most one day (86400)");
        }
        self.detector.validate().map_err(|(k, r)| (format!("detector.{k}"), r))?;
        self.rules.validate().map_err(|(k, r)| (format!("rules.{k}"), r))
    }
}

/// `[signals.detector]`: the volume detector every count series (mention
/// volume, crisis-term hits) runs, and `veille eval nab` scores.
///
/// It looks for four kinds of novelty, each against the series' own history,
/// so that one set of numbers suits a brand heard ten times a day and one
/// heard ten times a second:
///
/// * **record**: a bucket beyond everything seen so far, by `record_margin`
///   of the range seen;
/// * **level**: the mean over `level_window_s` beyond every earlier such mean,
///   by `level_margin` of their range;
/// * **seasonal**: the mean over `seasonal_window_s` beyond what was seen at
///   the same hour of day (once `seasonal_min_days` days of it were seen), by
///   `seasonal_margin` of the range seen;
/// * **spike**: counts are variance-stabilised (`value^power`) and compared
///   with a baseline made of a level and an hour-of-day profile; the
///   deviation `z` is the residual over a robust scale. Buckets whose `z`
///   exceeds `excess_cutoff` add `z - excess_cutoff` to a sliding sum over
///   `excess_window_s`; the spike score is that sum divided by the median of
///   its daily maxima over the last `reference_days` (at least
///   `min_reference`), and the spike holds from `threshold`. Residuals are
///   clipped to `clip` scales before they update the baseline, so a spike
///   never inflates it.
///
/// A series raises nothing before its warm-up: `warmup_s` of event time and
/// `warmup_buckets` buckets that held at least one mention.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectorConfig {
    /// Exponent of the variance-stabilising transform of counts
    /// (`2 (count + 3/8)^power`); series of real values are compared as they are. Default 0.7.
    pub power: f64,
    /// Time constant of the baseline's level, in seconds. Default 30,000 (about 8 hours).
    pub level_memory_s: f64,
    /// Time constant of each hour-of-day offset, in days of history. Default 3.
    pub seasonal_memory_days: f64,
    /// Time constant of the robust scale (mean absolute deviation), in seconds. Default 30,000.
    pub scale_memory_s: f64,
    /// Residuals are clipped to this many scales before they update the baseline. Default 5.
    pub clip: f64,
    /// Deviation (in scales) above which a bucket counts as excess. Default 4.
    pub excess_cutoff: f64,
    /// Width of the sliding window that sums excess, in seconds. Default 10,800 (3 hours).
    pub excess_window_s: u64,
    /// Days of daily maxima the reference (their median) is taken over. Default 28.
    pub reference_days: usize,
    /// Spike score from which the spike holds. Default 2.8.
    pub threshold: f64,
    /// Least reference (typical daily maximum of the excess sum), so a series
    /// whose days are perfectly calm is not alarmed by one odd bucket. Default 8.
    pub min_reference: f64,
    /// How far beyond the range seen a record must go, as a share of that range. Default 0.03.
    pub record_margin: f64,
    /// Width of the window whose mean the level novelty follows, in seconds. Default 7,200 (2 hours).
    pub level_window_s: u64,
    /// How far beyond the range of earlier window means a new level must go, as a share of it. Default 0.05.
    pub level_margin: f64,
    /// Width of the window whose mean the seasonal novelty follows, in seconds. Default 21,600 (6 hours).
    pub seasonal_window_s: u64,
    /// How far beyond what was seen at the same hour of day a mean must go,
    /// as a share of the whole range seen. Default 0.03.
    pub seasonal_margin: f64,
    /// Days an hour of day must have been seen before it judges. Default 10.
    pub seasonal_min_days: u64,
    /// Event time a series must have been followed before it raises anything, in seconds. Default 86,400.
    pub warmup_s: u64,
    /// Buckets holding at least one mention a series must have had before it
    /// raises anything (a brand heard ten times a day waits about three days). Default 30.
    pub warmup_buckets: u64,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        DetectorConfig {
            power: 0.7,
            level_memory_s: 30_000.0,
            seasonal_memory_days: 3.0,
            scale_memory_s: 30_000.0,
            clip: 5.0,
            excess_cutoff: 4.0,
            excess_window_s: 10_800,
            reference_days: 28,
            threshold: 2.8,
            min_reference: 8.0,
            record_margin: 0.03,
            level_window_s: 7_200,
            level_margin: 0.05,
            seasonal_window_s: 21_600,
            seasonal_margin: 0.03,
            seasonal_min_days: 10,
            warmup_s: 86_400,
            warmup_buckets: 30,
        }
    }
}

impl DetectorConfig {
    /// Checks the ranges: `(key, reason)` on failure.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let positive = [
            ("power", self.power),
            ("level_memory_s", self.level_memory_s),
            ("seasonal_memory_days", self.seasonal_memory_days),
            ("scale_memory_s", self.scale_memory_s),
            ("clip", self.clip),
            ("threshold", self.threshold),
            ("min_reference", self.min_reference),
        ];
        for (key, value) in positive {
            if !(value > 0.0 && value.is_finite()) {
                return Err((key.to_string(), "must be a positive number".to_string()));
            }
        }
        if self.power > 1.0 {
            return Err(("power".to_string(), "must be in (0, 1]".to_string()));
        }
        let non_negative = [
            ("excess_cutoff", self.excess_cutoff),
            ("record_margin", self.record_margin),
            ("level_margin", self.level_margin),
            ("seasonal_margin", self.seasonal_margin),
        ];
        for (key, value) in non_negative {
            if !(value >= 0.0 && value.is_finite()) {
                return Err((key.to_string(), "must be zero or a positive number".to_string()));
            }
        }
        let widths = [
            ("excess_window_s", self.excess_window_s),
            ("level_window_s", self.level_window_s),
            ("seasonal_window_s", self.seasonal_window_s),
        ];
        for (key, value) in widths {
            if value == 0 || value > 7 * 86_400 {
                return Err((key.to_string(), "must be between 1 and 604800 (a week)".to_string()));
            }
        }
        if self.reference_days == 0 || self.reference_days > 366 {
            return Err(("reference_days".to_string(), "must be between 1 and 366".to_string()));
        }
        Ok(())
    }
}

/// `[signals.rules]`: what raises an alert. A rule table names only what it
/// changes; every other field keeps that rule's own default.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RulesConfig {
    /// Mention volume far above the watch's own seasonal baseline.
    pub volume_spike: VolumeSpikeRule,
    /// Crisis-term hits far above their baseline.
    pub crisis_burst: CrisisBurstRule,
    /// The share of negative mentions well above its usual level.
    pub negative_surge: NegativeSurgeRule,
    /// An influential author posting negatively about the watch.
    pub key_node_negative: KeyNodeRule,
    /// A watch that usually talks went silent (a source is probably down).
    pub flat_line: FlatLineRule,
}

impl RulesConfig {
    fn validate(&self) -> Result<(), (String, String)> {
        for (key, share) in [
            ("volume_spike.critical_share", self.volume_spike.critical_share),
            ("crisis_burst.critical_share", self.crisis_burst.critical_share),
            ("volume_spike.min_share", self.volume_spike.min_share),
            ("crisis_burst.min_share", self.crisis_burst.min_share),
        ] {
            if !(share >= 0.0 && share.is_finite()) {
                return Err((key.into(), "must be zero or a positive number".into()));
            }
        }
        for (key, hold) in
            [("volume_spike", self.volume_spike.resolve_after_s), ("crisis_burst", self.crisis_burst.resolve_after_s)]
        {
            if hold == 0 || hold > 86_400 {
                return Err((format!("{key}.resolve_after_s"), "must be between 1 and 86400 (a day)".into()));
            }
        }
        let n = &self.negative_surge;
        if !(n.min_z > 0.0 && n.min_z.is_finite()) {
            return Err(("negative_surge.min_z".into(), "must be a positive number".into()));
        }
        if !(0.0..=1.0).contains(&n.min_lift) {
            return Err(("negative_surge.min_lift".into(), "must be between 0 and 1".into()));
        }
        if n.window_s == 0 {
            return Err(("negative_surge.window_s".into(), "must be at least 1".into()));
        }
        if !(0.0..=1.0).contains(&self.key_node_negative.min_key_node) {
            return Err(("key_node_negative.min_key_node".into(), "must be between 0 and 1".into()));
        }
        if self.flat_line.silent_for_s == 0 {
            return Err(("flat_line.silent_for_s".into(), "must be at least 1".into()));
        }
        if !(self.flat_line.min_expected > 0.0 && self.flat_line.min_expected.is_finite()) {
            return Err(("flat_line.min_expected".into(), "must be a positive number".into()));
        }
        Ok(())
    }
}

/// The settings every rule has, whatever its table looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleSettings {
    /// Whether the rule runs.
    pub enabled: bool,
    /// Severity of the alerts it raises.
    pub severity: Severity,
    /// Least volume for the rule to hold (its meaning is the rule's own).
    pub min_volume: u64,
    /// How long the condition must hold before the rule fires, in seconds (0 fires at once).
    pub for_s: u64,
    /// After an alert of the rule resolved, it opens no new one for the same watch this long, in seconds.
    pub cooldown_s: u64,
}

/// Implements `settings()` for a rule table: `|r| min_volume, for_s` from its fields.
macro_rules! rule_settings {
    ($rule:ty, |$r:ident| $min_volume:expr, $for_s:expr) => {
        impl $rule {
            /// The shared settings.
            pub fn settings(&self) -> RuleSettings {
                let $r = self;
                RuleSettings {
                    enabled: $r.enabled,
                    severity: $r.severity,
                    min_volume: $min_volume,
                    for_s: $for_s,
                    cooldown_s: $r.cooldown_s,
                }
            }
        }
    };
}

/// `[signals.rules.volume_spike]`: the volume detector on mention counts.
///
/// The rule fires when the detector finds upward novelty (a record, a new
/// level, a seasonal novelty or a spike) on a warmed-up series and the counts
/// behind it are real: at least `min_volume` mentions above the baseline in
/// the detector's window, and at least `min_share` of the watch's usual daily
/// mentions, and improbable under the baseline as a Poisson count. It stays one alert for as long as the surge lasts and resolves once
/// the last `resolve_after_s` hold no significant surplus; it then cannot
/// open a new alert for `cooldown_s`.
///
/// Severity: `severity` is the most an alert of the rule can be. A critical
/// alert needs the surge far outside the baseline (a record, or a spike score
/// at least twice the threshold) and to matter in absolute numbers: at least
/// `critical_min_volume` extra counts and at least `critical_share` of the
/// watch's usual daily mentions. Any other alert of the rule is a warning.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VolumeSpikeRule {
    /// Whether the rule runs. Default true.
    pub enabled: bool,
    /// The highest severity of its alerts. Default `warning`.
    pub severity: Severity,
    /// Least number of mentions above the baseline behind the detection. Default 20.
    pub min_volume: u64,
    /// Least number of mentions above the baseline behind the detection, as a
    /// share of the watch's usual daily mentions: a one-minute blip of a busy
    /// brand is not a surge. Default 0.002 (60 extra mentions for a brand
    /// heard 30,000 times a day).
    pub min_share: f64,
    /// How long the surge must last before the rule fires, in seconds. Default 0.
    pub for_s: u64,
    /// After an alert resolved, the rule opens no new one for the watch this long, in seconds. Default 21,600 (6 hours).
    pub cooldown_s: u64,
    /// Hold period: a firing alert resolves once this many seconds of the
    /// series hold no significant surplus over the baseline. Default 3,600.
    pub resolve_after_s: u64,
    /// Least extra mentions for a critical alert. Default 100.
    pub critical_min_volume: u64,
    /// Least extra mentions for a critical alert, as a share of the watch's usual daily mentions. Default 0.2.
    pub critical_share: f64,
}

impl Default for VolumeSpikeRule {
    fn default() -> Self {
        VolumeSpikeRule {
            enabled: true,
            severity: Severity::Warning,
            min_volume: 20,
            min_share: 0.002,
            for_s: 0,
            cooldown_s: 21_600,
            resolve_after_s: 3_600,
            critical_min_volume: 100,
            critical_share: 0.2,
        }
    }
}

rule_settings!(VolumeSpikeRule, |r| r.min_volume, r.for_s);

/// `[signals.rules.crisis_burst]`: the volume detector on crisis-term hits.
///
/// Same lifecycle and severity rule as `volume_spike`, on the count of
/// crisis-term hits in the watch's mentions (the share is of the watch's
/// usual daily mentions, so a burst matters when it is a visible part of
/// what people say about the brand).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CrisisBurstRule {
    /// Whether the rule runs. Default true.
    pub enabled: bool,
    /// The highest severity of its alerts. Default `critical`.
    pub severity: Severity,
    /// Least number of crisis-term hits above the baseline behind the detection. Default 10.
    pub min_volume: u64,
    /// Least number of crisis-term hits above the baseline behind the
    /// detection, as a share of the watch's usual daily mentions. Default 0.002.
    pub min_share: f64,
    /// How long the burst must last before the rule fires, in seconds. Default 0.
    pub for_s: u64,
    /// After an alert resolved, the rule opens no new one for the watch this long, in seconds. Default 21,600 (6 hours).
    pub cooldown_s: u64,
    /// Hold period: a firing alert resolves once this many seconds of the
    /// series hold no significant surplus over the baseline. Default 3,600.
    pub resolve_after_s: u64,
    /// Least extra crisis-term hits for a critical alert. Default 30.
    pub critical_min_volume: u64,
    /// Least extra hits for a critical alert, as a share of the watch's usual daily mentions. Default 0.1.
    pub critical_share: f64,
}

impl Default for CrisisBurstRule {
    fn default() -> Self {
        CrisisBurstRule {
            enabled: true,
            severity: Severity::Critical,
            min_volume: 10,
            min_share: 0.002,
            for_s: 0,
            cooldown_s: 21_600,
            resolve_after_s: 3_600,
            critical_min_volume: 30,
            critical_share: 0.1,
        }
    }
}

rule_settings!(CrisisBurstRule, |r| r.min_volume, r.for_s);

/// `[signals.rules.negative_surge]`: the negative share against its baseline.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NegativeSurgeRule {
    /// Whether the rule runs. Default true.
    pub enabled: bool,
    /// Severity of its alerts. Default `warning`.
    pub severity: Severity,
    /// Least number of scored mentions in the window. Default 30.
    pub min_volume: u64,
    /// How long the surge must last before the rule fires, in seconds. Default 120.
    pub for_s: u64,
    /// Quiet time after firing, in seconds. Default 3,600.
    pub cooldown_s: u64,
    /// Width of the sliding window the share is measured over, in seconds. Default 900.
    pub window_s: u64,
    /// Least z-score of the window's negative count against the baseline
    /// share (binomial, divided by the square root of the watch's measured
    /// dispersion). Default 5: the window slides every bucket, 1,440 tests a
    /// day per watch, and shares have heavier tails than a binomial count
    /// (a prolific author, a thread): at 4, a simulated calm brand surged
    /// about once every two days.
    pub min_z: f64,
    /// Least rise of the share above the baseline, as a fraction (0.15 = 15 points). Default 0.15.
    pub min_lift: f64,
}

impl Default for NegativeSurgeRule {
    fn default() -> Self {
        NegativeSurgeRule {
            enabled: true,
            severity: Severity::Warning,
            min_volume: 30,
            for_s: 120,
            cooldown_s: 3_600,
            window_s: 900,
            min_z: 5.0,
            min_lift: 0.15,
        }
    }
}

rule_settings!(NegativeSurgeRule, |r| r.min_volume, r.for_s);

/// `[signals.rules.key_node_negative]`: an influential author attacks. It
/// fires on the mention itself (no minimum volume, no "for" duration). One
/// post is not a crisis in numbers, so its alerts are warnings unless set otherwise.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeyNodeRule {
    /// Whether the rule runs. Default true.
    pub enabled: bool,
    /// Severity of its alerts. Default `warning`.
    pub severity: Severity,
    /// Quiet time per author and watch after firing, in seconds. Default 3,600.
    pub cooldown_s: u64,
    /// Least key-node score (in [0, 1]) of the author. Default 0.8.
    pub min_key_node: f64,
}

impl Default for KeyNodeRule {
    fn default() -> Self {
        KeyNodeRule { enabled: true, severity: Severity::Warning, cooldown_s: 3_600, min_key_node: 0.8 }
    }
}

rule_settings!(KeyNodeRule, |r| 0, 0);

/// `[signals.rules.flat_line]`: a usually busy watch heard nothing. Its
/// "for" duration is `silent_for_s` and its minimum volume `min_expected`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FlatLineRule {
    /// Whether the rule runs. Default true.
    pub enabled: bool,
    /// Severity of its alerts. Default `warning`.
    pub severity: Severity,
    /// Quiet time after firing, in seconds. Default 3,600.
    pub cooldown_s: u64,
    /// Silence at least this long, in seconds, before the rule fires. Default 1,800.
    pub silent_for_s: u64,
    /// Least number of mentions the baseline expected during the silence. Default 20.
    pub min_expected: f64,
}

impl Default for FlatLineRule {
    fn default() -> Self {
        FlatLineRule {
            enabled: true,
            severity: Severity::Warning,
            cooldown_s: 3_600,
            silent_for_s: 1_800,
            min_expected: 20.0,
        }
    }
}

rule_settings!(FlatLineRule, |r| 0, r.silent_for_s);

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SignalsConfig, toml::de::Error> {
        toml::from_str(text)
    }

    #[test]
    fn defaults_fill_every_field_and_validate() {
        let cfg = parse("").unwrap();
        assert_eq!(cfg, SignalsConfig::default());
        assert_eq!(cfg.bucket_s, 60);
        assert_eq!(cfg.rollups_s, vec![300, 3600]);
        assert_eq!(cfg.rules.volume_spike.cooldown_s, 6 * 3600);
        assert_eq!(cfg.rules.key_node_negative.severity, Severity::Warning);
        assert_eq!(cfg.rules.crisis_burst.severity, Severity::Critical);
        assert!(cfg.validate().is_ok());
    }

    #[test]
    fn documented_example_is_the_defaults_with_a_critical_volume_rule() {
        #[derive(Deserialize)]
        struct Doc {
            signals: SignalsConfig,
        }
        let example = crate::documented_toml_example(include_str!("signals.rs"));
        let parsed: Doc = toml::from_str(&example).unwrap();
        let mut expected = SignalsConfig::default();
        expected.rules.volume_spike.severity = Severity::Critical;
        expected.rules.volume_spike.min_volume = 50;
        assert_eq!(parsed.signals, expected, "the lateness and threshold shown are the defaults");
    }

    #[test]
    fn rules_override_only_what_they_name() {
        let cfg = parse(
            "allowed_lateness_s = 30\n[detector]\nthreshold = 2.5\n\
             [rules.volume_spike]\nseverity = \"critical\"\nmin_volume = 50\n\
             [rules.negative_surge]\nfor_s = 0\nmin_lift = 0.2\n",
        )
        .unwrap();
        assert_eq!(cfg.allowed_lateness_s, 30);
        assert_eq!(cfg.detector.threshold, 2.5);
        assert_eq!(cfg.detector.excess_cutoff, 4.0);
        assert_eq!(cfg.rules.volume_spike.severity, Severity::Critical);
        assert_eq!(cfg.rules.volume_spike.min_volume, 50);
        assert_eq!(cfg.rules.volume_spike.cooldown_s, 6 * 3600, "unnamed fields keep the rule's own default");
        assert_eq!(cfg.rules.crisis_burst.severity, Severity::Critical);
        assert_eq!(cfg.rules.negative_surge.for_s, 0);
        assert_eq!(cfg.rules.negative_surge.min_volume, 30);
        assert_eq!(cfg.rules.negative_surge.min_lift, 0.2);
        assert_eq!(cfg.rules.negative_surge.window_s, 900);
    }

    #[test]
    fn unknown_keys_and_bad_ranges_are_refused_with_their_key() {
        let e = parse("[rules.volume_spike]\nsevrity = \"info\"\n").unwrap_err();
        assert!(e.to_string().contains("sevrity"), "{e}");
        let e = parse("[detector]\nthreshhold = 2\n").unwrap_err();
        assert!(e.to_string().contains("threshhold"), "{e}");

        let cfg = parse("bucket_s = 7\n").unwrap();
        assert_eq!(cfg.validate().unwrap_err().0, "bucket_s");
        let cfg = parse("rollups_s = [300, 600, 900]\n").unwrap();
        assert_eq!(cfg.validate().unwrap_err().0, "rollups_s[2]");
        let cfg = parse("[detector]\npower = 1.5\n").unwrap();
        assert_eq!(cfg.validate().unwrap_err().0, "detector.power");
        let cfg = parse("[rules.negative_surge]\nmin_lift = 2.0\n").unwrap();
        assert_eq!(cfg.validate().unwrap_err().0, "rules.negative_surge.min_lift");
    }
}
