//! Language identification for short social posts.
//!
//! Trigram statistics (`whatlang`) restricted to the languages a deployment
//! listens to: on a tweet, choosing between English and French is far more
//! reliable than choosing among seventy languages. Links, @handles and the
//! `#` of hashtags are removed first, since they belong to no language.

use whatlang::{Detector, Lang};

use crate::error::SentimentError;

/// ISO 639-1 code ↔ the detector's language.
const CODES: &[(&str, Lang)] = &[
    ("af", Lang::Afr),
    ("ak", Lang::Aka),
    ("am", Lang::Amh),
    ("ar", Lang::Ara),
    ("az", Lang::Aze),
    ("be", Lang::Bel),
    ("bg", Lang::Bul),
    ("bn", Lang::Ben),
    ("ca", Lang::Cat),
    ("cs", Lang::Ces),
    ("cy", Lang::Cym),
    ("da", Lang::Dan),
    ("de", Lang::Deu),
    ("el", Lang::Ell),
    ("en", Lang::Eng),
    ("eo", Lang::Epo),
    ("es", Lang::Spa),
    ("et", Lang::Est),
    ("fa", Lang::Pes),
    ("fi", Lang::Fin),
    ("fr", Lang::Fra),
    ("gu", Lang::Guj),
    ("he", Lang::Heb),
    ("hi", Lang::Hin),
    ("hr", Lang::Hrv),
    ("hu", Lang::Hun),
    ("hy", Lang::Hye),
    ("id", Lang::Ind),
    ("it", Lang::Ita),
    ("ja", Lang::Jpn),
    ("jv", Lang::Jav),
    ("ka", Lang::Kat),
    ("km", Lang::Khm),
    ("kn", Lang::Kan),
    ("ko", Lang::Kor),
    ("la", Lang::Lat),
    ("lt", Lang::Lit),
    ("lv", Lang::Lav),
    ("mk", Lang::Mkd),
    ("ml", Lang::Mal),
    ("mr", Lang::Mar),
    ("my", Lang::Mya),
    ("nb", Lang::Nob),
    ("ne", Lang::Nep),
    ("nl", Lang::Nld),
    ("or", Lang::Ori),
    ("pa", Lang::Pan),
    ("pl", Lang::Pol),
    ("pt", Lang::Por),
    ("ro", Lang::Ron),
    ("ru", Lang::Rus),
    ("si", Lang::Sin),
    ("sk", Lang::Slk),
    ("sl", Lang::Slv),
    ("sn", Lang::Sna),
    ("sr", Lang::Srp),
    ("sv", Lang::Swe),
    ("ta", Lang::Tam),
    ("te", Lang::Tel),
    ("th", Lang::Tha),
    ("tk", Lang::Tuk),
    ("tl", Lang::Tgl),
    ("tr", Lang::Tur),
    ("uk", Lang::Ukr),
    ("ur", Lang::Urd),
    ("uz", Lang::Uzb),
    ("vi", Lang::Vie),
    ("yi", Lang::Yid),
    ("zh", Lang::Cmn),
    ("zu", Lang::Zul),
];

/// Finds the language of a post among the languages a deployment expects.
#[derive(Debug, Clone)]
pub struct LanguageDetector {
    detector: Detector,
    single: Option<&'static str>,
}

impl Default for LanguageDetector {
    /// English and French.
    fn default() -> Self {
        LanguageDetector::new(&["en", "fr"]).unwrap_or_else(|e| panic!("{e}"))
    }
}

impl LanguageDetector {
    /// A detector choosing among `langs` (ISO 639-1 codes).
    pub fn new<S: AsRef<str>>(langs: &[S]) -> Result<Self, SentimentError> {
        let mut allowed = Vec::with_capacity(langs.len());
        for code in langs {
            let code = code.as_ref();
            let lang =
                CODES.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).ok_or_else(|| SentimentError::Config {
                    key: "languages".into(),
                    reason: format!("`{code}` is not a language code the detector knows"),
                })?;
            allowed.push(lang);
        }
        if allowed.is_empty() {
            return Err(SentimentError::Config {
                key: "languages".into(),
                reason: "name at least one language".into(),
            });
        }
        let single = match allowed.as_slice() {
            [only] => Some(code_of(*only)),
            _ => None,
        };
        Ok(LanguageDetector { detector: Detector::with_allowlist(allowed), single })
    }

    /// The ISO 639-1 code of the language `text` is written in, or `None`
    /// when it holds no letters to judge by.
    pub fn detect(&self, text: &str) -> Option<&'static str> {
        let letters = strip_non_language(text);
        if !letters.chars().any(char::is_alphabetic) {
            return None;
        }
        if let Some(only) = self.single {
            return Some(only);
        }
        self.detector.detect_lang(&letters).map(code_of)
    }
}

fn code_of(lang: Lang) -> &'static str {
    CODES.iter().find(|(_, l)| *l == lang).map_or("und", |(c, _)| *c)
}

/// The text without links and @handles, and hashtags without their `#`.
fn strip_non_language(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if word.starts_with('@') || word.starts_with("http://") || word.starts_with("https://") {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word.trim_start_matches('#'));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_posts_are_told_apart_in_english_and_french() {
        let detector = LanguageDetector::default();
        assert_eq!(detector.detect("I love this phone so much"), Some("en"));
        assert_eq!(detector.detect("Je n'aime pas du tout ce téléphone"), Some("fr"));
        assert_eq!(detector.detect("@acme merci pour votre aide https://t.co/x"), Some("fr"));
        assert_eq!(detector.detect("@acme 👍 https://t.co/x 123"), None);
    }

    #[test]
    fn unknown_codes_are_rejected() {
        let e = LanguageDetector::new(&["en", "xx"]).unwrap_err();
        assert!(e.to_string().contains("`xx`"), "{e}");
        assert!(LanguageDetector::new::<&str>(&[]).is_err());
    }

    #[test]
    fn every_code_maps_back_to_itself() {
        for (code, lang) in CODES {
            assert_eq!(code_of(*lang), *code);
        }
    }
}
