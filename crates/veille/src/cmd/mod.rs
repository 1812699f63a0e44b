//! One module per subcommand.

pub(crate) mod backtest;
pub(crate) mod check;
pub(crate) mod eval;
pub(crate) mod export;
pub(crate) mod import;
pub(crate) mod index;
pub(crate) mod keynodes;
pub(crate) mod keys;
pub(crate) mod report;
#[cfg(feature = "kafka")]
pub(crate) mod roles;
pub(crate) mod run;
pub(crate) mod search;
pub(crate) mod simulate;
pub(crate) mod tag;
pub(crate) mod test;
pub(crate) mod train;
