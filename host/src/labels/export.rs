//! The label export: which deliveries get a slip (by default a shop's orders awaiting shipment
//! whose deliveries have no tracking number yet, for the format's carrier), their keys, their
//! rows and problems — the preview — and the file of the rows that can be written.

use chrono::NaiveDate;
use serde::Serialize;

use super::text::Fitter;
use super::{Format, LabelError, Problem, b2, post};
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
    /// What was found (a problem that stops leaves the row out of the file).
    pub problems: Vec<Problem>,
}

impl PlannedSlip {
    /// Whether the row goes into the file.
    pub fn written(&self) -> bool {
        !self.problems.iter().any(Problem::stops)
    }
}

/// The preview of an export: every slip with its problems, and the deliveries left out.
#[derive(Debug, Clone, Serialize)]
pub struct ExportPlan {
    /// The format.
    pub format: Format,
    /// The slips, by shop and order.
    pub slips: Vec<PlannedSlip>,
    /// Deliveries not exported, and why: (shop, order, delivery, reason).
    pub left_out: Vec<(String, String, u32, String)>,
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
                let why = if tracked {
                    Some("it has a tracking number already".to_string())
                } else if carrier != format.carrier() {
                    Some(format!(
                        "its carrier is {:?}, not {} (delivery method {:?})",
                        d.carrier.as_deref().unwrap_or("none"),
                        format.carrier(),
                        d.delivery_method
                    ))
                } else {
                    None
                };
                match why {
                    Some(reason) => {
                        plan.left_out
                            .push((shop.id.clone(), number.clone(), d.delivery_no, reason))
                    }
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
                _ => b2::row(&slip, &shop.labels, &fitter, sel.cut),
            };
            plan.slips.push(PlannedSlip {
                shop: shop.id.clone(),
                order: order.mall_order_number.clone(),
                delivery: *delivery_no,
                parcel: *parcel,
                key,
                cells,
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
        _ => vec![b2::file(&rows)],
    }
}
