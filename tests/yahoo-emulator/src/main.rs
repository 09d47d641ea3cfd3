//! The Yahoo!ショッピング emulator as a server (the connector kit's emulator protocol): `--rate 0`
//! lifts the one-request-a-second limit, `--empty` loads no demo orders.

use connector_kit::emulator::{BinaryArgs, announce, until_stopped};
use yahoo_emulator::Emulator;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = BinaryArgs::parse(8093, 1).map_err(std::io::Error::other)?;
    let emu = Emulator::start(args.listen).await?;
    emu.rate_limited(args.rate.is_some());
    let seeded = if args.empty {
        0
    } else {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        emu.seed_demo(now)
    };
    announce(&emu, seeded);
    until_stopped().await;
    Ok(())
}
