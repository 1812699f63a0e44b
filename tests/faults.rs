//! Fault injection: the engine killed at random points, a full disk, a source that sends
//! garbage, a slow index and a notifier that is down. Each case checks that nothing accepted is
//! lost, nothing is duplicated, and the process recovers or stops with a clear message.
//!
//! Run the suite alone with `cargo test --test faults -- --nocapture`; `VEILLE_FAULT_SEED=N`
//! replays one random schedule of kills (each run prints the seed it used).

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::server::{free_port, get, push_ndjson, wait_ready, wait_until};
use common::{count, import_summary, veille_ok};
use rand::{Rng, SeedableRng};
use serde_json::Value;

const START: &str = "2026-01-01T00:00:00Z";

/// Garbage of every kind a source can send, one line each; none may stop the import.
const GARBAGE: [&[u8]; 6] = [
    b"{\"platform\":\"x\",\"native_id\":\"1\",\"text\":\"truncated",
    b"\xff\xfe not utf-8 \xc3\x28",
    b"[1, 2, 3]",
    b"{\"platform\":\"x\",\"native_id\":17,\"text\":\"id of the wrong type\",\"created_at\":\"2026-01-01T00:00:00Z\",\"author\":{\"handle\":\"a\"}}",
    b"{\"platform\":\"x\",\"native_id\":\"no-text\",\"created_at\":\"2026-01-01T00:00:00Z\",\"author\":{\"handle\":\"a\"}}",
    b"\x00\x01\x02 binary",
];

/// An input file: `mentions` simulated mentions with a garbage line after every `every`-th,
/// and the keys of the mentions and the count of garbage lines.
struct Input {
    path: PathBuf,
    keys: BTreeSet<String>,
    garbage: u64,
}

fn input(dir: &Path, mentions: u64, every: u64, seed: u64) -> Input {
    let sim = veille_ok(&["simulate", "--count", &mentions.to_string(), "--seed", &seed.to_string(), "--start", START]);
    let path = dir.join("stream.ndjson");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut keys = BTreeSet::new();
    let mut garbage = 0;
    for (i, line) in String::from_utf8(sim.stdout).unwrap().lines().enumerate() {
        let v: Value = serde_json::from_str(line).unwrap();
        keys.insert(format!("{}:{}", v["platform"].as_str().unwrap(), v["native_id"].as_str().unwrap()));
        writeln!(file, "{line}").unwrap();
        if (i as u64 + 1).is_multiple_of(every) {
            file.write_all(GARBAGE[garbage as usize % GARBAGE.len()]).unwrap();
            file.write_all(b"\n").unwrap();
            garbage += 1;
        }
    }
    file.flush().unwrap();
    assert_eq!(keys.len() as u64, mentions, "the simulator gives every mention its own key");
    Input { path, keys, garbage }
}

/// Every mention key in the index's default workspace, with duplicates kept.
fn indexed_keys(data: &Path) -> Vec<String> {
    let out = veille_ok(&["export", "--format", "ndjson", "--quiet", "--data-dir", data.to_str().unwrap()]);
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["key"].as_str().unwrap().to_string())
        .collect()
}

/// Asserts the index holds exactly `input`'s mentions, each once, and the dead-letter file
/// exactly its garbage lines, each once.
fn assert_exactly_once(data: &Path, input: &Input) {
    let keys = indexed_keys(data);
    let unique: BTreeSet<String> = keys.iter().cloned().collect();
    assert_eq!(unique.len(), keys.len(), "no mention is indexed twice");
    let lost: Vec<&String> = input.keys.difference(&unique).take(5).collect();
    assert!(lost.is_empty(), "mentions lost (first five): {lost:?}");
    let extra: Vec<&String> = unique.difference(&input.keys).take(5).collect();
    assert!(extra.is_empty(), "mentions that were never sent: {extra:?}");
    assert_eq!(count(data, "default", "*", &[]), input.keys.len() as u64);

    let dead = std::fs::read_to_string(data.join("deadletter.ndjson")).unwrap();
    let mut locations = BTreeSet::new();
    for line in dead.lines() {
        let d: Value = serde_json::from_str(line).unwrap();
        assert!(!d["reason"].as_str().unwrap_or("").is_empty(), "a dead letter says why: {line}");
        assert!(locations.insert(d["origin"]["location"].as_str().unwrap().to_string()), "dead-lettered twice: {line}");
    }
    assert_eq!(locations.len() as u64, input.garbage, "every garbage line dead-lettered exactly once");
}

