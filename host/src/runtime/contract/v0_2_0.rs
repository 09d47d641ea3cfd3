//! Contract `mallhost:connector@0.2.0` (`wit/0.2.0/`): the generated bindings, the host side of
//! its `host` interface (delegating to [`crate::capabilities`]), each export called with the
//! host's types, and the conversions and checks between its types and the host's: what a plugin
//! declares is checked when it loads (ids, setting names, the settings its auth scheme uses,
//! pacing), and every order it returns is checked (dates, instants, the billing total against
//! items, fees and discounts).

use chrono::{Datelike, NaiveDate};
use wasmtime::Store;
use wasmtime::component::{HasSelf, Linker};

use super::{
    BatchResults, CallContext, Malformed, Returned, check_count, check_size, instant, malformed,
};
use crate::capabilities::{self, PluginState};
use crate::connector as c;
use crate::model as m;

wasmtime::component::bindgen!({
    path: "../wit/0.2.0",
    world: "mall-connector",
    imports: { default: async | trappable },
    exports: { default: async },
    // Arguments to the plugin's exports borrow from the host's values.
    ownership: Borrowing { duplicate_if_necessary: true },
});

use self::mallhost::connector::host as wit_host;
use self::mallhost::connector::types as wit;

/// The contract version this module implements.
pub const VERSION: &str = "0.2.0";

impl wit::Host for PluginState {}

impl wit_host::Host for PluginState {
    async fn send(
        &mut self,
        req: wit_host::Request,
    ) -> wasmtime::Result<Result<wit_host::Response, wit_host::HttpError>> {
        use capabilities::http::{HttpError as E, Method as M, Request};
        let req = Request {
            method: match req.method {
                wit_host::Method::Get => M::Get,
                wit_host::Method::Post => M::Post,
                wit_host::Method::Put => M::Put,
                wit_host::Method::Delete => M::Delete,
            },
            url: req.url,
            headers: req.headers,
            body: req.body,
            authenticate: req.authenticate,
        };
        let started = std::time::Instant::now();
        let result = self.http.send(req).await;
        self.meter.add_host_time(started.elapsed());
        Ok(match result {
            Ok(r) => Ok(wit_host::Response {
                status: r.status,
                headers: r.headers,
                body: r.body,
            }),
            Err(e) => Err(match e {
                E::Denied(m) => wit_host::HttpError::Denied(m),
                E::InvalidRequest(m) => wit_host::HttpError::InvalidRequest(m),
                E::Transport(m) => wit_host::HttpError::Transport(m),
                E::TooLarge(n) => wit_host::HttpError::TooLarge(n),
                E::BudgetExhausted(n) => wit_host::HttpError::BudgetExhausted(n),
            }),
        })
    }

    async fn sign(&mut self, message: String) -> wasmtime::Result<Result<String, String>> {
        Ok(match &self.signer {
            Some(s) => s.sign(&message),
            None => Err(
                "this call is not made for a shop, or the plugin declares no signing key".into(),
            ),
        })
    }

    async fn log(&mut self, level: wit_host::Level, message: String) -> wasmtime::Result<()> {
        use capabilities::log::Level as L;
        let level = match level {
            wit_host::Level::Debug => L::Debug,
            wit_host::Level::Info => L::Info,
            wit_host::Level::Warn => L::Warn,
            wit_host::Level::Error => L::Error,
        };
        self.log.log(level, &message);
        Ok(())
    }

    async fn now(&mut self) -> wasmtime::Result<wit::Instant> {
        Ok(capabilities::clock::now(&self.clock))
    }
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
    Ok(plugin_info(info).map_err(Returned::Malformed))
}

