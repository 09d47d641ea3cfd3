//! What each command does: opens the [`App`] the command needs, runs it, and hands the result
//! to `output`. The commands and their arguments are in `args.rs`.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};

use mallhost::app::App;
use mallhost::config::{Config, ShopConfig};
use mallhost::model::TakeState;
use mallhost::store::OrderFilter;
use mallhost::sync::ExportOptions;
use mallhost::time::{ManualClock, SharedClock, system_clock};

use crate::args::{Args, Command, DbCommand, ImportCommand, OrdersCommand, PluginsCommand};
use crate::manage::{plugins, users};
use crate::output::{self, Format};

/// Loads the config file and opens the app (database, runtime; the plugins when `plugins`).
pub async fn open(path: &Path, clock: &SharedClock, plugins: bool) -> anyhow::Result<App> {
    let config = load_config(path)?;
    Ok(App::open(config, clock.clone(), plugins).await?)
}

/// For a command that calls no mall (plugins, accounts): a shop's unreadable secret is a warning.
pub(crate) async fn open_without_secrets(
    path: &Path,
    clock: &SharedClock,
    plugins: bool,
) -> anyhow::Result<App> {
    let config = Config::load_without_secrets(path).with_context(|| {
        "loading the configuration (see mallhost.example.toml; --config or MALLHOST_CONFIG names the file)".to_string()
    })?;
    Ok(App::open(config, clock.clone(), plugins).await?)
}

fn load_config(path: &Path) -> anyhow::Result<Config> {
    Config::load(path).with_context(|| {
        "loading the configuration (see mallhost.example.toml; --config or MALLHOST_CONFIG names the file)".to_string()
    })
}

