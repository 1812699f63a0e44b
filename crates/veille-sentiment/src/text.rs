//! Character classes and case rules exactly as the VADER reference applies them.
//!
//! The reference implementation is written against Python string semantics:
//! white space is Unicode white space plus the four ASCII information
//! separators, "all caps" means "has a cased letter and no lower-case or
//! title-case letter", and punctuation stripping only removes ASCII
//! punctuation. Parity depends on reproducing those rules, so they live here,
//! in one place, with fast paths for ASCII.

/// True for the characters the reference splits words on.
pub(crate) fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Trims reference white space from both ends.
pub(crate) fn trim(text: &str) -> &str {
    text.trim_matches(is_space)
}

/// Title-case letters (general category Lt): neither upper nor lower case,
/// but they make a word "not all caps".
fn is_titlecase(c: char) -> bool {
    matches!(c,
        '\u{01C5}' | '\u{01C8}' | '\u{01CB}' | '\u{01F2}'
        | '\u{1F88}'..='\u{1F8F}'
        | '\u{1F98}'..='\u{1F9F}'
        | '\u{1FA8}'..='\u{1FAF}'
        | '\u{1FBC}' | '\u{1FCC}' | '\u{1FFC}')
}

/// True when the word holds at least one cased letter and every cased letter
/// is upper case ("GREAT", "3D", ":D"; not "Great", not "123").
pub(crate) fn is_all_caps(word: &str) -> bool {
    if word.is_ascii() {
        let bytes = word.as_bytes();
        return bytes.iter().any(u8::is_ascii_uppercase) && !bytes.iter().any(u8::is_ascii_lowercase);
    }
    let mut cased = false;
    for c in word.chars() {
        if c.is_lowercase() || is_titlecase(c) {
            return false;
        }
        cased |= c.is_uppercase();
    }
    cased
}

/// Removes leading and trailing ASCII punctuation, unless that leaves two
/// characters or fewer (then the token was likely an emoticon and is kept whole).
pub(crate) fn strip_punctuation(token: &str) -> &str {
    let stripped = token.trim_matches(|c: char| c.is_ascii_punctuation());
    let short = if stripped.is_ascii() { stripped.len() <= 2 } else { stripped.chars().nth(2).is_none() };
    if short {
        token
    } else {
        stripped
    }
}

/// Appends the lower-case form of `word` to `out`.
pub(crate) fn push_lowercase(word: &str, out: &mut String) {
    if word.is_ascii() {
        out.extend(word.bytes().map(|b| char::from(b.to_ascii_lowercase())));
    } else if word.contains('Σ') {
        // The final-sigma rule needs the whole word as context.
        out.push_str(&word.to_lowercase());
    } else {
        for c in word.chars() {
            out.extend(c.to_lowercase());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_caps_needs_a_cased_letter_and_no_lower_case() {
        assert!(is_all_caps("GREAT"));
        assert!(is_all_caps(":D"));
        assert!(is_all_caps("3D"));
        assert!(is_all_caps("ÉTÉ"));
        assert!(!is_all_caps("Great"));
        assert!(!is_all_caps("123"));
        assert!(!is_all_caps(""));
        assert!(!is_all_caps("ǅA"));
    }

    #[test]
    fn punctuation_is_stripped_only_from_real_words() {
        assert_eq!(strip_punctuation("great!!"), "great");
        assert_eq!(strip_punctuation("(wow)"), "wow");
        assert_eq!(strip_punctuation(":)"), ":)");
        assert_eq!(strip_punctuation(":-D"), ":-D");
        assert_eq!(strip_punctuation("'ok'"), "'ok'");
        assert_eq!(strip_punctuation("«super»"), "«super»");
        assert_eq!(strip_punctuation("...été..."), "été");
        assert_eq!(strip_punctuation(".é."), ".é.");
    }

    #[test]
    fn information_separators_are_white_space() {
        assert!(is_space('\u{1f}'));
        assert!(is_space('\u{a0}'));
        assert!(!is_space('\u{200b}'));
        assert_eq!(trim("\u{1c} hi \u{3000}"), "hi");
    }

    #[test]
    fn lowercase_applies_final_sigma() {
        let mut out = String::new();
        push_lowercase("ΟΔΟΣ", &mut out);
        assert_eq!(out, "οδος");
        out.clear();
        push_lowercase("TRÈS", &mut out);
        assert_eq!(out, "très");
    }
}
