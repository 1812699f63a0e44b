//! Language identification for short social posts.
//!
//! Two detectors, both restricted to the languages a deployment listens to
//! (on a tweet, choosing between English and French is far more reliable
//! than choosing among seventy languages):
//!
//! - `whichlang`, a linear model over hashed character n-grams that knows
//!   sixteen languages (Arabic, Chinese, Dutch, English, French, German,
//!   Hindi, Italian, Japanese, Korean, Portuguese, Russian, Spanish,
//!   Swedish, Turkish, Vietnamese) and reads a post without allocating, in
//!   well under a microsecond. When every configured language is one of
//!   those, it answers first.
//! - `whatlang` trigram statistics, restricted to the configured languages,
//!   for posts the first one gives to a language not configured, and for
//!   configurations with a language `whichlang` does not know.
//!
//! Links, @handles and the `#` of hashtags are removed first, since they
//! belong to no language.

use std::cell::RefCell;

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

/// ISO 639-1 code ↔ the fast detector's language.
const FAST_CODES: &[(&str, whichlang::Lang)] = &[
    ("ar", whichlang::Lang::Ara),
    ("de", whichlang::Lang::Deu),
    ("en", whichlang::Lang::Eng),
    ("es", whichlang::Lang::Spa),
    ("fr", whichlang::Lang::Fra),
    ("hi", whichlang::Lang::Hin),
    ("it", whichlang::Lang::Ita),
    ("ja", whichlang::Lang::Jpn),
    ("ko", whichlang::Lang::Kor),
    ("nl", whichlang::Lang::Nld),
    ("pt", whichlang::Lang::Por),
    ("ru", whichlang::Lang::Rus),
    ("sv", whichlang::Lang::Swe),
    ("tr", whichlang::Lang::Tur),
    ("vi", whichlang::Lang::Vie),
    ("zh", whichlang::Lang::Cmn),
];

/// Finds the language of a post among the languages a deployment expects.
#[derive(Debug, Clone)]
pub struct LanguageDetector {
    detector: Detector,
    /// The configured languages in the fast detector's terms, when it knows them all.
    fast: Option<Vec<(whichlang::Lang, &'static str)>>,
    single: Option<&'static str>,
}

thread_local! {
    /// The text being identified, without links and handles; kept between posts.
    static LETTERS: RefCell<String> = const { RefCell::new(String::new()) };
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
        let fast: Option<Vec<(whichlang::Lang, &'static str)>> = allowed
            .iter()
            .map(|lang| {
                let code = code_of(*lang);
                FAST_CODES.iter().find(|(c, _)| *c == code).map(|(c, l)| (*l, *c))
            })
            .collect();
        let single = match allowed.as_slice() {
            [only] => Some(code_of(*only)),
            _ => None,
        };
        Ok(LanguageDetector { detector: Detector::with_allowlist(allowed), fast, single })
    }

    /// The ISO 639-1 code of the language `text` is written in, or `None`
    /// when it holds no letters to judge by.
    pub fn detect(&self, text: &str) -> Option<&'static str> {
        LETTERS.with(|cell| match cell.try_borrow_mut() {
            Ok(mut letters) => self.detect_with(text, &mut letters),
            Err(_) => self.detect_with(text, &mut String::new()),
        })
    }

    fn detect_with(&self, text: &str, letters: &mut String) -> Option<&'static str> {
        strip_non_language(text, letters);
        if !letters.chars().any(char::is_alphabetic) {
            return None;
        }
        if let Some(only) = self.single {
            return Some(only);
        }
        if let Some(fast) = &self.fast {
            let found = whichlang::detect_language(letters);
            // English is written in ASCII letters: a post that holds others and reads as
            // English to the n-grams is mixed or short, and the trigram statistics decide.
            let doubtful = found == whichlang::Lang::Eng && letters.chars().any(|c| !c.is_ascii() && c.is_alphabetic());
            if let Some((_, code)) = fast.iter().find(|(lang, _)| *lang == found).filter(|_| !doubtful) {
                return Some(code);
            }
        }
        self.detector.detect_lang(letters).map(code_of)
    }
}

fn code_of(lang: Lang) -> &'static str {
    CODES.iter().find(|(_, l)| *l == lang).map_or("und", |(c, _)| *c)
}

/// Writes into `out` the text without links and @handles, and hashtags without their `#`.
fn strip_non_language(text: &str, out: &mut String) {
    out.clear();
    for word in text.split_whitespace() {
        if word.starts_with('@') || word.starts_with("http://") || word.starts_with("https://") {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word.trim_start_matches('#'));
    }
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
        for (code, _) in FAST_CODES {
            assert!(CODES.iter().any(|(c, _)| c == code), "{code}");
        }
    }

    #[test]
    fn languages_the_fast_detector_lacks_fall_back_to_trigrams() {
        let detector = LanguageDetector::new(&["en", "pl"]).unwrap();
        assert!(detector.fast.is_none());
        assert_eq!(detector.detect("Dziękuję bardzo za szybką pomoc"), Some("pl"));
        assert_eq!(detector.detect("Thank you so much for the quick help"), Some("en"));
    }

    #[test]
    fn posts_the_fast_detector_gives_to_other_languages_stay_among_the_configured_ones() {
        let detector = LanguageDetector::default();
        assert!(detector.fast.is_some());
        // German to the fast detector, which the deployment does not listen to.
        let answer = detector.detect("Vielen Dank für die schnelle Hilfe");
        assert!(matches!(answer, Some("en" | "fr")), "{answer:?}");
    }
}
