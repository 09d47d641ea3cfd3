//! Contract `mallhost:connector@0.1.0` (`wit/0.1.0/`): the generated bindings, its host side
//! (converted to the newest version's and delegated to it), each export called with the host's
//! types, and the conversions between its types and the host's. What 0.1.0 lacks is made up
//! here: its declaration (one credential, HTTP Basic from the legacy settings), and its fetch
//! returns records that the seam maps in a second call. It stays, so plugins built against it
//! keep working.

use chrono::{Datelike, NaiveDate};
use wasmtime::Store;
use wasmtime::component::{HasSelf, Linker};

use super::{
    BatchResults, CallContext, Malformed, Returned, check_count, check_size, instant, malformed,
};
use crate::capabilities::PluginState;
use crate::connector as c;
use crate::model as m;

wasmtime::component::bindgen!({
    path: "../wit/0.1.0",
    world: "mall-connector",
    imports: { default: async | trappable },
    exports: { default: async },
    // Arguments to the plugin's exports borrow from the host's values: the order bodies
    // handed to `map-orders` are copied once, into the guest, not cloned first.
    ownership: Borrowing { duplicate_if_necessary: true },
});

use self::mallhost::connector::host as wit_host;
use self::mallhost::connector::types as wit;

/// The contract version this module implements.
pub const VERSION: &str = "0.1.0";

/// 0.1.0 had one credential, named `api` by the plugin, that the host sent as HTTP Basic from
/// the shop's `partner_code` (user) and `api_password`: in later terms, two declared settings.
pub(super) const LEGACY_CREDENTIAL: &str = "api";
use crate::config::{LEGACY_PASSWORD, LEGACY_USER};

fn legacy_settings() -> Vec<c::SettingSpec> {
    vec![
        c::SettingSpec {
            name: LEGACY_USER.into(),
            label: "partner code (user of the mall's API)".into(),
            secret: false,
            required: true,
            expires: false,
            help: "the mall's merchant screen".into(),
        },
        c::SettingSpec {
            name: LEGACY_PASSWORD.into(),
            label: "API password".into(),
            secret: true,
            required: true,
            expires: false,
            help: "the mall's merchant screen".into(),
        },
    ]
}

/// Adds this version's host interface to `linker`.
pub(super) fn add_to_linker(linker: &mut Linker<PluginState>) -> wasmtime::Result<()> {
    MallConnector::add_to_linker::<_, HasSelf<_>>(linker, |s| s)
}

pub(super) async fn info(
    pre: &MallConnectorPre<PluginState>,
    store: &mut Store<PluginState>,
) -> wasmtime::Result<Result<c::PluginInfo, Returned>> {
    let i = pre.instantiate_async(&mut *store).await?;
    let info = i.mallhost_connector_connector().call_info(store).await?;
    let file_import = info.csv_order_key.is_some();
    Ok(Ok(c::PluginInfo {
        mall_id: info.mall_id,
        mall_name: info.mall_name,
        plugin_version: info.plugin_version,
        contract_version: info.contract_version,
        csv_order_key: info.csv_order_key,
        settings: legacy_settings(),
        auth: c::AuthScheme::Basic {
            user: LEGACY_USER.into(),
            password: LEGACY_PASSWORD.into(),
        },
        pacing: None,
        signing_key: None,
        capabilities: c::Capabilities {
            take: true,
            push: true,
            status_sync: false,
            file_import,
            shipping_per_delivery: false,
            max_parcels: 1,
            carriers: Vec::new(),
            one_carrier_per_order: false,
        },
        batch: crate::connector::BatchSizes::default(),
        computed_headers: Vec::new(),
        words: Vec::new(),
    }))
}

pub(super) async fn fetch_orders(
    pre: &MallConnectorPre<PluginState>,
    store: &mut Store<PluginState>,
    ctx: CallContext<'_>,
    window: c::Window,
    cursor: Option<&str>,
    max_return: usize,
) -> wasmtime::Result<Result<(c::FetchPage, Vec<c::RawOrder>), Returned>> {
    let i = pre.instantiate_async(&mut *store).await?;
    let page = i
        .mallhost_connector_connector()
        .call_fetch_orders(store, context(ctx), fetch_request(window, cursor))
        .await?;
    Ok(page
        .map_err(|e| Returned::Connector(error(e)))
        .and_then(|p| {
            check_size(page_size(&p), max_return)?;
            Ok(fetch_page(p))
        }))
}

