//! Listening to a feed: the RSS connector polls a feed, sends each entry once
//! as a mention, and keeps a cursor to resume from.
//!
//! A small feed is served on loopback so the example needs no network.
//!
//!     cargo run -p veille-sources --example listen_to_a_feed

#![allow(clippy::unwrap_used)] // a failed unwrap is how a example reports a broken setup

use std::time::Duration;

use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::routing::get;
use veille_bus::Record;
use veille_config::{BackoffConfig, FeedConfig, RssSource as RssConfig};
use veille_sources::{RssSource, Source, SourceContext};

const FEED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Retail Daily</title><link>https://news.example/</link>
<description>Retail news</description><language>en</language>
<item><title>Acme opens a flagship store</title><link>https://news.example/acme-flagship</link>
<pubDate>Sun, 01 Mar 2026 08:00:00 GMT</pubDate><description>&lt;p&gt;&lt;b&gt;Acme&lt;/b&gt; opened downtown.&lt;/p&gt;</description></item>
<item><title>Acme recalls routers</title><link>https://news.example/acme-recall</link>
<pubDate>Mon, 02 Mar 2026 07:15:00 GMT</pubDate><description>A power fault led to a recall.</description></item>
</channel></rss>"#;

/// The feed, with an ETag so that polls after the first are answered `304 Not Modified`.
async fn feed(headers: HeaderMap) -> axum::response::Response {
    if headers.get("if-none-match").is_some_and(|v| v == "\"v1\"") {
        println!("  (server) 304 Not Modified: the poll cost nothing");
        return axum::http::StatusCode::NOT_MODIFIED.into_response();
    }
    ([("content-type", "application/rss+xml"), ("etag", "\"v1\"")], FEED).into_response()
}

#[tokio::main]
async fn main() {
    // 1. A feed to listen to.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
    let url = format!("http://{}/feed.xml", listener.local_addr().expect("an address"));
    tokio::spawn(async move { axum::serve(listener, axum::Router::new().route("/feed.xml", get(feed))).await });

    // 2. The source, as `[[sources]] kind = "rss"` would configure it, polling every 200 ms.
    let config = RssConfig {
        name: "news".into(),
        feeds: vec![FeedConfig { url, interval_ms: None }],
        interval_ms: 200,
        user_agent: "veille-example".into(),
        backoff: BackoffConfig::default(),
        workspace: None,
    };
    let source = RssSource::new(config).expect("a valid configuration");

    // 3. Run it against a bus; the pipeline would index what arrives and store the cursor.
    let (out, mut bus) = veille_bus::embedded(8);
    let cancel = tokio_util::sync::CancellationToken::new();
    let ctx =
        SourceContext { resume: None, out, batch_size: 100, cancel: cancel.clone(), progress: Default::default() };
    let running = tokio::spawn(Box::new(source).run(ctx));

    // 4. Three polls: the entries arrive once, then the feed is not modified.
    let deadline = tokio::time::Instant::now() + Duration::from_millis(700);
    while let Ok(Some(batch)) = tokio::time::timeout_at(deadline, bus.recv()).await {
        for record in &batch.records {
            if let Record::Mention(m) = record {
                println!("{}  {:?}: {}", m.key(), m.title.as_deref().unwrap_or_default(), m.text);
            }
        }
        let cursor = batch.cursor.unwrap_or_default();
        println!("  cursor to resume from: {} bytes of JSON (validators and seen entries)", cursor.len());
    }
    cancel.cancel();
    let end = running.await.expect("the source task").expect("the source");
    println!("source stopped: {end:?}");
}
