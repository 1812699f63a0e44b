//! From a query in tantivy's syntax to the query run on the index, with stemmed readings.
//!
//! tantivy's parser reads the query; veille only replaces what reads text through a stemmer (a
//! word or phrase in the default fields, or in `text_en` / `text_fr`) with a [`StemmedQuery`],
//! which finds the words of each stem when the search runs (see [`crate::stemmed`]). Those parts
//! of the query are given to the parser as placeholders, terms of the `_uid` field that no
//! query can write (they start with a control character, which queries may not hold), and
//! swapped for the stemmed readings in the query it builds. So every other rule of the syntax
//! (operators, default conjunction, fields, ranges, sets) stays the parser's own. An exact value
//! of a number or date field that is not indexed (`key_node:0.5`) is read as a range of one value.

use tantivy::query::{BooleanQuery, BoostQuery, EmptyQuery, Occur, Query, QueryParser, QueryParserError, TermQuery};
use tantivy::query_grammar::{Delimiter, UserInputAst, UserInputBound, UserInputLeaf, UserInputLiteral};
use tantivy::schema::{Field, IndexRecordOption, Type};
use tantivy::Term;

use crate::schema::{self, Fields};
use crate::stemmed::{StemLanguage, StemmedQuery};
use crate::MentionIndex;

/// First character of a placeholder term: a control character, refused in user queries.
const PLACEHOLDER: char = '\u{1}';

/// The stemming fields and their languages.
const STEMMED_FIELDS: [(&str, StemLanguage); 2] =
    [("text_en", StemLanguage::English), ("text_fr", StemLanguage::French)];

/// Reads `query` (which must hold no control character) for `index`: the default fields are
/// `text` and `title`, each word and phrase there also read through the English and French
/// stemmers; terms are joined by AND unless told otherwise.
pub(crate) fn parse(index: &MentionIndex, query: &str) -> Result<Box<dyn Query>, QueryParserError> {
    let ast = tantivy::query_grammar::parse_query(query).map_err(|_| QueryParserError::SyntaxError(query.into()))?;
    let mut parser = QueryParser::for_index(&index.index, vec![index.fields.text, index.fields.title]);
    parser.set_conjunction_by_default();
    Reader { index, parser: &parser }.build(ast)
}

struct Reader<'a> {
    index: &'a MentionIndex,
    parser: &'a QueryParser,
}

