//! Terms that are significant in a period against a baseline period: what is being said now
//! that was not said before, rather than what is always said.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::TokenStream;
use tantivy::{BitSet, DocAddress, DocId, DocSet, Score, SegmentOrdinal, SegmentReader, Term, TERMINATED};

use super::significance::{log_likelihood, over_represented};
use super::{percent, Scope};
use crate::{metrics, IndexError, MentionIndex, Result};

/// Mentions of the period read to find candidate words (the counts themselves are exact).
const SAMPLE: u64 = 400;
/// Most candidate words counted exactly.
const CANDIDATES: usize = 400;
/// Most terms one answer may list.
pub const MAX_TERMS: usize = 200;

/// Words too common in English and French to say anything about a period.
const STOPWORDS: &[&str] = &[
    "a", "about", "after", "all", "am", "an", "and", "any", "are", "as", "at", "be", "been", "but", "by", "can", "did",
    "do", "does", "for", "from", "had", "has", "have", "he", "her", "him", "his", "how", "i", "if", "in", "into", "is",
    "it", "its", "just", "me", "my", "no", "not", "now", "of", "on", "or", "our", "out", "she", "so", "than", "that",
    "the", "their", "them", "then", "there", "they", "this", "to", "too", "up", "us", "was", "we", "were", "what",
    "when", "which", "who", "why", "will", "with", "you", "your", "au", "aux", "avec", "ce", "ces", "cette", "dans",
    "de", "des", "du", "elle", "en", "est", "et", "il", "ils", "je", "la", "le", "les", "leur", "lui", "ma", "mais",
    "me", "mes", "mon", "ne", "nous", "on", "ou", "par", "pas", "pour", "qu", "que", "qui", "sa", "se", "ses", "son",
    "sont", "sur", "ta", "te", "tes", "ton", "tu", "un", "une", "vos", "votre", "vous", "y", "c", "d", "j", "l", "m",
    "n", "s", "t", "https", "http", "www", "com", "rt", "amp",
];

/// Where the terms come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TermField {
    /// Words of the text, lower-cased and without accents, common function words left out.
    #[default]
    Text,
    /// Hashtags, without `#`, lower-cased.
    Hashtags,
    /// Handles mentioned, without `@`, lower-cased.
    Mentions,
}

impl TermField {
    fn fast_field(self) -> Option<&'static str> {
        match self {
            TermField::Text => None,
            TermField::Hashtags => Some("hashtags"),
            TermField::Mentions => Some("mentions"),
        }
    }
}

/// Significant terms of a period against a baseline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignificantTermsRequest {
    /// The workspace.
    pub workspace: String,
    /// Only mentions matching this query, in both periods.
    pub query: String,
    /// Start of the period (inclusive).
    pub from: DateTime<Utc>,
    /// End of the period (exclusive).
    pub to: DateTime<Utc>,
    /// Start of the baseline (inclusive).
    pub baseline_from: DateTime<Utc>,
    /// End of the baseline (exclusive).
    pub baseline_to: DateTime<Utc>,
    /// Where terms come from.
    pub field: TermField,
    /// Most terms listed (at most [`MAX_TERMS`]).
    pub limit: usize,
    /// Fewest mentions of the period a term must appear in.
    pub min_count: u64,
}

impl SignificantTermsRequest {
    /// The 20 most significant terms of `[from, to)` against the period of the same length just before.
    pub fn new(
        workspace: impl Into<String>,
        query: impl Into<String>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        field: TermField,
    ) -> Self {
        SignificantTermsRequest {
            workspace: workspace.into(),
            query: query.into(),
            from,
            to,
            baseline_from: from - (to - from),
            baseline_to: from,
            field,
            limit: 20,
            min_count: 3,
        }
    }
}

/// A period and the mentions it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PeriodTotal {
    /// Start (inclusive).
    pub from: DateTime<Utc>,
    /// End (exclusive).
    pub to: DateTime<Utc>,
    /// Mentions in the period.
    pub total: u64,
}