pub(super) async fn fetch_orders(
    pre: &MallConnectorPre<PluginState>,
    store: &mut Store<PluginState>,
    ctx: CallContext<'_>,
    window: c::Window,
    cursor: Option<&str>,
    max_return: usize,
) -> wasmtime::Result<Result<c::FetchPage, Returned>> {
    let settings = settings(&ctx);
    let i = pre.instantiate_async(&mut *store).await?;
    let req = wit::FetchRequest {
        window: wit::Window {
            start: window.start.timestamp(),
            end: window.end.timestamp(),
        },
        cursor,
    };
    let page = i
        .mallhost_connector_connector()
        .call_fetch_orders(store, context(&ctx, &settings), req)
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
    ctx: CallContext<'_>,
    raws: &[c::RawOrder],
    max_return: usize,
) -> wasmtime::Result<Result<Vec<Result<m::Order, Returned>>, Returned>> {
    let settings = settings(&ctx);
    let wit: Vec<_> = raws
        .iter()
        .map(|r| wit::RawOrder {
            mall_order_number: &r.mall_order_number,
            source: source_to(r.source),
            body: &r.body,
        })
        .collect();
    let i = pre.instantiate_async(&mut *store).await?;
    let outcome = i
        .mallhost_connector_connector()
        .call_map_orders(store, context(&ctx, &settings), &wit)
        .await?;
    if outcome.len() != raws.len() {
        return Ok(Err(Returned::Malformed(format!(
            "returned {} results for {} records",
            outcome.len(),
            raws.len()
        ))));
    }
    let total: usize = outcome
        .iter()
        .map(|r| r.as_ref().map_or(0, order_size))
        .sum();
    if let Err(e) = check_size(total, max_return) {
        return Ok(Err(e));
    }
    Ok(Ok(outcome
        .into_iter()
        .map(|r| {
            let o = r.map_err(|e| Returned::Connector(error(e)))?;
            order(o).map_err(|e| Returned::Malformed(format!("returned a malformed order: {e}")))
        })
        .collect()))
}

pub(super) async fn take_orders(
    pre: &MallConnectorPre<PluginState>,
    store: &mut Store<PluginState>,
    ctx: CallContext<'_>,
    numbers: &[String],
) -> wasmtime::Result<Result<BatchResults<c::TakeOutcome>, Returned>> {
    let settings = settings(&ctx);
    let numbers_ref: Vec<&str> = numbers.iter().map(String::as_str).collect();
    let i = pre.instantiate_async(&mut *store).await?;
    let r = i
        .mallhost_connector_connector()
        .call_take_orders(store, context(&ctx, &settings), &numbers_ref)
        .await?;
    Ok(check_count("orders", r.len(), numbers.len()).map(|()| {
        r.into_iter()
            .map(|r| {
                let outcome = match r.outcome {
                    Ok(wit::TakeOutcome::Taken) => Ok(c::TakeOutcome::Taken),
                    Ok(wit::TakeOutcome::AlreadyTaken) => Ok(c::TakeOutcome::AlreadyTaken),
                    Ok(wit::TakeOutcome::Cancelled(m)) => Ok(c::TakeOutcome::Cancelled(
                        super::plugin_text(&m, super::MAX_PLUGIN_TEXT),
                    )),
                    Err(e) => Err(error(e)),
                };
                (r.mall_order_number, outcome)
            })
            .collect()
    }))
}

pub(super) async fn push_shipments(
    pre: &MallConnectorPre<PluginState>,
    store: &mut Store<PluginState>,
    ctx: CallContext<'_>,
    shipments: &[c::Shipment],
) -> wasmtime::Result<Result<BatchResults<()>, Returned>> {
    let settings = settings(&ctx);
    let parcels: Vec<Vec<Vec<wit::Parcel<'_>>>> = shipments
        .iter()
        .map(|s| {
            s.deliveries
                .iter()
                .map(|d| {
                    d.parcels
                        .iter()
                        .map(|p| wit::Parcel {
                            carrier_id: &p.carrier_id,
                            tracking_number: &p.tracking_number,
                        })
                        .collect()
                })
                .collect()
        })
        .collect();
    let deliveries: Vec<Vec<wit::DeliveryShipment<'_>>> = shipments
        .iter()
        .zip(&parcels)
        .map(|(s, ps)| {
            s.deliveries
                .iter()
                .zip(ps)
                .map(|(d, p)| wit::DeliveryShipment {
                    delivery_no: d.delivery_no,
                    mall_delivery_id: d.mall_delivery_id.as_deref(),
                    parcels: p,
                })
                .collect()
        })
        .collect();
    let wit: Vec<_> = shipments
        .iter()
        .zip(&deliveries)
        .map(|(s, d)| wit::Shipment {
            mall_order_number: &s.mall_order_number,
            shipped_date: date_to(s.shipped_date),
            deliveries: d,
        })
        .collect();
    let i = pre.instantiate_async(&mut *store).await?;
    let r = i
        .mallhost_connector_connector()
        .call_push_shipments(store, context(&ctx, &settings), &wit)
        .await?;
    Ok(
        check_count("shipments", r.len(), shipments.len()).map(|()| {
            r.into_iter()
                .map(|r| (r.mall_order_number, r.outcome.map_err(error)))
                .collect()
        }),
    )
}

