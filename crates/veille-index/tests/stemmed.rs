//! Stemmed search answered from the one copy of the text: the mentions a stemmed query finds are
//! exactly those a stemmed copy of every English and French mention would have given, checked by
//! brute force over real posts.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{TimeZone, Utc};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer,
    TokenFilter, TokenStream, Tokenizer,
};
use veille_index::MentionIndex;
use veille_model::{Author, Checkpoint, Mention, Platform};

/// Posts written for these tests: many forms of the same words, in both languages.
const ENGLISH: &[&str] = &[
    "My flight was cancelled and they keep cancelling flights without notice",
    "Cancel my booking now, the cancellation fee is a joke",
    "Hoping the crew hopes for better: hoped for a smooth flight, flew into a storm",
    "Happily boarding; happiness is an upgrade, happier than yesterday",
    "The airline's relational database relates nothing to my lost bag",
    "Lost luggage again. Losing bags is what they do best; they lose everything",
    "Delays, delayed, delaying: the delay is the product",
    "Nationalisation of the airline? Nationalised airlines are nationally slow",
];
const FRENCH: &[&str] = &[
    "Vol annulé, encore une annulation, ils annulent tous les vols",
    "Les retards s'accumulent, retardé de trois heures, quel retard",
    "Bagages perdus, mon bagage est perdu, je perds patience",
    "Nationalisation de la compagnie ? Les compagnies nationales nationalisées",
    "Heureusement l'équipage est heureux, heureuse surprise à bord",
    "Réservation annulée, je réserve ailleurs, ils réservent mal",
];

/// The text analyser of the index, and the same followed by each stemmer. The index folds
/// accents, so French words get back the accent of the endings Snowball reads one in (`annulee`
/// is stemmed as `annulée`, `annulerent` as `annulèrent`), and the stem is folded again.
fn analyzers() -> (TextAnalyzer, TextAnalyzer, TextAnalyzer) {
    let words = || {
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
    };
    (
        words().build(),
        words().filter(Stemmer::new(Language::English)).build(),
        words().filter(AccentedFrench::default()).build(),
    )
}

/// tantivy's French stemmer on folded words, with their endings' accents given back first.
#[derive(Clone)]
struct AccentedFrench(TextAnalyzer);

impl Default for AccentedFrench {
    fn default() -> Self {
        AccentedFrench(TextAnalyzer::builder(RawTokenizer::default()).filter(Stemmer::new(Language::French)).build())
    }
}

impl TokenFilter for AccentedFrench {
    type Tokenizer<T: Tokenizer> = AccentedFrenchTokenizer<T>;

    fn transform<T: Tokenizer>(self, inner: T) -> AccentedFrenchTokenizer<T> {
        AccentedFrenchTokenizer { inner, stemmer: self.0 }
    }
}

#[derive(Clone)]
struct AccentedFrenchTokenizer<T> {
    inner: T,
    stemmer: TextAnalyzer,
}

impl<T: Tokenizer> Tokenizer for AccentedFrenchTokenizer<T> {
    type TokenStream<'a> = AccentedFrenchStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        AccentedFrenchStream { tail: self.inner.token_stream(text), stemmer: &mut self.stemmer }
    }
}

struct AccentedFrenchStream<'a, S> {
    tail: S,
    stemmer: &'a mut TextAnalyzer,
}

impl<S: TokenStream> TokenStream for AccentedFrenchStream<'_, S> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        let mut written = token.text.clone();
        for (folded, accented) in [("ees", "ées"), ("ee", "ée"), ("erent", "èrent")] {
            if let Some(start) = token.text.strip_suffix(folded).filter(|s| s.chars().count() >= 2) {
                written = format!("{start}{accented}");
                break;
            }
        }
        let stem = tokens(self.stemmer, &written).pop().map(|t| t.1).unwrap_or(written);
        token.text = stem.replace(['é', 'è'], "e");
        true
    }

    fn token(&self) -> &tantivy::tokenizer::Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut tantivy::tokenizer::Token {
        self.tail.token_mut()
    }
}

fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(usize, String)> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while let Some(t) = stream.next() {
        out.push((t.position, t.text.clone()));
    }
    out
}

/// Each post read as the index and a stemmed copy would read it.
struct Post {
    lang: &'static str,
    words: Vec<(usize, String)>,
    stems: Vec<(usize, String)>,
}

