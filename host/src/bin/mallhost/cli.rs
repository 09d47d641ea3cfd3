//! Commands and their arguments, and what each one does.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use mallhost::config::{Config, ShopConfig};
use mallhost::csv::Encoding;
use mallhost::model::{OrderStatus, TakeState};
use mallhost::runtime::{PluginDir, PluginLimits, Runtime};
use mallhost::store::{OrderFilter, Store};
use mallhost::sync::scheduler::Scheduler;
use mallhost::sync::{ExportOptions, Syncer};
use mallhost::time::{Clock, SharedClock, SystemClock, jst_date};

use crate::output::{self, Format};

/// mallhost — keeps your marketplace (モール) orders in one database, through sandboxed
/// connector plugins.
#[derive(Parser, Debug)]
#[command(version, about)]
pub struct Args {
    /// The configuration file.
    #[arg(
        long,
        global = true,
        env = "MALLHOST_CONFIG",
        default_value = "mallhost.toml"
    )]
    pub config: PathBuf,
    /// Print results as JSON.
    #[arg(long, global = true)]
    pub json: bool,
    /// Only warnings and errors on standard error (no progress lines).
    #[arg(long, short, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Fetch new orders from a shop's mall, store them, and take them on the mall.
    ///
    /// Without --from/--to: orders of the shop's `fetch_days` window (受注を取得する日数).
    Fetch {
        /// The shop id (from the config file).
        #[arg(long)]
        shop: String,
        /// First order date (JST, YYYY-MM-DD).
        #[arg(long, requires = "to")]
        from: Option<NaiveDate>,
        /// Last order date (JST, YYYY-MM-DD).
        #[arg(long, requires = "from")]
        to: Option<NaiveDate>,
    },
    /// Retry taking orders still pending on the mall (a fetch does this too).
    Take {
        /// The shop id.
        #[arg(long)]
        shop: String,
    },
    /// Send shipments (carrier + tracking number) of orders updated in a period to the mall.
    Export {
        /// The shop id.
        #[arg(long)]
        shop: String,
        /// First day of the period (JST, YYYY-MM-DD); default today.
        #[arg(long)]
        from: Option<NaiveDate>,
        /// Last day of the period (JST, YYYY-MM-DD); default today.
        #[arg(long)]
        to: Option<NaiveDate>,
        /// Only list what would be sent, and why the others would not.
        #[arg(long)]
        dry_run: bool,
        /// Send again shipments the mall refused before, even if their data did not change.
        #[arg(long)]
        retry_rejected: bool,
    },
    /// Read a CSV file: product master, shipping data, or d払い mini-app orders.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Run the shops' automatic fetch (自動取得) and export (自動書き出し) until Ctrl-C, watching
    /// the plugins folder for installs and rollbacks.
    Serve {
        /// Also serve the admin API (JSON) on this address, e.g. 127.0.0.1:8930.
        #[arg(long)]
        admin: Option<std::net::SocketAddr>,
    },
    /// Work with stored orders.
    #[command(subcommand)]
    Orders(OrdersCommand),
    /// Connector plugins: list (default), install, roll back.
    Plugins {
        #[command(subcommand)]
        command: Option<PluginsCommand>,
    },
    /// Run a full cycle against the bundled d Shopping emulator on a fresh SQLite database.
    #[cfg(feature = "demo")]
    Demo {
        /// Folder for the demo's config file and database (replaced if it exists).
        #[arg(long, default_value = "mallhost-demo")]
        dir: PathBuf,
        /// The compiled d Shopping plugin.
        #[arg(
            long,
            default_value = "target/wasm32-wasip2/release/plugin_dshopping.wasm"
        )]
        plugin: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum PluginsCommand {
    /// The active plugins.
    List,
    /// Check a component against its manifest and make it its mall's active plugin (a running
    /// `serve` picks it up within seconds).
    Install {
        /// The component.
        file: PathBuf,
        /// Its manifest (default: the .toml beside it).
        #[arg(long)]
        manifest: Option<PathBuf>,
    },
    /// Write the manifest of a component (mall, version and sha256 read from it; all hosts;
    /// default limits), beside it as NAME.toml, to review and install.
    Manifest {
        /// The component.
        file: PathBuf,
        /// Host names it may call (repeat); default: any the shop allows.
        #[arg(long = "allow-host")]
        allow_hosts: Vec<String>,
    },
    /// Make a mall's previous plugin active again.
    Rollback {
        /// The mall id, e.g. dshopping.
        #[arg(long)]
        mall: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// The product master (商品データ): item code, SKU code, name, price, JAN code.
    Products {
        /// The CSV file.
        file: PathBuf,
        /// auto, utf-8 or shift_jis.
        #[arg(long, default_value = "auto")]
        encoding: Encoding,
    },
    /// Shipping data in bulk: order number, carrier, tracking number, ship date [, dummy, delivery].
    Shipments {
        /// The shop id.
        #[arg(long)]
        shop: String,
        /// The CSV file.
        file: PathBuf,
        /// auto, utf-8 or shift_jis.
        #[arg(long, default_value = "auto")]
        encoding: Encoding,
    },
    /// Orders the mall's API cannot return (d払い mini-app orders), in the mall's CSV layout.
    Orders {
        /// The shop id.
        #[arg(long)]
        shop: String,
        /// The CSV file.
        file: PathBuf,
        /// auto, utf-8 or shift_jis.
        #[arg(long, default_value = "auto")]
        encoding: Encoding,
    },
}

#[derive(Subcommand, Debug)]
pub enum OrdersCommand {
    /// List orders, newest first.
    List {
        /// Only this shop.
        #[arg(long)]
        shop: Option<String>,
        /// Only this status (new, confirmed, awaiting_shipment, on_hold, shipped, cancelled).
        #[arg(long, value_parser = parse_status)]
        status: Option<OrderStatus>,
        /// Only orders whose take on the mall is still pending.
        #[arg(long)]
        pending: bool,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Show one order with its deliveries, lines and history.
    Show {
        /// The shop id.
        #[arg(long)]
        shop: String,
        /// The mall's order number.
        number: String,
    },
    /// Set what export needs: carrier, tracking number (伝票番号) and ship date.
    Ship {
        /// The shop id.
        #[arg(long)]
        shop: String,
        /// The mall's order number.
        number: String,
        /// The merchant's carrier (a key of the shop's `carrier_ids`).
        #[arg(long)]
        carrier: String,
        /// The tracking number (checked against the carrier's check digit where it has one).
        #[arg(long, required_unless_present = "dummy")]
        tracking: Option<String>,
        /// Untracked mail (定形外 …): record a dummy tracking number, which the mall requires.
        #[arg(long)]
        dummy: bool,
        /// Ship date (JST, YYYY-MM-DD); default today.
        #[arg(long)]
        date: Option<NaiveDate>,
        /// For a multi-delivery order (複数配送): the delivery this tracking number is for.
        #[arg(long)]
        delivery: Option<u32>,
    },
    /// Product codes on orders that the product master lacks ("name missing").
    MissingNames,
    /// Mall labels the shop's conversion tables did not know (stored as received).
    Unconverted {
        /// The shop id.
        #[arg(long)]
        shop: String,
    },
    /// Change an order's status (e.g. release it from 保留).
    SetStatus {
        /// The shop id.
        #[arg(long)]
        shop: String,
        /// The mall's order number.
        number: String,
        /// The new status.
        #[arg(value_parser = parse_status)]
        status: OrderStatus,
    },
}

fn parse_status(s: &str) -> Result<OrderStatus, String> {
    OrderStatus::from_id(s).ok_or_else(|| {
        let known: Vec<_> = OrderStatus::ALL
            .iter()
            .map(|st| format!("{} ({})", st.id(), st.label()))
            .collect();
        format!("unknown status {s:?}; use one of {}", known.join(", "))
    })
}

/// What a command works with.
pub struct Session {
    pub config: Config,
    pub store: Store,
    pub runtime: Runtime,
    pub clock: SharedClock,
}

impl Session {
    /// Loads the config, opens the database and (when `plugins`) loads the plugins.
    pub async fn open(path: &Path, plugins: bool) -> anyhow::Result<Session> {
        let config = Config::load(path).with_context(|| {
            "loading the configuration (see mallhost.example.toml; --config or MALLHOST_CONFIG names the file)".to_string()
        })?;
        Session::with_config(
            config,
            SharedClock::from(Arc::new(SystemClock) as Arc<dyn Clock>),
            plugins,
        )
        .await
    }

    /// Opens what `config` names.
    pub async fn with_config(
        config: Config,
        clock: SharedClock,
        plugins: bool,
    ) -> anyhow::Result<Session> {
        let store = Store::open(&config.database_url)
            .await
            .context("opening the database")?;
        let dir = PluginDir::new(&config.plugins_dir);
        let runtime = Runtime::new(clock.clone(), PluginLimits::default())
            .context("starting the plugin runtime")?
            .with_cache(dir.cache());
        if plugins {
            dir.load(&runtime).await.with_context(|| {
                format!("loading plugins from {}", config.plugins_dir.display())
            })?;
        }
        Ok(Session {
            config,
            store,
            runtime,
            clock,
        })
    }

    pub fn shop(&self, id: &str) -> anyhow::Result<&ShopConfig> {
        let Some(shop) = self.config.shop(id) else {
            let known: Vec<_> = self.config.shops.iter().map(|s| s.id.as_str()).collect();
            bail!(
                "no shop {id:?} in the config file (shops: {})",
                if known.is_empty() {
                    "none".into()
                } else {
                    known.join(", ")
                }
            );
        };
        Ok(shop)
    }

    pub fn syncer(&self) -> Syncer<'_> {
        Syncer::new(
            &self.store,
            &self.runtime,
            self.clock.clone(),
            self.config.sync.clone(),
        )
    }

    fn today(&self) -> NaiveDate {
        jst_date(self.clock.now())
    }
}

/// A progress bar on standard error while `f` runs, when it is a terminal and not `--quiet`.
fn progress_bar(show: bool, what: &'static str) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !show || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(0);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what);
    bar
}

/// Waits for Ctrl-C or, on Unix, SIGTERM (what service managers send).
async fn stop_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("listening for SIGTERM")?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.context("waiting for Ctrl-C")?,
            _ = term.recv() => {}
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")
    }
}

