//! How demanding a query is, measured from its text before it runs.
//!
//! tantivy cannot interrupt a search once started, so the API refuses queries that would
//! be too expensive before running them. The measure is lexical and deliberately
//! generous: it counts what makes a search costly (many clauses, terms that expand to many
//! index terms, deep nesting), not whether the query is valid.

/// The measured cost of a query in tantivy's syntax.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueryCost {
    /// Length of the query, in bytes.
    pub bytes: usize,
    /// Terms, phrases and ranges (boolean operators and field names excluded).
    pub clauses: usize,
    /// Clauses that expand to many index terms: wildcards (`*`, `?`), fuzzy terms (`~`),
    /// phrase prefixes (`"…"*`) and regular expressions (`/…/`). A bare `*` (everything) is free.
    pub expansions: usize,
    /// Deepest nesting of parentheses.
    pub depth: usize,
}

impl QueryCost {
    /// Measures `query`. Never fails: malformed queries are left for the parser to explain.
    pub fn of(query: &str) -> QueryCost {
        let mut cost = QueryCost { bytes: query.len(), ..QueryCost::default() };
        let mut depth = 0usize;
        let mut chars = query.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '(' => {
                    depth += 1;
                    cost.depth = cost.depth.max(depth);
                }
                ')' => depth = depth.saturating_sub(1),
                '"' => {
                    skip_until(&mut chars, '"');
                    cost.clauses += 1;
                    if chars.peek() == Some(&'*') {
                        cost.expansions += 1;
                    }
                }
                '[' | '{' => {
                    for c in chars.by_ref() {
                        if c == ']' || c == '}' {
                            break;
                        }
                    }
                    cost.clauses += 1;
                }
                '/' => {
                    skip_until(&mut chars, '/');
                    cost.clauses += 1;
                    cost.expansions += 1;
                }
                c if c.is_whitespace() || matches!(c, ']' | '}') => {}
                first => {
                    let mut word = String::from(first);
                    while let Some(&c) = chars.peek() {
                        if c.is_whitespace() || matches!(c, '(' | ')' | '"' | '[' | ']' | '{' | '}' | '/') {
                            break;
                        }
                        word.push(c);
                        chars.next();
                    }
                    cost.count_word(&word);
                }
            }
        }
        cost
    }

    fn count_word(&mut self, word: &str) {
        let word = word.trim_start_matches(['+', '-', '!']);
        if matches!(word, "" | "AND" | "OR" | "NOT" | "&&" | "||" | "*") {
            return;
        }
        // `field:` alone qualifies what follows; `field:value` is a clause on its value.
        let value = match word.split_once(':') {
            Some((_, value)) => value,
            None => word,
        };
        if value.is_empty() || value == "*" {
            return;
        }
        self.clauses += 1;
        if value.contains(['*', '?', '~']) {
            self.expansions += 1;
        }
    }
}

/// Consumes up to and including the next unescaped `end`.
fn skip_until(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, end: char) {
    let mut escaped = false;
    for c in chars.by_ref() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == end {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cost(q: &str) -> (usize, usize, usize) {
        let c = QueryCost::of(q);
        (c.clauses, c.expansions, c.depth)
    }

    #[test]
    fn plain_terms_and_phrases_are_clauses_operators_are_not() {
        assert_eq!(cost("acme AND refund OR NOT delay"), (3, 0, 0));
        assert_eq!(cost("\"flight delayed\" +acme -spam"), (3, 0, 0));
        assert_eq!(cost(""), (0, 0, 0));
        assert_eq!(cost("*"), (0, 0, 0));
    }

    #[test]
    fn fields_qualify_without_counting_and_ranges_count_once() {
        assert_eq!(cost("text:(a b c)"), (3, 0, 1));
        assert_eq!(cost("created_at:[2026-01-01T00:00:00Z TO 2026-02-01T00:00:00Z}"), (1, 0, 0));
        assert_eq!(cost("followers:>10000 platform:x"), (2, 0, 0));
        assert_eq!(cost("author:*"), (0, 0, 0));
    }

    #[test]
    fn wildcards_fuzzy_terms_prefix_phrases_and_regexes_are_expansions() {
        assert_eq!(cost("refund* colo?r acme~2"), (3, 3, 0));
        assert_eq!(cost("\"flight del\"* text:/a.*b/"), (2, 2, 0));
        assert_eq!(cost("\"a \\\" b\" c"), (2, 0, 0), "escaped quotes stay inside the phrase");
    }

    #[test]
    fn nesting_depth_is_the_deepest_open_parenthesis() {
        assert_eq!(cost("((a) OR (b AND (c)))").2, 3);
        assert_eq!(cost("))) a (((").2, 3);
        assert_eq!(cost(&"(".repeat(100)).2, 100);
    }

    #[test]
    fn bytes_are_the_query_length() {
        assert_eq!(QueryCost::of("société").bytes, "société".len());
    }

    proptest::proptest! {
        #[test]
        fn measuring_never_panics_and_stays_within_the_text(q in "\\PC{0,200}") {
            let c = QueryCost::of(&q);
            proptest::prop_assert!(c.clauses <= q.chars().count());
            proptest::prop_assert!(c.expansions <= c.clauses);
            proptest::prop_assert!(c.depth <= q.matches('(').count());
        }
    }
}
