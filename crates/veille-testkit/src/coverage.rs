//! Coverage: the watches, terms and alert rules that no case exercises.

use veille_config::Config;
use veille_signals::RuleKind;

use crate::run::Exercised;

/// What no case of a run exercises in one configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    /// `workspace/watch` of watches no case expects to tag or to alert.
    pub watches: Vec<String>,
    /// `workspace/watch: term` of configured terms (terms, aliases, misspellings,
    /// handles, hashtags, domains; not built-in lexicons) no match case hit.
    pub terms: Vec<String>,
    /// Enabled alert rules no series case expects to fire.
    pub rules: Vec<RuleKind>,
}

/// A term as compared for coverage: normalised, without its `@` or `#`.
fn key(term: &str) -> String {
    veille_match::normalize(term).trim_start_matches(['@', '#']).to_string()
}

impl Coverage {
    /// What `exercised` leaves untouched in `config`.
    pub fn of(config: &Config, exercised: &Exercised) -> Coverage {
        let mut c = Coverage::default();
        for ws in &config.workspaces {
            for w in &ws.watches {
                if !exercised.watches.contains(&(ws.name.clone(), w.name.clone())) {
                    c.watches.push(format!("{}/{}", ws.name, w.name));
                }
                let lists = [&w.terms, &w.aliases, &w.misspellings, &w.handles, &w.hashtags, &w.domains];
                for term in lists.into_iter().flatten() {
                    let k = key(term);
                    let hit = exercised.terms.iter().any(|(hw, hwatch, ht)| {
                        hw == &ws.name && hwatch == &w.name && ht.trim_start_matches(['@', '#']) == k
                    });
                    if !hit {
                        c.terms.push(format!("{}/{}: {term}", ws.name, w.name));
                    }
                }
            }
        }
        let rules = &config.signals.rules;
        let enabled = [
            (RuleKind::VolumeSpike, rules.volume_spike.enabled),
            (RuleKind::CrisisBurst, rules.crisis_burst.enabled),
            (RuleKind::NegativeSurge, rules.negative_surge.enabled),
            (RuleKind::KeyNodeNegative, rules.key_node_negative.enabled),
            (RuleKind::FlatLine, rules.flat_line.enabled),
        ];
        c.rules = enabled.into_iter().filter(|&(r, on)| on && !exercised.rules.contains(&r)).map(|(r, _)| r).collect();
        c
    }

    /// Whether every watch, term and rule is exercised.
    pub fn is_complete(&self) -> bool {
        self.watches.is_empty() && self.terms.is_empty() && self.rules.is_empty()
    }
}
