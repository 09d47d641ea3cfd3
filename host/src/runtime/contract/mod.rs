//! The one seam between the host and the WIT contract versions. A plugin is bound to the
//! newest version its component implements ([`Contract::bind`]); every export is then called
//! through one method of [`Contract`] that takes and returns the host's own types
//! ([`crate::connector`], [`crate::model`]). Each version's module converts its types to the
//! host's and checks what only it can (sizes, result counts, well-formed values); every order,
//! whichever version gave it, is then checked once here ([`crate::model::Order::check`]).
//!
//! What a version lacks, its module makes up inside this seam: a 0.1.0 plugin returns records
//! from `fetch-orders` and maps them in a second call, which [`fetch_page`] makes (through
//! [`Calls`]) so the rest of the host only ever sees mapped orders. The host side (`send`, `log`,
//! `now`, …) is implemented once, for the newest version ([`v0_3_0`]'s `host`); an older
//! version converts its arguments and delegates, as Zed's extension host does.
//!
//! Adding a version: a sibling module with its `bindgen!`, `version_calls!()` (`calls`: the calls
//! every version makes alike) and its conversions, a [`Contract`] variant, an arm in each method,
//! a line in [`add_to_linker`] and [`Contract::bind`]; the version before it then delegates its
//! host side to the new one.

#[macro_use]
mod calls;
mod v0_1_0;
mod v0_2_0;
mod v0_3_0;

use wasmtime::Store;
use wasmtime::component::{Component, Linker};

use super::CallError;
use crate::capabilities::PluginState;
use crate::connector::{
    ConnectorError, FetchPage, OrderState, PluginInfo, RawOrder, Shipment, TakeOutcome, Window,
};
use crate::model::{Order, OrderProblem};

/// Contract versions this host implements, newest first.
pub const SUPPORTED: &[&str] = &[v0_3_0::VERSION, v0_2_0::VERSION, v0_1_0::VERSION];

/// What a shop's call carries besides its arguments.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CallContext<'a> {
    /// The shop the call is for.
    pub shop_id: &'a str,
    /// The shop's API base URL.
    pub base_url: &'a str,
    /// The shop's plain settings (0.2.0 on).
    pub settings: &'a std::collections::BTreeMap<String, String>,
}

/// Why a call's return cannot be used as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Returned {
    /// The plugin reported an error (the mall's or its own).
    Connector(ConnectorError),
    /// The plugin returned something malformed or over a limit.
    Malformed(String),
}

impl Returned {
    /// The call's error, naming the plugin and the call.
    pub(crate) fn into_call_error(self, plugin: &str, call: &'static str) -> CallError {
        match self {
            Returned::Connector(error) => CallError::Connector {
                plugin: plugin.into(),
                call,
                error,
            },
            Returned::Malformed(message) => CallError::Fault {
                plugin: plugin.into(),
                call,
                message,
            },
        }
    }
}

/// Per-order results of a batch call, keyed by the mall's order number.
pub type BatchResults<T> = Vec<(String, Result<T, ConnectorError>)>;

/// What one `fetch-orders` call gave: a page of mapped orders, or (0.1.0) a page whose orders
/// are still records, to be mapped in a second call.
pub(crate) enum Fetched {
    /// Orders mapped during the fetch.
    Mapped(FetchPage),
    /// The page without its orders, and the records to map.
    Records(FetchPage, Vec<RawOrder>),
}

/// Runs one export of a shop's active plugin on a fresh instance (with the shop's HTTP grant
/// when `http`), returning its result with the label (`mall@version`) of the plugin that
/// answered. What a call needs from the runtime, so a version can make several calls of one
/// export ([`fetch_page`]).
pub(crate) trait Calls {
    async fn call<T>(
        &self,
        call: &'static str,
        http: bool,
        f: impl AsyncFnOnce(
            &Contract,
            &mut Store<PluginState>,
            CallContext<'_>,
            usize,
        ) -> wasmtime::Result<Result<T, Returned>>,
    ) -> Result<(T, String), CallError>;
}

