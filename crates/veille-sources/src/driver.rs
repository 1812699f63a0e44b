//! The connector driver: the one loop every live connector runs in.
//!
//! A connector says how to open a session with its platform
//! ([`Connector::connect`]) and how to read what comes next
//! ([`Connector::next`]); the driver owns everything else, in one place each:
//!
//! - **reconnect**: a step that fails drops the session and connects again
//!   ([`Lane::run`]);
//! - **backoff**: the connector's [`Pacing`] gives the wait, the longer of the
//!   platform's `Retry-After` (or rate-limit reset) and the backoff of the
//!   failure's kind; a step that succeeds starts every backoff over;
//! - **cancellation**: every wait, connect and step races the pipeline's
//!   cancellation, and what was read before it leaves with its cursor;
//! - **batching**: records wait in a [`Batcher`] until the batch is full or has
//!   lingered long enough ([`collect`]);
//! - **cursor hand-off**: the stored cursor is parsed once and handed to the
//!   connector ([`Connector::resume`]); the positions the connector reports are
//!   rendered into the cursor of the batch that holds their records;
//! - **metrics**: errors by [`ErrorKind`](crate::http::ErrorKind), platform
//!   events, and records sent.
//!
//! A source may run several lanes (one per Mastodon timeline, one per RSS
//! feed), each its own connector with its own session, backoff and position;
//! their positions make one cursor, a JSON object keyed by lane.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use veille_bus::Record;

use crate::batcher::Batcher;
use crate::http::{pause, ErrorKind, Failure, Pacing};
use crate::{metrics, SourceContext, SourceEnd, SourceError};

/// Why a connector's step stopped short.
#[derive(Debug)]
pub(crate) enum Fault {
    /// The session is lost: count it, wait as the pacing says, connect again.
    Retry(Failure),
    /// Retrying cannot help (the platform refuses the configuration): the source stops.
    Fatal(SourceError),
}

impl From<Failure> for Fault {
    fn from(f: Failure) -> Self {
        Fault::Retry(f)
    }
}

impl From<SourceError> for Fault {
    fn from(e: SourceError) -> Self {
        Fault::Fatal(e)
    }
}

impl From<reqwest::Error> for Fault {
    fn from(e: reqwest::Error) -> Self {
        Fault::Retry(e.into())
    }
}

/// What a step asks for next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// Read again at once.
    More,
    /// Read again on the same session after this pause (a polling interval).
    After(Duration),
}

/// One entry of what a step read, in order.
#[derive(Debug)]
enum Entry<P> {
    Record(Record),
    At(P),
}

/// What one step read: records, where reading now stands, and faults the session survives.
///
/// A record and the position given after it travel in the same batch, so a
/// restart from that batch's cursor never reads the record again.
#[derive(Debug)]
pub(crate) struct Read<P> {
    entries: Vec<Entry<P>>,
    faults: Vec<(ErrorKind, String)>,
    heard: bool,
}

impl<P> Default for Read<P> {
    fn default() -> Self {
        Read { entries: Vec::new(), faults: Vec::new(), heard: false }
    }
}

impl<P> Read<P> {
    /// A record; it does not move the position (give one with [`Read::at`] after it when known).
    pub(crate) fn record(&mut self, record: Record) {
        self.entries.push(Entry::Record(record));
    }

    /// Reading now stands at `position`: past the records given so far, and past input that gave none.
    pub(crate) fn at(&mut self, position: P) {
        self.entries.push(Entry::At(position));
    }

    /// The platform reported a fault the session survives (it is counted and logged).
    pub(crate) fn fault(&mut self, kind: ErrorKind, message: impl Into<String>) {
        self.faults.push((kind, message.into()));
    }

    /// The platform sent an event (for `veille_source_last_event_age_seconds`).
    pub(crate) fn heard(&mut self) {
        self.heard = true;
    }
}

/// A live connector: how to open a session with a platform and read from it.
///
/// The driver calls [`connect`](Connector::connect), then
/// [`next`](Connector::next) until it fails, then waits and connects again,
/// until the pipeline is cancelled. A step is cancelled by dropping its
/// future, so what it read is lost with the position it would have reported.
#[async_trait::async_trait]
pub(crate) trait Connector: Send + 'static {
    /// An open session: a connection, a response being streamed, or where a poll stands.
    type Session: Send;
    /// Where reading stands; travels with the batches and is handed back on restart.
    type Position: Clone + PartialEq + Send + 'static;

    /// Which backoff follows which failure.
    fn pacing(&self) -> Pacing;

    /// Resumes from a position stored with an earlier durable batch (called before connecting).
    fn resume(&mut self, at: Self::Position);

    /// Opens a session.
    async fn connect(&mut self) -> Result<Self::Session, Fault>;

    /// Reads what comes next from `session` into `read`.
    ///
    /// What is in `read` is sent even when the step fails.
    async fn next(&mut self, session: &mut Self::Session, read: &mut Read<Self::Position>) -> Result<Next, Fault>;

    /// Ends a session cleanly when the pipeline stops (a WebSocket close frame, ...).
    async fn close(&mut self, _session: Self::Session) {}
}

