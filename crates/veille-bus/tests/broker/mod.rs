//! A real Kafka-protocol broker (tansu) on a free loopback port, for one test.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running tansu broker, stopped when dropped.
pub struct Broker {
    child: Child,
    /// `127.0.0.1:port`, for `bus.kafka.brokers`.
    pub address: String,
}

/// The tansu binary: `VEILLE_TANSU`, else `<workspace>/.tools/tansu/bin/tansu`.
fn tansu_binary() -> PathBuf {
    std::env::var_os("VEILLE_TANSU")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.tools/tansu/bin/tansu"))
}

/// Starts a broker with in-memory storage, or returns `None` (after saying
/// so) when tansu is not installed and `VEILLE_REQUIRE_REFERENCE` is not `1`.
pub fn start() -> Option<Broker> {
    let binary = tansu_binary();
    if !binary.is_file() {
        assert!(
            std::env::var("VEILLE_REQUIRE_REFERENCE").as_deref() != Ok("1"),
            "tansu not installed at {} (run scripts/kafka-broker.sh install)",
            binary.display()
        );
        println!("skipped: tansu not installed");
        return None;
    }
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free loopback port: {e}"));
    let url = format!("tcp://127.0.0.1:{port}");
    let child = Command::new(&binary)
        .args(["broker", "--cluster-id", &format!("veille-test-{port}")])
        .args(["--listener-url", &url, "--advertised-listener-url", &url])
        .args(["--storage-engine", "memory://tansu/"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
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

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
