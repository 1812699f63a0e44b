//! The matching semantics, watch by watch, on small hand-written mentions.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

use veille_config::Config;
use veille_match::{MatchError, Matcher};
use veille_model::{parse_timestamp, Author, Mention, Platform, WatchKind};

/// A matcher for one workspace `w` whose watches are given as TOML tables.
fn matcher(watches: &str) -> Matcher {
    let toml = format!("[[workspaces]]\nname = \"w\"\n{watches}");
    let config = Config::from_toml_str(&toml, "test.toml").unwrap();
    Matcher::compile(&config).unwrap()
}

fn compile_error(watches: &str) -> MatchError {
    let toml = format!("[[workspaces]]\nname = \"w\"\n{watches}");
    let config = Config::from_toml_str(&toml, "test.toml").unwrap();
    Matcher::compile(&config).unwrap_err()
}

fn mention(text: &str) -> Mention {
    let created = parse_timestamp("2015-02-20T12:00:00Z").unwrap();
    let author = Author { handle: "traveller".into(), ..Author::default() };
    let mut m = Mention::new(Platform::X, "1", text, created, author);
    m.workspace = "w".into();
    m
}

/// The names of the watches `text` matches.
fn watches_of(matcher: &Matcher, m: &mut Mention) -> Vec<String> {
    matcher.tag(m);
    m.tags.iter().map(|t| t.watch.clone()).collect()
}

fn matches(matcher: &Matcher, text: &str) -> Vec<String> {
    watches_of(matcher, &mut mention(text))
}

const ORANGE: &str = r#"
[[workspaces.watches]]
name = "orange"
kind = "brand"
terms = ["Orange"]
exclude = ["orange juice"]
rule = 'NOT (fruit OR "orange county")'
"#;

#[test]
fn brands_match_whole_words_only() {
    let m = matcher(ORANGE);
    assert_eq!(matches(&m, "Mon forfait ORANGE ne marche plus"), ["orange"]);
    assert_eq!(matches(&m, "#Orange et @orange"), ["orange"]);
    assert!(matches(&m, "I bought oranges").is_empty());
    assert!(matches(&m, "orangeade please").is_empty());
}

#[test]
fn substring_watches_match_inside_words_when_asked() {
    let m = matcher(
        r#"
[[workspaces.watches]]
name = "orange-any"
kind = "brand"
terms = ["orange"]
whole_word = false
"#,
    );
    assert_eq!(matches(&m, "I bought oranges"), ["orange-any"]);
}

#[test]
fn exclusions_and_not_rules_veto_the_watch() {
    let m = matcher(ORANGE);
    assert!(matches(&m, "fresh orange juice").is_empty());
    assert!(matches(&m, "an orange is a fruit").is_empty());
    assert!(matches(&m, "Orange County traffic").is_empty());
    assert_eq!(matches(&m, "Orange network down in Paris"), ["orange"]);
}

#[test]
fn accents_case_and_spacing_do_not_matter() {
    let m = matcher(
        r#"
[[workspaces.watches]]
name = "sg"
kind = "brand"
terms = ["Société Générale"]
"#,
    );
    for text in ["Société Générale", "societe generale", "SOCIÉTÉ  GÉNÉRALE", "chez SOCIETE\nGENERALE!"] {
        assert_eq!(matches(&m, text), ["sg"], "{text}");
    }
}

#[test]
fn hits_report_the_configured_term_and_the_original_span() {
    let m = matcher(
        r#"
[[workspaces.watches]]
name = "sg"
kind = "brand"
terms = ["Société Générale", "SocGen*"]
handles = ["SocieteGenerale"]
"#,
    );
    let text = "Ma banque, la  SOCIÉTÉ GÉNÉRALE (@SocieteGenerale), socgenbank.";
    let mut mention = mention(text);
    m.tag(&mut mention);
    let hits: Vec<(&str, &str)> =
        mention.tags[0].hits.iter().map(|h| (h.term.as_str(), &text[h.start..h.end])).collect();
    assert_eq!(
        hits,
        [("Société Générale", "SOCIÉTÉ GÉNÉRALE"), ("@SocieteGenerale", "@SocieteGenerale"), ("SocGen*", "socgenbank"),]
    );
}

#[test]
fn overlapping_terms_of_different_watches_both_match() {
    let m = matcher(
        r#"
[[workspaces.watches]]
name = "air-france"
kind = "brand"
terms = ["Air France"]

[[workspaces.watches]]
name = "france"
kind = "campaign"
terms = ["France"]
"#,
    );
    assert_eq!(matches(&m, "vol Air France annulé"), ["air-france", "france"]);
}

#[test]
fn a_hit_inside_a_longer_hit_of_the_same_watch_is_not_repeated() {
    let m = matcher(
        r#"
[[workspaces.watches]]
name = "united"
kind = "brand"
terms = ["United Airlines", "United"]
"#,
    );
    let mut mention = mention("United Airlines lost my bag");
    m.tag(&mut mention);
    assert_eq!(mention.tags[0].hits.len(), 1);
    assert_eq!(mention.tags[0].hits[0].term, "United Airlines");
}

const RULES: &str = r#"
[[workspaces.watches]]
name = "apple-phones"
kind = "brand"
rule = 'apple AND (iphone* OR "mac book") AND NOT (pie OR tree)'

[[workspaces.watches]]
name = "delay-near"
kind = "crisis"
rule = 'delay* NEAR/2 flight'

[[workspaces.watches]]
name = "delay-before"
kind = "crisis"
rule = 'delay* NEAR/2f flight'

