//! Stemmed search without a stemmed copy of the text: a query word is read as every word of the
//! index that shares its stem.
//!
//! The index keeps one analysed copy of a mention's text (`text`: words, lower-cased, accents
//! folded). A stemmed reading of a query word (`text_en:cancelled`, or any word searched in the
//! default fields) is answered at search time: the word's stem (`cancel`) is looked up in the
//! term dictionary of `text`, among the words that start like it, and every word with that stem
//! (`cancel`, `cancels`, `cancelled`, `cancelling`) matches, in mentions of that language. This is
//! what a stemmed copy of the text answered, without indexing every mention's words twice.
//!
//! A stem keeps the start of every word it stems from, except for the few letters its suffix
//! rules rewrite at the end ([`REWRITTEN`]): `hoping` → `hope`, `happily` → `happili`,
//! `nationaux` → `nation`. So the words of a stem are found in the dictionary's range of words
//! that start with the stem less those letters, and each candidate is stemmed to check it.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use tantivy::index::SegmentId;
use tantivy::query::{BooleanQuery, EmptyQuery, EnableScoring, Occur, PhraseQuery, Query, TermQuery, Weight};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Searcher, Term};

/// Letters at the end of a stem that its rules may have rewritten rather than kept from the
/// word: a stem's words all start with the stem less this many characters (at least its first).
pub(crate) const REWRITTEN: usize = 4;

/// Most phrases a stemmed phrase expands to: beyond that, the rarest words of each position are
/// left out (a phrase of words with many forms each is rare; its common forms are kept).
const MAX_PHRASES: usize = 64;

/// A stemming language of the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum StemLanguage {
    /// English (`text_en`, `lang:en`).
    English,
    /// French (`text_fr`, `lang:fr`).
    French,
}

impl StemLanguage {
    /// The language code of the mentions this stemmer reads.
    pub(crate) fn code(self) -> &'static str {
        match self {
            StemLanguage::English => "en",
            StemLanguage::French => "fr",
        }
    }

    pub(crate) fn algorithm(self) -> frostem::Algorithm {
        match self {
            StemLanguage::English => frostem::Algorithm::English,
            StemLanguage::French => frostem::Algorithm::French,
        }
    }
}

/// The characters a word must start with to possibly have `stem` as its stem.
pub(crate) fn candidate_prefix(stem: &str) -> &str {
    let chars = stem.chars().count();
    let keep = chars.saturating_sub(REWRITTEN).max(1);
    match stem.char_indices().nth(keep) {
        Some((at, _)) => &stem[..at],
        None => stem,
    }
}

/// Most (segment, language, stem) entries a [`StemWords`] keeps before it starts again.
const REMEMBERED_STEMS: usize = 65_536;

/// The words of each stem found in each segment. Segments never change once written, so what a
/// segment answered stays true: a search reads only the segments it has not seen yet for a stem
/// (a live stream polling every second reads only the segments committed since).
#[derive(Debug, Default)]
pub(crate) struct StemWords {
    found: Mutex<HashMap<SegmentStem, Arc<[String]>>>,
}

/// A segment, a stemming language and a stem.
type SegmentStem = (SegmentId, StemLanguage, String);

impl StemWords {
    /// The words of `field` in `searcher`'s segments whose stem is `stem`.
    pub(crate) fn words(
        &self,
        searcher: &Searcher,
        field: Field,
        language: StemLanguage,
        stem: &str,
    ) -> tantivy::Result<BTreeSet<String>> {
        let stemmer = crate::stem::FoldedStemmer::new(language.algorithm());
        let prefix = candidate_prefix(stem);
        let mut words = BTreeSet::new();
        // Candidates already stemmed in this search, for segments read afresh.
        let mut checked: HashMap<Vec<u8>, bool> = HashMap::new();
        for segment in searcher.segment_readers() {
            let key = (segment.segment_id(), language, stem.to_string());
            let known = self.found.lock().unwrap_or_else(PoisonError::into_inner).get(&key).cloned();
            let found = match known {
                Some(found) => found,
                None => {
                    let mut found = Vec::new();
                    let inverted = segment.inverted_index(field)?;
                    let mut terms = inverted.terms().range().ge(prefix.as_bytes()).into_stream()?;
                    while terms.advance() {
                        let term = terms.key();
                        if !term.starts_with(prefix.as_bytes()) {
                            break;
                        }
                        let Ok(word) = std::str::from_utf8(term) else { continue };
                        let same = *checked.entry(term.to_vec()).or_insert_with(|| stemmer.stem(word) == stem);
                        if same {
                            found.push(word.to_string());
                        }
                    }
                    let found: Arc<[String]> = found.into();
                    let mut remembered = self.found.lock().unwrap_or_else(PoisonError::into_inner);
                    if remembered.len() >= REMEMBERED_STEMS {
                        remembered.clear();
                    }
                    remembered.insert(key, found.clone());
                    found
                }
            };
            words.extend(found.iter().cloned());
        }
        Ok(words)
    }
}

/// A word or phrase read through a language's stemmer: it matches the mentions of that language
/// whose text has, at each position, a word with the stem asked for.
#[derive(Debug, Clone)]
pub(crate) struct StemmedQuery {
    words: Arc<StemWords>,
    language: StemLanguage,
    text: Field,
    lang: Field,
    /// (position in the phrase, stem), in position order; at least one.
    stems: Vec<(usize, String)>,
    slop: u32,
}

