//! Compiles the watches of one workspace into one automaton and rules.

use std::collections::HashMap;

use veille_config::{Watch, WorkspaceConfig};
use veille_model::WatchKind;

use crate::error::MatchError;
use crate::expr::Expr;
use crate::lexicon::lexicon_terms;
use crate::normalize;
use crate::rule::{self, Atom, Field, Node};
use crate::scan::Scanner;

/// How a pattern's occurrences are accepted.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    /// A wildcard: the hit runs to the end of the word.
    pub(crate) prefix: bool,
    /// Whether the hit must not touch a word character on either side.
    pub(crate) whole_word: bool,
    /// For case-sensitive watches, the text the original must start with.
    pub(crate) exact: Option<Box<str>>,
}

/// What an occurrence of a pattern means for one watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// One of the watch's terms.
    Term,
    /// One of the watch's exclusions: vetoes the watch.
    Exclude,
    /// A term its rule counts in favour of a match.
    Atom,
}

/// One use of a pattern by a watch.
#[derive(Debug, Clone)]
pub(crate) struct Use {
    pub(crate) watch: u32,
    pub(crate) role: Role,
    /// The term as configured, reported in tags.
    pub(crate) label: Box<str>,
}

/// A compiled watch.
#[derive(Debug, Clone)]
pub(crate) struct CompiledWatch {
    pub(crate) name: String,
    pub(crate) kind: WatchKind,
    pub(crate) has_terms: bool,
    pub(crate) rule: Option<Expr>,
    pub(crate) from_ms: Option<i64>,
    pub(crate) until_ms: Option<i64>,
}

/// The watches of one workspace, ready to tag mentions.
#[derive(Debug, Clone)]
pub(crate) struct Workspace {
    pub(crate) scanner: Option<Scanner>,
    pub(crate) patterns: Vec<Pattern>,
    /// Uses of pattern `p` are `uses[uses_start[p]..uses_start[p + 1]]`.
    pub(crate) uses_start: Vec<u32>,
    pub(crate) uses: Vec<Use>,
    pub(crate) watches: Vec<CompiledWatch>,
}

/// Patterns are shared between watches when they match the same way.
type PatternKey = (String, bool, bool, Option<Box<str>>);

struct Builder<'a> {
    workspace: &'a str,
    keys: HashMap<PatternKey, u32>,
    normalized: Vec<String>,
    patterns: Vec<Pattern>,
    uses: Vec<Vec<Use>>,
}

impl Workspace {
    /// Compiles every watch of `config`.
    pub(crate) fn compile(config: &WorkspaceConfig) -> Result<Workspace, MatchError> {
        let mut b = Builder {
            workspace: &config.name,
            keys: HashMap::new(),
            normalized: Vec::new(),
            patterns: Vec::new(),
            uses: Vec::new(),
        };
        let mut watches = Vec::with_capacity(config.watches.len());
        for (index, watch) in config.watches.iter().enumerate() {
            watches.push(b.watch(index as u32, watch)?);
        }
        let scanner = if b.normalized.is_empty() {
            None
        } else {
            let scanner = Scanner::build(&b.normalized)
                .map_err(|source| MatchError::Automaton { workspace: config.name.clone(), source })?;
            Some(scanner)
        };
        let mut uses_start = Vec::with_capacity(b.uses.len() + 1);
        let mut uses = Vec::new();
        for list in b.uses {
            uses_start.push(uses.len() as u32);
            uses.extend(list);
        }
        uses_start.push(uses.len() as u32);
        Ok(Workspace { scanner, patterns: b.patterns, uses_start, uses, watches })
    }

    /// The uses of pattern `p`, with their indices into `uses`.
    pub(crate) fn uses_of(&self, p: u32) -> impl Iterator<Item = (u32, &Use)> {
        let (from, to) = (self.uses_start[p as usize], self.uses_start[p as usize + 1]);
        (from..to).map(|u| (u, &self.uses[u as usize]))
    }

