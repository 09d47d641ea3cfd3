//! Credentials: how a shop's secrets go on its plugin's requests. The plugin declares the
//! settings it needs and its mall's auth scheme ([`AuthScheme`]); the host builds the header
//! from the shop's configured values and puts it on a request the plugin marks
//! `authenticate` — and only when that request goes to the shop's own API origin (the origin of
//! its `base_url`), never to another allowed origin. The plugin never sees a secret.
//!
//! A secret may expire (a licence key): the host warns from [`WARN_DAYS`] days before and, once
//! it has expired, refuses the shop's calls with an error that names the key, where to renew it
//! and which config key to update ([`Credentials::refusal`]).
//!
//! ```
//! use mallhost::capabilities::credentials::{CredentialState, state_of};
//! use chrono::NaiveDate;
//! let today = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
//! let soon = NaiveDate::from_ymd_opt(2026, 12, 9).unwrap();
//! assert_eq!(state_of(Some(soon), today), CredentialState::ExpiresSoon { on: soon, days: 10 });
//! ```

use base64::Engine as _;
use chrono::NaiveDate;
use serde::Serialize;

use super::ShopValues;
use crate::config::Secret;
use crate::connector::{AuthScheme, SettingSpec, TokenPlacement};

/// Days before an expiry from which the host warns.
pub const WARN_DAYS: i64 = 14;

/// Headers no request of a plugin may set, and no credential may go in: hop-by-hop headers,
/// the message's framing and the host it is for. A secret put there would be consumed by a proxy,
/// break the request or land in a server's access log.
pub const TRANSPORT_HEADERS: &[&str] = &[
    "host",
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "content-encoding",
    "expect",
];

/// Headers a credential may not go in besides [`TRANSPORT_HEADERS`]: ones that describe the body
/// or the client, that servers and proxies log or rewrite.
const NOT_FOR_CREDENTIALS: &[&str] = &[
    "content-type",
    "cookie",
    "set-cookie",
    "via",
    "forwarded",
    "max-forwards",
    "range",
    "referer",
    "origin",
    "user-agent",
    "accept",
    "date",
];

/// Why a header named `name` cannot carry a credential (a plugin's auth scheme or OAuth token
/// placement names it), if it cannot.
///
/// ```
/// use mallhost::capabilities::credentials::auth_header_problem;
/// assert_eq!(auth_header_problem("x-api-key"), None);
/// assert!(auth_header_problem("Transfer-Encoding").is_some());
/// ```
pub fn auth_header_problem(name: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    if lower.is_empty()
        || lower.len() > 64
        || !lower.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Some(format!(
            "auth header {:?} is not a header name of 1 to 64 letters, digits and dashes",
            name.escape_debug().to_string()
        ));
    }
    if TRANSPORT_HEADERS.contains(&lower.as_str())
        || NOT_FOR_CREDENTIALS.contains(&lower.as_str())
        || lower.starts_with("x-forwarded-")
    {
        return Some(format!(
            "auth header {name:?} cannot carry a credential: it is a hop-by-hop, framing, \
             routing or logged header; a mall's credential goes in `authorization` or a header \
             of its own (e.g. `x-api-key`)"
        ));
    }
    None
}

/// The state of one credential of a shop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum CredentialState {
    /// Given, and valid (or not expiring).
    Valid,
    /// Given; it expires within [`WARN_DAYS`] days.
    ExpiresSoon {
        /// The expiry date.
        on: NaiveDate,
        /// Days left.
        days: i64,
    },
    /// Given, but expired.
    Expired {
        /// The expiry date.
        on: NaiveDate,
    },
    /// Not given.
    Missing,
}

/// The state of a secret with this expiry date (if it has one) on `today` (JST).
pub fn state_of(expires: Option<NaiveDate>, today: NaiveDate) -> CredentialState {
    match expires {
        None => CredentialState::Valid,
        Some(on) if on < today => CredentialState::Expired { on },
        Some(on) => {
            let days = (on - today).num_days();
            if days <= WARN_DAYS {
                CredentialState::ExpiresSoon { on, days }
            } else {
                CredentialState::Valid
            }
        }
    }
}

/// One credential of a shop, for `mallhost shops` and the warnings at start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CredentialReport {
    /// The setting's name.
    pub name: String,
    /// What staff call it.
    pub label: String,
    /// Its state.
    #[serde(flatten)]
    pub state: CredentialState,
    /// Where to renew it.
    pub help: String,
}

