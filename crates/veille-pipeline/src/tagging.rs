//! The matching step: tags brands, competitors, campaigns, crisis and moderation terms.

use veille_match::Matcher;
use veille_model::Mention;

use crate::Enricher;

/// Sets `tags` from the workspace's watches, in one pass over the text.
pub struct Tagging {
    matcher: Matcher,
}

impl Tagging {
    /// A step tagging with `matcher` (a clone shares its hot-reloadable watches).
    pub fn new(matcher: Matcher) -> Self {
        Tagging { matcher }
    }
}

impl Enricher for Tagging {
    fn name(&self) -> &'static str {
        "match"
    }

    fn enrich(&mut self, mention: &mut Mention) {
        self.matcher.tag(mention);
    }

    fn fork(&self) -> Option<Box<dyn Enricher>> {
        Some(Box::new(Tagging { matcher: self.matcher.clone() }))
    }
}
