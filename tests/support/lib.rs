//! Shared set-up of the end-to-end tests: a d Shopping emulator on loopback, a temporary SQLite
//! database, the compiled plugin loaded in an [`App`], one shop configured for the emulator, and
//! one manual clock shared by all of them.
//!
//! **Fresh artefacts.** The first test of a run builds the plugins and the `mallhost` binary
//! with cargo (a no-op when `scripts/test.sh` just did), so a plain `cargo test` can never run
//! against a stale `.wasm` or binary; a failed build fails the tests loudly.
//!
//! **One compiled cache.** Every environment, and every `mallhost` the CLI tests run, uses one
//! compiled-plugin cache under `target/`, keyed as in production (sha256 + engine), so each
//! distinct component is compiled once per checkout instead of once per test.

pub mod database;

use std::any::Any;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use connector_kit::emulator::MallEmulator;
use dshopping_emulator::{Emulator, EmulatorConfig};
use mallhost::app::App;
use mallhost::config::{Config, ShopConfig, SyncPolicy};
use mallhost::runtime::{CompiledCache, PluginLimits, Runtime};
use mallhost::store::Store;
use mallhost::sync::Syncer;
use mallhost::time::{Clock, ManualClock, SharedClock};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs `cargo ARGS` in the workspace once; panics with cargo's output if it fails.
fn cargo(args: &[&str]) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(&cargo)
        .args(args)
        .current_dir(workspace())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cargo}: {e}"));
    assert!(
        out.status.success(),
        "`cargo {}` failed; the tests need its output:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One entry of the workspace's `plugins.toml`, the one list of connector plugins.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Listed {
    /// The cargo package, built for wasm32-wasip2.
    pub package: String,
    /// The mall id its plugin declares.
    pub mall: String,
    /// The package whose binary emulates its mall, if one does.
    pub emulator: Option<String>,
    /// `yes`: shipped (the image, the demo).
    pub ship: String,
}

impl Listed {
    /// The component this entry builds.
    pub fn wasm(&self) -> PathBuf {
        workspace().join(format!(
            "target/wasm32-wasip2/release/{}.wasm",
            self.package.replace('-', "_")
        ))
    }

    /// Its emulator's binary (built by `scripts/test.sh`), if it has one.
    pub fn emulator_bin(&self) -> Option<PathBuf> {
        self.emulator
            .as_ref()
            .map(|e| workspace().join("target/debug").join(e))
    }
}

/// The workspace's `plugins.toml`.
pub fn plugin_list() -> Vec<Listed> {
    #[derive(serde::Deserialize)]
    struct List {
        plugin: Vec<Listed>,
    }
    let path = workspace().join("plugins.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} cannot be read: {e}", path.display()));
    toml::from_str::<List>(&text)
        .unwrap_or_else(|e| panic!("{} is not a plugin list: {e}", path.display()))
        .plugin
}

/// Builds the listed plugins (once per test run): the newest source, never a stale `.wasm`.
fn plugins_built() {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let mut args = vec!["build".to_string(), "-q".to_string()];
        for p in plugin_list() {
            args.extend(["-p".to_string(), p.package]);
        }
        args.extend(["--target", "wasm32-wasip2", "--release"].map(String::from));
        cargo(&args.iter().map(String::as_str).collect::<Vec<_>>())
    });
}

/// Builds the listed plugins and their malls' emulators' binaries (once per test run); returns
/// the list's path, beside which they are.
pub fn emulators_built() -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    plugins_built();
    BUILT.get_or_init(|| {
        let mut args = vec!["build".to_string(), "-q".to_string()];
        for p in plugin_list() {
            if let Some(e) = p.emulator {
                args.extend(["-p".to_string(), e]);
            }
        }
        cargo(&args.iter().map(String::as_str).collect::<Vec<_>>())
    });
    workspace().join("plugins.toml")
}

