//! The buckets, detectors and rule states of one workspace × watch.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use veille_config::signals::{DetectorConfig, RuleSettings, RulesConfig, Severity};
use veille_model::{Mention, WatchKind};

use crate::baseline::ValueKind;
use crate::bucket::{Accumulator, ClosedBucket, MentionFacts, Rollups};
use crate::detector::{SpikeAssessment, VolumeDetector};
use crate::event::{Evidence, RuleKind, SignalEvent};
use crate::rule::{RuleGate, Transition};
use crate::share::{ShareAssessment, ShareDetector};
use crate::spike_rule::{DailyVolume, SpikeRule, SpikeRuleSettings};
use crate::SignalOutput;

/// A series silent longer than this is fast-forwarded instead of fed one
/// empty bucket at a time (a stream resumed after days would otherwise cost
/// a bucket per series per minute of the gap).
const MAX_FILL_S: i64 = 86_400;

/// How much silent history a crisis-term detector created late is fed, so
/// that its baseline knows the watch had no crisis terms (a week covers the
/// seasonal novelty's days).
const SILENT_HISTORY_S: i64 = 7 * 86_400;

/// Settings every series shares.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub bucket_s: u64,
    pub rollups_s: Vec<u64>,
    pub detector: DetectorConfig,
    pub rules: RulesConfig,
}

/// Who decides, and with what data.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Decision {
    /// Event time up to which data was seen.
    pub decided_at: i64,
    /// Whether late data may still change the counts.
    pub provisional: bool,
}

pub(crate) fn time(at: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(at, 0).unwrap_or_default()
}

#[derive(Debug, Clone)]
struct KeyNodeAlert {
    fired_at: i64,
    evidence: Evidence,
}

/// One workspace × watch.
#[derive(Debug, Clone)]
pub(crate) struct Series {
    workspace: Arc<str>,
    watch: Arc<str>,
    kind: WatchKind,
    /// Open buckets, contiguous from `next_close`.
    open: VecDeque<Accumulator>,
    next_close: i64,
    first_bucket: i64,
    rollups: Rollups,
    volume: VolumeDetector,
    crisis: Option<Box<VolumeDetector>>,
    daily: DailyVolume,
    share: ShareDetector,
    volume_rule: SpikeRule,
    crisis_rule: Option<Box<SpikeRule>>,
    share_gate: RuleGate,
    flat_gate: RuleGate,
    silent_since: Option<i64>,
    silent_expected: f64,
    /// Key-node alerts in their cooldown, by author hash.
    key_nodes: BTreeMap<u64, KeyNodeAlert>,
}

fn gate(r: RuleSettings) -> RuleGate {
    RuleGate::new(r.for_s, r.cooldown_s)
}

/// The volume rule's settings for a watch: a crisis watch's own volume is
/// its crisis-term count, so the crisis rule speaks for it instead.
fn volume_settings(rules: &RulesConfig, kind: WatchKind) -> SpikeRuleSettings {
    let r = &rules.volume_spike;
    SpikeRuleSettings {
        enabled: r.enabled && kind != WatchKind::Crisis,
        severity: r.severity,
        min_volume: r.min_volume,
        min_share: r.min_share,
        for_s: r.for_s,
        cooldown_s: r.cooldown_s,
        resolve_after_s: r.resolve_after_s,
        critical_min_volume: r.critical_min_volume,
        critical_share: r.critical_share,
    }
}

fn crisis_settings(rules: &RulesConfig) -> SpikeRuleSettings {
    let r = &rules.crisis_burst;
    SpikeRuleSettings {
        enabled: r.enabled,
        severity: r.severity,
        min_volume: r.min_volume,
        min_share: r.min_share,
        for_s: r.for_s,
        cooldown_s: r.cooldown_s,
        resolve_after_s: r.resolve_after_s,
        critical_min_volume: r.critical_min_volume,
        critical_share: r.critical_share,
    }
}