fn import_args<'a>(input: &'a Input, config: &'a Path, data: &'a Path) -> Vec<&'a str> {
    vec![
        "import",
        "ndjson",
        input.path.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
    ]
}

/// The seed for this run's random schedule: `VEILLE_FAULT_SEED`, else the clock.
fn seed() -> u64 {
    let seed = std::env::var("VEILLE_FAULT_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
    });
    eprintln!("fault schedule seed: {seed} (VEILLE_FAULT_SEED={seed} replays it)");
    seed
}

#[cfg(unix)]
#[test]
fn twenty_random_sigkills_during_a_100k_ingest_lose_and_duplicate_nothing() {
    const KILLS: u32 = 20;
    let dir = tempfile::tempdir().unwrap();
    let input = input(dir.path(), 100_000, 1_009, 21);
    let data = dir.path().join("data");
    let config = dir.path().join("veille.toml");
    // Frequent commits, so that kills land before, between and during them.
    std::fs::write(&config, "[index]\ncommit_every_docs = 3000\ncommit_every_ms = 100\nwriter_memory_mb = 64\n")
        .unwrap();
    let args = import_args(&input, &config, &data);

    let mut rng = rand::rngs::SmallRng::seed_from_u64(seed());
    let (mut kills, mut finished, mut kill_points, mut durable_at) = (0u32, 0, Vec::new(), Vec::new());
    // Kills land at random points of a window sized from the ingest's measured pace, so that
    // they spread over about three quarters of it, whatever the machine's speed, rather than
    // bunching at its start or missing its end.
    let total = input.keys.len() as u64;
    let mut window_ms: u64 = 300;
    let mut durable = 0;
    let started = Instant::now();
    while kills < KILLS {
        assert!(kills + finished < 200, "the import kept finishing before it could be killed");
        let mut child =
            Command::new(common::bin()).args(&args).env("RUST_LOG", "error").stdout(Stdio::null()).spawn().unwrap();
        let after = Duration::from_millis(rng.random_range(window_ms / 4..window_ms * 7 / 4));
        std::thread::sleep(after);
        if child.try_wait().unwrap().is_none() {
            // SAFETY: signalling a child process we spawned and still own.
            unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
            kills += 1;
            kill_points.push(after.as_millis());
        } else {
            finished += 1;
        }
        child.wait().unwrap();
        let before = durable;
        durable = count(&data, "default", "*", &[]);
        durable_at.push(durable);
        // What each remaining kill may let through to end near three quarters, at the pace
        // (mentions made durable per millisecond of run, start-up included) this run showed.
        let left = u64::from(KILLS.saturating_sub(kills).max(1));
        let share = (total * 3 / 4).saturating_sub(durable) / left;
        let gained = durable.saturating_sub(before);
        window_ms = if gained == 0 {
            window_ms * 5 / 4
        } else {
            (share.max(1) as f64 * after.as_millis().max(1) as f64 / gained as f64) as u64
        }
        .clamp(40, 5_000);
    }
    eprintln!("durable mentions after each kill: {durable_at:?}");
    let progress = count(&data, "default", "*", &[]);
    let last = veille_ok(&args);
    let (imported, dead) = import_summary(&last);
    eprintln!(
        "{kills} SIGKILLs at {kill_points:?} ms after start in {:.1} s; {progress} mentions durable before the \
         last run, which imported {imported} and dead-lettered {dead}",
        started.elapsed().as_secs_f64()
    );
    assert!(progress < input.keys.len() as u64, "the kills landed before the ingest was over");
    assert_exactly_once(&data, &input);
    assert_eq!(import_summary(&veille_ok(&args)), (0, 0), "nothing left to read");
}