/// The states of every secret a shop's plugin declares.
pub fn report(
    shop: ShopValues<'_>,
    specs: &[SettingSpec],
    today: NaiveDate,
) -> Vec<CredentialReport> {
    specs
        .iter()
        .filter(|s| s.secret)
        .map(|s| CredentialReport {
            name: s.name.clone(),
            label: s.label.clone(),
            state: if shop.secret(&s.name).is_some() {
                state_of(shop.expiry(&s.name), today)
            } else {
                CredentialState::Missing
            },
            help: s.help.clone(),
        })
        .collect()
}

/// What the host puts on a shop's authenticated requests.
#[derive(Clone)]
pub struct Credentials {
    api_origin: String,
    /// The header (lower-case name) and its value, or why there is none.
    header: Result<(String, Secret), String>,
    /// Why every call of the shop is refused (an expired secret), if it is.
    refusal: Option<String>,
    /// Headers computed per request beside the scheme's (contract 0.3.0).
    computed: super::computed::ComputedHeaders,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("api_origin", &self.api_origin)
            .field("header", &self.header.as_ref().map(|(name, _)| name))
            .field("refusal", &self.refusal)
            .finish()
    }
}

impl Credentials {
    /// The credentials of a shop (its values, its API origin) by its plugin's `scheme`, on
    /// `today` (JST); `access` is the access token of an OAuth 2 scheme (from [`super::oauth`]).
    pub fn new(
        shop: ShopValues<'_>,
        api_origin: String,
        scheme: &AuthScheme,
        today: NaiveDate,
        access: Option<&Secret>,
    ) -> Credentials {
        Credentials {
            api_origin,
            header: header(shop, scheme, access),
            refusal: refusal(shop, scheme, today),
            computed: Default::default(),
        }
    }

    /// With the headers the plugin declares computed per request (`declared`), from the shop's
    /// values; a secret they read that has expired refuses the shop as the scheme's would.
    pub fn with_computed(
        mut self,
        shop: ShopValues<'_>,
        declared: &[crate::connector::ComputedHeader],
        today: NaiveDate,
    ) -> Credentials {
        if declared.is_empty() {
            return self;
        }
        if self.refusal.is_none() {
            self.refusal = expired(shop, &super::computed::used_settings(declared), today);
        }
        self.computed = super::computed::ComputedHeaders::new(shop, declared);
        self
    }

