//! Staff accounts: who may do what through the admin API (and, later, the console). Three
//! roles, each including the one below it: a **viewer** reads; **staff** also run jobs, ship,
//! import and export; an **admin** also installs and rolls back plugins and manages accounts.
//!
//! Passwords are hashed with argon2id (the `argon2` crate's defaults, a random salt each) and
//! must be at least [`MIN_PASSWORD`] characters. API tokens are 32 random bytes shown once when
//! issued; the database keeps only their SHA-256, so a copy of it lets no one in.

use chrono::{DateTime, Utc};

use crate::store::{Store, StoreError, UserRow};

/// The shortest password accepted.
pub const MIN_PASSWORD: usize = 12;

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads.
    Viewer,
    /// Reads; runs jobs, ships, imports, exports.
    Staff,
    /// Everything, including plugins and accounts.
    Admin,
}

impl Role {
    /// The stored id.
    pub fn id(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Staff => "staff",
            Role::Admin => "admin",
        }
    }

    /// A role from its id.
    pub fn parse(s: &str) -> Option<Role> {
        [Role::Viewer, Role::Staff, Role::Admin]
            .into_iter()
            .find(|r| r.id() == s)
    }

    /// Whether this role may do what `needed` may.
    pub fn may(self, needed: Role) -> bool {
        self >= needed
    }
}

/// Why an account could not be made or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AccountError {
    /// The name is not one the host accepts.
    #[error("account name {0:?}: use 1 to 40 letters, digits, `.`, `_` or `-`")]
    BadName(String),
    /// The password is too short.
    #[error("the password is too short: use at least {MIN_PASSWORD} characters")]
    WeakPassword,
    /// The name is taken.
    #[error("an account named {0:?} exists already")]
    Taken(String),
    /// No such account.
    #[error("no account named {0:?} (see `mallhost users list`)")]
    NoSuchUser(String),
    /// Hashing failed.
    #[error("cannot hash the password: {0}")]
    Hash(String),
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An account that proved who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Its row id (what a console session points at).
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its role.
    pub role: Role,
}

fn check_name(name: &str) -> Result<(), AccountError> {
    let ok = (1..=40).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(AccountError::BadName(name.to_string()))
    }
}

/// An argon2id hash of a password (PHC string, with its own random salt).
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AccountError::Hash(e.to_string()))
}

