//! The web console of `mallhost serve` (under `/console`): the screens a shop's staff work in —
//! ダッシュボード, 受注一覧 and 受注詳細 with 出荷情報入力, データ取込, データ書出, プラグイン, 設定,
//! 監査ログ and 利用者 — rendered on the server from templates (`console/templates/`,
//! minijinja, HTML-escaped), in Japanese with an English switch, with a few lines of progressive
//! JavaScript (the tracking number checked as typed, upload progress). Pages work without it.
//!
//! Each concern has its module: `auth` (sessions, CSRF, login rate limit, Host allowlist),
//! `i18n` (the words), and one module per screen group: `dashboard`, `orders`, `labels` (label files, packing
//! slips, pick list, bulk status), `scan` (tracking numbers one order after another), `data` (import and export), `plugins`, `settings` (settings and the audit log), `users` (accounts). Every
//! change is written to the audit log with the user who made it; roles are `accounts`'.

mod auth;
mod dashboard;
mod data;
mod explain;
mod i18n;
mod labels;
mod orders;
mod plugins;
mod scan;
mod settings;
mod users;
mod words;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

pub use auth::{LoginLimiter, MAX_FAILURES, SESSION_COOKIE, Staff};
pub use i18n::Lang;

use crate::app::ServeState;
pub use crate::config::ConsoleConfig;

/// The largest upload (a CSV or a component) the console takes.
pub const MAX_UPLOAD: usize = 64 * 1024 * 1024;

/// The templates, by name (compiled into the binary).
pub(crate) const TEMPLATES: &[(&str, &str)] = &[
    ("layout.html", include_str!("templates/layout.html")),
    ("login.html", include_str!("templates/login.html")),
    ("error.html", include_str!("templates/error.html")),
    ("dashboard.html", include_str!("templates/dashboard.html")),
    ("orders.html", include_str!("templates/orders.html")),
    ("order.html", include_str!("templates/order.html")),
    ("import.html", include_str!("templates/import.html")),
    ("export.html", include_str!("templates/export.html")),
    ("plugins.html", include_str!("templates/plugins.html")),
    ("settings.html", include_str!("templates/settings.html")),
    ("audit.html", include_str!("templates/audit.html")),
    ("users.html", include_str!("templates/users.html")),
    ("account.html", include_str!("templates/account.html")),
    ("labels.html", include_str!("templates/labels.html")),
    ("slips.html", include_str!("templates/slips.html")),
    ("bulk.html", include_str!("templates/bulk.html")),
    ("scan.html", include_str!("templates/scan.html")),
    (
        "labels_import.html",
        include_str!("templates/labels_import.html"),
    ),
];

const CSS: &str = include_str!("static/console.css");
const JS: &str = include_str!("static/console.js");

/// What the console's handlers share.
#[derive(Clone)]
pub struct Console {
    state: ServeState,
    config: Arc<ConsoleConfig>,
    templates: Arc<minijinja::Environment<'static>>,
    /// Every word, Japanese and English, made once (pages take them as `t`).
    words: Arc<[minijinja::Value; 2]>,
    limiter: Arc<LoginLimiter>,
}

impl Console {
    /// The console over a running host's serve state.
    pub fn new(state: ServeState) -> Console {
        let mut env = minijinja::Environment::new();
        for (name, text) in TEMPLATES {
            if let Err(e) = env.add_template(name, text) {
                // A template that does not parse is a bug caught by the tests; pages using it
                // answer with the error instead of taking the server down.
                tracing::error!("console template {name}: {e}");
            }
        }
        env.add_filter("yen", |n: i64| {
            let s = n.unsigned_abs().to_string();
            let mut out = String::new();
            for (i, c) in s.chars().enumerate() {
                if i > 0 && (s.len() - i).is_multiple_of(3) {
                    out.push(',');
                }
                out.push(c);
            }
            format!("{}¥{out}", if n < 0 { "-" } else { "" })
        });
        env.add_filter("segment", |s: String| path_segment(&s));
        // Stored ids in the staff's words (`words`), in the page's language.
        fn lang_of(state: &minijinja::State<'_, '_>) -> Lang {
            match state.lookup("lang").as_ref().and_then(|v| v.as_str()) {
                Some("en") => Lang::En,
                _ => Lang::Ja,
            }
        }
        env.add_filter("event", |st: &minijinja::State<'_, '_>, s: String| {
            words::event(lang_of(st), &s)
        });
        env.add_filter("detail", |st: &minijinja::State<'_, '_>, s: String| {
            words::detail(lang_of(st), &s)
        });
        env.add_filter("outcome", |st: &minijinja::State<'_, '_>, s: String| {
            words::outcome(lang_of(st), &s)
        });
        env.add_filter(
            "carrier",
            |st: &minijinja::State<'_, '_>, s: String| match lang_of(st) {
                Lang::En => s,
                Lang::Ja => words::carrier_name(&s),
            },
        );
        env.add_filter("jst", |s: String| {
            crate::time::from_db(&s).map_or(s, crate::time::display_jst)
        });
        let per_address = state.config.console.login_failures_per_address as usize;
        Console {
            config: Arc::new(state.config.console.clone()),
            state,
            templates: Arc::new(env),
            words: Arc::new(
                [Lang::Ja, Lang::En].map(|l| minijinja::Value::from_serialize(i18n::words(l))),
            ),
            limiter: Arc::new(LoginLimiter::new(per_address)),
        }
    }

