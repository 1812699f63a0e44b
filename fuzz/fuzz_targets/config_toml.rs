//! The config loader over any TOML text: a config or an error naming file and key, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veille_config::Config;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match Config::from_toml_str(text, "fuzz.toml") {
        Ok(mut config) => {
            let _ = config.validate("fuzz.toml");
            let _ = config.apply_env([("VEILLE_SERVER_LISTEN".to_string(), "127.0.0.1:1".to_string())]);
        }
        Err(e) => assert!(e.to_string().starts_with("fuzz.toml"), "error does not name the file: {e}"),
    }
});
