//! Properties of the platform payload parsers: any input gives a mention, a skip or a
//! reason, never a panic; and what a well-formed payload says reaches the mention intact.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a test fails

use proptest::prelude::*;
use veille_sources::payload::bluesky::Event;
use veille_sources::payload::mastodon::{timeline_page, Status};
use veille_sources::payload::reddit::Listing;
use veille_sources::payload::rss::Feed;
use veille_sources::payload::x::StreamLine;

/// Words as people write them, joined by single spaces (so HTML tidying keeps them as they are).
fn words() -> impl Strategy<Value = String> {
    prop::collection::vec("[A-Za-z0-9éÉàçœ'!?,.&<>\"@#]{1,12}", 1..20).prop_map(|w| w.join(" "))
}

/// `text` with the five characters HTML and XML escape.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn json(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

/// Inputs that look like the payloads (JSON punctuation and field names) as well as plain noise.
fn noise() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        r#"[{}\[\]":,0-9a-z_ .\-]{0,200}"#,
        prop::collection::vec(
            prop_oneof![
                Just("{".to_string()),
                Just("}".to_string()),
                Just("[".to_string()),
                Just("]".to_string()),
                Just(",".to_string()),
                Just(":".to_string()),
                Just("null".to_string()),
                Just("\"data\"".to_string()),
                Just("\"kind\"".to_string()),
                Just("\"commit\"".to_string()),
                Just("\"created_at\"".to_string()),
                Just("\"2026-01-02T03:04:05Z\"".to_string()),
                Just("\"t1\"".to_string()),
                Just("1700000000.5".to_string()),
                "\"[a-z0-9]{0,8}\"",
            ],
            0..60
        )
        .prop_map(|t| t.concat()),
    ]
}

