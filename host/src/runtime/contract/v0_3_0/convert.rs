//! Contract 0.3.0's types to the host's and back, with what only this version can check: what a
//! plugin declares is checked when it loads (ids, setting names, the settings its auth scheme
//! uses, pacing, the signing key), every order's dates and instants are read; what must hold of
//! every order (the billing total and the like) is checked once at the seam for all versions.

use chrono::{Datelike, NaiveDate};

use super::super::{Malformed, instant, malformed};
use super::wit;
use crate::capabilities::credentials::auth_header_problem;
use crate::connector as c;
use crate::model as m;

/// Lower-case letters, digits and `sep`, 1..=max.
fn is_id(s: &str, sep: char, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == sep)
}

/// Converts and checks what a plugin declares.
pub(in super::super) fn plugin_info(i: wit::PluginInfo) -> Result<c::PluginInfo, String> {
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
            if let Some(why) = auth_header_problem(&h.header) {
                return Err(why);
            }
            for name in crate::capabilities::credentials::placeholders(&h.template) {
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
                wit::TokenPlacement::Header(h) => match auth_header_problem(&h) {
                    Some(why) => return Err(format!("its OAuth 2 token placement: {why}")),
                    None => c::TokenPlacement::Header(h),
                },
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
    let computed_headers = i
        .computed_headers
        .into_iter()
        .map(|h| computed_header(h, &settings))
        .collect::<Result<Vec<_>, String>>()?;
    // A computed header goes beside the scheme's, never over it, and each is set once.
    let scheme_header = match &auth {
        c::AuthScheme::None => None,
        c::AuthScheme::Header { header, .. } => Some(header.to_ascii_lowercase()),
        c::AuthScheme::OAuth2Refresh {
            placement: c::TokenPlacement::Header(h),
            ..
        } => Some(h.to_ascii_lowercase()),
        _ => Some("authorization".to_string()),
    };
    let mut names = std::collections::HashSet::new();
    for h in &computed_headers {
        let name = h.header.to_ascii_lowercase();
        if ["authorization", "proxy-authorization"].contains(&name.as_str())
            || scheme_header.as_deref() == Some(name.as_str())
        {
            return Err(format!(
                "its computed header {:?} is the auth scheme's own header: a computed header \
                 goes beside the credential, not over it",
                h.header
            ));
        }
        if !names.insert(name) {
            return Err(format!(
                "it declares the computed header {:?} twice",
                h.header
            ));
        }
    }
    let words = i
        .words
        .into_iter()
        .map(|w| c::CodeWord {
            kind: match w.kind {
                wit::CodeKind::MallStatus => c::CodeKind::MallStatus,
                wit::CodeKind::PaymentMethod => c::CodeKind::PaymentMethod,
            },
            code: w.code,
            words: w.words,
        })
        .collect();
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
            one_carrier_per_order: i.capabilities.one_carrier_per_order,
        },
        computed_headers,
        batch: c::BatchSizes {
            take: i.batch.take,
            push: i.batch.push,
            states: i.batch.states,
        },
        words,
    })
}

/// A computed header as declared: a name the host may set, and templates naming declared
/// settings only (and `{unix-time}`); an encrypted one's key a declared setting.
fn computed_header(
    h: wit::ComputedHeader,
    settings: &[c::SettingSpec],
) -> Result<c::ComputedHeader, String> {
    if let Some(why) = auth_header_problem(&h.header) {
        return Err(format!("its computed header: {why}"));
    }
    let names = |template: &str| -> Result<(), String> {
        for name in crate::capabilities::credentials::placeholders(template) {
            if name != crate::capabilities::computed::UNIX_TIME
                && !settings.iter().any(|s| s.name == name)
            {
                return Err(format!(
                    "its computed header {:?} uses the setting {name:?}, which it does not \
                     declare",
                    h.header
                ));
            }
        }
        Ok(())
    };
    let value = match h.value {
        wit::HeaderValue::Template(template) => {
            names(&template)?;
            c::HeaderValue::Template { template }
        }
        wit::HeaderValue::Encrypted(e) => {
            names(&e.template)?;
            if !settings.iter().any(|s| s.name == e.key) {
                return Err(format!(
                    "its computed header {:?} encrypts with the key {:?}, which it does not \
                     declare",
                    h.header, e.key
                ));
            }
            c::HeaderValue::Encrypted {
                key: e.key,
                template: e.template,
            }
        }
    };
    Ok(c::ComputedHeader {
        header: h.header,
        value,
    })
}

/// The payment state in the host's terms.
pub(super) fn payment(p: wit::PaymentState) -> m::PaymentState {
    match p {
        wit::PaymentState::Paid => m::PaymentState::Paid,
        wit::PaymentState::Unpaid => m::PaymentState::Unpaid,
        wit::PaymentState::OnDelivery => m::PaymentState::OnDelivery,
    }
}

/// What an entry of a list costs besides its strings (a page of empty entries is not free).
const ENTRY: usize = 32;

/// Approximate bytes of a fetched page (strings counted), for the return-size limit.
pub(in super::super) fn page_size(p: &wit::FetchPage) -> usize {
    p.orders
        .iter()
        .map(|o| {
            ENTRY
                + o.mall_order_number.len()
                + match &o.order {
                    Ok(order) => order_size(order),
                    Err(_) => 64,
                }
        })
        .sum::<usize>()
        + p.skipped
            .iter()
            .map(|s| ENTRY + s.mall_order_number.len() + s.reason.len() + s.message.len())
            .sum::<usize>()
        + p.next_cursor.as_ref().map_or(0, String::len)
}

