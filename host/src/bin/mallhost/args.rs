//! The command line: every command, its arguments and their help text (clap). What each
//! command does is in `cli.rs`.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use mallhost::csv::Encoding;
use mallhost::model::OrderStatus;

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
    /// How log lines are written on standard error: `text` for people, `json` (one object a
    /// line, with `timestamp`, `level`, `message` and fields such as `shop`, `order`, `plugin`)
    /// for a log collector.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Only warnings and errors on standard error (no progress lines).
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Run as if it were this instant (RFC 3339), for tests and reproducible runs: the default
    /// dates, the export period and recorded times all follow it.
    #[arg(long, global = true, env = "MALLHOST_NOW", hide = true)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
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
    /// Shipping day: the carriers' label software round trip (B2クラウド's import file out,
    /// the issued data with tracking numbers back in).
    #[command(subcommand)]
    Labels(LabelsCommand),
    /// Run the shops' automatic fetch (自動取得) and export (自動書き出し) until Ctrl-C, watching
    /// the plugins folder for installs and rollbacks.
    Serve {
        /// Also serve the web console (/console) and the admin API (JSON) on this address,
        /// e.g. 127.0.0.1:8930.
        #[arg(long)]
        admin: Option<std::net::SocketAddr>,
    },
    /// Work with stored orders.
    #[command(subcommand)]
    Orders(OrdersCommand),
    /// Every shop: its plugin, the settings and credentials the plugin asks for, and their state
    /// (a secret that expires soon or has expired is shown with its date).
    Shops,
    /// Staff accounts for the console and the admin API: add, list, issue a token.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Who did what, when (changes through the console, the admin API and the CLI), newest first.
    Audit {
        /// How many entries.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Every shop's health: its automatic jobs' last run and last success, failures in a row,
    /// a stale job (no success for three intervals), credentials near or past expiry. Exit 2
    /// when a shop is unhealthy (what `GET /healthz` answers 503 for).
    Status,
    /// Recent runs of fetches and exports (from every process on the database): when, by whom,
    /// how they ended. A run with no end was killed or is still going.
    Runs {
        /// Only this shop's runs.
        #[arg(long)]
        shop: Option<String>,
        /// How many, newest first.
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// The database itself: copy it to another (SQLite to PostgreSQL, when a merchant outgrows
    /// one machine).
    #[command(subcommand)]
    Db(DbCommand),
    /// Connector plugins: list (default), install, roll back.
    Plugins {
        #[command(subcommand)]
        command: Option<PluginsCommand>,
    },
    /// Run a full cycle of every shipped mall in one host, each against its emulator, on a
    /// fresh SQLite database.
    #[cfg(feature = "demo")]
    Demo {
        /// Folder for the demo's config file and database (replaced if it exists).
        #[arg(long, default_value = "mallhost-demo")]
        dir: PathBuf,
        /// The workspace's plugin list: which plugins ship, their components (built under
        /// `target/` beside it) and their malls' emulators.
        #[arg(long, default_value = "plugins.toml")]
        list: PathBuf,
    },
}

/// How log lines are written.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// Lines for people.
    Text,
    /// One JSON object a line.
    Json,
}

#[derive(Subcommand, Debug)]
pub enum UsersCommand {
    /// Add an account. The password is asked for (twice, without echo) on a terminal, or read
    /// as one line of standard input; at least 12 characters.
    Add {
        /// Login name (letters, digits, `.`, `_`, `-`).
        name: String,
        /// `admin` (everything, plugins and accounts), `staff` (runs jobs, ships, imports,
        /// exports) or `viewer` (reads).
        #[arg(long)]
        role: String,
    },
    /// The accounts and their roles.
    List,
    /// Issue an API token for an account (`Authorization: Bearer TOKEN`), printed once; the
    /// database keeps only its SHA-256.
    Token {
        /// The account.
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum DbCommand {
    /// Copy every row of the configured database into another, empty one, then compare both
    /// table by table (row counts and a checksum of every row). Stop `serve` first: rows
    /// written during the copy may be missed. Then point `database_url` at the new database.
    Copy {
        /// The destination, e.g. postgres://mallhost@db.internal:5432/mallhost (created
        /// tables, no orders yet). A password here is never printed.
        #[arg(long)]
        to: String,
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
    /// Take a mall's plugin out (every installed version): its shops' jobs stop until one is
    /// installed again (a running `serve` follows within seconds).
    Remove {
        /// The mall id, e.g. dshopping.
        #[arg(long)]
        mall: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum LabelsCommand {
    /// Write the label software's import file for the orders ready to go: every slip is
    /// listed first with its problems (characters, byte limits, cash on delivery); while one is
    /// stopped no file is written.
    Export {
        /// The format: b2 (ヤマト B2クラウド), yupri (ゆうパックプリントR, through the import
        /// filter in the README) or clickpost (クリックポスト まとめ申込, 40 rows a file).
        #[arg(long, default_value = "b2")]
        format: String,
        /// One shop.
        #[arg(long, conflicts_with = "all")]
        shop: Option<String>,
        /// Every shop.
        #[arg(long)]
        all: bool,
        /// Orders in this status (default: awaiting_shipment).
        #[arg(long, value_parser = parse_status)]
        status: Option<OrderStatus>,
        /// These order numbers only, comma-separated.
        #[arg(long)]
        orders: Option<String>,
        /// The file to write.
        #[arg(short = 'o', long = "output")]
        output: Option<PathBuf>,
        /// Parcels per delivery of an order, comma-separated NUMBER=N (a slip and a key for each,
        /// so every parcel's tracking number comes back); 1 when not named.
        #[arg(long)]
        parcels: Option<String>,
        /// Cut fields over their limit, marked with …, instead of stopping their rows.
        #[arg(long)]
        cut: bool,
        /// List the slips and their problems; write nothing.
        #[arg(long)]
        preview: bool,
        /// Write the rows that can be written, leaving the stopped ones out.
        #[arg(long)]
        leave_out_stopped: bool,
    },
    /// Read the label software's issued data (B2, e飛伝, ゆうプリR 発送履歴) back: every
    /// delivery's tracking number, set in one transaction; the next export sends them.
    Import {
        /// The issued-data file (CP932 or UTF-8).
        file: PathBuf,
        /// Replace numbers the deliveries have already (a slip printed again).
        #[arg(long)]
        replace: bool,
        /// Show what would change; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Import the good rows even when some are refused.
        #[arg(long)]
        skip_bad_rows: bool,
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
        /// Another parcel of the delivery (a mall that takes several tracking numbers per
        /// delivery): added beside the first, which stays.
        #[arg(long)]
        more: bool,
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
