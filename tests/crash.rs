//! SIGKILL in the middle of an import, again and again: in the end every record is indexed exactly once.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{count, import_summary, veille_ok};

const MENTIONS: u64 = 60_000;
const BAD_EVERY: u64 = 997;

#[cfg(unix)]
#[test]
fn import_killed_repeatedly_ends_with_every_record_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("stream.ndjson");
    let data = dir.path().join("data");
    let config = dir.path().join("veille.toml");
    // Small commits so that kills land between many of them.
    std::fs::write(&config, "[index]\ncommit_every_docs = 2000\ncommit_every_ms = 200\nwriter_memory_mb = 64\n")
        .unwrap();

    let sim =
        veille_ok(&["simulate", "--count", &MENTIONS.to_string(), "--seed", "7", "--start", "2026-01-01T00:00:00Z"]);
    let mut file = std::fs::File::create(&input).unwrap();
    let mut bad = 0;
    for (i, line) in String::from_utf8(sim.stdout).unwrap().lines().enumerate() {
        writeln!(file, "{line}").unwrap();
        if (i as u64 + 1).is_multiple_of(BAD_EVERY) {
            writeln!(file, "{{\"broken\": {i}").unwrap();
            bad += 1;
        }
    }
    drop(file);

    let args = [
        "import",
        "ndjson",
        input.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
    ];
    let mut kills = 0;
    for attempt in 0..12 {
        let mut child = Command::new(common::bin())
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(150 + 150 * (attempt % 6)));
        if child.try_wait().unwrap().is_none() {
            // SAFETY: signalling a child process we spawned and still own.
            unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
            kills += 1;
        }
        child.wait().unwrap();
        if kills == 6 {
            break;
        }
    }
    let out = veille_ok(&args);
    let (imported, _) = import_summary(&out);
    eprintln!("crash: {kills} kills, the final run imported {imported}");
    assert!(kills >= 3, "the import finished before it could be killed often enough ({kills} kills)");

    assert_eq!(count(&data, "default", "*", &[]), MENTIONS, "every mention exactly once");
    let dead = std::fs::read_to_string(data.join("deadletter.ndjson")).unwrap();
    assert_eq!(dead.lines().count() as u64, bad, "every bad line dead-lettered exactly once");
    let rerun = veille_ok(&args);
    assert_eq!(import_summary(&rerun), (0, 0), "nothing left to read");
}
