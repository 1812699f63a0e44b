//! Sentiment toward one brand: the sentences that name it, scored alone.
//!
//! "Love @acme, but @rival lost my bag" is mixed as a whole; toward acme it
//! is positive and toward rival negative. Sentences follow the Unicode
//! sentence boundaries (UAX #29), which also break at line ends.

use std::ops::Range;

use unicode_segmentation::UnicodeSegmentation;
use veille_model::{BrandSentiment, Sentiment, SentimentLabel, TermHit, WatchKind, WatchMatch};

use crate::mask::mask_text;
use crate::scorer::Scorer;

/// Byte ranges of the sentences of `text` that overlap any of `hits`, in
/// text order. Hits outside the text are ignored.
pub fn sentences_holding(text: &str, hits: &[TermHit]) -> Vec<Range<usize>> {
    text.split_sentence_bound_indices()
        .map(|(start, sentence)| start..start + sentence.len())
        .filter(|s| overlaps(hits, s, text.len()))
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
    brand_sentiments_reusing(scorer, text, tags, mask, None)
}

/// [`brand_sentiments`], given what the scorer already read of the whole
/// text and said of it: the sentences are found once for every brand, and a
/// brand whose sentences read exactly as a text already scored (the whole
/// text, or another brand's sentences) takes that score instead of being
/// scored again.
pub(crate) fn brand_sentiments_reusing(
    scorer: &dyn Scorer,
    text: &str,
    tags: &[WatchMatch],
    mask: &[Range<usize>],
    whole: Option<(&str, &Sentiment)>,
) -> Vec<BrandSentiment> {
    let brands =
        || tags.iter().filter(|t| matches!(t.kind, WatchKind::Brand | WatchKind::Competitor) && !t.hits.is_empty());
    if brands().count() < 2 {
        return Vec::new();
    }
    let sentences: Vec<Range<usize>> =
        text.split_sentence_bound_indices().map(|(start, sentence)| start..start + sentence.len()).collect();
    let (mut joined, mut masked, mut inside) = (String::new(), String::new(), Vec::new());
    // The texts scored so far for this mention, with their label and compound score.
    let mut read: Vec<(String, SentimentLabel, f64)> = Vec::new();
    if let Some((t, s)) = whole {
        read.push((t.to_string(), s.label, s.compound));
    }
    let mut out = Vec::new();
    for tag in brands() {
        joined.clear();
        let mut any = false;
        for r in sentences.iter().filter(|s| overlaps(&tag.hits, s, text.len())) {
            inside.clear();
            inside.extend(
                mask.iter()
                    .filter(|m| m.start >= r.start && m.end <= r.end)
                    .map(|m| m.start - r.start..m.end - r.start),
            );
            mask_text(&text[r.clone()], &inside, &mut masked);
            if any {
                joined.push(' ');
            }
            joined.push_str(masked.trim());
            any = true;
        }
        if !any {
            continue;
        }
        let (label, compound) = match read.iter().find(|(t, ..)| *t == joined) {
            Some((_, label, compound)) => (*label, *compound),
            None => {
                let s = scorer.score(&joined);
                read.push((joined.clone(), s.label, s.compound));
                (s.label, s.compound)
            }
        };
        out.push(BrandSentiment { watch: tag.watch.clone(), label, compound });
    }
    out
}

/// Whether any of `hits` (inside a text of `len` bytes) overlaps `sentence`.
fn overlaps(hits: &[TermHit], sentence: &Range<usize>, len: usize) -> bool {
    hits.iter().any(|h| h.start < h.end && h.end <= len && h.start < sentence.end && sentence.start < h.end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Vader;

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
    fn a_brand_whose_sentences_are_the_whole_text_takes_its_score() {
        let text = "@united and @delta both lost my bag";
        let tags = [
            watch("united", WatchKind::Brand, vec![hit(text, "united")]),
            watch("delta", WatchKind::Brand, vec![hit(text, "delta")]),
        ];
        let vader = Vader::english();
        let whole = vader.score(text);
        let fresh = brand_sentiments(&vader, text, &tags, &[]);
        let reused = brand_sentiments_reusing(&vader, text, &tags, &[], Some((text, &whole)));
        assert_eq!(fresh, reused);
        assert_eq!(reused[0].compound, whole.compound);
        // A score given for the whole text is taken as it is: nothing scored it again.
        let told = Sentiment { compound: 0.5, label: SentimentLabel::Positive, ..whole.clone() };
        let taken = brand_sentiments_reusing(&vader, text, &tags, &[], Some((text, &told)));
        assert!(taken.iter().all(|b| b.compound == 0.5 && b.label == SentimentLabel::Positive));
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
