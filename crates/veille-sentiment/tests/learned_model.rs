//! The learned scorer on the crate's own examples: it learns, it saves and
//! loads to the same model, and broken files are refused with a reason.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

use veille_model::SentimentLabel::{self, Negative, Neutral, Positive};
use veille_sentiment::{train, LearnedScorer, Model, Scorer, SentimentError, TrainOptions};

fn examples() -> (Vec<&'static str>, Vec<SentimentLabel>) {
    let data = [
        ("love the new update, works great", Positive),
        ("great service, thank you so much", Positive),
        ("amazing support team, very helpful", Positive),
        ("best purchase this year, love it", Positive),
        ("happy with my order, fast delivery", Positive),
        ("the delivery is scheduled for monday", Neutral),
        ("store opens at nine tomorrow", Neutral),
        ("new version released today", Neutral),
        ("the package contains two cables", Neutral),
        ("my order number is 1234", Neutral),
        ("terrible service, never again", Negative),
        ("the app crashes all the time, awful", Negative),
        ("worst support ever, so angry", Negative),
        ("broken on arrival, hate it", Negative),
        ("refund still missing, horrible experience", Negative),
    ];
    data.iter().map(|(t, l)| (*t, *l)).unzip()
}

fn small_options() -> TrainOptions {
    TrainOptions { hash_bits: 12, ..TrainOptions::for_lang("en") }
}

#[test]
fn a_trained_model_labels_its_own_kind_of_text() {
    let (texts, labels) = examples();
    let model = train(&texts, &labels, &small_options()).unwrap();
    let scorer = LearnedScorer::new(model);
    let s = scorer.score("awful app, hate the update");
    assert_eq!(s.label, Negative);
    assert!(s.compound < 0.0);
    assert!((s.positive + s.neutral + s.negative - 1.0).abs() < 1e-5);
    assert_eq!(s.scorer, "learned");
    assert_eq!(s.lang.as_deref(), Some("en"));
    assert_eq!(scorer.score("love it, great support").label, Positive);
}

#[test]
fn naive_bayes_scaling_learns_the_same_examples() {
    let (texts, labels) = examples();
    let options = TrainOptions { nb_smoothing: 1.0, c: 3.0, ..small_options() };
    let scorer = LearnedScorer::new(train(&texts, &labels, &options).unwrap());
    assert_eq!(scorer.score("awful app, hate the update").label, Negative);
    assert_eq!(scorer.score("love it, great support").label, Positive);
    assert_eq!(scorer.score("the store opens on monday").label, Neutral);
    let bad = TrainOptions { nb_smoothing: -1.0, ..small_options() };
    assert!(train(&texts, &labels, &bad).is_err(), "a negative smoothing count is refused");
}

#[test]
fn a_saved_model_loads_back_identical() {
    let (texts, labels) = examples();
    let model = train(&texts, &labels, &small_options()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("en.vsm");
    model.save(&path).unwrap();
    let loaded = Model::load(&path).unwrap();
    assert_eq!(loaded, model);
    assert_eq!(loaded.lang(), "en");
    let text = "the update is great";
    assert_eq!(LearnedScorer::new(loaded).probabilities(text), LearnedScorer::new(model).probabilities(text));
}

#[test]
fn broken_model_files_are_refused_with_a_reason() {
    let (texts, labels) = examples();
    let bytes = train(&texts, &labels, &small_options()).unwrap().to_bytes();
    let origin = std::path::Path::new("m.vsm");
    let reason = |bytes: &[u8]| match Model::from_bytes(bytes, origin) {
        Err(SentimentError::Model { reason, .. }) => reason,
        other => panic!("expected a model error, got {other:?}"),
    };
    assert!(reason(b"not a model at all").contains("magic"));
    assert!(reason(&bytes[..bytes.len() - 3]).contains("truncated"));
    let mut extra = bytes.clone();
    extra.push(0);
    assert!(reason(&extra).contains("unexpected bytes"));
    let mut version = bytes.clone();
    version[8] = 9;
    assert!(reason(&version).contains("version"));
    assert!(matches!(Model::load(std::path::Path::new("/nonexistent/model.vsm")), Err(SentimentError::Io { .. })));
}

#[test]
fn training_needs_every_class_and_paired_labels() {
    let e = train(&["good", "bad"], &[Positive, Negative], &small_options()).unwrap_err();
    assert!(e.to_string().contains("negative, neutral and positive"), "{e}");
    let e = train(&["good"], &[Positive, Negative], &small_options()).unwrap_err();
    assert!(matches!(e, SentimentError::LengthMismatch { texts: 1, labels: 2 }));
    let (texts, labels) = examples();
    let bad = TrainOptions { char_ngrams: (5, 2), ..small_options() };
    assert!(train(&texts, &labels, &bad).is_err());
}

#[test]
fn shipped_models_load_for_english_and_french() {
    for lang in ["en", "fr"] {
        let model = Model::builtin(lang).unwrap();
        assert_eq!(model.lang(), lang);
    }
    assert!(Model::builtin("de").is_err());
    let fr = LearnedScorer::new(Model::builtin("fr").unwrap());
    assert_eq!(fr.score("Service horrible, je suis furieux").label, Negative);
}
