//! TinyMall's emulator as a server (the connector kit's emulator protocol).

use connector_kit::emulator::{BinaryArgs, announce, until_stopped};
use tinymall_emulator::Emulator;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = BinaryArgs::parse(8091, 0).map_err(std::io::Error::other)?;
    let emu = Emulator::start(args.listen).await?;
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