/// A plugin's component, bound to the contract version it implements.
pub(crate) enum Contract {
    /// `mallhost:connector@0.1.0`.
    V0_1_0(v0_1_0::MallConnectorPre<PluginState>),
    /// `mallhost:connector@0.2.0`.
    V0_2_0(v0_2_0::MallConnectorPre<PluginState>),
    /// `mallhost:connector@0.3.0`.
    V0_3_0(v0_3_0::MallConnectorPre<PluginState>),
}

/// Adds the host side of every supported contract version to `linker`.
pub(crate) fn add_to_linker(linker: &mut Linker<PluginState>) -> wasmtime::Result<()> {
    v0_1_0::add_to_linker(linker)?;
    v0_2_0::add_to_linker(linker)?;
    v0_3_0::add_to_linker(linker)
}

/// One page of new orders, every order mapped and checked: the plugin's own mapping, or (a
/// version that maps in a second call) its records mapped in one `map-orders` call — each on its
/// own when that call fails as a whole, so a record that breaks the plugin fails alone.
pub(crate) async fn fetch_page(
    calls: &impl Calls,
    window: Window,
    cursor: Option<&str>,
) -> Result<FetchPage<CallError>, CallError> {
    let call = "fetch-orders";
    let (fetched, label) = calls
        .call(call, true, async |c, s, ctx, max| {
            c.fetch_orders(s, ctx, window, cursor, max).await
        })
        .await?;
    let (page, records) = match fetched {
        Fetched::Mapped(page) => (page, Vec::new()),
        Fetched::Records(page, records) => (page, records),
    };
    let mut orders: Vec<(String, Result<Order, CallError>)> = page
        .orders
        .into_iter()
        .map(|(n, r)| {
            let r = r.map_err(|error| CallError::Connector {
                plugin: label.clone(),
                call,
                error,
            });
            (n, r)
        })
        .collect();
    if !records.is_empty() {
        let mapped = map_isolated(calls, &records).await;
        orders.extend(records.into_iter().map(|r| r.mall_order_number).zip(mapped));
    }
    Ok(FetchPage {
        orders,
        skipped: page.skipped,
        next_cursor: page.next_cursor,
    })
}

/// Maps records in one `map-orders` call; when that call fails as a whole (a trap, a limit, a
/// malformed return), maps each record in a call of its own.
async fn map_isolated(calls: &impl Calls, records: &[RawOrder]) -> Vec<Result<Order, CallError>> {
    match map_orders(calls, records).await {
        Ok(mapped) => mapped,
        Err(batch) => {
            tracing::warn!(
                "{batch}; mapping the page's {} orders one by one",
                records.len()
            );
            let mut out = Vec::with_capacity(records.len());
            for r in records {
                out.push(map_one(calls, r).await);
            }
            out
        }
    }
}

/// Maps records in one `map-orders` call (no request is allowed): one result per record, in
/// order, each checked.
pub(crate) async fn map_orders(
    calls: &impl Calls,
    records: &[RawOrder],
) -> Result<Vec<Result<Order, CallError>>, CallError> {
    let call = "map-orders";
    let (results, label) = calls
        .call(call, false, async |c, s, ctx, max| {
            c.map_orders(s, ctx, records, max).await
        })
        .await?;
    Ok(results
        .into_iter()
        .map(|r| r.map_err(|e| e.into_call_error(&label, call)))
        .collect())
}

/// Maps one record ([`map_orders`] with one).
pub(crate) async fn map_one(calls: &impl Calls, record: &RawOrder) -> Result<Order, CallError> {
    let mut all = map_orders(calls, std::slice::from_ref(record)).await?;
    all.pop().unwrap_or_else(|| {
        Err(CallError::Fault {
            plugin: record.mall_order_number.clone(),
            call: "map-orders",
            message: "no result".into(),
        })
    })
}

