//! Signals: time series per watch, streaming detectors, and their evaluation.
//!
//! # Series and buckets
//!
//! Every watch a mention is tagged with (within the mention's workspace) is
//! one *series*. A [`SignalMonitor`] counts each series in event-time buckets
//! (`created_at`, base width `bucket_s`, one minute by default) and rolls them
//! up to wider buckets (5 minutes and 1 hour by default). A bucket holds
//! [`BucketStats`]: mentions, scored and negative mentions (the negative
//! share), crisis-term hits, reach (sum of author followers) and distinct
//! authors (a 256-register HyperLogLog: exact for small counts, about 6.5 %
//! standard error for large ones, 256 bytes per bucket with at least one
//! mention).
//!
//! The newest event time seen is the *watermark*. When it passes a bucket's
//! end, the bucket is evaluated on provisional counts (an alert fires without
//! waiting for stragglers); when it passes the end by `allowed_lateness_s`,
//! the bucket closes: its final counts are evaluated, learned by the
//! baselines and emitted as a [`ClosedBucket`]. Later mentions for it are
//! counted by [`SignalMonitor::late_mentions`] and left out.
//!
//! # Detectors
//!
//! * **Volume detector** ([`VolumeDetector`], volume and crisis-term series).
//!   It looks for four kinds of [`Novelty`] against the series' own history:
//!   a *record* bucket beyond everything seen (by 3 % of the range seen), a
//!   *level* (the two-hour mean beyond every earlier one), a *seasonal*
//!   novelty (the six-hour mean beyond what this hour of day has seen) and a
//!   *spike*: counts are variance-stabilised (`2 (x + 3/8)^0.7`) and compared
//!   with a robust baseline (a level and an hour-of-day profile, clipped
//!   updates, mean-absolute-deviation scale); buckets more than 4 scales
//!   above it add their excess to a sum over 3 hours, and the spike score is
//!   that sum over the median of its daily maxima (28 days): a spike is 2.8
//!   times as unusual as a typical day's most unusual moment. Every margin is
//!   relative to the series, so the same settings suit a brand heard ten
//!   times a day and one heard ten times a second. Nothing is novel before a
//!   warm-up (a day of event time and 30 buckets holding a mention). Real
//!   values ([`ValueKind::Real`], as in NAB) are compared as they are.
//! * **Negative share**: the share of negative mentions over a sliding window
//!   (15 minutes) against an exponentially weighted baseline share (one-day
//!   memory, clipped updates), as a binomial z-score and a lift in points.
//! * **Key node**: a mention negative toward a brand, competitor or campaign
//!   watch by an author whose key-node score is at least 0.8 fires at once.
//! * **Flat line**: a watch silent for 30 minutes while its baseline expected
//!   at least 20 mentions (a source is probably down).
//!
//! # Rules and events
//!
//! Each rule has a severity, a minimum volume, a "for" duration and a
//! cooldown (`[signals.rules]`), and emits a [`SignalEvent`] when it fires
//! and when it resolves, carrying [`Evidence`]: the series against its
//! baseline and the novelty that fired, so the alert layer can explain it.
//! The volume detector's rules fire only on counts that are real (a minimum
//! extra volume, improbable as a Poisson count: [`poisson_tail`]), keep one
//! alert for as long as the surge lasts, cool down after resolving, and are
//! critical only when the surge is far outside the baseline and large in
//! absolute numbers (see `DESIGN.md`).
//!
//! ```
//! use chrono::{Duration, TimeZone, Utc};
//! use veille_config::signals::SignalsConfig;
//! use veille_model::{Author, Mention, Platform, WatchKind, WatchMatch};
//! use veille_signals::{RuleKind, SignalMonitor, SignalOutput, Transition};
//!
//! let mut monitor = SignalMonitor::new(&SignalsConfig::default()).unwrap();
//! let mut out = SignalOutput::default();
//! let start = Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap();
//! let mut id = 0;
//! // Two quiet days, three mentions a minute, then a minute with sixty.
//! for minute in 0..2 * 1440 + 1 {
//!     let n = if minute == 2 * 1440 { 60 } else { 3 };
//!     for k in 0..n {
//!         id += 1;
//!         let at = start + Duration::seconds(minute * 60 + k);
//!         let author = Author { handle: format!("user{}", id % 500), ..Author::default() };
//!         let mut m = Mention::new(Platform::X, id.to_string(), "acme!", at, author);
//!         m.tags.push(WatchMatch { watch: "acme".into(), kind: WatchKind::Brand, hits: vec![] });
//!         monitor.observe(&m, &mut out);
//!     }
//! }
//! monitor.flush(&mut out);
//! let spike = out.events.iter().find(|e| e.rule == RuleKind::VolumeSpike).unwrap();
//! assert_eq!(spike.transition, Transition::Fired);
//! assert_eq!(spike.at, start + Duration::days(2));
//! println!("{spike}");
//! ```
//!
//! # Evaluation
//!
//! [`nab`] scores the volume detector on the Numenta Anomaly Benchmark,
//! streaming and without look-ahead, with NAB's own scoring rules;
//! `examples/nab_cv.rs` cross-validates its settings.

mod baseline;
mod bucket;
mod detector;
mod error;
mod event;
mod hll;
mod monitor;
pub mod nab;
mod poisson;
mod rule;
mod series;
mod share;
mod spike_rule;
mod window;

pub use baseline::ValueKind;
pub use bucket::{BucketStats, ClosedBucket};
pub use detector::{Novelties, Novelty, SpikeAssessment, VolumeDetector, WindowCounts};
pub use error::Error;
pub use event::{duration_text, Evidence, RuleKind, SignalEvent};
pub use monitor::{SignalMonitor, SignalOutput};
pub use poisson::poisson_tail;
pub use rule::Transition;