impl Series {
    pub(crate) fn new(workspace: &str, watch: &str, kind: WatchKind, first_bucket: i64, st: &Settings) -> Self {
        let rules = &st.rules;
        Series {
            workspace: Arc::from(workspace),
            watch: Arc::from(watch),
            kind,
            open: VecDeque::new(),
            next_close: first_bucket,
            first_bucket,
            rollups: Rollups::new(&st.rollups_s, first_bucket),
            volume: VolumeDetector::new(&st.detector, ValueKind::Count, st.bucket_s),
            crisis: None,
            daily: DailyVolume::new(st.bucket_s),
            share: ShareDetector::new(&rules.negative_surge, st.bucket_s),
            volume_rule: SpikeRule::new(volume_settings(rules, kind), &st.detector, st.bucket_s),
            crisis_rule: None,
            share_gate: gate(rules.negative_surge.settings()),
            // The silence duration is part of the flat-line condition itself.
            flat_gate: RuleGate::new(0, rules.flat_line.cooldown_s),
            silent_since: None,
            silent_expected: 0.0,
            key_nodes: BTreeMap::new(),
        }
    }

    /// Adds a mention's facts to the open bucket starting at `bucket` (not before `next_close`).
    pub(crate) fn add(&mut self, bucket: i64, facts: &MentionFacts, st: &Settings) {
        let step = st.bucket_s as i64;
        let index = ((bucket - self.next_close) / step).max(0) as usize;
        while self.open.len() <= index {
            let start = self.next_close + self.open.len() as i64 * step;
            self.open.push_back(Accumulator::new(start));
        }
        self.open[index].add(facts);
    }

    /// Fires the key-node rule for a negative mention by an influential author.
    pub(crate) fn key_node(&mut self, mention: &Mention, facts: &MentionFacts, st: &Settings, out: &mut SignalOutput) {
        let rule = &st.rules.key_node_negative;
        let Some(score) = mention.scores.key_node else { return };
        if !rule.enabled || !facts.negative || score < rule.min_key_node {
            return;
        }
        if matches!(self.kind, WatchKind::Crisis | WatchKind::Moderation) {
            return;
        }
        let at = mention.created_at.timestamp();
        if self.key_nodes.contains_key(&facts.author) {
            return;
        }
        let evidence = Evidence::KeyNode {
            mention: mention.key().clone(),
            author: mention.author.handle.clone(),
            key_node: score,
            compound: brand_compound(mention, &self.watch).unwrap_or_default(),
            url: mention.url.clone(),
        };
        let decision = Decision { decided_at: at, provisional: false };
        out.events.push(self.event(
            RuleKind::KeyNodeNegative,
            Transition::Fired,
            at,
            at,
            decision,
            evidence.clone(),
            st,
        ));
        self.key_nodes.insert(facts.author, KeyNodeAlert { fired_at: at, evidence });
    }

    /// Closes every bucket that starts before `frontier`, in order.
    pub(crate) fn close_until(&mut self, frontier: i64, st: &Settings, out: &mut SignalOutput) {
        let step = st.bucket_s as i64;
        let decision = Decision { decided_at: frontier, provisional: false };
        while self.next_close < frontier {
            if self.open.is_empty() && frontier - self.next_close > MAX_FILL_S {
                self.next_close += (frontier - self.next_close - MAX_FILL_S) / step * step;
            }
            let acc = self.open.pop_front().unwrap_or_else(|| Accumulator::new(self.next_close));
            self.finalize(acc, decision, st, out);
            self.next_close += step;
        }
    }

