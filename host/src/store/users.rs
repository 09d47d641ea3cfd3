//! Staff accounts, API tokens, console sessions and the audit log, as stored: the store keeps
//! hashes it cannot reverse (argon2id for passwords, SHA-256 for tokens and session cookies)
//! and never a secret itself. What a role
//! may do, and how hashes are made and checked, is `accounts`'.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;

use super::{Store, StoreError};
use crate::time::to_db;

/// A stored account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserRow {
    /// Row id.
    pub id: i64,
    /// Login name.
    pub name: String,
    /// `admin`, `staff` or `viewer`.
    pub role: String,
    /// The argon2id hash (PHC string); never serialized.
    #[serde(skip)]
    pub password_hash: String,
    /// Created.
    pub created_at: String,
    /// Switched off.
    pub disabled: bool,
}

/// One audit log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// When.
    pub at: String,
    /// Who (`user NAME`, or `cli OSUSER`).
    pub actor: String,
    /// What (`plugins.install`, …).
    pub action: String,
    /// On what, in words.
    pub detail: String,
}

/// The columns [`user`] reads, of `users u`.
const USER_COLUMNS: &str = "u.id, u.name, u.role, u.password_hash, u.created_at, u.disabled";

fn user(r: &sqlx::any::AnyRow) -> Result<UserRow, StoreError> {
    Ok(UserRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        role: r.try_get("role")?,
        password_hash: r.try_get("password_hash")?,
        created_at: r.try_get("created_at")?,
        disabled: super::flag(r, "disabled")?,
    })
}

impl Store {
    /// Adds an account; `false` when the name is taken.
    pub async fn add_user(
        &self,
        name: &str,
        role: &str,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "INSERT INTO users (name, role, password_hash, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(role)
        .bind(password_hash)
        .bind(to_db(now))
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// An account by name.
    pub async fn user(&self, name: &str) -> Result<Option<UserRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.name = $1"
        ))
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user).transpose()
    }

    /// Every account, by name.
    pub async fn users(&self) -> Result<Vec<UserRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users u ORDER BY u.name"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(user).collect()
    }

    /// Whether any account exists (then the admin API asks every caller for a token).
    pub async fn has_users(&self) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    /// Whether any enabled admin exists.
    pub async fn has_admin(&self) -> Result<bool, StoreError> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0")
                .fetch_one(&self.pool)
                .await?;
        Ok(n > 0)
    }

    /// Switches an account off (its sessions end and its API tokens are revoked) or on again
    /// (it must log in anew and be issued new tokens: nothing of before comes back — a token
    /// that leaked is why accounts are switched off); `false` when there is no such account.
    pub async fn set_user_disabled(&self, name: &str, disabled: bool) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let n = sqlx::query("UPDATE users SET disabled = $1 WHERE name = $2")
            .bind(i64::from(disabled))
            .bind(name)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if disabled {
            for table in ["sessions", "api_tokens"] {
                sqlx::query(&format!(
                    "DELETE FROM {table} WHERE user_id IN (SELECT id FROM users WHERE name = $1)"
                ))
                .bind(name)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(n == 1)
    }

    /// Sets an account's password hash and ends its sessions but `keep` (the session that
    /// changed it, if the account changed its own); `false` when there is no such account.
    pub async fn set_password(
        &self,
        name: &str,
        hash: &str,
        keep: Option<&str>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let n = sqlx::query("UPDATE users SET password_hash = $1 WHERE name = $2")
            .bind(hash)
            .bind(name)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query(
            "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE name = $1)
             AND id_sha256 <> $2",
        )
        .bind(name)
        .bind(keep.unwrap_or(""))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(n == 1)
    }

    /// Ends every session of an account but `keep`; returns how many ended.
    pub async fn end_user_sessions(
        &self,
        name: &str,
        keep: Option<&str>,
    ) -> Result<u64, StoreError> {
        Ok(sqlx::query(
            "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE name = $1)
             AND id_sha256 <> $2",
        )
        .bind(name)
        .bind(keep.unwrap_or(""))
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    /// Keeps an API token's SHA-256 for a user.
    pub async fn add_token(
        &self,
        user_id: i64,
        token_sha256: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO api_tokens (user_id, token_sha256, created_at) VALUES ($1, $2, $3)",
        )
        .bind(user_id)
        .bind(token_sha256)
        .bind(to_db(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The enabled account an API token (by its SHA-256) belongs to, noting its use.
    pub async fn user_by_token(
        &self,
        token_sha256: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<UserRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_sha256 = $1 AND u.disabled = 0"
        ))
        .bind(token_sha256)
        .fetch_optional(&self.pool)
        .await?;
        if row.is_some() {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE token_sha256 = $2")
                .bind(to_db(now))
                .bind(token_sha256)
                .execute(&self.pool)
                .await?;
        }
        row.as_ref().map(user).transpose()
    }

    /// Writes an audit log entry.
    pub async fn audit(
        &self,
        actor: &str,
        action: &str,
        detail: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO audit_log (at, actor, action, detail) VALUES ($1, $2, $3, $4)")
            .bind(to_db(now))
            .bind(actor)
            .bind(action)
            .bind(detail)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The newest `limit` audit log entries, newest first.
    pub async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT at, actor, action, detail FROM audit_log ORDER BY id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    detail: r.try_get("detail")?,
                })
            })
            .collect()
    }

    /// Keeps a console session (the SHA-256 of its cookie) and its CSRF token.
    pub async fn add_session(
        &self,
        id_sha256: &str,
        user_id: i64,
        csrf: &str,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (id_sha256, user_id, csrf, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id_sha256)
        .bind(user_id)
        .bind(csrf)
        .bind(to_db(now))
        .bind(to_db(expires))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The enabled account of an unexpired session, with the session's CSRF token.
    pub async fn session(
        &self,
        id_sha256: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(UserRow, String)>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, s.csrf FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.id_sha256 = $1 AND s.expires_at > $2 AND u.disabled = 0"
        ))
        .bind(id_sha256)
        .bind(to_db(now))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((user(&r)?, r.try_get("csrf")?))).transpose()
    }

    /// Forgets every expired session (each login does, so the table holds the live ones).
    pub async fn end_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(to_db(now))
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// Ends a session (logging out), and every expired one.
    pub async fn end_session(&self, id_sha256: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE id_sha256 = $1 OR expires_at <= $2")
            .bind(id_sha256)
            .bind(to_db(now))
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
