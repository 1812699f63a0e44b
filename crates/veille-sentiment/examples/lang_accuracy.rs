//! English / French identification accuracy and speed of the language detector on the xlmt
//! tweets and the airline set (`../shared/data`).
//!
//! Run: `cargo run --release -p veille-sentiment --example lang_accuracy`

#![allow(clippy::unwrap_used)] // a failed unwrap is how a example reports a broken setup

use std::path::Path;
use std::time::Instant;

use veille_sentiment::dataset::{read_airline_csv, read_texts};
use veille_sentiment::LanguageDetector;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    if !data.is_dir() {
        println!("skipped: ../shared/data not found");
        return Ok(());
    }
    let xlmt = |folder: &str| -> Result<Vec<String>, Box<dyn std::error::Error>> {
        let dir = data.join("xlmt_sentiment").join(folder);
        let mut texts = read_texts(&dir.join("train_text.txt"))?;
        texts.extend(read_texts(&dir.join("val_text.txt"))?);
        Ok(texts)
    };
    let sets = [
        ("xlmt english", "en", xlmt("english")?),
        ("xlmt french", "fr", xlmt("french")?),
        ("airline", "en", read_airline_csv(&data.join("airline/Tweets.csv"))?.texts),
    ];
    let detector = LanguageDetector::default();
    for (name, truth, texts) in &sets {
        let t = Instant::now();
        let answers: Vec<Option<&str>> = texts.iter().map(|text| detector.detect(text)).collect();
        let secs = t.elapsed().as_secs_f64();
        let right = answers.iter().filter(|a| **a == Some(*truth)).count();
        let none = answers.iter().filter(|a| a.is_none()).count();
        println!(
            "{name:<14} {:>6} posts: {right:>6} right ({:.2} %), {none} without letters, {:.2} µs per post",
            texts.len(),
            100.0 * right as f64 / texts.len() as f64,
            secs * 1e6 / texts.len() as f64
        );
    }
    Ok(())
}
