//! Reading the carrier's issued-data file back: the format and encoding detected (B2's and
//! e飛伝's CP932, e飛伝III's UTF-8 with BOM; headers with full-width digits matched as
//! half-width), each row matched by the host's お客様管理番号, each number checked (Excel's
//! `8.11E+11` and lost leading zeros refused, the carrier's check digit), and a preview of
//! what changes (order, delivery, old → new). [`apply`] sets every number in one transaction;
//! a second import of the same file changes nothing, and a row that would replace a number
//! (one already sent to the mall above all) is applied only when staff confirm it.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::issued::{IssuedError, IssuedProblem, NotIssued};
use super::text::half_width;
use super::{Format, LabelError};
use crate::config::ShopConfig;
use crate::csv::{Encoding, decode, parse_date};
use crate::store::{ShippingUpdate, Store};

const KEY: &[&str] = &["お客様管理番号", "お客様管理ナンバー", "お客様側管理番号"];
const NUMBER: &[(&str, Format)] = &[
    ("伝票番号", Format::B2),
    ("お問い合せ送り状No.", Format::Ehiden),
    ("お問合せ送り状No.", Format::Ehiden),
    ("お問合せ送り状№", Format::Ehiden),
    ("お問い合わせ番号", Format::Yupri),
    ("お問合せ番号", Format::Yupri),
];
const DATE: &[&str] = &["出荷予定日", "出荷日", "発送予定日", "発送日"];

/// A data row of an issued-data file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssuedRow {
    /// Line in the file.
    pub line: usize,
    /// お客様管理番号.
    pub key: String,
    /// The tracking number, digits only.
    pub tracking: String,
    /// 出荷予定日, when the row has one.
    pub ship_date: Option<NaiveDate>,
}

/// What importing one row does to a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowChange {
    /// Line in the file.
    pub line: usize,
    /// The shop.
    pub shop: String,
    /// The mall's order number.
    pub order: String,
    /// The delivery.
    pub delivery: u32,
    /// The parcel of the delivery (1 for the first).
    pub parcel: u32,
    /// The number the delivery (the parcel) has now.
    pub old: Option<String>,
    /// The number in the file.
    pub new: String,
    /// The carrier (the merchant's id).
    pub carrier: String,
    /// 出荷予定日, the ship date the mall is sent.
    pub ship_date: NaiveDate,
    /// Whether the mall has been sent the old number (a replacement is then a new version of
    /// the shipment: the mall is told again).
    pub pushed: bool,
}

/// The preview of an import: what each row would do, and the rows refused.
#[derive(Debug, Clone, Serialize)]
pub struct ImportPlan {
    /// The encoding read.
    pub encoding: String,
    /// The format the file is.
    pub format: Format,
    /// Data rows.
    pub rows: usize,
    /// Deliveries that get their first number.
    pub set: Vec<RowChange>,
    /// Rows whose number the delivery has already (a file imported twice).
    pub unchanged: Vec<RowChange>,
    /// Deliveries whose number would change: applied only when confirmed.
    pub replace: Vec<RowChange>,
    /// Rows refused, with line, key and reason.
    pub errors: Vec<IssuedError>,
}

/// What an applied import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LabelImport {
    /// Deliveries whose number was set or replaced.
    pub updated: usize,
    /// Rows that changed nothing.
    pub unchanged: usize,
}

fn find(header: &[String], names: &[&str]) -> Option<usize> {
    header
        .iter()
        .position(|h| names.iter().any(|n| h == &half_width(n)))
}

