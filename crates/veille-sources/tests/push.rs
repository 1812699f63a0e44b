//! The push source: bodies handed through its handle become records on the bus.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

use std::time::Duration;

use veille_config::PushSource as PushConfig;
use veille_sources::{build_all, PushError, PushFormat, MAX_LINE_BYTES};

fn configs() -> Vec<veille_config::SourceConfig> {
    std::env::set_var("PUSH_TEST_TOKEN_A", "token-a");
    std::env::set_var("PUSH_TEST_TOKEN_B", "token-b");
    vec![
        veille_config::SourceConfig::Push(PushConfig {
            name: "crm".into(),
            token_env: "PUSH_TEST_TOKEN_A".into(),
            workspace: Some("acme".into()),
        }),
        veille_config::SourceConfig::Push(PushConfig {
            name: "reviews".into(),
            token_env: "PUSH_TEST_TOKEN_B".into(),
            workspace: None,
        }),
    ]
}

#[tokio::test]
async fn pushed_lines_become_mentions_or_dead_letters_with_their_line() {
    let mut built = build_all(&configs()).unwrap();
    assert!(built.push.authorize("token-x").is_none());
    assert!(built.push.authorize("").is_none());
    assert_eq!(built.push.authorize("token-b").map(|h| h.name()), Some("reviews"));
    let handle = built.push.authorize("token-a").unwrap().clone();
    assert_eq!(handle.name(), "crm");
    let crm = built.sources.remove(0);
    let mut run = common::start(crm, None, 100);

    let body = concat!(
        r#"{"platform":"web","native_id":"r1","text":"Acme delivered on time","created_at":"2026-03-02T10:00:00Z","author":{"handle":"ann"}}"#,
        "\n\n",
        r#"{"platform":"web","native_id":"r2","text":"","created_at":"2026-03-02T10:01:00Z","author":{"handle":"bob"}}"#,
        "\n",
        "{not json\n",
        r#"{"platform":"web","native_id":"r3","text":"Acme again","created_at":"2026-03-02T10:02:00Z","author":{"handle":"cleo"}}"#,
    );
    // The answer waits until the records are durable: here, until the test takes them off the bus.
    let pushing = tokio::spawn({
        let handle = handle.clone();
        async move { handle.push(body.as_bytes(), PushFormat::Ndjson).await }
    });
    run.until("two mentions and two dead letters", Duration::from_secs(5), |r| r.mentions.len() + r.dead.len() >= 4)
        .await;
    let receipt = pushing.await.unwrap().unwrap();
    assert_eq!(receipt.accepted, 2);
    let lines: Vec<u64> = receipt.refused.iter().map(|r| r.line).collect();
    assert_eq!(lines, [3, 4]);
    assert!(receipt.refused[0].reason.contains("text"), "{:?}", receipt.refused);
    assert_eq!(run.ids(), ["r1", "r3"]);
    assert!(run.mentions.iter().all(|m| m.workspace == "acme"), "the source's workspace is forced");
    assert_eq!(run.dead[1].origin.location, "request 1 line 4");
    assert_eq!(run.cursors, [None], "push has no cursor");

    let pretty = "{\n  \"platform\": \"web\",\n  \"native_id\": \"r4\",\n  \"text\": \"Acme\",\n  \"created_at\": \"2026-03-02T10:03:00Z\",\n  \"author\": {\"handle\": \"dan\"}\n}";
    let pushing = tokio::spawn({
        let handle = handle.clone();
        async move { handle.push(pretty.as_bytes(), PushFormat::Json).await }
    });
    run.until("the pretty-printed mention", Duration::from_secs(5), |r| r.mentions.len() >= 3).await;
    assert_eq!(pushing.await.unwrap().unwrap().accepted, 1);

    let long = format!("{}\n{}", "{}", "x".repeat(MAX_LINE_BYTES + 1));
    assert_eq!(
        handle.push(long.as_bytes(), PushFormat::Ndjson).await,
        Err(PushError::LineTooLong { line: 2, limit: MAX_LINE_BYTES })
    );

    let other = r#"{"workspace":"globex","platform":"web","native_id":"r5","text":"Acme","created_at":"2026-03-02T10:04:00Z","author":{"handle":"eve"}}"#;
    let reviews = built.push.authorize("token-b").unwrap();
    assert_eq!(
        reviews.push_within(other.as_bytes(), PushFormat::Ndjson, None, |ws| ws == "acme").await,
        Err(PushError::OutsideScope { line: 1, workspace: "globex".into() }),
        "a caller scoped to `acme` cannot write to `globex`"
    );

    let run = run.stop().await;
    assert_eq!(run.ids().last().map(String::as_str), Some("r4"));
    let e = handle.push(pretty.as_bytes(), PushFormat::Json).await.unwrap_err();
    assert_eq!(e, PushError::Stopped("crm".into()), "a stopped pipeline refuses pushes");
}

#[tokio::test]
async fn a_push_is_answered_only_once_its_records_are_durable() {
    let mut built = build_all(&configs()).unwrap();
    let handle = built.push.authorize("token-b").unwrap().clone();
    let reviews = built.sources.remove(1);
    let mut run = common::start(reviews, None, 100);
    let body = r#"{"platform":"web","native_id":"d1","text":"Acme","created_at":"2026-03-02T10:00:00Z","author":{"handle":"ann"}}"#;

    let mut pushing = tokio::spawn({
        let handle = handle.clone();
        async move { handle.push(body.as_bytes(), PushFormat::Ndjson).await }
    });
    // On the bus but not yet durable: no answer.
    let batch = tokio::time::timeout(Duration::from_secs(5), run.bus.recv()).await.unwrap().unwrap();
    assert!(tokio::time::timeout(Duration::from_millis(300), &mut pushing).await.is_err(), "answered too early");
    batch.on_durable.as_ref().expect("a push batch asks to be told when durable").notify();
    let receipt = tokio::time::timeout(Duration::from_secs(5), pushing).await.unwrap().unwrap().unwrap();
    assert_eq!(receipt.accepted, 1);

    // A batch lost before it was durable (the pipeline stopped): the client hears so and retries.
    let pushing = tokio::spawn({
        let handle = handle.clone();
        async move { handle.push(body.as_bytes(), PushFormat::Ndjson).await }
    });
    let batch = tokio::time::timeout(Duration::from_secs(5), run.bus.recv()).await.unwrap().unwrap();
    drop(batch);
    let refused = tokio::time::timeout(Duration::from_secs(5), pushing).await.unwrap().unwrap();
    assert_eq!(refused, Err(PushError::Stopped("reviews".into())));
    run.stop().await;
}