/// The listed component of `package`, built for this run.
pub fn listed_plugin_path(package: &str) -> PathBuf {
    let listed = plugin_list()
        .into_iter()
        .find(|p| p.package == package)
        .unwrap_or_else(|| panic!("plugins.toml lists no package {package}"));
    plugins_built();
    let path = listed.wasm();
    assert!(
        path.exists(),
        "{} is missing after building it",
        path.display()
    );
    path
}

/// A built artefact, from `env_var` when set, else the listed package's component.
fn artefact(env_var: &str, package: &str) -> PathBuf {
    match std::env::var(env_var) {
        Ok(p) => PathBuf::from(p),
        Err(_) => listed_plugin_path(package),
    }
}

/// The compiled d Shopping plugin (built for this run; `MALLHOST_TEST_PLUGIN` overrides).
pub fn plugin_path() -> PathBuf {
    artefact("MALLHOST_TEST_PLUGIN", "plugin-dshopping")
}

/// The compiled Rakuten plugin (built for this run; `MALLHOST_TEST_RAKUTEN_PLUGIN` overrides).
pub fn rakuten_plugin_path() -> PathBuf {
    artefact("MALLHOST_TEST_RAKUTEN_PLUGIN", "plugin-rakuten")
}

/// The compiled Yahoo!ショッピング plugin (built for this run; `MALLHOST_TEST_YAHOO_PLUGIN`
/// overrides).
pub fn yahoo_plugin_path() -> PathBuf {
    artefact("MALLHOST_TEST_YAHOO_PLUGIN", "plugin-yahoo")
}

/// Whether this pass of the suite is the first (the shipped plugins'); `what` is said when a
/// test skips the second pass (the frozen d Shopping 0.1.0 build), which is about that build.
pub fn first_pass(what: &str) -> bool {
    let on = std::env::var_os("MALLHOST_TEST_PLUGIN").is_none();
    if !on {
        eprintln!("skipped: {what} run in the shipped plugins' pass");
    }
    on
}

/// Whether this pass of the suite is the one for the shipped plugins. The second pass
/// (`scripts/test.sh`, `MALLHOST_TEST_PLUGIN` = the frozen d Shopping 0.1.0 build) is about that
/// d Shopping build: the Rakuten tests, whose plugin is the same in both passes, skip there.
pub fn rakuten_pass() -> bool {
    let on = std::env::var_os("MALLHOST_TEST_PLUGIN").is_none();
    if !on {
        eprintln!("skipped: a Rakuten test, run in the shipped plugins' pass");
    }
    on
}

/// The d Shopping plugin as it was on contract 0.1.0 (`tests/plugins/dshopping-v0_1_0`, frozen).
pub fn plugin_v0_1_0_path() -> PathBuf {
    artefact("MALLHOST_TEST_PLUGIN_V0_1_0", "plugin-dshopping-v0-1-0")
}

/// The d Shopping plugin under test (`plugin_path`): its version and contract, known once a
/// [`TestEnv`] has loaded it. The suite runs against the shipped plugin, and again against the
/// frozen 0.1.0 build (`MALLHOST_TEST_PLUGIN`), which must keep passing it.
static UNDER_TEST: OnceLock<(String, String)> = OnceLock::new();

/// The version of the d Shopping plugin under test (for its manifests).
pub fn dshopping_version() -> String {
    UNDER_TEST
        .get()
        .map(|(v, _)| v.clone())
        .expect("a TestEnv has loaded the plugin")
}

/// `mall@version` of the d Shopping plugin under test, as errors and reports name it.
pub fn dshopping_label() -> String {
    format!("dshopping@{}", dshopping_version())
}

/// Whether the plugin under test is on contract 0.2.0 or later; tests of 0.2.0 features
/// return early (and say so) when the suite runs against the 0.1.0 build.
pub fn on_contract_0_2() -> bool {
    let on = UNDER_TEST
        .get()
        .is_some_and(|(_, contract)| contract.as_str() != "0.1.0");
    if !on {
        eprintln!("skipped: this test is about contract 0.2.0 features");
    }
    on
}

