//! The VADER rules, as specifications, and the figures of the reference
//! implementations on the crate's own fixtures (no Python needed).

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

use proptest::prelude::*;
use veille_model::SentimentLabel;
use veille_sentiment::{Polarity, Scorer, Vader};

/// Reads `compound TAB pos TAB neu TAB neg TAB "json text"` lines.
fn fixture(name: &str) -> Vec<(String, Polarity)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    let raw = std::fs::read_to_string(path).expect("fixture");
    raw.lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.splitn(5, '\t').collect();
            let n = |i: usize| f[i].parse::<f64>().expect("number");
            let text: String = serde_json::from_str(f[4]).expect("json text");
            let p = Polarity { compound: n(0), positive: n(1), neutral: n(2), negative: n(3) };
            (text, p)
        })
        .collect()
}

#[test]
fn english_fixture_matches_the_reference_figures_exactly() {
    let vader = Vader::english();
    for (text, expected) in fixture("vader_en_expected.tsv") {
        assert_eq!(vader.polarity(&text), expected, "{text:?}");
    }
}

#[test]
fn french_fixture_matches_the_reference_figures_exactly() {
    let vader = Vader::french();
    for (text, expected) in fixture("vader_fr_expected.tsv") {
        assert_eq!(vader.polarity(&text), expected, "{text:?}");
    }
}

fn compound(vader: &Vader, text: &str) -> f64 {
    vader.polarity(text).compound
}

#[test]
fn negation_flips_and_dampens_valence() {
    let en = Vader::english();
    let good = compound(&en, "The food was good");
    let not_good = compound(&en, "The food was not good");
    assert!(good > 0.0 && not_good < 0.0);
    assert!(not_good.abs() < good.abs(), "negation scales by -0.74");
    let fr = Vader::french();
    assert!(compound(&fr, "Le repas était bon") > 0.0);
    assert!(compound(&fr, "Le repas n'était pas bon") < 0.0);
    assert!(compound(&fr, "Le repas n'était jamais bon") < 0.0);
}

#[test]
fn boosters_raise_and_dampeners_lower_intensity() {
    let en = Vader::english();
    let good = compound(&en, "The food was good");
    assert!(compound(&en, "The food was very good") > good);
    assert!(compound(&en, "The food was slightly good") < good);
    let fr = Vader::french();
    assert!(compound(&fr, "Le repas était très bon") > compound(&fr, "Le repas était bon"));
}

#[test]
fn capitals_and_exclamation_marks_add_emphasis() {
    let en = Vader::english();
    let plain = compound(&en, "The food was good");
    assert!(compound(&en, "The food was GOOD") > plain);
    assert!(compound(&en, "The food was good!!!") > plain);
    assert_eq!(compound(&en, "THE FOOD WAS GOOD"), plain, "all capitals is no emphasis");
}

#[test]
fn but_shifts_weight_to_the_second_clause() {
    let en = Vader::english();
    let p = en.polarity("The food was great but the service was bad");
    let q = en.polarity("The food was great and the service was bad");
    assert!(p.compound < q.compound);
}

#[test]
fn french_ignores_mais_unless_asked() {
    let text = "Le repas était excellent mais le service était mauvais";
    let reference = Vader::french();
    let weighted = Vader::french().with_contrast_weighting(true);
    assert!(weighted.polarity(text).compound < reference.polarity(text).compound);
}

#[test]
fn emoji_are_read_through_their_descriptions() {
    let en = Vader::english();
    assert!(compound(&en, "my order 😍") > 0.05);
    assert!(compound(&en, "my order 😢") < -0.05, "crying face");
    assert!(compound(&Vader::french(), "ma commande 😍") > 0.05);
}

#[test]
fn scorer_reports_label_language_and_name() {
    let s = Vader::french().score("Service déplorable, je suis furieux");
    assert_eq!(s.label, SentimentLabel::Negative);
    assert_eq!(s.lang.as_deref(), Some("fr"));
    assert_eq!(s.scorer, "vader");
    let empty = Vader::english().score("");
    assert_eq!(empty.label, SentimentLabel::Neutral);
    assert_eq!(empty.compound, 0.0);
}

proptest! {
    #[test]
    fn figures_stay_in_range_for_any_text(text in "\\PC{0,200}") {
        for vader in [Vader::english(), Vader::french()] {
            let p = vader.polarity(&text);
            prop_assert!((-1.0..=1.0).contains(&p.compound));
            for share in [p.positive, p.neutral, p.negative] {
                prop_assert!((0.0..=1.0).contains(&share));
            }
            let total = p.positive + p.neutral + p.negative;
            prop_assert!(total == 0.0 || (total - 1.0).abs() <= 0.0016);
        }
    }

    #[test]
    fn scoring_is_deterministic(text in "[a-zA-Z !?.,'😀😡]{0,80}") {
        let en = Vader::english();
        prop_assert_eq!(en.polarity(&text), en.polarity(&text));
    }
}
