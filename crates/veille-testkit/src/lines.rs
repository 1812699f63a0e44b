//! Lines of TOML keys: byte offsets from the parser, mapped to 1-based lines.

use std::collections::BTreeMap;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// 1-based line of byte `offset` in `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|&&b| b == b'\n').count() + 1
}

/// The line of every key and array element of a TOML document, by dotted
/// path as configuration errors name them: `workspaces[0].watches[2].terms[1]`.
#[derive(Debug, Clone, Default)]
pub struct KeyLines {
    lines: BTreeMap<String, usize>,
}

impl KeyLines {
    /// Maps the keys of `text`; a document that does not parse maps nothing.
    pub fn of(text: &str) -> KeyLines {
        let mut lines = BTreeMap::new();
        if let Ok(root) = DeTable::parse(text) {
            walk_table(text, "", root.get_ref(), &mut lines);
        }
        KeyLines { lines }
    }

    /// The line of `path`, or of its nearest enclosing key that has one.
    pub fn line(&self, path: &str) -> Option<usize> {
        let mut p = path;
        loop {
            if let Some(&l) = self.lines.get(p) {
                return Some(l);
            }
            let cut = p.rfind(['.', '['])?;
            p = &p[..cut];
        }
    }
}

fn walk_table(text: &str, prefix: &str, table: &DeTable<'_>, out: &mut BTreeMap<String, usize>) {
    for (key, value) in table {
        let path = if prefix.is_empty() { key.get_ref().to_string() } else { format!("{prefix}.{}", key.get_ref()) };
        out.entry(path.clone()).or_insert_with(|| line_of(text, key.span().start));
        walk_value(text, &path, value, out);
    }
}

fn walk_value(text: &str, path: &str, value: &Spanned<DeValue<'_>>, out: &mut BTreeMap<String, usize>) {
    match value.get_ref() {
        DeValue::Table(t) => walk_table(text, path, t, out),
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let p = format!("{path}[{i}]");
                out.entry(p.clone()).or_insert_with(|| line_of(text, item.span().start));
                walk_value(text, &p, item, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_elements_of_arrays_of_tables_have_their_lines() {
        let text = "[server]\nlisten = \"x\"\n\n[[workspaces]]\nname = \"a\"\n\n[[workspaces.watches]]\nname = \"w\"\nterms = [\n  \"one\",\n  \"two\",\n]\n";
        let k = KeyLines::of(text);
        assert_eq!(k.line("server.listen"), Some(2));
        assert_eq!(k.line("workspaces[0].name"), Some(5));
        assert_eq!(k.line("workspaces[0].watches[0].name"), Some(8));
        assert_eq!(k.line("workspaces[0].watches[0].terms[1]"), Some(11));
        assert_eq!(k.line("workspaces[0].watches[0].rule"), Some(7), "a missing key falls back to its table");
        assert_eq!(k.line("nothing"), None);
    }
}