    /// A word in `lang`.
    pub(crate) fn tr(&self, lang: Lang, key: &str) -> String {
        i18n::word(lang, key).to_string()
    }

    /// Renders a template with the words of `lang` (`t`, `lang`) beside `ctx`; a template that
    /// fails answers 500 saying which. Pages outside the signed-in frame (login) use it alone.
    pub(crate) fn render(
        &self,
        status: StatusCode,
        name: &str,
        lang: Lang,
        ctx: Value,
    ) -> Response {
        let words = &self.words[usize::from(lang == Lang::En)];
        let ctx = minijinja::context! {
            t => words.clone(),
            lang => lang.code(),
            ..minijinja::Value::from_serialize(&ctx)
        };
        match self
            .templates
            .get_template(name)
            .and_then(|t| t.render(ctx))
        {
            Ok(html) => (status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!("console page {name}: {e:#}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("console page {name} cannot be shown: {e}"),
                )
                    .into_response()
            }
        }
    }

    /// A page in the signed-in frame, with the words, the user, the CSRF token and the screen
    /// (`nav`) the menu marks.
    pub(crate) fn page(&self, who: &Staff, name: &str, nav: &str, ctx: Value) -> Response {
        self.page_with(who, StatusCode::OK, name, nav, ctx)
    }

    /// [`Console::page`] with a status other than 200.
    pub(crate) fn page_with(
        &self,
        who: &Staff,
        status: StatusCode,
        name: &str,
        nav: &str,
        mut ctx: Value,
    ) -> Response {
        if let Value::Object(m) = &mut ctx {
            m.insert(
                "me".into(),
                json!({
                    "name": who.name,
                    "role": who.role.id(),
                    "staff": who.role.may(crate::accounts::Role::Staff),
                    "admin": who.role.may(crate::accounts::Role::Admin),
                }),
            );
            m.insert("csrf".into(), json!(who.csrf));
            m.insert("nav".into(), json!(nav));
        }
        self.render(status, name, who.lang, ctx)
    }

    /// An error page that says what went wrong and links back.
    pub(crate) fn error_page(&self, who: &Staff, status: StatusCode, message: &str) -> Response {
        self.page_with(
            who,
            status,
            "error.html",
            "",
            json!({ "message": message, "status": status.as_u16() }),
        )
    }

    /// Writes an audit entry (a failure to write is logged, not shown).
    pub(crate) async fn audit(&self, actor: &str, action: &str, detail: &str) {
        crate::accounts::record(&self.state.store, actor, action, detail).await;
    }

    /// The shop with this id, or a 404 page.
    pub(crate) fn shop(
        &self,
        who: &Staff,
        id: &str,
    ) -> Result<&crate::config::ShopConfig, Box<Response>> {
        self.state.config.shop(id).ok_or_else(|| {
            Box::new(self.error_page(
                who,
                StatusCode::NOT_FOUND,
                &format!("no shop {id:?} in the config file"),
            ))
        })
    }

    /// The shops, for the pickers: id and name.
    pub(crate) fn shop_choices(&self) -> Value {
        json!(
            self.state
                .config
                .shops
                .iter()
                .map(|s| json!({ "id": s.id, "name": s.name, "mall": s.mall, "api": s.order_api }))
                .collect::<Vec<_>>()
        )
    }
}