pub(super) async fn order_states(
    pre: &MallConnectorPre<PluginState>,
    store: &mut Store<PluginState>,
    ctx: CallContext<'_>,
    numbers: &[String],
) -> wasmtime::Result<Result<BatchResults<c::OrderState>, Returned>> {
    let settings = settings(&ctx);
    let numbers_ref: Vec<&str> = numbers.iter().map(String::as_str).collect();
    let i = pre.instantiate_async(&mut *store).await?;
    let r = i
        .mallhost_connector_connector()
        .call_order_states(store, context(&ctx, &settings), &numbers_ref)
        .await?;
    Ok(check_count("orders", r.len(), numbers.len()).map(|()| {
        r.into_iter()
            .map(|r| {
                let state = r.state.map_err(error).map(|s| c::OrderState {
                    state: match s.state {
                        wit::MallState::New => c::MallState::New,
                        wit::MallState::Open => c::MallState::Open,
                        wit::MallState::Shipped => c::MallState::Shipped,
                        wit::MallState::Cancelled => c::MallState::Cancelled,
                    },
                    mall_status: s.mall_status,
                    message: super::plugin_text(&s.message, super::MAX_PLUGIN_TEXT),
                });
                (r.mall_order_number, state)
            })
            .collect()
    }))
}

/// The shop's plain settings as the call context carries them.
fn settings<'a>(ctx: &CallContext<'a>) -> Vec<(&'a str, &'a str)> {
    ctx.settings
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

fn context<'a>(ctx: &CallContext<'a>, settings: &'a [(&'a str, &'a str)]) -> wit::CallContext<'a> {
    wit::CallContext {
        shop_id: ctx.shop_id,
        base_url: ctx.base_url,
        settings,
    }
}

/// Lower-case letters, digits and `sep`, 1..=max.
fn is_id(s: &str, sep: char, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == sep)
}

/// Converts and checks what a plugin declares.
fn plugin_info(i: wit::PluginInfo) -> Result<c::PluginInfo, String> {
    if !is_id(&i.mall_id, '-', 40) {
        return Err(format!(
            "mall id {:?} is not 1 to 40 lower-case letters, digits and dashes",
            i.mall_id
        ));
    }
    let settings: Vec<c::SettingSpec> = i
        .settings
        .into_iter()
        .map(|s| c::SettingSpec {
            name: s.name,
            label: s.label,
            secret: s.secret,
            required: s.required,
            expires: s.expires,
            help: s.help,
        })
        .collect();
    for s in &settings {
        if !is_id(&s.name, '_', 60) {
            return Err(format!(
                "setting name {:?} is not lower-case letters, digits and underscores",
                s.name
            ));
        }
        if s.expires && !s.secret {
            return Err(format!("setting {:?} expires but is not a secret", s.name));
        }
    }
    let declared = |name: &str| -> Result<String, String> {
        if settings.iter().any(|s| s.name == name) {
            Ok(name.to_string())
        } else {
            Err(format!(
                "its auth scheme uses the setting {name:?}, which it does not declare"
            ))
        }
    };
    let auth = match i.auth {
        wit::AuthScheme::None => c::AuthScheme::None,
        wit::AuthScheme::Basic(b) => c::AuthScheme::Basic {
            user: declared(&b.user)?,
            password: declared(&b.password)?,
        },
        wit::AuthScheme::WordBase64(w) => {
            if w.word.is_empty() || !w.word.chars().all(|ch| ch.is_ascii_alphanumeric()) {
                return Err(format!("auth word {:?} is not a single word", w.word));
            }
            c::AuthScheme::WordBase64 {
                word: w.word,
                first: declared(&w.first)?,
                second: declared(&w.second)?,
            }
        }
        wit::AuthScheme::Bearer(token) => c::AuthScheme::Bearer {
            token: declared(&token)?,
        },
        wit::AuthScheme::Header(h) => {
            let name_ok = !h.header.is_empty()
                && h.header
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '-');
            let reserved = ["host", "proxy-authorization", "content-length"]
                .iter()
                .any(|r| h.header.eq_ignore_ascii_case(r));
            if !name_ok || reserved {
                return Err(format!("auth header {:?} cannot be used", h.header));
            }
            for name in h
                .template
                .split('{')
                .skip(1)
                .filter_map(|rest| rest.split_once('}').map(|(n, _)| n))
            {
                declared(name)?;
            }
            c::AuthScheme::Header {
                header: h.header,
                template: h.template,
            }
        }
        wit::AuthScheme::Oauth2Refresh(o) => c::AuthScheme::OAuth2Refresh {
            token_url: declared(&o.token_url)?,
            client_id: declared(&o.client_id)?,
            client_secret: declared(&o.client_secret)?,
            refresh_token: declared(&o.refresh_token)?,
            scope: o.scope,
            placement: match o.placement {
                wit::TokenPlacement::Bearer => c::TokenPlacement::Bearer,
                wit::TokenPlacement::Header(h) => c::TokenPlacement::Header(h),
            },
        },
    };
    let pacing = match i.pacing {
        None => None,
        Some(p) if p.requests == 0 || p.per_millis == 0 => {
            return Err(format!(
                "its pacing of {} requests per {} ms lets nothing through",
                p.requests, p.per_millis
            ));
        }
        Some(p) => Some(c::Pacing {
            requests: p.requests,
            per_millis: p.per_millis,
            burst: p.burst.max(1),
        }),
    };
    let signing_key = match i.signing_key {
        None => None,
        Some(name) => match settings.iter().find(|s| s.name == name) {
            Some(s) if s.secret => Some(name),
            _ => {
                return Err(format!(
                    "its signing key {name:?} is not one of the secrets it declares"
                ));
            }
        },
    };
    let ops = i.capabilities.operations;
    Ok(c::PluginInfo {
        mall_id: i.mall_id,
        mall_name: i.mall_name,
        plugin_version: i.plugin_version,
        contract_version: i.contract_version,
        csv_order_key: i.csv_order_key,
        settings,
        auth,
        pacing,
        signing_key,
        capabilities: c::Capabilities {
            take: ops.contains(wit::Operations::TAKE),
            push: ops.contains(wit::Operations::PUSH),
            status_sync: ops.contains(wit::Operations::STATUS_SYNC),
            file_import: ops.contains(wit::Operations::FILE_IMPORT),
            shipping_per_delivery: i.capabilities.shipping_per_delivery,
            max_parcels: i.capabilities.max_parcels.max(1),
            carriers: i
                .capabilities
                .carriers
                .into_iter()
                .map(|c| c::Carrier {
                    id: c.id,
                    name: c.name,
                })
                .collect(),
        },
    })
}

