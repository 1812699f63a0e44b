//! Properties of normalisation, spans, exclusions and the rule parser.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

use proptest::prelude::*;
use veille_config::Config;
use veille_match::{normalize, MatchError, Matcher};
use veille_model::{parse_timestamp, Author, Mention, Platform};

fn compile(watches: &str) -> Result<Matcher, MatchError> {
    let toml = format!("[[workspaces]]\nname = \"w\"\n{watches}");
    Matcher::compile(&Config::from_toml_str(&toml, "test.toml").unwrap())
}

fn mention(text: &str) -> Mention {
    let created = parse_timestamp("2026-01-01T00:00:00Z").unwrap();
    let author = Author { handle: "someone".into(), ..Author::default() };
    let mut m = Mention::new(Platform::X, "1", text, created, author);
    m.workspace = "w".into();
    m
}

/// Text mixing ASCII, accented Latin, compatibility forms, combining marks,
/// other scripts, emoji and white space.
fn messy_text() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        "[a-zA-Z0-9 ,.!?@#_'-]{0,12}",
        Just("É".to_string()),
        Just("e\u{0301}".to_string()),
        Just("ß".to_string()),
        Just("ẞ".to_string()),
        Just("ﬁ".to_string()),
        Just("Ｆｕｌｌ".to_string()),
        Just("İ".to_string()),
        Just("Σ".to_string()),
        Just("㏋".to_string()),
        Just("\u{00A0}\u{2003}".to_string()),
        Just("\t\n\r".to_string()),
        Just("\u{00AD}\u{200B}\u{FE0F}".to_string()),
        Just("’".to_string()),
        Just("華為".to_string()),
        Just("한국".to_string()),
        Just("😀👍🏽".to_string()),
        Just("\u{0301}".to_string()),
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(pieces, 0..16).prop_map(|v| v.concat())
}