/// A text as one segment of a URL path: every byte but letters, digits and `-._~`
/// percent-encoded (a space is `%20`, never `+`, which a path keeps as a plus).
pub(crate) fn path_segment(s: &str) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// `?csrf=` of an upload form's action: checked before the body is read.
#[derive(serde::Deserialize)]
pub(crate) struct CsrfQuery {
    #[serde(default)]
    csrf: String,
}

/// A date field of a form: `None` when empty, else the date (YYYY-MM-DD or YYYY/MM/DD), or
/// what is wrong, naming the field.
pub(crate) fn date_field(field: &str, text: &str) -> Result<Option<chrono::NaiveDate>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    crate::csv::parse_date(text)
        .map(Some)
        .ok_or_else(|| format!("{field}: {text:?} is not a date (YYYY-MM-DD)"))
}

/// `GET /console/lang/{code}`: switches the language (a cookie) and goes back.
async fn switch_lang(
    axum::extract::State(cx): axum::extract::State<Console>,
    axum::extract::Path(code): axum::extract::Path<String>,
    headers: HeaderMap,
) -> Response {
    let code = if code == "en" { "en" } else { "ja" };
    // Back to the page the switch was on, if it is one of ours.
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| url::Url::parse(r).ok())
        .map(|u| match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        })
        .filter(|p| p.starts_with("/console"))
        .unwrap_or_else(|| "/console".into());
    let mut r = Redirect::to(&back).into_response();
    let year = std::time::Duration::from_secs(365 * 86_400);
    auth::set_cookie(&cx, &headers, &mut r, "mh_lang", code, year);
    r
}

async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS).into_response()
}

async fn js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        JS,
    )
        .into_response()
}

/// The console's routes (under `/console`).
pub fn router(state: ServeState) -> Router {
    let cx = Console::new(state);
    Router::new()
        .route("/console", get(dashboard::show))
        .route("/console/login", get(auth::login_page).post(auth::login))
        .route("/console/logout", post(auth::logout))
        .route("/console/lang/{code}", get(switch_lang))
        .route("/console/jobs/run", post(dashboard::run_job))
        .route("/console/orders", get(orders::list))
        .route("/console/orders.csv", get(orders::csv))
        .route("/console/orders/{shop}/{number}", get(orders::show))
        .route("/console/orders/{shop}/{number}/ship", post(orders::ship))
        .route(
            "/console/orders/{shop}/{number}/status",
            post(orders::status),
        )
        .route("/console/check-tracking", get(orders::check_tracking))
        .route("/console/labels", post(labels::labels))
        .route("/console/slips", post(labels::slips))
        .route("/console/orders/bulk-status", post(labels::bulk_status))
        .route("/console/scan", post(scan::scan))
        .route(
            "/console/labels/import",
            post(labels::import_issued).layer(DefaultBodyLimit::max(MAX_UPLOAD)),
        )
        .route(
            "/console/import",
            get(data::import_page)
                .post(data::import)
                .layer(DefaultBodyLimit::max(MAX_UPLOAD)),
        )
        .route("/console/export", get(data::export_page).post(data::send))
        .route("/console/plugins", get(plugins::list))
        .route(
            "/console/plugins/install",
            post(plugins::install).layer(DefaultBodyLimit::max(MAX_UPLOAD)),
        )
        .route("/console/plugins/rollback", post(plugins::rollback))
        .route("/console/settings", get(settings::show))
        .route("/console/audit", get(settings::audit))
        .route("/console/users", get(users::list).post(users::add))
        .route("/console/users/switch", post(users::switch))
        .route("/console/users/password", post(users::reset))
        .route("/console/account", get(users::account))
        .route("/console/account/password", post(users::change_password))
        .route("/console/account/sessions", post(users::end_other_sessions))
        .route("/console/static/console.css", get(css))
        .route("/console/static/console.js", get(js))
        .route("/", get(|| async { Redirect::to("/console") }))
        .with_state(cx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_number_with_a_space_or_a_plus_makes_one_path_segment() {
        assert_eq!(path_segment("A 1+2/3"), "A%201%2B2%2F3");
        assert_eq!(path_segment("受注-1"), "%E5%8F%97%E6%B3%A8-1");
    }

    #[test]
    fn every_template_parses() {
        let mut env = minijinja::Environment::new();
        for (name, text) in TEMPLATES {
            env.add_template(name, text)
                .unwrap_or_else(|e| panic!("{name}: {e:#}"));
        }
    }
}
