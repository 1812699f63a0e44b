//! The enrichment stage: every mention passes through each enricher in turn.
//!
//! Steps that read each mention alone (ingest time, tagging, sentiment: see [`Enricher::fork`])
//! run on a pool of worker threads, a whole batch at a time; the steps after the first one that
//! keeps state from mention to mention (key nodes, alerts) run on one thread that takes the
//! batches back in the order the bus gave them. The index stage sees batches in that order too,
//! so checkpoints and upserts are exactly those of a single enrichment thread.
//!
//! ```text
//!            ┌▶ worker 1 (per-mention steps) ─┐
//! bus ──▶ ───┤                                ├──▶ in order: stateful steps ──▶ index
//!            └▶ worker n (per-mention steps) ─┘
//! ```

use std::collections::BTreeMap;
use std::sync::mpsc::{Receiver, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use veille_bus::{Batch, BatchReceiver, Record};
use veille_model::Mention;

use crate::metrics;

/// One enrichment step (matching, sentiment, key-node score, ...).
pub trait Enricher: Send {
    /// Short name for logs and metrics.
    fn name(&self) -> &'static str;

    /// Adds what this step knows to the mention.
    fn enrich(&mut self, mention: &mut Mention);

    /// A copy of this step for another enrichment thread, when what the step does to a
    /// mention depends on that mention alone (not on the mentions before it). `None`, the
    /// default, keeps the step, and every step after it, on the one thread that sees
    /// mentions in order.
    fn fork(&self) -> Option<Box<dyn Enricher>> {
        None
    }
}

/// Stamps `ingested_at` on mentions that do not carry it.
#[derive(Debug, Clone, Copy, Default)]
pub struct IngestTime;

impl Enricher for IngestTime {
    fn name(&self) -> &'static str {
        "ingest_time"
    }

    fn enrich(&mut self, mention: &mut Mention) {
        if mention.ingested_at.is_none() {
            mention.ingested_at = Some(chrono::Utc::now());
        }
    }

    fn fork(&self) -> Option<Box<dyn Enricher>> {
        Some(Box::new(*self))
    }
}

/// Runs `enrichers` over the mentions of `batch`, in order.
fn enrich_batch(batch: &mut Batch, enrichers: &mut [Box<dyn Enricher>]) {
    if enrichers.is_empty() {
        return;
    }
    for record in &mut batch.records {
        if let Record::Mention(m) = record {
            for e in enrichers.iter_mut() {
                e.enrich(m);
            }
        }
    }
}

/// Starts the enrichment stage: batches from `rx` go to `tx`, enriched, in the order `rx` gave
/// them. The per-mention steps at the head of `enrichers` run on `workers` threads (one thread
/// runs everything when `workers` is 1 or no step forks). The handle returned ends when the
/// stage has sent its last batch, after every thread of the stage.
pub(crate) fn spawn(
    rx: BatchReceiver,
    tx: SyncSender<Batch>,
    mut enrichers: Vec<Box<dyn Enricher>>,
    workers: usize,
) -> std::io::Result<JoinHandle<()>> {
    // The forks of the leading per-mention steps, one set per worker.
    let mut pools: Vec<Vec<Box<dyn Enricher>>> = (0..workers).map(|_| Vec::new()).collect();
    let mut parallel = 0;
    if workers > 1 {
        'steps: for e in &enrichers {
            let mut forks = Vec::with_capacity(workers);
            for _ in 0..workers {
                match e.fork() {
                    Some(f) => forks.push(f),
                    None => break 'steps,
                }
            }
            pools.iter_mut().zip(forks).for_each(|(pool, f)| pool.push(f));
            parallel += 1;
        }
    }
    if parallel == 0 {
        return spawn_single(rx, tx, enrichers);
    }
    let ordered = enrichers.split_off(parallel);
    drop(enrichers);

    // At most `window` batches are between the bus and the ordered thread: a worker takes a
    // credit before it takes a batch, and the ordered thread gives one back for each batch it
    // passes on, so a slow worker holds the others back instead of letting batches pile up.
    let window = 2 * workers;
    let (credit_tx, credit_rx) = std::sync::mpsc::sync_channel::<()>(window);
    for _ in 0..window {
        // The receiver is alive and the channel has room for every initial credit.
        let _ = credit_tx.send(());
    }
    let (done_tx, done_rx) = std::sync::mpsc::sync_channel::<Done>(window);
    let input = Arc::new(Mutex::new(Input { rx, credits: credit_rx, next: 0 }));
    let mut handles = Vec::with_capacity(workers);
    for (i, pool) in pools.into_iter().enumerate() {
        let (input, done_tx) = (input.clone(), done_tx.clone());
        let worker = std::thread::Builder::new()
            .name(format!("veille-enrich-{}", i + 1))
            .spawn(move || run_worker(&input, &done_tx, pool))?;
        handles.push(worker);
    }
    drop((done_tx, input));
    std::thread::Builder::new().name("veille-enrich".into()).spawn(move || {
        run_ordered(done_rx, &tx, &credit_tx, ordered);
        drop(credit_tx);
        for worker in handles {
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
        }
    })
}

