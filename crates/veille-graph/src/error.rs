/// Why a graph could not be read, built or ranked.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// The edge list could not be read.
    #[error("cannot read edge list: {0}")]
    Read(#[from] std::io::Error),
    /// An edge-list line is not valid UTF-8.
    #[error("line {line}: not valid UTF-8")]
    NotUtf8 {
        /// 1-based line number.
        line: u64,
    },
    /// An edge-list line has a source but no target.
    #[error("line {line}: expected `source<TAB>target[<TAB>weight]`, found no target")]
    MissingTarget {
        /// 1-based line number.
        line: u64,
    },
    /// An edge-list line has an empty source or target.
    #[error("line {line}: the {field} node name is empty")]
    EmptyNode {
        /// 1-based line number.
        line: u64,
        /// `source` or `target`.
        field: &'static str,
    },
    /// An edge-list weight is not a finite number at least 0.
    #[error("line {line}: weight `{value}` is not a finite number at least 0")]
    BadWeight {
        /// 1-based line number.
        line: u64,
        /// The text found in the weight column.
        value: String,
    },
    /// An edge-list line has more than three columns.
    #[error("line {line}: expected at most 3 tab-separated columns, found {columns}")]
    ExtraColumns {
        /// 1-based line number.
        line: u64,
        /// How many columns the line has.
        columns: usize,
    },
    /// An edge weight given in code is not a finite number at least 0.
    #[error("edge weight {0} is not a finite number at least 0")]
    InvalidWeight(f64),
    /// The damping factor is outside (0, 1).
    #[error("damping factor {0} must be strictly between 0 and 1")]
    InvalidDamping(f64),
    /// Power iteration did not reach the tolerance.
    #[error("PageRank did not converge within {max_iter} iterations (tolerance {tol} per node)")]
    NotConverged {
        /// The iteration budget.
        max_iter: usize,
        /// The per-node L1 tolerance.
        tol: f64,
    },
    /// A query window is not a positive whole number followed by `s`, `m`, `h`, `d` or `w`.
    #[error("window `{0}` is not a positive whole number followed by s, m, h, d or w (e.g. 24h)")]
    InvalidWindow(String),
    /// A graph setting breaks a rule.
    #[error(transparent)]
    InvalidSetting(#[from] veille_config::graph::InvalidGraphValue),
}