    /// Evaluates the newest bucket that ends by `on_time` on provisional counts.
    ///
    /// The open buckets before it are not learned yet, so the detectors are
    /// cloned and fed them first; cheap screens on the current detectors skip
    /// that work unless a bucket could be novel (or the negative share
    /// rises). The final counts are evaluated exactly when the buckets close.
    pub(crate) fn provisional(&mut self, on_time: i64, st: &Settings, out: &mut SignalOutput) {
        let step = st.bucket_s as i64;
        let complete = (((on_time - self.next_close) / step).max(0) as usize).min(self.open.len());
        if complete == 0 {
            return;
        }
        let pending = self.open.range(..complete);
        let rules = &st.rules;
        let at = self.next_close + (complete as i64 - 1) * step;
        let decision = Decision { decided_at: on_time, provisional: true };

        let volume_hot = self.volume_rule.can_fire()
            && pending.clone().any(|a| a.mentions > 0 && self.volume.could_be_novel(a.start, a.mentions as f64));
        if volume_hot {
            let mut d = self.volume.clone();
            if let Some(v) = pending.clone().map(|a| d.observe(a.start, a.mentions as f64)).last() {
                let daily = self.daily.usual();
                if let Some(fire) = self.volume_rule.fire_provisional(&v, d.threshold(), daily, st.bucket_s) {
                    let e = self.spike_event(RuleKind::VolumeSpike, &fire, &v, &d, decision, daily, st);
                    out.events.push(e);
                }
            }
        }

        let crisis_hot = self.crisis_rule.as_ref().is_some_and(|r| r.can_fire())
            && self.crisis.as_deref().is_some_and(|d| {
                pending.clone().any(|a| a.crisis_terms > 0 && d.could_be_novel(a.start, a.crisis_terms as f64))
            });
        if let (true, Some(detector)) = (crisis_hot, self.crisis.as_deref()) {
            let mut d = detector.clone();
            if let Some(c) = pending.clone().map(|a| d.observe(a.start, a.crisis_terms as f64)).last() {
                let daily = self.daily.usual();
                let fire =
                    self.crisis_rule.as_mut().and_then(|r| r.fire_provisional(&c, d.threshold(), daily, st.bucket_s));
                if let Some(fire) = fire {
                    let e = self.spike_event(RuleKind::CrisisBurst, &fire, &c, &d, decision, daily, st);
                    out.events.push(e);
                }
            }
        }

        let share_hot = rules.negative_surge.enabled
            && !self.share_gate.is_firing()
            && self.volume.is_warm()
            && self.share.could_surge(pending.clone().map(|a| (a.negative, a.scored)));
        if share_hot {
            let mut d = self.share.clone();
            if let Some(s) = pending.clone().map(|a| d.observe(a.negative as f64, a.scored as f64)).last() {
                let holds = d.holds(&s);
                if self.share_gate.update_provisional(at, st.bucket_s, holds).is_some() {
                    let e = self.event(
                        RuleKind::NegativeSurge,
                        Transition::Fired,
                        at,
                        at,
                        decision,
                        share_evidence(&s, st),
                        st,
                    );
                    out.events.push(e);
                }
            }
        }
    }

    fn finalize(&mut self, acc: Accumulator, decision: Decision, st: &Settings, out: &mut SignalOutput) {
        let at = acc.start;
        let rules = &st.rules;
        self.daily.add(at, acc.mentions);
        let daily = self.daily.usual();

        let warm = self.volume.is_warm();
        let v = self.volume.observe(at, acc.mentions as f64);
        if let Some(t) = self.volume_rule.update(&v, self.volume.threshold(), daily, st.bucket_s) {
            let e = self.spike_transition(RuleKind::VolumeSpike, t, &v, decision, daily, st);
            out.events.push(e);
        }

        if acc.crisis_terms > 0 && self.crisis.is_none() {
            self.crisis = Some(Box::new(self.silent_crisis_detector(at, st)));
            self.crisis_rule = Some(Box::new(SpikeRule::new(crisis_settings(rules), &st.detector, st.bucket_s)));
        }
        if let (Some(crisis), Some(rule)) = (self.crisis.as_mut(), self.crisis_rule.as_mut()) {
            let c = crisis.observe(at, acc.crisis_terms as f64);
            if let Some(t) = rule.update(&c, crisis.threshold(), daily, st.bucket_s) {
                let e = self.spike_transition(RuleKind::CrisisBurst, t, &c, decision, daily, st);
                out.events.push(e);
            }
        }

        let s = self.share.observe(acc.negative as f64, acc.scored as f64);
        let holds = rules.negative_surge.enabled && warm && self.share.holds(&s);
        if let Some(t) = self.share_gate.update(at, st.bucket_s, holds) {
            out.events.push(self.event(RuleKind::NegativeSurge, t, at, at, decision, share_evidence(&s, st), st));
        }

        self.flat_line(&acc, warm.then_some(v.expected), decision, st, out);
        self.expire_key_nodes(at, decision, st, out);
        self.roll_up(acc, st, out);
    }

