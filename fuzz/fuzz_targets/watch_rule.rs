//! The watch rule language: compiling any rule either fails with a message or gives a
//! matcher that tags mentions without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veille_config::Config;
use veille_match::Matcher;
use veille_model::{Author, Mention, Platform};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // The first line is the rule, the rest the mention text it is tried on.
    let (rule, sample) = text.split_once('\n').unwrap_or((text, text));
    let toml = format!(
        "[[workspaces]]\nname = \"default\"\n[[workspaces.watches]]\nname = \"w\"\nkind = \"brand\"\n\
         terms = [\"acme\", \"refund*\", \"Société Générale\"]\nrule = {}\n",
        veille_fuzz::toml_string(rule)
    );
    let Ok(config) = Config::from_toml_str(&toml, "fuzz.toml") else { return };
    let Ok(matcher) = Matcher::compile(&config) else { return };
    let author = Author { handle: "fuzzer".into(), ..Default::default() };
    let mut m = Mention::new(Platform::X, "1", sample, chrono::Utc::now(), author);
    let n = matcher.tag(&mut m);
    assert!(n <= 1, "one watch matched {n} times");
});
