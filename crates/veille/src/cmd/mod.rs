//! One module per subcommand.

pub(crate) mod backtest;
pub(crate) mod eval;
pub(crate) mod import;
pub(crate) mod keynodes;
pub(crate) mod run;
pub(crate) mod search;
pub(crate) mod simulate;
pub(crate) mod tag;
pub(crate) mod train;