/// The compiled probe plugin (`tests/plugins/probe`, contract 0.2.0).
pub fn probe_plugin_path() -> PathBuf {
    artefact("MALLHOST_TEST_PROBE_PLUGIN", "probe-plugin")
}

/// The compiled probe plugin declaring an OAuth 2 grant (`tests/plugins/probe-oauth`).
pub fn probe_oauth_plugin_path() -> PathBuf {
    artefact("MALLHOST_TEST_PROBE_OAUTH_PLUGIN", "probe-oauth-plugin")
}

/// The compiled hostile test plugin (`tests/plugins/hostile`).
pub fn hostile_plugin_path() -> PathBuf {
    artefact("MALLHOST_TEST_HOSTILE_PLUGIN", "hostile-plugin")
}

/// The compiled hostile contract 0.2.0 plugin (`tests/plugins/hostile-v2`, mall `hostile2`).
pub fn hostile_v2_plugin_path() -> PathBuf {
    artefact("MALLHOST_TEST_HOSTILE_V2_PLUGIN", "hostile-v2-plugin")
}

/// The compiled hostile contract 0.3.0 plugin (`tests/plugins/hostile-v3`, mall `hostile3`).
pub fn hostile_v3_plugin_path() -> PathBuf {
    artefact("MALLHOST_TEST_HOSTILE_V3_PLUGIN", "hostile-v3-plugin")
}

/// The hostile plugin built claiming a mall id and version that are paths.
pub fn hostile_traversal_plugin_path() -> PathBuf {
    artefact(
        "MALLHOST_TEST_HOSTILE_TRAVERSAL_PLUGIN",
        "hostile-traversal-plugin",
    )
}

/// The compiled-plugin cache every test shares.
pub fn shared_cache_dir() -> PathBuf {
    workspace().join("target/mallhost-test-cache")
}

/// The host key every test environment shares (`secrets_key_file`): the shared compiled cache
/// is signed with it, so every environment and CLI run trusts the same entries.
pub fn shared_key_file() -> PathBuf {
    workspace().join("target/mallhost-test.key")
}

/// The shared compiled cache, signed with the shared key.
pub fn shared_cache() -> CompiledCache {
    let key = mallhost::hostkey::load_or_create(&shared_key_file()).expect("the test key");
    CompiledCache::new(shared_cache_dir()).with_key(key)
}

/// Compiles the d Shopping and hostile plugins into the shared cache once per test run, so
/// the tests that start together do not all compile them at once.
async fn warm_shared_cache() {
    static WARM: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    WARM.get_or_init(|| async {
        let clock: SharedClock = ManualClock::new(default_now());
        let rt = Runtime::new(clock, PluginLimits::default())
            .expect("runtime starts")
            .with_cache(shared_cache());
        for p in [
            plugin_path(),
            hostile_plugin_path(),
            rakuten_plugin_path(),
            yahoo_plugin_path(),
        ] {
            rt.prepare(&p, None)
                .await
                .unwrap_or_else(|e| panic!("{} compiles: {e}", p.display()));
        }
    })
    .await;
}

/// Writes `bytes` as `dir/name.wasm` with a manifest beside it (`name.toml`) naming `mall`,
/// `version`, the right sha256 (unless `sha256` overrides it), and `extra` lines (limits …).
pub fn write_plugin(
    dir: &std::path::Path,
    name: &str,
    bytes: &[u8],
    mall: &str,
    version: &str,
    sha256: Option<&str>,
    extra: &str,
) -> PathBuf {
    let wasm = dir.join(format!("{name}.wasm"));
    std::fs::write(&wasm, bytes).expect("plugin written");
    let digest = sha256.map_or_else(|| mallhost::digest::sha256_hex(bytes), str::to_string);
    let manifest = format!(
        "mall = \"{mall}\"\nversion = \"{version}\"\nsha256 = \"{digest}\"\nallowed_hosts = [\"*\"]\n{extra}\n"
    );
    std::fs::write(wasm.with_extension("toml"), manifest).expect("manifest written");
    wasm
}

