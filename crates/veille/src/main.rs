//! `veille`: streaming social listening and e-reputation.

mod cmd;
mod context;
mod logging;

use clap::{Parser, Subcommand};

// Indexing allocates and frees many short-lived buffers on several threads; mimalloc keeps
// that cheap where the system allocator spends its time consolidating.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Streaming social listening: hear what the web says about your brands, as it is said.
#[derive(Debug, Parser)]
#[command(name = "veille", version, about, propagate_version = true)]
struct Cli {
    /// Log format.
    #[arg(long, global = true, value_enum, default_value_t = logging::LogFormat::Human)]
    log_format: logging::LogFormat,
    /// Log filter, e.g. `info`, `debug`, `veille_pipeline=debug` (overrides RUST_LOG).
    #[arg(long, global = true)]
    log: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run sources, the pipeline and the API in one process.
    Run(cmd::run::RunArgs),
    /// Serve the API over an existing index (no ingestion); with the Kafka bus, over every shard.
    Serve(cmd::run::ServeArgs),
    /// Kafka role: run the configured sources and produce what they read to Kafka.
    #[cfg(feature = "kafka")]
    Ingest(cmd::roles::IngestArgs),
    /// Kafka role: join the processors' consumer group, enrich and index the partitions it owns.
    #[cfg(feature = "kafka")]
    Process(cmd::roles::ProcessArgs),
    /// Kafka role: join the signals owners' group and judge the workspaces it owns (signals,
    /// alerts, notifiers, key nodes).
    #[cfg(feature = "kafka")]
    Signals(cmd::roles::SignalsArgs),
    /// Import mentions from a file into the index.
    #[command(subcommand)]
    Import(cmd::import::ImportCommand),
    /// Maintain the index (upgrade one written by an older veille).
    #[command(subcommand)]
    Index(cmd::index::IndexCommand),
    /// Search the index.
    Search(cmd::search::SearchArgs),
    /// Write a simulated mention stream as NDJSON to standard output.
    Simulate(cmd::simulate::SimulateArgs),
    /// Tag mention NDJSON from standard input with the configured watches, to standard output.
    Match(cmd::tag::MatchArgs),
    /// Top key nodes (influential authors) or communities of a workspace, rebuilt from the index.
    Keynodes(cmd::keynodes::KeyNodesArgs),
    /// Create, list and revoke API keys.
    #[command(subcommand)]
    Keys(cmd::keys::KeysCommand),
    /// Replay indexed history through the watches and alert rules; print the alerts they raise.
    Backtest(cmd::backtest::BacktestArgs),
    /// Run test files of watches and alert rules (match, series and baseline cases).
    Test(cmd::test::TestArgs),
    /// Lint configurations without running them; exits non-zero on errors, not on warnings.
    Check(cmd::check::CheckArgs),
    /// Export the mentions matching a query as CSV or NDJSON, oldest first (streamed).
    Export(cmd::export::ExportArgs),
    /// Write the activity report of a brand for the last week or month (HTML, PDF or Markdown).
    Report(cmd::report::ReportArgs),
    /// Evaluate algorithms against reference data.
    #[command(subcommand)]
    Eval(cmd::eval::EvalCommand),
    /// Train veille's learned models on labelled data.
    #[command(subcommand)]
    Train(cmd::train::TrainCommand),
}

/// Exit code of a command that passes or fails: 0 when it passed, 1 when it
/// failed, 2 when it could not run.
fn verdict(result: anyhow::Result<bool>) -> std::process::ExitCode {
    match result {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    logging::init(cli.log_format, cli.log.as_deref());
    let result = match cli.command {
        Command::Run(a) => cmd::run::run(a),
        Command::Serve(a) => cmd::run::serve(a),
        #[cfg(feature = "kafka")]
        Command::Ingest(a) => cmd::roles::ingest(a),
        #[cfg(feature = "kafka")]
        Command::Process(a) => cmd::roles::process(a),
        #[cfg(feature = "kafka")]
        Command::Signals(a) => cmd::roles::signals(a),
        Command::Import(a) => cmd::import::run(a),
        Command::Index(a) => cmd::index::run(a),
        Command::Search(a) => cmd::search::run(a),
        Command::Simulate(a) => cmd::simulate::run(a),
        Command::Keynodes(a) => cmd::keynodes::run(a),
        Command::Keys(a) => cmd::keys::run(a),
        Command::Backtest(a) => cmd::backtest::run(a),
        Command::Export(a) => cmd::export::run(a),
        Command::Report(a) => cmd::report::run(a),
        Command::Eval(a) => cmd::eval::run(a),
        Command::Train(a) => cmd::train::run(a),
        Command::Match(a) => cmd::tag::run(a),
        Command::Test(a) => return verdict(cmd::test::run(a)),
        Command::Check(a) => return verdict(cmd::check::run(a)),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
