//! Labelled texts for training and evaluation.
//!
//! Two layouts are read: a pair of line files (one text per line, one label
//! per line, `0` negative, `1` neutral, `2` positive), and the Twitter US
//! airline CSV (`text` and `airline_sentiment` columns).

use std::path::{Path, PathBuf};

use veille_model::SentimentLabel;

use crate::error::SentimentError;

/// Texts with their human labels.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelledTexts {
    /// The texts.
    pub texts: Vec<String>,
    /// One label per text.
    pub labels: Vec<SentimentLabel>,
    /// Records left out because their label is not negative, neutral or positive.
    pub skipped: usize,
}

impl LabelledTexts {
    /// Pairs texts with labels; both must have the same length.
    pub fn new(texts: Vec<String>, labels: Vec<SentimentLabel>) -> Result<Self, SentimentError> {
        if texts.len() != labels.len() {
            return Err(SentimentError::LengthMismatch { texts: texts.len(), labels: labels.len() });
        }
        Ok(LabelledTexts { texts, labels, skipped: 0 })
    }

    /// Number of labelled texts.
    pub fn len(&self) -> usize {
        self.texts.len()
    }

    /// True when there is no labelled text.
    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// Appends every post of `other`.
    pub fn extend_all(&mut self, other: LabelledTexts) {
        self.texts.extend(other.texts);
        self.labels.extend(other.labels);
        self.skipped += other.skipped;
    }

    /// Appends the posts of `other` that are not already here (same
    /// [`duplicate_key`]), and returns how many were left out as
    /// duplicates. A post repeated with another label is left out too:
    /// the first label read stands.
    pub fn extend_unique(&mut self, other: LabelledTexts) -> usize {
        let mut seen: std::collections::HashSet<String> = self.texts.iter().map(|t| duplicate_key(t)).collect();
        let mut duplicates = 0;
        for (text, label) in other.texts.into_iter().zip(other.labels) {
            if seen.insert(duplicate_key(&text)) {
                self.texts.push(text);
                self.labels.push(label);
            } else {
                duplicates += 1;
            }
        }
        self.skipped += other.skipped;
        duplicates
    }
}

/// The form under which two posts count as the same post: `\uXXXX`
/// escapes decoded, typographic apostrophes as `'`, doubled quotes as one,
/// wrapping quotes dropped, lower case, white space collapsed. The same
/// tweet packaged by two data sets differs in exactly these ways.
pub fn duplicate_key(text: &str) -> String {
    let mut decoded = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("\\u") {
        decoded.push_str(&rest[..at]);
        match rest.get(at + 2..at + 6).and_then(|h| u32::from_str_radix(h, 16).ok()).and_then(char::from_u32) {
            Some(c) => {
                decoded.push(c);
                rest = &rest[at + 6..];
            }
            None => {
                decoded.push_str("\\u");
                rest = &rest[at + 2..];
            }
        }
    }
    decoded.push_str(rest);
    let decoded = decoded.replace("\"\"", "\"");
    let trimmed = decoded.trim();
    let inner = trimmed.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(trimmed);
    let mut key = String::with_capacity(inner.len());
    for word in inner.split_whitespace() {
        if !key.is_empty() {
            key.push(' ');
        }
        for c in word.chars() {
            let c = if matches!(c, '\u{2019}' | '\u{2018}') { '\'' } else { c };
            key.extend(c.to_lowercase());
        }
    }
    key
}

/// Weights that give each class of `labels` the same total, `total / 3`
/// (a class absent from `labels` gets nothing): added to other training
/// data, a set of another domain and class balance then weighs `total`
/// without shifting the classes' priors.
pub fn balanced_weights(labels: &[SentimentLabel], total: f32) -> Vec<f32> {
    let mut counts = [0usize; 3];
    labels.iter().for_each(|l| counts[label_index(*l)] += 1);
    labels.iter().map(|l| total / 3.0 / counts[label_index(*l)] as f32).collect()
}

