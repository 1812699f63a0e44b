//! The Bluesky connector against a local Jetstream: events replayed from the
//! documented format, a connection dropped mid-stream, a refused handshake and
//! malformed events.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::SinkExt;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http;
use tokio_tungstenite::tungstenite::Message;
use veille_config::{BackoffConfig, BlueskySource as BlueskyConfig};
use veille_sources::BlueskySource;

/// A Jetstream double: connection 1 sends events 0..=3 and a malformed frame then drops,
/// connection 2 is refused, later ones replay from the requested cursor.
/// When the test server refused and accepted handshakes.
#[derive(Debug, Default)]
struct Handshakes {
    refused: Mutex<Vec<std::time::Instant>>,
    accepted: Mutex<Vec<std::time::Instant>>,
}

async fn jetstream(events: Vec<String>) -> (String, Arc<Mutex<Vec<Option<u64>>>>, Arc<Handshakes>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/subscribe", listener.local_addr().unwrap());
    let cursors: Arc<Mutex<Vec<Option<u64>>>> = Arc::default();
    let seen = cursors.clone();
    let handshakes = Arc::new(Handshakes::default());
    let times = handshakes.clone();
    tokio::spawn(async move {
        let mut connection = 0;
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            connection += 1;
            // The second handshake is refused as overloaded, the third rate-limited with a
            // Retry-After that the source must honour.
            let refuse = connection == 2;
            let rate_limited = connection == 3;
            let asked = Arc::new(Mutex::new(None::<u64>));
            let query = asked.clone();
            // The callback's signature, large error included, is the handshake API's.
            #[allow(clippy::result_large_err)]
            let callback = move |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
                let q = req.uri().query().unwrap_or_default().to_string();
                assert!(q.contains("wantedCollections=app.bsky.feed.post"), "{q}");
                *query.lock().unwrap() =
                    q.split('&').find_map(|kv| kv.strip_prefix("cursor=")).and_then(|c| c.parse().ok());
                if refuse {
                    return Err(http::Response::builder().status(503).body(Some("overloaded".into())).unwrap());
                }
                if rate_limited {
                    return Err(http::Response::builder()
                        .status(429)
                        .header("Retry-After", "1")
                        .body(Some("slow down".into()))
                        .unwrap());
                }
                Ok(resp)
            };
            let at = std::time::Instant::now();
            let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(tcp, callback).await else {
                times.refused.lock().unwrap().push(at);
                continue;
            };
            times.accepted.lock().unwrap().push(at);
            let cursor = *asked.lock().unwrap();
            seen.lock().unwrap().push(cursor);
            let events = events.clone();
            tokio::spawn(async move {
                match cursor {
                    None => {
                        for e in &events[..=3] {
                            ws.send(Message::Text(e.clone().into())).await.unwrap();
                        }
                        ws.send(Message::Text("{\"did\": \"did:plc:x\", \"time_us\": ".into())).await.unwrap();
                        // Dropped without a close frame: the connection breaks mid-stream.
                        drop(ws);
                    }
                    Some(c) => {
                        for e in &events {
                            let t: serde_json::Value = serde_json::from_str(e).unwrap();
                            if t["time_us"].as_u64().unwrap() >= c {
                                ws.send(Message::Text(e.clone().into())).await.unwrap();
                            }
                        }
                        tokio::time::sleep(Duration::from_secs(30)).await;
                    }
                }
            });
        }
    });
    (url, cursors, handshakes)
}

fn config(url: &str) -> BlueskyConfig {
    BlueskyConfig {
        name: "sky".into(),
        url: url.into(),
        wanted_dids: vec![],
        flush_ms: 20,
        backoff: BackoffConfig { initial_ms: 20, max_ms: 100 },
        workspace: Some("acme".into()),
    }
}

#[tokio::test]
async fn resumes_from_its_cursor_after_a_drop_and_refusals_without_loss_or_duplicates() {
    let events: Vec<String> = common::fixture("jetstream_events.jsonl").lines().map(str::to_string).collect();
    let time_us =
        |i: usize| serde_json::from_str::<serde_json::Value>(&events[i]).unwrap()["time_us"].as_u64().unwrap();
    let (url, cursors, handshakes) = jetstream(events.clone()).await;
    let mut run = common::start(Box::new(BlueskySource::new(config(&url))), None, 100);
    run.until("five posts", Duration::from_secs(10), |r| r.mentions.len() >= 5 && r.dead.len() >= 2).await;
    run.settle(Duration::from_millis(200)).await;
    let run = run.stop().await;

    let post = |did: &str, rkey: &str| format!("at://did:plc:{did}/app.bsky.feed.post/{rkey}");
    let expected = [
        post("eygmaihciaxprqvxpfvl6flk", "3l3qo2vuowo2b"),
        post("bobbobbobbobbobbobbobbob", "3l3qo2w1aaa2b"),
        post("carolcarolcarolcarolcaro", "3l3qo2xquote2b"),
        post("davedavedavedavedavedave", "3l3qo2zpost2b"),
        post("erinerinerinerinerinerin", "3l3qo34last2b"),
    ];
    assert_eq!(
        run.ids(),
        expected,
        "every post once, in order; likes, deletions, identities and picture-only posts skipped"
    );
    assert!(run.mentions.iter().all(|m| m.workspace == "acme"));
    let reply = &run.mentions[1];
    assert_eq!(reply.reply_to.as_ref().map(|r| r.id.as_str()), Some(expected[0].as_str()));
    assert_eq!(reply.mentions, ["did:plc:eygmaihciaxprqvxpfvl6flk"]);
    let quote = &run.mentions[2];
    assert_eq!(quote.quote_of.as_ref().and_then(|r| r.author.as_deref()), Some("did:plc:eygmaihciaxprqvxpfvl6flk"));
    assert_eq!(quote.lang.as_deref(), Some("fr"));
    assert_eq!(quote.attributes.get("links").map(String::as_str), Some("https://news.example/acme"));

    let reasons: Vec<&str> = run.dead.iter().map(|d| d.reason.as_str()).collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(reasons[0].starts_with("not a Jetstream event"), "{reasons:?}");
    assert!(
        reasons[1].contains("createdAt") && run.dead[1].origin.location == format!("time_us {}", time_us(5)),
        "{:?}",
        run.dead[1]
    );

    let asked = cursors.lock().unwrap().clone();
    assert_eq!(asked[0], None, "the first connection starts live");
    assert_eq!(asked[1], Some(time_us(3)), "the reconnection resumes after the last event handled");
    assert_eq!(run.last_cursor(), Some(time_us(9).to_string()));
    let health = veille_sources::health("sky").unwrap();
    assert!(health.errors >= 3, "the drop and both refusals are counted: {health:?}");
    // After the 429 the source waited the second it was asked for, not its 20–100 ms backoff.
    let rate_limited_at = handshakes.refused.lock().unwrap()[1];
    let next = handshakes.accepted.lock().unwrap()[1];
    assert!(next - rate_limited_at >= Duration::from_millis(950), "Retry-After honoured: {:?}", next - rate_limited_at);
    assert_eq!((health.mentions, health.dead_letters), (5, 2));
    assert!(health.last_event_age.is_some());

    // A restart from the stored cursor asks for it and sends nothing already sent.
    let mut again = common::start(Box::new(BlueskySource::new(config(&url))), run.last_cursor(), 100);
    again.settle(Duration::from_millis(400)).await;
    let again = again.stop().await;
    assert_eq!(cursors.lock().unwrap().last().copied().flatten(), Some(time_us(9)));
    assert!(again.mentions.is_empty(), "{:?}", again.ids());
}
