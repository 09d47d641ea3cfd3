//! `mallhost`: the command-line front of the host. Parses arguments ([`args`]), sets up logging,
//! runs the command ([`cli`]), prints the result as text or JSON ([`output`]).

mod args;
mod cli;
#[cfg(feature = "demo")]
mod demo;
mod output;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

/// mimalloc rather than the system allocator: every plugin call's result is lifted into many
/// small strings and lists (see docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = args::Args::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("MALLHOST_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(if args.quiet {
            "warn"
        } else {
            "warn,mallhost=info"
        })
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal())
        .without_time()
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
