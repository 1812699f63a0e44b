//! ASCII folding for French lexicon keys: "très" and "tres" are one entry.
//!
//! The French reference strips accents from its lexicon keys and from the
//! word it looks up (not from the neighbouring words it inspects for
//! negations and boosters). Folding here follows the same transliteration
//! for Latin letters, ligatures and typographic punctuation: decomposed
//! accents are dropped, ligatures are spelled out and curly quotes become
//! straight ones. Characters of other scripts are kept as they are, so they
//! never match a (Latin) lexicon key.

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// Spelling of the characters that have no ASCII decomposition.
fn spelled(c: char) -> Option<&'static str> {
    Some(match c {
        'œ' => "oe",
        'Œ' => "OE",
        'æ' => "ae",
        'Æ' => "AE",
        'ß' => "ss",
        'ẞ' => "SS",
        'ø' => "o",
        'Ø' => "O",
        'ð' | 'đ' => "d",
        'Ð' | 'Đ' => "D",
        'þ' => "th",
        'Þ' => "Th",
        'ł' | 'ŀ' => "l",
        'Ł' | 'Ŀ' => "L",
        'ı' => "i",
        'ŋ' => "ng",
        'Ŋ' => "NG",
        'ħ' => "h",
        'Ħ' => "H",
        'ʼ' | '’' | '‘' | '‛' | '´' | '′' => "'",
        '‚' | '¸' => ",",
        '“' | '”' | '‟' | '¨' | '″' => "\"",
        '„' => ",,",
        '«' => "<<",
        '»' => ">>",
        '‹' => "<",
        '›' => ">",
        '‐' | '‑' | '‒' | '–' | '−' => "-",
        '—' | '―' => "--",
        '…' => "...",
        '€' => "EUR",
        '£' => "PS",
        '°' => "deg",
        '©' => "(c)",
        '®' => "(r)",
        '™' => "(tm)",
        '×' => "x",
        '÷' => "/",
        '¡' => "!",
        '¿' => "?",
        'µ' => "u",
        '¢' => "C/",
        '¥' => "Y=",
        '§' => "SS",
        '¶' => "P",
        '·' | '•' => "*",
        '≤' => "<=",
        '≥' => ">=",
        _ => return None,
    })
}

/// Appends the ASCII folding of `word` to `out`.
pub(crate) fn push_folded(word: &str, out: &mut String) {
    if word.is_ascii() {
        out.push_str(word);
        return;
    }
    for c in word.chars() {
        if c.is_ascii() {
            out.push(c);
        } else if let Some(s) = spelled(c) {
            out.push_str(s);
        } else {
            let mark = out.len();
            let mut ok = true;
            decompose_compatible(c, |d| {
                if d.is_ascii() {
                    out.push(d);
                } else if let Some(s) = spelled(d) {
                    out.push_str(s);
                } else if !is_combining_mark(d) {
                    ok = false;
                }
            });
            if !ok {
                out.truncate(mark);
                out.push(c);
            }
        }
    }
}

/// The ASCII folding of `word`.
pub(crate) fn folded(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    push_folded(word, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_are_dropped_and_ligatures_spelled_out() {
        assert_eq!(folded("très"), "tres");
        assert_eq!(folded("cœur"), "coeur");
        assert_eq!(folded("ÉTÉ"), "ETE");
        assert_eq!(folded("ça"), "ca");
        assert_eq!(folded("aujourd’hui"), "aujourd'hui");
        assert_eq!(folded("«top»"), "<<top>>");
        assert_eq!(folded("ǆ"), "dz");
    }

    #[test]
    fn other_scripts_are_kept() {
        assert_eq!(folded("ночь"), "ночь");
        assert_eq!(folded("½"), "½");
    }
}