/// What a plugin's declaration may hold: settings, carriers, and bytes of one text.
pub(crate) const MAX_INFO_SETTINGS: usize = 100;
/// Carriers a declaration may list.
pub(crate) const MAX_INFO_CARRIERS: usize = 200;
/// Bytes of a name, label or id in a declaration.
pub(crate) const MAX_INFO_NAME: usize = 200;
/// Bytes of a help text, a header template or an OAuth scope in a declaration.
pub(crate) const MAX_INFO_TEXT: usize = 2000;
/// Code words (status and payment codes in words) a declaration may give.
pub(crate) const MAX_INFO_WORDS: usize = 1000;
/// Computed headers a declaration may ask for.
pub(crate) const MAX_INFO_HEADERS: usize = 20;

/// A declaration within the bounds above, or the first part over them.
fn info_bounded(i: &PluginInfo) -> Result<(), Returned> {
    let over = |what: String, got: usize, max: usize| {
        Err(Returned::Malformed(format!(
            "its declaration is too large: {what} is {got}; at most {max}"
        )))
    };
    if i.settings.len() > MAX_INFO_SETTINGS {
        return over(
            "the number of settings".into(),
            i.settings.len(),
            MAX_INFO_SETTINGS,
        );
    }
    let carriers = &i.capabilities.carriers;
    if carriers.len() > MAX_INFO_CARRIERS {
        return over(
            "the number of carriers".into(),
            carriers.len(),
            MAX_INFO_CARRIERS,
        );
    }
    if i.words.len() > MAX_INFO_WORDS {
        return over(
            "the number of code words".into(),
            i.words.len(),
            MAX_INFO_WORDS,
        );
    }
    if i.computed_headers.len() > MAX_INFO_HEADERS {
        return over(
            "the number of computed headers".into(),
            i.computed_headers.len(),
            MAX_INFO_HEADERS,
        );
    }
    let mut texts: Vec<(String, &str, usize)> = vec![
        ("the mall name (bytes)".into(), &i.mall_name, MAX_INFO_NAME),
        (
            "the plugin version (bytes)".into(),
            &i.plugin_version,
            MAX_INFO_NAME,
        ),
        (
            "the contract version (bytes)".into(),
            &i.contract_version,
            MAX_INFO_NAME,
        ),
    ];
    if let Some(k) = &i.csv_order_key {
        texts.push(("the CSV order key (bytes)".into(), k, MAX_INFO_NAME));
    }
    if let Some(k) = &i.signing_key {
        texts.push(("the signing key's name (bytes)".into(), k, MAX_INFO_NAME));
    }
    for s in &i.settings {
        texts.push((
            format!("setting {:.40?}'s name (bytes)", s.name),
            &s.name,
            MAX_INFO_NAME,
        ));
        texts.push((
            format!("setting {:.40?}'s label (bytes)", s.name),
            &s.label,
            MAX_INFO_NAME,
        ));
        texts.push((
            format!("setting {:.40?}'s help (bytes)", s.name),
            &s.help,
            MAX_INFO_TEXT,
        ));
    }
    for c in carriers {
        texts.push((
            format!("carrier {:.40?}'s id (bytes)", c.id),
            &c.id,
            MAX_INFO_NAME,
        ));
        texts.push((
            format!("carrier {:.40?}'s name (bytes)", c.id),
            &c.name,
            MAX_INFO_NAME,
        ));
    }
    for w in &i.words {
        texts.push((
            format!("code {:.40?}'s code (bytes)", w.code),
            &w.code,
            MAX_INFO_NAME,
        ));
        texts.push((
            format!("code {:.40?}'s words (bytes)", w.code),
            &w.words,
            MAX_INFO_NAME,
        ));
    }
    for h in &i.computed_headers {
        let template = match &h.value {
            crate::connector::HeaderValue::Template { template }
            | crate::connector::HeaderValue::Encrypted { template, .. } => template,
        };
        texts.push((
            format!("computed header {:.40?}'s template (bytes)", h.header),
            template,
            MAX_INFO_TEXT,
        ));
    }
    match &i.auth {
        crate::connector::AuthScheme::Header { header, template } => {
            texts.push(("the auth header (bytes)".into(), header, MAX_INFO_NAME));
            texts.push(("the auth template (bytes)".into(), template, MAX_INFO_TEXT));
        }
        crate::connector::AuthScheme::OAuth2Refresh {
            scope: Some(scope), ..
        } => {
            texts.push(("the OAuth 2 scope (bytes)".into(), scope, MAX_INFO_TEXT));
        }
        _ => {}
    }
    for (what, text, max) in texts {
        if text.len() > max {
            return over(what, text.len(), max);
        }
    }
    Ok(())
}