/// The posts: those above, and real English and French posts from `../shared/data` when there.
fn corpus() -> Vec<(&'static str, String)> {
    let mut posts: Vec<(&'static str, String)> = ENGLISH.iter().map(|t| ("en", t.to_string())).collect();
    posts.extend(FRENCH.iter().map(|t| ("fr", t.to_string())));
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/xlmt_sentiment");
    let mut found = false;
    for (lang, dir) in [("en", "english"), ("fr", "french")] {
        if let Ok(text) = std::fs::read_to_string(data.join(dir).join("val_text.txt")) {
            found = true;
            posts.extend(text.lines().filter(|l| !l.trim().is_empty()).map(|l| (lang, l.to_string())));
        }
    }
    if !found {
        eprintln!("skipped: ../shared/data not found (xlmt_sentiment); the posts written for this test only");
    }
    posts
}

fn index_of(posts: &[(&'static str, String)]) -> (tempfile::TempDir, MentionIndex, Vec<Post>) {
    let (mut words, mut en, mut fr) = analyzers();
    let dir = tempfile::tempdir().unwrap();
    let index = MentionIndex::open(dir.path()).unwrap();
    let mut writer = index.writer(&Default::default()).unwrap();
    let at = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
    let mut read = Vec::new();
    for (i, (lang, text)) in posts.iter().enumerate() {
        let mut m = Mention::new(Platform::X, i.to_string(), text.as_str(), at, Author::default());
        m.lang = Some(lang.to_string().into());
        writer.upsert(&m).unwrap();
        // A few commits, so that words are spread over several segments.
        if i % 200 == 199 {
            writer.commit(&Checkpoint::default()).unwrap();
        }
        let stemmer = if *lang == "en" { &mut en } else { &mut fr };
        read.push(Post { lang, words: tokens(&mut words, text), stems: tokens(stemmer, text) });
    }
    writer.commit(&Checkpoint::default()).unwrap();
    (dir, index, read)
}

/// How many posts a stemmed copy would match: the word as written anywhere, or its stem in the
/// posts of a language (`only` keeps one language and drops the word as written).
fn expected(posts: &[Post], word: &str, only: Option<&str>) -> usize {
    let (_, mut en, mut fr) = analyzers();
    let stem_en = tokens(&mut en, word).pop().map(|t| t.1);
    let stem_fr = tokens(&mut fr, word).pop().map(|t| t.1);
    posts
        .iter()
        .filter(|p| {
            let stem = if p.lang == "en" { &stem_en } else { &stem_fr };
            let stemmed = only.is_none_or(|l| l == p.lang) && p.stems.iter().any(|(_, s)| Some(s) == stem.as_ref());
            stemmed || (only.is_none() && p.words.iter().any(|(_, w)| w == word))
        })
        .count()
}

#[test]
fn a_stemmed_word_finds_what_a_stemmed_copy_found() {
    let posts = corpus();
    let (_dir, index, read) = index_of(&posts);
    let vocabulary: BTreeSet<&str> = read
        .iter()
        .flat_map(|p| p.words.iter().map(|(_, w)| w.as_str()))
        .filter(|w| w.chars().all(|c| c.is_ascii_lowercase()) && !matches!(*w, "and" | "or" | "not" | "in"))
        .collect();
    // Every word written for the tests, and one word in seven of the real posts.
    let mut checked = 0;
    for (i, word) in vocabulary.iter().enumerate() {
        let written = ENGLISH.iter().chain(FRENCH).any(|t| t.to_lowercase().contains(word));
        if !written && i % 7 != 0 {
            continue;
        }
        assert_eq!(index.count("default", word, None, None).unwrap(), expected(&read, word, None), "`{word}`");
        for lang in ["en", "fr"] {
            let query = format!("text_{lang}:{word}");
            assert_eq!(
                index.count("default", &query, None, None).unwrap(),
                expected(&read, word, Some(lang)),
                "`{query}`"
            );
        }
        checked += 1;
    }
    assert!(checked >= 60, "only {checked} words checked");
}

#[test]
fn a_stemmed_phrase_finds_its_words_next_to_each_other_in_any_form() {
    let posts = corpus();
    let (_dir, index, read) = index_of(&posts);
    // Adjacent pairs of words of the real posts, in the language of each.
    let mut pairs: BTreeMap<(String, String), &str> = BTreeMap::new();
    for p in &read {
        for w in p.words.windows(2) {
            let plain = |s: &str| s.chars().all(|c| c.is_ascii_lowercase()) && s.len() > 2;
            if w[1].0 == w[0].0 + 1 && plain(&w[0].1) && plain(&w[1].1) {
                pairs.entry((w[0].1.clone(), w[1].1.clone())).or_insert(p.lang);
            }
        }
    }
    let (_, mut en, mut fr) = analyzers();
    let mut checked = 0;
    for (i, ((a, b), lang)) in pairs.iter().enumerate() {
        if i % 5 != 0 {
            continue;
        }
        let stemmer = if *lang == "en" { &mut en } else { &mut fr };
        let (sa, sb) = (tokens(stemmer, a).pop().unwrap().1, tokens(stemmer, b).pop().unwrap().1);
        let want = read
            .iter()
            .filter(|p| p.lang == *lang)
            .filter(|p| p.stems.windows(2).any(|s| s[1].0 == s[0].0 + 1 && s[0].1 == sa && s[1].1 == sb))
            .count();
        let query = format!("text_{lang}:\"{a} {b}\"");
        assert_eq!(index.count("default", &query, None, None).unwrap(), want, "`{query}`");
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} phrases checked");
}

#[test]
fn boosts_sets_prefixes_and_operators_keep_their_stemmed_reading() {
    let posts: Vec<_> =
        ENGLISH.iter().map(|t| ("en", t.to_string())).chain(FRENCH.iter().map(|t| ("fr", t.to_string()))).collect();
    let (_dir, index, _) = index_of(&posts);
    let count = |q: &str| index.count("default", q, None, None).unwrap();
    // The forms written above find each other.
    assert_eq!(count("text_en:cancelled"), 2);
    assert_eq!(count("text_fr:annulation"), 2, "annulé, annulation, and annulée (stemmed as written)");
    assert_eq!(count("text_fr:annulees"), 2, "a folded ending reads as its accented writing");
    assert_eq!(count("text_fr:réservées"), 1, "réservation, réserve, réservent");
    assert_eq!(count("hope"), 1);
    assert_eq!(count("luggage AND text_en:lost"), 1);
    assert_eq!(count("\"cancelling flight\""), 1, "stemmed, default fields");
    assert_eq!(count("\"cancelling flight\"~1"), 1);
    assert_eq!(count("text_fr:\"vols annules\""), 1);
    // `AND NOT` excludes (tantivy's grammar reads it as a clause of its own that matches nothing).
    assert_eq!(count("delay AND NOT lang:fr"), 1);
    assert_eq!(count("(delay OR retard) AND NOT (lang:fr OR lost)"), 1);
    assert_eq!(count("cancellations^2"), 2);
    assert_eq!(count("(delay OR retard)^3 AND NOT lang:fr"), 1);
    assert_eq!(count("text_en: IN [cancel happy]"), 3);
    assert_eq!(count("text_en:\"keep canc\"*"), 1, "a phrase prefix reads words as written, in English posts");
    assert_eq!(count("text_fr:\"keep canc\"*"), 0);
    assert_eq!(count("flights -cancel"), 1);
    assert!(index.count("default", "-cancel", None, None).is_err(), "only excluding terms");
    assert_eq!(count("lost OR perdu"), 3);
    assert_eq!(count("title:cancel"), 0, "a field named is read as written");
}

#[test]
fn words_of_a_stem_committed_later_are_found_by_the_next_search() {
    let dir = tempfile::tempdir().unwrap();
    let index = MentionIndex::open(dir.path()).unwrap();
    let mut writer = index.writer(&Default::default()).unwrap();
    let at = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
    let post = |id: &str, text: &str| {
        let mut m = Mention::new(Platform::X, id, text, at, Author::default());
        m.lang = Some("en".into());
        m
    };
    writer.upsert(&post("1", "please cancel it")).unwrap();
    writer.commit(&Checkpoint::default()).unwrap();
    assert_eq!(index.count("default", "text_en:cancelled", None, None).unwrap(), 1);
    // A form no segment held when the stem was first searched.
    writer.upsert(&post("2", "they keep cancelling")).unwrap();
    writer.commit(&Checkpoint::default()).unwrap();
    assert_eq!(index.count("default", "text_en:cancelled", None, None).unwrap(), 2);
    assert_eq!(index.count("default", "\"keep cancelled\"", None, None).unwrap(), 1);
    // An upsert deletes the copy in an older segment, whose words stay remembered: no double count.
    writer.upsert(&post("1", "please cancel it now")).unwrap();
    writer.commit(&Checkpoint::default()).unwrap();
    writer.close().unwrap();
    assert_eq!(index.count("default", "cancels", None, None).unwrap(), 2);
}