/// A d Shopping plugin variant (`variant` of the built plugin) with its manifest, as
/// `dir/name.wasm`; returns the file and its sha256.
pub fn dshopping_variant(dir: &std::path::Path, name: &str, tag: u32) -> (PathBuf, String) {
    let bytes = variant(&std::fs::read(plugin_path()).expect("plugin built"), tag);
    let path = write_plugin(
        dir,
        name,
        &bytes,
        "dshopping",
        &dshopping_version(),
        None,
        "",
    );
    (path, mallhost::digest::sha256_hex(&bytes))
}

/// The same component with a custom section appended: behaves the same, another digest.
pub fn variant(component: &[u8], tag: u32) -> Vec<u8> {
    let name = b"mallhost-test-variant";
    let payload = tag.to_le_bytes();
    let mut section = vec![name.len() as u8];
    section.extend_from_slice(name);
    section.extend_from_slice(&payload);
    let mut out = component.to_vec();
    out.push(0); // custom section id
    out.push(section.len() as u8); // size (small: one LEB128 byte)
    out.extend_from_slice(&section);
    out
}

/// The newest modification time of the files below `dir` (or of `dir`, a file).
fn newest(dir: &std::path::Path) -> Option<std::time::SystemTime> {
    let meta = std::fs::metadata(dir).ok()?;
    if meta.is_file() {
        return meta.modified().ok();
    }
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| newest(&e.path()))
        .max()
}

/// The `mallhost` binary with the `demo` command, built by `scripts/test.sh` (`MALLHOST_TEST_BIN`
/// overrides). Fails loudly when it is older than the sources it is built from: building it here
/// would fight `cargo test` over the dependencies' feature sets.
pub fn mallhost_bin() -> PathBuf {
    if let Ok(p) = std::env::var("MALLHOST_TEST_BIN") {
        return PathBuf::from(p);
    }
    let bin = workspace().join("target/debug/mallhost");
    let built = std::fs::metadata(&bin).and_then(|m| m.modified()).ok();
    let sources = ["host/src", "host/Cargo.toml", "Cargo.lock"]
        .iter()
        .filter_map(|p| newest(&workspace().join(p)))
        .max();
    assert!(
        built.is_some() && built >= sources,
        "{} is missing or older than its sources: run `cargo build -p mallhost --features \
         demo,failpoints` (scripts/test.sh does) before the tests",
        bin.display()
    );
    bin
}

/// 2026-11-28 12:00 JST, the tests' default "now".
pub fn default_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 3, 0, 0)
        .single()
        .expect("valid instant")
}

/// Options of [`TestEnv::start`].
pub struct Options {
    /// Emulator rate limit (requests per second); `None` for none.
    pub rate: Option<u32>,
    /// The emulator's `Retry-After` on a 429; `None`: until its bucket has a token.
    pub retry_after: Option<u64>,
    /// The password the shop sends (the emulator accepts `emulator-secret`).
    pub password: String,
    /// Extra TOML lines for the shop.
    pub shop_toml: String,
    /// The shop's `pace`: `off` unless a test is about pacing (the plugin's declared pace
    /// would make every test wait for it).
    pub pace: String,
    /// Retry policy.
    pub policy: SyncPolicy,
    /// The clock's start; default [`default_now`].
    pub now: Option<DateTime<Utc>>,
    /// A Rakuten shop (`rshop`) beside the d Shopping one, on its own emulator.
    pub rakuten: Option<RakutenOptions>,
    /// A Yahoo!ショッピング shop (`yshop`) beside them, on its own emulator.
    pub yahoo: Option<YahooOptions>,
    /// The database on this PostgreSQL server whatever the pass (a PostgreSQL-only test).
    pub postgres: Option<String>,
}

/// The Yahoo!ショッピング shop of a [`TestEnv`].
pub struct YahooOptions {
    /// The emulator holds each seller to one request a second (as the mall does).
    pub rate_limited: bool,
    /// The shop's `pace` (`off` unless a test is about pacing).
    pub pace: String,
}

