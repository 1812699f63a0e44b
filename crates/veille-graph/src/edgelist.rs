//! Named, weighted, directed edge lists and their TSV form.

use std::collections::HashMap;
use std::io::BufRead;

use crate::error::GraphError;

/// A directed weighted graph given as named nodes and edges, the input of
/// [`pagerank`](crate::pagerank).
///
/// Nodes keep the order in which they first appear. Repeated edges are kept
/// side by side, so their weights add up (as in a networkx `MultiDiGraph`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EdgeList {
    names: Vec<String>,
    ids: HashMap<String, u32>,
    edges: Vec<(u32, u32, f64)>,
}

impl EdgeList {
    /// An empty graph.
    pub fn new() -> Self {
        EdgeList::default()
    }

    /// Reads `source<TAB>target[<TAB>weight]` lines; the weight defaults to 1.
    ///
    /// Blank lines and lines starting with `#` are skipped; a trailing `\r`
    /// is ignored. Node names are taken verbatim (not trimmed). Every other
    /// malformed line is an error that names it.
    pub fn read_tsv<R: BufRead>(mut reader: R) -> Result<Self, GraphError> {
        let mut list = EdgeList::new();
        let mut buf = Vec::new();
        let mut line_no = 0u64;
        loop {
            buf.clear();
            if reader.read_until(b'\n', &mut buf)? == 0 {
                break;
            }
            line_no += 1;
            let text = std::str::from_utf8(&buf).map_err(|_| GraphError::NotUtf8 { line: line_no })?;
            let text = text.strip_suffix('\n').unwrap_or(text);
            let text = text.strip_suffix('\r').unwrap_or(text);
            if text.trim().is_empty() || text.starts_with('#') {
                continue;
            }
            let (source, target, weight) = parse_line(text, line_no)?;
            let s = list.node(source);
            let t = list.node(target);
            list.edges.push((s, t, weight));
        }
        Ok(list)
    }

    /// Reads an edge list from TSV text; see [`EdgeList::read_tsv`].
    pub fn from_tsv_str(text: &str) -> Result<Self, GraphError> {
        EdgeList::read_tsv(text.as_bytes())
    }

    /// The id of node `name`, adding it (without edges) when it is new.
    pub fn node(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), id);
        id
    }

    /// Adds an edge `source → target`; the weight must be finite and at least 0.
    pub fn add_edge(&mut self, source: &str, target: &str, weight: f64) -> Result<(), GraphError> {
        if !(weight.is_finite() && weight >= 0.0) {
            return Err(GraphError::InvalidWeight(weight));
        }
        let s = self.node(source);
        let t = self.node(target);
        self.edges.push((s, t, weight));
        Ok(())
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.names.len()
    }

    /// Number of edges, repeated ones included.
    pub fn edge_count(&self) -> usize {
        self.edges.len()
    }

    /// Node names, by id.
    pub fn nodes(&self) -> &[String] {
        &self.names
    }

    /// The edges as `(source id, target id, weight)`.
    pub(crate) fn raw_edges(&self) -> &[(u32, u32, f64)] {
        &self.edges
    }

    /// The edges as `(source, target, weight)`, in insertion order.
    pub fn edges(&self) -> impl Iterator<Item = (&str, &str, f64)> + '_ {
        self.edges.iter().map(|&(s, t, w)| (self.names[s as usize].as_str(), self.names[t as usize].as_str(), w))
    }
}

fn parse_line(text: &str, line: u64) -> Result<(&str, &str, f64), GraphError> {
    let mut fields = text.split('\t');
    let source = fields.next().unwrap_or("");
    let Some(target) = fields.next() else {
        return Err(GraphError::MissingTarget { line });
    };
    let weight = fields.next();
    let extra = fields.count();
    if extra > 0 {
        return Err(GraphError::ExtraColumns { line, columns: 3 + extra });
    }
    for (field, name) in [("source", source), ("target", target)] {
        if name.is_empty() {
            return Err(GraphError::EmptyNode { line, field });
        }
    }
    let weight = match weight {
        None => 1.0,
        Some(w) => match w.trim().parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 => v,
            _ => return Err(GraphError::BadWeight { line, value: w.to_string() }),
        },
    };
    Ok((source, target, weight))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_weights_defaults_comments_and_crlf() {
        let g = EdgeList::from_tsv_str("# who\tmentions\na\tb\r\n\nb\tc\t2.5\na\tb\t0\n").unwrap();
        assert_eq!(g.nodes(), ["a", "b", "c"]);
        let edges: Vec<_> = g.edges().collect();
        assert_eq!(edges, [("a", "b", 1.0), ("b", "c", 2.5), ("a", "b", 0.0)]);
    }

    #[test]
    fn malformed_lines_are_errors_naming_the_line() {
        let cases = [
            ("a\tb\nlonely\n", "line 2: expected `source<TAB>target[<TAB>weight]`"),
            ("a\tb\tmany\n", "line 1: weight `many`"),
            ("a\tb\t-1\n", "line 1: weight `-1`"),
            ("a\tb\tNaN\n", "line 1: weight `NaN`"),
            ("a\tb\n\n\tb\n", "line 3: the source node name is empty"),
            ("a\t\n", "line 1: the target node name is empty"),
            ("a\tb\t1\tx\n", "line 1: expected at most 3 tab-separated columns, found 4"),
        ];
        for (text, want) in cases {
            let e = EdgeList::from_tsv_str(text).unwrap_err().to_string();
            assert!(e.starts_with(want), "{text:?}: {e}");
        }
        let e = EdgeList::read_tsv(&b"a\tb\n\xff\tc\n"[..]).unwrap_err();
        assert_eq!(e.to_string(), "line 2: not valid UTF-8");
    }

    #[test]
    fn programmatic_edges_refuse_bad_weights() {
        let mut g = EdgeList::new();
        g.node("lonely");
        g.add_edge("a", "b", 3.0).unwrap();
        assert!(g.add_edge("a", "b", f64::INFINITY).is_err());
        assert!(g.add_edge("a", "b", -0.5).is_err());
        assert_eq!(g.node_count(), 3);
        assert_eq!(g.edge_count(), 1);
    }
}