/// The class index of a label: 0 negative, 1 neutral, 2 positive.
pub fn label_index(label: SentimentLabel) -> usize {
    match label {
        SentimentLabel::Negative => 0,
        SentimentLabel::Neutral => 1,
        SentimentLabel::Positive => 2,
    }
}

/// The label of a class index (0 negative, 1 neutral, 2 positive).
pub fn label_of_index(index: usize) -> Option<SentimentLabel> {
    [SentimentLabel::Negative, SentimentLabel::Neutral, SentimentLabel::Positive].get(index).copied()
}

fn read(path: &Path) -> Result<String, SentimentError> {
    std::fs::read_to_string(path).map_err(|source| SentimentError::Io { path: path.to_path_buf(), source })
}

/// The lines of `text`, without line ends; a final line end does not start
/// an empty line.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let body = (!text.is_empty()).then(|| text.strip_suffix('\n').unwrap_or(text));
    body.into_iter().flat_map(|body| body.split('\n')).map(|l| l.strip_suffix('\r').unwrap_or(l))
}

/// Reads one text per line.
pub fn read_texts(path: &Path) -> Result<Vec<String>, SentimentError> {
    Ok(lines(&read(path)?).map(str::to_string).collect())
}

/// Reads one label per line: `0` negative, `1` neutral, `2` positive.
pub fn read_labels(path: &Path) -> Result<Vec<SentimentLabel>, SentimentError> {
    lines(&read(path)?)
        .enumerate()
        .map(|(i, line)| {
            line.trim().parse::<usize>().ok().and_then(label_of_index).ok_or_else(|| SentimentError::Label {
                path: path.to_path_buf(),
                line: i + 1,
                reason: format!("`{line}` is not 0 (negative), 1 (neutral) or 2 (positive)"),
            })
        })
        .collect()
}

/// Reads a text file and its labels file.
pub fn read_labelled(texts: &Path, labels: &Path) -> Result<LabelledTexts, SentimentError> {
    LabelledTexts::new(read_texts(texts)?, read_labels(labels)?)
}

/// One labelled row of the airline CSV.
#[derive(Debug, Clone, PartialEq)]
pub struct AirlineRow {
    /// The tweet (`text`).
    pub text: String,
    /// The human label (`airline_sentiment`).
    pub label: SentimentLabel,
    /// The airline the tweet was collected for (`airline`).
    pub airline: String,
    /// The author's handle (`name`).
    pub author: String,
    /// When it was posted, as written (`tweet_created`: `2015-02-24 11:35:52 -0800`).
    pub created: String,
}

/// Reads the airline CSV's labelled rows, and how many rows were skipped
/// because their label is not `negative`, `neutral` or `positive` (some
/// rows of the published file have shifted fields).
pub fn read_airline_rows(path: &Path) -> Result<(Vec<AirlineRow>, usize), SentimentError> {
    let csv_error = |reason: String| SentimentError::Csv { path: PathBuf::from(path), reason };
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_path(path).map_err(|e| csv_error(e.to_string()))?;
    let headers = reader.headers().map_err(|e| csv_error(e.to_string()))?.clone();
    let column =
        |name: &str| headers.iter().position(|h| h == name).ok_or_else(|| csv_error(format!("no `{name}` column")));
    let (label_col, text_col) = (column("airline_sentiment")?, column("text")?);
    let optional = |name: &str| headers.iter().position(|h| h == name);
    let (airline_col, author_col, created_col) = (optional("airline"), optional("name"), optional("tweet_created"));
    let (mut rows, mut skipped) = (Vec::new(), 0);
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(e.to_string()))?;
        let label = match record.get(label_col) {
            Some("negative") => SentimentLabel::Negative,
            Some("neutral") => SentimentLabel::Neutral,
            Some("positive") => SentimentLabel::Positive,
            _ => {
                skipped += 1;
                continue;
            }
        };
        let field = |col: Option<usize>| col.and_then(|c| record.get(c)).unwrap_or_default().to_string();
        rows.push(AirlineRow {
            text: field(Some(text_col)),
            label,
            airline: field(airline_col),
            author: field(author_col),
            created: field(created_col),
        });
    }
    Ok((rows, skipped))
}

