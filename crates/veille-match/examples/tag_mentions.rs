//! Tagging mentions with the airline watches, then changing the watches
//! while the matcher is in use.
//!
//! Run with `cargo run -p veille-match --example tag_mentions`.

#![allow(clippy::unwrap_used)] // a failed unwrap is how a example reports a broken setup

use veille_config::Config;
use veille_match::{tag_fields, Matcher};
use veille_model::{parse_timestamp, Author, Mention, Platform};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. Load the documented example configuration and compile its watches:
    //    one automaton per workspace over every term of every watch.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/examples/airlines.toml");
    let config = Config::load(std::path::Path::new(path))?;
    let matcher = Matcher::compile(&config)?;
    for w in matcher.workspaces() {
        println!("workspace {}: {} watches, {} patterns", w.name, w.watches, w.patterns);
    }

    // 2. Tag a few mentions. Spans point into the original text, whatever
    //    the case, accents or spacing of the words found.
    let texts = [
        "@united lost my bag at ORD, third time this year",
        "Thanks @SouthwestAir for #DestinationDragons!",
        "Vol annulé par US AIRWAYS, quelle arnaque !",
        "Flight delayed 4 hours. @AmericanAir you are idiots",
    ];
    let created = parse_timestamp("2015-02-20T12:00:00Z")?;
    for (i, text) in texts.iter().enumerate() {
        let author = Author { handle: "traveller".into(), ..Author::default() };
        let mut mention = Mention::new(Platform::X, i.to_string(), *text, created, author);
        mention.workspace = "airlines".into();
        matcher.tag(&mut mention);
        println!("\n{text}");
        for tag in &mention.tags {
            let found: Vec<String> =
                tag.hits.iter().map(|h| format!("{:?} at {}..{}", &text[h.start..h.end], h.start, h.end)).collect();
            println!("  {:<12} {:<16} {}", tag.kind.as_str(), tag.watch, found.join(", "));
        }
        // What a search index stores for the mention.
        let fields = tag_fields(&mention.tags);
        println!("  indexed: watches={:?} kinds={:?}", fields.watches, fields.kinds);
    }

    // 3. Hot reload: every clone of the matcher sees the new watches at once.
    let mut changed = config.clone();
    if let Some(ws) = changed.workspaces.iter_mut().find(|w| w.name == "airlines") {
        if let Some(united) = ws.watches.iter_mut().find(|w| w.name == "united") {
            united.rule = Some("NOT (bag* OR luggage)".into());
        }
    }
    let clone = matcher.clone();
    matcher.reload(&changed)?;
    let author = Author { handle: "traveller".into(), ..Author::default() };
    let mut mention = Mention::new(Platform::X, "9", texts[0], created, author);
    mention.workspace = "airlines".into();
    clone.tag(&mut mention);
    let watches: Vec<&str> = mention.tags.iter().map(|t| t.watch.as_str()).collect();
    println!("\nafter reload, {:?} matches {watches:?}", texts[0]);
    Ok(())
}
