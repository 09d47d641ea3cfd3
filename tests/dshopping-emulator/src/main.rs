//! Runs the d Shopping emulator as a standalone server, seeded with the demo data.

use anyhow::Context;
use clap::Parser;
use dshopping_emulator::{Emulator, EmulatorConfig};

/// d Shopping order-API emulator (for development; not the real mall).
#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8089")]
    listen: std::net::SocketAddr,
    /// Partner code to accept.
    #[arg(long, default_value = "P0001234")]
    partner_code: String,
    /// API password to accept.
    #[arg(
        long,
        env = "DSHOPPING_EMULATOR_PASSWORD",
        default_value = "emulator-secret"
    )]
    api_password: String,
    /// Requests per second per partner code (0: no limit).
    #[arg(long, default_value_t = 2)]
    rate: u32,
    /// Do not load the demo orders.
    #[arg(long)]
    empty: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let emu = Emulator::start(EmulatorConfig {
        partner_code: args.partner_code,
        api_password: args.api_password,
        rate_per_second: (args.rate > 0).then_some(args.rate),
        listen: args.listen,
        ..EmulatorConfig::default()
    })
    .await
    .with_context(|| format!("cannot listen on {}", args.listen))?;
    if !args.empty {
        let n = emu.seed_demo(chrono::Utc::now().timestamp());
        println!("seeded {n} orders");
    }
    println!("d Shopping emulator listening on {}", emu.url());
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    Ok(())
}
