//! データ取込 and データ書出: uploads of the product master, shipping data and mini-app order CSVs
//! (imported by the same `csv` functions as the CLI; per-row results with line, column and
//! reason, shown and downloadable as CSV; the browser shows the upload's progress), and the
//! export: the dry-run table (would send / left out with the reason), then sending, then the
//! results — the same `Syncer::export` as `mallhost export`.

use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Console, Staff};
use crate::accounts::Role;
use crate::csv::{Encoding, RowError};
use crate::sync::{ExportOptions, ExportReport, Syncer};

/// `GET /console/import`.
pub async fn import_page(State(cx): State<Console>, who: Staff) -> Response {
    cx.page(
        &who,
        "import.html",
        "import",
        json!({ "shops": cx.shop_choices(), "kind": "products" }),
    )
}

/// The fields of an import upload.
#[derive(Default)]
struct Upload {
    csrf: String,
    kind: String,
    shop: String,
    encoding: String,
    file_name: String,
    bytes: Vec<u8>,
}

async fn read_upload(mut m: Multipart) -> Result<Upload, String> {
    let mut u = Upload::default();
    while let Some(field) = m.next_field().await.map_err(|e| e.to_string())? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            u.file_name = field.file_name().unwrap_or("upload.csv").to_string();
            u.bytes = field.bytes().await.map_err(|e| e.to_string())?.to_vec();
        } else {
            let text = field.text().await.map_err(|e| e.to_string())?;
            match name.as_str() {
                "csrf" => u.csrf = text,
                "kind" => u.kind = text,
                "shop" => u.shop = text,
                "encoding" => u.encoding = text,
                _ => {}
            }
        }
    }
    Ok(u)
}

/// A file an upload is kept in while it is imported; removed when dropped.
pub(super) struct Spooled(pub std::path::PathBuf);

impl Spooled {
    /// Writes `bytes` to a new private file named after `name` (its extension kept).
    pub(super) fn write(name: &str, bytes: &[u8]) -> std::io::Result<Spooled> {
        let dir = std::env::temp_dir().join(format!(
            "mallhost-upload-{}",
            crate::runtime::sha256_hex(&crate::hostkey::random())
                .get(..16)
                .unwrap_or("x")
        ));
        std::fs::create_dir(&dir)?;
        // Only the last path component, and only plain characters: the name is the browser's.
        let safe: String = std::path::Path::new(name)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("upload")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = dir.join(if safe.is_empty() {
            "upload".into()
        } else {
            safe
        });
        std::fs::write(&path, bytes)?;
        Ok(Spooled(path))
    }
}

