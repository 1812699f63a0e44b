//! Stream rules and the post ids remembered to skip backfilled duplicates.

use std::collections::{HashSet, VecDeque};

use serde::Deserialize;

/// Post ids remembered to skip backfilled duplicates.
pub(super) const RECENT_IDS: usize = 50_000;

#[derive(Debug, Deserialize)]
pub(super) struct Rules {
    #[serde(default)]
    pub(super) data: Vec<Rule>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Rule {
    pub(super) id: String,
    pub(super) value: String,
}

/// Post ids are numbers in strings: compares them as numbers.
pub(super) fn newer(id: &str, than: &str) -> bool {
    (id.len(), id) > (than.len(), than)
}

/// Ids of the posts sent lately.
#[derive(Debug, Default)]
pub(super) struct RecentIds {
    set: HashSet<String>,
    order: VecDeque<String>,
}

impl RecentIds {
    /// Remembers `id`; false when it was already there.
    pub(super) fn insert(&mut self, id: &str) -> bool {
        if !self.set.insert(id.to_string()) {
            return false;
        }
        self.order.push_back(id.to_string());
        if self.order.len() > RECENT_IDS {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_ids_forget_the_oldest() {
        let mut r = RecentIds::default();
        assert!(r.insert("1"));
        assert!(!r.insert("1"));
        for i in 0..RECENT_IDS {
            r.insert(&format!("x{i}"));
        }
        assert!(r.insert("1"), "forgotten after {RECENT_IDS} newer ids");
    }
}