[[workspaces.watches]]
name = "fr-x-complaints"
kind = "crisis"
rule = 'arnaque AND lang:fr AND platform:twitter AND NOT author:bot*'
"#;

#[test]
fn boolean_rules_combine_terms_phrases_and_wildcards() {
    let m = matcher(RULES);
    assert_eq!(matches(&m, "Apple iPhones are great"), ["apple-phones"]);
    assert_eq!(matches(&m, "apple mac  book"), ["apple-phones"]);
    assert!(matches(&m, "apple mac and book").is_empty());
    assert!(matches(&m, "apple pie and iphone").is_empty());
    assert!(matches(&m, "iphone only").is_empty());
}

#[test]
fn near_counts_the_words_between_and_nf_keeps_the_order() {
    let m = matcher(RULES);
    assert_eq!(matches(&m, "delayed my flight again"), ["delay-near", "delay-before"]);
    assert_eq!(matches(&m, "delays on my flight"), ["delay-near", "delay-before"]);
    assert!(matches(&m, "delays on my short flight").is_empty());
    assert_eq!(matches(&m, "flight was delayed"), ["delay-near"]);
}

#[test]
fn field_operators_read_the_mention() {
    let m = matcher(RULES);
    let mut fr = mention("Quelle arnaque !");
    fr.lang = Some("fr".into());
    assert_eq!(watches_of(&m, &mut fr), ["fr-x-complaints"]);
    let mut en = fr.clone();
    en.lang = Some("en".into());
    assert!(watches_of(&m, &mut en).is_empty());
    let mut bot = fr.clone();
    bot.author.handle = "BotNews".into();
    assert!(watches_of(&m, &mut bot).is_empty());
}

#[test]
fn campaigns_only_match_in_their_period() {
    let m = matcher(
        r#"
[[workspaces.watches]]
name = "dragons"
kind = "campaign"
hashtags = ["DestinationDragons"]
from = 2015-02-01
until = "2015-03-01T00:00:00Z"
"#,
    );
    let mut inside = mention("#DestinationDragons tonight");
    assert_eq!(watches_of(&m, &mut inside), ["dragons"]);
    let mut after = mention("#DestinationDragons tonight");
    after.created_at = parse_timestamp("2015-03-01T00:00:00Z").unwrap();
    assert!(watches_of(&m, &mut after).is_empty());
}

#[test]
fn case_sensitive_watches_need_the_exact_letters() {
    let m = matcher(
        r#"
[[workspaces.watches]]
name = "us"
kind = "brand"
terms = ["US"]
case_sensitive = true
"#,
    );
    assert_eq!(matches(&m, "flying US today"), ["us"]);
    assert!(matches(&m, "flying with us today").is_empty());
}

#[test]
fn built_in_lexicons_tag_crisis_and_moderation() {
    let m = matcher(
        r#"
[[workspaces.watches]]
name = "crisis"
kind = "crisis"
lexicons = ["crisis-en", "crisis-fr"]

[[workspaces.watches]]
name = "insults"
kind = "moderation"
lexicons = ["insults-en", "insults-fr"]
"#,
    );
    assert_eq!(matches(&m, "Rappel conso : intoxication"), ["crisis"]);
    assert_eq!(matches(&m, "huge DATA LEAK at the bank"), ["crisis"]);
    assert_eq!(matches(&m, "what a bunch of idiots, boycott them"), ["crisis", "insults"]);
    let mut m2 = mention("Quelle arnaque, bande de connards");
    m.tag(&mut m2);
    assert_eq!(m2.tags[1].kind, WatchKind::Moderation);
    assert_eq!(m2.tags[1].hits[0].term, "connard*");
}

#[test]
fn mentions_of_other_workspaces_get_no_tags() {
    let m = matcher(ORANGE);
    let mut other = mention("Orange");
    other.workspace = "elsewhere".into();
    assert_eq!(m.tag(&mut other), 0);
    assert!(other.tags.is_empty());
}

#[test]
fn compile_errors_name_workspace_watch_and_character() {
    let e = compile_error(
        "[[workspaces.watches]]\nname = \"bad\"\nkind = \"brand\"\nterms = [\"x\"]\nrule = 'a AND (b OR'\n",
    );
    assert!(
        matches!(&e, MatchError::Rule { workspace, watch, position: 12, .. } if workspace == "w" && watch == "bad"),
        "{e}"
    );
    assert!(e.to_string().starts_with("workspace `w`, watch `bad`: rule error at character 12"), "{e}");

    let e = compile_error("[[workspaces.watches]]\nname = \"lonely\"\nkind = \"brand\"\nrule = 'NOT spam'\n");
    assert!(matches!(e, MatchError::NothingToFind { .. }), "{e}");

    let e = compile_error("[[workspaces.watches]]\nname = \"mixed\"\nkind = \"brand\"\nlexicons = [\"crisis-en\"]\n");
    assert!(matches!(e, MatchError::LexiconKind { .. }), "{e}");

    let e = compile_error("[[workspaces.watches]]\nname = \"h\"\nkind = \"brand\"\nhandles = [\"two words\"]\n");
    assert!(e.to_string().contains("handles entry `two words` must be one word"), "{e}");

    let e = compile_error(
        "[[workspaces.watches]]\nname = \"p\"\nkind = \"campaign\"\nterms = [\"x\"]\nfrom = 2015-03-01\nuntil = 2015-02-01\n",
    );
    assert!(matches!(e, MatchError::EmptyPeriod { .. }), "{e}");
}