pub(super) async fn map_orders(
    pre: &MallConnectorPre<PluginState>,
    store: &mut Store<PluginState>,
    raws: &[c::RawOrder],
    max_return: usize,
) -> wasmtime::Result<Result<Vec<Result<m::Order, Returned>>, Returned>> {
    let wit: Vec<_> = raws.iter().map(raw_to).collect();
    let i = pre.instantiate_async(&mut *store).await?;
    let outcome = i
        .mallhost_connector_connector()
        .call_map_orders(store, &wit)
        .await?;
    Ok(super::mapped(
        outcome,
        raws.len(),
        max_return,
        order_size,
        error,
        order,
    ))
}

pub(super) async fn take_orders(
    pre: &MallConnectorPre<PluginState>,
    store: &mut Store<PluginState>,
    ctx: CallContext<'_>,
    numbers: &[String],
) -> wasmtime::Result<Result<BatchResults<c::TakeOutcome>, Returned>> {
    let numbers_ref: Vec<&str> = numbers.iter().map(String::as_str).collect();
    let i = pre.instantiate_async(&mut *store).await?;
    let r = i
        .mallhost_connector_connector()
        .call_take_orders(store, context(ctx), &numbers_ref)
        .await?;
    Ok(check_count("orders", r.len(), numbers.len()).map(|()| take_results(r)))
}

pub(super) async fn push_shipments(
    pre: &MallConnectorPre<PluginState>,
    store: &mut Store<PluginState>,
    ctx: CallContext<'_>,
    shipments: &[c::Shipment],
) -> wasmtime::Result<Result<BatchResults<()>, Returned>> {
    let wit: Vec<_> = shipments.iter().map(shipment).collect();
    let i = pre.instantiate_async(&mut *store).await?;
    let r = i
        .mallhost_connector_connector()
        .call_push_shipments(store, context(ctx), &wit)
        .await?;
    Ok(check_count("shipments", r.len(), shipments.len()).map(|()| push_results(r)))
}

impl wit::Host for PluginState {}

/// The newest version's host side, which this one delegates to.
use super::v0_3_0::wit_host as latest;

impl From<wit_host::Method> for latest::Method {
    fn from(m: wit_host::Method) -> latest::Method {
        match m {
            wit_host::Method::Get => latest::Method::Get,
            wit_host::Method::Post => latest::Method::Post,
            wit_host::Method::Put => latest::Method::Put,
            wit_host::Method::Delete => latest::Method::Delete,
        }
    }
}

impl From<wit_host::Level> for latest::Level {
    fn from(l: wit_host::Level) -> latest::Level {
        match l {
            wit_host::Level::Debug => latest::Level::Debug,
            wit_host::Level::Info => latest::Level::Info,
            wit_host::Level::Warn => latest::Level::Warn,
            wit_host::Level::Error => latest::Level::Error,
        }
    }
}

impl From<latest::Response> for wit_host::Response {
    fn from(r: latest::Response) -> wit_host::Response {
        wit_host::Response {
            status: r.status,
            headers: r.headers,
            body: r.body,
        }
    }
}

impl From<latest::HttpError> for wit_host::HttpError {
    fn from(e: latest::HttpError) -> wit_host::HttpError {
        match e {
            latest::HttpError::Denied(m) => wit_host::HttpError::Denied(m),
            latest::HttpError::InvalidRequest(m) => wit_host::HttpError::InvalidRequest(m),
            latest::HttpError::Transport(m) => wit_host::HttpError::Transport(m),
            latest::HttpError::TooLarge(n) => wit_host::HttpError::TooLarge(n),
            latest::HttpError::BudgetExhausted(n) => wit_host::HttpError::BudgetExhausted(n),
        }
    }
}