impl Default for YahooOptions {
    fn default() -> Self {
        YahooOptions {
            rate_limited: false,
            pace: "off".into(),
        }
    }
}

/// The Rakuten shop of a [`TestEnv`].
pub struct RakutenOptions {
    /// Emulator rate limit (requests per second); `None` for none.
    pub rate: Option<u32>,
    /// The licence key the shop sends (the emulator accepts its own).
    pub license_key: Option<String>,
    /// The licence key's expiry date, `YYYY-MM-DD`.
    pub expires: String,
    /// The shop's `pace` (`off` unless a test is about pacing).
    pub pace: String,
    /// Extra lines under `[shops.settings]`.
    pub settings_toml: String,
}

impl Default for RakutenOptions {
    fn default() -> Self {
        RakutenOptions {
            rate: None,
            license_key: None,
            expires: "2027-02-20".into(),
            pace: "off".into(),
            settings_toml: String::new(),
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            rate: None,
            retry_after: None,
            password: "emulator-secret".into(),
            shop_toml: String::new(),
            pace: "off".into(),
            policy: SyncPolicy {
                transient_retries: 2,
                backoff: Duration::from_millis(10),
                rate_limit_waits: 100,
                max_retry_after: Duration::from_secs(2),
                ..SyncPolicy::default()
            },
            now: None,
            rakuten: None,
            yahoo: None,
            postgres: None,
        }
    }
}

/// One mall of a test environment: its emulator as the generic tests see it, and as itself.
struct Mall {
    emulator: Arc<dyn MallEmulator>,
    typed: Arc<dyn Any + Send + Sync>,
}

impl Mall {
    fn of<E: MallEmulator + Any>(e: E) -> Mall {
        let e = Arc::new(e);
        Mall {
            emulator: e.clone(),
            typed: e,
        }
    }
}

/// Everything one test needs.
pub struct TestEnv {
    /// The malls' emulators, by mall id: always `dshopping`; `rakuten` when asked for.
    malls: BTreeMap<String, Mall>,
    /// The clock of the host, the plugin and the emulator.
    pub clock: Arc<ManualClock>,
    /// The database.
    pub store: Store,
    /// The runtime with the d Shopping plugin loaded.
    pub runtime: Arc<Runtime>,
    /// The configuration (the shop `dshop`; `rshop` when a Rakuten shop was asked for).
    pub config: Config,
    /// The app over all of it.
    pub app: App,
    /// Where the database and files live.
    pub dir: tempfile::TempDir,
    /// The database (a SQLite file in `dir`, or a PostgreSQL database of this test's own).
    pub db: database::TestDb,
}

/// A `[[shops]]` entry for the shop `id` on `mall`'s emulator: the generic keys, `extra` lines,
/// then what the emulator says reaches it (`base_url`, settings, credentials, tables).
fn shop_entry(id: &str, name: &str, mall: &dyn MallEmulator, pace: &str, extra: &str) -> String {
    format!(
        "[[shops]]\nid = \"{id}\"\nname = \"{name}\"\nmall = \"{mall_id}\"\n\
         stored_status = \"awaiting_shipment\"\nfetch_days = 7\nallow_private_network = true\n\
         pace = \"{pace}\"\n{extra}\n{emulator}\n",
        mall_id = mall.mall_id(),
        emulator = mall.shop_toml(),
    )
}

