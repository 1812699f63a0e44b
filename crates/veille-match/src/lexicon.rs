//! The built-in lexicons, shipped as text files in `lexicons/`.

use veille_config::watch::Lexicon;

/// The terms of a built-in lexicon, in file order.
///
/// ```
/// use veille_config::watch::Lexicon;
/// let terms = veille_match::lexicon_terms(Lexicon::CrisisFr);
/// assert!(terms.contains(&"fuite de données"));
/// ```
pub fn lexicon_terms(lexicon: Lexicon) -> Vec<&'static str> {
    let text = match lexicon {
        Lexicon::CrisisEn => include_str!("../lexicons/crisis-en.txt"),
        Lexicon::CrisisFr => include_str!("../lexicons/crisis-fr.txt"),
        Lexicon::InsultsEn => include_str!("../lexicons/insults-en.txt"),
        Lexicon::InsultsFr => include_str!("../lexicons/insults-fr.txt"),
        Lexicon::HateEn => include_str!("../lexicons/hate-en.txt"),
        Lexicon::HateFr => include_str!("../lexicons/hate-fr.txt"),
        Lexicon::SexualEn => include_str!("../lexicons/sexual-en.txt"),
        Lexicon::SexualFr => include_str!("../lexicons/sexual-fr.txt"),
    };
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize;

    #[test]
    fn every_lexicon_has_terms_that_survive_normalisation() {
        for lexicon in Lexicon::ALL {
            let terms = lexicon_terms(lexicon);
            assert!(terms.len() >= 15, "{lexicon} has {} terms", terms.len());
            for t in terms {
                let body = t.strip_suffix('*').unwrap_or(t);
                assert!(!normalize(body).trim().is_empty(), "{lexicon}: `{t}`");
                assert!(!body.contains('*'), "{lexicon}: `{t}`");
            }
        }
    }

    #[test]
    fn the_issue_examples_are_in_the_crisis_lexicons() {
        let en = lexicon_terms(Lexicon::CrisisEn);
        for t in ["boycott", "recall", "scandal", "data leak"] {
            assert!(en.contains(&t), "{t}");
        }
        let fr = lexicon_terms(Lexicon::CrisisFr);
        for t in ["rappel", "scandale", "arnaque", "intoxication", "fuite de données"] {
            assert!(fr.contains(&t), "{t}");
        }
    }
}
