//! Runs the Rakuten emulator as a standalone server, seeded with the demo data (the connector
//! kit's emulator protocol: `--listen`, `--rate`, `--empty`; `--service-secret` and
//! `--license-key` (or `RAKUTEN_EMULATOR_SERVICE_SECRET` / `RAKUTEN_EMULATOR_LICENSE_KEY`) for
//! the credentials it accepts).

use connector_kit::emulator::{BinaryArgs, announce, until_stopped};
use rakuten_emulator::{Emulator, EmulatorConfig};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = BinaryArgs::parse(8090, 1).map_err(std::io::Error::other)?;
    let mut config = EmulatorConfig {
        rate_per_second: args.rate,
        listen: args.listen,
        ..EmulatorConfig::default()
    };
    if let Ok(v) = std::env::var("RAKUTEN_EMULATOR_SERVICE_SECRET") {
        config.service_secret = v;
    }
    if let Ok(v) = std::env::var("RAKUTEN_EMULATOR_LICENSE_KEY") {
        config.license_key = v;
    }
    for (name, value) in args.options().map_err(std::io::Error::other)? {
        match name {
            "--service-secret" => config.service_secret = value.to_string(),
            "--license-key" => config.license_key = value.to_string(),
            other => return Err(std::io::Error::other(format!("unknown argument {other}"))),
        }
    }
    let emu = Emulator::start(config).await?;
    let seeded = if args.empty {
        0
    } else {
        emu.seed_demo(chrono::Utc::now().timestamp())
    };
    announce(&emu, seeded);
    until_stopped().await;
    Ok(())
}
