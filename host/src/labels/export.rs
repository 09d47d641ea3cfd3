//! The label export: which deliveries get a slip (by default a shop's orders awaiting shipment
//! whose deliveries have no tracking number yet, for the format's carrier), their keys, their
//! rows and problems — the preview — and the file of the rows that can be written.

use chrono::NaiveDate;
use serde::Serialize;

use super::text::Fitter;
use super::{Format, LabelError, Problem, b2, ehiden, post};
use crate::config::ShopConfig;
use crate::model::OrderStatus;
use crate::store::{OrderFilter, Store};

/// Which orders an export covers.
#[derive(Debug, Clone)]
pub struct Selection {
    /// The orders in this status (default: awaiting shipment), unless `orders` names them.
    pub status: OrderStatus,
    /// These order numbers only (any status).
    pub orders: Vec<String>,
    /// Fields over a limit are cut with a visible `…` instead of stopping the row.
    pub cut: bool,
    /// 出荷予定日 on every slip.
    pub ship_date: NaiveDate,
    /// Parcels per delivery of these orders (by order number; 1 when not named): a slip, and a
    /// key, for each, so every parcel's number comes back.
    pub parcels: std::collections::BTreeMap<String, u32>,
}

/// One slip of the preview.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedSlip {
    /// The shop.
    pub shop: String,
    /// The mall's order number.
    pub order: String,
    /// The delivery.
    pub delivery: u32,
    /// The parcel of the delivery (1 for the first).
    pub parcel: u32,
    /// お客様管理番号.
    pub key: String,
    /// The row's cells.
    pub cells: Vec<String>,
    /// The recipient's name, as the order has it (for the preview).
    pub to_name: String,
    /// The recipient's address, as the order has it (for the preview).
    pub to_address: String,
    /// What was found (a problem that stops leaves the row out of the file).
    pub problems: Vec<Problem>,
}

impl PlannedSlip {
    /// Whether the row goes into the file.
    pub fn written(&self) -> bool {
        !self.problems.iter().any(Problem::stops)
    }
}

/// A delivery not exported, and why.
#[derive(Debug, Clone, Serialize)]
pub struct LeftOut {
    /// The shop.
    pub shop: String,
    /// The mall's order number.
    pub order: String,
    /// The delivery.
    pub delivery: u32,
    /// Why.
    pub reason: LeftOutReason,
}

/// Why a delivery is not in an export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum LeftOutReason {
    /// Its tracking number is set already.
    Tracked,
    /// Its carrier prints with another program (or has none).
    OtherCarrier {
        /// Our carrier id, if the delivery has one.
        carrier: Option<String>,
        /// The mall's delivery method.
        method: String,
        /// The program the carrier prints with, if the shop has one for it.
        format: Option<String>,
    },
}

impl std::fmt::Display for LeftOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "shop {} order {} delivery {}: ",
            self.shop, self.order, self.delivery
        )?;
        match &self.reason {
            LeftOutReason::Tracked => write!(f, "it has a tracking number already"),
            LeftOutReason::OtherCarrier {
                carrier,
                method,
                format,
            } => write!(
                f,
                "its carrier {:?} (delivery method {method:?}) prints with {}; export that format, or set [shops.labels] formats",
                carrier.as_deref().unwrap_or("none"),
                format.as_deref().unwrap_or("no label program")
            ),
        }
    }
}

/// The preview of an export: every slip with its problems, and the deliveries left out.
#[derive(Debug, Clone, Serialize)]
pub struct ExportPlan {
    /// The format.
    pub format: Format,
    /// The slips, by shop and order.
    pub slips: Vec<PlannedSlip>,
    /// Deliveries not exported, and why.
    pub left_out: Vec<LeftOut>,
}

impl ExportPlan {
    /// The slips whose rows cannot be written.
    pub fn stopped(&self) -> impl Iterator<Item = &PlannedSlip> {
        self.slips.iter().filter(|s| !s.written())
    }
}