    /// A crisis-term detector for a watch whose first crisis term falls in the
    /// bucket at `at`: it learns that the watch had none until then (up to a
    /// week of silent buckets), and is as warmed up as the watch itself.
    fn silent_crisis_detector(&self, at: i64, st: &Settings) -> VolumeDetector {
        let step = st.bucket_s as i64;
        let mut d = VolumeDetector::new(&st.detector, ValueKind::Count, st.bucket_s);
        let from = self.first_bucket.max(at - SILENT_HISTORY_S);
        let from = from - (from - self.first_bucket).rem_euclid(step);
        let mut t = from;
        while t < at {
            d.observe(t, 0.0);
            t += step;
        }
        d.inherit_history(&self.volume);
        d
    }

    /// Tracks silence. Only brand, competitor and campaign watches are
    /// expected to talk steadily, and only once past their warm-up
    /// (`expected` is `None` before).
    fn flat_line(
        &mut self,
        acc: &Accumulator,
        expected: Option<f64>,
        decision: Decision,
        st: &Settings,
        out: &mut SignalOutput,
    ) {
        let rule = &st.rules.flat_line;
        let applies = matches!(self.kind, WatchKind::Brand | WatchKind::Competitor | WatchKind::Campaign);
        match expected {
            Some(expected) if acc.is_empty() => {
                self.silent_since.get_or_insert(acc.start);
                self.silent_expected += expected;
            }
            _ => {
                self.silent_since = None;
                self.silent_expected = 0.0;
            }
        }
        let silent_s = self.silent_since.map_or(0, |since| acc.start + st.bucket_s as i64 - since);
        let holds = rule.enabled
            && applies
            && silent_s >= rule.silent_for_s as i64
            && self.silent_expected >= rule.min_expected;
        if let Some(t) = self.flat_gate.update(acc.start, st.bucket_s, holds) {
            let evidence = Evidence::Silence { silent_s: silent_s.max(0) as u64, expected: self.silent_expected };
            let started = self.silent_since.unwrap_or(acc.start);
            out.events.push(self.event(RuleKind::FlatLine, t, acc.start, started, decision, evidence, st));
        }
    }

    fn expire_key_nodes(&mut self, at: i64, decision: Decision, st: &Settings, out: &mut SignalOutput) {
        let cooldown = st.rules.key_node_negative.cooldown_s as i64;
        if self.key_nodes.values().all(|k| at - k.fired_at < cooldown) {
            return;
        }
        let (done, waiting): (BTreeMap<_, _>, BTreeMap<_, _>) =
            std::mem::take(&mut self.key_nodes).into_iter().partition(|(_, k)| at - k.fired_at >= cooldown);
        self.key_nodes = waiting;
        for k in done.into_values() {
            out.events.push(self.event(
                RuleKind::KeyNodeNegative,
                Transition::Resolved,
                at,
                at,
                decision,
                k.evidence,
                st,
            ));
        }
    }

    /// Emits the closed base bucket and every rollup it closes.
    fn roll_up(&mut self, acc: Accumulator, st: &Settings, out: &mut SignalOutput) {
        let (workspace, watch) = (&self.workspace, &self.watch);
        self.rollups.absorb(acc, st.bucket_s, &st.rollups_s, |width_s, closed| {
            if !closed.is_empty() {
                out.buckets.push(ClosedBucket {
                    workspace: workspace.clone(),
                    watch: watch.clone(),
                    width_s,
                    start: time(closed.start),
                    stats: closed.stats(),
                });
            }
        });
    }

