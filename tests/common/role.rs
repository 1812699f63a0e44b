//! A `veille` role process (ingest, process, signals, run) that a test can SIGKILL or stop.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What a role logs under `VEILLE_TEST_LOGS`: info, and every shard commit of a processor (to
/// see which partition stopped moving).
const LOGGED: &str = "info,librdkafka=warn,veille_pipeline::kafka::shards=debug";

/// A role process, killed when dropped.
pub struct Role {
    child: Child,
    name: String,
}

impl Drop for Role {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Role {
    /// Starts `veille ARGS` with warnings logged to the test's standard error, provisioned
    /// with the tests' admin key.
    pub fn start(name: &str, args: &[&str]) -> Role {
        Self::start_with(name, args, &[])
    }

    /// Starts `veille ARGS` with extra environment variables. With `VEILLE_TEST_LOGS=DIR`, the
    /// role logs at info level to `DIR/NAME.log` instead (to read a failure afterwards).
    pub fn start_with(name: &str, args: &[&str], env: &[(&str, &str)]) -> Role {
        if let Some(dir) = std::env::var_os("VEILLE_TEST_LOGS") {
            let file: String = name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
            let log = std::path::Path::new(&dir).join(format!("{file}.log"));
            let file = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
            let mut env = env.to_vec();
            env.push(("RUST_LOG", LOGGED));
            return Self::spawn(name, args, &env, Stdio::from(file));
        }
        Self::spawn(name, args, env, Stdio::inherit())
    }

    /// Starts `veille ARGS` logging at info level to the file `log` (appended).
    pub fn start_logged(name: &str, args: &[&str], log: &std::path::Path) -> Role {
        let file = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
        Self::spawn(name, args, &[("RUST_LOG", LOGGED)], Stdio::from(file))
    }

    fn spawn(name: &str, args: &[&str], env: &[(&str, &str)], stderr: Stdio) -> Role {
        let child = Command::new(super::bin())
            .args(args)
            .env("RUST_LOG", "warn")
            .env("VEILLE_ADMIN_KEY", super::server::ADMIN_KEY)
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {name}: {e}"));
        Role { child, name: name.to_string() }
    }

    /// SIGKILLs the process and reaps it.
    pub fn kill(&mut self) {
        // SAFETY: signalling a child process we spawned and still own.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGKILL) };
        let _ = self.child.wait();
    }

    /// SIGTERMs the process and waits (a minute at most) for a successful exit.
    pub fn terminate(&mut self) {
        // SAFETY: as above.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        self.wait_success(Duration::from_secs(60));
    }

    /// Waits up to `timeout` for the process to exit with success.
    pub fn wait_success(&mut self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "{} exited with {status}", self.name);
                return;
            }
            assert!(Instant::now() < deadline, "{} did not finish within {timeout:?}", self.name);
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
