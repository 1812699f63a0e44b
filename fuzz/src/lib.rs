//! Helpers shared by the fuzz targets: feeding bytes to a file source and TOML quoting.

use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use veille_bus::Record;
use veille_config::Config;
use veille_sources::{SourceContext, SourceEnd};

/// `text` as a TOML basic string, quotes included.
pub fn toml_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Runs the source described by `source_toml` (one `[[sources]]` table whose `path` is
/// `input`) to its end and returns every record it sent. Panics only on an engine bug.
pub fn run_source(source_toml: &str, input: &Path) -> Vec<Record> {
    let toml = source_toml.replace("{path}", &toml_string(&input.display().to_string()));
    let config = match Config::from_toml_str(&toml, "fuzz.toml") {
        Ok(c) => c,
        Err(e) => panic!("fuzz source config must load: {e}"),
    };
    let source = match veille_sources::build(&config.sources[0]) {
        Ok(s) => s,
        Err(_) => return Vec::new(),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => panic!("runtime: {e}"),
    };
    runtime.block_on(async move {
        let (out, mut rx) = veille_bus::embedded(4);
        let ctx = SourceContext {
            resume: None,
            out,
            batch_size: 64,
            cancel: CancellationToken::new(),
            progress: Arc::new(AtomicU64::new(0)),
        };
        let reading = tokio::spawn(source.run(ctx));
        let mut records = Vec::new();
        while let Some(batch) = rx.recv().await {
            records.extend(batch.records);
        }
        match reading.await {
            Ok(Ok(SourceEnd::Exhausted)) | Ok(Err(_)) => {}
            Ok(Ok(SourceEnd::Cancelled)) => panic!("source cancelled without being asked"),
            Err(e) => panic!("source task panicked: {e}"),
        }
        records
    })
}

/// Checks what every connector promises of a mention it sends: it is valid, it
/// is in `workspace`, and it survives a JSON round trip unchanged.
pub fn check_mention(m: &veille_model::Mention, workspace: &str) {
    if let Err(e) = m.validate() {
        panic!("a mapped mention must be valid: {e}");
    }
    assert_eq!(m.workspace, workspace, "a mapped mention is in its source's workspace");
    match veille_model::Mention::from_json(&m.to_json()) {
        Ok(again) => assert_eq!(&again, m, "a mapped mention must survive a JSON round trip"),
        Err(e) => panic!("a mapped mention must re-parse from its own JSON: {e}"),
    }
}
