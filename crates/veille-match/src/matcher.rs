//! The shared, hot-reloadable handle on every workspace's compiled watches.

use std::cell::RefCell;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use veille_config::Config;
use veille_model::Mention;

use crate::compile::Workspace;
use crate::error::MatchError;
use crate::tag::Scratch;

/// Tells matchers apart in the per-thread cache.
static NEXT_MATCHER_ID: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static LOCAL: RefCell<Local> = RefCell::new(Local::default());
}

/// What a thread keeps between two mentions: buffers, and the watches it
/// last used so that tagging takes no lock while they stay current.
#[derive(Default)]
struct Local {
    scratch: Scratch,
    /// (matcher id, generation, its watches).
    watches: Option<(u64, u64, Arc<Watchlist>)>,
}

/// Every workspace's watches, compiled, sorted by workspace name.
#[derive(Debug, Default)]
struct Watchlist {
    workspaces: Vec<(String, Workspace)>,
}

impl Watchlist {
    fn get(&self, name: &str) -> Option<&Workspace> {
        // Most deployments have a handful of workspaces: comparing inline
        // beats a call to `memcmp` per probe of a binary search.
        if self.workspaces.len() <= 8 {
            return self.workspaces.iter().find(|(n, _)| same_name(n, name)).map(|(_, w)| w);
        }
        self.workspaces.binary_search_by(|(n, _)| n.as_str().cmp(name)).ok().map(|i| &self.workspaces[i].1)
    }
}

#[derive(Debug)]
struct Shared {
    id: u64,
    /// Bumped after every reload; threads refresh their copy when it moves.
    generation: AtomicU64,
    current: RwLock<Arc<Watchlist>>,
}

/// Tags mentions with the watches of their workspace.
///
/// Cloning is cheap and every clone shares the same watches: after
/// [`Matcher::reload`] on any clone, all of them tag with the new watches,
/// while tagging already under way finishes with the old ones. Each thread
/// keeps the watches it last used until it tags again after a reload.
#[derive(Debug, Clone)]
pub struct Matcher {
    shared: Arc<Shared>,
}

/// The size of one workspace's compiled watches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceSummary {
    /// The workspace's name.
    pub name: String,
    /// How many watches it has.
    pub watches: usize,
    /// How many distinct patterns its automaton holds.
    pub patterns: usize,
}

impl Matcher {
    /// Compiles the watches of every workspace in `config`.
    ///
    /// Fails on the first watch that cannot be compiled, naming its workspace
    /// and watch (and, for a rule, the character where it fails).
    pub fn compile(config: &Config) -> Result<Matcher, MatchError> {
        Ok(Matcher {
            shared: Arc::new(Shared {
                id: NEXT_MATCHER_ID.fetch_add(1, Ordering::Relaxed),
                generation: AtomicU64::new(0),
                current: RwLock::new(Arc::new(compile_all(config)?)),
            }),
        })
    }

    /// Replaces the watches of every clone with those of `config`. On error
    /// the watches in use stay as they were.
    pub fn reload(&self, config: &Config) -> Result<(), MatchError> {
        let fresh = Arc::new(compile_all(config)?);
        *self.shared.current.write().unwrap_or_else(PoisonError::into_inner) = fresh;
        self.shared.generation.fetch_add(1, Ordering::Release);
        Ok(())
    }

    fn watchlist(&self) -> Arc<Watchlist> {
        Arc::clone(&self.shared.current.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Sets `mention.tags` to the watches of `mention.workspace` that it
    /// matches and returns how many. A mention of a workspace without watches
    /// gets no tags.
    pub fn tag(&self, mention: &mut Mention) -> usize {
        self.with_watchlist(|watchlist, scratch| tag_with(watchlist, mention, scratch))
    }

    /// Calls `f` with the name of each watch of `mention.workspace` that `mention` matches and
    /// the byte range in `mention.text` of each hit [`Matcher::tag`] would report for it, in
    /// text order per watch; `mention` is not changed and no tag is built.
    pub fn term_spans(&self, mention: &Mention, mut f: impl FnMut(&str, Range<usize>)) {
        self.with_watchlist(|watchlist, scratch| {
            if let Some(workspace) = watchlist.get(&mention.workspace) {
                workspace.term_spans(mention, scratch, &mut f);
            }
        })
    }

    /// Runs `f` with the current watches and this thread's scratch buffers; the watches are
    /// kept per thread until the next reload.
    fn with_watchlist<R>(&self, f: impl FnOnce(&Watchlist, &mut Scratch) -> R) -> R {
        let generation = self.shared.generation.load(Ordering::Acquire);
        LOCAL.with(|cell| match cell.try_borrow_mut() {
            Ok(mut local) => {
                let Local { scratch, watches } = &mut *local;
                let current = match watches {
                    Some((id, seen, list)) if *id == self.shared.id && *seen == generation => list,
                    _ => &mut watches.insert((self.shared.id, generation, self.watchlist())).2,
                };
                f(current, scratch)
            }
            Err(_) => f(&self.watchlist(), &mut Scratch::default()),
        })
    }

    /// The workspaces with watches, sorted by name.
    pub fn workspaces(&self) -> Vec<WorkspaceSummary> {
        let watchlist = self.watchlist();
        watchlist
            .workspaces
            .iter()
            .map(|(name, w)| WorkspaceSummary {
                name: name.clone(),
                watches: w.watches.len(),
                patterns: w.pattern_count(),
            })
            .collect()
    }
}

fn same_name(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

fn tag_with(watchlist: &Watchlist, mention: &mut Mention, scratch: &mut Scratch) -> usize {
    match watchlist.get(&mention.workspace) {
        Some(workspace) => workspace.tag(mention, scratch),
        None => {
            mention.tags.clear();
            0
        }
    }
}

fn compile_all(config: &Config) -> Result<Watchlist, MatchError> {
    let mut workspaces = Vec::new();
    for ws in &config.workspaces {
        if !ws.watches.is_empty() {
            workspaces.push((ws.name.clone(), Workspace::compile(ws)?));
        }
    }
    workspaces.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Watchlist { workspaces })
}