/// One significant term.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignificantTerm {
    /// The term, as indexed.
    pub term: String,
    /// Mentions of the period holding it.
    pub count: u64,
    /// Mentions of the baseline holding it.
    pub baseline_count: u64,
    /// Percentage of the period's mentions holding it.
    pub share: f64,
    /// Percentage of the baseline's mentions holding it.
    pub baseline_share: f64,
    /// Log-likelihood G² of the difference: 0 for none, larger for stronger evidence.
    pub score: f64,
}

/// The significant terms of a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignificantTerms {
    /// Where the terms come from.
    pub field: TermField,
    /// The period.
    pub period: PeriodTotal,
    /// The baseline.
    pub baseline: PeriodTotal,
    /// Terms more frequent in the period than in the baseline, best score first.
    pub terms: Vec<SignificantTerm>,
}

/// The two periods, as `[from, to)` in microseconds.
#[derive(Debug, Clone, Copy)]
struct Periods {
    period: (i64, i64),
    baseline: (i64, i64),
}

impl Periods {
    fn sides(&self, micros: i64) -> (bool, bool) {
        let inside = |(from, to): (i64, i64)| from <= micros && micros < to;
        (inside(self.period), inside(self.baseline))
    }
}

fn created_at(reader: &SegmentReader) -> tantivy::Result<Column<tantivy::DateTime>> {
    reader.fast_fields().date("created_at")
}

/// Counts, per value of a keyword fast field, the mentions of each period holding it.
struct KeywordCounts {
    field: &'static str,
    periods: Periods,
}

#[derive(Default)]
struct Counts {
    totals: (u64, u64),
    terms: HashMap<String, (u64, u64)>,
}

impl Counts {
    fn merge(&mut self, other: Counts) {
        self.totals.0 += other.totals.0;
        self.totals.1 += other.totals.1;
        for (term, (p, b)) in other.terms {
            let e = self.terms.entry(term).or_default();
            e.0 += p;
            e.1 += b;
        }
    }
}

struct KeywordSegment {
    periods: Periods,
    dates: Column<tantivy::DateTime>,
    values: Option<StrColumn>,
    counts: Vec<(u32, u32)>,
    totals: (u64, u64),
    seen: Vec<u64>,
}

impl Collector for KeywordCounts {
    type Fruit = Counts;
    type Child = KeywordSegment;