impl Drop for Spooled {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// What an import did, whatever the kind: rows in the file, rows imported, other counts in
/// words, and the rows refused.
type Imported = (usize, usize, Vec<(String, String)>, Vec<RowError>);

/// The row errors as a CSV `data:` link (line, column, key, reason).
fn errors_csv(errors: &[RowError]) -> String {
    use base64::Engine as _;
    let mut w = ::csv::Writer::from_writer(Vec::from("\u{feff}".as_bytes()));
    let mut ok = w.write_record(["line", "column", "key", "reason"]).is_ok();
    for e in errors {
        ok &= w
            .write_record([
                e.line.to_string().as_str(),
                e.column.as_deref().unwrap_or_default(),
                e.key.as_deref().unwrap_or_default(),
                e.reason.as_str(),
            ])
            .is_ok();
    }
    let bytes = match (ok, w.into_inner()) {
        (true, Ok(b)) => b,
        _ => Vec::new(),
    };
    format!(
        "data:text/csv;charset=utf-8;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// `POST /console/import` (staff, multipart): imports the file and shows every row's result.
pub async fn import(State(cx): State<Console>, who: Staff, m: Multipart) -> Response {
    let u = match read_upload(m).await {
        Ok(u) => u,
        Err(e) => {
            return cx.error_page(
                &who,
                StatusCode::BAD_REQUEST,
                &format!("the upload cannot be read: {e}"),
            );
        }
    };
    if let Some(r) = who.refuse(&cx, Some(&u.csrf), Role::Staff) {
        return r;
    }
    let again = |status: StatusCode, error: String| {
        cx.page_with(
            &who,
            status,
            "import.html",
            "import",
            json!({ "shops": cx.shop_choices(), "kind": u.kind, "shop": u.shop, "error": error }),
        )
    };
    if u.bytes.is_empty() {
        return again(
            StatusCode::UNPROCESSABLE_ENTITY,
            cx.tr(who.lang, "file_needed"),
        );
    }
    let encoding: Encoding = match u.encoding.parse() {
        Ok(e) => e,
        Err(_) if u.encoding.is_empty() => Encoding::Auto,
        Err(e) => return again(StatusCode::UNPROCESSABLE_ENTITY, e),
    };
    let spooled = match Spooled::write(&u.file_name, &u.bytes) {
        Ok(s) => s,
        Err(e) => {
            return again(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the upload cannot be kept for import: {e}"),
            );
        }
    };
    let a = &cx.admin;
    let now = a.clock.now();
    let today = crate::time::jst_date(a.clock.now());
    let none = |_: usize, _: usize| {};
    let result: Result<Imported, String> = match u.kind.as_str() {
        "products" => crate::csv::products::import(&a.store, &spooled.0, encoding, now, &none)
            .await
            .map(|r| {
                (
                    r.rows,
                    r.imported,
                    vec![(cx.tr(who.lang, "lines_filled"), r.lines_filled.to_string())],
                    r.errors,
                )
            })
            .map_err(|e| e.to_string()),
        "shipments" | "orders" => {
            let shop = match cx.shop(&who, &u.shop) {
                Ok(s) => s,
                Err(r) => return *r,
            };
            if u.kind == "shipments" {
                crate::csv::shipments::import(
                    &a.store, shop, &spooled.0, encoding, today, now, &none,
                )
                .await
                .map(|r| (r.rows, r.updated, Vec::new(), r.errors))
                .map_err(|e| e.to_string())
            } else {
                crate::csv::orders::import(
                    &a.store, &a.runtime, shop, &spooled.0, encoding, now, &none,
                )
                .await
                .map(|r| {
                    (
                        r.rows,
                        r.ingested.stored.len(),
                        vec![(
                            cx.tr(who.lang, "already_stored"),
                            r.ingested.already_stored.len().to_string(),
                        )],
                        r.errors,
                    )
                })
                .map_err(|e| e.to_string())
            }
        }
        other => Err(format!(
            "{other:?} is not something to import (products, shipments, orders)"
        )),
    };
    drop(spooled);
    match result {
        Err(e) => again(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{}: {e}", u.file_name),
        ),
        Ok((rows, done, extra, errors)) => {
            cx.audit(
                &who.actor(),
                &format!("import.{}", u.kind),
                &format!(
                    "{}{}: {done} of {rows} row(s) imported, {} refused",
                    if u.shop.is_empty() {
                        String::new()
                    } else {
                        format!("{} ", u.shop)
                    },
                    u.file_name,
                    errors.len()
                ),
            )
            .await;
            cx.page(
                &who,
                "import.html",
                "import",
                json!({
                    "shops": cx.shop_choices(),
                    "kind": u.kind,
                    "shop": u.shop,
                    "result": {
                        "file": u.file_name,
                        "rows": rows,
                        "done": done,
                        "extra": extra,
                        "errors": errors,
                        "errors_csv": errors_csv(&errors),
                    },
                }),
            )
        }
    }
}

/// The export form.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
pub struct ExportForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    shop: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    preview: Option<String>,
}

fn report_json(r: &ExportReport) -> Value {
    json!({
        "pushed": r.pushed,
        "rejected": r.rejected,
        "failed": r.failed,
        "unknown": r.unknown,
        "excluded": r.excluded,
        "dry_run": r.dry_run,
    })
}

/// Runs an export of the form's shop and period (a dry run or the real one).
async fn run_export(
    cx: &Console,
    who: &Staff,
    f: &ExportForm,
    options: ExportOptions,
) -> Result<Value, String> {
    let a = &cx.admin;
    let shop = a
        .config
        .shop(&f.shop)
        .ok_or_else(|| format!("no shop {:?} in the config file", f.shop))?;
    if !shop.order_api {
        return Err(cx.tr(who.lang, "no_api"));
    }
    let today = crate::time::jst_date(a.clock.now());
    let date = |s: &str| -> Result<NaiveDate, String> {
        if s.trim().is_empty() {
            Ok(today)
        } else {
            crate::csv::parse_date(s.trim())
                .ok_or_else(|| format!("{s:?} is not a date (YYYY-MM-DD)"))
        }
    };
    let (from, to) = (date(&f.from)?, date(&f.to)?);
    let syncer = Syncer::new(&a.store, &a.runtime, a.clock.clone(), a.config.sync.clone());
    syncer
        .export(shop, from, to, options)
        .await
        .map(|r| report_json(&r))
        .map_err(|e| e.to_string())
}

/// The export page: the form, and a dry run's table or a send's results, or what went wrong.
fn export_view(
    cx: &Console,
    who: &Staff,
    f: &ExportForm,
    result: Option<Result<Value, String>>,
    sent: bool,
) -> Response {
    let today = crate::time::jst_date(cx.admin.clock.now()).to_string();
    let (report, error) = match result {
        Some(Ok(r)) => (Some(r), None),
        Some(Err(e)) => (None, Some(e)),
        None => (None, None),
    };
    cx.page_with(
        who,
        if error.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        "export.html",
        "export",
        json!({
            "shops": cx.shop_choices(),
            "f": f,
            "today": today,
            "sent": sent && report.is_some(),
            "report": report,
            "error": error,
        }),
    )
}

/// `GET /console/export` (with `preview`: the dry-run table).
pub async fn export_page(
    State(cx): State<Console>,
    who: Staff,
    Query(f): Query<ExportForm>,
) -> Response {
    let result = match f.preview {
        Some(_) => Some(run_export(&cx, &who, &f, ExportOptions::DRY_RUN).await),
        None => None,
    };
    export_view(&cx, &who, &f, result, false)
}

/// `POST /console/export` (staff): sends, then shows the results.
pub async fn send(
    State(cx): State<Console>,
    who: Staff,
    axum::Form(f): axum::Form<ExportForm>,
) -> Response {
    if let Some(r) = who.refuse(&cx, Some(&f.csrf), Role::Staff) {
        return r;
    }
    let result = run_export(&cx, &who, &f, ExportOptions::SEND).await;
    if let Ok(r) = &result {
        let n = |k: &str| r[k].as_array().map_or(0, Vec::len);
        cx.audit(
            &who.actor(),
            "export.send",
            &format!(
                "{} {}..{}: {} sent, {} rejected, {} failed, {} unknown, {} left out",
                f.shop,
                f.from,
                f.to,
                n("pushed"),
                n("rejected"),
                n("failed"),
                n("unknown"),
                n("excluded")
            ),
        )
        .await;
    }
    export_view(&cx, &who, &f, Some(result), true)
}