/// A tmpfs mounted on a directory of the test, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// Mounts a `size_mb` tmpfs on `at`; `None` (saying why) where mounting is not allowed.
    fn mount(at: &Path, size_mb: u64) -> Option<Tmpfs> {
        std::fs::create_dir_all(at).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size_mb}m"), "tmpfs", at.to_str().unwrap()])
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Tmpfs(at.to_path_buf())),
            other => {
                let why = match other {
                    Ok(o) => String::from_utf8_lossy(&o.stderr).trim().to_string(),
                    Err(e) => e.to_string(),
                };
                assert!(
                    std::env::var("VEILLE_REQUIRE_REFERENCE").as_deref() != Ok("1"),
                    "a small filesystem is needed to fill the disk: mount failed: {why}"
                );
                eprintln!("skipped: cannot mount a tmpfs to fill ({why}); run as root");
                None
            }
        }
    }

    fn resize(&self, size_mb: u64) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,size={size_mb}m"), self.0.to_str().unwrap()])
            .status()
            .unwrap();
        assert!(status.success(), "remount {}", self.0.display());
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn output_text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[cfg(unix)]
#[test]
fn a_full_disk_stops_ingestion_with_a_clear_message_and_it_resumes_when_space_returns() {
    let dir = tempfile::tempdir().unwrap();
    let input = input(dir.path(), 100_000, 2_003, 22);
    let data = dir.path().join("data");
    let Some(disk) = Tmpfs::mount(&data, 12) else { return };
    let config = dir.path().join("veille.toml");
    std::fs::write(&config, "[index]\ncommit_every_docs = 5000\ncommit_every_ms = 200\nwriter_memory_mb = 32\n")
        .unwrap();
    let args = import_args(&input, &config, &data);

    // The disk fills up: the import stops by itself, non-zero, saying so.
    let full = run_bounded(&args, Duration::from_secs(300));
    let text = output_text(&full);
    assert!(!full.status.success(), "an import onto a full disk must fail: {text}");
    assert!(
        text.contains("No space left on device") || text.to_lowercase().contains("disk full"),
        "the error says the disk is full: {text}"
    );
    let durable = count(&data, "default", "*", &[]);
    eprintln!("disk full after {durable} durable mentions: {}", text.lines().last().unwrap_or(""));
    assert!(durable < input.keys.len() as u64, "the disk filled before the end of the ingest");

    // Trying again while the disk is still full fails the same way and loses nothing.
    let again = run_bounded(&args, Duration::from_secs(300));
    assert!(!again.status.success(), "{}", output_text(&again));
    assert!(count(&data, "default", "*", &[]) >= durable, "what was durable stays durable");

    // Space returns: the same import resumes where the last commit left it.
    disk.resize(1024);
    let resumed = veille_ok(&args);
    let (imported, _) = import_summary(&resumed);
    eprintln!("after space returned the import resumed and indexed {imported} more");
    assert!(imported < input.keys.len() as u64, "the import resumed instead of starting over");
    assert_exactly_once(&data, &input);
}

/// Runs `veille` with `args`, killing it (and failing) if it runs longer than `limit`.
fn run_bounded(args: &[&str], limit: Duration) -> Output {
    let child = Command::new(common::bin())
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let id = child.id();
    let watchdog = std::thread::spawn(move || {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
            // SAFETY: probing (signal 0) a child process we spawned.
            if unsafe { libc::kill(id as i32, 0) } != 0 {
                return false;
            }
        }
        // SAFETY: signalling a child process we spawned and still own.
        unsafe { libc::kill(id as i32, libc::SIGKILL) };
        true
    });
    let out = child.wait_with_output().unwrap();
    assert!(!watchdog.join().unwrap(), "veille {args:?} hung for {limit:?}");
    out
}

/// The value of the metric sample `name{labels}` in a Prometheus text exposition (0 if absent).
fn metric(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.split(['{', ' ']).next() == Some(name))
        .filter(|l| labels.iter().all(|(k, v)| l.contains(&format!("{k}=\"{v}\""))))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn metrics(base: &str) -> String {
    let (status, body) = get(&format!("{base}/metrics"));
    assert_eq!(status, 200);
    body.as_str().unwrap_or_default().to_string()
}

fn run_config(data: &Path, port: u16, index: &str, sources: &str) -> String {
    format!(
        r#"
[data]
dir = "{data}"
[index]
{index}
[server]
listen = "127.0.0.1:{port}"
{sources}
[[workspaces]]
name = "default"
[[workspaces.watches]]
name = "acme"
kind = "brand"
terms = ["Acme"]
"#,
        data = data.display()
    )
}

