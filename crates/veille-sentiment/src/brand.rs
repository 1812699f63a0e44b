//! Sentiment toward one brand: the sentences that name it, scored alone.
//!
//! "Love @acme, but @rival lost my bag" is mixed as a whole; toward acme it
//! is positive and toward rival negative. Sentences follow the Unicode
//! sentence boundaries (UAX #29), which also break at line ends.

use std::ops::Range;

use unicode_segmentation::UnicodeSegmentation;
use veille_model::{BrandSentiment, TermHit, WatchKind, WatchMatch};

use crate::mask::mask_text;
use crate::scorer::Scorer;

/// Byte ranges of the sentences of `text` that overlap any of `hits`, in
/// text order. Hits outside the text are ignored.
pub fn sentences_holding(text: &str, hits: &[TermHit]) -> Vec<Range<usize>> {
    text.split_sentence_bound_indices()
        .map(|(start, sentence)| start..start + sentence.len())
        .filter(|s| hits.iter().any(|h| h.start < h.end && h.end <= text.len() && h.start < s.end && s.start < h.end))
        .collect()
}

/// The text of the sentences of `text` that overlap `hits`, joined by a
/// space, with the byte ranges `mask` (of `text`) masked as
/// [`crate::mask::mask_text`] does; `None` when no hit falls inside the
/// text.
pub fn brand_text(text: &str, hits: &[TermHit], mask: &[Range<usize>]) -> Option<String> {
    let sentences = sentences_holding(text, hits);
    if sentences.is_empty() {
        return None;
    }
    let mut masked = String::new();
    let parts: Vec<String> = sentences
        .into_iter()
        .map(|r| {
            let inside: Vec<Range<usize>> = mask
                .iter()
                .filter(|m| m.start >= r.start && m.end <= r.end)
                .map(|m| m.start - r.start..m.end - r.start)
                .collect();
            mask_text(&text[r], &inside, &mut masked);
            masked.trim().to_string()
        })
        .collect();
    Some(parts.join(" "))
}

/// Sentiment toward each brand or competitor watch that matched `text`
/// with hits, when at least two did (with one, the whole text's sentiment
/// says it), each read with the byte ranges `mask` masked. In the order
/// of `tags`.
pub fn brand_sentiments(
    scorer: &dyn Scorer,
    text: &str,
    tags: &[WatchMatch],
    mask: &[Range<usize>],
) -> Vec<BrandSentiment> {
    let brands: Vec<&WatchMatch> = tags
        .iter()
        .filter(|t| matches!(t.kind, WatchKind::Brand | WatchKind::Competitor) && !t.hits.is_empty())
        .collect();
    if brands.len() < 2 {
        return Vec::new();
    }
    brands
        .into_iter()
        .filter_map(|tag| {
            let sentences = brand_text(text, &tag.hits, mask)?;
            let s = scorer.score(&sentences);
            Some(BrandSentiment { watch: tag.watch.clone(), label: s.label, compound: s.compound })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Vader;
    use veille_model::SentimentLabel;

    fn hit(text: &str, term: &str) -> TermHit {
        let start = text.find(term).unwrap();
        TermHit { term: term.to_string(), start, end: start + term.len() }
    }

    fn watch(name: &str, kind: WatchKind, hits: Vec<TermHit>) -> WatchMatch {
        WatchMatch { watch: name.to_string(), kind, hits }
    }

    #[test]
    fn each_brand_is_scored_on_its_own_sentences() {
        let text = "I love Acme, their support is great. Rival lost my bag again. Awful!";
        let tags = [
            watch("acme", WatchKind::Brand, vec![hit(text, "Acme")]),
            watch("rival", WatchKind::Competitor, vec![hit(text, "Rival")]),
            watch("bags", WatchKind::Crisis, vec![hit(text, "bag")]),
        ];
        let brands = brand_sentiments(&Vader::english(), text, &tags, &[]);
        assert_eq!(brands.len(), 2);
        assert_eq!(brands[0].watch, "acme");
        assert_eq!(brands[0].label, SentimentLabel::Positive);
        assert_eq!(brands[1].watch, "rival");
        assert_eq!(brands[1].label, SentimentLabel::Negative);
    }

    #[test]
    fn one_brand_alone_gets_no_separate_score() {
        let text = "Acme is great";
        let tags = [watch("acme", WatchKind::Brand, vec![hit(text, "Acme")])];
        assert!(brand_sentiments(&Vader::english(), text, &tags, &[]).is_empty());
    }

    #[test]
    fn hits_select_whole_sentences_and_out_of_range_hits_are_ignored() {
        let text = "First one. Second acme here.\nThird.";
        let h = hit(text, "acme");
        let span = std::slice::from_ref(&(h.start..h.end)).to_vec();
        assert_eq!(brand_text(text, std::slice::from_ref(&h), &[]).as_deref(), Some("Second acme here."));
        assert_eq!(brand_text(text, std::slice::from_ref(&h), &span).as_deref(), Some("Second @user here."));
        let outside = TermHit { term: "x".into(), start: 100, end: 104 };
        assert_eq!(brand_text(text, &[outside], &[]), None);
    }
}
