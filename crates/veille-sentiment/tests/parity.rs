//! Parity with the Python reference implementations: `vaderSentiment` 3.3.2
//! for English and `vaderSentiment-fr` 1.3.4 for French, on real tweets.
//!
//! Labels must agree on at least 99.5% of posts and compound scores must
//! differ by less than 0.001 on at least 99% of them.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

mod common;

use std::path::Path;
use std::process::Command;

use veille_model::SentimentLabel;
use veille_sentiment::dataset::{read_airline_csv, read_texts};
use veille_sentiment::Vader;

/// Scores `texts` with the Python reference: `[compound, pos, neu, neg]` per text.
fn reference_scores(python: &Path, lang: &str, texts: &[String]) -> Vec<[f64; 4]> {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("texts.json");
    let output = dir.path().join("scores.json");
    std::fs::write(&input, serde_json::to_vec(texts).expect("json")).expect("write texts");
    let status = Command::new(python)
        .arg(common::reference_script())
        .args(["score", lang])
        .arg(&input)
        .arg(&output)
        .status()
        .expect("run the reference script");
    assert!(status.success(), "reference script failed: {status}");
    serde_json::from_slice(&std::fs::read(&output).expect("read scores")).expect("scores json")
}

fn assert_parity(set: &str, vader: &Vader, lang: &str, texts: &[String]) {
    let Some(python) = common::reference_python() else {
        return;
    };
    let reference = reference_scores(&python, lang, texts);
    assert_eq!(reference.len(), texts.len());
    let (mut labels, mut close, mut exact) = (0usize, 0usize, 0usize);
    let mut worst = (0.0f64, 0usize);
    let mut disagreements = Vec::new();
    for (i, (text, r)) in texts.iter().zip(&reference).enumerate() {
        let p = vader.polarity(text);
        let delta = (p.compound - r[0]).abs();
        if SentimentLabel::from_compound(p.compound) == SentimentLabel::from_compound(r[0]) {
            labels += 1;
        } else if disagreements.len() < 5 {
            disagreements.push(format!("  {text:?}: rust {} python {}", p.compound, r[0]));
        }
        close += usize::from(delta < 0.001);
        exact += usize::from([p.compound, p.positive, p.neutral, p.negative] == *r);
        if delta > worst.0 {
            worst = (delta, i);
        }
    }
    let n = texts.len() as f64;
    let (label_share, close_share) = (labels as f64 / n, close as f64 / n);
    println!(
        "parity {set} ({lang}, {} posts): labels agree {:.3}%, |Δcompound| < 0.001 on {:.3}%, \
         all four figures identical on {:.3}%, largest |Δcompound| {:.4}",
        texts.len(),
        100.0 * label_share,
        100.0 * close_share,
        100.0 * exact as f64 / n,
        worst.0,
    );
    for d in &disagreements {
        println!("{d}");
    }
    assert!(label_share >= 0.995, "{set}: label agreement {label_share}");
    assert!(close_share >= 0.99, "{set}: compound agreement {close_share}");
}

fn xlmt_texts(data: &Path, lang: &str) -> Vec<String> {
    ["train", "val"]
        .iter()
        .flat_map(|split| {
            read_texts(&data.join(format!("xlmt_sentiment/{lang}/{split}_text.txt"))).expect("xlmt texts")
        })
        .collect()
}

#[test]
fn english_matches_the_reference_on_the_vader_tweets() {
    let Some(data) = common::shared_data() else {
        return;
    };
    assert_parity("vader tweets_GroundTruth", &Vader::english(), "en", &common::vader_tweets(&data));
}

#[test]
fn english_matches_the_reference_on_xlmt_english() {
    let Some(data) = common::shared_data() else {
        return;
    };
    assert_parity("xlmt english train+val", &Vader::english(), "en", &xlmt_texts(&data, "english"));
}

#[test]
fn english_matches_the_reference_on_the_airline_tweets() {
    let Some(data) = common::shared_data() else {
        return;
    };
    let airline = read_airline_csv(&data.join("airline/Tweets.csv")).expect("airline csv");
    assert_parity("airline", &Vader::english(), "en", &airline.texts);
}

#[test]
fn french_matches_the_reference_on_xlmt_french() {
    let Some(data) = common::shared_data() else {
        return;
    };
    assert_parity("xlmt french train+val", &Vader::french(), "fr", &xlmt_texts(&data, "french"));
}

#[test]
fn french_matches_the_reference_on_the_vader_tweets() {
    let Some(data) = common::shared_data() else {
        return;
    };
    assert_parity("vader tweets_GroundTruth", &Vader::french(), "fr", &common::vader_tweets(&data));
}