/// One way of writing `word`: random case, accents sometimes added to vowels.
fn spelling(word: String) -> impl Strategy<Value = String> {
    prop::collection::vec((any::<bool>(), any::<bool>()), word.chars().count()).prop_map(move |choices| {
        word.chars()
            .zip(choices)
            .map(|(c, (upper, accent))| {
                let c = if upper { c.to_ascii_uppercase() } else { c };
                match (accent, c) {
                    (true, 'e') => "é".to_string(),
                    (true, 'E') => "É".to_string(),
                    (true, 'a') => "à".to_string(),
                    (true, 'o') => "ô".to_string(),
                    _ => c.to_string(),
                }
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn normalisation_is_idempotent(text in messy_text()) {
        let once = normalize(&text);
        prop_assert_eq!(normalize(&once), once);
    }

    #[test]
    fn a_term_inserted_anywhere_is_found_with_its_span(
        words in prop::collection::vec("[a-z]{2,7}".prop_flat_map(|w| (Just(w.clone()), spelling(w))), 1..4),
        before in messy_text(),
        after in messy_text(),
        left in prop_oneof![Just(" "), Just("\n"), Just(", "), Just("("), Just(" #"), Just("\u{00A0}")],
        right in prop_oneof![Just(" "), Just("!"), Just("."), Just(")"), Just("\u{2003}"), Just("")],
        seps in prop::collection::vec(prop_oneof![Just(" "), Just("  "), Just("\n"), Just("\u{00A0}")], 3),
    ) {
        let term = words.iter().map(|(w, _)| w.as_str()).collect::<Vec<_>>().join(" ");
        let spellings: Vec<&String> = words.iter().map(|(_, s)| s).collect();
        let mut written = spellings[0].to_string();
        for (i, w) in spellings.iter().enumerate().skip(1) {
            written.push_str(seps[i - 1]);
            written.push_str(w);
        }
        // The text around the insertion never glues a word character or a
        // combining mark to it; it may end the text.
        let right = if right.is_empty() && !after.is_empty() { " " } else { right };
        let text = format!("{before}{left}{written}{right}{after}");
        let start = before.len() + left.len();
        let end = start + written.len();
        let matcher = compile(&format!(
            "[[workspaces.watches]]\nname = \"brand\"\nkind = \"brand\"\nterms = [{term:?}]\n"
        )).unwrap();
        let mut m = mention(&text);
        matcher.tag(&mut m);
        prop_assert_eq!(m.tags.len(), 1, "no tag in {:?}", text);
        let spans: Vec<(usize, usize)> = m.tags[0].hits.iter().map(|h| (h.start, h.end)).collect();
        prop_assert!(spans.contains(&(start, end)), "{:?} not in {:?} for {:?}", (start, end), spans, text);
    }

    #[test]
    fn not_never_lets_an_excluded_mention_through(
        words in prop::collection::vec(
            prop_oneof![Just("acme"), Just("pie"), Just("Tarte"), Just("recipe"), Just("phone"), Just("great"), Just("the")],
            0..10,
        ),
    ) {
        let matcher = compile(
            "[[workspaces.watches]]\nname = \"acme\"\nkind = \"brand\"\nterms = [\"acme\"]\nexclude = [\"tarte\"]\nrule = 'NOT (pie OR recipe NEAR/3 phone)'\n",
        ).unwrap();
        let text = words.join(" ");
        let mut m = mention(&text);
        matcher.tag(&mut m);
        let has = |w: &str| words.contains(&w);
        let near = words.iter().enumerate().any(|(i, a)| {
            *a == "recipe"
                && words.iter().enumerate().any(|(j, b)| *b == "phone" && i.abs_diff(j) <= 4)
        });
        let excluded = has("Tarte") || has("pie") || near;
        if excluded {
            prop_assert!(m.tags.is_empty(), "{:?} let through", text);
        } else {
            prop_assert_eq!(m.tags.is_empty(), !has("acme"), "{:?}", text);
        }
    }

    #[test]
    fn any_rule_parses_or_points_inside_it(rule in "[a-z\"()*: /NEAROTDf0-9@]{0,24}") {
        let escaped = rule.replace('\'', "");
        let result = compile(&format!(
            "[[workspaces.watches]]\nname = \"r\"\nkind = \"brand\"\nterms = [\"x\"]\nrule = '{escaped}'\n"
        ));
        if let Err(MatchError::Rule { position, .. }) = result {
            prop_assert!((1..=escaped.chars().count() + 1).contains(&position));
        } else if let Err(e) = result {
            prop_assert!(false, "unexpected error {e}");
        }
    }
}

/// Text as mentions are mostly written: ASCII words of the watches and
/// others in any case, punctuation, handles and hashtags, single spaces.
fn plain_text() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        Just("acme".to_string()),
        Just("Acme".to_string()),
        Just("ACME".to_string()),
        Just("acmes".to_string()),
        Just("@acme".to_string()),
        Just("#acme".to_string()),
        Just("big".to_string()),
        Just("deal".to_string()),
        Just("Refund".to_string()),
        Just("refunds".to_string()),
        Just("zapper".to_string()),
        Just("AA".to_string()),
        Just("aa".to_string()),
        Just("the".to_string()),
        "[a-zA-Z0-9]{1,6}".prop_map(String::from),
    ];
    let separator = prop_oneof![Just(" "), Just(" "), Just(", "), Just("! "), Just("-"), Just("."), Just("")];
    prop::collection::vec((word, separator), 0..14)
        .prop_map(|v| v.into_iter().flat_map(|(w, s)| [w, s.to_string()]).collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn plain_ascii_text_tags_as_the_general_path_does_with_spans_on_the_terms(text in plain_text()) {
        let matcher = compile(concat!(
            "[[workspaces.watches]]\nname = \"acme\"\nkind = \"brand\"\nterms = [\"Acme\", \"big deal\"]\n",
            "handles = [\"@acme\"]\nhashtags = [\"#acme\"]\n",
            "[[workspaces.watches]]\nname = \"refunds\"\nkind = \"crisis\"\nterms = [\"refund*\"]\n",
            "rule = 'NOT (acme NEAR/1 deal)'\n",
            "[[workspaces.watches]]\nname = \"zap\"\nkind = \"brand\"\nterms = [\"zap\"]\nwhole_word = false\n",
            "[[workspaces.watches]]\nname = \"aa\"\nkind = \"brand\"\nterms = [\"AA\"]\ncase_sensitive = true\n",
        )).unwrap();
        let mut plain = mention(&text);
        matcher.tag(&mut plain);
        // A non-ASCII space at the end sends the text through full
        // normalisation without moving any offset before it.
        let mut general = mention(&format!("{text}\u{2003}"));
        matcher.tag(&mut general);
        prop_assert_eq!(&plain.tags, &general.tags, "{:?}", text);
        for tag in &plain.tags {
            for hit in &tag.hits {
                let written = normalize(&text[hit.start..hit.end]);
                let term = normalize(hit.term.trim_end_matches('*'));
                if hit.term.ends_with('*') {
                    prop_assert!(written.starts_with(&term), "{:?} for {:?} in {:?}", written, hit.term, text);
                } else {
                    prop_assert_eq!(&written, &term, "in {:?}", text);
                }
            }
        }
        // The spans alone, without tags: the same watches and ranges, on both paths.
        for tagged in [&plain, &general] {
            let mut spans = Vec::new();
            matcher.term_spans(tagged, |watch, span| spans.push((watch.to_string(), span.start, span.end)));
            let expected: Vec<_> = tagged
                .tags
                .iter()
                .flat_map(|t| t.hits.iter().map(|h| (t.watch.clone(), h.start, h.end)))
                .collect();
            prop_assert_eq!(spans, expected, "{:?}", text);
        }
    }
}