fn show_progress(bar: &indicatif::ProgressBar, done: usize, total: usize) {
    bar.set_length(total as u64);
    bar.set_position(done as u64);
}

async fn import(
    config: &Path,
    cmd: ImportCommand,
    format: Format,
    quiet: bool,
) -> anyhow::Result<()> {
    let now = SystemClock.now();
    match cmd {
        ImportCommand::Products { file, encoding } => {
            let cx = Session::open(config, false).await?;
            let bar = progress_bar(!quiet, "products");
            let tick = |done: usize, total: usize| show_progress(&bar, done, total);
            let report = mallhost::csv::products::import(&cx.store, &file, encoding, now, &tick)
                .await
                .with_context(|| format!("importing products from {}", file.display()))?;
            bar.finish_and_clear();
            output::product_import(&report, format)
        }
        ImportCommand::Shipments {
            shop,
            file,
            encoding,
        } => {
            let cx = Session::open(config, false).await?;
            let shop = cx.shop(&shop)?;
            let bar = progress_bar(!quiet, "shipments");
            let tick = |done: usize, total: usize| show_progress(&bar, done, total);
            let report = mallhost::csv::shipments::import(
                &cx.store,
                shop,
                &file,
                encoding,
                cx.today(),
                now,
                &tick,
            )
            .await
            .with_context(|| format!("importing shipping data from {}", file.display()))?;
            bar.finish_and_clear();
            output::shipment_import(&report, format)
        }
        ImportCommand::Orders {
            shop,
            file,
            encoding,
        } => {
            let cx = Session::open(config, true).await?;
            let shop = cx.shop(&shop)?;
            let bar = progress_bar(!quiet, "orders");
            let tick = |done: usize, total: usize| show_progress(&bar, done, total);
            let report = mallhost::csv::orders::import(
                &cx.store,
                &cx.runtime,
                shop,
                &file,
                encoding,
                now,
                &tick,
            )
            .await
            .with_context(|| format!("importing orders from {}", file.display()))?;
            bar.finish_and_clear();
            output::order_import(&report, format)
        }
    }
}