/// Plans the export of `shops`' selected orders in `format`: keys issued (or found again),
/// rows built, every problem listed. Nothing is written.
pub async fn export(
    store: &Store,
    shops: &[&ShopConfig],
    sel: &Selection,
    format: Format,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ExportPlan, LabelError> {
    let mut plan = ExportPlan {
        format,
        slips: Vec::new(),
        left_out: Vec::new(),
    };
    for shop in shops {
        let numbers: Vec<String> = if sel.orders.is_empty() {
            let mut list = store
                .list_orders(&OrderFilter {
                    shop: Some(shop.id.clone()),
                    status: Some(sel.status),
                    ..OrderFilter::default()
                })
                .await?;
            list.reverse(); // oldest first: the order staff pack them in
            list.into_iter().map(|o| o.mall_order_number).collect()
        } else {
            sel.orders.clone()
        };
        let fitter = Fitter::new(&shop.labels.replace);
        let mut wanted = Vec::new();
        for number in &numbers {
            let detail = match store.order_detail(&shop.id, number).await {
                Ok(d) => d,
                Err(crate::store::StoreError::NoSuchOrder { .. }) if shops.len() > 1 => continue,
                Err(e) => return Err(e.into()),
            };
            let shipping = store.delivery_shipping(&shop.id, number).await?;
            for d in &detail.order.deliveries {
                let tracked = shipping
                    .iter()
                    .any(|s| s.delivery == d.delivery_no && s.tracking.is_some());
                let carrier = d.carrier.as_deref().unwrap_or("");
                let program = shop.labels.format_of(carrier);
                // A carrier is in the export of its program, or of its company's other one
                // (日本郵便's ゆうプリR and クリックポスト).
                let same_company = program
                    .and_then(Format::from_id)
                    .is_some_and(|f| f.carrier() == format.carrier());
                let why = if tracked {
                    Some(LeftOutReason::Tracked)
                } else if !same_company {
                    Some(LeftOutReason::OtherCarrier {
                        carrier: d.carrier.clone(),
                        method: d.delivery_method.clone(),
                        format: program.map(str::to_string),
                    })
                } else {
                    None
                };
                match why {
                    Some(reason) => plan.left_out.push(LeftOut {
                        shop: shop.id.clone(),
                        order: number.clone(),
                        delivery: d.delivery_no,
                        reason,
                    }),
                    None => {
                        let n = sel.parcels.get(number).copied().unwrap_or(1).max(1);
                        for parcel in 1..=n {
                            wanted.push((detail.order.clone(), d.delivery_no, parcel));
                        }
                    }
                }
            }
        }
        let pairs: Vec<(String, u32, u32)> = wanted
            .iter()
            .map(|(o, d, p)| (o.mall_order_number.clone(), *d, *p))
            .collect();
        let keys = store
            .issue_slips(&shop.id, &pairs, format.id(), now)
            .await?;
        for ((order, delivery_no, parcel), key) in wanted.iter().zip(keys) {
            let Some(delivery) = order
                .deliveries
                .iter()
                .find(|d| d.delivery_no == *delivery_no)
            else {
                continue;
            };
            let slip = b2::Slip {
                key: &key,
                order,
                delivery,
                ship_date: sel.ship_date,
            };
            let (cells, problems) = match format {
                Format::Yupri => post::yupri_row(&slip, &fitter, sel.cut),
                Format::ClickPost => post::clickpost_row(&slip, &fitter, sel.cut),
                Format::Ehiden => ehiden::row(&slip, &shop.labels, &fitter, sel.cut),
                _ => b2::row(&slip, &shop.labels, &fitter, sel.cut),
            };
            plan.slips.push(PlannedSlip {
                shop: shop.id.clone(),
                order: order.mall_order_number.clone(),
                delivery: *delivery_no,
                parcel: *parcel,
                key,
                cells,
                to_name: delivery.recipient.name.clone(),
                to_address: format!(
                    "{}{} {}",
                    delivery.recipient.prefecture,
                    delivery.recipient.address1,
                    delivery.recipient.address2
                )
                .trim()
                .to_string(),
                problems,
            });
        }
    }
    Ok(plan)
}

/// The file of the plan's rows that can be written (クリックポスト's first file; see
/// [`render_files`]).
pub fn render(plan: &ExportPlan) -> Vec<u8> {
    render_files(plan).into_iter().next().unwrap_or_default()
}

/// The files of the plan's rows that can be written: one, or for クリックポスト one per
/// [`post::CLICKPOST_ROWS`] rows.
pub fn render_files(plan: &ExportPlan) -> Vec<Vec<u8>> {
    let rows: Vec<Vec<String>> = plan
        .slips
        .iter()
        .filter(|s| s.written())
        .map(|s| s.cells.clone())
        .collect();
    match plan.format {
        Format::Yupri => vec![super::text::cp932_csv(None, &rows)],
        Format::ClickPost if rows.is_empty() => {
            vec![super::text::cp932_csv(Some(&post::CLICKPOST_HEADER), &rows)]
        }
        Format::ClickPost => rows
            .chunks(post::CLICKPOST_ROWS)
            .map(|chunk| super::text::cp932_csv(Some(&post::CLICKPOST_HEADER), chunk))
            .collect(),
        Format::Ehiden => vec![ehiden::file(&rows)],
        _ => vec![b2::file(&rows)],
    }
}
