//! Event-time decay without touching every weight as time passes.
//!
//! A weight observed at event time `t` is stored multiplied by
//! `2^((t − t0) / half_life)`; its value at time `now` is the stored value
//! divided by `2^((now − t0) / half_life)`. All stored values share that
//! divisor, so comparing or normalising them needs no decay at all. When the
//! factor grows large, the reference `t0` moves forward by whole half-lives and
//! every stored value is multiplied by the matching power of two (exact in
//! binary floating point).

/// Inflation factor beyond which the reference moves forward.
const RESCALE_ABOVE: f64 = 4_294_967_296.0; // 2^32

/// The decay reference of one graph.
#[derive(Debug, Clone)]
pub(crate) struct Clock {
    half_life_s: f64,
    t0: Option<f64>,
    now: Option<i64>,
}

impl Clock {
    /// A clock forgetting half of a weight every `half_life_s` seconds (`inf`: never).
    pub(crate) fn new(half_life_s: f64) -> Self {
        Clock { half_life_s, t0: None, now: None }
    }

    /// The latest event time seen (Unix seconds).
    pub(crate) fn now(&self) -> Option<i64> {
        self.now
    }

    /// Records an event at `t`; returns the factor every stored value must be
    /// multiplied by when the reference moved, else `None`.
    pub(crate) fn observe(&mut self, t: i64) -> Option<f64> {
        let t0 = *self.t0.get_or_insert(t as f64);
        if self.now.is_none_or(|now| t > now) {
            self.now = Some(t);
        }
        if !self.half_life_s.is_finite() {
            return None;
        }
        let exponent = ((t as f64 - t0) / self.half_life_s).floor();
        if exponent.exp2() <= RESCALE_ABOVE {
            return None;
        }
        self.t0 = Some(t0 + exponent * self.half_life_s);
        Some((-exponent).exp2())
    }

    /// The stored value of one unit observed at `t`.
    pub(crate) fn inflation(&self, t: i64) -> f64 {
        match self.t0 {
            Some(t0) if self.half_life_s.is_finite() => ((t as f64 - t0) / self.half_life_s).exp2(),
            _ => 1.0,
        }
    }

    /// Multiplier turning a stored value into its value now.
    pub(crate) fn deflation(&self) -> f64 {
        match self.now {
            Some(now) => 1.0 / self.inflation(now),
            None => 1.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_weight_halves_every_half_life_and_rescaling_is_exact() {
        let mut clock = Clock::new(3600.0);
        assert_eq!(clock.observe(0), None);
        let stored = clock.inflation(0);
        assert_eq!(clock.observe(7200), None);
        assert!((stored * clock.deflation() - 0.25).abs() < 1e-15);
        // 40 half-lives later the reference moves and stored values shrink by 2^-40.
        let factor = clock.observe(40 * 3600).unwrap();
        assert_eq!(factor, (-40.0f64).exp2());
        let rescaled = stored * factor;
        assert!((rescaled * clock.deflation() - (-40.0f64).exp2()).abs() < 1e-25);
        // Late events are allowed and simply weigh less.
        assert!(clock.inflation(39 * 3600) < clock.inflation(40 * 3600));
        assert_eq!(clock.now(), Some(40 * 3600));
    }

    #[test]
    fn an_infinite_half_life_never_forgets() {
        let mut clock = Clock::new(f64::INFINITY);
        clock.observe(0);
        assert_eq!(clock.observe(1_000_000_000), None);
        assert_eq!(clock.inflation(5), 1.0);
        assert_eq!(clock.deflation(), 1.0);
    }
}