impl TestEnv {
    /// Starts the emulators, opens a fresh database, loads the plugins.
    pub async fn start(opts: Options) -> TestEnv {
        let clock = ManualClock::new(opts.now.unwrap_or_else(default_now));
        let emu_clock = clock.clone();
        let mut malls = BTreeMap::new();
        let dshopping = Emulator::start(EmulatorConfig {
            rate_per_second: opts.rate,
            retry_after_secs: opts.retry_after,
            clock: Arc::new(move || emu_clock.now().timestamp()),
            ..EmulatorConfig::default()
        })
        .await
        .expect("emulator starts");
        malls.insert("dshopping".to_string(), Mall::of(dshopping));
        if let Some(r) = &opts.rakuten {
            let clock = clock.clone();
            let rakuten = rakuten_emulator::Emulator::start(rakuten_emulator::EmulatorConfig {
                rate_per_second: r.rate,
                clock: Arc::new(move || clock.now().timestamp()),
                ..rakuten_emulator::EmulatorConfig::default()
            })
            .await
            .expect("Rakuten emulator starts");
            malls.insert("rakuten".to_string(), Mall::of(rakuten));
        }
        if let Some(y) = &opts.yahoo {
            let yahoo = yahoo_emulator::Emulator::start(([127, 0, 0, 1], 0).into())
                .await
                .expect("Yahoo! emulator starts");
            yahoo.rate_limited(y.rate_limited);
            malls.insert("yahoo".to_string(), Mall::of(yahoo));
        }
        let mut shops = shop_entry(
            "dshop",
            "テスト雑貨店",
            malls["dshopping"].emulator.as_ref(),
            &opts.pace,
            &opts.shop_toml,
        )
        .replace(
            "api_password = \"emulator-secret\"",
            &format!("api_password = \"{}\"", opts.password),
        );
        if let (Some(r), Some(mall)) = (&opts.rakuten, malls.get("rakuten")) {
            let emu = mall.emulator.as_ref();
            let typed = mall
                .typed
                .downcast_ref::<rakuten_emulator::Emulator>()
                .expect("the Rakuten emulator");
            let mut entry = shop_entry("rshop", "テスト楽天店", emu, &r.pace, "").replace(
                "license_key_expires = \"2099-12-31\"",
                &format!("license_key_expires = \"{}\"", r.expires),
            );
            if let Some(key) = &r.license_key {
                entry = entry.replace(
                    &format!("license_key = \"{}\"", typed.license_key()),
                    &format!("license_key = \"{key}\""),
                );
            }
            if !r.settings_toml.is_empty() {
                entry.push_str(&format!("[shops.settings]\n{}\n", r.settings_toml));
            }
            shops.push_str(&entry);
        }
        if let (Some(y), Some(mall)) = (&opts.yahoo, malls.get("yahoo")) {
            shops.push_str(&shop_entry(
                "yshop",
                "テストYahoo!店",
                mall.emulator.as_ref(),
                &y.pace,
                "",
            ));
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let db = match &opts.postgres {
            Some(server) => database::TestDb::postgres(server).await,
            None => database::TestDb::fresh(dir.path()).await,
        };
        let toml = format!(
            r#"
            database_url = "{db}"
            plugins_dir = "plugins"
            compiled_cache_dir = "{cache}"
            secrets_key_file = "{key}"
            dev_loose_plugins = true
{shops}"#,
            db = db.url,
            cache = shared_cache_dir().display(),
            key = shared_key_file().display(),
        );
        let mut config = Config::parse(&toml, dir.path(), &|_| None).expect("test config is valid");
        config.sync = opts.policy.clone();
        // The same, as a file for the CLI, with the plugin in its plugins folder.
        let sync = format!(
            "[sync]\ntransient_retries = {}\nbackoff_ms = {}\nrate_limit_waits = {}\nmax_retry_after_secs = {}\nlease_secs = {}\n",
            opts.policy.transient_retries,
            opts.policy.backoff.as_millis(),
            opts.policy.rate_limit_waits,
            opts.policy.max_retry_after.as_secs().max(1),
            opts.policy.lease.as_secs().max(2),
        );
        let file_toml = toml.replacen("[[shops]]", &format!("{sync}\n[[shops]]"), 1);
        std::fs::write(dir.path().join("mallhost.toml"), file_toml).expect("config file written");
        std::fs::create_dir_all(dir.path().join("plugins")).expect("plugins folder");
        std::fs::copy(plugin_path(), dir.path().join("plugins/dshopping.wasm"))
            .expect("plugin copied");
        if malls.contains_key("rakuten") {
            std::fs::copy(
                rakuten_plugin_path(),
                dir.path().join("plugins/rakuten.wasm"),
            )
            .expect("Rakuten plugin copied");
        }
        if malls.contains_key("yahoo") {
            std::fs::copy(yahoo_plugin_path(), dir.path().join("plugins/yahoo.wasm"))
                .expect("Yahoo! plugin copied");
        }
        warm_shared_cache().await;
        let shared: SharedClock = clock.clone();
        let app = App::open(config.clone(), shared, false)
            .await
            .expect("app opens");
        let loaded = app
            .runtime
            .load_file(&plugin_path())
            .await
            .expect("plugin loads");
        if malls.contains_key("rakuten") {
            app.runtime
                .load_file(&rakuten_plugin_path())
                .await
                .expect("Rakuten plugin loads");
        }
        if malls.contains_key("yahoo") {
            app.runtime
                .load_file(&yahoo_plugin_path())
                .await
                .expect("Yahoo! plugin loads");
        }
        let _ = UNDER_TEST.set((
            loaded.info().plugin_version.clone(),
            loaded.info().contract_version.clone(),
        ));
        let (store, runtime) = (app.store.clone(), app.runtime.clone());
        TestEnv {
            malls,
            clock,
            store,
            runtime,
            config,
            app,
            dir,
            db,
        }
    }

    /// The emulator of `mall` (by its id), as the generic tests see it; panics when the options
    /// asked for none.
    pub fn mall(&self, mall: &str) -> &dyn MallEmulator {
        self.malls
            .get(mall)
            .unwrap_or_else(|| panic!("no {mall} emulator in this environment"))
            .emulator
            .as_ref()
    }

    /// The emulator of `mall` as itself.
    pub fn emulator<E: Any>(&self, mall: &str) -> &E {
        self.malls
            .get(mall)
            .and_then(|m| m.typed.downcast_ref::<E>())
            .unwrap_or_else(|| panic!("no {mall} emulator of that type in this environment"))
    }

    /// The d Shopping mall.
    pub fn dshopping(&self) -> &Emulator {
        self.emulator("dshopping")
    }

    /// The Rakuten shop (`rshop`); panics when the options asked for none.
    pub fn rshop(&self) -> &ShopConfig {
        self.config
            .shop("rshop")
            .expect("a Rakuten shop was asked for")
    }

    /// The Rakuten mall; panics when the options asked for none.
    pub fn rakuten(&self) -> &rakuten_emulator::Emulator {
        self.emulator("rakuten")
    }

    /// The Yahoo!ショッピング shop (`yshop`); panics when the options asked for none.
    pub fn yshop(&self) -> &ShopConfig {
        self.config
            .shop("yshop")
            .expect("a Yahoo! shop was asked for")
    }

    /// The Yahoo!ショッピング mall; panics when the options asked for none.
    pub fn yahoo(&self) -> &yahoo_emulator::Emulator {
        self.emulator("yahoo")
    }

    /// Fetches `shop`'s `fetch_days` window; panics on failure.
    pub async fn fetch_shop(&self, shop: &ShopConfig) -> mallhost::sync::FetchReport {
        let syncer = self.syncer();
        syncer
            .fetch(shop, syncer.days_window(shop))
            .await
            .unwrap_or_else(|e| panic!("fetch of {} succeeds: {e}", shop.id))
    }

    /// Adds a plain Rakuten order placed `minutes_ago` minutes before now; returns its number.
    pub fn rakuten_order_placed(&self, n: u32, minutes_ago: i64) -> String {
        let at = self.clock.now().timestamp() - minutes_ago * 60;
        self.mall("rakuten").add_plain_order(n, at)
    }

    /// The shop.
    pub fn shop(&self) -> &ShopConfig {
        &self.config.shops[0]
    }

    /// A syncer over this environment.
    pub fn syncer(&self) -> Syncer<'_> {
        self.app.syncer()
    }

