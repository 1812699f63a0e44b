//! A real Kafka-protocol broker (tansu, in-memory storage) on a free loopback port.

use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running broker, stopped when dropped.
pub struct Broker {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub address: String,
}

impl Broker {
    /// Stops the broker now (it is stopped when dropped anyway).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The tansu binary: `VEILLE_TANSU`, else `.tools/tansu/bin/tansu` (made by `scripts/kafka-broker.sh install`).
fn tansu() -> PathBuf {
    std::env::var_os("VEILLE_TANSU").map(PathBuf::from).unwrap_or_else(|| super::root().join(".tools/tansu/bin/tansu"))
}

/// Where the broker logs: `VEILLE_TEST_LOGS/tansu.log` when that folder is set (to read a
/// rebalance after a failure), nowhere otherwise.
fn log() -> Stdio {
    let Some(dir) = std::env::var_os("VEILLE_TEST_LOGS") else { return Stdio::null() };
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(PathBuf::from(dir).join("tansu.log"))
        .map_or_else(|_| Stdio::null(), Stdio::from)
}

/// Starts a broker, or returns `None` (saying so) when tansu is not installed,
/// unless `VEILLE_REQUIRE_REFERENCE=1` (as in CI) makes that a failure.
pub fn start() -> Option<Broker> {
    let binary = tansu();
    if !binary.is_file() {
        assert!(
            std::env::var("VEILLE_REQUIRE_REFERENCE").as_deref() != Ok("1"),
            "tansu not installed at {} (run scripts/kafka-broker.sh install)",
            binary.display()
        );
        eprintln!("skipped: Kafka-protocol broker (tansu) not installed; run scripts/kafka-broker.sh install");
        return None;
    }
    let port = super::server::free_port();
    let url = format!("tcp://127.0.0.1:{port}");
    let child = Command::new(&binary)
        .args(["broker", "--cluster-id", &format!("veille-test-{port}")])
        .args(["--listener-url", &url, "--advertised-listener-url", &url])
        .args(["--storage-engine", "memory://tansu/"])
        .stdin(Stdio::null())
        .stdout(log())
        .stderr(log())
        // Group membership only: tansu's info level logs every request.
        .env("RUST_LOG", "warn,tansu_broker::coordinator=info")
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
    let mut broker = Broker { child, address: format!("127.0.0.1:{port}") };
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let started = Instant::now();
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        if let Ok(Some(status)) = broker.child.try_wait() {
            panic!("tansu exited before accepting connections: {status}");
        }
        assert!(started.elapsed() < Duration::from_secs(30), "tansu did not listen on {addr} within 30 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(broker)
}
