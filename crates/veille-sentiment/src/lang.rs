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
//!
//! Before both, when the deployment listens to English and French only, the
//! commonest function words decide the posts they make plain: a post with at
//! least two words that only English uses that often (`the`, `my`, `was`) and
//! none that only French does (`les`, `est`, `pour`), or the other way round,
//! is of that language. Most posts are, and reading their words costs a
//! tenth of the n-gram model; mixed and short posts go on to the detectors.

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
    /// Whether function words may decide (every configured language has a list of them).
    function_words: bool,
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
        let function_words = allowed.len() > 1 && allowed.iter().all(|l| matches!(l, Lang::Eng | Lang::Fra));
        Ok(LanguageDetector { detector: Detector::with_allowlist(allowed), fast, single, function_words })
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
        if self.function_words {
            if let Some(code) = by_function_words(text) {
                return Some(code);
            }
        }
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

/// `code` as the static name veille knows the language by, when it knows it.
pub(crate) fn static_code(code: &str) -> Option<&'static str> {
    CODES.iter().find(|(c, _)| *c == code).map(|(c, _)| *c)
}

fn code_of(lang: Lang) -> &'static str {
    CODES.iter().find(|(_, l)| *l == lang).map_or("und", |(c, _)| *c)
}

/// Whether `word` (lower-case ASCII) is a function word common in English and not in French.
fn english_only(word: &[u8]) -> bool {
    matches!(
        word,
        b"the"
            | b"and"
            | b"to"
            | b"you"
            | b"is"
            | b"my"
            | b"for"
            | b"of"
            | b"it"
            | b"this"
            | b"that"
            | b"with"
            | b"was"
            | b"are"
            | b"have"
            | b"not"
            | b"but"
            | b"what"
            | b"just"
            | b"your"
            | b"they"
            | b"can"
            | b"why"
            | b"been"
            | b"from"
            | b"will"
            | b"would"
            | b"how"
            | b"be"
            | b"we"
            | b"at"
            | b"so"
            | b"all"
            | b"when"
            | b"our"
            | b"their"
            | b"there"
            | b"about"
            | b"has"
            | b"had"
            | b"were"
            | b"i"
            | b"its"
            | b"get"
            | b"got"
            | b"if"
            | b"who"
            | b"any"
            | b"now"
            | b"out"
            | b"up"
            | b"than"
            | b"by"
    )
}

/// Whether `word` (lower-case ASCII) is a function word common in French and not in English.
/// Words English writes too (`la`, `des`, `son`, `plus`, `pour`, `me`, `a`, `on`, `an`) are not.
fn french_only(word: &[u8]) -> bool {
    matches!(
        word,
        b"le"
            | b"les"
            | b"du"
            | b"et"
            | b"est"
            | b"une"
            | b"un"
            | b"pas"
            | b"je"
            | b"que"
            | b"qui"
            | b"dans"
            | b"sur"
            | b"avec"
            | b"ce"
            | b"cette"
            | b"il"
            | b"elle"
            | b"nous"
            | b"vous"
            | b"mais"
            | b"ou"
            | b"au"
            | b"aux"
            | b"sont"
            | b"tout"
            | b"mon"
            | b"mes"
            | b"ses"
            | b"leur"
            | b"aussi"
            | b"comme"
            | b"rien"
            | b"quand"
            | b"ils"
            | b"ne"
            | b"avoir"
            | b"fait"
            | b"ai"
            | b"suis"
            | b"nos"
            | b"votre"
            | b"vos"
            | b"sans"
            | b"chez"
            | b"encore"
            | b"toujours"
            | b"merci"
            | b"bien"
            | b"tous"
    )
}

/// The language of `text` when its function words make it plain (see the module docs). Reads
/// bytes: a word is a run of ASCII letters and digits; parts with other characters are no
/// function word.
fn by_function_words(text: &str) -> Option<&'static str> {
    let (mut english, mut french) = (0u32, 0u32);
    // Letters English does not write make a post that reads as English mixed: the detectors decide.
    let mut other_letters = false;
    let mut buf = [0u8; 8];
    for word in text.as_bytes().split(u8::is_ascii_whitespace) {
        if word.first() == Some(&b'@') || word.starts_with(b"http://") || word.starts_with(b"https://") {
            continue;
        }
        let ascii = word.is_ascii();
        if !ascii {
            other_letters |=
                std::str::from_utf8(word).is_ok_and(|w| w.chars().any(|c| !c.is_ascii() && c.is_alphabetic()));
        }
        for part in word.split(|b| b.is_ascii() && !b.is_ascii_alphanumeric()) {
            if part.is_empty() || part.len() > buf.len() || (!ascii && !part.is_ascii()) {
                continue;
            }
            let lower = &mut buf[..part.len()];
            lower.copy_from_slice(part);
            lower.make_ascii_lowercase();
            english += u32::from(english_only(lower));
            french += u32::from(french_only(lower));
        }
    }
    match (english, french) {
        (e, 0) if e >= 2 && !other_letters => Some("en"),
        (0, f) if f >= 2 => Some("fr"),
        _ => None,
    }
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
    fn function_words_decide_plain_posts_only() {
        assert_eq!(by_function_words("@united my bag was lost, thanks for nothing"), Some("en"));
        assert_eq!(by_function_words("Le vol est encore en retard @airfrance"), Some("fr"));
        // Both languages' words, or too few: the detectors decide.
        assert_eq!(by_function_words("the vol est annulé"), None);
        assert_eq!(by_function_words("Merci beaucoup"), None);
        assert_eq!(by_function_words("LA to Des Moines"), None);
        assert_eq!(by_function_words("https://the.and/to @the_and"), None);
        assert_eq!(by_function_words("L'îlot d'ashdawai is out! Stories via @user"), None, "mixed");
        let detector = LanguageDetector::new(&["en", "de"]).unwrap();
        assert!(!detector.function_words, "German has no list: the detectors decide");
    }

    /// The rule of [`by_function_words`], read the slow way: word by word, character by character.
    fn by_function_words_slowly(text: &str) -> Option<&'static str> {
        let words: Vec<&str> = text
            .split_ascii_whitespace()
            .filter(|w| !w.starts_with('@') && !w.starts_with("http://") && !w.starts_with("https://"))
            .collect();
        let other_letters = words.iter().any(|w| w.chars().any(|c| !c.is_ascii() && c.is_alphabetic()));
        let parts: Vec<String> = words
            .iter()
            .flat_map(|w| w.split(|c: char| c.is_ascii() && !c.is_ascii_alphanumeric()))
            .filter(|p| p.is_ascii() && !p.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        let english = parts.iter().filter(|p| english_only(p.as_bytes())).count();
        let french = parts.iter().filter(|p| french_only(p.as_bytes())).count();
        match (english, french) {
            (e, 0) if e >= 2 && !other_letters => Some("en"),
            (0, f) if f >= 2 => Some("fr"),
            _ => None,
        }
    }

    proptest::proptest! {
        #[test]
        fn function_words_are_read_as_the_rule_says(
            words in proptest::collection::vec(
                "(the|my|WAS|for|le|Est|pour|vous|été|très|@the|https://le.fr|café|[a-zA-Z]{1,9}|[!?,.'’]|👍)",
                0..16,
            ),
            glue in "[ \t\n,.!]{1,2}",
        ) {
            let text = words.join(&glue);
            proptest::prop_assert_eq!(by_function_words(&text), by_function_words_slowly(&text), "{}", text);
        }
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
