//! 利用者 (admins): the accounts with their roles, adding one (the same checks as `mallhost
//! users add`: a name of plain characters, a password of 12 or more, argon2id), resetting one's
//! password (its sessions end), and switching one off or on — a switched-off account's sessions
//! end and its API tokens stop working at once; switched on again, it must log in anew. An admin
//! cannot switch off their own account (someone must be left to switch it back).
//!
//! アカウント (everyone, their own): changing one's password (the current one asked first; the
//! other sessions end) and logging out everywhere else.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::{Console, Staff};
use crate::accounts::Role;

async fn page(
    cx: &Console,
    who: &Staff,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    match cx.state.store.users().await {
        Ok(users) => cx.page_with(
            who,
            status,
            "users.html",
            "users",
            json!({ "users": users, "notice": notice, "error": error }),
        ),
        Err(e) => cx.error_page(who, StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    }
}

/// `GET /console/users` (admin).
pub async fn list(State(cx): State<Console>, who: Staff) -> Response {
    if let Some(r) = who.refuse(&cx, None, Role::Admin) {
        return r;
    }
    page(&cx, &who, StatusCode::OK, None, None).await
}

/// The form that adds an account.
#[derive(Deserialize)]
pub struct AddForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
}

/// `POST /console/users` (admin): adds an account.
pub async fn add(
    State(cx): State<Console>,
    who: Staff,
    axum::Form(f): axum::Form<AddForm>,
) -> Response {
    if let Some(r) = who.refuse(&cx, Some(&f.csrf), Role::Admin) {
        return r;
    }
    let refused = |msg: String| page(&cx, &who, StatusCode::UNPROCESSABLE_ENTITY, None, Some(msg));
    let Some(role) = Role::parse(&f.role) else {
        return refused(format!("role {:?}: use admin, staff or viewer", f.role)).await;
    };
    if f.password != f.password_again {
        return refused(cx.tr(who.lang, "passwords_differ")).await;
    }
    let now = cx.state.clock.now();
    if let Err(e) =
        crate::accounts::add_user(&cx.state.store, &f.name, role, &f.password, now).await
    {
        return refused(e.to_string()).await;
    }
    cx.audit(
        &who.actor(),
        "users.add",
        &format!("{} ({})", f.name, role.id()),
    )
    .await;
    let notice = cx.tr(who.lang, "user_added").replace("{name}", &f.name);
    page(&cx, &who, StatusCode::OK, Some(notice), None).await
}

/// The form that switches an account off or on.
#[derive(Deserialize)]
pub struct SwitchForm {
    #[serde(default)]
    csrf: String,
    name: String,
    disabled: bool,
}

/// `POST /console/users/switch` (admin).
pub async fn switch(
    State(cx): State<Console>,
    who: Staff,
    axum::Form(f): axum::Form<SwitchForm>,
) -> Response {
    if let Some(r) = who.refuse(&cx, Some(&f.csrf), Role::Admin) {
        return r;
    }
    if f.name == who.name && f.disabled {
        let msg = cx.tr(who.lang, "not_yourself");
        return page(&cx, &who, StatusCode::CONFLICT, None, Some(msg)).await;
    }
    match cx.state.store.set_user_disabled(&f.name, f.disabled).await {
        Ok(true) => {
            let action = if f.disabled {
                "users.disable"
            } else {
                "users.enable"
            };
            cx.audit(&who.actor(), action, &f.name).await;
            page(&cx, &who, StatusCode::OK, None, None).await
        }
        Ok(false) => {
            let msg = format!("no account named {:?}", f.name);
            page(&cx, &who, StatusCode::NOT_FOUND, None, Some(msg)).await
        }
        Err(e) => cx.error_page(&who, StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    }
}

/// The form that resets another account's password (admin).
#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
}

/// `POST /console/users/password` (admin): sets an account's password; its sessions end.
pub async fn reset(
    State(cx): State<Console>,
    who: Staff,
    axum::Form(f): axum::Form<ResetForm>,
) -> Response {
    if let Some(r) = who.refuse(&cx, Some(&f.csrf), Role::Admin) {
        return r;
    }
    if f.password != f.password_again {
        let msg = cx.tr(who.lang, "passwords_differ");
        return page(&cx, &who, StatusCode::UNPROCESSABLE_ENTITY, None, Some(msg)).await;
    }
    let keep = (f.name == who.name).then_some(who.session.as_str());
    match crate::accounts::set_password(&cx.state.store, &f.name, &f.password, keep).await {
        Ok(()) => {
            cx.audit(&who.actor(), "users.reset_password", &f.name)
                .await;
            let notice = cx
                .tr(who.lang, "password_reset_done")
                .replace("{name}", &f.name);
            page(&cx, &who, StatusCode::OK, Some(notice), None).await
        }
        Err(e) => {
            page(
                &cx,
                &who,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(e.to_string()),
            )
            .await
        }
    }
}

async fn account_page(
    cx: &Console,
    who: &Staff,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    cx.page_with(
        who,
        status,
        "account.html",
        "account",
        json!({ "notice": notice, "error": error }),
    )
}

/// `GET /console/account`: one's own account.
pub async fn account(State(cx): State<Console>, who: Staff) -> Response {
    account_page(&cx, &who, StatusCode::OK, None, None).await
}

/// The form that changes one's own password.
#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
}

/// `POST /console/account/password`: changes one's own password (the current one checked);
/// every other session of the account ends.
pub async fn change_password(
    State(cx): State<Console>,
    who: Staff,
    axum::Form(f): axum::Form<PasswordForm>,
) -> Response {
    if let Some(r) = who.refuse(&cx, Some(&f.csrf), Role::Viewer) {
        return r;
    }
    let refused =
        |msg: String| account_page(&cx, &who, StatusCode::UNPROCESSABLE_ENTITY, None, Some(msg));
    match crate::accounts::by_password(&cx.state.store, &who.name, &f.current).await {
        Ok(Some(_)) => {}
        Ok(None) => return refused(cx.tr(who.lang, "wrong_current_password")).await,
        Err(e) => return cx.error_page(&who, StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    }
    if f.password != f.password_again {
        return refused(cx.tr(who.lang, "passwords_differ")).await;
    }
    let store = &cx.state.store;
    if let Err(e) =
        crate::accounts::set_password(store, &who.name, &f.password, Some(&who.session)).await
    {
        return refused(e.to_string()).await;
    }
    cx.audit(&who.actor(), "account.password", "").await;
    let notice = cx.tr(who.lang, "password_changed");
    account_page(&cx, &who, StatusCode::OK, Some(notice), None).await
}

/// `POST /console/account/sessions`: ends every other session of one's account.
pub async fn end_other_sessions(
    State(cx): State<Console>,
    who: Staff,
    axum::Form(f): axum::Form<super::auth::TokenForm>,
) -> Response {
    if let Some(r) = who.refuse(&cx, Some(f.csrf()), Role::Viewer) {
        return r;
    }
    match cx
        .state
        .store
        .end_user_sessions(&who.name, Some(&who.session))
        .await
    {
        Ok(n) => {
            cx.audit(&who.actor(), "account.end_sessions", &format!("{n} ended"))
                .await;
            let notice = cx
                .tr(who.lang, "sessions_ended")
                .replace("{n}", &n.to_string());
            account_page(&cx, &who, StatusCode::OK, Some(notice), None).await
        }
        Err(e) => cx.error_page(&who, StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    }
}