/// Approximate bytes of a mapped order (strings counted), for the return-size limit.
pub(in super::super) fn order_size(o: &wit::Order) -> usize {
    let addr = |a: &wit::Address| {
        a.name.len()
            + a.name_kana.len()
            + a.postal_code.len()
            + a.prefecture.len()
            + a.address1.len()
            + a.address2.len()
            + a.phone.len()
            + a.company.len()
            + a.department.len()
    };
    let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
    o.mall_order_number.len()
        + o.mall_status.len()
        + o.payment_method.len()
        + o.buyer_note.len()
        + opt(&o.hold)
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
                    + opt(&d.gift_message)
                    + d.lines
                        .iter()
                        .map(|l| {
                            l.item_code.len()
                                + l.sku_code.len()
                                + opt(&l.product_name)
                                + opt(&l.option_text)
                                + opt(&l.jan)
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

pub(in super::super) fn source_to(s: m::OrderSource) -> wit::OrderSource {
    match s {
        m::OrderSource::Api => wit::OrderSource::Api,
        m::OrderSource::Csv => wit::OrderSource::Csv,
    }
}

pub(in super::super) fn fetch_page(p: wit::FetchPage) -> c::FetchPage {
    c::FetchPage {
        orders: p
            .orders
            .into_iter()
            .map(|f| {
                let order = f.order.map_err(error).and_then(|o| {
                    order(o).map_err(|e| c::ConnectorError::InvalidInput {
                        field: e.field.clone(),
                        message: format!("the plugin returned a malformed order: {e}"),
                    })
                });
                (f.mall_order_number, order)
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
                        message: super::super::plugin_text(
                            &s.message,
                            super::super::MAX_PLUGIN_TEXT,
                        ),
                    },
                };
                (s.mall_order_number, reason)
            })
            .collect(),
        next_cursor: p.next_cursor,
    }
}

pub(in super::super) fn error(e: wit::ConnectorError) -> c::ConnectorError {
    super::super::clean_error(match e {
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

pub(in super::super) fn date_to(d: NaiveDate) -> wit::Date {
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
        company: a.company,
        department: a.department,
    }
}

/// Converts a mapped order (its dates and instants read); what must hold of every order is
/// checked at the seam, conversion tables and the product master's names are applied later.
pub(in super::super) fn order(o: wit::Order) -> Result<m::Order, Malformed> {
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
                        jan: l.jan.filter(|j| !j.trim().is_empty()),
                    })
                    .collect(),
                gift_message: d.gift_message.filter(|g| !g.trim().is_empty()),
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
        payment: payment(o.payment),
        hold: o
            .hold
            .map(|h| super::super::plugin_text(&h, super::super::MAX_PLUGIN_TEXT)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, secret: bool) -> c::SettingSpec {
        c::SettingSpec {
            name: name.into(),
            label: name.into(),
            secret,
            required: true,
            expires: false,
            help: String::new(),
        }
    }

    #[test]
    fn a_computed_header_names_only_declared_settings_and_a_header_the_host_lets_it_set() {
        let settings = [spec("seller", false), spec("public_key", true)];
        let encrypted = |key: &str, template: &str| wit::ComputedHeader {
            header: "X-Signature".into(),
            value: wit::HeaderValue::Encrypted(wit::EncryptedTemplate {
                key: key.into(),
                template: template.into(),
            }),
        };
        let ok = computed_header(encrypted("public_key", "{seller}:{unix-time}"), &settings)
            .expect("declared");
        assert_eq!(
            ok.value,
            c::HeaderValue::Encrypted {
                key: "public_key".into(),
                template: "{seller}:{unix-time}".into()
            }
        );
        let e = computed_header(encrypted("other_key", "{seller}"), &settings).expect_err("key");
        assert!(
            e.contains("\"other_key\", which it does not declare"),
            "{e}"
        );
        let e =
            computed_header(encrypted("public_key", "{shop_pin}"), &settings).expect_err("setting");
        assert!(e.contains("\"shop_pin\", which it does not declare"), "{e}");
        let host = wit::ComputedHeader {
            header: "Host".into(),
            value: wit::HeaderValue::Template("{seller}".into()),
        };
        let e = computed_header(host, &settings).expect_err("host header");
        assert!(e.starts_with("its computed header:"), "{e}");
    }

    #[test]
    fn a_computed_header_never_replaces_the_credential_nor_comes_twice() {
        let info = |headers: Vec<&str>| wit::PluginInfo {
            mall_id: "m".into(),
            mall_name: "M".into(),
            plugin_version: "1.0.0".into(),
            contract_version: "0.3.0".into(),
            settings: vec![wit::SettingSpec {
                name: "token".into(),
                label: "t".into(),
                secret: true,
                required: true,
                expires: false,
                help: String::new(),
            }],
            auth: wit::AuthScheme::Bearer("token".into()),
            computed_headers: headers
                .into_iter()
                .map(|h| wit::ComputedHeader {
                    header: h.into(),
                    value: wit::HeaderValue::Template("{unix-time}".into()),
                })
                .collect(),
            pacing: None,
            signing_key: None,
            capabilities: wit::Capabilities {
                operations: wit::Operations::empty(),
                shipping_per_delivery: false,
                max_parcels: 1,
                carriers: vec![],
                one_carrier_per_order: false,
            },
            csv_order_key: None,
            batch: wit::BatchSizes {
                take: 0,
                push: 0,
                states: 0,
            },
            words: vec![],
        };
        assert!(plugin_info(info(vec!["x-time"])).is_ok());
        let e = plugin_info(info(vec!["Authorization"])).expect_err("over the token");
        assert!(e.contains("the auth scheme's own header"), "{e}");
        let e = plugin_info(info(vec!["x-time", "X-Time"])).expect_err("twice");
        assert!(e.contains("twice"), "{e}");
    }
}
