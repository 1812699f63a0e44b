//! The mention schema: which fields exist, how each is analysed.

use tantivy::schema::{
    DateOptions, DateTimePrecision, Field, IndexRecordOption, JsonObjectOptions, NumericOptions, Schema,
    TextFieldIndexing, TextOptions, FAST, INDEXED, STORED,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer, TextAnalyzer,
};
use tantivy::Index;

use crate::stem::SnowballStemmer;

/// Tokenizer of the `text` and `title` fields: words, lower-cased, diacritics folded.
pub(crate) const TEXT_TOKENIZER: &str = "veille_text";
/// Tokenizer of `text_en`: as `text`, then the English stemmer.
pub(crate) const EN_TOKENIZER: &str = "veille_en";
/// Tokenizer of `text_fr`: as `text`, then the French stemmer.
pub(crate) const FR_TOKENIZER: &str = "veille_fr";
/// Tokenizer of keyword fields: the whole value, lower-cased.
pub(crate) const KEYWORD_TOKENIZER: &str = "keyword";

/// Name of the upsert-key field. An index without it was written before keys were scoped to
/// workspaces, and must be upgraded (see [`crate::upgrade`]).
pub(crate) const UID_FIELD: &str = "_uid";
/// Name of the indexing-order field (what the live stream follows).
pub(crate) const SEQ_FIELD: &str = "_seq";

/// Handles on every field of the mention schema.
#[derive(Debug, Clone)]
pub(crate) struct Fields {
    /// The upsert key, `workspace/platform:native_id` ([`veille_model::Mention::store_key`]).
    pub uid: Field,
    /// When the writer indexed the mention, microseconds since the epoch, increasing per writer.
    pub seq: Field,
    pub key: Field,
    pub workspace: Field,
    pub platform: Field,
    pub author: Field,
    pub author_id: Field,
    pub lang: Field,
    pub kind: Field,
    pub created_at: Field,
    pub ingested_at: Field,
    pub title: Field,
    pub text: Field,
    pub mentions: Field,
    pub hashtags: Field,
    pub followers: Field,
    pub likes: Field,
    pub reposts: Field,
    pub replies: Field,
    pub quotes: Field,
    pub engagement: Field,
    pub watch: Field,
    pub watch_kind: Field,
    pub sentiment: Field,
    pub sentiment_score: Field,
    pub key_node: Field,
    pub attrs: Field,
    pub source: Field,
}

pub(crate) fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let keyword = |fast: bool| {
        let o = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default().set_tokenizer(KEYWORD_TOKENIZER).set_index_option(IndexRecordOption::Basic),
        );
        if fast {
            o.set_fast(KEYWORD_TOKENIZER)
        } else {
            o
        }
    };
    let analysed = |tokenizer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    // Numbers and dates that only ranges read (times, scores, the indexing order) are fast fields
    // alone: tantivy answers a range from the fast field whether or not the terms are indexed, and
    // indexing them builds a term per document (a third of the term dictionary's work). An exact
    // value (`key_node:0.5`) is read as a range of one value (see `crate::query`).
    let date = DateOptions::default().set_fast().set_precision(DateTimePrecision::Seconds);
    let count = NumericOptions::default() | FAST | INDEXED;
    // The stemmed fields hold nothing since stemmed readings are answered from `text` at search
    // time (see `crate::stemmed`); they stay in the schema so that indexes written before read
    // alike, and so that their names stay known to the query parser.
    b.add_text_field("text_en", analysed(EN_TOKENIZER));
    b.add_text_field("text_fr", analysed(FR_TOKENIZER));
    let fields = Fields {
        uid: b.add_text_field(UID_FIELD, keyword(false)),
        seq: b.add_u64_field(SEQ_FIELD, NumericOptions::default() | FAST),
        key: b.add_text_field("key", keyword(false)),
        workspace: b.add_text_field("workspace", keyword(true)),
        platform: b.add_text_field("platform", keyword(true)),
        author: b.add_text_field("author", keyword(true)),
        author_id: b.add_text_field("author_id", keyword(false)),
        lang: b.add_text_field("lang", keyword(true)),
        kind: b.add_text_field("kind", keyword(true)),
        created_at: b.add_date_field("created_at", date.clone()),
        ingested_at: b.add_date_field("ingested_at", DateOptions::from(FAST).set_precision(DateTimePrecision::Seconds)),
        title: b.add_text_field("title", analysed(TEXT_TOKENIZER)),
        text: b.add_text_field("text", analysed(TEXT_TOKENIZER)),
        mentions: b.add_text_field("mentions", keyword(true)),
        hashtags: b.add_text_field("hashtags", keyword(true)),
        followers: b.add_u64_field("followers", count.clone()),
        likes: b.add_u64_field("likes", count.clone()),
        reposts: b.add_u64_field("reposts", count.clone()),
        replies: b.add_u64_field("replies", count.clone()),
        quotes: b.add_u64_field("quotes", count.clone()),
        engagement: b.add_u64_field("engagement", count),
        watch: b.add_text_field("watch", keyword(true)),
        watch_kind: b.add_text_field("watch_kind", keyword(true)),
        sentiment: b.add_text_field("sentiment", keyword(true)),
        sentiment_score: b.add_f64_field("sentiment_score", NumericOptions::default() | FAST),
        key_node: b.add_f64_field("key_node", NumericOptions::default() | FAST),
        attrs: b.add_json_field(
            "attrs",
            JsonObjectOptions::default()
                .set_indexing_options(
                    TextFieldIndexing::default()
                        .set_tokenizer(KEYWORD_TOKENIZER)
                        .set_index_option(IndexRecordOption::Basic),
                )
                .set_fast(KEYWORD_TOKENIZER),
        ),
        source: b.add_text_field("_source", TextOptions::default() | STORED),
    };
    (b.build(), fields)
}

/// Most threads one search or aggregation collects segments on.
const SEARCH_THREADS: usize = 4;

/// Makes searches and aggregations on `index` collect its segments in parallel, one thread per
/// core (up to [`SEARCH_THREADS`]): analytics over a million mentions span many segments.
pub(crate) fn search_in_parallel(index: &mut Index) -> tantivy::Result<()> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, SEARCH_THREADS);
    if threads > 1 {
        index.set_multithread_executor(threads)?;
    }
    Ok(())
}

/// Registers veille's analysers on an index (they are not persisted by tantivy).
pub(crate) fn register_tokenizers(index: &Index) {
    let words = || {
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
    };
    let tokenizers = index.tokenizers();
    tokenizers.register(TEXT_TOKENIZER, words().build());
    tokenizers.register(EN_TOKENIZER, words().filter(SnowballStemmer::new(frostem::Algorithm::English)).build());
    tokenizers.register(FR_TOKENIZER, words().filter(SnowballStemmer::new(frostem::Algorithm::French)).build());
    let keyword = || TextAnalyzer::builder(RawTokenizer::default()).filter(LowerCaser).build();
    tokenizers.register(KEYWORD_TOKENIZER, keyword());
    index.fast_field_tokenizer().register(KEYWORD_TOKENIZER, keyword());
}