    /// Fetches the shop's `fetch_days` window (what `mallhost fetch` does); panics on failure.
    pub async fn fetch(&self) -> mallhost::sync::FetchReport {
        let syncer = self.syncer();
        syncer
            .fetch(self.shop(), syncer.days_window(self.shop()))
            .await
            .expect("fetch succeeds")
    }

    /// Adds a plain order placed `minutes_ago` minutes before the clock's now; returns its number.
    pub fn order_placed(&self, n: u32, minutes_ago: i64) -> String {
        let at = self.clock.now().timestamp() - minutes_ago * 60;
        self.mall("dshopping").add_plain_order(n, at)
    }

    /// Runs the `mallhost` binary with this environment's config file, at the clock's instant
    /// (`--now`); returns (success, stdout, stderr).
    pub async fn cli(&self, args: &[&str]) -> (bool, String, String) {
        self.cli_logging(args, "warn").await
    }

    /// [`Self::cli`] with the exit code: 0 all done, 2 some orders or shipments failed, 1 an
    /// error.
    pub async fn cli_code(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.cli_output(args, "warn").await;
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// The `mallhost` command with this environment's config file and clock, and `args`.
    pub fn cli_command(&self, args: &[&str]) -> tokio::process::Command {
        self.cli_command_with(&self.dir.path().join("mallhost.toml"), args)
    }

    /// Starts `serve --admin 127.0.0.1:0` with `config` (killed when dropped); returns it and
    /// its admin API's address (`http://…`).
    pub async fn serve_with_admin(
        &self,
        config: &std::path::Path,
    ) -> (tokio::process::Child, String) {
        self.serve_with_admin_on(config, "127.0.0.1:0").await
    }

    /// [`Self::serve_with_admin`] on another address (`0.0.0.0:0`: every interface); the
    /// address returned is reachable from this machine.
    pub async fn serve_with_admin_on(
        &self,
        config: &std::path::Path,
        bind: &str,
    ) -> (tokio::process::Child, String) {
        use tokio::io::AsyncBufReadExt;
        let mut serve = self
            .cli_command_with(config, &["serve", "--admin", bind])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("mallhost serve runs");
        let mut stdout =
            tokio::io::BufReader::new(serve.stdout.take().expect("stdout piped")).lines();
        let line = tokio::time::timeout(Duration::from_secs(30), stdout.next_line())
            .await
            .expect("serve says where its admin API is")
            .expect("serve's output")
            .unwrap_or_default();
        let admin = line
            .strip_prefix("admin API on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line}"))
            .replace("0.0.0.0", "127.0.0.1");
        // Read on, so serve never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = stdout.next_line().await {} });
        (serve, admin)
    }