impl Reader<'_> {
    fn fields(&self) -> &Fields {
        &self.index.fields
    }

    /// The query of `ast`, stemmed readings included.
    fn build(&self, ast: UserInputAst) -> Result<Box<dyn Query>, QueryParserError> {
        let mut placed = Vec::new();
        let marked = self.mark(ast, &mut placed)?;
        let built = self.parser.build_query_from_user_input_ast(marked)?;
        Ok(self.substitute(built, &placed))
    }

    /// `ast` with each part veille reads itself replaced by a placeholder for `placed[k]`.
    fn mark(&self, ast: UserInputAst, placed: &mut Vec<Box<dyn Query>>) -> Result<UserInputAst, QueryParserError> {
        Ok(match ast {
            UserInputAst::Clause(children) => {
                let mut marked = Vec::with_capacity(children.len());
                for (occur, child) in children {
                    match child {
                        // `a AND NOT b` reaches here as `+a +(-b)`, whose second clause alone
                        // matches nothing: what is meant is `+a -b`.
                        UserInputAst::Clause(inner)
                            if occur != Some(Occur::Should)
                                && !inner.is_empty()
                                && inner.iter().all(|(o, _)| *o == Some(Occur::MustNot)) =>
                        {
                            for (o, c) in inner {
                                marked.push((o, self.mark(c, placed)?));
                            }
                        }
                        child => marked.push((occur, self.mark(child, placed)?)),
                    }
                }
                UserInputAst::Clause(marked)
            }
            // tantivy's boost hides the query it wraps: build the wrapped query here.
            UserInputAst::Boost(inner, boost) => {
                let query = Box::new(BoostQuery::new(self.build(*inner)?, boost.into_inner() as f32));
                place(query, placed)
            }
            UserInputAst::Leaf(leaf) => match *leaf {
                // An exact value of a number or date that is a fast field alone: a range of one value.
                UserInputLeaf::Literal(literal) if self.fast_only(literal.field_name.as_deref()) => {
                    let value = literal.phrase;
                    UserInputAst::Leaf(Box::new(UserInputLeaf::Range {
                        field: literal.field_name,
                        lower: UserInputBound::Inclusive(value.clone()),
                        upper: UserInputBound::Inclusive(value),
                    }))
                }
                UserInputLeaf::Literal(literal) => match self.literal(literal)? {
                    Ok(query) => place(query, placed),
                    Err(literal) => UserInputAst::Leaf(Box::new(UserInputLeaf::Literal(literal))),
                },
                UserInputLeaf::Set { field, elements } => match field.as_deref().and_then(stem_language) {
                    Some(language) => {
                        let readings = elements.iter().filter_map(|e| self.stemmed(language, e, 0));
                        let query = BooleanQuery::new(readings.map(|q| (Occur::Should, q)).collect());
                        place(Box::new(query), placed)
                    }
                    None => UserInputAst::Leaf(Box::new(UserInputLeaf::Set { field, elements })),
                },
                other => UserInputAst::Leaf(Box::new(other)),
            },
        })
    }

    /// Whether `field` is a number or date field kept as a fast field only (not indexed).
    fn fast_only(&self, field: Option<&str>) -> bool {
        let schema = self.index.index.schema();
        let Some(entry) = field.and_then(|f| schema.get_field(f).ok()).map(|f| schema.get_field_entry(f)) else {
            return false;
        };
        let numeric = matches!(entry.field_type().value_type(), Type::U64 | Type::I64 | Type::F64 | Type::Date);
        numeric && entry.is_fast() && !entry.is_indexed()
    }

    /// The query of a literal veille reads itself, or the literal back for the parser.
    fn literal(&self, literal: UserInputLiteral) -> Result<Result<Box<dyn Query>, UserInputLiteral>, QueryParserError> {
        match literal.field_name.as_deref() {
            // A word or phrase of the default fields: as written, or through either stemmer.
            None if !literal.prefix => {
                let (phrase, slop) = (literal.phrase.clone(), literal.slop);
                let words = self.parser.build_query_from_user_input_ast(leaf(literal))?;
                let mut readings = vec![(Occur::Should, words)];
                for (_, language) in STEMMED_FIELDS {
                    if let Some(q) = self.stemmed(language, &phrase, slop) {
                        readings.push((Occur::Should, q));
                    }
                }
                Ok(Ok(Box::new(BooleanQuery::new(readings))))
            }
            Some(field) => match stem_language(field) {
                Some(language) if literal.prefix => {
                    // A phrase prefix: the words as written, in mentions of the language.
                    let words = UserInputLiteral { field_name: Some("text".into()), ..literal };
                    let words = self.parser.build_query_from_user_input_ast(leaf(words))?;
                    Ok(Ok(Box::new(BooleanQuery::new(vec![
                        (Occur::Must, words),
                        (Occur::Must, self.in_language(language)),
                    ]))))
                }
                Some(language) => Ok(Ok(self
                    .stemmed(language, &literal.phrase, literal.slop)
                    .unwrap_or_else(|| Box::new(EmptyQuery)))),
                None => Ok(Err(literal)),
            },
            None => Ok(Err(literal)),
        }
    }

    /// The stemmed reading of `phrase` in `language`, or `None` when it has no words.
    fn stemmed(&self, language: StemLanguage, phrase: &str, slop: u32) -> Option<Box<dyn Query>> {
        let tokenizer = match language {
            StemLanguage::English => schema::EN_TOKENIZER,
            StemLanguage::French => schema::FR_TOKENIZER,
        };
        let mut analyzer = self.index.index.tokenizers().get(tokenizer)?;
        let f = self.fields();
        StemmedQuery::new(self.index.stems.clone(), language, f.text, f.lang, &mut analyzer, phrase, slop)
            .map(|q| Box::new(q) as Box<dyn Query>)
    }

    fn in_language(&self, language: StemLanguage) -> Box<dyn Query> {
        let term = Term::from_field_text(self.fields().lang, language.code());
        Box::new(TermQuery::new(term, IndexRecordOption::Basic))
    }

    /// `query` with its placeholders replaced by what they stand for.
    fn substitute(&self, query: Box<dyn Query>, placed: &[Box<dyn Query>]) -> Box<dyn Query> {
        if let Some(k) = query.downcast_ref::<TermQuery>().and_then(|t| placeholder(self.fields().uid, t.term())) {
            if let Some(q) = placed.get(k) {
                return q.box_clone();
            }
        }
        if let Some(b) = query.downcast_ref::<BooleanQuery>() {
            let clauses = b.clauses().iter().map(|(o, q)| (*o, self.substitute(q.box_clone(), placed))).collect();
            let mut rebuilt = BooleanQuery::new(clauses);
            rebuilt.set_minimum_number_should_match(b.get_minimum_number_should_match());
            return Box::new(rebuilt);
        }
        query
    }
}

/// The stemming language of a field name (`text_en`, `text_fr`).
fn stem_language(field: &str) -> Option<StemLanguage> {
    STEMMED_FIELDS.iter().find(|(name, _)| *name == field).map(|(_, l)| *l)
}

fn leaf(literal: UserInputLiteral) -> UserInputAst {
    UserInputAst::Leaf(Box::new(UserInputLeaf::Literal(literal)))
}

/// Puts `query` in `placed` and returns the placeholder that stands for it.
fn place(query: Box<dyn Query>, placed: &mut Vec<Box<dyn Query>>) -> UserInputAst {
    placed.push(query);
    leaf(UserInputLiteral {
        field_name: Some(schema::UID_FIELD.into()),
        phrase: format!("{PLACEHOLDER}{}", placed.len() - 1),
        delimiter: Delimiter::None,
        slop: 0,
        prefix: false,
    })
}

/// The number of the placeholder `term` is, if it is one.
fn placeholder(uid: Field, term: &Term) -> Option<usize> {
    if term.field() != uid {
        return None;
    }
    term.value().as_str()?.strip_prefix(PLACEHOLDER)?.parse().ok()
}
