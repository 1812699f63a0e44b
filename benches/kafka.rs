//! Scale-out on Kafka beside the embedded mode, on the same simulated input.
//!
//! 1. Embedded: `veille run` with the simulator as fast as it goes, timed to its end.
//! 2. Kafka: `veille ingest` → broker (4 partitions) → `veille process` × P → index shards,
//!    timed from the ingest worker's start until the shards hold every mention, for P = 1 and 2.
//! 3. Latency: a live stream at a steady rate through one ingest worker and one processor;
//!    the processor's `veille_pipeline_searchable_seconds` histogram gives p50 and p99 from the
//!    hand-over to the bus to the commit that makes a mention searchable.
//! 4. Produce to alert: the simulator's crisis scenario (two days of history, then live, then a
//!    burst), once embedded and once through ingest → processor → signals owner; the time from
//!    the end of the burst's first minute (the earliest an alert on it can be decided) to the
//!    alert's `raised_at`, in both modes in the same run.
//!
//! Needs the tansu broker (`scripts/kafka-broker.sh install`). Run:
//! `cargo bench -p veille --bench kafka` (`VEILLE_BENCH_MENTIONS`, default 100,000; the
//! live phase: `VEILLE_BENCH_RATE` mentions/s, default 500, for 20 s).

#![allow(clippy::unwrap_used)] // a failed unwrap is how a benchmark reports a broken setup

use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use veille_index::MentionIndex;

type Error = Box<dyn std::error::Error>;

/// The admin key the live phase's processor is provisioned with, to read its metrics.
const ADMIN_KEY: &str = "vk_000000000001_0000000000000000000000000000000000000000000000000000000000000001";

struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn veille(args: &[&str]) -> Result<Process, Error> {
    let child = Command::new(env!("CARGO_BIN_EXE_veille"))
        .args(args)
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?;
    Ok(Process(child))
}