/// Most entries (orders, records and orders left out) one page may hold.
pub(crate) const MAX_PAGE_ENTRIES: usize = 10_000;

/// Longest cursor a page may hand back, in bytes.
pub(crate) const MAX_CURSOR: usize = 4096;

/// A page within [`MAX_PAGE_ENTRIES`] and [`MAX_CURSOR`] (else malformed as a whole), the order
/// numbers it names made safe to log and print ([`plugin_text`]).
fn bounded(fetched: Fetched) -> Result<Fetched, Returned> {
    let (page, records) = match &fetched {
        Fetched::Mapped(p) => (p, 0),
        Fetched::Records(p, r) => (p, r.len()),
    };
    let entries = page.orders.len() + page.skipped.len() + records;
    if entries > MAX_PAGE_ENTRIES {
        return Err(Returned::Malformed(format!(
            "returned {entries} orders and skipped entries in one page; at most \
             {MAX_PAGE_ENTRIES}"
        )));
    }
    if let Some(c) = &page.next_cursor
        && c.len() > MAX_CURSOR
    {
        return Err(Returned::Malformed(format!(
            "returned a cursor of {} bytes; at most {MAX_CURSOR}",
            c.len()
        )));
    }
    let safe = |n: String| plugin_text(&n, crate::model::MAX_CODE);
    let clean = |p: FetchPage| FetchPage {
        orders: p.orders.into_iter().map(|(n, r)| (safe(n), r)).collect(),
        skipped: p.skipped.into_iter().map(|(n, r)| (safe(n), r)).collect(),
        next_cursor: p.next_cursor,
    };
    Ok(match fetched {
        Fetched::Mapped(p) => Fetched::Mapped(clean(p)),
        Fetched::Records(p, r) => Fetched::Records(
            clean(p),
            r.into_iter()
                .map(|r| RawOrder {
                    mall_order_number: safe(r.mall_order_number),
                    ..r
                })
                .collect(),
        ),
    })
}

/// An order checked as every order is ([`Order::check`]), or why it cannot be used.
fn checked(order: Order, now: chrono::DateTime<chrono::Utc>) -> Result<Order, OrderProblem> {
    order.check(now).map(|()| order)
}

impl Contract {
    /// Binds a component to the newest contract version it implements, or says why none fits.
    pub(crate) fn bind(
        linker: &Linker<PluginState>,
        component: &Component,
    ) -> Result<Contract, String> {
        let pre = linker
            .instantiate_pre(component)
            .map_err(|e| format!("{e:#}"))?;
        let newest = match v0_3_0::MallConnectorPre::new(pre.clone()) {
            Ok(p) => return Ok(Contract::V0_3_0(p)),
            Err(e) => e,
        };
        let before = match v0_2_0::MallConnectorPre::new(pre.clone()) {
            Ok(p) => return Ok(Contract::V0_2_0(p)),
            Err(e) => e,
        };
        v0_1_0::MallConnectorPre::new(pre)
            .map(Contract::V0_1_0)
            .map_err(|older| {
                format!(
                    "it exports none of mallhost:connector/connector@{} ({newest:#}), @{} \
                     ({before:#}) and @{} ({older:#})",
                    v0_3_0::VERSION,
                    v0_2_0::VERSION,
                    v0_1_0::VERSION
                )
            })
    }

