//! Contract 0.2.0's types in the newest version's terms: what a 0.2.0 plugin returns is
//! converted to 0.3.0's types and then to the host's by 0.3.0's conversions
//! ([`super::super::v0_3_0::convert`]), so each check on a declaration or an order is written
//! once. What 0.2.0 lacks takes the value that means "as before": no computed headers, the
//! host's batch sizes, no words for codes, several carriers per order, orders paid and not held,
//! no company, gift message or JAN.

use chrono::{Datelike, NaiveDate};

use super::super::v0_3_0::{convert as newest, wit as new};
use super::wit;
use crate::connector as c;
use crate::model as m;

/// Converts and checks what a plugin declares.
pub(super) fn plugin_info(i: wit::PluginInfo) -> Result<c::PluginInfo, String> {
    newest::plugin_info(info_up(i))
}

fn info_up(i: wit::PluginInfo) -> new::PluginInfo {
    let ops = i.capabilities.operations;
    let mut operations = new::Operations::empty();
    for (old, now) in [
        (wit::Operations::TAKE, new::Operations::TAKE),
        (wit::Operations::PUSH, new::Operations::PUSH),
        (wit::Operations::STATUS_SYNC, new::Operations::STATUS_SYNC),
        (wit::Operations::FILE_IMPORT, new::Operations::FILE_IMPORT),
    ] {
        if ops.contains(old) {
            operations |= now;
        }
    }
    new::PluginInfo {
        mall_id: i.mall_id,
        mall_name: i.mall_name,
        plugin_version: i.plugin_version,
        contract_version: i.contract_version,
        settings: i
            .settings
            .into_iter()
            .map(|s| new::SettingSpec {
                name: s.name,
                label: s.label,
                secret: s.secret,
                required: s.required,
                expires: s.expires,
                help: s.help,
            })
            .collect(),
        auth: match i.auth {
            wit::AuthScheme::None => new::AuthScheme::None,
            wit::AuthScheme::Basic(b) => new::AuthScheme::Basic(new::BasicAuth {
                user: b.user,
                password: b.password,
            }),
            wit::AuthScheme::WordBase64(w) => new::AuthScheme::WordBase64(new::WordBase64Auth {
                word: w.word,
                first: w.first,
                second: w.second,
            }),
            wit::AuthScheme::Bearer(t) => new::AuthScheme::Bearer(t),
            wit::AuthScheme::Header(h) => new::AuthScheme::Header(new::HeaderAuth {
                header: h.header,
                template: h.template,
            }),
            wit::AuthScheme::Oauth2Refresh(o) => {
                new::AuthScheme::Oauth2Refresh(new::Oauth2RefreshAuth {
                    token_url: o.token_url,
                    client_id: o.client_id,
                    client_secret: o.client_secret,
                    refresh_token: o.refresh_token,
                    scope: o.scope,
                    placement: match o.placement {
                        wit::TokenPlacement::Bearer => new::TokenPlacement::Bearer,
                        wit::TokenPlacement::Header(h) => new::TokenPlacement::Header(h),
                    },
                })
            }
        },
        computed_headers: Vec::new(),
        pacing: i.pacing.map(|p| new::Pacing {
            requests: p.requests,
            per_millis: p.per_millis,
            burst: p.burst,
        }),
        signing_key: i.signing_key,
        capabilities: new::Capabilities {
            operations,
            shipping_per_delivery: i.capabilities.shipping_per_delivery,
            max_parcels: i.capabilities.max_parcels,
            carriers: i
                .capabilities
                .carriers
                .into_iter()
                .map(|c| new::Carrier {
                    id: c.id,
                    name: c.name,
                })
                .collect(),
            one_carrier_per_order: false,
        },
        csv_order_key: i.csv_order_key,
        batch: new::BatchSizes {
            take: 0,
            push: 0,
            states: 0,
        },
        words: Vec::new(),
    }
}

/// A fetched page in the newest version's terms.
pub(super) fn page_up(p: wit::FetchPage) -> new::FetchPage {
    new::FetchPage {
        orders: p
            .orders
            .into_iter()
            .map(|f| new::FetchedOrder {
                mall_order_number: f.mall_order_number,
                order: f.order.map(order_up).map_err(error_up),
            })
            .collect(),
        skipped: p
            .skipped
            .into_iter()
            .map(|s| new::SkippedOrder {
                mall_order_number: s.mall_order_number,
                reason: s.reason,
                message: s.message,
            })
            .collect(),
        next_cursor: p.next_cursor,
    }
}

