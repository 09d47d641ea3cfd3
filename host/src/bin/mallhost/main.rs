//! `mallhost`: the command-line front of the host. Parses arguments ([`args`]), sets up logging,
//! runs the command ([`cli`]), prints the result as text or JSON ([`output`]).

mod args;
mod cli;
#[cfg(feature = "demo")]
mod demo;
mod labels;
mod logs;
mod manage;
mod output;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

/// mimalloc rather than the system allocator: every plugin call's result is lifted into many
/// small strings and lists (see docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // The tests' build stops at the crash point `FAILPOINTS` names.
    #[cfg(feature = "failpoints")]
    let _crash_points = fail::FailScenario::setup();
    let args = args::Args::parse();
    // The filter: MALLHOST_LOG, else RUST_LOG, else info for mallhost (warn with --quiet).
    let filter = tracing_subscriber::EnvFilter::try_from_env("MALLHOST_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| {
            tracing_subscriber::EnvFilter::new(if args.quiet {
                "warn"
            } else {
                "warn,mallhost=info"
            })
        });
    // Lines carry a UTC timestamp; the shop, order and plugin are fields, not message text.
    let colours = std::io::stderr().is_terminal() && args.log_format == args::LogFormat::Text;
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(move || logs::SafeStderr { colours });
    match args.log_format {
        args::LogFormat::Text => logs.with_target(false).with_ansi(colours).init(),
        args::LogFormat::Json => logs.json().flatten_event(true).init(),
    }
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
    // Exit codes: 0 all done; 2 done, but some orders or shipments failed (listed in the
    // output; the next run retries them); 1 the command failed.
    match runtime.block_on(cli::run(args)) {
        Ok(()) if cli::partial() => ExitCode::from(2),
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let text = format!("error: {}\n", error_text(&e));
            let _ = std::io::Write::write_all(
                &mut std::io::stderr(),
                &logs::escape(text.as_bytes(), false),
            );
            ExitCode::FAILURE
        }
    }
}

/// An error and its causes on one line, each said once: an error that already quotes its
/// source (`shop "x": <source>`) is not followed by that source again.
fn error_text(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}