/// A position that is a source's whole cursor, as text.
pub(crate) trait Position: Sized {
    /// What a stored cursor must look like, for the error refusing one.
    const EXPECTED: &'static str;

    /// Reads a stored cursor; the error says why it does not fit (may be empty).
    fn decode(text: &str) -> Result<Self, String>;

    /// The cursor text.
    fn encode(&self) -> String;
}

/// Runs `connector` as the only lane of source `name`; its position is the whole cursor.
///
/// `label` names the lane in logs (what it reads); a partly filled batch waits at most `linger`.
pub(crate) async fn drive<C>(
    ctx: SourceContext,
    name: &str,
    linger: Duration,
    label: &str,
    mut connector: C,
) -> Result<SourceEnd, SourceError>
where
    C: Connector,
    C::Position: Position,
{
    let mut ledger = Single { at: None, moved: false };
    if let Some(text) = &ctx.resume {
        let at = C::Position::decode(text).map_err(|why| cursor_error(name, text, C::Position::EXPECTED, why))?;
        connector.resume(at.clone());
        ledger.at = Some(at);
    }
    run(ctx, name, linger, vec![(label.to_string(), connector)], ledger).await
}

/// Runs one lane per `(key, connector)` of source `name`; the cursor is a JSON
/// object of lane key to position (`expected` describes it, for the error refusing one).
///
/// A key listed twice runs once; keys of the stored cursor that no lane has are kept.
pub(crate) async fn drive_lanes<C>(
    ctx: SourceContext,
    name: &str,
    linger: Duration,
    expected: &str,
    lanes: Vec<(String, C)>,
) -> Result<SourceEnd, SourceError>
where
    C: Connector,
    C::Position: Serialize + DeserializeOwned,
{
    let map: BTreeMap<String, C::Position> = match &ctx.resume {
        Some(text) => serde_json::from_str(text).map_err(|e| cursor_error(name, text, expected, e.to_string()))?,
        None => BTreeMap::new(),
    };
    let mut keys: Vec<String> = Vec::new();
    let mut running = Vec::new();
    for (key, mut connector) in lanes {
        if keys.contains(&key) {
            continue;
        }
        if let Some(at) = map.get(&key) {
            connector.resume(at.clone());
        }
        keys.push(key.clone());
        running.push((key, connector));
    }
    run(ctx, name, linger, running, Keyed { keys, map, moved: false }).await
}

fn cursor_error(name: &str, cursor: &str, expected: &str, why: String) -> SourceError {
    let message = if why.is_empty() { format!("expected {expected}") } else { format!("expected {expected}: {why}") };
    SourceError::Cursor { source_name: name.to_string(), cursor: cursor.to_string(), message }
}

/// Where each lane stands, rendered as the source's cursor.
trait Ledger<P>: Send {
    /// Lane `lane` now stands at `at`; false when it stood there already.
    fn note(&mut self, lane: usize, at: P) -> bool;
    /// The cursor; `None` until a lane moved in this run.
    fn render(&self) -> Option<String>;
}

/// One lane, whose position is the cursor.
struct Single<P> {
    at: Option<P>,
    moved: bool,
}

impl<P: Position + PartialEq + Send> Ledger<P> for Single<P> {
    fn note(&mut self, _lane: usize, at: P) -> bool {
        if self.at.as_ref() == Some(&at) {
            return false;
        }
        self.at = Some(at);
        self.moved = true;
        true
    }

    fn render(&self) -> Option<String> {
        self.at.as_ref().filter(|_| self.moved).map(Position::encode)
    }
}

/// Several lanes, whose positions make a JSON object keyed by lane.
struct Keyed<P> {
    keys: Vec<String>,
    map: BTreeMap<String, P>,
    moved: bool,
}

