//! Reading NAB's layout: `DIR/<category>/<file>.csv` and the label windows.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;

use super::score::LabelWindow;
use crate::error::Error;

/// One NAB data file: its rows and its label windows.
#[derive(Debug, Clone, PartialEq)]
pub struct NabFile {
    /// The category (the data file's folder), e.g. `realTweets`.
    pub category: String,
    /// The file name, e.g. `Twitter_volume_AAPL.csv`.
    pub name: String,
    /// The windows file's key for it: `<category>/<name>`.
    pub key: String,
    /// Row timestamps.
    pub timestamps: Vec<NaiveDateTime>,
    /// Row values.
    pub values: Vec<f64>,
    /// Its label windows, in time order.
    pub windows: Vec<LabelWindow>,
    /// Timestamps and values as written, for results files.
    raw: Vec<(String, String)>,
}

impl NabFile {
    /// Row times in Unix seconds (NAB timestamps are read as UTC).
    pub fn unix_times(&self) -> Vec<i64> {
        self.timestamps.iter().map(|t| t.and_utc().timestamp()).collect()
    }

    /// The timestamp and value of row `i` as the file wrote them.
    pub(crate) fn raw_row(&self, i: usize) -> (&str, &str) {
        self.raw.get(i).map_or(("", ""), |(t, v)| (t.as_str(), v.as_str()))
    }
}

/// The data files of a NAB-style folder with their label windows.
#[derive(Debug, Clone, PartialEq)]
pub struct NabCorpus {
    /// The files, by category then name.
    pub files: Vec<NabFile>,
}

/// Where the label windows of `data_dir` are by default: NAB's
/// `labels/combined_windows.json` in it, or beside it when `data_dir` is one category.
pub fn default_windows(data_dir: &Path) -> PathBuf {
    let inside = data_dir.join("labels/combined_windows.json");
    if inside.is_file() {
        return inside;
    }
    match data_dir.parent() {
        Some(parent) if parent.join("labels/combined_windows.json").is_file() => {
            parent.join("labels/combined_windows.json")
        }
        _ => inside,
    }
}

impl NabCorpus {
    /// Reads every data file under `data_dir` and its windows from `windows_file`.
    ///
    /// `data_dir` is either NAB's data folder (one subfolder per category,
    /// holding the CSV files; folders without CSV files, such as `labels`, are
    /// skipped) or a single category folder. Each file's windows are under the
    /// key `<category>/<file name>`; a file without a key is an error.
    pub fn load(data_dir: &Path, windows_file: &Path) -> Result<Self, Error> {
        let windows = read_windows(windows_file)?;
        let mut groups: Vec<(String, Vec<PathBuf>)> = Vec::new();
        let top = csv_files(data_dir)?;
        if top.is_empty() {
            let mut dirs = Vec::new();
            for entry in fs::read_dir(data_dir).map_err(|e| Error::io(data_dir, e))? {
                let path = entry.map_err(|e| Error::io(data_dir, e))?.path();
                if path.is_dir() {
                    dirs.push(path);
                }
            }
            dirs.sort();
            for dir in dirs {
                let files = csv_files(&dir)?;
                if !files.is_empty() {
                    groups.push((file_name(&dir), files));
                }
            }
        } else {
            groups.push((file_name(data_dir), top));
        }
        if groups.is_empty() {
            return Err(Error::NoData(data_dir.to_path_buf()));
        }
        let mut files = Vec::new();
        for (category, paths) in groups {
            for path in paths {
                files.push(read_data_file(&path, &category, &windows, windows_file)?);
            }
        }
        Ok(NabCorpus { files })
    }

    /// The categories, in order.
    pub fn categories(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.files.iter().map(|f| f.category.as_str()).collect();
        out.dedup();
        out
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string()
}

fn parse_time(text: &str) -> Option<NaiveDateTime> {
    let t = text.trim();
    NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f"))
        .ok()
}

/// NAB's windows file: data path → list of `[start, end]` timestamp pairs.
fn read_windows(path: &Path) -> Result<BTreeMap<String, Vec<LabelWindow>>, Error> {
    let text = fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let bad = |reason: String| Error::Windows { path: path.to_path_buf(), reason };
    let raw: BTreeMap<String, Vec<Vec<String>>> =
        serde_json::from_str(&text).map_err(|e| bad(format!("not NAB label windows: {e}")))?;
    let mut out = BTreeMap::new();
    for (key, pairs) in raw {
        let mut windows = Vec::with_capacity(pairs.len());
        for pair in pairs {
            let [start, end] = pair.as_slice() else {
                return Err(bad(format!("`{key}`: a window is not a [start, end] pair")));
            };
            let parse = |s: &str| parse_time(s).ok_or_else(|| bad(format!("`{key}`: `{s}` is not a timestamp")));
            windows.push(LabelWindow { start: parse(start)?, end: parse(end)? });
        }
        out.insert(key, windows);
    }
    Ok(out)
}

fn csv_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn read_data_file(
    path: &Path,
    category: &str,
    windows: &BTreeMap<String, Vec<LabelWindow>>,
    windows_file: &Path,
) -> Result<NabFile, Error> {
    let name = file_name(path);
    let key = format!("{category}/{name}");
    let file_windows = windows
        .get(&key)
        .cloned()
        .ok_or_else(|| Error::MissingWindows { file: key.clone(), windows: windows_file.to_path_buf() })?;
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_path(path).map_err(|e| match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::io(path, io),
        other => Error::Data { path: path.to_path_buf(), line: 1, reason: format!("{other:?}") },
    })?;
    let data_error = |line: u64, reason: String| Error::Data { path: path.to_path_buf(), line, reason };
    let headers = reader.headers().map_err(|e| data_error(1, e.to_string()))?.clone();
    let column = |wanted: &str| headers.iter().position(|h| h.trim() == wanted);
    let (Some(ts_col), Some(value_col)) = (column("timestamp"), column("value")) else {
        return Err(data_error(1, "the header needs `timestamp` and `value` columns".into()));
    };
    let mut file = NabFile {
        category: category.to_string(),
        name,
        key,
        timestamps: Vec::new(),
        values: Vec::new(),
        windows: file_windows,
        raw: Vec::new(),
    };
    for (i, record) in reader.records().enumerate() {
        let line = i as u64 + 2;
        let record = record.map_err(|e| data_error(line, e.to_string()))?;
        let ts = record.get(ts_col).unwrap_or_default();
        let value = record.get(value_col).unwrap_or_default();
        let t = parse_time(ts).ok_or_else(|| data_error(line, format!("`{ts}` is not a timestamp")))?;
        let v: f64 = value.trim().parse().map_err(|_| data_error(line, format!("`{value}` is not a number")))?;
        if !v.is_finite() {
            return Err(data_error(line, format!("`{value}` is not a finite number")));
        }
        file.timestamps.push(t);
        file.values.push(v);
        file.raw.push((ts.to_string(), value.to_string()));
    }
    Ok(file)
}