    /// The version bound.
    pub(crate) fn version(&self) -> &'static str {
        match self {
            Contract::V0_1_0(_) => v0_1_0::VERSION,
            Contract::V0_2_0(_) => v0_2_0::VERSION,
            Contract::V0_3_0(_) => v0_3_0::VERSION,
        }
    }

    /// `info`: what the plugin says it is.
    pub(crate) async fn info(
        &self,
        store: &mut Store<PluginState>,
    ) -> wasmtime::Result<Result<PluginInfo, Returned>> {
        let info = match self {
            Contract::V0_1_0(pre) => v0_1_0::info(pre, store).await?,
            Contract::V0_2_0(pre) => v0_2_0::info(pre, store).await?,
            Contract::V0_3_0(pre) => v0_3_0::info(pre, store).await?,
        };
        Ok(info.and_then(|i| info_bounded(&i).map(|()| i)))
    }

    /// `fetch-orders`: one page of new orders, each mapped and checked, or still records.
    async fn fetch_orders(
        &self,
        store: &mut Store<PluginState>,
        ctx: CallContext<'_>,
        window: Window,
        cursor: Option<&str>,
        max_return: usize,
    ) -> wasmtime::Result<Result<Fetched, Returned>> {
        let now = store.data().clock.now();
        let page = match self {
            Contract::V0_1_0(pre) => {
                let fetched = v0_1_0::fetch_orders(pre, store, ctx, window, cursor, max_return)
                    .await?
                    .map(|(page, records)| Fetched::Records(page, records));
                return Ok(fetched.and_then(bounded));
            }
            Contract::V0_2_0(pre) => {
                v0_2_0::fetch_orders(pre, store, ctx, window, cursor, max_return).await?
            }
            Contract::V0_3_0(pre) => {
                v0_3_0::fetch_orders(pre, store, ctx, window, cursor, max_return).await?
            }
        };
        let fetched = page.map(|page| {
            let FetchPage {
                orders,
                skipped,
                next_cursor,
            } = page;
            let orders = orders
                .into_iter()
                .map(|(n, r)| {
                    let r = r.and_then(|o| {
                        checked(o, now).map_err(|e| ConnectorError::InvalidInput {
                            field: e.field.clone(),
                            message: format!("the plugin returned a malformed order: {e}"),
                        })
                    });
                    (n, r)
                })
                .collect();
            Fetched::Mapped(FetchPage {
                orders,
                skipped,
                next_cursor,
            })
        });
        Ok(fetched.and_then(bounded))
    }

    /// `map-orders`: one result per record, in order, each checked.
    pub(crate) async fn map_orders(
        &self,
        store: &mut Store<PluginState>,
        ctx: CallContext<'_>,
        raws: &[RawOrder],
        max_return: usize,
    ) -> wasmtime::Result<Result<Vec<Result<Order, Returned>>, Returned>> {
        let mapped = match self {
            Contract::V0_1_0(pre) => v0_1_0::map_orders(pre, store, raws, max_return).await?,
            Contract::V0_2_0(pre) => v0_2_0::map_orders(pre, store, ctx, raws, max_return).await?,
            Contract::V0_3_0(pre) => v0_3_0::map_orders(pre, store, ctx, raws, max_return).await?,
        };
        let now = store.data().clock.now();
        Ok(mapped.map(|orders| {
            orders
                .into_iter()
                .map(|r| {
                    r.and_then(|o| {
                        checked(o, now).map_err(|e| {
                            Returned::Malformed(format!("returned a malformed order: {e}"))
                        })
                    })
                })
                .collect()
        }))
    }

    /// `take-orders`: one result per order number.
    pub(crate) async fn take_orders(
        &self,
        store: &mut Store<PluginState>,
        ctx: CallContext<'_>,
        numbers: &[String],
    ) -> wasmtime::Result<Result<BatchResults<TakeOutcome>, Returned>> {
        let r = match self {
            Contract::V0_1_0(pre) => v0_1_0::take_orders(pre, store, ctx, numbers).await?,
            Contract::V0_2_0(pre) => v0_2_0::take_orders(pre, store, ctx, numbers).await?,
            Contract::V0_3_0(pre) => v0_3_0::take_orders(pre, store, ctx, numbers).await?,
        };
        Ok(r.map(|r| only_asked("take-orders", numbers.iter(), r)))
    }

    /// `push-shipments`: one result per shipment.
    pub(crate) async fn push_shipments(
        &self,
        store: &mut Store<PluginState>,
        ctx: CallContext<'_>,
        shipments: &[Shipment],
    ) -> wasmtime::Result<Result<BatchResults<()>, Returned>> {
        let r = match self {
            Contract::V0_1_0(pre) => v0_1_0::push_shipments(pre, store, ctx, shipments).await?,
            Contract::V0_2_0(pre) => v0_2_0::push_shipments(pre, store, ctx, shipments).await?,
            Contract::V0_3_0(pre) => v0_3_0::push_shipments(pre, store, ctx, shipments).await?,
        };
        let asked = shipments.iter().map(|s| &s.mall_order_number);
        Ok(r.map(|r| only_asked("push-shipments", asked, r)))
    }

    /// `order-states`: the mall's state of orders; one result per order. 0.1.0 has no such
    /// export: the mall's states are then unknown (`unsupported`).
    pub(crate) async fn order_states(
        &self,
        store: &mut Store<PluginState>,
        ctx: CallContext<'_>,
        numbers: &[String],
    ) -> wasmtime::Result<Result<BatchResults<OrderState>, Returned>> {
        match self {
            Contract::V0_1_0(_) => Ok(Err(Returned::Connector(ConnectorError::Unsupported {
                message: format!(
                    "contract {} has no status sync; a plugin on {} or later has",
                    v0_1_0::VERSION,
                    v0_2_0::VERSION
                ),
            }))),
            Contract::V0_2_0(pre) => Ok(v0_2_0::order_states(pre, store, ctx, numbers)
                .await?
                .map(|r| only_asked("order-states", numbers.iter(), r))),
            Contract::V0_3_0(pre) => Ok(v0_3_0::order_states(pre, store, ctx, numbers)
                .await?
                .map(|r| only_asked("order-states", numbers.iter(), r))),
        }
    }
}