/// 0.1.0's host side: its arguments in the newest version's terms, the newest version's host
/// side called.
impl wit_host::Host for PluginState {
    async fn send(
        &mut self,
        req: wit_host::Request,
    ) -> wasmtime::Result<Result<wit_host::Response, wit_host::HttpError>> {
        // 0.1.0 named its one credential; any other name has nothing behind it.
        if let Some(name) = req.credential.as_deref()
            && name != LEGACY_CREDENTIAL
        {
            return Ok(Err(wit_host::HttpError::InvalidRequest(format!(
                "the shop has no credential named {name:?}"
            ))));
        }
        let req = latest::Request {
            method: req.method.into(),
            url: req.url,
            headers: req.headers,
            body: req.body,
            authenticate: req.credential.is_some(),
        };
        let answer = latest::Host::send(self, req).await?;
        Ok(answer.map(Into::into).map_err(Into::into))
    }

    async fn log(&mut self, level: wit_host::Level, message: String) -> wasmtime::Result<()> {
        latest::Host::log(self, level.into(), message).await
    }

    async fn now(&mut self) -> wasmtime::Result<wit::Instant> {
        latest::Host::now(self).await
    }
}

/// Approximate bytes of a fetched page (strings counted), for the return-size limit.
fn page_size(p: &wit::FetchPage) -> usize {
    p.orders
        .iter()
        .map(|o| o.body.len() + o.mall_order_number.len() + 8)
        .sum::<usize>()
        + p.skipped
            .iter()
            .map(|s| s.mall_order_number.len() + 8)
            .sum::<usize>()
        + p.next_cursor.as_ref().map_or(0, String::len)
}

/// Approximate bytes of a mapped order (strings counted), for the return-size limit.
fn order_size(o: &wit::Order) -> usize {
    let addr = |a: &wit::Address| {
        a.name.len()
            + a.name_kana.len()
            + a.postal_code.len()
            + a.prefecture.len()
            + a.address1.len()
            + a.address2.len()
            + a.phone.len()
    };
    o.mall_order_number.len()
        + o.mall_status.len()
        + o.payment_method.len()
        + o.buyer_note.len()
        + addr(&o.buyer)
        + o.deliveries
            .iter()
            .map(|d| {
                addr(&d.recipient)
                    + d.delivery_method.len()
                    + d.desired_time_slot.len()
                    + d.lines
                        .iter()
                        .map(|l| l.item_code.len() + l.sku_code.len() + 32)
                        .sum::<usize>()
            })
            .sum::<usize>()
}

fn context(ctx: CallContext<'_>) -> wit::CallContext<'_> {
    wit::CallContext {
        shop_id: ctx.shop_id,
        base_url: ctx.base_url,
    }
}

fn fetch_request(w: c::Window, cursor: Option<&str>) -> wit::FetchRequest<'_> {
    wit::FetchRequest {
        window: wit::Window {
            start: w.start.timestamp(),
            end: w.end.timestamp(),
        },
        cursor,
    }
}

fn source_from(s: wit::OrderSource) -> m::OrderSource {
    match s {
        wit::OrderSource::Api => m::OrderSource::Api,
        wit::OrderSource::Csv => m::OrderSource::Csv,
    }
}

fn source_to(s: m::OrderSource) -> wit::OrderSource {
    match s {
        m::OrderSource::Api => wit::OrderSource::Api,
        m::OrderSource::Csv => wit::OrderSource::Csv,
    }
}

/// The page without its orders, and its records: 0.1.0 maps them in a second call (the seam
/// makes it).
fn fetch_page(p: wit::FetchPage) -> (c::FetchPage, Vec<c::RawOrder>) {
    let records = p.orders.into_iter().map(raw_from).collect();
    let page = c::FetchPage {
        orders: Vec::new(),
        skipped: p
            .skipped
            .into_iter()
            .map(|s| {
                let reason = match s.reason {
                    wit::SkipReason::TestOrder => c::SkipReason::TestOrder,
                    wit::SkipReason::TooRecent => c::SkipReason::TooRecent,
                };
                (s.mall_order_number, reason)
            })
            .collect(),
        next_cursor: p.next_cursor,
    };
    (page, records)
}

