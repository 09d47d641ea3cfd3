//! データ取込 and データ書出: uploads of the product master, shipping data and mini-app order CSVs
//! (imported by the same `csv` functions as the CLI; per-row results with line, column and
//! reason, shown and downloadable as CSV; the browser shows the upload's progress), and the
//! export: the dry-run table (would send / left out with the reason), then sending, then the
//! results — the same `Syncer::export` as `mallhost export`.

use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
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

/// A multipart form's fields, by name: each one's bytes and, for a file, the browser's name
/// for it. The import and the plugin install read their uploads through it.
#[derive(Default)]
pub(super) struct Upload {
    fields: std::collections::HashMap<String, (Option<String>, Vec<u8>)>,
}

impl Upload {
    /// Reads every field of the form.
    async fn read(mut m: Multipart) -> Result<Upload, String> {
        let mut u = Upload::default();
        while let Some(field) = m.next_field().await.map_err(|e| e.to_string())? {
            let name = field.name().unwrap_or_default().to_string();
            let file_name = field.file_name().map(str::to_string);
            let bytes = field.bytes().await.map_err(|e| e.to_string())?.to_vec();
            u.fields.insert(name, (file_name, bytes));
        }
        Ok(u)
    }

    /// Reads the form of an action that needs `needed`, after checking the role and the CSRF
    /// token its URL carries (`?csrf=`: an upload form sends it there, so nothing of the body
    /// is read for a request that will be refused); the upload, or the page that refuses it
    /// (too low a role, a token that is not the session's, an unreadable or too large body).
    pub(super) async fn read_for(
        cx: &Console,
        who: &Staff,
        csrf: &str,
        m: Multipart,
        needed: Role,
    ) -> Result<Upload, Box<Response>> {
        if let Some(r) = who.refuse(cx, Some(csrf), needed) {
            return Err(Box::new(r));
        }
        Upload::read(m).await.map_err(|e| {
            let (status, message) = if e.contains("length limit") {
                (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    cx.tr(who.lang, "upload_too_large")
                        .replace("{mib}", &(super::MAX_UPLOAD / (1024 * 1024)).to_string()),
                )
            } else {
                (
                    StatusCode::BAD_REQUEST,
                    format!("{}: {e}", cx.tr(who.lang, "upload_unreadable")),
                )
            };
            Box::new(cx.error_page(who, status, &message))
        })
    }

    /// A text field (empty when missing).
    pub(super) fn text(&self, name: &str) -> String {
        self.fields
            .get(name)
            .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default()
    }

    /// A file field that holds something: the browser's name for it (or `default`) and its
    /// bytes.
    pub(super) fn file(&self, name: &str, default: &str) -> Option<(String, &[u8])> {
        self.fields
            .get(name)
            .filter(|(_, b)| !b.is_empty())
            .map(|(n, b)| {
                (
                    n.clone().unwrap_or_else(|| default.to_string()),
                    b.as_slice(),
                )
            })
    }
}

/// A file an upload is kept in while it is imported; removed when dropped.
pub(super) struct Spooled(pub std::path::PathBuf);

impl Spooled {
    /// Writes `bytes` to a new private file named after `name` (its extension kept).
    pub(super) fn write(name: &str, bytes: &[u8]) -> std::io::Result<Spooled> {
        let dir = std::env::temp_dir().join(format!(
            "mallhost-upload-{}",
            crate::digest::sha256_hex(&crate::hostkey::random())
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
    let rows = errors.iter().map(|e| {
        vec![
            e.line.to_string(),
            e.column.clone().unwrap_or_default(),
            e.key.clone().unwrap_or_default(),
            e.reason.clone(),
        ]
    });
    let bytes = crate::csv::written::for_people(&["line", "column", "key", "reason"], rows)
        .unwrap_or_default();
    format!(
        "data:text/csv;charset=utf-8;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// `POST /console/import` (staff, multipart): imports the file and shows every row's result.
pub async fn import(
    State(cx): State<Console>,
    who: Staff,
    Query(q): Query<super::CsrfQuery>,
    m: Multipart,
) -> Response {
    let u = match Upload::read_for(&cx, &who, &q.csrf, m, Role::Staff).await {
        Ok(u) => u,
        Err(r) => return *r,
    };
    let (kind, shop_id, encoding) = (u.text("kind"), u.text("shop"), u.text("encoding"));
    let again = |status: StatusCode, error: String| {
        cx.page_with(
            &who,
            status,
            "import.html",
            "import",
            json!({ "shops": cx.shop_choices(), "kind": kind, "shop": shop_id, "error": error }),
        )
    };
    let Some((file_name, bytes)) = u.file("file", "upload.csv") else {
        return again(
            StatusCode::UNPROCESSABLE_ENTITY,
            cx.tr(who.lang, "file_needed"),
        );
    };
    let encoding: Encoding = match encoding.parse() {
        Ok(e) => e,
        Err(_) if encoding.is_empty() => Encoding::Auto,
        Err(e) => return again(StatusCode::UNPROCESSABLE_ENTITY, e),
    };
    let spooled = match Spooled::write(&file_name, bytes) {
        Ok(s) => s,
        Err(e) => {
            return again(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the upload cannot be kept for import: {e}"),
            );
        }
    };
    let a = &cx.state;
    let now = a.clock.now();
    let today = crate::time::jst_date(a.clock.now());
    let none = |_: usize, _: usize| {};
    let result: Result<Imported, String> = match kind.as_str() {
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
            let shop = match cx.shop(&who, &shop_id) {
                Ok(s) => s,
                Err(r) => return *r,
            };
            if kind == "shipments" {
                crate::csv::shipments::import(
                    &a.store, shop, &spooled.0, encoding, today, now, &none,
                )
                .await
                .map(|r| (r.rows, r.updated, Vec::new(), r.errors))
                .map_err(|e| e.to_string())
            } else {
                crate::sync::import::import_orders(
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
            format!("{}: {e}", file_name),
        ),
        Ok((rows, done, extra, errors)) => {
            cx.audit(
                &who.actor(),
                &format!("import.{}", kind),
                &format!(
                    "{}{}: {done} of {rows} row(s) imported, {} refused",
                    if shop_id.is_empty() {
                        String::new()
                    } else {
                        format!("{} ", shop_id)
                    },
                    file_name,
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
                    "kind": kind,
                    "shop": shop_id,
                    "result": {
                        "file": file_name,
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
    let a = &cx.state;
    let shop = a
        .config
        .shop(&f.shop)
        .ok_or_else(|| format!("no shop {:?} in the config file", f.shop))?;
    if !shop.order_api {
        return Err(cx.tr(who.lang, "no_api"));
    }
    let today = crate::time::jst_date(a.clock.now());
    let from = super::date_field("from", &f.from)?.unwrap_or(today);
    let to = super::date_field("to", &f.to)?.unwrap_or(today);
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
    let today = crate::time::jst_date(cx.state.clock.now()).to_string();
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