fn free_port() -> Result<u16, Error> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn start_broker(root: &Path) -> Result<(Process, String), Error> {
    let tansu =
        std::env::var_os("VEILLE_TANSU").map(PathBuf::from).unwrap_or_else(|| root.join(".tools/tansu/bin/tansu"));
    if !tansu.is_file() {
        return Err(format!("tansu not installed at {} (scripts/kafka-broker.sh install)", tansu.display()).into());
    }
    let port = free_port()?;
    let url = format!("tcp://127.0.0.1:{port}");
    let child = Command::new(&tansu)
        .args(["broker", "--cluster-id", "veille-bench", "--listener-url", &url, "--advertised-listener-url", &url])
        .args(["--storage-engine", "memory://tansu/"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let broker = Process(child);
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let started = Instant::now();
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        if started.elapsed() > Duration::from_secs(30) {
            return Err("tansu did not listen within 30 s".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok((broker, format!("127.0.0.1:{port}")))
}

fn simulator(count: u64, speed: f64, rate: f64, start: Option<&str>) -> String {
    let start = start.map(|s| format!("start = \"{s}\"\n")).unwrap_or_default();
    format!(
        "[[sources]]\nkind = \"simulate\"\nname = \"bench\"\nbrands = [\"Acme\", \"Globex\", \"Initech\"]\n\
         speed = {speed}\nrate = {rate}\ncount = {count}\nseed = 5\nauthors = 5000\n{start}"
    )
}

const COMMON: &str = "[index]\ncommit_every_docs = 20000\ncommit_every_ms = 250\nwriter_memory_mb = 128\n\
                      [alerts]\nenabled = false\n\
                      [[workspaces]]\nname = \"default\"\n\
                      [[workspaces.watches]]\nname = \"acme\"\nkind = \"brand\"\nterms = [\"Acme\"]\n";

fn kafka_config(broker: &str, data: &Path, group: &str, topic: &str) -> String {
    format!(
        "[data]\ndir = \"{}\"\n[bus]\nkind = \"kafka\"\nbatch_size = 1000\n[bus.kafka]\nbrokers = [\"{broker}\"]\n\
         group_id = \"{group}\"\npartitions = 4\n[bus.kafka.topics]\nmentions = \"{topic}\"\n\
         [bus.kafka.properties]\n\"batch.num.messages\" = \"1\"\n{COMMON}",
        data.display()
    )
}

fn write(path: &Path, text: &str) -> Result<PathBuf, Error> {
    std::fs::write(path, text)?;
    Ok(path.to_path_buf())
}

fn shard_total(root: &Path) -> u64 {
    MentionIndex::open_sharded(root).map(|v| v.num_docs()).unwrap_or(0)
}

fn wait_for(root: &Path, n: u64, timeout: Duration) -> Result<(), Error> {
    let started = Instant::now();
    while shard_total(root) < n {
        if started.elapsed() > timeout {
            return Err(format!("shards hold {} of {n} after {timeout:?}", shard_total(root)).into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

fn embedded(dir: &Path, n: u64) -> Result<f64, Error> {
    let data = dir.join("embedded");
    let config = write(
        &dir.join("embedded.toml"),
        &format!(
            "[data]\ndir = \"{}\"\n[server]\nenabled = false\n{COMMON}{}",
            data.display(),
            simulator(n, 0.0, 50.0, Some("2026-03-01T00:00:00Z"))
        ),
    )?;
    let started = Instant::now();
    let mut run = veille(&["run", "--config", config.to_str().ok_or("path")?])?;
    let status = run.0.wait()?;
    if !status.success() {
        return Err(format!("embedded run failed: {status}").into());
    }
    Ok(n as f64 / started.elapsed().as_secs_f64())
}

fn through_kafka(dir: &Path, broker: &str, n: u64, processors: usize) -> Result<f64, Error> {
    let name = format!("p{processors}");
    let shared = dir.join(format!("{name}-shared"));
    let topic = format!("bench.{name}");
    let process = write(
        &dir.join(format!("{name}-process.toml")),
        &format!("{}[server]\nenabled = false\n", kafka_config(broker, &shared, &name, &topic)),
    )?;
    let ingest = write(
        &dir.join(format!("{name}-ingest.toml")),
        &format!(
            "{}{}",
            kafka_config(broker, &dir.join(format!("{name}-ingest")), &name, &topic),
            simulator(n, 0.0, 50.0, Some("2026-03-01T00:00:00Z"))
        ),
    )?;
    let process = process.to_str().ok_or("path")?.to_string();
    let _processors: Vec<Process> =
        (0..processors).map(|_| veille(&["process", "--config", &process])).collect::<Result<_, _>>()?;
    // Let the group form before the clock starts.
    std::thread::sleep(Duration::from_secs(6));
    let started = Instant::now();
    let mut worker = veille(&["ingest", "--config", ingest.to_str().ok_or("path")?])?;
    wait_for(&shared.join("shards"), n, Duration::from_secs(900))?;
    let elapsed = started.elapsed().as_secs_f64();
    let _ = worker.0.wait();
    Ok(n as f64 / elapsed)
}

/// p50 and p99 of a Prometheus histogram's cumulative buckets, interpolated within a bucket.
fn quantiles(metrics: &str, name: &str) -> Option<(f64, f64, u64)> {
    let mut buckets: Vec<(f64, u64)> = Vec::new();
    for line in metrics.lines().filter(|l| l.starts_with(&format!("{name}_bucket"))) {
        let le = line.split("le=\"").nth(1)?.split('"').next()?;
        let count: u64 = line.rsplit(' ').next()?.parse().ok()?;
        let bound = if le == "+Inf" { f64::INFINITY } else { le.parse().ok()? };
        buckets.push((bound, count));
    }
    let total = buckets.last()?.1;
    if total == 0 {
        return None;
    }
    let at = |q: f64| {
        let rank = q * total as f64;
        let mut previous = (0.0, 0u64);
        for &(bound, count) in &buckets {
            if count as f64 >= rank {
                if !bound.is_finite() {
                    return previous.0;
                }
                let span = (count - previous.1).max(1) as f64;
                return previous.0 + (bound - previous.0) * (rank - previous.1 as f64) / span;
            }
            previous = (bound, count);
        }
        previous.0
    };
    Some((at(0.5), at(0.99), total))
}

fn latency(dir: &Path, broker: &str, rate: f64) -> Result<(f64, f64, u64), Error> {
    let shared = dir.join("live-shared");
    let port = free_port()?;
    let process = write(
        &dir.join("live-process.toml"),
        &format!(
            "{}[server]\nenabled = true\nlisten = \"127.0.0.1:{port}\"\n",
            kafka_config(broker, &shared, "live", "bench.live")
        ),
    )?;
    let count = (rate * 20.0) as u64;
    let ingest = write(
        &dir.join("live-ingest.toml"),
        &format!(
            "{}{}",
            kafka_config(broker, &dir.join("live-ingest"), "live", "bench.live"),
            simulator(count, 1.0, rate, None)
        ),
    )?;
    // The API (and /metrics) asks for a key once keys exist: provision the admin key.
    let child = Command::new(env!("CARGO_BIN_EXE_veille"))
        .args(["process", "--config", process.to_str().ok_or("path")?])
        .env("RUST_LOG", "error")
        .env("VEILLE_ADMIN_KEY", ADMIN_KEY)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?;
    let _processor = Process(child);
    std::thread::sleep(Duration::from_secs(6));
    let mut worker = veille(&["ingest", "--config", ingest.to_str().ok_or("path")?])?;
    let _ = worker.0.wait();
    wait_for(&shared.join("shards"), count, Duration::from_secs(120))?;
    std::thread::sleep(Duration::from_secs(1));
    let text = reqwest::blocking::Client::new()
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .bearer_auth(ADMIN_KEY)
        .send()?
        .error_for_status()?
        .text()?;
    quantiles(&text, "veille_pipeline_searchable_seconds").ok_or_else(|| "no latency observed".into())
}

/// The crisis scenario: live from `start`, a burst about Acme 30 s later.
fn crisis(start: &str) -> String {
    format!(
        "[[sources]]\nkind = \"simulate\"\nname = \"crisis\"\nbrands = [\"Acme\", \"Globex\"]\nrate = 0.2\n\
         speed = 1\nauthors = 400\nhistory_s = 172800\nseed = 21\nstart = \"{start}\"\n\
         [sources.crisis]\nbrand = \"Acme\"\nafter_s = 30\nduration_s = 60\nintensity = 20\n"
    )
}

const CRISIS_RULES: &str = "[signals]\nallowed_lateness_s = 10\n[[workspaces]]\nname = \"default\"\n\
                            [[workspaces.watches]]\nname = \"acme\"\nkind = \"brand\"\nterms = [\"Acme\"]\n";

/// Seconds from the end of the first minute of the spike alert at `base` to its `raised_at`.
fn spike_latency(base: &str, deadline: Instant) -> Result<f64, Error> {
    let client = reqwest::blocking::Client::new();
    while Instant::now() < deadline {
        let alerts: serde_json::Value = client
            .get(format!("{base}/api/v1/alerts?state=all"))
            .bearer_auth(ADMIN_KEY)
            .send()
            .and_then(|r| r.json())
            .unwrap_or_default();
        let spike = alerts["alerts"].as_array().into_iter().flatten().find(|a| a["rule"] == "volume_spike").cloned();
        if let Some(a) = spike {
            let time = |k: &str| chrono::DateTime::parse_from_rfc3339(a[k].as_str().unwrap_or_default());
            let (starts, raised) = (time("starts_at")?, time("raised_at")?);
            return Ok((raised - starts).num_milliseconds() as f64 / 1000.0 - 60.0);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err("no spike alert within the deadline".into())
}

fn role(args: &[&str]) -> Result<Process, Error> {
    let child = Command::new(env!("CARGO_BIN_EXE_veille"))
        .args(args)
        .env("RUST_LOG", "error")
        .env("VEILLE_ADMIN_KEY", ADMIN_KEY)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?;
    Ok(Process(child))
}

/// Produce-to-alert latency of the crisis scenario, embedded and through Kafka, side by side.
fn alert_latency(dir: &Path, broker: &str) -> Result<(f64, f64), Error> {
    let start = (chrono::Utc::now() + chrono::Duration::seconds(45)).to_rfc3339();
    let (embedded_port, signals_port) = (free_port()?, free_port()?);
    let embedded = write(
        &dir.join("alert-embedded.toml"),
        &format!(
            "[data]\ndir = \"{}\"\n[server]\nlisten = \"127.0.0.1:{embedded_port}\"\n{CRISIS_RULES}{}",
            dir.join("alert-embedded").display(),
            crisis(&start)
        ),
    )?;
    let shared = dir.join("alert-shared");
    let base = |data: &Path| {
        format!(
            "[data]\ndir = \"{}\"\n[bus]\nkind = \"kafka\"\nbatch_size = 500\n[bus.kafka]\nbrokers = [\"{broker}\"]\n\
             group_id = \"alerts\"\nsignals_group_id = \"alerts-signals\"\npartitions = 4\n\
             [bus.kafka.properties]\n\"batch.num.messages\" = \"1\"\n[index]\ncommit_every_ms = 250\n{CRISIS_RULES}",
            data.display()
        )
    };
    let roles = write(&dir.join("alert-roles.toml"), &base(&shared))?;
    let ingest =
        write(&dir.join("alert-ingest.toml"), &format!("{}{}", base(&dir.join("alert-ingest")), crisis(&start)))?;
    let roles = roles.to_str().ok_or("path")?;
    let signals_listen = format!("127.0.0.1:{signals_port}");
    let _signals = role(&["signals", "--config", roles, "--listen", &signals_listen])?;
    let _processor = role(&["process", "--config", roles, "--listen", &format!("127.0.0.1:{}", free_port()?)])?;
    let _embedded = role(&["run", "--config", embedded.to_str().ok_or("path")?])?;
    let _worker = role(&["ingest", "--config", ingest.to_str().ok_or("path")?])?;
    let deadline = Instant::now() + Duration::from_secs(300);
    let one = spike_latency(&format!("http://127.0.0.1:{embedded_port}"), deadline)?;
    let scaled = spike_latency(&format!("http://{signals_listen}"), deadline)?;
    Ok((one, scaled))
}

fn main() -> Result<(), Error> {
    if std::env::args().any(|a| a == "--list") {
        return Ok(());
    }
    let n: u64 = std::env::var("VEILLE_BENCH_MENTIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let rate: f64 = std::env::var("VEILLE_BENCH_RATE").ok().and_then(|v| v.parse().ok()).unwrap_or(500.0);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = tempfile::tempdir()?;

    let embedded = embedded(dir.path(), n)?;
    println!("embedded      {n} mentions: {embedded:>9.0} mentions/s");
    // A fresh broker for each phase: the test broker's in-memory storage slows down as it fills,
    // which would charge one phase for the records of the one before.
    for processors in [1, 2] {
        let (_broker, address) = start_broker(&root)?;
        let kafka = through_kafka(dir.path(), &address, n, processors)?;
        println!("kafka, {processors} proc {n} mentions: {kafka:>9.0} mentions/s  ({:.2}x embedded)", kafka / embedded);
    }
    let (_broker, address) = start_broker(&root)?;
    let (p50, p99, observed) = latency(dir.path(), &address, rate)?;
    println!(
        "live {rate} mentions/s, produce to searchable over {observed} mentions: p50 {:.0} ms, p99 {:.0} ms",
        p50 * 1000.0,
        p99 * 1000.0
    );
    let (_broker, address) = start_broker(&root)?;
    let (one, scaled) = alert_latency(dir.path(), &address)?;
    println!(
        "crisis spike, end of its first minute to alert raised: embedded {one:.1} s, kafka (ingest, processor, signals owner) {scaled:.1} s"
    );
    Ok(())
}
