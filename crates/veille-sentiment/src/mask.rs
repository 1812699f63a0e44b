//! Masking for scoring: a brand's own name is not an opinion about it.
//!
//! "United" is a positive word in VADER's lexicon, "Best Buy" holds "best"
//! and the French operator Free is "free"; every mention of such a brand
//! would read as praise. Before a scorer reads a mention, the spans that
//! name what the mention was found by are replaced by a neutral
//! placeholder, [`PLACEHOLDER`]: @handles in general, and every name
//! (term, alias, misspelling, handle, hashtag, domain, and the bare word of
//! a handle or hashtag: "United" for `@united`) of each brand, competitor
//! or campaign watch that tagged the mention. The placeholder is one
//! ordinary word with no valence, so negations, boosters and "but" around
//! it still reach the words they govern. Crisis and moderation watches are
//! not masked: their terms are the vocabulary of opinion they listen for.
//! The mention's indexed text never changes; only what the scorer reads.

use std::ops::Range;

use veille_config::{Config, Watch, WorkspaceConfig};
use veille_model::{Mention, WatchKind};

use crate::error::SentimentError;

/// What a masked span becomes: a handle, as the training sets write
/// every user name; upper case when the span was ("@USER").
pub const PLACEHOLDER: &str = "@user";

/// Whether the names of watches of this kind are masked.
pub fn masks_kind(kind: WatchKind) -> bool {
    matches!(kind, WatchKind::Brand | WatchKind::Competitor | WatchKind::Campaign)
}

fn handle_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Appends the byte ranges of the @handles of `text` to `out`: `@`, not
/// after a letter or digit (an e-mail address is not a handle), then
/// letters, digits, `_`, and inner `.` or `-` (Bluesky's `@ann.bsky.social`);
/// a Mastodon `@ann@example.social` is one handle.
pub fn handle_spans(text: &str, out: &mut Vec<Range<usize>>) {
    let mut search = 0;
    while let Some(found) = text[search..].find('@') {
        let at = search + found;
        search = at + 1;
        if text[..at].chars().next_back().is_some_and(handle_char) {
            continue;
        }
        let end = handle_end(text, at + 1);
        if end == at + 1 {
            continue;
        }
        // A second `@` and a domain: a Mastodon account.
        let end = match text[end..].strip_prefix('@') {
            Some(_) => {
                let domain_end = handle_end(text, end + 1);
                if domain_end > end + 1 {
                    domain_end
                } else {
                    end
                }
            }
            None => end,
        };
        out.push(at..end);
        search = end;
    }
}

/// The end of the handle name starting at `start`: word characters, with
/// `.` and `-` allowed between them.
fn handle_end(text: &str, start: usize) -> usize {
    let mut end = start;
    let mut last_word_end = start;
    for (i, c) in text[start..].char_indices() {
        if handle_char(c) {
            end = start + i + c.len_utf8();
            last_word_end = end;
        } else if matches!(c, '.' | '-') && end == start + i && end > start {
            end = start + i + 1;
        } else {
            break;
        }
    }
    last_word_end
}

/// Writes `text` into `out` with each of `spans` (byte ranges, in any
/// order, overlapping or not) replaced by [`PLACEHOLDER`], set apart by
/// spaces from the characters around it. A span that starts just after
/// an `@` or `#` takes it along ("@" + "united"). Spans out of range or
/// not on character boundaries are ignored.
pub fn mask_text(text: &str, spans: &[Range<usize>], out: &mut String) {
    out.clear();
    let mut spans: Vec<Range<usize>> = spans
        .iter()
        .filter(|s| s.start < s.end && text.get(s.start..s.end).is_some())
        .map(|s| {
            let mut start = s.start;
            while start > 0 && matches!(text.as_bytes()[start - 1], b'@' | b'#') {
                start -= 1;
            }
            start..s.end
        })
        .collect();
    spans.sort_by_key(|s| s.start);
    let mut at = 0;
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(spans.len());
    for s in spans {
        match merged.last_mut() {
            Some(last) if s.start <= last.end => last.end = last.end.max(s.end),
            _ => merged.push(s),
        }
    }
    for s in merged {
        out.push_str(&text[at..s.start]);
        if out.chars().next_back().is_some_and(|c| !c.is_whitespace()) {
            out.push(' ');
        }
        let span = &text[s.clone()];
        let caps = span.chars().any(char::is_uppercase) && !span.chars().any(char::is_lowercase);
        out.push_str(if caps { "@USER" } else { PLACEHOLDER });
        if text[s.end..].chars().next().is_some_and(|c| !c.is_whitespace()) {
            out.push(' ');
        }
        at = s.end;
    }
    out.push_str(&text[at..]);
}

/// The names of the masked watches of a configuration, found in a text by
/// the same matcher that tags mentions (same folding of case, accents and
/// word boundaries).
#[derive(Debug, Clone)]
pub struct WatchTerms {
    matcher: veille_match::Matcher,
}

/// Every name a watch is written as: terms, aliases, misspellings,
/// handles, hashtags, domains, and the bare word of each handle and
/// hashtag.
pub fn watch_names(watch: &Watch) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let lists = [&watch.terms, &watch.aliases, &watch.misspellings, &watch.handles, &watch.hashtags, &watch.domains];
    for name in lists.into_iter().flatten() {
        names.push(name.clone());
    }
    for name in watch.handles.iter().chain(&watch.hashtags) {
        let bare = name.trim_start_matches(['@', '#']);
        if !bare.is_empty() {
            names.push(bare.to_string());
        }
    }
    names.sort();
    names.dedup();
    names
}

