//! The lifecycle every rule shares: pending, firing, resolved, cooldown.

use serde::{Deserialize, Serialize};

/// What happened to a rule at a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transition {
    /// The condition held long enough (and the cooldown had passed): the rule fires.
    Fired,
    /// The condition of a firing rule stopped holding.
    Resolved,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GateState {
    Idle,
    Pending { since: i64 },
    Firing,
}

/// Turns a per-bucket condition into fired and resolved transitions.
///
/// The condition must hold over buckets spanning `for_s` seconds (0: the
/// first bucket fires), and once a firing rule resolved it stays quiet for
/// `cooldown_s`. A condition that keeps holding through the cooldown fires as
/// soon as the cooldown ends. Times are bucket starts in Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RuleGate {
    for_s: i64,
    cooldown_s: i64,
    state: GateState,
    last_fired: Option<i64>,
    last_resolved: Option<i64>,
}

impl RuleGate {
    pub(crate) fn new(for_s: u64, cooldown_s: u64) -> Self {
        RuleGate {
            for_s: i64::try_from(for_s).unwrap_or(i64::MAX),
            cooldown_s: i64::try_from(cooldown_s).unwrap_or(i64::MAX),
            state: GateState::Idle,
            last_fired: None,
            last_resolved: None,
        }
    }

    /// Whether the rule is firing.
    pub(crate) fn is_firing(&self) -> bool {
        self.state == GateState::Firing
    }

    fn ready(&self, since: i64, at: i64, step_s: u64) -> bool {
        let held = at.saturating_add(step_s as i64).saturating_sub(since);
        let cooled = self.last_resolved.is_none_or(|last| at.saturating_sub(last) >= self.cooldown_s);
        held >= self.for_s && cooled
    }

    /// Evaluates the final state of the bucket starting at `at`.
    pub(crate) fn update(&mut self, at: i64, step_s: u64, holds: bool) -> Option<Transition> {
        match (self.state, holds) {
            // Provisional counts already fired at a later bucket: earlier buckets cannot undo that.
            (GateState::Firing, _) if self.last_fired.is_some_and(|fired| at < fired) => None,
            (GateState::Firing, true) => None,
            (GateState::Firing, false) => {
                self.state = GateState::Idle;
                self.last_resolved = Some(at);
                Some(Transition::Resolved)
            }
            (GateState::Idle, false) | (GateState::Pending { .. }, false) => {
                self.state = GateState::Idle;
                None
            }
            (GateState::Idle, true) | (GateState::Pending { .. }, true) => {
                let since = match self.state {
                    GateState::Pending { since } => since,
                    _ => at,
                };
                if self.ready(since, at, step_s) {
                    self.state = GateState::Firing;
                    self.last_fired = Some(at);
                    Some(Transition::Fired)
                } else {
                    self.state = GateState::Pending { since };
                    None
                }
            }
        }
    }

    /// Evaluates provisional counts of the bucket starting at `at`, before
    /// late data may still arrive: the rule may fire early, but nothing else
    /// changes until [`RuleGate::update`] sees the final counts.
    pub(crate) fn update_provisional(&mut self, at: i64, step_s: u64, holds: bool) -> Option<Transition> {
        let since = match self.state {
            GateState::Firing => return None,
            GateState::Pending { since } => since,
            GateState::Idle => at,
        };
        if holds && self.ready(since, at, step_s) {
            self.state = GateState::Firing;
            self.last_fired = Some(at);
            Some(Transition::Fired)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(gate: &mut RuleGate, conditions: &[bool]) -> Vec<Option<Transition>> {
        conditions.iter().enumerate().map(|(i, &h)| gate.update(i as i64 * 60, 60, h)).collect()
    }

    #[test]
    fn fires_once_and_resolves_when_the_condition_stops() {
        let mut g = RuleGate::new(0, 0);
        let t = run(&mut g, &[false, true, true, true, false, false]);
        assert_eq!(t, vec![None, Some(Transition::Fired), None, None, Some(Transition::Resolved), None]);
    }

    #[test]
    fn waits_for_the_for_duration() {
        let mut g = RuleGate::new(180, 0);
        let t = run(&mut g, &[true, true, false, true, true, true, true]);
        assert_eq!(t, vec![None, None, None, None, None, Some(Transition::Fired), None]);
    }

    #[test]
    fn cooldown_after_a_resolution_delays_a_second_fire_until_it_ends() {
        let mut g = RuleGate::new(0, 300);
        let t = run(&mut g, &[true, false, true, true, true, true, true, true]);
        assert_eq!(t[0], Some(Transition::Fired));
        assert_eq!(t[1], Some(Transition::Resolved));
        assert_eq!(&t[2..6], &[None, None, None, None], "quiet for 300 s after the resolution at 60");
        assert_eq!(t[6], Some(Transition::Fired));
    }

    #[test]
    fn a_condition_that_persists_keeps_one_fire() {
        let mut g = RuleGate::new(0, 300);
        let t = run(&mut g, &[true; 50]);
        assert_eq!(t.iter().flatten().count(), 1, "{t:?}");
        assert!(g.is_firing());
    }

    #[test]
    fn provisional_counts_can_fire_early_but_not_resolve() {
        let mut g = RuleGate::new(0, 0);
        assert_eq!(g.update_provisional(0, 60, true), Some(Transition::Fired));
        assert_eq!(g.update(0, 60, true), None, "the final counts confirm without a second fire");
        assert_eq!(g.update_provisional(60, 60, false), None);
        assert!(g.is_firing());
        assert_eq!(g.update(60, 60, false), Some(Transition::Resolved));
    }
}
