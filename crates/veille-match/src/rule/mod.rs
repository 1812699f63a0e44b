//! The rule language of watches.
//!
//! ```text
//! rule    := or
//! or      := and ("OR" and)*
//! and     := unary (["AND"] unary)*          adjacent operands are ANDed
//! unary   := "NOT" unary | near
//! near    := primary [("NEAR/n" | "NEAR/nf") primary]
//! primary := "(" or ")" | "\"phrase\"" | word | word* | field:value
//! ```
//!
//! `NOT` binds tightest, then `NEAR`, then `AND`, then `OR`. Operators are
//! upper case. `NEAR` takes terms, phrases or a parenthesised `OR` of them on
//! each side. Fields are `author:` (handle, `*` allowed at the end), `lang:`
//! (ISO 639 code) and `platform:` (`x`, `reddit`, ...).

mod lexer;
mod parser;

use veille_model::Platform;

pub(crate) use parser::parse;

/// Why a rule does not parse: the 1-based character position and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RuleError {
    pub(crate) position: usize,
    pub(crate) message: String,
}

impl RuleError {
    pub(crate) fn new(position: usize, message: impl Into<String>) -> RuleError {
        RuleError { position, message: message.into() }
    }
}

/// A parsed rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    Term(Atom),
    Field(Field),
    Not(Box<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
    /// Some hit of `left` and some hit of `right` at most `gap` words apart
    /// (`left` first when `ordered`).
    Near {
        left: Vec<Atom>,
        right: Vec<Atom>,
        gap: u32,
        ordered: bool,
    },
}

/// A word, wildcard or phrase of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Atom {
    /// The word or phrase as written, without quotes or the wildcard `*`.
    pub(crate) text: String,
    /// Whether it ended in `*` (any word starting with `text`).
    pub(crate) prefix: bool,
    /// 1-based character position in the rule.
    pub(crate) position: usize,
}

impl Atom {
    /// The atom as written in the rule, for tags.
    pub(crate) fn label(&self) -> String {
        if self.prefix {
            format!("{}*", self.text)
        } else {
            self.text.clone()
        }
    }
}

/// A test on a mention's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Field {
    /// The author's handle, lowercase, without `@`; a prefix when `prefix`.
    Author { handle: String, prefix: bool },
    /// The mention's language code.
    Lang(String),
    /// The platform.
    Platform(Platform),
}

impl Node {
    /// Whether the rule can only hold when one of its terms occurs, so it
    /// never needs evaluating on a mention without hits.
    pub(crate) fn needs_a_term(&self) -> bool {
        match self {
            Node::Term(_) | Node::Near { .. } => true,
            Node::Field(_) | Node::Not(_) => false,
            Node::And(items) => items.iter().any(Node::needs_a_term),
            Node::Or(items) => items.iter().all(Node::needs_a_term),
        }
    }
}