fn raw_from(r: wit::RawOrderResult) -> c::RawOrder {
    c::RawOrder {
        mall_order_number: r.mall_order_number,
        source: source_from(r.source),
        body: r.body,
    }
}

fn raw_to(r: &c::RawOrder) -> wit::RawOrderParam<'_> {
    wit::RawOrderParam {
        mall_order_number: &r.mall_order_number,
        source: source_to(r.source),
        body: &r.body,
    }
}

fn error(e: wit::ConnectorError) -> c::ConnectorError {
    super::clean_error(match e {
        wit::ConnectorError::Auth(message) => c::ConnectorError::Auth { message },
        wit::ConnectorError::RateLimited(retry_after_secs) => c::ConnectorError::RateLimited {
            retry_after_ms: retry_after_secs.saturating_mul(1000),
        },
        wit::ConnectorError::Transient(message) => c::ConnectorError::Transient { message },
        wit::ConnectorError::InvalidInput(f) => c::ConnectorError::InvalidInput {
            field: f.field,
            message: f.message,
        },
        wit::ConnectorError::Unsupported(message) => c::ConnectorError::Unsupported { message },
        wit::ConnectorError::Remote(r) => c::ConnectorError::Remote {
            code: r.code,
            message: r.message,
        },
        wit::ConnectorError::HostRefused(message) => c::ConnectorError::HostRefused { message },
    })
}

fn take_results(rs: Vec<wit::TakeResult>) -> BatchResults<c::TakeOutcome> {
    rs.into_iter()
        .map(|r| {
            let outcome = match r.outcome {
                Ok(wit::TakeOutcome::Taken) => Ok(c::TakeOutcome::Taken),
                Ok(wit::TakeOutcome::AlreadyTaken) => Ok(c::TakeOutcome::AlreadyTaken),
                Err(e) => Err(error(e)),
            };
            (r.mall_order_number, outcome)
        })
        .collect()
}

fn push_results(rs: Vec<wit::PushResult>) -> BatchResults<()> {
    rs.into_iter()
        .map(|r| (r.mall_order_number, r.outcome.map_err(error)))
        .collect()
}

/// 0.1.0 ships per order with one number: the first delivery's first parcel (the export always
/// gives one).
fn shipment(s: &c::Shipment) -> wit::Shipment<'_> {
    let parcel = s.first_parcel();
    wit::Shipment {
        mall_order_number: &s.mall_order_number,
        carrier_id: parcel.map_or("", |p| p.carrier_id.as_str()),
        tracking_number: parcel.map_or("", |p| p.tracking_number.as_str()),
        shipped_date: wit::Date {
            year: u16::try_from(s.shipped_date.year()).unwrap_or(0),
            month: s.shipped_date.month() as u8,
            day: s.shipped_date.day() as u8,
        },
    }
}

/// The calendar date, or why it is not one.
fn date(d: wit::Date) -> Result<NaiveDate, String> {
    NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
        .ok_or_else(|| format!("{}-{}-{} is not a date", d.year, d.month, d.day))
}

fn address(a: wit::Address) -> m::Address {
    m::Address {
        name: a.name,
        name_kana: a.name_kana,
        postal_code: a.postal_code,
        prefecture: a.prefecture,
        address1: a.address1,
        address2: a.address2,
        phone: a.phone,
        company: String::new(),
        department: String::new(),
    }
}