async fn serve(
    config: &Path,
    admin: Option<std::net::SocketAddr>,
    format: Format,
) -> anyhow::Result<()> {
    let cx = Session::open(config, true).await?;
    let scheduled = cx
        .config
        .shops
        .iter()
        .filter(|s| s.order_api && (s.auto_fetch.is_some() || s.auto_export.is_some()))
        .count();
    if scheduled == 0 && admin.is_none() {
        bail!(
            "no shop has auto_fetch or auto_export switched on (自動取得 / 自動書き出し); set \
             `auto_fetch = true` for a shop in {}, or give --admin",
            config.display()
        );
    }
    let Session {
        config: conf,
        store,
        runtime,
        clock,
    } = cx;
    let runtime = Arc::new(runtime);
    let dir = PluginDir::new(&conf.plugins_dir);
    let scheduler = Arc::new(Scheduler::start(
        store,
        runtime.clone(),
        clock,
        conf.sync.clone(),
        conf.shops.clone(),
    ));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);

    // Watch the plugins folder: an install or rollback by another process swaps plugins here.
    let watcher = {
        let (runtime, dir, mut stop) = (runtime.clone(), dir.clone(), stop_rx.clone());
        tokio::spawn(async move {
            let mut seen = dir.fingerprint();
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(std::time::Duration::from_secs(2)) => {}
                    _ = stop.changed() => break,
                }
                let now = dir.fingerprint();
                if now != seen {
                    seen = now;
                    if let Err(e) = dir.load(&runtime).await {
                        tracing::error!(
                            "plugins folder changed but cannot be loaded; the running plugins stay: {e}"
                        );
                    }
                }
            }
        })
    };
    let admin_task = match admin {
        None => None,
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr} for the admin API"))?;
            tracing::info!(
                "admin API on http://{}",
                listener.local_addr().unwrap_or(addr)
            );
            let state = mallhost::admin::Admin {
                runtime: runtime.clone(),
                dir: dir.clone(),
                scheduler: scheduler.clone(),
            };
            let mut stop = stop_rx.clone();
            Some(tokio::spawn(mallhost::admin::serve(
                listener,
                state,
                async move {
                    let _ = stop.changed().await;
                },
            )))
        }
    };
    tracing::info!(
        "serving {scheduled} shop(s); Ctrl-C or SIGTERM stops after the runs in progress"
    );
    stop_signal().await?;
    tracing::info!("stopping: waiting for runs in progress");
    let _ = stop_tx.send(true);
    let stats = scheduler.shutdown().await;
    let _ = watcher.await;
    if let Some(t) = admin_task {
        let _ = t.await;
    }
    output::serve_stats(&stats, format)
}