    fn for_segment(&self, _: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<KeywordSegment> {
        let values = reader.fast_fields().str(self.field)?;
        let terms = values.as_ref().map_or(0, |v| v.num_terms());
        Ok(KeywordSegment {
            periods: self.periods,
            dates: created_at(reader)?,
            values,
            counts: vec![(0, 0); terms],
            totals: (0, 0),
            seen: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Counts>) -> tantivy::Result<Counts> {
        let mut all = Counts::default();
        for f in fruits {
            all.merge(f);
        }
        Ok(all)
    }
}

impl SegmentCollector for KeywordSegment {
    type Fruit = Counts;

    fn collect(&mut self, doc: DocId, _: Score) {
        let Some(at) = self.dates.first(doc) else { return };
        let (p, b) = self.periods.sides(at.into_timestamp_micros());
        self.totals.0 += u64::from(p);
        self.totals.1 += u64::from(b);
        let Some(values) = &self.values else { return };
        self.seen.clear();
        for ord in values.term_ords(doc) {
            // A mention counts once per term, however often it repeats it.
            if self.seen.contains(&ord) {
                continue;
            }
            self.seen.push(ord);
            if let Some(c) = self.counts.get_mut(ord as usize) {
                c.0 += u32::from(p);
                c.1 += u32::from(b);
            }
        }
    }

    fn harvest(self) -> Counts {
        let mut terms = HashMap::new();
        if let Some(values) = &self.values {
            let mut text = String::new();
            for (ord, &(p, b)) in self.counts.iter().enumerate() {
                if p + b > 0 && values.ord_to_str(ord as u64, &mut text).unwrap_or(false) {
                    terms.insert(text.clone(), (u64::from(p), u64::from(b)));
                }
            }
        }
        Counts { totals: self.totals, terms }
    }
}

/// The documents of each period, per segment.
struct PeriodDocs {
    periods: Periods,
}

struct SegmentDocs {
    ord: SegmentOrdinal,
    period: BitSet,
    baseline: BitSet,
    totals: (u64, u64),
}

struct PeriodDocsSegment {
    dates: Column<tantivy::DateTime>,
    docs: SegmentDocs,
    periods: Periods,
}

impl Collector for PeriodDocs {
    type Fruit = Vec<SegmentDocs>;
    type Child = PeriodDocsSegment;

    fn for_segment(&self, ord: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<PeriodDocsSegment> {
        let max = reader.max_doc();
        Ok(PeriodDocsSegment {
            dates: created_at(reader)?,
            docs: SegmentDocs {
                ord,
                period: BitSet::with_max_value(max),
                baseline: BitSet::with_max_value(max),
                totals: (0, 0),
            },
            periods: self.periods,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Vec<SegmentDocs>>) -> tantivy::Result<Vec<SegmentDocs>> {
        Ok(fruits.into_iter().flatten().collect())
    }
}

impl SegmentCollector for PeriodDocsSegment {
    type Fruit = Vec<SegmentDocs>;

    fn collect(&mut self, doc: DocId, _: Score) {
        let Some(at) = self.dates.first(doc) else { return };
        let (p, b) = self.periods.sides(at.into_timestamp_micros());
        if p {
            self.docs.period.insert(doc);
            self.docs.totals.0 += 1;
        }
        if b {
            self.docs.baseline.insert(doc);
            self.docs.totals.1 += 1;
        }
    }

    fn harvest(self) -> Vec<SegmentDocs> {
        vec![self.docs]
    }
}

fn is_candidate(word: &str) -> bool {
    word.chars().count() >= 2 && !word.chars().all(|c| c.is_ascii_digit()) && !STOPWORDS.contains(&word)
}

impl MentionIndex {
    /// Terms significantly more frequent in the period than in the baseline.
    pub fn significant_terms(&self, req: &SignificantTermsRequest) -> Result<SignificantTerms> {
        if req.limit > MAX_TERMS {
            return Err(IndexError::Request(format!("`limit` is {}, the most is {MAX_TERMS}", req.limit)));
        }
        if req.from >= req.to || req.baseline_from >= req.baseline_to {
            return Err(IndexError::Request("the period and the baseline must each end after they start".into()));
        }
        metrics::SEARCHES.inc();
        let periods = Periods {
            period: (req.from.timestamp_micros(), req.to.timestamp_micros()),
            baseline: (req.baseline_from.timestamp_micros(), req.baseline_to.timestamp_micros()),
        };
        let scope = Scope::new(req.workspace.clone(), req.query.clone())
            .between(Some(req.from.min(req.baseline_from)), Some(req.to.max(req.baseline_to)));
        let counts = match req.field.fast_field() {
            Some(field) => self.keyword_counts(&scope, field, periods)?,
            None => self.word_counts(&scope, periods)?,
        };
        let (total, baseline_total) = counts.totals;
        let mut terms: Vec<SignificantTerm> = counts
            .terms
            .into_iter()
            .filter(|(_, (p, b))| *p >= req.min_count.max(1) && over_represented(*p, total, *b, baseline_total))
            .map(|(term, (count, baseline_count))| SignificantTerm {
                score: log_likelihood(count, total, baseline_count, baseline_total),
                share: percent(count, total),
                baseline_share: percent(baseline_count, baseline_total),
                term,
                count,
                baseline_count,
            })
            .collect();
        terms.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.term.cmp(&b.term)));
        terms.truncate(req.limit);
        Ok(SignificantTerms {
            field: req.field,
            period: PeriodTotal { from: req.from, to: req.to, total },
            baseline: PeriodTotal { from: req.baseline_from, to: req.baseline_to, total: baseline_total },
            terms,
        })
    }

    fn keyword_counts(&self, scope: &Scope, field: &'static str, periods: Periods) -> Result<Counts> {
        let (query, _) = self.scoped_query(&scope.workspace, &scope.query, scope.from, scope.to)?;
        let mut all = Counts::default();
        for searcher in self.searchers() {
            all.merge(searcher.search(&query, &KeywordCounts { field, periods })?);
        }
        Ok(all)
    }

    /// Words: candidates come from a sample of the period's mentions, then each candidate is
    /// counted exactly in both periods through its postings.
    fn word_counts(&self, scope: &Scope, periods: Periods) -> Result<Counts> {
        let (query, _) = self.scoped_query(&scope.workspace, &scope.query, scope.from, scope.to)?;
        let searchers = self.searchers();
        let mut shards = Vec::with_capacity(searchers.len());
        let mut all = Counts::default();
        for searcher in &searchers {
            let docs = searcher.search(&query, &PeriodDocs { periods })?;
            for d in &docs {
                all.totals.0 += d.totals.0;
                all.totals.1 += d.totals.1;
            }
            shards.push(docs);
        }
        let candidates = self.candidate_words(&searchers, &shards, all.totals.0)?;
        for (searcher, docs) in searchers.iter().zip(&shards) {
            for d in docs {
                let inverted = searcher.segment_reader(d.ord).inverted_index(self.fields.text)?;
                for word in &candidates {
                    let term = Term::from_field_text(self.fields.text, word);
                    let Some(mut postings) =
                        inverted.read_postings(&term, IndexRecordOption::Basic).map_err(tantivy::TantivyError::from)?
                    else {
                        continue;
                    };
                    let (mut p, mut b) = (0, 0);
                    let mut doc = postings.doc();
                    while doc != TERMINATED {
                        p += u64::from(d.period.contains(doc));
                        b += u64::from(d.baseline.contains(doc));
                        doc = postings.advance();
                    }
                    if p + b > 0 {
                        let e = all.terms.entry(word.clone()).or_default();
                        e.0 += p;
                        e.1 += b;
                    }
                }
            }
        }
        Ok(all)
    }

    /// Words found in at least two mentions of an even sample of the period (one when the
    /// sample is tiny), most frequent first.
    fn candidate_words(
        &self,
        searchers: &[tantivy::Searcher],
        shards: &[Vec<SegmentDocs>],
        period_total: u64,
    ) -> Result<Vec<String>> {
        let stride = (period_total / SAMPLE).max(1);
        let mut analyzer = self.index.tokenizer_for_field(self.fields.text)?;
        let mut frequency: HashMap<String, u32> = HashMap::new();
        let mut sampled = 0u64;
        let mut position = 0u64;
        let mut words: Vec<String> = Vec::new();
        for (searcher, docs) in searchers.iter().zip(shards) {
            for d in docs {
                for doc in (0..d.period.max_value()).filter(|doc| d.period.contains(*doc)) {
                    position += 1;
                    if !position.is_multiple_of(stride) {
                        continue;
                    }
                    let mention = self.load(searcher, DocAddress::new(d.ord, doc))?;
                    sampled += 1;
                    words.clear();
                    let mut stream = analyzer.token_stream(&mention.text);
                    while let Some(token) = stream.next() {
                        if is_candidate(&token.text) && !words.contains(&token.text) {
                            words.push(token.text.clone());
                        }
                    }
                    for w in words.drain(..) {
                        *frequency.entry(w).or_default() += 1;
                    }
                }
            }
        }
        let floor = if sampled < 50 { 1 } else { 2 };
        let mut ranked: Vec<(String, u32)> = frequency.into_iter().filter(|(_, n)| *n >= floor).collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        ranked.truncate(CANDIDATES);
        Ok(ranked.into_iter().map(|(w, _)| w).collect())
    }
}
