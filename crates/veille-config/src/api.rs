//! `[server.tls]`, `[server.cors]` and `[server.limits]`: how the HTTP API protects itself.
//!
//! ```toml
//! [server]
//! listen = "127.0.0.1:7700"     # loopback only unless you say otherwise
//!
//! [server.tls]                  # absent: plain HTTP (put a TLS proxy in front, or set this)
//! cert = "/etc/veille/cert.pem" # PEM certificate chain, leaf first
//! key = "/etc/veille/key.pem"   # PEM private key (PKCS#8, PKCS#1 or SEC1)
//!
//! [server.cors]
//! allow_origins = []            # no cross-origin access; e.g. ["https://dash.example.com"]
//!
//! [server.limits]
//! max_body_bytes = 4194304      # request bodies (the ingest webhook's batches)
//! request_time_ms = 10000       # a request (a search above all) gets this long, then an error
//! max_page_size = 1000          # hits per page (`limit`)
//! max_query_bytes = 4096        # length of `q`
//! max_query_clauses = 64        # terms, phrases and ranges in `q`
//! max_query_wildcards = 4       # terms with `*`, `?`, `~` or a /regex/ in `q`
//! max_query_depth = 8           # nesting of parentheses in `q`
//! rate_per_second = 20.0        # requests per key, sustained
//! rate_burst = 100              # requests per key at once
//! exports_per_minute = 10       # exports per key
//! ```

use std::path::PathBuf;

use serde::Deserialize;

/// `[server.tls]`: serve HTTPS with this certificate.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM file with the certificate chain, leaf first.
    pub cert: PathBuf,
    /// PEM file with the private key.
    pub key: PathBuf,
}

/// `[server.cors]`: which other web origins may call the API from a browser.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CorsConfig {
    /// Origins allowed, like `https://dash.example.com`. Default none: CORS is off.
    pub allow_origins: Vec<String>,
}

/// `[server.limits]`: bounds on what one request may ask.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest request body, in bytes. Default 4 MiB.
    pub max_body_bytes: usize,
    /// Time a request may take before it is answered with an error, in ms. Default 10,000.
    /// The live stream is exempt.
    pub request_time_ms: u64,
    /// Most hits per page (`limit`). Default 1,000.
    pub max_page_size: usize,
    /// Longest query (`q`), in bytes. Default 4,096.
    pub max_query_bytes: usize,
    /// Most terms, phrases and ranges in one query. Default 64.
    pub max_query_clauses: usize,
    /// Most expensive terms (wildcard, fuzzy or regex) in one query. Default 4.
    pub max_query_wildcards: usize,
    /// Deepest nesting of parentheses in one query. Default 8.
    pub max_query_depth: usize,
    /// Requests per second one key may sustain. Default 20.
    pub rate_per_second: f64,
    /// Requests one key may send at once. Default 100.
    pub rate_burst: u32,
    /// Exports one key may start per minute. Default 10.
    pub exports_per_minute: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_body_bytes: 4 * 1024 * 1024,
            request_time_ms: 10_000,
            max_page_size: 1_000,
            max_query_bytes: 4_096,
            max_query_clauses: 64,
            max_query_wildcards: 4,
            max_query_depth: 8,
            rate_per_second: 20.0,
            rate_burst: 100,
            exports_per_minute: 10,
        }
    }
}

impl TlsConfig {
    /// Checks the paths; errors are `(key, reason)` relative to `[server.tls]`.
    pub(crate) fn validate(&self) -> Result<(), (String, String)> {
        for (key, path) in [("cert", &self.cert), ("key", &self.key)] {
            if path.as_os_str().is_empty() {
                return Err((key.into(), "is empty: name a PEM file".into()));
            }
        }
        Ok(())
    }
}

impl CorsConfig {
    /// Checks the origins; errors are `(key, reason)` relative to `[server.cors]`.
    pub(crate) fn validate(&self) -> Result<(), (String, String)> {
        for (i, origin) in self.allow_origins.iter().enumerate() {
            let rest = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
            let ok = rest.is_some_and(|r| !r.is_empty() && !r.contains('/') && !r.contains(char::is_whitespace));
            if !ok {
                return Err((
                    format!("allow_origins[{i}]"),
                    format!(
                        "`{origin}` is not an origin like https://dash.example.com (scheme and host, no path, no `*`)"
                    ),
                ));
            }
        }
        Ok(())
    }
}

impl LimitsConfig {
    /// Checks every bound; errors are `(key, reason)` relative to `[server.limits]`.
    pub(crate) fn validate(&self) -> Result<(), (String, String)> {
        let at_least_one = [
            ("max_body_bytes", self.max_body_bytes as u64),
            ("request_time_ms", self.request_time_ms),
            ("max_page_size", self.max_page_size as u64),
            ("max_query_bytes", self.max_query_bytes as u64),
            ("max_query_clauses", self.max_query_clauses as u64),
            ("max_query_depth", self.max_query_depth as u64),
            ("rate_burst", u64::from(self.rate_burst)),
            ("exports_per_minute", u64::from(self.exports_per_minute)),
        ];
        for (key, value) in at_least_one {
            if value == 0 {
                return Err((key.into(), "must be at least 1".into()));
            }
        }
        if !(self.rate_per_second.is_finite() && self.rate_per_second > 0.0) {
            return Err(("rate_per_second".into(), format!("is {}: must be a positive number", self.rate_per_second)));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::Config;

    #[test]
    fn the_documented_example_is_the_defaults_plus_tls() {
        let text = crate::documented_toml_example(include_str!("api.rs"));
        let cfg = Config::from_toml_str(&text, "api.rs").unwrap();
        assert_eq!(cfg.server.limits, super::LimitsConfig::default());
        assert_eq!(cfg.server.cors, super::CorsConfig::default());
        let tls = cfg.server.tls.unwrap();
        assert_eq!(tls.cert, std::path::PathBuf::from("/etc/veille/cert.pem"));
        assert_eq!(cfg.server.listen, "127.0.0.1:7700");
    }

    #[test]
    fn secure_defaults_no_tls_no_cors_loopback() {
        let cfg = Config::default();
        assert!(cfg.server.tls.is_none());
        assert!(cfg.server.cors.allow_origins.is_empty());
        assert!(cfg.server.listen.starts_with("127.0.0.1:"));
    }

    #[test]
    fn bad_limits_and_origins_name_their_key() {
        for (toml, key) in [
            ("[server.limits]\nmax_body_bytes = 0\n", "server.limits.max_body_bytes"),
            ("[server.limits]\nrate_per_second = -1.0\n", "server.limits.rate_per_second"),
            ("[server.limits]\nrate_per_second = nan\n", "server.limits.rate_per_second"),
            ("[server.cors]\nallow_origins = [\"*\"]\n", "server.cors.allow_origins[0]"),
            ("[server.cors]\nallow_origins = [\"https://a.com/path\"]\n", "server.cors.allow_origins[0]"),
            ("[server.tls]\ncert = \"\"\nkey = \"k.pem\"\n", "server.tls.cert"),
        ] {
            let e = Config::from_toml_str(toml, "x.toml").unwrap_err();
            assert!(e.to_string().contains(key), "{toml}: {e}");
        }
        let e = Config::from_toml_str("[server.limits]\nmax_body = 5\n", "x.toml").unwrap_err();
        assert!(e.to_string().contains("max_body"), "{e}");
    }
}