/// Reads an issued-data file and plans its import; nothing is written.
pub async fn plan_import(
    store: &Store,
    shops: &[ShopConfig],
    path: &str,
    bytes: &[u8],
    today: NaiveDate,
) -> Result<ImportPlan, LabelError> {
    let decoded = decode(path, bytes, Encoding::Auto)?;
    let not = |kind: NotIssued| LabelError::NotIssuedData {
        path: path.to_string(),
        kind,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(decoded.text.as_bytes());
    let mut records = Vec::new();
    for (i, r) in reader.records().enumerate() {
        match r {
            Ok(r) => records.push((
                i + 1,
                r.iter().map(|c| c.trim().to_string()).collect::<Vec<_>>(),
            )),
            Err(e) => {
                return Err(not(NotIssued::Unreadable {
                    line: i + 1,
                    error: e.to_string(),
                }));
            }
        }
    }
    let Some((_, first)) = records.first() else {
        return Err(not(NotIssued::Empty));
    };
    let header: Vec<String> = first
        .iter()
        .map(|h| half_width(h).replace(' ', ""))
        .collect();
    let key_col = find(&header, KEY);
    let number = NUMBER
        .iter()
        .find_map(|(n, f)| find(&header, &[n]).map(|c| (c, *f)));
    let (key_col, number_col, format, skip) = match (key_col, number) {
        (Some(k), Some((n, f))) => (k, n, f, 1),
        (Some(_), None)
            if header
                .iter()
                .any(|h| h.contains("発送予定") || h == "お客様側管理番号") =>
        {
            return Err(not(NotIssued::YupriPlanned));
        }
        (Some(_), None) => {
            return Err(not(NotIssued::NoNumberColumn));
        }
        (None, _) if first.len() >= 5 && crate::store::slip_id(&first[0]).is_some() => {
            // B2 without its header: by position.
            (0, 3, Format::B2, 0)
        }
        (None, _) => {
            return Err(not(NotIssued::NoKeyColumn));
        }
    };
    let date_col = if skip == 1 {
        find(&header, DATE)
    } else {
        Some(4)
    };
    let mut plan = ImportPlan {
        encoding: decoded.encoding.to_string(),
        format,
        rows: records.len() - skip,
        set: Vec::new(),
        unchanged: Vec::new(),
        replace: Vec::new(),
        errors: Vec::new(),
    };
    let column = |c: usize| {
        if skip == 1 {
            first.get(c).cloned()
        } else {
            None
        }
    };
    let mut rows = Vec::new();
    for (line, cells) in records.iter().skip(skip) {
        if cells.iter().all(String::is_empty) {
            plan.rows -= 1;
            continue;
        }
        let cell = |c: usize| cells.get(c).cloned().unwrap_or_default();
        let key = half_width(&cell(key_col));
        let err = |col: usize, problem: IssuedProblem| {
            IssuedError::new(
                *line,
                (!key.is_empty()).then(|| key.clone()),
                column(col),
                problem,
            )
        };
        if key.is_empty() {
            plan.errors.push(err(key_col, IssuedProblem::NoKey));
            continue;
        }
        let raw = cell(number_col);
        let tracking: String = half_width(&raw)
            .chars()
            .filter(|c| !matches!(c, '-' | ' '))
            .collect();
        if raw.contains(['E', 'e']) && raw.contains('+') {
            plan.errors
                .push(err(number_col, IssuedProblem::ExcelExponent { raw }));
            continue;
        }
        if tracking.is_empty() {
            plan.errors.push(err(number_col, IssuedProblem::NoNumber));
            continue;
        }
        if !tracking.bytes().all(|b| b.is_ascii_digit()) {
            plan.errors
                .push(err(number_col, IssuedProblem::NotDigits { raw }));
            continue;
        }
        if (9..12).contains(&tracking.len()) {
            plan.errors.push(err(
                number_col,
                IssuedProblem::LeadingZerosLost {
                    raw,
                    digits: tracking.len(),
                },
            ));
            continue;
        }
        let ship_date = match date_col.map(cell).filter(|d| !d.is_empty()) {
            None => None,
            Some(d) => match parse_date(&half_width(&d)) {
                Some(d) => Some(d),
                None => {
                    plan.errors.push(err(
                        date_col.unwrap_or(0),
                        IssuedProblem::NotADate { raw: d },
                    ));
                    continue;
                }
            },
        };
        rows.push(IssuedRow {
            line: *line,
            key,
            tracking,
            ship_date,
        });
    }
    // A key seen twice: neither row is guessed between.
    let mut lines_of: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for r in &rows {
        lines_of.entry(&r.key).or_default().push(r.line);
    }
    let twice: HashMap<String, Vec<usize>> = lines_of
        .into_iter()
        .filter(|(_, l)| l.len() > 1)
        .map(|(k, l)| (k.to_string(), l))
        .collect();
    let by_id: HashMap<&str, &ShopConfig> = shops.iter().map(|s| (s.id.as_str(), s)).collect();
    let mut resolved: Vec<(RowChange, bool, usize)> = Vec::new();
    for r in rows {
        let err = |problem: IssuedProblem| {
            IssuedError::new(r.line, Some(r.key.clone()), column(key_col), problem)
        };
        if let Some(lines) = twice.get(&r.key) {
            plan.errors.push(err(IssuedProblem::KeyTwice {
                key: r.key.clone(),
                lines: lines.clone(),
            }));
            continue;
        }
        let Some(slip) = store.slip(&r.key).await? else {
            plan.errors
                .push(err(IssuedProblem::UnknownKey { key: r.key.clone() }));
            continue;
        };
        let Some(shop) = by_id.get(slip.shop.as_str()) else {
            plan.errors.push(err(IssuedProblem::ShopGone {
                shop: slip.shop.clone(),
            }));
            continue;
        };
        let exported = Format::from_id(&slip.format).unwrap_or(format);
        if exported.carrier() != format.carrier() {
            plan.errors.push(err(IssuedProblem::OtherProgram {
                exported,
                file: format,
            }));
            continue;
        }
        let carrier = format.carrier();
        if let Err(error) = crate::tracking::validate(carrier, &r.tracking) {
            plan.errors.push(IssuedError::new(
                r.line,
                Some(r.key.clone()),
                column(number_col),
                IssuedProblem::Tracking {
                    order: slip.order.clone(),
                    delivery: slip.delivery,
                    error,
                },
            ));
            continue;
        }
        if !shop.carrier_ids.contains_key(carrier) {
            plan.errors.push(err(IssuedProblem::NoCarrierId {
                shop: shop.id.clone(),
                carrier: carrier.to_string(),
            }));
            continue;
        }
        let stored = store.delivery_shipping(&slip.shop, &slip.order).await?;
        let Some(now) = stored.iter().find(|d| d.delivery == slip.delivery) else {
            plan.errors.push(err(IssuedProblem::DeliveryGone {
                order: slip.order.clone(),
                delivery: slip.delivery,
            }));
            continue;
        };
        let pushed = store
            .pushes_of(&slip.shop, &slip.order)
            .await?
            .iter()
            .any(|p| p.outcome == "ok");
        let old = match slip.parcel {
            0 | 1 => now.tracking.clone(),
            p => now.more.get(p as usize - 2).cloned(),
        };
        let change = RowChange {
            line: r.line,
            shop: slip.shop.clone(),
            order: slip.order.clone(),
            delivery: slip.delivery,
            parcel: slip.parcel.max(1),
            old,
            new: r.tracking.clone(),
            carrier: carrier.to_string(),
            ship_date: r.ship_date.unwrap_or(today),
            pushed,
        };
        resolved.push((change, now.tracking.is_some(), now.more.len()));
    }
    // Parcels in order, so a delivery's further parcels follow its first.
    resolved.sort_by(|a, b| {
        (&a.0.shop, &a.0.order, a.0.delivery, a.0.parcel).cmp(&(
            &b.0.shop,
            &b.0.order,
            b.0.delivery,
            b.0.parcel,
        ))
    });
    let mut next: BTreeMap<(String, String, u32), u32> = BTreeMap::new();
    for (change, first_set, more) in resolved {
        let key = (change.shop.clone(), change.order.clone(), change.delivery);
        let next_parcel = next.entry(key).or_insert(2 + more as u32);
        let err = |problem: IssuedProblem| IssuedError::new(change.line, None, None, problem);
        match (&change.old, change.parcel) {
            (Some(t), _) if *t == change.new => plan.unchanged.push(change),
            (Some(_), 1) => plan.replace.push(change),
            (Some(old), parcel) => plan.errors.push(err(IssuedProblem::ParcelHasNumber {
                order: change.order.clone(),
                delivery: change.delivery,
                parcel,
                old: old.clone(),
            })),
            (None, 1) => plan.set.push(change),
            (None, p)
                if p == *next_parcel
                    && (first_set
                        || plan.set.iter().any(|c| {
                            c.shop == change.shop
                                && c.order == change.order
                                && c.delivery == change.delivery
                                && c.parcel == 1
                        })) =>
            {
                *next_parcel += 1;
                plan.set.push(change);
            }
            (None, parcel) => plan.errors.push(err(IssuedProblem::EarlierParcelsMissing {
                order: change.order.clone(),
                delivery: change.delivery,
                parcel,
            })),
        }
    }
    plan.errors.sort_by_key(|e| e.line);
    Ok(plan)
}

/// Applies a plan in one transaction: the first numbers, and the replacements when
/// `replace` (staff confirmed them). Rows refused are not in the plan's changes.
pub async fn apply(
    store: &Store,
    plan: &ImportPlan,
    replace: bool,
    now: DateTime<Utc>,
) -> Result<LabelImport, LabelError> {
    let mut changes: Vec<&RowChange> = plan.set.iter().collect();
    if replace {
        changes.extend(plan.replace.iter());
    }
    changes.sort_by(|a, b| {
        (&a.shop, &a.order, a.delivery, a.parcel).cmp(&(&b.shop, &b.order, b.delivery, b.parcel))
    });
    let rows: Vec<(String, String, u32, ShippingUpdate)> = changes
        .iter()
        .map(|c| {
            (
                c.shop.clone(),
                c.order.clone(),
                c.parcel,
                ShippingUpdate {
                    carrier: c.carrier.clone(),
                    tracking: c.new.clone(),
                    dummy: false,
                    ship_date: c.ship_date,
                    delivery: Some(c.delivery),
                },
            )
        })
        .collect();
    store.set_shipping_across(&rows, now).await?;
    Ok(LabelImport {
        updated: rows.len(),
        unchanged: plan.unchanged.len(),
    })
}