impl<P: Serialize + PartialEq + Send> Ledger<P> for Keyed<P> {
    fn note(&mut self, lane: usize, at: P) -> bool {
        let key = &self.keys[lane];
        if self.map.get(key) == Some(&at) {
            return false;
        }
        self.map.insert(key.clone(), at);
        self.moved = true;
        true
    }

    fn render(&self) -> Option<String> {
        // A map of strings to plain data always serializes.
        self.moved.then(|| serde_json::to_string(&self.map).unwrap_or_default())
    }
}

/// What a lane hands to the batching loop.
enum Message<P> {
    /// What one step read.
    Read { lane: usize, entries: Vec<Entry<P>> },
    /// The lane stopped on an error retrying cannot mend.
    Fatal(SourceError),
}

/// Runs the lanes, batches what they read, and stops them when the pipeline stops.
async fn run<C, L>(
    ctx: SourceContext,
    name: &str,
    linger: Duration,
    lanes: Vec<(String, C)>,
    mut ledger: L,
) -> Result<SourceEnd, SourceError>
where
    C: Connector,
    L: Ledger<C::Position>,
{
    if lanes.is_empty() {
        return Ok(SourceEnd::Exhausted);
    }
    let (tx, mut rx) = mpsc::channel::<Message<C::Position>>(16);
    let stop = ctx.cancel.child_token();
    let mut tasks = tokio::task::JoinSet::new();
    for (index, (label, connector)) in lanes.into_iter().enumerate() {
        let lane = Lane { source: name.to_string(), label, index, tx: tx.clone(), cancel: stop.clone() };
        tasks.spawn(lane.run(connector));
    }
    drop(tx);
    let mut batcher = Batcher::new(name, ctx.out.clone(), ctx.batch_size, linger);
    let mut ended = collect(&ctx.cancel, &mut rx, &mut batcher, &mut ledger).await;
    stop.cancel();
    while tasks.join_next().await.is_some() {}
    // What the lanes read before they stopped leaves with its cursor.
    while let Ok(message) = rx.try_recv() {
        match message {
            Message::Read { lane, entries } => take(lane, entries, &mut batcher, &mut ledger),
            Message::Fatal(e) if ended.is_ok() => ended = Err(e),
            Message::Fatal(_) => {}
        }
    }
    let _ = batcher.flush(ledger.render()).await;
    ended
}

/// Batches what the lanes send until the pipeline stops, a lane fails for good, or the bus closes.
async fn collect<P, L: Ledger<P>>(
    cancel: &CancellationToken,
    rx: &mut mpsc::Receiver<Message<P>>,
    batcher: &mut Batcher,
    ledger: &mut L,
) -> Result<SourceEnd, SourceError> {
    loop {
        tokio::select! {
            message = rx.recv() => match message {
                // Lanes only stop when told to.
                None => return Ok(SourceEnd::Cancelled),
                Some(Message::Fatal(e)) => return Err(e),
                Some(Message::Read { lane, entries }) => {
                    for entry in entries {
                        // A record is added to a batch only once the previous one got its position.
                        if matches!(entry, Entry::Record(_)) && batcher.is_full()
                            && batcher.flush(ledger.render()).await.is_err()
                        {
                            return Ok(SourceEnd::Cancelled);
                        }
                        take_one(lane, entry, batcher, ledger);
                    }
                    if batcher.is_full() && batcher.flush(ledger.render()).await.is_err() {
                        return Ok(SourceEnd::Cancelled);
                    }
                }
            },
            _ = tokio::time::sleep_until(batcher.deadline()) => {
                if batcher.flush(ledger.render()).await.is_err() {
                    return Ok(SourceEnd::Cancelled);
                }
            }
            _ = cancel.cancelled() => return Ok(SourceEnd::Cancelled),
        }
    }
}

/// Adds what lane `lane` read to the batch.
fn take<P, L: Ledger<P>>(lane: usize, entries: Vec<Entry<P>>, batcher: &mut Batcher, ledger: &mut L) {
    for entry in entries {
        take_one(lane, entry, batcher, ledger);
    }
}

fn take_one<P, L: Ledger<P>>(lane: usize, entry: Entry<P>, batcher: &mut Batcher, ledger: &mut L) {
    match entry {
        Entry::Record(r) => batcher.add(r),
        Entry::At(p) => {
            if ledger.note(lane, p) {
                batcher.moved();
            }
        }
    }
}

/// One connector's loop: connect, read until a failure, wait, connect again.
struct Lane<P> {
    source: String,
    /// What the lane reads, for logs.
    label: String,
    index: usize,
    tx: mpsc::Sender<Message<P>>,
    cancel: CancellationToken,
}