    /// The computed headers' values for a request to `origin` now (none for another origin).
    pub fn computed_for(&self, origin: &str) -> Result<Vec<(String, Secret)>, String> {
        if origin != self.api_origin || self.computed.is_empty() {
            return Ok(Vec::new());
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        self.computed.values(now)
    }

    /// The computed headers' names, which a plugin may not set itself.
    pub fn computed_names(&self) -> impl Iterator<Item = &str> {
        self.computed.names()
    }

    /// Why the shop's calls must not run at all (an expired secret), if they must not.
    pub fn refusal(&self) -> Option<&str> {
        self.refusal.as_deref()
    }

    /// The header to put on a request to `origin`: only the shop's API origin gets it.
    pub fn header_for(&self, origin: &str) -> Result<(&str, &Secret), String> {
        if origin != self.api_origin {
            return Err(format!(
                "credentials go only to the shop's API origin {}, not to {origin}",
                self.api_origin
            ));
        }
        self.header
            .as_ref()
            .map(|(name, value)| (name.as_str(), value))
            .map_err(Clone::clone)
    }

    /// Fixed credentials: `header: value` for `api_origin` (for tests of the capabilities).
    #[cfg(test)]
    pub(crate) fn fixed(api_origin: &str, header: &str, value: &str) -> Credentials {
        Credentials {
            api_origin: api_origin.into(),
            header: Ok((header.into(), Secret::new(value))),
            refusal: None,
            computed: Default::default(),
        }
    }

    /// A fingerprint of the credential (not the secret): what its pace is shared by, for a
    /// scheme whose header is a static secret.
    pub fn fingerprint(&self) -> Option<String> {
        let (_, value) = self.header.as_ref().ok()?;
        Some(fingerprint_of(value.expose()))
    }

    /// The values the host sends and a mall could echo: the whole header value and each of its
    /// words (a scheme word's token, a bearer token), for [`super::scrub`].
    pub fn sent_values(&self) -> Vec<&str> {
        match &self.header {
            Ok((_, value)) => {
                let v = value.expose();
                std::iter::once(v).chain(v.split_whitespace()).collect()
            }
            Err(_) => Vec::new(),
        }
    }

    /// The header the scheme sets, which a plugin may not set itself.
    pub fn reserved_header(&self) -> Option<&str> {
        self.header.as_ref().ok().map(|(name, _)| name.as_str())
    }
}

/// A fingerprint of a value (not the value): 8 bytes of its SHA-256, in hex.
pub fn fingerprint_of(value: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(value.as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Why every call of `shop` is refused on `today`: a secret its `scheme` reads has expired.
pub fn refusal(shop: ShopValues<'_>, scheme: &AuthScheme, today: NaiveDate) -> Option<String> {
    expired(shop, &used_settings(scheme), today)
}

/// Why every call of `shop` is refused on `today`: one of the secrets `names` has expired.
fn expired(shop: ShopValues<'_>, names: &[&str], today: NaiveDate) -> Option<String> {
    names.iter().find_map(|name| {
        let on = shop.expiry(name)?;
        (state_of(Some(on), today) == CredentialState::Expired { on }).then(|| {
            format!(
                "shop {:?}: credential `{name}` expired on {on}; issue a new one, then update \
                 `credentials.{name}_env` (or `{name}_file`) and `credentials.{name}_expires` in \
                 the config file",
                shop.shop_id
            )
        })
    })
}

/// The settings a scheme reads.
fn used_settings(scheme: &AuthScheme) -> Vec<&str> {
    match scheme {
        AuthScheme::None => vec![],
        AuthScheme::Basic { user, password } => vec![user, password],
        AuthScheme::WordBase64 { first, second, .. } => vec![first, second],
        AuthScheme::Bearer { token } => vec![token],
        AuthScheme::Header { template, .. } => placeholders(template),
        AuthScheme::OAuth2Refresh {
            token_url,
            client_id,
            client_secret,
            refresh_token,
            ..
        } => vec![token_url, client_id, client_secret, refresh_token],
    }
}

/// The `{name}` placeholders of a template (every header template's, computed ones' too).
pub fn placeholders(template: &str) -> Vec<&str> {
    template
        .split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .collect()
}

fn b64(a: &str, b: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{a}:{b}"))
}

/// The header a scheme puts on a request, built from the shop's values.
fn header(
    shop: ShopValues<'_>,
    scheme: &AuthScheme,
    access: Option<&Secret>,
) -> Result<(String, Secret), String> {
    let authorization = |v: String| Ok(("authorization".to_string(), Secret::new(v)));
    match scheme {
        AuthScheme::None => Err("the plugin declares no way to authenticate".into()),
        AuthScheme::Basic { user, password } => authorization(format!(
            "Basic {}",
            b64(shop.value(user)?, shop.value(password)?)
        )),
        AuthScheme::WordBase64 {
            word,
            first,
            second,
        } => authorization(format!(
            "{word} {}",
            b64(shop.value(first)?, shop.value(second)?)
        )),
        AuthScheme::Bearer { token } => authorization(format!("Bearer {}", shop.value(token)?)),
        AuthScheme::Header { header, template } => {
            let mut out = template.clone();
            for name in placeholders(template) {
                out = out.replace(&format!("{{{name}}}"), shop.value(name)?);
            }
            Ok((header.to_ascii_lowercase(), Secret::new(out)))
        }
        AuthScheme::OAuth2Refresh { placement, .. } => {
            let token = access.ok_or("no access token from the OAuth 2 grant")?;
            Ok(match placement {
                TokenPlacement::Bearer => (
                    "authorization".to_string(),
                    Secret::new(format!("Bearer {}", token.expose())),
                ),
                TokenPlacement::Header(h) => (h.to_ascii_lowercase(), token.clone()),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, ShopConfig};

    fn values(s: &ShopConfig) -> ShopValues<'_> {
        super::super::test_values(s)
    }

    fn for_shop(
        shop: &ShopConfig,
        scheme: &AuthScheme,
        today: NaiveDate,
        access: Option<&Secret>,
    ) -> Credentials {
        let origin = url::Url::parse(&shop.base_url)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default();
        Credentials::new(values(shop), origin, scheme, today, access)
    }

    fn shop() -> ShopConfig {
        let toml = r#"
            [[shops]]
            id = "s"
            mall = "m"
            base_url = "https://api.mall.example/v2"
            [shops.settings]
            seller = "S1"
            [shops.credentials]
            secret = "sv"
            key = "lk"
            key_expires = "2026-12-31"
            token = "tk"
        "#;
        Config::parse(toml, std::path::Path::new("/tmp"), &|_| None)
            .expect("valid")
            .shops[0]
            .clone()
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()
    }

    fn header_of(scheme: AuthScheme) -> (String, String) {
        let c = for_shop(&shop(), &scheme, today(), None);
        let (name, value) = c.header_for("https://api.mall.example").expect("a header");
        (name.to_string(), value.expose().to_string())
    }

    #[test]
    fn each_scheme_builds_its_header() {
        let b = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        assert_eq!(
            header_of(AuthScheme::Basic {
                user: "seller".into(),
                password: "secret".into()
            }),
            ("authorization".into(), format!("Basic {}", b("S1:sv")))
        );
        assert_eq!(
            header_of(AuthScheme::WordBase64 {
                word: "ESA".into(),
                first: "secret".into(),
                second: "key".into()
            }),
            ("authorization".into(), format!("ESA {}", b("sv:lk")))
        );
        assert_eq!(
            header_of(AuthScheme::Bearer {
                token: "token".into()
            }),
            ("authorization".into(), "Bearer tk".into())
        );
        assert_eq!(
            header_of(AuthScheme::Header {
                header: "X-Api-Key".into(),
                template: "{seller}/{token}".into()
            }),
            ("x-api-key".into(), "S1/tk".into())
        );
    }

    #[test]
    fn only_the_shops_api_origin_gets_them() {
        let c = for_shop(
            &shop(),
            &AuthScheme::Bearer {
                token: "token".into(),
            },
            today(),
            None,
        );
        let e = c.header_for("https://other.example").unwrap_err();
        assert!(
            e.contains("only to the shop's API origin https://api.mall.example"),
            "{e}"
        );
        assert!(
            c.header_for("http://api.mall.example").is_err(),
            "another scheme is another origin"
        );
    }

    #[test]
    fn a_missing_value_is_named_and_the_debug_form_shows_no_secret() {
        let c = for_shop(
            &shop(),
            &AuthScheme::Bearer {
                token: "nope".into(),
            },
            today(),
            None,
        );
        let e = c.header_for("https://api.mall.example").unwrap_err();
        assert!(
            e.contains("`nope`") && e.contains("[shops.credentials]"),
            "{e}"
        );
        let ok = for_shop(
            &shop(),
            &AuthScheme::Bearer {
                token: "token".into(),
            },
            today(),
            None,
        );
        let shown = format!("{ok:?}");
        assert!(!shown.contains("tk"), "{shown}");
    }

    #[test]
    fn an_expired_secret_refuses_the_shop_and_says_what_to_renew() {
        let scheme = AuthScheme::WordBase64 {
            word: "ESA".into(),
            first: "secret".into(),
            second: "key".into(),
        };
        let valid = for_shop(&shop(), &scheme, today(), None);
        assert_eq!(valid.refusal(), None);
        let later = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
        let expired = for_shop(&shop(), &scheme, later, None);
        let why = expired.refusal().expect("refused");
        assert!(
            why.contains("`key` expired on 2026-12-31")
                && why.contains("credentials.key_env")
                && why.contains("credentials.key_expires"),
            "{why}"
        );
        // A scheme that does not use the expired secret is not refused.
        let other = for_shop(
            &shop(),
            &AuthScheme::Bearer {
                token: "token".into(),
            },
            later,
            None,
        );
        assert_eq!(other.refusal(), None);
    }

    #[test]
    fn an_expired_refresh_token_refuses_an_oauth_shop_before_any_grant() {
        let mut s = shop();
        s.credentials
            .insert("refresh".into(), crate::config::Secret::new("rt"));
        s.expiries.insert(
            "refresh".into(),
            NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        );
        let scheme = AuthScheme::OAuth2Refresh {
            token_url: "token_url".into(),
            client_id: "client_id".into(),
            client_secret: "secret".into(),
            refresh_token: "refresh".into(),
            scope: None,
            placement: TokenPlacement::Bearer,
        };
        let why = refusal(values(&s), &scheme, today()).expect("refused");
        assert!(why.contains("`refresh` expired on 2026-11-01"), "{why}");
        assert_eq!(refusal(values(&s), &AuthScheme::None, today()), None);
    }

    #[test]
    fn states_warn_from_fourteen_days_before() {
        let on = NaiveDate::from_ymd_opt(2026, 12, 13).unwrap();
        assert_eq!(state_of(None, today()), CredentialState::Valid);
        assert_eq!(
            state_of(Some(on), today()),
            CredentialState::ExpiresSoon { on, days: 14 }
        );
        assert_eq!(
            state_of(Some(on), NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()),
            CredentialState::Valid
        );
        assert_eq!(
            state_of(Some(on), NaiveDate::from_ymd_opt(2026, 12, 14).unwrap()),
            CredentialState::Expired { on }
        );
        let specs = vec![SettingSpec {
            name: "key".into(),
            label: "licence key".into(),
            secret: true,
            required: true,
            expires: true,
            help: "RMS".into(),
        }];
        let r = report(values(&shop()), &specs, today());
        assert_eq!(r[0].state, CredentialState::Valid);
    }
}
