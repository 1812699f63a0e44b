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

/// Reads the airline CSV: the `text` column, labelled by `airline_sentiment`.
///
/// Rows whose label is not `negative`, `neutral` or `positive` (some rows of
/// the published file have shifted fields) are skipped and counted.
pub fn read_airline_csv(path: &Path) -> Result<LabelledTexts, SentimentError> {
    let csv_error = |reason: String| SentimentError::Csv { path: PathBuf::from(path), reason };
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_path(path).map_err(|e| csv_error(e.to_string()))?;
    let headers = reader.headers().map_err(|e| csv_error(e.to_string()))?.clone();
    let column =
        |name: &str| headers.iter().position(|h| h == name).ok_or_else(|| csv_error(format!("no `{name}` column")));
    let (label_col, text_col) = (column("airline_sentiment")?, column("text")?);
    let mut data = LabelledTexts::default();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(e.to_string()))?;
        let label = match record.get(label_col) {
            Some("negative") => SentimentLabel::Negative,
            Some("neutral") => SentimentLabel::Neutral,
            Some("positive") => SentimentLabel::Positive,
            _ => {
                data.skipped += 1;
                continue;
            }
        };
        data.texts.push(record.get(text_col).unwrap_or_default().to_string());
        data.labels.push(label);
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_drop_only_the_final_line_end() {
        assert_eq!(lines("a\r\nb\n").collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(lines("a\n\nb").collect::<Vec<_>>(), ["a", "", "b"]);
        assert_eq!(lines("").count(), 0);
        assert_eq!(lines("\n").collect::<Vec<_>>(), [""]);
    }
}
