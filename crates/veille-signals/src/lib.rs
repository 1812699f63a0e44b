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
//! * **Spike score** ([`SpikeDetector`], volume and crisis-term series).
//!   Counts are variance-stabilised (`2 (x + 3/8)^0.7`) and compared with a
//!   baseline made of a level, an hour-of-day profile and a day-of-week
//!   profile, all in event time; the residual over a robust scale (mean
//!   absolute deviation) is the deviation `z`. Residuals are clipped to 4
//!   scales before they update the baseline, so a spike never inflates it.
//!   Buckets with `z` above 3 add `z − 3` to a sliding sum over 6 hours (the
//!   *excess*), and the score is the excess divided by the median of its
//!   daily maxima over the last 28 days (at least 5): a score of 1 is "as
//!   unusual as a typical day's most unusual moment". Each series thus
//!   calibrates itself:
//!   the same threshold (1.8) suits a brand heard ten times a day and one
//!   heard ten times a second.
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
//! and when it resolves, carrying [`Evidence`]: the series value against its
//! baseline and the score against the threshold, so the alert layer can
//! explain it.
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
//! streaming and without look-ahead, with NAB's own scoring rules.

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
