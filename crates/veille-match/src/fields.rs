//! The tag values a search index stores for a mention.

use veille_model::WatchMatch;

/// The values of a mention's tags to index, each list sorted and without repeats.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagFields<'a> {
    /// Names of the matched watches.
    pub watches: Vec<&'a str>,
    /// Kinds of the matched watches (`brand`, `competitor`, `campaign`, `crisis`, `moderation`).
    pub kinds: Vec<&'static str>,
    /// The configured terms that were found.
    pub terms: Vec<&'a str>,
}

/// The values to index for `tags`.
///
/// ```
/// use veille_model::{TermHit, WatchKind, WatchMatch};
/// let tags = vec![WatchMatch {
///     watch: "united".into(),
///     kind: WatchKind::Brand,
///     hits: vec![TermHit { term: "@united".into(), start: 0, end: 7 }],
/// }];
/// let fields = veille_match::tag_fields(&tags);
/// assert_eq!(fields.watches, ["united"]);
/// assert_eq!(fields.kinds, ["brand"]);
/// assert_eq!(fields.terms, ["@united"]);
/// ```
pub fn tag_fields(tags: &[WatchMatch]) -> TagFields<'_> {
    let mut fields = TagFields {
        watches: tags.iter().map(|t| t.watch.as_str()).collect(),
        kinds: tags.iter().map(|t| t.kind.as_str()).collect(),
        terms: tags.iter().flat_map(|t| t.hits.iter().map(|h| h.term.as_str())).collect(),
    };
    for list in [&mut fields.watches, &mut fields.terms] {
        list.sort_unstable();
        list.dedup();
    }
    fields.kinds.sort_unstable();
    fields.kinds.dedup();
    fields
}