/// A connector error in the host's terms.
pub(super) fn error(e: wit::ConnectorError) -> c::ConnectorError {
    newest::error(error_up(e))
}

pub(super) fn error_up(e: wit::ConnectorError) -> new::ConnectorError {
    match e {
        wit::ConnectorError::Auth(m) => new::ConnectorError::Auth(m),
        wit::ConnectorError::RateLimited(ms) => new::ConnectorError::RateLimited(ms),
        wit::ConnectorError::Transient(m) => new::ConnectorError::Transient(m),
        wit::ConnectorError::InvalidInput(f) => {
            new::ConnectorError::InvalidInput(new::FieldError {
                field: f.field,
                message: f.message,
            })
        }
        wit::ConnectorError::Unsupported(m) => new::ConnectorError::Unsupported(m),
        wit::ConnectorError::Remote(r) => new::ConnectorError::Remote(new::RemoteError {
            code: r.code,
            message: r.message,
        }),
        wit::ConnectorError::HostRefused(m) => new::ConnectorError::HostRefused(m),
    }
}

fn address_up(a: wit::Address) -> new::Address {
    new::Address {
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

/// An order in the newest version's terms: paid, not held.
pub(super) fn order_up(o: wit::Order) -> new::Order {
    new::Order {
        mall_order_number: o.mall_order_number,
        ordered_at: o.ordered_at,
        updated_at: o.updated_at,
        mall_status: o.mall_status,
        payment_method: o.payment_method,
        buyer: address_up(o.buyer),
        buyer_email: o.buyer_email.map(|e| new::Email {
            address: e.address,
            relay: e.relay,
        }),
        deliveries: o
            .deliveries
            .into_iter()
            .map(|d| new::Delivery {
                delivery_no: d.delivery_no,
                mall_delivery_id: d.mall_delivery_id,
                recipient: address_up(d.recipient),
                delivery_method: d.delivery_method,
                desired_date: d.desired_date.map(|x| new::Date {
                    year: x.year,
                    month: x.month,
                    day: x.day,
                }),
                desired_time_slot: d.desired_time_slot,
                lines: d
                    .lines
                    .into_iter()
                    .map(|l| new::OrderLine {
                        line_no: l.line_no,
                        item_code: l.item_code,
                        sku_code: l.sku_code,
                        product_name: l.product_name,
                        option_text: l.option_text,
                        quantity: l.quantity,
                        unit_price: l.unit_price,
                        tax_rate: l.tax_rate,
                        has_add_on_service: l.has_add_on_service,
                        jan: None,
                    })
                    .collect(),
                gift_message: None,
            })
            .collect(),
        prices_include_tax: o.prices_include_tax,
        items_total: o.items_total,
        fees: o
            .fees
            .into_iter()
            .map(|f| new::Fee {
                kind: match f.kind {
                    wit::FeeKind::Shipping => new::FeeKind::Shipping,
                    wit::FeeKind::Cod => new::FeeKind::Cod,
                    wit::FeeKind::Payment => new::FeeKind::Payment,
                    wit::FeeKind::Wrapping => new::FeeKind::Wrapping,
                    wit::FeeKind::Gift => new::FeeKind::Gift,
                    wit::FeeKind::Other => new::FeeKind::Other,
                },
                label: f.label,
                amount: f.amount,
            })
            .collect(),
        discounts: o
            .discounts
            .into_iter()
            .map(|d| new::Discount {
                kind: match d.kind {
                    wit::DiscountKind::Points => new::DiscountKind::Points,
                    wit::DiscountKind::Coupon => new::DiscountKind::Coupon,
                    wit::DiscountKind::Other => new::DiscountKind::Other,
                },
                label: d.label,
                amount: d.amount,
            })
            .collect(),
        billing_total: o.billing_total,
        buyer_note: o.buyer_note,
        flags: o
            .flags
            .into_iter()
            .map(|f| new::OrderFlag {
                code: f.code,
                message: f.message,
            })
            .collect(),
        source: match o.source {
            wit::OrderSource::Api => new::OrderSource::Api,
            wit::OrderSource::Csv => new::OrderSource::Csv,
        },
        payment: new::PaymentState::Paid,
        hold: None,
    }
}

pub(super) fn source_to(s: m::OrderSource) -> wit::OrderSource {
    match s {
        m::OrderSource::Api => wit::OrderSource::Api,
        m::OrderSource::Csv => wit::OrderSource::Csv,
    }
}

pub(super) fn date_to(d: NaiveDate) -> wit::Date {
    wit::Date {
        year: u16::try_from(d.year()).unwrap_or(0),
        month: d.month() as u8,
        day: d.day() as u8,
    }
}