/// The whole stage on one thread.
fn spawn_single(
    mut rx: BatchReceiver,
    tx: SyncSender<Batch>,
    mut enrichers: Vec<Box<dyn Enricher>>,
) -> std::io::Result<JoinHandle<()>> {
    let body = move || {
        while let Some(mut batch) = rx.blocking_recv() {
            let started = Instant::now();
            enrich_batch(&mut batch, &mut enrichers);
            metrics::ENRICH_SECONDS.observe(started.elapsed().as_secs_f64());
            if tx.send(batch).is_err() {
                // The index stage stopped (it reports why); stop reading.
                return;
            }
        }
    };
    std::thread::Builder::new().name("veille-enrich".into()).spawn(body)
}

/// What the workers share: the bus, the credits, and the sequence number of the next batch.
struct Input {
    rx: BatchReceiver,
    credits: Receiver<()>,
    next: u64,
}

/// What a worker hands the ordered thread.
enum Done {
    /// A batch through the per-mention steps: its place in bus order and the time spent on it.
    Batch { seq: u64, batch: Batch, spent: Duration },
    /// The worker panicked: the batch it held will never come.
    Failed,
}

/// Tells the ordered thread when its worker panics, so that it stops instead of waiting for
/// the batch the worker held.
struct PanicNotice<'a>(&'a SyncSender<Done>);

impl Drop for PanicNotice<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let _ = self.0.send(Done::Failed);
        }
    }
}

fn run_worker(input: &Mutex<Input>, done: &SyncSender<Done>, mut enrichers: Vec<Box<dyn Enricher>>) {
    let _notice = PanicNotice(done);
    loop {
        let (seq, mut batch) = {
            // A worker that panicked held no lock on the bus: a poisoned lock is still usable.
            let mut input = input.lock().unwrap_or_else(PoisonError::into_inner);
            if input.credits.recv().is_err() {
                // The ordered thread stopped.
                return;
            }
            let Some(batch) = input.rx.blocking_recv() else { return };
            input.next += 1;
            (input.next - 1, batch)
        };
        let started = Instant::now();
        enrich_batch(&mut batch, &mut enrichers);
        if done.send(Done::Batch { seq, batch, spent: started.elapsed() }).is_err() {
            // The ordered thread stopped because the index stage did.
            return;
        }
    }
}