    /// The event of a spike rule's transition decided on final counts.
    fn spike_transition(
        &self,
        rule: RuleKind,
        t: crate::spike_rule::SpikeTransition,
        a: &SpikeAssessment,
        decision: Decision,
        daily: f64,
        st: &Settings,
    ) -> SignalEvent {
        let detector = match rule {
            RuleKind::CrisisBurst => self.crisis.as_deref().unwrap_or(&self.volume),
            _ => &self.volume,
        };
        match t {
            crate::spike_rule::SpikeTransition::Fired(fire) | crate::spike_rule::SpikeTransition::Escalated(fire) => {
                self.spike_event(rule, &fire, a, detector, decision, daily, st)
            }
            crate::spike_rule::SpikeTransition::Resolved(fire) => {
                let mut e = self.spike_event(rule, &fire, a, detector, decision, daily, st);
                e.transition = Transition::Resolved;
                e.at = time(a.at);
                e
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn spike_event(
        &self,
        rule: RuleKind,
        fire: &crate::spike_rule::Fire,
        a: &SpikeAssessment,
        detector: &VolumeDetector,
        decision: Decision,
        daily: f64,
        st: &Settings,
    ) -> SignalEvent {
        // At the fire, the window behind the novelty; once the surge grew, the whole surge.
        let window_s = if fire.surge == fire.window {
            fire.window_s(&st.detector, st.bucket_s)
        } else {
            u64::try_from(a.at + st.bucket_s as i64 - fire.since).unwrap_or_default()
        };
        let evidence = Evidence::Spike {
            value: a.observed,
            baseline: a.expected,
            z: a.z,
            score: a.score,
            threshold: detector.threshold(),
            extra_volume: fire.surge.extra().max(0.0),
            window_s,
            novelty: Some(fire.novelty),
            window_observed: fire.surge.observed,
            window_expected: fire.surge.expected,
            daily_volume: daily,
        };
        let mut e = self.event(rule, Transition::Fired, a.at, fire.since, decision, evidence, st);
        e.severity = fire.severity;
        e
    }

    #[allow(clippy::too_many_arguments)]
    fn event(
        &self,
        rule: RuleKind,
        t: Transition,
        at: i64,
        started_at: i64,
        d: Decision,
        evidence: Evidence,
        st: &Settings,
    ) -> SignalEvent {
        let r = &st.rules;
        let severity: Severity = match rule {
            RuleKind::VolumeSpike => r.volume_spike.severity,
            RuleKind::CrisisBurst => r.crisis_burst.severity,
            RuleKind::NegativeSurge => r.negative_surge.severity,
            RuleKind::KeyNodeNegative => r.key_node_negative.severity,
            RuleKind::FlatLine => r.flat_line.severity,
        };
        SignalEvent {
            workspace: self.workspace.to_string(),
            watch: self.watch.to_string(),
            rule,
            transition: t,
            severity,
            at: time(at),
            started_at: time(started_at.min(at)),
            decided_at: time(d.decided_at),
            provisional: d.provisional,
            evidence,
        }
    }

    /// Bytes this series holds on the heap besides its fixed size (approximate).
    pub(crate) fn heap_bytes(&self) -> usize {
        let buckets: usize = self.open.iter().map(Accumulator::heap_bytes).sum::<usize>() + self.rollups.heap_bytes();
        self.workspace.len()
            + self.watch.len()
            + self.open.capacity() * std::mem::size_of::<Accumulator>()
            + buckets
            + self.volume.heap_bytes()
            + self.volume_rule.heap_bytes()
            + self.daily.heap_bytes()
            + self.crisis.as_ref().map_or(0, |c| std::mem::size_of::<VolumeDetector>() + c.heap_bytes())
            + self.crisis_rule.as_ref().map_or(0, |r| std::mem::size_of::<SpikeRule>() + r.heap_bytes())
            + self.share.heap_bytes()
    }
}

fn share_evidence(s: &ShareAssessment, st: &Settings) -> Evidence {
    Evidence::Share {
        value: s.share,
        baseline: s.baseline.unwrap_or_default(),
        negative: s.negative,
        scored: s.scored,
        z: s.z,
        window_s: st.rules.negative_surge.window_s,
    }
}

/// The compound sentiment of `mention` toward `watch`: its brand sentiment when scored, else the text's.
pub(crate) fn brand_compound(mention: &Mention, watch: &str) -> Option<f64> {
    let s = mention.scores.sentiment.as_ref()?;
    Some(s.brands.iter().find(|b| b.watch == watch).map_or(s.compound, |b| b.compound))
}