/// Found by fuzzing: times past the year 9999 were mapped to mentions that could not be
/// read back from their own JSON. They are refused, naming the field and the latest time the
/// index holds (2199-12-31).
#[test]
fn times_past_year_9999_are_refused_with_the_field_named() {
    let listing = include_str!("fixtures/fuzz/reddit_year_55840.json");
    let (things, _) = Listing::parse(listing).unwrap().into_parts();
    let refused = things.into_iter().next().unwrap().into_mention(None).unwrap_err();
    assert!(refused.reason().contains("created_at") && refused.reason().contains("2199-12-31"), "{refused}");

    let feed = Feed::parse(include_bytes!("fixtures/fuzz/rss_year_60220.xml")).unwrap();
    let mapped: Vec<_> = feed.entries().iter().map(|e| e.to_mention("https://news.example/feed.xml", None)).collect();
    assert_eq!(mapped.len(), 2);
    let refused = mapped.iter().filter_map(|m| m.as_ref().err()).collect::<Vec<_>>();
    assert_eq!(refused.len(), 1, "only the entry of the year 60220 is refused");
    assert!(refused[0].reason().contains("created_at"), "{}", refused[0]);
    for m in mapped.iter().flatten() {
        assert_eq!(&veille_model::Mention::from_json(&m.to_json()).unwrap(), m);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_payload_parser_panics_and_every_refusal_says_why(input in noise()) {
        let said = |reason: &str| -> Result<(), TestCaseError> {
            prop_assert!(!reason.is_empty());
            Ok(())
        };
        match Event::parse(&input) {
            Ok(e) => if let Err(r) = e.into_mention(None) { said(r.reason())? },
            Err(r) => said(r.reason())?,
        }
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&input) {
            match Status::from_value(v) {
                Ok(s) => if let Err(r) = s.into_mention("m.example", None) { said(r.reason())? },
                Err(r) => said(r.reason())?,
            }
        }
        if let Err(r) = timeline_page(&input) { said(r.reason())? }
        match Listing::parse(&input) {
            Ok(l) => for t in l.into_parts().0 { if let Err(r) = t.into_mention(None) { said(r.reason())? } },
            Err(r) => said(r.reason())?,
        }
        match StreamLine::parse(&input) {
            Ok(StreamLine::Post(p)) => if let Err(r) = p.into_mention(None) { said(r.reason())? },
            Ok(StreamLine::Errors(_)) => {}
            Err(r) => said(r.reason())?,
        }
        match Feed::parse(input.as_bytes()) {
            Ok(f) => for e in f.entries() { if let Err(r) = e.to_mention("https://f.example/", None) { said(r.reason())? } },
            Err(r) => said(r.reason())?,
        }
    }

    #[test]
    fn a_jetstream_post_keeps_its_words_author_and_mentioned_accounts(
        text in "\\PC{0,200}",
        did in "did:plc:[a-z2-7]{24}",
        rkey in "[a-z2-7]{13}",
        mentioned in prop::collection::vec("did:plc:[a-z2-7]{6}", 0..4),
        time_us in 1u64..u64::MAX,
    ) {
        let facets: Vec<String> = mentioned
            .iter()
            .map(|d| format!(r#"{{"features":[{{"$type":"app.bsky.richtext.facet#mention","did":"{d}"}}]}}"#))
            .collect();
        let frame = format!(
            r#"{{"did":"{did}","time_us":{time_us},"kind":"commit","commit":{{"operation":"create","collection":"app.bsky.feed.post","rkey":"{rkey}","record":{{"text":{},"createdAt":"2026-01-02T03:04:05.678Z","facets":[{}]}}}}}}"#,
            json(&text),
            facets.join(",")
        );
        let event = Event::parse(&frame).unwrap();
        prop_assert_eq!(event.time_us(), time_us);
        match event.into_mention(Some("acme")).unwrap() {
            None => prop_assert!(text.trim().is_empty(), "a post with words was skipped"),
            Some(m) => {
                prop_assert_eq!(m.text.as_str(), text.trim());
                prop_assert_eq!(m.key().as_str(), format!("bluesky:at://{did}/app.bsky.feed.post/{rkey}"));
                prop_assert_eq!(m.author.handle.as_str(), did.as_str());
                prop_assert_eq!(m.workspace.as_str(), "acme");
                for d in &mentioned {
                    prop_assert!(m.mentions.contains(d));
                }
                prop_assert!(m.mentions.len() <= mentioned.len());
            }
        }
    }

    #[test]
    fn a_mastodon_status_keeps_its_words_through_html_and_qualifies_accounts(
        text in words(),
        id in "[1-9][0-9]{5,17}",
        acct in "[a-z][a-z0-9_]{0,15}(@[a-z]{1,10}\\.example)?",
    ) {
        let status = format!(
            r#"{{"id":"{id}","created_at":"2026-01-02T03:04:05.000Z","uri":"https://m.example/s/{id}","content":{},"account":{{"id":"9","acct":"{acct}"}}}}"#,
            json(&format!("<p>{}</p>", escape(&text)))
        );
        let page = timeline_page(&format!("[{status}]")).unwrap();
        prop_assert_eq!(page.len(), 1);
        let status = Status::from_value(page.into_iter().next().unwrap()).unwrap();
        prop_assert_eq!(status.id(), id.as_str());
        let m = status.into_mention("m.example", None).unwrap();
        prop_assert_eq!(m.text.as_str(), text.as_str());
        prop_assert_eq!(m.native_id(), format!("m.example/{id}"));
        let expected = if acct.contains('@') { acct.clone() } else { format!("{acct}@m.example") };
        prop_assert_eq!(m.author.handle.as_str(), expected.as_str());
    }

    #[test]
    fn a_reddit_comment_keeps_its_words_and_finds_the_users_it_names(
        before in words(),
        after in words(),
        user in "[a-z][a-z0-9_]{2,19}",
        id in "[a-z0-9]{5,8}",
        created in 1_000_000_000u32..2_000_000_000,
    ) {
        let body = format!("{before} u/{user} {after}");
        let page = format!(
            r#"{{"kind":"Listing","data":{{"after":"t1_{id}","children":[{{"kind":"t1","data":{{"id":"{id}","name":"t1_{id}","author":"ann","created_utc":{created}.0,"body":{},"parent_id":"t3_p","link_id":"t3_p"}}}}]}}}}"#,
            json(&format!("  {body}\n"))
        );
        let (things, next) = Listing::parse(&page).unwrap().into_parts();
        prop_assert_eq!(next, Some(format!("t1_{id}")));
        prop_assert_eq!(things.len(), 1);
        let thing = things.into_iter().next().unwrap();
        prop_assert_eq!(thing.fullname(), format!("t1_{id}"));
        prop_assert_eq!(thing.created_utc(), Some(f64::from(created)));
        let m = thing.into_mention(None).unwrap();
        prop_assert_eq!(m.text.as_str(), body.as_str());
        prop_assert_eq!(m.created_at.timestamp(), i64::from(created));
        prop_assert!(m.mentions.contains(&user), "u/{} not found in {:?}", user, m.mentions);
        prop_assert_eq!(m.reply_to.as_ref().map(|r| r.id.as_str()), Some("t3_p"));
    }

    #[test]
    fn an_x_post_keeps_its_words_and_its_author_from_the_expansions(
        text in "\\PC{1,280}",
        id in "[1-9][0-9]{8,19}",
        username in "[A-Za-z0-9_]{1,15}",
        followers in any::<u32>(),
    ) {
        let line = format!(
            r#"{{"data":{{"id":"{id}","text":{},"author_id":"42","created_at":"2026-01-02T03:04:05.000Z"}},"includes":{{"users":[{{"id":"42","username":"{username}","public_metrics":{{"followers_count":{followers}}}}}]}}}}"#,
            json(&text)
        );
        let StreamLine::Post(post) = StreamLine::parse(&line).unwrap() else {
            return Err(TestCaseError::fail("a post line was not read as a post"));
        };
        prop_assert_eq!(post.id(), id.as_str());
        match post.into_mention(None) {
            Ok(m) => {
                prop_assert_eq!(m.text.as_str(), text.as_str());
                prop_assert_eq!(m.author.handle.as_str(), username.as_str());
                prop_assert_eq!(m.author.followers, Some(u64::from(followers)));
                prop_assert_eq!(m.url, Some(format!("https://x.com/{username}/status/{id}")));
            }
            Err(r) => prop_assert!(text.trim().is_empty(), "refused a post with words: {}", r),
        }
    }

    #[test]
    fn an_rss_feed_gives_every_entry_once_oldest_first_with_its_title(
        // Titles are read as HTML too (feeds put markup in them), so no `<` or `&` here.
        titles in prop::collection::vec(
            prop::collection::vec("[A-Za-z0-9éÉàçœ'!?,.\"@#]{1,12}", 1..20).prop_map(|w| w.join(" ")),
            1..8,
        ),
    ) {
        // Listed newest first, as feeds do.
        let items: String = titles
            .iter()
            .enumerate()
            .rev()
            .map(|(i, t)| {
                format!(
                    "<item><title>{}</title><link>https://news.example/{i}</link><guid>g{i}</guid><description>{}</description><pubDate>Mon, 02 Mar 2026 {:02}:00:00 GMT</pubDate></item>",
                    escape(t),
                    escape(&format!("<p>{t}</p>")),
                    i
                )
            })
            .collect();
        let xml = format!(r#"<?xml version="1.0"?><rss version="2.0"><channel><title>News</title><link>https://news.example/</link>{items}</channel></rss>"#);
        let feed = Feed::parse(xml.as_bytes()).unwrap();
        let entries = feed.entries();
        prop_assert_eq!(entries.len(), titles.len());
        for (i, (entry, title)) in entries.iter().zip(&titles).enumerate() {
            let m = entry.to_mention("https://news.example/feed.xml", None).unwrap();
            prop_assert_eq!(m.title.as_deref(), Some(title.as_str()));
            prop_assert_eq!(m.text.as_str(), title.as_str());
            prop_assert_eq!(m.native_id(), format!("https://news.example/{i}"));
            prop_assert_eq!(entry.id_hash().len(), 16);
        }
    }

    #[test]
    fn atom_plain_text_keeps_every_character_and_atom_html_is_read_as_html(
        plain in words(),
        bold in "[A-Za-z]{1,12}",
    ) {
        let xml = format!(
            r#"<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Alerts</title><id>urn:feed</id><updated>2026-03-02T09:00:00Z</updated><entry><id>urn:1</id><title type="text">{}</title><link href="https://news.example/1"/><updated>2026-03-02T08:00:00Z</updated><summary type="html">{}</summary></entry></feed>"#,
            escape(&plain),
            escape(&format!("<b>{bold}</b> &amp; co"))
        );
        let feed = Feed::parse(xml.as_bytes()).unwrap();
        let entries = feed.entries();
        prop_assert_eq!(entries.len(), 1);
        let m = entries[0].to_mention("https://news.example/atom.xml", None).unwrap();
        prop_assert_eq!(m.title.as_deref(), Some(plain.as_str()));
        prop_assert_eq!(m.text, format!("{bold} & co"));
    }
}