    /// How many distinct patterns the automaton holds.
    pub(crate) fn pattern_count(&self) -> usize {
        self.patterns.len()
    }
}

impl Builder<'_> {
    fn term_error(&self, watch: &Watch, field: &str, term: &str, reason: &str) -> MatchError {
        MatchError::Term {
            workspace: self.workspace.to_string(),
            watch: watch.name.clone(),
            field: field.to_string(),
            term: term.to_string(),
            reason: reason.to_string(),
        }
    }

    fn watch(&mut self, index: u32, watch: &Watch) -> Result<CompiledWatch, MatchError> {
        let from_ms = watch.from.map(|t| t.unix_millis());
        let until_ms = watch.until.map(|t| t.unix_millis());
        if let (Some(from), Some(until)) = (from_ms, until_ms) {
            if until <= from {
                return Err(MatchError::EmptyPeriod {
                    workspace: self.workspace.to_string(),
                    watch: watch.name.clone(),
                });
            }
        }
        let mut has_terms = false;
        let plain = [("terms", &watch.terms), ("aliases", &watch.aliases), ("misspellings", &watch.misspellings)];
        for (field, list) in plain {
            for term in list {
                self.configured(index, watch, field, term, term, Role::Term)?;
                has_terms = true;
            }
        }
        for (field, list, sigil) in [("handles", &watch.handles, '@'), ("hashtags", &watch.hashtags, '#')] {
            for term in list {
                let bare = term.trim().trim_start_matches(sigil);
                if bare.is_empty() || bare.contains(char::is_whitespace) {
                    return Err(self.term_error(watch, field, term, "must be one word"));
                }
                let label = format!("{sigil}{bare}");
                self.configured(index, watch, field, &label, &label, Role::Term)?;
                has_terms = true;
            }
        }
        for term in &watch.domains {
            let t = term.trim();
            let bare =
                t.strip_prefix("https://").or_else(|| t.strip_prefix("http://")).unwrap_or(t).trim_end_matches('/');
            if bare.is_empty() || bare.contains(char::is_whitespace) {
                return Err(self.term_error(watch, "domains", term, "is not a domain"));
            }
            self.configured(index, watch, "domains", bare, bare, Role::Term)?;
            has_terms = true;
        }
        for &lexicon in &watch.lexicons {
            if lexicon.kind() != watch.kind {
                return Err(MatchError::LexiconKind {
                    workspace: self.workspace.to_string(),
                    watch: watch.name.clone(),
                    lexicon: lexicon.to_string(),
                    expected: lexicon.kind(),
                    kind: watch.kind,
                });
            }
            for term in lexicon_terms(lexicon) {
                self.configured(index, watch, lexicon.as_str(), term, term, Role::Term)?;
                has_terms = true;
            }
        }
        for term in &watch.exclude {
            self.configured(index, watch, "exclude", term, term, Role::Exclude)?;
        }
        let rule = match &watch.rule {
            None => None,
            Some(text) => Some(self.rule(index, watch, text, has_terms)?),
        };
        if !has_terms && rule.is_none() {
            return Err(MatchError::NothingToFind { workspace: self.workspace.to_string(), watch: watch.name.clone() });
        }
        Ok(CompiledWatch { name: watch.name.clone(), kind: watch.kind, has_terms, rule, from_ms, until_ms })
    }

    /// Adds a configured term (`word`, `phrase` or `prefix*`).
    fn configured(
        &mut self,
        index: u32,
        watch: &Watch,
        field: &str,
        term: &str,
        label: &str,
        role: Role,
    ) -> Result<(), MatchError> {
        let term = term.trim();
        let (body, prefix) = match term.strip_suffix('*') {
            Some(body) => (body, true),
            None => (term, false),
        };
        if body.contains('*') {
            return Err(self.term_error(watch, field, term, "may only hold `*` at its end"));
        }
        if prefix && body.chars().count() < 2 {
            return Err(self.term_error(watch, field, term, "needs two characters before `*`"));
        }
        let p = self
            .pattern(watch, body, prefix)
            .ok_or_else(|| self.term_error(watch, field, term, "is empty once normalised"))?;
        self.uses[p as usize].push(Use { watch: index, role, label: label.trim().into() });
        Ok(())
    }

    /// The id of the pattern for `body`, added if new; `None` when it normalises to nothing.
    fn pattern(&mut self, watch: &Watch, body: &str, prefix: bool) -> Option<u32> {
        let normalized = normalize(body.trim()).trim().to_string();
        if normalized.is_empty() {
            return None;
        }
        let exact: Option<Box<str>> = watch.case_sensitive.then(|| body.trim().into());
        let key = (normalized, prefix, watch.whole_word, exact);
        if let Some(&p) = self.keys.get(&key) {
            return Some(p);
        }
        let p = self.patterns.len() as u32;
        self.normalized.push(key.0.clone());
        self.patterns.push(Pattern { prefix, whole_word: watch.whole_word, exact: key.3.clone() });
        self.uses.push(Vec::new());
        self.keys.insert(key, p);
        Some(p)
    }

    fn rule(&mut self, index: u32, watch: &Watch, text: &str, has_terms: bool) -> Result<Expr, MatchError> {
        let node = rule::parse(text).map_err(|e| self.rule_error(watch, e.position, e.message))?;
        if !has_terms && !node.needs_a_term() {
            return Err(MatchError::NothingToFind { workspace: self.workspace.to_string(), watch: watch.name.clone() });
        }
        self.expr(index, watch, &node, true)
    }

    fn rule_error(&self, watch: &Watch, position: usize, message: String) -> MatchError {
        MatchError::Rule { workspace: self.workspace.to_string(), watch: watch.name.clone(), position, message }
    }

    /// The pattern of a rule atom; `positive` atoms count in favour of a match
    /// (not under an odd number of `NOT`s), so their hits make the watch a
    /// candidate and are reported in its tags.
    fn atom(&mut self, index: u32, watch: &Watch, atom: &Atom, positive: bool) -> Result<u32, MatchError> {
        let p = self.pattern(watch, &atom.text, atom.prefix).ok_or_else(|| {
            self.rule_error(watch, atom.position, format!("`{}` is empty once normalised", atom.text))
        })?;
        if positive {
            self.uses[p as usize].push(Use { watch: index, role: Role::Atom, label: atom.label().into() });
        }
        Ok(p)
    }

    /// Converts a parsed rule, registering its atoms as patterns.
    fn expr(&mut self, index: u32, watch: &Watch, node: &Node, positive: bool) -> Result<Expr, MatchError> {
        Ok(match node {
            Node::Term(a) => Expr::Present(self.atom(index, watch, a, positive)?),
            Node::Near { left, right, gap, ordered } => {
                let ids = |atoms: &[Atom], b: &mut Self| {
                    atoms.iter().map(|a| b.atom(index, watch, a, positive)).collect::<Result<Box<[u32]>, MatchError>>()
                };
                Expr::Near { left: ids(left, self)?, right: ids(right, self)?, gap: *gap, ordered: *ordered }
            }
            Node::Field(Field::Author { handle, prefix }) => {
                Expr::Author { handle: handle.as_str().into(), prefix: *prefix }
            }
            Node::Field(Field::Lang(code)) => Expr::Lang(code.as_str().into()),
            Node::Field(Field::Platform(p)) => Expr::Platform(*p),
            Node::Not(inner) => Expr::Not(Box::new(self.expr(index, watch, inner, !positive)?)),
            Node::And(items) => {
                Expr::And(items.iter().map(|n| self.expr(index, watch, n, positive)).collect::<Result<_, _>>()?)
            }
            Node::Or(items) => {
                Expr::Or(items.iter().map(|n| self.expr(index, watch, n, positive)).collect::<Result<_, _>>()?)
            }
        })
    }
}