/// Takes the workers' batches back in bus order, runs the remaining steps and passes them on.
fn run_ordered(
    done: Receiver<Done>,
    tx: &SyncSender<Batch>,
    credits: &SyncSender<()>,
    mut enrichers: Vec<Box<dyn Enricher>>,
) {
    let mut waiting: BTreeMap<u64, (Batch, Duration)> = BTreeMap::new();
    let mut next = 0u64;
    for message in done {
        let Done::Batch { seq, batch, spent } = message else {
            // A worker died; joining it reports the panic.
            return;
        };
        waiting.insert(seq, (batch, spent));
        while let Some((mut batch, spent)) = waiting.remove(&next) {
            next += 1;
            let started = Instant::now();
            enrich_batch(&mut batch, &mut enrichers);
            metrics::ENRICH_SECONDS.observe((spent + started.elapsed()).as_secs_f64());
            if tx.send(batch).is_err() {
                // The index stage stopped (it reports why); the workers stop at their next batch.
                return;
            }
            // The workers hold the receiver until they stop.
            let _ = credits.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use veille_model::{Author, Platform};

    /// Per mention: sleeps on some mentions, so that workers finish out of order.
    #[derive(Clone)]
    struct Uneven;

    impl Enricher for Uneven {
        fn name(&self) -> &'static str {
            "uneven"
        }

        fn enrich(&mut self, mention: &mut Mention) {
            if mention.text.len().is_multiple_of(3) {
                std::thread::sleep(Duration::from_micros(300));
            }
            mention.lang = Some("en".into());
        }

        fn fork(&self) -> Option<Box<dyn Enricher>> {
            Some(Box::new(Uneven))
        }
    }

    /// Stateful: numbers mentions in the order it sees them.
    struct Counter(u64);

    impl Enricher for Counter {
        fn name(&self) -> &'static str {
            "counter"
        }

        fn enrich(&mut self, mention: &mut Mention) {
            assert_eq!(mention.lang.as_deref(), Some("en"), "the per-mention step ran first");
            mention.attributes.insert("seen".into(), self.0.to_string());
            self.0 += 1;
        }
    }

    #[test]
    fn batches_leave_the_workers_in_bus_order() {
        let (bus_tx, bus_rx) = veille_bus::embedded(4);
        let (tx, rx) = std::sync::mpsc::sync_channel(4);
        let steps: Vec<Box<dyn Enricher>> = vec![Box::new(IngestTime), Box::new(Uneven), Box::new(Counter(0))];
        let stage = spawn(bus_rx, tx, steps, 4).unwrap();
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap();
        let feeder = std::thread::spawn(move || {
            for b in 0..200u64 {
                let records = (0..7u64)
                    .map(|i| {
                        let n = b * 7 + i;
                        let text = "x".repeat((n % 11) as usize + 1);
                        Record::Mention(Box::new(Mention::new(Platform::X, n.to_string(), text, at, Author::default())))
                    })
                    .collect();
                bus_tx.blocking_send(Batch::new("t", records, Some(b.to_string()))).unwrap();
            }
        });
        let mut seen = 0u64;
        for (b, batch) in rx.iter().enumerate() {
            assert_eq!(batch.cursor.as_deref(), Some(b.to_string().as_str()));
            for record in &batch.records {
                let Record::Mention(m) = record else { panic!("only mentions were sent") };
                assert_eq!(m.key().as_str(), format!("x:{seen}"));
                assert_eq!(m.attributes.get("seen"), Some(&seen.to_string()));
                assert!(m.ingested_at.is_some());
                seen += 1;
            }
        }
        feeder.join().unwrap();
        stage.join().unwrap();
        assert_eq!(seen, 1_400);
    }

    #[test]
    fn steps_that_keep_state_keep_the_stage_on_one_thread_from_them_on() {
        let (_bus_tx, bus_rx) = veille_bus::embedded(1);
        let (tx, _rx) = std::sync::mpsc::sync_channel(1);
        // A stateful step first: nothing forks, the stage is one thread.
        let steps: Vec<Box<dyn Enricher>> = vec![Box::new(Counter(0)), Box::new(Uneven)];
        assert!(steps[0].fork().is_none() && steps[1].fork().is_some());
        drop(_bus_tx);
        spawn(bus_rx, tx, steps, 4).unwrap().join().unwrap();
    }
}