/// Whether `password` matches a stored hash (a malformed hash matches nothing).
pub fn verify_password(hash: &str, password: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// The SHA-256 (hex) of a token, as stored.
pub fn token_digest(token: &str) -> String {
    crate::digest::sha256_hex(token.as_bytes())
}

/// Adds an account.
pub async fn add_user(
    store: &Store,
    name: &str,
    role: Role,
    password: &str,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    check_name(name)?;
    if password.chars().count() < MIN_PASSWORD {
        return Err(AccountError::WeakPassword);
    }
    let hash = hash_password(password)?;
    if !store.add_user(name, role.id(), &hash, now).await? {
        return Err(AccountError::Taken(name.to_string()));
    }
    Ok(())
}

/// Issues an API token for an account: returns it (shown once; only its digest is kept).
pub async fn issue_token(
    store: &Store,
    name: &str,
    now: DateTime<Utc>,
) -> Result<String, AccountError> {
    use base64::Engine as _;
    let user = store
        .user(name)
        .await?
        .ok_or_else(|| AccountError::NoSuchUser(name.to_string()))?;
    let token = format!(
        "mh_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(crate::hostkey::random())
    );
    store.add_token(user.id, &token_digest(&token), now).await?;
    Ok(token)
}

fn actor(u: UserRow) -> Option<Actor> {
    Some(Actor {
        id: u.id,
        role: Role::parse(&u.role)?,
        name: u.name,
    })
}

/// How the audit log names an account's actions (`user NAME`), from the API or the console.
pub fn audit_name(name: &str) -> String {
    format!("user {name}")
}

/// Writes an audit entry now; a failure to write is logged, not returned (the action it
/// records has happened).
pub async fn record(store: &Store, actor: &str, action: &str, detail: &str) {
    if let Err(e) = store.audit(actor, action, detail, Utc::now()).await {
        tracing::warn!("cannot write the audit log ({action} by {actor}): {e}");
    }
}

/// The account a bearer token belongs to, if it is valid and enabled.
pub async fn by_token(
    store: &Store,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<Actor>, StoreError> {
    Ok(store
        .user_by_token(&token_digest(token), now)
        .await?
        .and_then(actor))
}

/// The account a name and password prove, if they do and it is enabled.
pub async fn by_password(
    store: &Store,
    name: &str,
    password: &str,
) -> Result<Option<Actor>, StoreError> {
    match store.user(name).await? {
        Some(u) => {
            let right = verify_password(&u.password_hash, password);
            Ok((right && !u.disabled).then(|| actor(u)).flatten())
        }
        None => {
            // As long as a known name takes: the time of an answer says nothing of which names
            // exist.
            let _ = verify_password(dummy_hash(), password);
            Ok(None)
        }
    }
}

/// A hash of no one's password, checked for unknown names.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("no account has this password").unwrap_or_default())
}

/// Sets `name`'s password (the same rules as a new account's) and ends its sessions but `keep`.
pub async fn set_password(
    store: &Store,
    name: &str,
    password: &str,
    keep: Option<&str>,
) -> Result<(), AccountError> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(AccountError::WeakPassword);
    }
    let hash = hash_password(password)?;
    if store.set_password(name, &hash, keep).await? {
        Ok(())
    } else {
        Err(AccountError::NoSuchUser(name.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_include_the_ones_below() {
        assert!(Role::Admin.may(Role::Staff) && Role::Staff.may(Role::Viewer));
        assert!(!Role::Viewer.may(Role::Staff) && !Role::Staff.may(Role::Admin));
        assert_eq!(Role::parse("staff"), Some(Role::Staff));
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn a_password_hash_is_salted_and_verifies_only_its_password() {
        let a = hash_password("correct horse battery").unwrap();
        let b = hash_password("correct horse battery").unwrap();
        assert!(a.starts_with("$argon2id$") && a != b, "{a}");
        assert!(verify_password(&a, "correct horse battery"));
        assert!(!verify_password(&a, "correct horse batterY"));
        assert!(!verify_password("not a hash", "x"));
    }

    #[tokio::test]
    async fn accounts_tokens_and_their_checks() {
        let t = crate::store::testing::fresh().await;
        let s = &t.store;
        let now = Utc::now();
        assert!(matches!(
            add_user(s, "ann", Role::Admin, "short", now).await,
            Err(AccountError::WeakPassword)
        ));
        assert!(matches!(
            add_user(s, "ann smith", Role::Admin, "long enough pass", now).await,
            Err(AccountError::BadName(_))
        ));
        assert!(!s.has_admin().await.unwrap());
        add_user(s, "ann", Role::Admin, "long enough pass", now)
            .await
            .unwrap();
        assert!(s.has_admin().await.unwrap());
        assert!(matches!(
            add_user(s, "ann", Role::Viewer, "long enough pass", now).await,
            Err(AccountError::Taken(_))
        ));
        let token = issue_token(s, "ann", now).await.unwrap();
        let who = by_token(s, &token, now).await.unwrap().unwrap();
        assert_eq!((who.name.as_str(), who.role), ("ann", Role::Admin));
        assert!(by_token(s, "mh_forged", now).await.unwrap().is_none());
        assert!(
            by_password(s, "ann", "long enough pass")
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            by_password(s, "ann", "wrong password!")
                .await
                .unwrap()
                .is_none()
        );
        // The database holds neither the token nor the password.
        let stored: Vec<String> = sqlx::query_scalar("SELECT token_sha256 FROM api_tokens")
            .fetch_all(s.pool())
            .await
            .unwrap();
        assert!(!stored.contains(&token));
    }

    #[tokio::test]
    async fn a_session_ends_when_it_expires_when_it_is_ended_or_when_its_account_is_switched_off() {
        let t = crate::store::testing::fresh().await;
        let s = &t.store;
        let now = Utc::now();
        add_user(s, "sam", Role::Staff, "long enough pass", now)
            .await
            .unwrap();
        let id = s.user("sam").await.unwrap().unwrap().id;
        let hour = chrono::Duration::hours(1);
        s.add_session("live", id, "csrf-1", now, now + hour)
            .await
            .unwrap();
        s.add_session("old", id, "csrf-2", now - hour * 2, now - hour)
            .await
            .unwrap();
        let (u, csrf) = s.session("live", now).await.unwrap().unwrap();
        assert_eq!((u.name.as_str(), csrf.as_str()), ("sam", "csrf-1"));
        assert!(s.session("old", now).await.unwrap().is_none(), "expired");
        assert!(
            s.session("live", now + hour).await.unwrap().is_none(),
            "expires"
        );
        assert_eq!(s.end_expired_sessions(now).await.unwrap(), 1);
        s.add_token(id, "token-sha", now).await.unwrap();
        assert!(s.user_by_token("token-sha", now).await.unwrap().is_some());
        assert!(s.set_user_disabled("sam", true).await.unwrap());
        assert!(
            s.session("live", now).await.unwrap().is_none(),
            "switched off"
        );
        assert!(s.set_user_disabled("sam", false).await.unwrap());
        assert!(
            s.session("live", now).await.unwrap().is_none(),
            "switched on again, it must log in anew"
        );
        assert!(
            s.user_by_token("token-sha", now).await.unwrap().is_none(),
            "and a token of before does not work again"
        );
        s.add_session("new", id, "csrf-3", now, now + hour)
            .await
            .unwrap();
        s.end_session("new", now).await.unwrap();
        assert!(s.session("new", now).await.unwrap().is_none(), "logged out");
        assert!(!s.set_user_disabled("nobody", true).await.unwrap());
    }
}
