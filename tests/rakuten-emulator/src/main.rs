//! Runs the Rakuten emulator as a standalone server, seeded with the demo data.

use anyhow::Context;
use clap::Parser;
use rakuten_emulator::{Emulator, EmulatorConfig};

/// Rakuten RMS order-API emulator (for development; not the real mall).
#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8090")]
    listen: std::net::SocketAddr,
    /// serviceSecret to accept.
    #[arg(
        long,
        env = "RAKUTEN_EMULATOR_SERVICE_SECRET",
        default_value = "SP391234_emulator"
    )]
    service_secret: String,
    /// Licence key to accept.
    #[arg(
        long,
        env = "RAKUTEN_EMULATOR_LICENSE_KEY",
        default_value = "SL391234_emulator-licence"
    )]
    license_key: String,
    /// Requests per second per licence key (0: no limit).
    #[arg(long, default_value_t = 1)]
    rate: u32,
    /// Do not load the demo orders.
    #[arg(long)]
    empty: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let emu = Emulator::start(EmulatorConfig {
        service_secret: args.service_secret,
        license_key: args.license_key,
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
    println!("Rakuten emulator listening on {}", emu.url());
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    Ok(())
}