/// Reads the airline CSV: the `text` column, labelled by `airline_sentiment`.
///
/// Rows whose label is not `negative`, `neutral` or `positive` are skipped
/// and counted (see [`read_airline_rows`]).
pub fn read_airline_csv(path: &Path) -> Result<LabelledTexts, SentimentError> {
    let (rows, skipped) = read_airline_rows(path)?;
    let (texts, labels) = rows.into_iter().map(|r| (r.text, r.label)).unzip();
    Ok(LabelledTexts { texts, labels, skipped })
}

/// Reads posts rated for sentiment intensity by people, one per line as `id TAB mean rating TAB
/// text` (the layout of VADER's human-rated tweets and review snippets, ratings from −4 to +4),
/// and labels each by its mean rating: negative at `-band` or below, positive at `band` or
/// above, neutral between. Blank lines are skipped; a line without three fields or with a
/// rating that is not a number is an error naming the line.
pub fn read_rated(path: &Path, band: f64) -> Result<LabelledTexts, SentimentError> {
    let mut out = LabelledTexts::default();
    for (i, line) in lines(&read(path)?).enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |reason: String| SentimentError::Label { path: path.to_path_buf(), line: i + 1, reason };
        let mut fields = line.splitn(3, '\t');
        let (Some(_id), Some(rating), Some(text)) = (fields.next(), fields.next(), fields.next()) else {
            return Err(bad("expected `id TAB rating TAB text`".into()));
        };
        let rating: f64 = rating.trim().parse().map_err(|_| bad(format!("rating `{rating}` is not a number")))?;
        let label = if rating <= -band {
            SentimentLabel::Negative
        } else if rating >= band {
            SentimentLabel::Positive
        } else {
            SentimentLabel::Neutral
        };
        out.texts.push(text.to_string());
        out.labels.push(label);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_post_packaged_twice_is_kept_once() {
        use SentimentLabel::{Negative, Positive};
        assert_eq!(duplicate_key("\"I\\u2019m  OK\\u002c really\" "), duplicate_key("i’m ok, really"));
        assert_ne!(duplicate_key("ok"), duplicate_key("not ok"));
        let mut a = LabelledTexts::new(vec!["Great day".into()], vec![Positive]).unwrap();
        let b = LabelledTexts::new(vec!["great  day ".into(), "awful day".into()], vec![Positive, Negative]).unwrap();
        assert_eq!(a.extend_unique(b), 1);
        assert_eq!(a.texts, ["Great day", "awful day"]);
        assert_eq!(a.labels, [Positive, Negative]);
    }

    #[test]
    fn rated_posts_are_labelled_by_their_mean_rating() {
        use SentimentLabel::{Negative, Neutral, Positive};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rated.txt");
        std::fs::write(&path, "1\t2.7\tSo lucky.\r\n2\t-0.4\tMeh\tok\r\n\r\n3\t-1.0\tAwful.\r\n").unwrap();
        let rated = read_rated(&path, 1.0).unwrap();
        assert_eq!(rated.texts, ["So lucky.", "Meh\tok", "Awful."]);
        assert_eq!(rated.labels, [Positive, Neutral, Negative]);
        std::fs::write(&path, "1\t2.7\tfine\n2\tlots\tbad rating\n").unwrap();
        let error = read_rated(&path, 1.0).unwrap_err().to_string();
        assert!(error.contains(":2:") && error.contains("`lots`"), "{error}");
    }

    #[test]
    fn lines_drop_only_the_final_line_end() {
        assert_eq!(lines("a\r\nb\n").collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(lines("a\n\nb").collect::<Vec<_>>(), ["a", "", "b"]);
        assert_eq!(lines("").count(), 0);
        assert_eq!(lines("\n").collect::<Vec<_>>(), [""]);
    }
}