async fn plugins(config: &Path, cmd: PluginsCommand, format: Format) -> anyhow::Result<()> {
    match cmd {
        PluginsCommand::List => {
            let cx = Session::open(config, true).await?;
            output::plugins(&cx.runtime.plugins(), format)
        }
        PluginsCommand::Install { file, manifest } => {
            let cx = Session::open(config, false).await?;
            let dir = PluginDir::new(&cx.config.plugins_dir);
            let p = dir
                .install(&cx.runtime, &file, manifest.as_deref())
                .await
                .with_context(|| {
                    format!(
                        "installing {} (the active plugin stays as it was)",
                        file.display()
                    )
                })?;
            output::plugins(&[p], format)
        }
        PluginsCommand::Manifest { file, allow_hosts } => {
            let runtime = Runtime::new(
                Arc::new(SystemClock) as Arc<dyn Clock>,
                PluginLimits::default(),
            )?;
            let p = runtime.prepare(&file, None).await?;
            let hosts = if allow_hosts.is_empty() {
                vec!["*".to_string()]
            } else {
                allow_hosts
            };
            let text = format!(
                "# Manifest of {file}, written by `mallhost plugins manifest`.\nmall = {mall:?}\nversion = {version:?}\n\
                 sha256 = {sha:?}\nallowed_hosts = {hosts:?}\n\n[limits]   # defaults shown; lower them to taste\n\
                 memory_mib = 64\ncpu_ms = 10000\ncall_timeout_secs = 120\nmax_requests_per_call = 200\n\
                 max_response_mib = 16\nmax_return_mib = 16\n",
                file = file.display(),
                mall = p.info().mall_id,
                version = p.info().plugin_version,
                sha = p.digest(),
            );
            let out = mallhost::runtime::Manifest::beside(&file);
            std::fs::write(&out, text).with_context(|| format!("writing {}", out.display()))?;
            println!("wrote {}", out.display());
            Ok(())
        }
        PluginsCommand::Rollback { mall } => {
            let cx = Session::open(config, false).await?;
            let dir = PluginDir::new(&cx.config.plugins_dir);
            let file = dir.rollback(&mall)?;
            let p = cx
                .runtime
                .load_file(&file)
                .await
                .with_context(|| format!("loading {}", file.display()))?;
            output::plugins(&[p], format)
        }
    }
}