/// Converts a mapped order; conversion tables and product names are applied later by the host.
fn order(o: wit::Order) -> Result<m::Order, Malformed> {
    let deliveries = o
        .deliveries
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            Ok(m::Delivery {
                delivery_no: d.delivery_no,
                mall_delivery_id: None,
                recipient: address(d.recipient),
                delivery_method: d.delivery_method,
                carrier: None,
                desired_date: d
                    .desired_date
                    .map(|x| {
                        // The field name is only formatted for an error.
                        date(x).map_err(|m| malformed(format!("deliveries[{i}].desired-date"), m))
                    })
                    .transpose()?,
                desired_time_slot: d.desired_time_slot,
                time_slot: None,
                lines: d
                    .lines
                    .into_iter()
                    .map(|l| m::OrderLine {
                        line_no: l.line_no,
                        item_code: l.item_code,
                        sku_code: l.sku_code,
                        quantity: l.quantity,
                        unit_price: l.unit_price,
                        tax_rate: l.tax_rate,
                        has_add_on_service: l.has_add_on_service,
                        product_name: None,
                        option_text: None,
                        jan: None,
                    })
                    .collect(),
                gift_message: None,
            })
        })
        .collect::<Result<Vec<_>, Malformed>>()?;
    let a = o.amounts;
    let f = o.flags;
    let amounts = m::Amounts {
        items_total: a.items_total,
        shipping_fee: a.shipping_fee,
        cod_fee: a.cod_fee,
        points_used: a.points_used,
        coupon_discount: a.coupon_discount,
        billing_total: a.billing_total,
    };
    // 0.1.0 gives the summary only: its lists are made from it.
    let (fees, discounts) = amounts.as_lists();
    Ok(m::Order {
        ordered_at: instant("ordered-at", o.ordered_at)?,
        mall_updated_at: instant("updated-at", o.updated_at)?,
        mall_order_number: o.mall_order_number,
        mall_status: o.mall_status,
        payment_method: o.payment_method,
        buyer: address(o.buyer),
        deliveries,
        amounts,
        fees,
        discounts,
        prices_include_tax: true,
        buyer_email: None,
        marks: Vec::new(),
        buyer_note: o.buyer_note,
        flags: m::OrderFlags {
            test_order: f.contains(wit::OrderFlags::TEST_ORDER),
            multiple_deliveries: f.contains(wit::OrderFlags::MULTIPLE_DELIVERIES),
            add_on_service: f.contains(wit::OrderFlags::ADD_ON_SERVICE),
            no_buyer_email: f.contains(wit::OrderFlags::NO_BUYER_EMAIL),
        },
        source: source_from(o.source),
        hold: None,
        payment: crate::model::PaymentState::Paid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order_with_desired_date(d: wit::Date) -> wit::Order {
        let address = wit::Address {
            name: "山田 太郎".into(),
            name_kana: String::new(),
            postal_code: "100-0001".into(),
            prefecture: "東京都".into(),
            address1: "千代田区1-1".into(),
            address2: String::new(),
            phone: "03-0000-0000".into(),
        };
        wit::Order {
            mall_order_number: "DS1".into(),
            ordered_at: 1_700_000_000,
            updated_at: 1_700_000_000,
            mall_status: "ORDER_CONFIRM_WAIT".into(),
            payment_method: "CREDIT_CARD".into(),
            buyer: address.clone(),
            deliveries: vec![wit::Delivery {
                delivery_no: 1,
                recipient: address,
                delivery_method: "宅配便".into(),
                desired_date: Some(d),
                desired_time_slot: "指定なし".into(),
                lines: vec![wit::OrderLine {
                    line_no: 1,
                    item_code: "ITEM".into(),
                    sku_code: "SKU".into(),
                    quantity: 1,
                    unit_price: 1000,
                    tax_rate: 10,
                    has_add_on_service: false,
                }],
            }],
            amounts: wit::Amounts {
                items_total: 1000,
                shipping_fee: 0,
                cod_fee: 0,
                points_used: 0,
                coupon_discount: 0,
                billing_total: 1000,
            },
            buyer_note: String::new(),
            flags: wit::OrderFlags::empty(),
            source: wit::OrderSource::Api,
        }
    }

    #[test]
    fn a_desired_date_is_converted_and_a_bad_one_names_its_field() {
        let ok = order(order_with_desired_date(wit::Date {
            year: 2026,
            month: 12,
            day: 24,
        }))
        .expect("a real date");
        assert_eq!(
            ok.deliveries[0].desired_date,
            NaiveDate::from_ymd_opt(2026, 12, 24)
        );
        let e = order(order_with_desired_date(wit::Date {
            year: 2026,
            month: 2,
            day: 30,
        }))
        .expect_err("no 30 February")
        .to_string();
        assert_eq!(e, "`deliveries[0].desired-date`: 2026-2-30 is not a date");
    }
}