/// For a command that only reads: the database must exist already (a typo in the path must
/// not create an empty database and report "no orders").
async fn open_existing(path: &Path, clock: &SharedClock) -> anyhow::Result<App> {
    let config = load_config(path)?;
    if let Some(file) = config.sqlite_file()
        && !file.exists()
    {
        bail!(
            "no database at {} (database_url in {}); a fetch or an import creates it",
            file.display(),
            path.display()
        );
    }
    Ok(App::open(config, clock.clone(), false).await?)
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

/// Set when a command did its work but some orders or shipments failed (exit code 2).
static PARTIAL: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Marks the command's outcome as partial when `failed`.
pub(crate) fn partial_if(failed: bool) {
    if failed {
        PARTIAL.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Whether the command that ran left some orders or shipments failed.
pub fn partial() -> bool {
    PARTIAL.load(std::sync::atomic::Ordering::SeqCst)
}

fn show_progress(bar: &indicatif::ProgressBar, done: usize, total: usize) {
    bar.set_length(total as u64);
    bar.set_position(done as u64);
}

async fn import(
    config: &Path,
    clock: &SharedClock,
    cmd: ImportCommand,
    format: Format,
    quiet: bool,
) -> anyhow::Result<()> {
    let now = clock.now();
    match cmd {
        ImportCommand::Products { file, encoding } => {
            let cx = open(config, clock, false).await?;
            let bar = progress_bar(!quiet, "products");
            let tick = |done: usize, total: usize| show_progress(&bar, done, total);
            let report = mallhost::csv::products::import(&cx.store, &file, encoding, now, &tick)
                .await
                .with_context(|| format!("importing products from {}", file.display()))?;
            bar.finish_and_clear();
            partial_if(!report.errors.is_empty());
            output::product_import(&report, format)
        }
        ImportCommand::Shipments {
            shop,
            file,
            encoding,
        } => {
            let cx = open(config, clock, false).await?;
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
            partial_if(!report.errors.is_empty());
            output::shipment_import(&report, format)
        }
        ImportCommand::Orders {
            shop,
            file,
            encoding,
        } => {
            let cx = open(config, clock, true).await?;
            let shop = cx.shop(&shop)?;
            let bar = progress_bar(!quiet, "orders");
            let tick = |done: usize, total: usize| show_progress(&bar, done, total);
            let report = mallhost::sync::import::import_orders(
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
            partial_if(!report.errors.is_empty());
            output::order_import(&report, format)
        }
    }
}

async fn serve(
    config: &Path,
    clock: &SharedClock,
    admin: Option<std::net::SocketAddr>,
    format: Format,
) -> anyhow::Result<()> {
    let cx = open(config, clock, true).await?;
    // Beyond this machine only with accounts: without them anyone reaching the API could
    // install a plugin.
    if let Some(addr) = admin
        && !addr.ip().is_loopback()
        && !cx.store.has_admin().await?
    {
        bail!(
            "--admin {addr}: no admin account exists, so the admin API is served on a loopback \
             address only (127.0.0.1 or [::1]); anyone reaching it could install a plugin. \
             Create one first: `mallhost users add NAME --role admin`"
        );
    }
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
    let scheduler = Arc::new(cx.scheduler());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    // Watch the plugins folder: an install or rollback by another process swaps plugins here.
    let watcher = tokio::spawn(cx.plugin_dir().clone().watch(
        cx.runtime.clone(),
        std::time::Duration::from_secs(2),
        stop_rx.clone(),
    ));
    // Alerts: incidents from the shops' health, told once through the webhook.
    let alerts = tokio::spawn(mallhost::alerts::watch(
        cx.store.clone(),
        Arc::new(cx.config.clone()),
        stop_rx.clone(),
    ));
    let admin_task = match admin {
        None => None,
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr} for the admin API"))?;
            // On standard output, whatever the log level: with port 0 it is how a supervisor
            // (or a test) learns the address.
            let shown = listener.local_addr().unwrap_or(addr);
            println!("admin API on http://{shown}");
            println!("console on http://{shown}/console");
            let state = cx.serve_state(scheduler.clone());
            let mut stop = stop_rx.clone();
            Some(tokio::spawn(mallhost::server::serve(
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
    let _ = alerts.await;
    if let Some(t) = admin_task {
        let _ = t.await;
    }
    output::serve_stats(&stats, format)
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
    let clock: SharedClock = match args.now {
        Some(t) => ManualClock::new(t),
        None => system_clock(),
    };
    match args.command {
        #[cfg(feature = "demo")]
        Command::Demo { dir, list } => crate::demo::run(&dir, &list, format).await,
        Command::Fetch { shop, from, to } => {
            let cx = open(&args.config, &clock, true).await?;
            let shop = cx.shop(&shop)?;
            require_api(shop)?;
            let syncer = cx.syncer();
            let window = match (from, to) {
                (Some(f), Some(t)) => syncer.range_window(shop, f, t)?,
                _ => syncer.days_window(shop),
            };
            let report = syncer.fetch(shop, window).await?;
            partial_if(report.has_failures());
            output::fetch(&report, format)
        }
        Command::Take { shop } => {
            let cx = open(&args.config, &clock, true).await?;
            let shop = cx.shop(&shop)?;
            require_api(shop)?;
            let report = cx.syncer().take_pending(shop).await?;
            partial_if(report.has_failures());
            output::take(&report, format)
        }
        Command::Export {
            shop,
            from,
            to,
            dry_run,
            retry_rejected,
        } => {
            let cx = open(&args.config, &clock, true).await?;
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
            partial_if(report.has_failures());
            output::export(&report, format)
        }
        Command::Db(DbCommand::Copy { to }) => {
            let cx = open_existing(&args.config, &clock).await?;
            let shown = mallhost::store::shown_url(&to);
            let dest = mallhost::store::Store::open(&to)
                .await
                .with_context(|| format!("opening the destination {shown}"))?;
            let bar = progress_bar(!args.quiet && format == Format::Text, "rows copied");
            let mut last = String::new();
            let tables = cx
                .store
                .copy_to(&dest, &mut |table, rows| {
                    if table != last {
                        last = table.to_string();
                        bar.set_message(table.to_string());
                    }
                    bar.set_position(rows);
                })
                .await
                .with_context(|| format!("copying into {shown}"))?;
            bar.finish_and_clear();
            output::db_copy(&tables, &shown, format)?;
            if tables.iter().any(|t| !t.matches) {
                bail!("the copy in {shown} differs from the source (see the table above)");
            }
            Ok(())
        }
        Command::Users(cmd) => users(&args.config, &clock, cmd, format).await,
        Command::Audit { limit } => {
            let cx = open_existing(&args.config, &clock).await?;
            output::audit(&cx.store.audit_log(limit).await?, format)
        }
        Command::Status => {
            let cx = open_existing(&args.config, &clock).await?;
            let now = chrono::Utc::now();
            let shops =
                mallhost::health::shops(&cx.store, &cx.config, now, mallhost::time::jst_date(now))
                    .await?;
            output::status(&shops, format)?;
            partial_if(shops.iter().any(|s| !s.healthy));
            Ok(())
        }
        Command::Runs { shop, limit } => {
            let cx = open_existing(&args.config, &clock).await?;
            let runs = cx.store.job_runs(shop.as_deref(), limit).await?;
            output::runs(&runs, format)
        }
        Command::Shops => {
            // Loaded without the checks that stop other commands: this one shows what is wrong.
            let cx = open(&args.config, &clock, false).await?;
            cx.plugin_dir().load(&cx.runtime).await.with_context(|| {
                format!("loading plugins from {}", cx.config.plugins_dir.display())
            })?;
            output::shops(&cx.shop_reports(), format)
        }
        Command::Import(cmd) => import(&args.config, &clock, cmd, format, args.quiet).await,
        Command::Labels(cmd) => crate::labels::labels(&args.config, &clock, cmd, format).await,
        Command::Serve { admin } => serve(&args.config, &clock, admin, format).await,
        Command::Orders(cmd) => {
            let reads_only = matches!(
                cmd,
                OrdersCommand::List { .. }
                    | OrdersCommand::Show { .. }
                    | OrdersCommand::MissingNames
                    | OrdersCommand::Unconverted { .. }
            );
            let cx = if reads_only {
                open_existing(&args.config, &clock).await?
            } else {
                open(&args.config, &clock, false).await?
            };
            orders(&cx, cmd, format).await
        }
        Command::Plugins { command } => {
            plugins(
                &args.config,
                &clock,
                command.unwrap_or(PluginsCommand::List),
                format,
            )
            .await
        }
    }
}

async fn orders(cx: &App, cmd: OrdersCommand, format: Format) -> anyhow::Result<()> {
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
            more,
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
            if more {
                cx.store.add_parcel(&shop, &number, &update, now).await?;
            } else {
                cx.store.set_shipping(&shop, &number, &update, now).await?;
            }
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