#[test]
fn a_source_sending_garbage_is_dead_lettered_counted_and_never_stops_the_engine() {
    let dir = tempfile::tempdir().unwrap();
    let input = input(dir.path(), 5_000, 97, 23);
    let data = dir.path().join("data");
    let port = free_port();
    let sources = format!(
        "[[sources]]\nkind = \"ndjson\"\nname = \"feed\"\npath = \"{}\"\n[[sources]]\nkind = \"push\"\nname = \"hook\"\ntoken_env = \"VEILLE_FAULT_PUSH_TOKEN\"\n",
        input.path.display()
    );
    let toml = run_config(&data, port, "commit_every_ms = 200", &sources);
    std::env::set_var("VEILLE_FAULT_PUSH_TOKEN", "push-secret");
    let mut app = common::server::run(dir.path(), &toml, port);
    let base = app.base.clone();
    wait_ready(&base);
    wait_until("the feed indexed", Duration::from_secs(120), || {
        get(&format!("{base}/api/v1/search?limit=0")).1["total"] == 5_000
    });

    // The push endpoint gets garbage too: every bad line is refused by number, the good one taken.
    let client = reqwest::blocking::Client::new();
    let mut body = Vec::new();
    for g in GARBAGE {
        body.extend_from_slice(g);
        body.push(b'\n');
    }
    body.extend_from_slice(
        br#"{"platform":"x","native_id":"pushed-1","text":"Acme after the garbage","created_at":"2026-01-02T00:00:00Z","author":{"handle":"a"}}"#,
    );
    let (status, receipt) = push_ndjson(&client, &base, body);
    assert_eq!(status, 202, "{receipt}");
    assert_eq!(receipt["accepted"], 1, "{receipt}");
    assert_eq!(receipt["dead_lettered"], GARBAGE.len(), "{receipt}");
    // A body that is all garbage is still answered, never a crash.
    let (status, receipt) = push_ndjson(&client, &base, b"\xff\xff\xff".to_vec());
    assert_eq!(status, 202, "{receipt}");
    assert_eq!(receipt["dead_lettered"], 1, "{receipt}");

    let (status, _) = get(&format!("{base}/api/v1/mentions/x:pushed-1"));
    assert_eq!(status, 200, "the good mention pushed after the garbage is durable once answered");
    let expected_dead = input.garbage + GARBAGE.len() as u64 + 1;
    wait_until("the dead letters counted", Duration::from_secs(30), || {
        metric(&metrics(&base), "veille_pipeline_records_total", &[("outcome", "deadlettered")]) as u64 == expected_dead
    });
    let text = metrics(&base);
    assert_eq!(metric(&text, "veille_source_deadletters_total", &[("source", "feed")]) as u64, input.garbage);
    assert_eq!(metric(&text, "veille_source_deadletters_total", &[("source", "hook")]) as u64, 7);
    let (status, health) = get(&format!("{base}/healthz"));
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")), "still healthy");
    app.terminate();

    let dead = std::fs::read_to_string(data.join("deadletter.ndjson")).unwrap();
    assert_eq!(dead.lines().count() as u64, expected_dead, "every garbage line kept with its reason");
    for line in dead.lines() {
        let d: Value = serde_json::from_str(line).unwrap();
        assert!(d["origin"]["location"].as_str().unwrap().contains("line"), "{line}");
    }
}

