//! Runs the d Shopping emulator as a standalone server, seeded with the demo data (the connector
//! kit's emulator protocol: `--listen`, `--rate`, `--empty`; `--partner-code` and
//! `--api-password` (or `DSHOPPING_EMULATOR_PASSWORD`) for the credentials it accepts).

use connector_kit::emulator::{BinaryArgs, announce, until_stopped};
use dshopping_emulator::{Emulator, EmulatorConfig};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = BinaryArgs::parse(8089, 2).map_err(std::io::Error::other)?;
    let mut config = EmulatorConfig {
        rate_per_second: args.rate,
        listen: args.listen,
        ..EmulatorConfig::default()
    };
    if let Ok(p) = std::env::var("DSHOPPING_EMULATOR_PASSWORD") {
        config.api_password = p;
    }
    for (name, value) in args.options().map_err(std::io::Error::other)? {
        match name {
            "--partner-code" => config.partner_code = value.to_string(),
            "--api-password" => config.api_password = value.to_string(),
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