impl<P: Send + 'static> Lane<P> {
    async fn run<C: Connector<Position = P>>(self, mut connector: C) {
        let mut pacing = connector.pacing();
        loop {
            let connected = tokio::select! {
                c = connector.connect() => c,
                _ = self.cancel.cancelled() => return,
            };
            let failure = match connected {
                Ok(session) => match self.read(&mut connector, session, &mut pacing).await {
                    Some(f) => f,
                    None => return,
                },
                Err(Fault::Retry(f)) => f,
                Err(Fault::Fatal(e)) => {
                    let _ = self.tx.send(Message::Fatal(e)).await;
                    return;
                }
            };
            metrics::error(&self.source, failure.kind());
            let delay = pacing.delay(&failure);
            tracing::warn!(
                source = %self.source, lane = %self.label, kind = failure.kind().label(), error = %failure,
                retry_in_ms = delay.as_millis() as u64, "connector failed; retrying"
            );
            if !pause(delay, &self.cancel).await {
                return;
            }
        }
    }

    /// Reads one session until it fails (the failure) or the lane stops (`None`).
    async fn read<C: Connector<Position = P>>(
        &self,
        connector: &mut C,
        mut session: C::Session,
        pacing: &mut Pacing,
    ) -> Option<Failure> {
        loop {
            let mut read = Read::default();
            let step = tokio::select! {
                s = connector.next(&mut session, &mut read) => Some(s),
                _ = self.cancel.cancelled() => None,
            };
            let Some(step) = step else {
                connector.close(session).await;
                return None;
            };
            if !self.deliver(read).await {
                return None;
            }
            match step {
                Ok(Next::More) => pacing.reset(),
                Ok(Next::After(wait)) => {
                    pacing.reset();
                    if !pause(wait, &self.cancel).await {
                        connector.close(session).await;
                        return None;
                    }
                }
                Err(Fault::Retry(f)) => return Some(f),
                Err(Fault::Fatal(e)) => {
                    let _ = self.tx.send(Message::Fatal(e)).await;
                    return None;
                }
            }
        }
    }

    /// Counts what a step heard and sends what it read; false when the lane must stop.
    async fn deliver(&self, read: Read<P>) -> bool {
        if read.heard {
            metrics::event(&self.source);
        }
        for (kind, message) in &read.faults {
            metrics::error(&self.source, *kind);
            tracing::warn!(source = %self.source, lane = %self.label, kind = kind.label(), message, "platform reported a fault");
        }
        if read.entries.is_empty() {
            return true;
        }
        let message = Message::Read { lane: self.index, entries: read.entries };
        tokio::select! {
            sent = self.tx.send(message) => sent.is_ok(),
            _ = self.cancel.cancelled() => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use veille_model::{DeadLetter, Origin};

    use super::*;
    use crate::http::{Backoff, Failure};

    /// A connector replaying scripted sessions: each step reads `(item, position)` or,
    /// when `None`, fails with a 429; a session that runs out ends as a dropped stream.
    /// Once the sessions are used up, connecting fails for good.
    struct Script {
        sessions: Vec<Vec<Option<(u64, u64)>>>,
        connects: Arc<AtomicUsize>,
        resumed: Arc<AtomicUsize>,
    }

    fn script(sessions: Vec<Vec<Option<(u64, u64)>>>) -> Script {
        Script { sessions, connects: Default::default(), resumed: Default::default() }
    }

    #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
    #[serde(transparent)]
    struct At(u64);

    impl Position for At {
        const EXPECTED: &'static str = "a number";
        fn decode(text: &str) -> Result<Self, String> {
            text.parse().map(At).map_err(|_| String::new())
        }
        fn encode(&self) -> String {
            self.0.to_string()
        }
    }

    fn dead(n: u64) -> Record {
        let origin = Origin { source: "script".into(), location: format!("item {n}") };
        Record::Dead(Box::new(DeadLetter::new(origin, "scripted", n.to_string())))
    }

    #[async_trait::async_trait]
    impl Connector for Script {
        type Session = std::vec::IntoIter<Option<(u64, u64)>>;
        type Position = At;

        fn pacing(&self) -> Pacing {
            Pacing::uniform(Backoff::exponential(veille_config::BackoffConfig { initial_ms: 1, max_ms: 2 }))
        }

        fn resume(&mut self, at: At) {
            self.resumed.store(at.0 as usize, Ordering::SeqCst);
        }

        async fn connect(&mut self) -> Result<Self::Session, Fault> {
            let n = self.connects.fetch_add(1, Ordering::SeqCst);
            match self.sessions.get(n) {
                Some(steps) => Ok(steps.clone().into_iter()),
                None => Err(Fault::Fatal(SourceError::Config { source_name: "script".into(), message: "done".into() })),
            }
        }

        async fn next(&mut self, session: &mut Self::Session, read: &mut Read<At>) -> Result<Next, Fault> {
            match session.next() {
                Some(Some((item, at))) => {
                    read.heard();
                    read.record(dead(item));
                    read.at(At(at));
                    Ok(Next::More)
                }
                Some(None) => Err(Failure::RateLimited(None).into()),
                None => Err(Failure::Stream("script ended".into()).into()),
            }
        }
    }

    fn context(resume: Option<&str>) -> (SourceContext, veille_bus::BatchReceiver) {
        let (out, bus) = veille_bus::embedded(64);
        let ctx = SourceContext {
            resume: resume.map(str::to_string),
            out,
            batch_size: 2,
            cancel: CancellationToken::new(),
            progress: Default::default(),
        };
        (ctx, bus)
    }

    #[tokio::test]
    async fn sessions_reconnect_after_failures_and_each_batch_carries_the_position_after_its_records() {
        let script = script(vec![vec![Some((1, 10)), Some((2, 20)), Some((3, 30)), None], vec![Some((4, 40))]]);
        let (connects, resumed) = (script.connects.clone(), script.resumed.clone());
        let (ctx, mut bus) = context(Some("5"));
        let end = drive(ctx, "script", Duration::from_millis(5), "script", script).await;
        assert!(matches!(end, Err(SourceError::Config { .. })), "a fatal fault stops the source: {end:?}");
        assert_eq!(connects.load(Ordering::SeqCst), 3, "two sessions, then the fatal connect");
        assert_eq!(resumed.load(Ordering::SeqCst), 5, "the stored cursor is handed to the connector");
        let mut seen = Vec::new();
        while let Some(batch) = bus.try_recv() {
            let items: Vec<String> = batch
                .records
                .iter()
                .map(|r| match r {
                    Record::Dead(d) => d.original.clone(),
                    Record::Mention(m) => m.native_id().to_string(),
                })
                .collect();
            assert!(items.len() <= 2, "batches hold at most batch_size records: {items:?}");
            if let Some(last) = items.last() {
                let at = last.parse::<u64>().unwrap() * 10;
                assert_eq!(batch.cursor, Some(at.to_string()), "the cursor follows the batch's last record");
            }
            seen.extend(items);
        }
        assert_eq!(seen, ["1", "2", "3", "4"]);
    }

    #[tokio::test]
    async fn a_cursor_that_does_not_fit_is_refused_with_what_was_expected() {
        let script = script(vec![]);
        let (ctx, _bus) = context(Some("yesterday"));
        match drive(ctx, "script", Duration::ZERO, "script", script).await {
            Err(SourceError::Cursor { cursor, message, .. }) => {
                assert_eq!((cursor.as_str(), message.as_str()), ("yesterday", "expected a number"));
            }
            other => panic!("expected a cursor error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn lanes_share_one_cursor_keyed_by_lane_and_stop_when_cancelled() {
        let lane = |first: u64| script(vec![vec![Some((first, first))]; 1000]);
        let (ctx, mut bus) = context(Some(r#"{"a":1,"gone":7}"#));
        let cancel = ctx.cancel.clone();
        let running = tokio::spawn(async move {
            let lanes = vec![("a".to_string(), lane(2)), ("b".to_string(), lane(3)), ("a".to_string(), lane(9))];
            drive_lanes(ctx, "lanes", Duration::from_millis(1), "a map", lanes).await
        });
        let mut cursor = None;
        let both = serde_json::json!({"a": 2, "b": 3, "gone": 7});
        while cursor.as_ref() != Some(&both) {
            let batch = tokio::time::timeout(Duration::from_secs(5), bus.recv()).await.unwrap().unwrap();
            let from_duplicate = batch.records.iter().any(|r| matches!(r, Record::Dead(d) if d.original == "9"));
            assert!(!from_duplicate, "a key listed twice runs once");
            cursor = batch.cursor.map(|c| serde_json::from_str(&c).unwrap());
        }
        cancel.cancel();
        let end = tokio::time::timeout(Duration::from_secs(5), running).await.unwrap().unwrap();
        assert_eq!(end.unwrap(), SourceEnd::Cancelled);
        assert_eq!(cursor, Some(both), "unknown lanes are kept");
    }
}