#[cfg(unix)]
#[test]
fn a_slow_index_slows_the_pushers_and_loses_nothing_it_accepted_when_killed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let port = free_port();
    // A commit after every batch: the index is the slow stage.
    let toml = run_config(
        &data,
        port,
        "commit_every_docs = 1\ncommit_every_ms = 1\nwriter_memory_mb = 16\nwriter_threads = 1",
        "[[sources]]\nkind = \"push\"\nname = \"hook\"\ntoken_env = \"VEILLE_FAULT_PUSH_TOKEN\"\n",
    );
    std::env::set_var("VEILLE_FAULT_PUSH_TOKEN", "push-secret");
    let mut app = common::server::run(dir.path(), &toml, port);
    let base = app.base.clone();
    wait_ready(&base);

    // Four clients push batches side by side; the engine is killed right after the last answer.
    let accepted = std::sync::Mutex::new(BTreeSet::new());
    let started = Instant::now();
    std::thread::scope(|s| {
        for client_no in 0..4 {
            let (accepted, base) = (&accepted, &base);
            s.spawn(move || {
                let client = reqwest::blocking::Client::new();
                for request in 0..25 {
                    let mut body = String::new();
                    let mut keys = Vec::new();
                    for i in 0..40 {
                        let id = format!("c{client_no}-r{request}-{i}");
                        body.push_str(&format!(
                            r#"{{"platform":"x","native_id":"{id}","text":"Acme post {id}","created_at":"2026-01-02T00:00:00Z","author":{{"handle":"c{client_no}"}}}}"#
                        ));
                        body.push('\n');
                        keys.push(format!("x:{id}"));
                    }
                    let (status, receipt) = push_ndjson(&client, base, body.into_bytes());
                    assert_eq!(status, 202, "{receipt}");
                    assert_eq!(receipt["accepted"], 40);
                    accepted.lock().unwrap().extend(keys);
                }
            });
        }
    });
    let pushed_s = started.elapsed().as_secs_f64();
    let commits = metric(&metrics(&base), "veille_index_commits_total", &[]);
    // SAFETY: signalling a child process we spawned and still own.
    unsafe { libc::kill(app.child.id() as i32, libc::SIGKILL) };
    app.child.wait().unwrap();
    let accepted = accepted.into_inner().unwrap();
    eprintln!("4 clients pushed {} mentions in {pushed_s:.1} s over {commits} commits, then SIGKILL", accepted.len());
    assert_eq!(accepted.len(), 4_000);
    assert!(commits >= 10.0, "the index committed often (slowly): {commits}");

    // Every mention that was answered 202 is in the index after the kill.
    let keys: BTreeSet<String> = indexed_keys(&data).into_iter().collect();
    let lost: Vec<&String> = accepted.difference(&keys).take(5).collect();
    assert!(lost.is_empty(), "accepted then lost (first five): {lost:?}");
    assert_eq!(count(&data, "default", "*", &[]), 4_000);
}

#[cfg(unix)]
#[test]
fn a_notifier_that_is_down_never_blocks_ingestion_and_its_notices_wait_in_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let port = free_port();
    // Nobody listens on the webhook's port.
    let hook = free_port();
    let sources = format!(
        r#"
[[sources]]
kind = "simulate"
name = "sim"
brands = ["Acme", "Globex"]
rate = 2.0
speed = 0
count = 20000
seed = 5
start = "{START}"
[sources.crisis]
brand = "Acme"
after_s = 7200
duration_s = 600
intensity = 20

# Two hours of stream before the crisis: judge after one (the default waits a day).
[signals.detector]
warmup_s = 3600

[alerts]
backoff_min_ms = 200
backoff_max_ms = 1000
[[alerts.webhook]]
name = "ops"
url = "http://127.0.0.1:{hook}/hook"
secret = "s3cret"
"#
    );
    let toml = run_config(&data, port, "commit_every_ms = 200", &sources);
    let mut app = common::server::run(dir.path(), &toml, port);
    let base = app.base.clone();
    wait_ready(&base);
    wait_until("every mention indexed while the notifier is down", Duration::from_secs(180), || {
        get(&format!("{base}/api/v1/search?limit=0")).1["total"] == 20_000
    });
    wait_until("failed deliveries counted and notices kept", Duration::from_secs(60), || {
        let text = metrics(&base);
        metric(&text, "veille_alert_notification_failures_total", &[("receiver", "ops")]) >= 1.0
            && metric(&text, "veille_alert_outbox_depth", &[("receiver", "ops")]) >= 1.0
    });
    let text = metrics(&base);
    let depth = metric(&text, "veille_alert_outbox_depth", &[("receiver", "ops")]);
    let failures = metric(&text, "veille_alert_notification_failures_total", &[("receiver", "ops")]);
    eprintln!("notifier down: {failures} failed deliveries, {depth} notices waiting in the outbox");
    let (status, health) = get(&format!("{base}/healthz"));
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));
    app.terminate();
    let outbox = data.join("alerts/outbox");
    let kept: u64 = std::fs::read_dir(&outbox)
        .unwrap_or_else(|e| panic!("{}: {e}", outbox.display()))
        .map(|e| std::fs::metadata(e.unwrap().path()).unwrap().len())
        .sum();
    assert!(kept > 0, "the undelivered notices survive the stop in {}", outbox.display());
}
