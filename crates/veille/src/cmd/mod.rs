//! One module per subcommand.

pub(crate) mod eval;
pub(crate) mod import;
pub(crate) mod run;
pub(crate) mod search;
pub(crate) mod simulate;
pub(crate) mod tag;