impl StemmedQuery {
    /// The stemmed reading of `phrase` with `analyzer` (the language's stemming analyser), or
    /// `None` when it has no words.
    pub(crate) fn new(
        words: Arc<StemWords>,
        language: StemLanguage,
        text: Field,
        lang: Field,
        analyzer: &mut TextAnalyzer,
        phrase: &str,
        slop: u32,
    ) -> Option<StemmedQuery> {
        let mut stream = analyzer.token_stream(phrase);
        let mut stems = Vec::new();
        while let Some(token) = stream.next() {
            stems.push((token.position, token.text.clone()));
        }
        (!stems.is_empty()).then_some(StemmedQuery { words, language, text, lang, stems, slop })
    }

    /// The query on the words of `text` this reading stands for, in `searcher`'s index.
    fn expand(&self, searcher: &Searcher) -> tantivy::Result<Box<dyn Query>> {
        let mut positions: Vec<(usize, Vec<String>)> = Vec::with_capacity(self.stems.len());
        for (position, stem) in &self.stems {
            let words = self.words.words(searcher, self.text, self.language, stem)?;
            if words.is_empty() {
                return Ok(Box::new(EmptyQuery));
            }
            positions.push((*position, words.into_iter().collect()));
        }
        let words: Box<dyn Query> = if let [(_, words)] = positions.as_slice() {
            let terms = words.iter().map(|w| {
                let term = Term::from_field_text(self.text, w);
                (Occur::Should, Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)) as Box<dyn Query>)
            });
            Box::new(BooleanQuery::new(terms.collect()))
        } else {
            trim_to(&mut positions, MAX_PHRASES, |w| searcher.doc_freq(&Term::from_field_text(self.text, w)))?;
            let phrases = combinations(&positions).into_iter().map(|phrase| {
                let terms = phrase.into_iter().map(|(p, w)| (p, Term::from_field_text(self.text, w))).collect();
                let query = PhraseQuery::new_with_offset_and_slop(terms, self.slop);
                (Occur::Should, Box::new(query) as Box<dyn Query>)
            });
            Box::new(BooleanQuery::new(phrases.collect()))
        };
        let lang = Term::from_field_text(self.lang, self.language.code());
        Ok(Box::new(BooleanQuery::new(vec![
            (Occur::Must, words),
            (Occur::Must, Box::new(TermQuery::new(lang, IndexRecordOption::Basic))),
        ])))
    }
}

/// Leaves out the rarest words of the positions with most words until the phrases they make
/// are at most `most`.
fn trim_to(
    positions: &mut [(usize, Vec<String>)],
    most: usize,
    doc_freq: impl Fn(&str) -> tantivy::Result<u64>,
) -> tantivy::Result<()> {
    let count = |p: &[(usize, Vec<String>)]| p.iter().map(|(_, w)| w.len()).fold(1usize, usize::saturating_mul);
    if count(positions) <= most {
        return Ok(());
    }
    for (_, words) in positions.iter_mut() {
        let mut ranked = Vec::with_capacity(words.len());
        for w in words.drain(..) {
            ranked.push((doc_freq(&w)?, w));
        }
        ranked.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        words.extend(ranked.into_iter().map(|(_, w)| w));
    }
    while count(positions) > most {
        let Some((_, widest)) = positions.iter_mut().max_by_key(|(_, w)| w.len()) else { break };
        widest.pop();
    }
    Ok(())
}

/// Every phrase with one word from each position.
fn combinations(positions: &[(usize, Vec<String>)]) -> Vec<Vec<(usize, &str)>> {
    let mut phrases: Vec<Vec<(usize, &str)>> = vec![Vec::with_capacity(positions.len())];
    for (position, words) in positions {
        phrases = phrases
            .into_iter()
            .flat_map(|phrase| {
                words.iter().map(move |w| {
                    let mut longer = phrase.clone();
                    longer.push((*position, w.as_str()));
                    longer
                })
            })
            .collect();
    }
    phrases
}

impl Query for StemmedQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        match enable_scoring.searcher() {
            Some(searcher) => self.expand(searcher)?.weight(enable_scoring),
            // Without an index to read words from (checking that a query can run), nothing matches.
            None => EmptyQuery.weight(enable_scoring),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn the_prefix_keeps_what_no_rule_rewrites() {
        assert_eq!(candidate_prefix("cancel"), "ca");
        assert_eq!(candidate_prefix("die"), "d");
        assert_eq!(candidate_prefix("happili"), "hap");
        assert_eq!(candidate_prefix("é"), "é");
        assert_eq!(candidate_prefix("nationalis"), "nation");
    }

    #[test]
    fn phrases_take_one_word_per_position_and_keep_the_commonest() {
        let mut positions = vec![
            (0, vec!["flight".to_string(), "flights".to_string()]),
            (2, vec!["cancel".to_string(), "cancelled".to_string(), "cancels".to_string()]),
        ];
        let all = combinations(&positions);
        assert_eq!(all.len(), 6);
        assert!(all.contains(&vec![(0, "flights"), (2, "cancelled")]));
        let freq = |w: &str| Ok(if w == "cancels" { 1 } else { 10 });
        trim_to(&mut positions, 4, freq).unwrap();
        assert_eq!(positions[1].1, vec!["cancel".to_string(), "cancelled".to_string()]);
        assert_eq!(combinations(&positions).len(), 4);
    }

    proptest! {
        /// Every word starts with the candidate prefix of its stem, in both languages: the
        /// dictionary range searched holds every word of the stem.
        #[test]
        fn every_word_starts_with_its_stems_prefix(word in "[a-z]{1,18}") {
            for language in [StemLanguage::English, StemLanguage::French] {
                let stem = frostem::Stemmer::new(language.algorithm()).stem(&word).into_owned();
                prop_assert!(word.starts_with(candidate_prefix(&stem)), "{word} → {stem}");
            }
        }
    }
}