    /// [`Self::cli_command`] with another config file.
    pub fn cli_command_with(
        &self,
        config: &std::path::Path,
        args: &[&str],
    ) -> tokio::process::Command {
        let mut c = tokio::process::Command::new(mallhost_bin());
        c.arg("--config")
            .arg(config)
            .arg("--now")
            .arg(self.clock.now().to_rfc3339())
            .args(args)
            .env_remove("MALLHOST_CONFIG")
            .env("MALLHOST_LOG", "warn")
            .kill_on_drop(true);
        c
    }

    async fn cli_output(&self, args: &[&str], log: &str) -> std::process::Output {
        self.cli_command(args)
            .env("MALLHOST_LOG", log)
            .output()
            .await
            .expect("mallhost runs")
    }

    /// [`Self::cli`] with the log filter `MALLHOST_LOG` set to `log` (e.g. `debug`).
    pub async fn cli_logging(&self, args: &[&str], log: &str) -> (bool, String, String) {
        let out = self.cli_output(args, log).await;
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Writes a file into this environment's folder; returns its path as text.
    pub fn write(&self, name: &str, bytes: &[u8]) -> String {
        let p = self.dir.path().join(name);
        std::fs::write(&p, bytes).expect("file written");
        p.display().to_string()
    }

    /// How many orders the database holds.
    pub async fn stored_count(&self) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM orders")
            .fetch_one(self.store.pool())
            .await
            .expect("count")
    }
}
