//! Watch matching: tags every mention with the brands, competitors,
//! campaigns, crisis and moderation terms it speaks of.
//!
//! # Model
//!
//! Each workspace has watches ([`veille_config::Watch`]): named lists of
//! terms of one kind, with optional exclusions, a boolean rule and an active
//! period. [`Matcher::compile`] turns all the terms of all the watches of a
//! workspace (names, aliases, misspellings, handles, hashtags, domains,
//! exclusions, built-in lexicons and the words and phrases of rules) into
//! **one** Aho-Corasick automaton. [`Matcher::tag`] then makes one pass over
//! the mention's normalised text, which finds every occurrence of every term,
//! evaluates only the watches that some occurrence speaks for, and sets
//! `mention.tags` to the watches that match, each with its [`TermHit`]s.
//!
//! # Semantics
//!
//! * **Normalisation** ([`normalize`]): terms and texts are compared after
//!   compatibility decomposition (NFKC forms), case folding, diacritic
//!   folding and white-space collapsing, so `"Société Générale"`,
//!   `"societe  generale"` and `"SOCIÉTÉ GÉNÉRALE"` are the same.
//! * **Word boundaries**: by default a term matches only where the characters
//!   just before and after it are not letters, digits or `_`: `Orange` does
//!   not match `oranges`. `@` and `#` are not word characters, so the term
//!   `delta` also matches `#Delta` and `@Delta`, while the handle `@delta`
//!   matches neither `@deltaassist` nor `delta`. A watch with
//!   `whole_word = false` matches inside words. A term ending in `*` matches
//!   any word that starts with the rest, and its hit spans the whole word.
//!   In scripts written without spaces (Chinese, Japanese, Thai, ...) every
//!   position is a boundary.
//! * **Overlaps**: occurrences are found overlapping, so `air france` and
//!   `france` in two watches both match `Air France`. Within one watch, a hit
//!   inside a longer hit (`united` in `united airlines`) is not reported.
//! * **A watch matches** when one of its terms occurs, its rule holds, none of
//!   its `exclude` terms occurs and the mention's `created_at` falls in its
//!   `[from, until)` period. A watch without terms matches on its rule alone.
//! * **Rules**: `AND`, `OR`, `NOT`, parentheses, `"exact phrase"`,
//!   `a NEAR/n b` (at most `n` words between them, either order),
//!   `a NEAR/nf b` (`a` first), trailing wildcards `refund*`, and the fields
//!   `author:` (handle), `lang:` and `platform:`. Operators are upper case;
//!   adjacent operands are ANDed; `NOT` binds tightest, then `NEAR`, `AND`
//!   and `OR`. A rule that does not parse is a [`MatchError::Rule`] naming the
//!   workspace, the watch and the character where it fails.
//! * **Spans**: [`TermHit::start`] and [`TermHit::end`] are byte offsets into
//!   the original `mention.text`, on character boundaries, covering exactly
//!   the characters that produced the hit.
//! * **Hot reload**: [`Matcher`] is a cheap handle; [`Matcher::reload`]
//!   swaps in new watches atomically for every clone, while other threads
//!   keep tagging.
//!
//! # Performance
//!
//! Tagging a mention allocates nothing but its tags. Mention text that is
//! printable ASCII with single spaces (most of it) is scanned as it is: the
//! automaton ignores ASCII case. Other text is normalised into a reused
//! buffer, copying ASCII runs in bulk and folding the common accented
//! letters and typographic signs from a table. The automaton is walked over
//! up to four parts of the text at once, which finds the same occurrences as
//! one walk while hiding most of its memory latency. Only the watches that
//! some hit speaks for are evaluated. `benches/scan.rs` measures all this
//! against a raw `aho-corasick` scan of the same texts.
//!
//! # Example
//!
//! ```
//! use veille_model::{Author, Mention, Platform, WatchKind};
//!
//! let config = veille_config::Config::from_toml_str(r#"
//! [[workspaces]]
//! name = "default"
//!
//! [[workspaces.watches]]
//! name = "societe-generale"
//! kind = "brand"
//! terms = ["Société Générale"]
//! handles = ["@SocieteGenerale"]
//!
//! [[workspaces.watches]]
//! name = "crisis"
//! kind = "crisis"
//! lexicons = ["crisis-fr"]
//! rule = 'NOT "exercice de crise"'
//! "#, "inline.toml").unwrap();
//! let matcher = veille_match::Matcher::compile(&config).unwrap();
//!
//! let created = veille_model::parse_timestamp("2026-03-01T10:00:00Z").unwrap();
//! let author = Author { handle: "client".into(), ..Author::default() };
//! let text = "SOCIETE GENERALE : fuite de données clients ?!";
//! let mut mention = Mention::new(Platform::X, "1", text, created, author);
//!
//! assert_eq!(matcher.tag(&mut mention), 2);
//! let brand = &mention.tags[0];
//! assert_eq!((brand.watch.as_str(), brand.kind), ("societe-generale", WatchKind::Brand));
//! let hit = &brand.hits[0];
//! assert_eq!(&text[hit.start..hit.end], "SOCIETE GENERALE");
//! let crisis = &mention.tags[1];
//! assert_eq!(crisis.hits[0].term, "fuite de données");
//! ```

mod compile;
mod error;
mod expr;
mod fields;
mod lexicon;
mod matcher;
mod ndjson;
mod normalize;
mod rule;
mod scan;
mod tag;

pub use error::{MatchError, NdjsonError, RejectedLine};
pub use fields::{tag_fields, TagFields};
pub use lexicon::lexicon_terms;
pub use matcher::{Matcher, WorkspaceSummary};
pub use ndjson::{tag_ndjson, Stats, WorkspaceCounts};
pub use normalize::normalize;

#[cfg(doc)]
use veille_model::TermHit;
