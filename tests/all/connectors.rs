//! Every plugin the workspace's `plugins.toml` lists with an emulator, run the way an operator
//! adds a mall, knowing nothing of the mall: its emulator's binary started (the connector kit's
//! emulator protocol says where it listens and which shop entry reaches it), a manifest written
//! and the component installed with the CLI, a fetch run, and the mall asked what changed. A new
//! mall — its plugin folder, its emulator folder, one entry in the list — is covered here with no
//! other file touched; `tests/plugins/tinymall` is the walk-through of one.

use std::io::BufRead as _;

use mallhost_tests::{emulators_built, mallhost_bin, plugin_list};

/// A listed mall's emulator, running; killed when dropped.
struct Emulator {
    child: std::process::Child,
    said: serde_json::Value,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Emulator {
    fn start(bin: &std::path::Path) -> Emulator {
        let mut child = std::process::Command::new(bin)
            .args(["--listen", "127.0.0.1:0", "--rate", "0"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{} starts: {e}", bin.display()));
        let mut first = String::new();
        let mut out = std::io::BufReader::new(child.stdout.take().expect("stdout piped"));
        out.read_line(&mut first)
            .expect("the emulator says where it listens");
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        let said = first
            .strip_prefix("mallhost-emulator ")
            .and_then(|j| serde_json::from_str(j).ok())
            .unwrap_or_else(|| panic!("{} announces itself: {first:?}", bin.display()));
        Emulator { child, said }
    }

    async fn statuses(&self) -> serde_json::Value {
        let url = format!(
            "{}{}",
            self.said["url"].as_str().unwrap_or_default(),
            self.said["status_path"].as_str().unwrap_or_default()
        );
        let body = reqwest::get(&url)
            .await
            .expect("the emulator answers")
            .bytes()
            .await
            .expect("its statuses");
        serde_json::from_slice(&body).expect("its statuses are JSON")
    }
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

#[tokio::test]
async fn every_listed_plugin_installs_and_fetches_from_its_malls_emulator() {
    if !mallhost_tests::first_pass("the listed plugins are") {
        return;
    }
    emulators_built();
    let root = tempfile::tempdir().expect("temp dir");
    let listed: Vec<_> = plugin_list()
        .into_iter()
        .filter(|p| p.emulator.is_some())
        .collect();
    assert!(
        listed.iter().any(|p| p.mall == "tinymall"),
        "the walk-through's tiny mall is listed"
    );
    for p in listed {
        let bin = p.emulator_bin().expect("an emulator");
        let emu = Emulator::start(&bin);
        let seeded = emu.said["seeded"].as_u64().unwrap_or(0);
        assert!(
            seeded > 0,
            "{}: the emulator seeds orders: {}",
            p.mall,
            emu.said
        );
        let dir = root.path().join(format!("mall-{}", p.mall));
        std::fs::create_dir_all(dir.join("plugins")).expect("folder");
        let config = dir.join("mallhost.toml");
        std::fs::write(
            &config,
            format!(
                "database_url = \"sqlite://{db}\"\nplugins_dir = \"plugins\"\n\
                 compiled_cache_dir = \"{cache}\"\nsecrets_key_file = \"{key}\"\n\
                 [[shops]]\nid = \"s\"\nmall = \"{mall}\"\nstored_status = \"awaiting_shipment\"\n\
                 fetch_days = 7\nallow_private_network = true\npace = \"off\"\n{shop}",
                db = dir.join("mallhost.db").display(),
                cache = mallhost_tests::shared_cache_dir().display(),
                key = mallhost_tests::shared_key_file().display(),
                mall = p.mall,
                shop = emu.said["shop_toml"].as_str().unwrap_or_default(),
            ),
        )
        .expect("config written");
        let component = dir.join(format!("{}.wasm", p.mall));
        std::fs::copy(p.wasm(), &component).expect("component copied");
        // Real time: the emulator placed its orders relative to its own clock.
        let run = async |args: &[&str]| {
            let out = tokio::process::Command::new(mallhost_bin())
                .arg("--config")
                .arg(&config)
                .args(args)
                .env_remove("MALLHOST_CONFIG")
                .env("MALLHOST_LOG", "warn")
                .output()
                .await
                .expect("mallhost runs");
            let (stdout, stderr) = (
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            );
            assert!(
                out.status.success(),
                "{}: `mallhost {}` fails: {stderr}{stdout}",
                p.mall,
                args.join(" ")
            );
            stdout
        };
        let component_arg = component.display().to_string();
        run(&[
            "plugins",
            "manifest",
            &component_arg,
            "--allow-host",
            "127.0.0.1",
        ])
        .await;
        run(&["plugins", "install", &component_arg]).await;
        let shops = json(&run(&["--json", "shops"]).await);
        assert!(
            shops[0]["problem"].is_null(),
            "{}: the emulator's shop entry is all the plugin asks for: {shops}",
            p.mall
        );
        let before = emu.statuses().await;
        let fetch = async || json(&run(&["--json", "fetch", "--shop", "s"]).await);
        let report = fetch().await;
        let stored = report["stored"].as_array().map_or(0, Vec::len);
        assert!(stored > 0, "{}: the fetch stores orders: {report}", p.mall);
        assert_eq!(
            report["take"]["taken"].as_array().map_or(0, Vec::len),
            stored,
            "{}: each stored order is taken once: {report}",
            p.mall
        );
        assert!(
            report["invalid"].as_array().is_some_and(Vec::is_empty),
            "{}: {report}",
            p.mall
        );
        assert_ne!(
            emu.statuses().await,
            before,
            "{}: the mall saw its orders taken",
            p.mall
        );
        let again = fetch().await;
        assert_eq!(
            again["stored"].as_array().map_or(0, Vec::len),
            0,
            "{}: a second fetch stores nothing twice: {again}",
            p.mall
        );
    }
}
