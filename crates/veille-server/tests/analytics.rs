//! The analytics and export endpoints over a small index: JSON shapes, CSV forms, streaming
//! export, and the errors a client gets for bad parameters.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, TimeZone, Utc};
use http_body_util::BodyExt;
use tower::ServiceExt;
use veille_index::MentionIndex;
use veille_model::{Author, Checkpoint, Mention, Platform, Sentiment, SentimentLabel, WatchKind, WatchMatch};
use veille_server::{router, AppState};

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, day, hour, 0, 0).single().unwrap_or_default()
}

/// Ten Acme mentions (three negative ones with #boycott on Jan 8), four Globex, one mention
/// of another workspace.
fn index() -> (tempfile::TempDir, MentionIndex) {
    let dir = tempfile::tempdir().unwrap();
    let index = MentionIndex::open(dir.path()).unwrap();
    let mut writer = index.writer(&Default::default()).unwrap();
    let mut add = |id: u32, when, text: &str, watch: (&str, WatchKind), compound: f64, workspace: &str| {
        let author =
            Author { handle: format!("user{}", id % 4), followers: Some(u64::from(id) * 10), ..Default::default() };
        let mut m = Mention::new(Platform::X, id.to_string(), text, when, author);
        m.workspace = workspace.into();
        m.lang = Some("en".into());
        m.engagement.likes = u64::from(id);
        m.tags = vec![WatchMatch { watch: watch.0.into(), kind: watch.1, hits: vec![] }];
        m.scores.sentiment = Some(Sentiment {
            label: SentimentLabel::from_compound(compound),
            compound,
            positive: 0.0,
            neutral: 0.0,
            negative: 0.0,
            lang: None,
            scorer: "fixture".into(),
            brands: vec![],
        });
        writer.upsert(&m).unwrap();
    };
    let acme = ("acme", WatchKind::Brand);
    let globex = ("globex", WatchKind::Competitor);
    for i in 0..7 {
        add(i, at(2 + i % 5, 10), "Acme flight, \"fine\", on time", acme, 0.3, "default");
    }
    for i in 7..10 {
        add(i, at(8, i), "Acme refund refused #boycott", acme, -0.7, "default");
    }
    for i in 10..14 {
        add(i, at(3 + i % 7, 9), "Globex lounge", globex, 0.0, "default");
    }
    add(99, at(8, 10), "Acme refund refused #boycott", acme, -0.7, "other");
    writer.commit(&Checkpoint::default()).unwrap();
    index.reload().unwrap();
    (dir, index)
}

async fn get(index: &MentionIndex, uri: &str) -> (StatusCode, String, String) {
    let app = router(AppState::new(index.clone()));
    let res = app.oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = res.status();
    let kind = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, kind, String::from_utf8(body.to_vec()).unwrap())
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[tokio::test]
async fn sentiment_answers_counts_shares_and_a_daily_trend() {
    let (_dir, index) = index();
    let (status, _, body) =
        get(&index, "/api/v1/analytics/sentiment?from=2026-01-01T00:00:00Z&to=2026-01-15T00:00:00Z").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v = json(&body);
    assert_eq!(v["total"], 14);
    assert_eq!(v["counts"], serde_json::json!({"positive": 7, "neutral": 4, "negative": 3, "unscored": 0}));
    assert_eq!(v["net_sentiment"].as_f64().map(|n| (n * 100.0).round()), Some(2857.0));
    assert!(v["trend"].as_array().is_some_and(|t| !t.is_empty()));
}

#[tokio::test]
async fn share_of_voice_as_csv_has_a_header_and_one_row_per_watch() {
    let (_dir, index) = index();
    let (status, kind, body) = get(&index, "/api/v1/analytics/share-of-voice?format=csv").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(kind.starts_with("text/csv"), "{kind}");
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        vec!["watch", "kind", "count", "share", "positive", "neutral", "negative", "net_sentiment"]
    );
    let rows: Vec<Vec<String>> =
        reader.records().map(|r| r.unwrap().iter().take(4).map(str::to_string).collect()).collect();
    assert_eq!(rows, vec![vec!["acme", "brand", "10", "71.4286"], vec!["globex", "competitor", "4", "28.5714"]]);
}