/// Approximate bytes of a fetched page (strings counted), for the return-size limit.
fn page_size(p: &wit::FetchPage) -> usize {
    p.orders
        .iter()
        .map(|o| {
            o.mall_order_number.len()
                + match &o.order {
                    Ok(order) => order_size(order),
                    Err(_) => 64,
                }
        })
        .sum::<usize>()
        + p.skipped
            .iter()
            .map(|s| s.mall_order_number.len() + s.reason.len() + s.message.len())
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
    let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
    o.mall_order_number.len()
        + o.mall_status.len()
        + o.payment_method.len()
        + o.buyer_note.len()
        + addr(&o.buyer)
        + o.buyer_email.as_ref().map_or(0, |e| e.address.len())
        + o.fees.iter().map(|f| f.label.len() + 16).sum::<usize>()
        + o.discounts
            .iter()
            .map(|d| d.label.len() + 16)
            .sum::<usize>()
        + o.flags
            .iter()
            .map(|f| f.code.len() + f.message.len())
            .sum::<usize>()
        + o.deliveries
            .iter()
            .map(|d| {
                addr(&d.recipient)
                    + opt(&d.mall_delivery_id)
                    + d.delivery_method.len()
                    + d.desired_time_slot.len()
                    + d.lines
                        .iter()
                        .map(|l| {
                            l.item_code.len()
                                + l.sku_code.len()
                                + opt(&l.product_name)
                                + opt(&l.option_text)
                                + 32
                        })
                        .sum::<usize>()
            })
            .sum::<usize>()
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

fn fetch_page(p: wit::FetchPage) -> c::FetchPage {
    c::FetchPage {
        orders: p
            .orders
            .into_iter()
            .map(|f| c::Fetched::Mapped {
                order: f.order.map_err(error).and_then(|o| {
                    order(o)
                        .map(Box::new)
                        .map_err(|e| c::ConnectorError::InvalidInput {
                            field: e.field.clone(),
                            message: format!("the plugin returned a malformed order: {e}"),
                        })
                }),
                mall_order_number: f.mall_order_number,
            })
            .collect(),
        skipped: p
            .skipped
            .into_iter()
            .map(|s| {
                let reason = match s.reason.as_str() {
                    "test-order" => c::SkipReason::TestOrder,
                    "too-recent" => c::SkipReason::TooRecent,
                    _ => c::SkipReason::Other {
                        code: s.reason,
                        message: super::plugin_text(&s.message, super::MAX_PLUGIN_TEXT),
                    },
                };
                (s.mall_order_number, reason)
            })
            .collect(),
        next_cursor: p.next_cursor,
    }
}

fn error(e: wit::ConnectorError) -> c::ConnectorError {
    super::clean_error(match e {
        wit::ConnectorError::Auth(message) => c::ConnectorError::Auth { message },
        wit::ConnectorError::RateLimited(retry_after_ms) => {
            c::ConnectorError::RateLimited { retry_after_ms }
        }
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

fn date_to(d: NaiveDate) -> wit::Date {
    wit::Date {
        year: u16::try_from(d.year()).unwrap_or(0),
        month: d.month() as u8,
        day: d.day() as u8,
    }
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
    }
}

/// Converts and checks a mapped order; conversion tables and the product master's names are
/// applied later by the host.
fn order(o: wit::Order) -> Result<m::Order, Malformed> {
    if o.deliveries.is_empty() {
        return Err(malformed(
            "deliveries",
            "an order needs at least one delivery",
        ));
    }
    let deliveries = o
        .deliveries
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            let desired_date = d
                .desired_date
                .map(|x| {
                    NaiveDate::from_ymd_opt(i32::from(x.year), u32::from(x.month), u32::from(x.day))
                        .ok_or_else(|| {
                            malformed(
                                format!("deliveries[{i}].desired-date"),
                                format!("{}-{}-{} is not a date", x.year, x.month, x.day),
                            )
                        })
                })
                .transpose()?;
            Ok(m::Delivery {
                delivery_no: d.delivery_no,
                mall_delivery_id: d.mall_delivery_id,
                recipient: address(d.recipient),
                delivery_method: d.delivery_method,
                carrier: None,
                desired_date,
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
                        product_name: l.product_name.filter(|n| !n.trim().is_empty()),
                        option_text: l.option_text.filter(|t| !t.trim().is_empty()),
                    })
                    .collect(),
            })
        })
        .collect::<Result<Vec<_>, Malformed>>()?;
    let fees: Vec<m::Fee> = o
        .fees
        .into_iter()
        .map(|f| m::Fee {
            kind: match f.kind {
                wit::FeeKind::Shipping => m::FeeKind::Shipping,
                wit::FeeKind::Cod => m::FeeKind::Cod,
                wit::FeeKind::Payment => m::FeeKind::Payment,
                wit::FeeKind::Wrapping => m::FeeKind::Wrapping,
                wit::FeeKind::Gift => m::FeeKind::Gift,
                wit::FeeKind::Other => m::FeeKind::Other,
            },
            label: f.label,
            amount: f.amount,
        })
        .collect();
    let discounts: Vec<m::Discount> = o
        .discounts
        .into_iter()
        .map(|d| m::Discount {
            kind: match d.kind {
                wit::DiscountKind::Points => m::DiscountKind::Points,
                wit::DiscountKind::Coupon => m::DiscountKind::Coupon,
                wit::DiscountKind::Other => m::DiscountKind::Other,
            },
            label: d.label,
            amount: d.amount,
        })
        .collect();
    let fee_sum: i64 = fees.iter().map(|f| f.amount).sum();
    let off_sum: i64 = discounts.iter().map(|d| d.amount).sum();
    if o.items_total + fee_sum - off_sum != o.billing_total {
        return Err(malformed(
            "billing-total",
            format!(
                "{} is not the items {} + fees {fee_sum} − discounts {off_sum}",
                o.billing_total, o.items_total
            ),
        ));
    }
    let mut flags = m::OrderFlags {
        test_order: false,
        multiple_deliveries: deliveries.len() > 1,
        add_on_service: false,
        no_buyer_email: o.buyer_email.is_none(),
    };
    let mut marks = Vec::new();
    for f in o.flags {
        match f.code.as_str() {
            "test-order" => flags.test_order = true,
            "add-on-service" => flags.add_on_service = true,
            _ => marks.push(m::OrderMark {
                code: f.code,
                message: f.message,
            }),
        }
    }
    Ok(m::Order {
        ordered_at: instant("ordered-at", o.ordered_at)?,
        mall_updated_at: instant("updated-at", o.updated_at)?,
        amounts: m::Amounts::summarize(o.items_total, &fees, &discounts, o.billing_total),
        mall_order_number: o.mall_order_number,
        mall_status: o.mall_status,
        payment_method: o.payment_method,
        buyer: address(o.buyer),
        buyer_email: o.buyer_email.map(|e| m::Email {
            address: e.address,
            relay: e.relay,
        }),
        deliveries,
        fees,
        discounts,
        prices_include_tax: o.prices_include_tax,
        buyer_note: o.buyer_note,
        flags,
        marks,
        source: source_from(o.source),
    })
}
