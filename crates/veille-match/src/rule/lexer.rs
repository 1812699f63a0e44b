//! Splits a rule into tokens, each with the character position it starts at.

use super::RuleError;

/// One token of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token {
    Open,
    Close,
    And,
    Or,
    Not,
    /// `NEAR/n` (`ordered` for `NEAR/nf`).
    Near {
        gap: u32,
        ordered: bool,
    },
    /// A `"quoted phrase"`, without the quotes.
    Phrase(String),
    /// A bare word, possibly ending in `*`, possibly `field:value`.
    Word(String),
}

impl Token {
    /// How the token reads in an error message.
    pub(crate) fn describe(&self) -> String {
        match self {
            Token::Open => "`(`".into(),
            Token::Close => "`)`".into(),
            Token::And => "`AND`".into(),
            Token::Or => "`OR`".into(),
            Token::Not => "`NOT`".into(),
            Token::Near { gap, ordered } => {
                format!("`NEAR/{gap}{}`", if *ordered { "f" } else { "" })
            }
            Token::Phrase(p) => format!("\"{p}\""),
            Token::Word(w) => format!("`{w}`"),
        }
    }
}

/// A token and its 1-based character position in the rule.
pub(crate) type Spanned = (Token, usize);

/// Tokenises `rule`. Operators are upper case; lower-case `and`, `or` and
/// `not` are ordinary words.
pub(crate) fn tokenize(rule: &str) -> Result<Vec<Spanned>, RuleError> {
    let chars: Vec<char> = rule.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let position = i + 1;
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            tokens.push((Token::Open, position));
            i += 1;
        } else if c == ')' {
            tokens.push((Token::Close, position));
            i += 1;
        } else if c == '"' {
            let close = chars[i + 1..]
                .iter()
                .position(|&q| q == '"')
                .ok_or_else(|| RuleError::new(position, "this quote is never closed"))?;
            let phrase: String = chars[i + 1..i + 1 + close].iter().collect();
            if phrase.trim().is_empty() {
                return Err(RuleError::new(position, "empty phrase"));
            }
            tokens.push((Token::Phrase(phrase.trim().to_string()), position));
            i += close + 2;
        } else {
            let start = i;
            while i < chars.len() && !chars[i].is_whitespace() && !matches!(chars[i], '(' | ')' | '"') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            tokens.push((classify(word, position)?, position));
        }
    }
    Ok(tokens)
}

fn classify(word: String, position: usize) -> Result<Token, RuleError> {
    Ok(match word.as_str() {
        "AND" => Token::And,
        "OR" => Token::Or,
        "NOT" => Token::Not,
        _ if word == "NEAR" || word.starts_with("NEAR/") => near(&word, position)?,
        _ => {
            if let Some(star) = word.char_indices().position(|(_, c)| c == '*') {
                if star + 1 != word.chars().count() {
                    return Err(RuleError::new(position + star, "a wildcard `*` may only end a word"));
                }
                if star < 2 {
                    return Err(RuleError::new(position + star, "a wildcard needs at least two characters before `*`"));
                }
            }
            Token::Word(word)
        }
    })
}

fn near(word: &str, position: usize) -> Result<Token, RuleError> {
    let bad = || RuleError::new(position, format!("`{word}` is not `NEAR/n` or `NEAR/nf` with n a number of words"));
    let spec = word.strip_prefix("NEAR/").ok_or_else(bad)?;
    let (digits, ordered) = match spec.strip_suffix('f') {
        Some(d) => (d, true),
        None => (spec, false),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let gap = digits.parse::<u32>().map_err(|_| bad())?;
    Ok(Token::Near { gap, ordered })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_their_character_positions() {
        let t = tokenize("é (a OR \"b c\") NEAR/3f de*").unwrap();
        let positions: Vec<usize> = t.iter().map(|(_, p)| *p).collect();
        assert_eq!(positions, vec![1, 3, 4, 6, 9, 14, 16, 24]);
        assert_eq!(t[6].0, Token::Near { gap: 3, ordered: true });
        assert_eq!(t[7].0, Token::Word("de*".into()));
    }

    #[test]
    fn lexical_mistakes_point_at_their_character() {
        assert_eq!(tokenize("a \"open").unwrap_err().position, 3);
        assert_eq!(tokenize("a NEAR/x b").unwrap_err().position, 3);
        assert_eq!(tokenize("a NEAR b").unwrap_err().position, 3);
        assert_eq!(tokenize("NEARLY").unwrap()[0].0, Token::Word("NEARLY".into()));
        assert_eq!(tokenize("ab *c").unwrap_err().position, 4);
        assert_eq!(tokenize("ab c*d").unwrap_err().position, 5);
        assert_eq!(tokenize("x \"  \"").unwrap_err().position, 3);
    }
}