#[tokio::test]
async fn terms_default_to_the_previous_period_as_baseline() {
    let (_dir, index) = index();
    let uri = "/api/v1/analytics/terms?field=hashtags&from=2026-01-08T00:00:00Z&to=2026-01-15T00:00:00Z";
    let (status, _, body) = get(&index, uri).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v = json(&body);
    assert_eq!(v["baseline"]["from"], "2026-01-01T00:00:00Z");
    assert_eq!(v["terms"][0]["term"], "boycott");
    assert_eq!((v["terms"][0]["count"].as_u64(), v["terms"][0]["baseline_count"].as_u64()), (Some(3), Some(0)));
    let (status, _, body) = get(&index, "/api/v1/analytics/terms?baseline_from=2026-01-01T00:00:00Z").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn authors_breakdown_and_audit_answer_from_the_workspace_only() {
    let (_dir, index) = index();
    let (_, _, body) = get(&index, "/api/v1/analytics/authors?by=engagement&limit=2").await;
    let v = json(&body);
    assert_eq!(v["by"], "engagement");
    assert_eq!(v["authors"].as_array().map(Vec::len), Some(2));
    let (_, _, body) = get(&index, "/api/v1/analytics/breakdown?field=lang").await;
    let v = json(&body);
    assert_eq!(v["values"][0], serde_json::json!({"value": "en", "count": 14, "share": 100.0}));
    let uri = "/api/v1/analytics/audit?watch=acme&from=2026-01-08T00:00:00Z&to=2026-01-15T00:00:00Z";
    let (status, _, body) = get(&index, uri).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v = json(&body);
    assert_eq!(v["volume"]["count"], 3, "the other workspace's mention is not counted");
    assert_eq!(v["peak_day"]["count"], 3);
    assert_eq!(v["top_negative"][0]["key"], "x:9");
}

#[tokio::test]
async fn volume_as_csv_has_one_column_per_split_value() {
    let (_dir, index) = index();
    let (status, _, body) = get(&index, "/api/v1/analytics/volume?interval=1d&split=watch&format=csv").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut lines = body.lines();
    assert_eq!(lines.next(), Some("start,count,acme,globex"));
    let sum: u64 = lines.map(|l| l.split(',').nth(1).and_then(|n| n.parse::<u64>().ok()).unwrap_or(0)).sum();
    assert_eq!(sum, 14);
}

#[tokio::test]
async fn export_streams_every_mention_oldest_first_as_csv_or_ndjson() {
    let (_dir, index) = index();
    let (status, kind, body) = get(&index, "/api/v1/export?format=csv").await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/csv"));
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 14);
    assert!(rows.iter().any(|r| &r[8] == "Acme flight, \"fine\", on time"), "quoted text survives");
    let times: Vec<String> = rows.iter().map(|r| r[1].to_string()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    let (_, kind, body) = get(&index, "/api/v1/export?q=boycott&limit=2").await;
    assert_eq!(kind, "application/x-ndjson");
    let keys: Vec<String> = body.lines().map(|l| Mention::from_json(l).unwrap().key().to_string()).collect();
    assert_eq!(keys, vec!["x:7", "x:8"]);
}

#[tokio::test]
async fn bad_parameters_are_400_with_the_reason() {
    let (_dir, index) = index();
    for (uri, needle) in [
        ("/api/v1/export?q=text:(", "invalid query"),
        ("/api/v1/analytics/sentiment?interval=3y", "interval"),
        ("/api/v1/analytics/audit", "watch"),
        ("/api/v1/analytics/audit?watch=acme&format=csv", "CSV"),
        ("/api/v1/analytics/breakdown?field=colour", "field"),
        ("/api/v1/analytics/authors?limt=3", "limt"),
    ] {
        let (status, _, body) = get(&index, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        assert!(body.contains(needle), "{uri}: {body}");
    }
}