/// Why a value from the plugin cannot be used (the plugin's fault, not the mall's).
#[derive(Debug, thiserror::Error)]
#[error("`{field}`: {message}")]
struct Malformed {
    field: String,
    message: String,
}

fn malformed(field: impl Into<String>, message: impl Into<String>) -> Malformed {
    Malformed {
        field: field.into(),
        message: message.into(),
    }
}

/// An instant from the plugin's UTC seconds, or the field naming why not.
fn instant(field: &str, secs: i64) -> Result<chrono::DateTime<chrono::Utc>, Malformed> {
    chrono::DateTime::from_timestamp(secs, 0)
        .ok_or_else(|| malformed(field, format!("{secs} is out of range")))
}

/// A version's `map-orders` results in the host's types: one per record (else the return is
/// malformed), within the return-size limit (`size` counts each), each the plugin's error or an
/// order converted by `convert`.
fn mapped<W, E>(
    outcome: Vec<Result<W, E>>,
    asked: usize,
    max_return: usize,
    size: fn(&W) -> usize,
    error: fn(E) -> ConnectorError,
    convert: fn(W) -> Result<Order, Malformed>,
) -> Result<Vec<Result<Order, Returned>>, Returned> {
    if outcome.len() != asked {
        return Err(Returned::Malformed(format!(
            "returned {} results for {asked} records",
            outcome.len()
        )));
    }
    let total: usize = outcome.iter().map(|r| r.as_ref().map_or(0, size)).sum();
    check_size(total, max_return)?;
    Ok(outcome
        .into_iter()
        .map(|r| {
            let o = r.map_err(|e| Returned::Connector(error(e)))?;
            convert(o).map_err(|e| Returned::Malformed(format!("returned a malformed order: {e}")))
        })
        .collect())
}

/// The results of a batch call for what was asked, each number once: a result for a number not
/// asked (or a second one for a number) is dropped, with one line saying how many, so a plugin
/// cannot change an order it was not asked about.
fn only_asked<'a, T>(
    call: &str,
    asked: impl Iterator<Item = &'a String>,
    results: BatchResults<T>,
) -> BatchResults<T> {
    let mut open: std::collections::HashSet<&String> = asked.collect();
    let total = results.len();
    let kept: BatchResults<T> = results
        .into_iter()
        .filter(|(n, _)| open.remove(n))
        .collect();
    if kept.len() < total {
        tracing::warn!(
            "{call}: the plugin answered {} results for orders it was not asked about (or twice \
             for one); they are ignored",
            total - kept.len()
        );
    }
    kept
}