impl WatchTerms {
    /// The names of every brand, competitor and campaign watch of every
    /// workspace of `config`.
    pub fn from_config(config: &Config) -> Result<WatchTerms, SentimentError> {
        let mut names = Config::default();
        for workspace in &config.workspaces {
            let watches = workspace
                .watches
                .iter()
                .filter(|w| masks_kind(w.kind))
                .filter_map(|w| {
                    let mut masked = Watch::new(w.name.clone(), w.kind);
                    masked.terms = watch_names(w);
                    masked.case_sensitive = w.case_sensitive;
                    masked.whole_word = w.whole_word;
                    (!masked.terms.is_empty()).then_some(masked)
                })
                .collect();
            names.workspaces.push(WorkspaceConfig { name: workspace.name.clone(), watches });
        }
        let matcher = veille_match::Matcher::compile(&names)
            .map_err(|e| SentimentError::Config { key: "workspaces".into(), reason: e.to_string() })?;
        Ok(WatchTerms { matcher })
    }

    /// Appends to `out` the byte ranges of `mention.text` that name a
    /// masked watch among those that tagged the mention.
    pub fn spans(&self, mention: &Mention, out: &mut Vec<Range<usize>>) {
        let tagged = |watch: &str| mention.tags.iter().any(|t| masks_kind(t.kind) && t.watch == watch);
        if !mention.tags.iter().any(|t| masks_kind(t.kind)) {
            return;
        }
        self.matcher.term_spans(mention, |watch, span| {
            if tagged(watch) {
                out.push(span);
            }
        });
    }
}

/// A name of a masked watch that is also a sentiment word of a lexicon in
/// use: "United" (1.8 in VADER's English lexicon). Such a word is masked in
/// the mentions its watch tags, but still counts as an opinion elsewhere.
#[derive(Debug, Clone, PartialEq)]
pub struct SentimentWordName {
    /// The watch's workspace.
    pub workspace: String,
    /// The watch.
    pub watch: String,
    /// The name as configured ("United Airlines", "@united").
    pub term: String,
    /// The word of the name that has a valence ("united").
    pub word: String,
    /// Its valence in the lexicon, from -4 to 4.
    pub valence: f64,
    /// The lexicon's language (ISO 639-1).
    pub lang: String,
}

impl std::fmt::Display for SentimentWordName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "watch `{}` (workspace `{}`): term `{}` holds `{}`, a sentiment word of valence {:+} in the {} lexicon; \
             it is masked in the mentions the watch tags, and counts as an opinion in others",
            self.watch, self.workspace, self.term, self.word, self.valence, self.lang
        )
    }
}

/// The names of brand, competitor and campaign watches of `config` that
/// hold a sentiment word of the VADER lexicon of a language `[sentiment]`
/// scores (both scorers read it: the learned one through its lexicon
/// features), in configuration order.
pub fn sentiment_word_names(config: &Config) -> Vec<SentimentWordName> {
    let lexicons: Vec<(String, crate::Vader)> = config
        .sentiment
        .scorers
        .keys()
        .filter_map(|lang| crate::Vader::for_lang(lang).ok().map(|v| (lang.clone(), v)))
        .collect();
    let mut found = Vec::new();
    for workspace in &config.workspaces {
        for watch in workspace.watches.iter().filter(|w| masks_kind(w.kind)) {
            for term in watch_names(watch) {
                for word in term.split(|c: char| !c.is_alphanumeric() && c != '\'').filter(|w| !w.is_empty()) {
                    let word = word.to_lowercase();
                    for (lang, vader) in &lexicons {
                        let seen = found.iter().any(|f: &SentimentWordName| {
                            f.workspace == workspace.name && f.watch == watch.name && f.word == word && f.lang == *lang
                        });
                        if let Some(valence) = vader.valence(&word).filter(|_| !seen) {
                            found.push(SentimentWordName {
                                workspace: workspace.name.clone(),
                                watch: watch.name.clone(),
                                term: term.clone(),
                                word: word.clone(),
                                valence,
                                lang: lang.clone(),
                            });
                        }
                    }
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handles(text: &str) -> Vec<&str> {
        let mut spans = Vec::new();
        handle_spans(text, &mut spans);
        spans.into_iter().map(|s| &text[s]).collect()
    }

    fn masked(text: &str, spans: &[Range<usize>]) -> String {
        let mut out = String::new();
        mask_text(text, spans, &mut out);
        out
    }

    #[test]
    fn handles_are_found_but_not_e_mail_addresses() {
        assert_eq!(handles("@united thanks, cc @Ann_B."), ["@united", "@Ann_B"]);
        assert_eq!(handles("mail me: ann@example.com"), Vec::<&str>::new());
        assert_eq!(
            handles("hi @ann.bsky.social and @bob@mastodon.social!"),
            ["@ann.bsky.social", "@bob@mastodon.social"]
        );
        assert_eq!(handles("@ alone, @@, @"), Vec::<&str>::new());
        assert_eq!(handles("(@Zoé)"), ["@Zoé"]);
    }

    #[test]
    fn spans_become_one_placeholder_apart_from_their_neighbours() {
        let text = "@united lost my bag. UNITED AIRLINES!";
        let spans = [1..7, 0..7, 21..36];
        assert_eq!(masked(text, &spans), "@user lost my bag. @USER !");
        let hashtag = std::slice::from_ref(&(8..14)).to_vec();
        assert_eq!(masked("I love #United's crew", &hashtag), "I love @user 's crew");
        assert_eq!(masked("plain", &[]), "plain");
        assert_eq!(masked("é", &[0..1, 5..9]), "é", "spans off a boundary or out of range are ignored");
    }
}