fn require_api(shop: &ShopConfig) -> anyhow::Result<()> {
    if !shop.order_api {
        bail!(
            "shop {:?} has its order API switched off (order_api = false in the config file)",
            shop.id
        );
    }
    Ok(())
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let format = if args.json {
        Format::Json
    } else {
        Format::Text
    };
    match args.command {
        #[cfg(feature = "demo")]
        Command::Demo { dir, plugin } => crate::demo::run(&dir, &plugin, format).await,
        Command::Fetch { shop, from, to } => {
            let cx = Session::open(&args.config, true).await?;
            let shop = cx.shop(&shop)?;
            require_api(shop)?;
            let syncer = cx.syncer();
            let window = match (from, to) {
                (Some(f), Some(t)) => syncer.range_window(shop, f, t)?,
                _ => syncer.days_window(shop),
            };
            let report = syncer.fetch(shop, window).await?;
            output::fetch(&report, format)
        }
        Command::Take { shop } => {
            let cx = Session::open(&args.config, true).await?;
            let shop = cx.shop(&shop)?;
            require_api(shop)?;
            let report = cx.syncer().take_pending(shop).await?;
            output::take(&report, format)
        }
        Command::Export {
            shop,
            from,
            to,
            dry_run,
            retry_rejected,
        } => {
            let cx = Session::open(&args.config, true).await?;
            let shop = cx.shop(&shop)?;
            require_api(shop)?;
            let today = cx.today();
            let options = ExportOptions {
                dry_run,
                retry_rejected,
            };
            let report = cx
                .syncer()
                .export(shop, from.unwrap_or(today), to.unwrap_or(today), options)
                .await?;
            output::export(&report, format)
        }
        Command::Import(cmd) => import(&args.config, cmd, format, args.quiet).await,
        Command::Serve { admin } => serve(&args.config, admin, format).await,
        Command::Orders(cmd) => {
            let cx = Session::open(&args.config, false).await?;
            orders(&cx, cmd, format).await
        }
        Command::Plugins { command } => {
            plugins(
                &args.config,
                command.unwrap_or(PluginsCommand::List),
                format,
            )
            .await
        }
    }
}

async fn orders(cx: &Session, cmd: OrdersCommand, format: Format) -> anyhow::Result<()> {
    let now = cx.clock.now();
    match cmd {
        OrdersCommand::List {
            shop,
            status,
            pending,
            limit,
        } => {
            if let Some(s) = &shop {
                cx.shop(s)?;
            }
            let filter = OrderFilter {
                shop,
                status,
                take_state: pending.then_some(TakeState::Pending),
                limit: Some(limit),
            };
            let list = cx.store.list_orders(&filter).await?;
            output::order_list(&list, format)
        }
        OrdersCommand::Show { shop, number } => {
            cx.shop(&shop)?;
            let d = cx.store.order_detail(&shop, &number).await?;
            output::order_detail(&d, format)
        }
        OrdersCommand::Ship {
            shop,
            number,
            carrier,
            tracking,
            dummy,
            date,
            delivery,
        } => {
            let s = cx.shop(&shop)?;
            let date = date.unwrap_or_else(|| cx.today());
            let update = mallhost::tracking::shipping_update(
                s,
                &number,
                &carrier,
                tracking.as_deref(),
                dummy,
                date,
                delivery,
            )
            .with_context(|| format!("order {number}"))?;
            cx.store.set_shipping(&shop, &number, &update, now).await?;
            let d = cx.store.order_detail(&shop, &number).await?;
            output::order_detail(&d, format)
        }
        OrdersCommand::MissingNames => {
            let list = cx.store.missing_names().await?;
            output::missing_names(&list, format)
        }
        OrdersCommand::Unconverted { shop } => {
            cx.shop(&shop)?;
            let list = cx.store.unconverted_labels(&shop).await?;
            output::unconverted(&shop, &list, format)
        }
        OrdersCommand::SetStatus {
            shop,
            number,
            status,
        } => {
            cx.shop(&shop)?;
            cx.store.set_status(&shop, &number, status, now).await?;
            let d = cx.store.order_detail(&shop, &number).await?;
            output::order_detail(&d, format)
        }
    }
}