/// A batch result list that answers more entries than were asked for is malformed.
fn check_count(what: &str, got: usize, asked: usize) -> Result<(), Returned> {
    if got > asked {
        return Err(Returned::Malformed(format!(
            "returned {got} results for {asked} {what}"
        )));
    }
    Ok(())
}

/// A return over the call's size limit is refused whole.
fn check_size(got: usize, limit: usize) -> Result<(), Returned> {
    if got > limit {
        return Err(Returned::Malformed(
            super::LimitExceeded::Return { got, limit }.to_string(),
        ));
    }
    Ok(())
}

/// Most bytes of one text a plugin hands the host (an error message, a reason), kept.
pub(crate) const MAX_PLUGIN_TEXT: usize = 4096;

pub(crate) use crate::capabilities::log::plugin_text;

/// A connector error with every text of the plugin's made safe ([`plugin_text`]).
pub(crate) fn clean_error(e: ConnectorError) -> ConnectorError {
    e.map_texts(
        |s| plugin_text(&s, MAX_PLUGIN_TEXT),
        |s| plugin_text(&s, 200),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_results_than_asked_is_malformed_not_too_big() {
        assert_eq!(check_count("orders", 2, 2), Ok(()));
        assert_eq!(
            check_count("orders", 3, 2),
            Err(Returned::Malformed(
                "returned 3 results for 2 orders".into()
            ))
        );
        assert!(
            matches!(check_size(11, 10), Err(Returned::Malformed(m)) if m.contains("limit of 10"))
        );
    }

    #[test]
    fn a_declaration_of_too_many_words_or_headers_is_refused_naming_what() {
        let word = |n: usize| crate::connector::CodeWord {
            kind: crate::connector::CodeKind::MallStatus,
            code: n.to_string(),
            words: "受付".into(),
        };
        let mut i = PluginInfo::unknown("0.3.0");
        i.words = (0..MAX_INFO_WORDS).map(word).collect();
        assert_eq!(info_bounded(&i), Ok(()));
        i.words.push(word(MAX_INFO_WORDS));
        assert!(
            matches!(info_bounded(&i), Err(Returned::Malformed(m)) if m.contains("code words")),
            "{:?}",
            info_bounded(&i)
        );
        i.words = vec![crate::connector::CodeWord {
            words: "語".repeat(100),
            ..word(1)
        }];
        assert!(
            matches!(info_bounded(&i), Err(Returned::Malformed(m)) if m.contains("words (bytes)"))
        );
        i.words.clear();
        let header = |t: &str| crate::connector::ComputedHeader {
            header: "x-sig".into(),
            value: crate::connector::HeaderValue::Template { template: t.into() },
        };
        i.computed_headers = vec![header(&"{a}".repeat(1000))];
        assert!(
            matches!(info_bounded(&i), Err(Returned::Malformed(m)) if m.contains("template (bytes)"))
        );
        i.computed_headers = (0..=MAX_INFO_HEADERS).map(|_| header("{a}")).collect();
        assert!(
            matches!(info_bounded(&i), Err(Returned::Malformed(m)) if m.contains("computed headers"))
        );
    }

    #[test]
    fn plugin_text_is_escaped_and_capped() {
        let forged = "ok\n2026-11-29 INFO mallhost: all good\x1b[2J\r\0";
        let t = plugin_text(forged, 100);
        assert!(
            !t.contains('\n') && !t.contains('\x1b') && !t.contains('\0'),
            "{t}"
        );
        assert!(t.contains("\\n") && t.contains("\\u{1b}"), "{t}");
        let big = "受".repeat(20_000);
        let t = plugin_text(&big, MAX_PLUGIN_TEXT);
        assert!(t.len() < MAX_PLUGIN_TEXT + 64, "{}", t.len());
        assert!(t.ends_with("more bytes cut]"), "{}", &t[t.len() - 40..]);
    }
}
