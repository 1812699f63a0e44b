//! Recursive-descent parser from tokens to [`Node`]s.

use super::lexer::{tokenize, Spanned, Token};
use super::{Atom, Field, Node, RuleError};
use veille_model::Platform;

/// Deepest nesting of parentheses and `NOT`s accepted.
const MAX_DEPTH: usize = 64;

/// Parses a rule; errors carry the 1-based character position at fault.
pub(crate) fn parse(rule: &str) -> Result<Node, RuleError> {
    let tokens = tokenize(rule)?;
    if tokens.is_empty() {
        return Err(RuleError::new(1, "the rule is empty"));
    }
    let mut parser = Parser { tokens, at: 0, end: rule.chars().count() + 1, depth: 0 };
    let node = parser.or("")?;
    if let Some((token, position)) = parser.peek() {
        return Err(RuleError::new(position, format!("unexpected {}", token.describe())));
    }
    Ok(node)
}

struct Parser {
    tokens: Vec<Spanned>,
    at: usize,
    end: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<(Token, usize)> {
        self.tokens.get(self.at).cloned()
    }

    fn advance(&mut self) {
        self.at += 1;
    }

    fn descend(&mut self, position: usize) -> Result<(), RuleError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(RuleError::new(position, format!("nested deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    fn or(&mut self, after: &str) -> Result<Node, RuleError> {
        let mut items = vec![self.and(after)?];
        while let Some((Token::Or, _)) = self.peek() {
            self.advance();
            items.push(self.and("`OR`")?);
        }
        Ok(if items.len() == 1 { items.remove(0) } else { Node::Or(items) })
    }

    fn and(&mut self, after: &str) -> Result<Node, RuleError> {
        let mut items = vec![self.unary(after)?];
        loop {
            match self.peek() {
                Some((Token::And, _)) => {
                    self.advance();
                    items.push(self.unary("`AND`")?);
                }
                Some((Token::Open | Token::Phrase(_) | Token::Word(_) | Token::Not, _)) => {
                    items.push(self.unary("")?);
                }
                _ => break,
            }
        }
        Ok(if items.len() == 1 { items.remove(0) } else { Node::And(items) })
    }

    fn unary(&mut self, after: &str) -> Result<Node, RuleError> {
        if let Some((Token::Not, position)) = self.peek() {
            self.advance();
            self.descend(position)?;
            let inner = self.unary("`NOT`")?;
            self.depth -= 1;
            return Ok(Node::Not(Box::new(inner)));
        }
        self.near(after)
    }

    fn near(&mut self, after: &str) -> Result<Node, RuleError> {
        let left_at = self.peek().map_or(self.end, |(_, p)| p);
        let left = self.primary(after)?;
        let Some((token @ Token::Near { gap, ordered }, _)) = self.peek() else {
            return Ok(left);
        };
        self.advance();
        let right_at = self.peek().map_or(self.end, |(_, p)| p);
        let right = self.primary(&token.describe())?;
        if let Some((next @ Token::Near { .. }, position)) = self.peek() {
            return Err(RuleError::new(
                position,
                format!("{} cannot follow another NEAR: a NEAR takes terms or phrases on each side", next.describe()),
            ));
        }
        Ok(Node::Near { left: near_operand(left, left_at)?, right: near_operand(right, right_at)?, gap, ordered })
    }

    fn primary(&mut self, after: &str) -> Result<Node, RuleError> {
        let context = if after.is_empty() { String::new() } else { format!(" after {after}") };
        let Some((token, position)) = self.peek() else {
            return Err(RuleError::new(
                self.end,
                format!("expected a term, a phrase, a field or `(`{context}, but the rule ends"),
            ));
        };
        match token {
            Token::Open => {
                self.advance();
                self.descend(position)?;
                let inner = self.or("`(`")?;
                self.depth -= 1;
                match self.peek() {
                    Some((Token::Close, _)) => {
                        self.advance();
                        Ok(inner)
                    }
                    Some((other, at)) => Err(RuleError::new(
                        at,
                        format!("expected `)` to close the `(` at character {position}, found {}", other.describe()),
                    )),
                    None => Err(RuleError::new(position, "this `(` is never closed")),
                }
            }
            Token::Phrase(text) => {
                self.advance();
                Ok(Node::Term(Atom { text, prefix: false, position }))
            }
            Token::Word(word) => {
                self.advance();
                word_node(word, position)
            }
            other => Err(RuleError::new(
                position,
                format!("expected a term, a phrase, a field or `(`{context}, found {}", other.describe()),
            )),
        }
    }
}

fn near_operand(node: Node, position: usize) -> Result<Vec<Atom>, RuleError> {
    let mismatch =
        || RuleError::new(position, "NEAR takes a term, a phrase or a parenthesised OR of them on each side");
    match node {
        Node::Term(atom) => Ok(vec![atom]),
        Node::Or(items) => items
            .into_iter()
            .map(|item| match item {
                Node::Term(atom) => Ok(atom),
                _ => Err(mismatch()),
            })
            .collect(),
        _ => Err(mismatch()),
    }
}

fn word_node(word: String, position: usize) -> Result<Node, RuleError> {
    if let Some((name, value)) = word.split_once(':') {
        let value_at = position + name.chars().count() + 1;
        let known = matches!(name, "author" | "lang" | "platform");
        if !known && !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(RuleError::new(
                position,
                format!(
                    "unknown field `{name}:` (fields are author:, lang: and platform:); quote a term that holds `:`"
                ),
            ));
        }
        if known {
            if value.is_empty() {
                return Err(RuleError::new(value_at, format!("`{name}:` needs a value")));
            }
            return field(name, value, value_at).map(Node::Field);
        }
    }
    let (text, prefix) = match word.strip_suffix('*') {
        Some(body) => (body.to_string(), true),
        None => (word, false),
    };
    Ok(Node::Term(Atom { text, prefix, position }))
}

fn field(name: &str, value: &str, value_at: usize) -> Result<Field, RuleError> {
    match name {
        "author" => {
            let handle = value.strip_prefix('@').unwrap_or(value);
            let (handle, prefix) = match handle.strip_suffix('*') {
                Some(h) => (h, true),
                None => (handle, false),
            };
            if handle.is_empty() {
                return Err(RuleError::new(value_at, "`author:` needs a handle"));
            }
            Ok(Field::Author { handle: crate::normalize(handle), prefix })
        }
        "lang" => {
            let code = value.to_ascii_lowercase();
            if !(2..=3).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_lowercase()) {
                return Err(RuleError::new(value_at, format!("`{value}` is not a language code like `en` or `fr`")));
            }
            Ok(Field::Lang(code))
        }
        _ => value.parse::<Platform>().map(Field::Platform).map_err(|e| RuleError::new(value_at, e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(text: &str, position: usize) -> Node {
        Node::Term(Atom { text: text.into(), prefix: false, position })
    }

    fn error_at(rule: &str) -> usize {
        parse(rule).unwrap_err().position
    }

    #[test]
    fn not_binds_tighter_than_and_which_binds_tighter_than_or() {
        assert_eq!(
            parse("a OR b AND NOT c").unwrap(),
            Node::Or(vec![term("a", 1), Node::And(vec![term("b", 6), Node::Not(Box::new(term("c", 16)))]),])
        );
    }

    #[test]
    fn adjacent_operands_are_anded() {
        assert_eq!(parse("apple \"new phone\"").unwrap(), Node::And(vec![term("apple", 1), term("new phone", 7)]));
    }

    #[test]
    fn near_takes_terms_or_groups_of_terms() {
        let rule = parse("(delay OR late) NEAR/3f flight*").unwrap();
        let Node::Near { left, right, gap, ordered } = rule else {
            panic!("not a NEAR: {rule:?}");
        };
        assert_eq!((left.len(), gap, ordered), (2, 3, true));
        assert!(right[0].prefix);
        assert_eq!(right[0].label(), "flight*");
    }

    #[test]
    fn fields_are_checked_when_parsed() {
        assert_eq!(parse("platform:twitter").unwrap(), Node::Field(Field::Platform(Platform::X)));
        assert_eq!(
            parse("author:@Delta*").unwrap(),
            Node::Field(Field::Author { handle: "delta".into(), prefix: true })
        );
        assert_eq!(error_at("a AND lang:english"), 12);
        assert_eq!(error_at("a AND platform:myspace"), 16);
        assert_eq!(error_at("a AND autor:x"), 7);
    }

    #[test]
    fn syntax_errors_point_at_the_character_that_fails() {
        assert_eq!(error_at(""), 1);
        assert_eq!(error_at("a AND"), 6);
        assert_eq!(error_at("a OR OR b"), 6);
        assert_eq!(error_at("(a OR b"), 1);
        assert_eq!(error_at("a OR b)"), 7);
        assert_eq!(error_at("(a b c NOT)"), 11);
        assert_eq!(error_at("(a AND b) NEAR/2 c"), 1);
        assert_eq!(error_at("a NEAR/2 b NEAR/2 c"), 12);
        assert_eq!(error_at("a NEAR/2 NOT b"), 10);
        assert!(parse("a AND").unwrap_err().message.contains("after `AND`, but the rule ends"));
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("{}a{}", "(".repeat(100), ")".repeat(100));
        assert_eq!(error_at(&deep), 65);
        let nots = format!("{}a", "NOT ".repeat(100));
        assert!(parse(&nots).is_err());
    }
}
