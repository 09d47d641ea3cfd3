//! The HTTP capability: the host performs a plugin's requests with reqwest, only to the origins
//! the shop allows (and the plugin's manifest lists), adding the shop's credential itself (the
//! plugin names it, never reads it), with a cap on requests per call and on response size.
//!
//! Addresses are checked too: unless the shop allows its private network
//! (`allow_private_network`), a request may not reach loopback, private, link-local or other
//! internal addresses — neither by an IP in the URL nor by a name that resolves to one (the
//! resolver of the client that sends it drops such addresses, so the check and the connection
//! see the same ones).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use super::credentials::Credentials;
use super::pace::Pacer;
use super::scrub::Scrubber;

/// Limits of the HTTP capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// Most requests one plugin call may make.
    pub max_requests_per_call: u32,
    /// Largest response body accepted, in bytes.
    pub max_response_bytes: u64,
    /// Timeout of one request.
    pub request_timeout: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            max_requests_per_call: 200,
            max_response_bytes: 16 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// A request method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// DELETE
    Delete,
}

/// A plugin's request.
#[derive(Debug, Clone)]
pub struct Request {
    /// Method.
    pub method: Method,
    /// Absolute URL.
    pub url: String,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
    /// Put the shop's credentials on it (only to the shop's API origin).
    pub authenticate: bool,
}

/// The answer.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status.
    pub status: u16,
    /// Headers, lower-case names.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

/// Why no response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// Origin not allowed for the shop.
    #[error("{0}")]
    Denied(String),
    /// Malformed request.
    #[error("{0}")]
    InvalidRequest(String),
    /// Network failure.
    #[error("{0}")]
    Transport(String),
    /// Body too large.
    #[error("response body larger than {0} bytes")]
    TooLarge(u64),
    /// Too many requests in one call.
    #[error("more than {0} requests in one call")]
    BudgetExhausted(u32),
}

/// A future of fresh credentials (see [`Refresh`]).
pub type Refreshed =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Credentials, String>> + Send>>;

/// Fresh credentials for a shop whose mall refused the ones a call started with (an access
/// token that died before its time): the grant run again. Called at most once per call.
pub type Refresh = Arc<dyn Fn() -> Refreshed + Send + Sync>;

/// What one shop grants its plugin: where it may send requests and the credentials the host
/// puts on requests to the shop's API origin.
#[derive(Clone)]
pub struct HttpGrant {
    shop_id: String,
    allowed_origins: Vec<String>,
    credentials: Credentials,
    allow_private: bool,
    pacer: Option<Arc<Pacer>>,
    scrubber: Arc<Scrubber>,
    refresh: Option<Refresh>,
}

impl std::fmt::Debug for HttpGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpGrant")
            .field("shop_id", &self.shop_id)
            .field("allowed_origins", &self.allowed_origins)
            .field("credentials", &self.credentials)
            .field("allow_private", &self.allow_private)
            .field("pacer", &self.pacer)
            .field("scrubber", &self.scrubber)
            .field("refresh", &self.refresh.is_some())
            .finish()
    }
}

impl HttpGrant {
    /// The grant for a shop: the origins it allows, whether private addresses are among them,
    /// and its credentials.
    pub fn new(
        shop_id: &str,
        allowed_origins: Vec<String>,
        allow_private: bool,
        credentials: Credentials,
    ) -> HttpGrant {
        HttpGrant {
            shop_id: shop_id.to_string(),
            allowed_origins,
            credentials,
            allow_private,
            pacer: None,
            scrubber: Arc::default(),
            refresh: None,
        }
    }

    /// When the mall answers 401 to an authenticated request, `refresh` gives fresh
    /// credentials and the request is sent once more with them, inside the same `send`: the
    /// plugin sees only the second answer.
    pub fn refreshing(mut self, refresh: Option<Refresh>) -> HttpGrant {
        self.refresh = refresh;
        self
    }

    /// Masks `scrubber`'s secrets in every response before the plugin reads it.
    pub fn scrubbing(mut self, scrubber: Scrubber) -> HttpGrant {
        self.scrubber = Arc::new(scrubber);
        self
    }

    /// What masks the shop's secrets.
    pub fn scrubber(&self) -> &Arc<Scrubber> {
        &self.scrubber
    }

    /// Holds every request to the pace of `pacer` (the mall's declared rate).
    pub fn paced(mut self, pacer: Option<Arc<Pacer>>) -> HttpGrant {
        self.pacer = pacer;
        self
    }

    /// The shop's credentials.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// Checks a URL against the allowed origins.
    pub fn check(&self, url: &str) -> Result<Url, HttpError> {
        let parsed = Url::parse(url)
            .map_err(|e| HttpError::InvalidRequest(format!("{url:?} is not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(HttpError::InvalidRequest(format!(
                "scheme {:?} is not http(s)",
                parsed.scheme()
            )));
        }
        // Credentials in the URL would become an Authorization header the host did not build.
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(HttpError::InvalidRequest(
                "a URL with user information (user:password@) is refused; mark the request \
                 `authenticate` and the host adds the shop's credentials"
                    .into(),
            ));
        }
        let origin = parsed.origin().ascii_serialization();
        if !self.allowed_origins.contains(&origin) {
            return Err(HttpError::Denied(format!(
                "{origin} is not allowed for shop {:?}; allow it in the shop's `allowed_origins` \
                 in the config file",
                self.shop_id
            )));
        }
        let literal = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            _ => None,
        };
        if let Some(ip) = literal
            && !self.allow_private
            && is_internal(ip)
        {
            return Err(HttpError::Denied(format!(
                "{ip} is an internal address, which shop {:?} does not allow; set \
                 `allow_private_network = true` for the shop in the config file if it must",
                self.shop_id
            )));
        }
        Ok(parsed)
    }
}

/// Whether an address is anything but the public internet: loopback, private, link-local,
/// shared (CGNAT), unspecified, broadcast, multicast, documentation, benchmarking (198.18/15),
/// reserved (240/4), IETF protocol assignments (192.0.0/24), and in IPv6 also unique-local,
/// link- and site-local, documentation, and every embedding of an IPv4 address (mapped,
/// compatible, translated ::ffff:0:0/96, NAT64 64:ff9b::/96 and 64:ff9b:1::/48, 6to4 2002::/16,
/// Teredo 2001::/32), judged
/// by the IPv4 address inside.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || (o[0] == 100 && (64..128).contains(&o[1])) // shared address space (CGNAT)
                || (o[0] == 198 && (o[1] & 0xfe) == 18) // benchmarking 198.18.0.0/15
                || o[0] >= 240 // reserved 240.0.0.0/4
                || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF 192.0.0.0/24
                || o[0] == 0
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal(IpAddr::V4(v4));
            }
            let s = v6.segments();
            let v4_at = |hi: u16, lo: u16| {
                std::net::Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8)
            };
            // IPv4-translated ::ffff:0:a.b.c.d (SIIT, RFC 2765).
            if s[..4].iter().all(|&x| x == 0) && s[4] == 0xffff && s[5] == 0 {
                return is_internal(IpAddr::V4(v4_at(s[6], s[7])));
            }
            // IPv4-compatible ::a.b.c.d (deprecated, still routed by some stacks).
            if s[..6].iter().all(|&x| x == 0) && !v6.is_loopback() && !v6.is_unspecified() {
                return is_internal(IpAddr::V4(v4_at(s[6], s[7])));
            }
            // NAT64 well-known and local-use prefixes: the last 32 bits are the IPv4 address.
            let nat64 = s[0] == 0x64 && s[1] == 0xff9b;
            if nat64 && (s[2] == 1 || s[2..6].iter().all(|&x| x == 0)) {
                return is_internal(IpAddr::V4(v4_at(s[6], s[7])));
            }
            // 6to4 2002:AABB:CCDD::/48 carries a.b.c.d in its second and third segments.
            if s[0] == 0x2002 {
                return is_internal(IpAddr::V4(v4_at(s[1], s[2])));
            }
            // Teredo 2001:0::/32: the client's address is the last 32 bits, inverted.
            if s[0] == 0x2001 && s[1] == 0 {
                return is_internal(IpAddr::V4(v4_at(!s[6], !s[7])));
            }
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (s[0] & 0xffc0) == 0xfe80 // link local fe80::/10
                || (s[0] & 0xffc0) == 0xfec0 // site local fec0::/10 (deprecated)
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation 2001:db8::/32
                || (s[0] == 0x0100 && s[1..4].iter().all(|&x| x == 0)) // discard 100::/64
        }
    }
}

/// A resolver that drops internal addresses: names resolving only to them fail.
struct PublicOnly;

/// The resolver's refusal, found again in a failed request's error chain.
#[derive(Debug, thiserror::Error)]
#[error(
    "{0} resolves only to internal addresses; set `allow_private_network = true` for the shop if \
     it must be reached"
)]
struct InternalName(String);

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> =
                addrs.into_iter().filter(|a| !is_internal(a.ip())).collect();
            if public.is_empty() {
                return Err(
                    Box::new(InternalName(host)) as Box<dyn std::error::Error + Send + Sync>
                );
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The HTTP clients: one that may reach internal addresses, one that may not.
#[derive(Clone)]
pub struct Clients {
    public_only: reqwest::Client,
    any: reqwest::Client,
}

impl Clients {
    /// Builds both clients (no redirects: a plugin's request goes where it says, or nowhere;
    /// no proxy from the environment: a proxy would resolve names itself, past the check that
    /// keeps plugins off internal addresses).
    pub fn new() -> Result<Clients, String> {
        let base = || {
            reqwest::Client::builder()
                .user_agent(concat!("mallhost/", env!("CARGO_PKG_VERSION")))
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
        };
        let public_only = base()
            .dns_resolver(Arc::new(PublicOnly))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let any = base()
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Clients { public_only, any })
    }

    /// The client for a grant.
    pub fn for_grant(&self, grant: Option<&HttpGrant>) -> reqwest::Client {
        match grant {
            Some(g) if g.allow_private => self.any.clone(),
            _ => self.public_only.clone(),
        }
    }
}

/// The capability as one call's store holds it.
pub struct HttpCapability {
    client: reqwest::Client,
    grant: Option<Arc<HttpGrant>>,
    plugin_hosts: Option<Arc<Vec<String>>>,
    limits: HttpLimits,
    made: u32,
    /// Credentials fetched again in this call after the mall refused the first (with their
    /// scrubber), and whether that was tried.
    fresh: Option<(Credentials, Scrubber)>,
    refreshed: bool,
}

impl HttpCapability {
    /// For a call on behalf of a shop (`Some`) or of no shop (`None`: every request denied).
    pub fn new(client: reqwest::Client, grant: Option<Arc<HttpGrant>>, limits: HttpLimits) -> Self {
        HttpCapability {
            client,
            grant,
            plugin_hosts: None,
            limits,
            made: 0,
            fresh: None,
            refreshed: false,
        }
    }

    /// Also requires the host to be one the plugin's manifest lists.
    pub fn with_plugin_hosts(mut self, hosts: Option<Arc<Vec<String>>>) -> Self {
        self.plugin_hosts = hosts;
        self
    }

    /// Requests this call may still make.
    pub fn requests_left(&self) -> u32 {
        self.limits.max_requests_per_call.saturating_sub(self.made)
    }

    /// Spends one request of the call's budget on another host call that costs as much (a
    /// `held` question reads the database); false when the budget is spent.
    pub fn spend_one(&mut self) -> bool {
        if self.made >= self.limits.max_requests_per_call {
            return false;
        }
        self.made += 1;
        true
    }

    /// Performs a request within the grant and the limits.
    pub async fn send(&mut self, req: Request) -> Result<Response, HttpError> {
        let Some(grant) = self.grant.clone() else {
            return Err(HttpError::Denied(
                "this call is not made for a shop, so it may not send requests".into(),
            ));
        };
        let url = grant.check(&req.url)?;
        let origin = url.origin().ascii_serialization();
        if let Some(hosts) = &self.plugin_hosts {
            let host = url.host_str().unwrap_or("");
            if !host_matches(hosts, host) {
                return Err(HttpError::Denied(format!(
                    "{host} is not among the hosts this plugin's manifest allows ({})",
                    if hosts.is_empty() {
                        "none".to_string()
                    } else {
                        hosts.join(", ")
                    }
                )));
            }
        }
        // Headers a request could not carry are the plugin's mistake, said as such, before the
        // request counts against the call's budget.
        for (name, value) in &req.headers {
            let bad = |s: &str| s.contains(['\r', '\n', '\0']);
            if name.is_empty()
                || bad(name)
                || bad(value)
                || reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err()
            {
                return Err(HttpError::InvalidRequest(format!(
                    "header {:?} has a name or value no HTTP header may have (CR, LF, NUL or \
                     an invalid name)",
                    name.escape_debug().to_string()
                )));
            }
        }
        // Headers the host sets are refused before the request counts, too.
        let reserved = grant.credentials.reserved_header();
        for (name, _) in &req.headers {
            let taken = ["authorization"]
                .iter()
                .chain(super::credentials::TRANSPORT_HEADERS)
                .chain(reserved.as_slice())
                .any(|h| name.eq_ignore_ascii_case(h))
                || grant
                    .credentials
                    .computed_names()
                    .any(|h| name.eq_ignore_ascii_case(h));
            if taken {
                return Err(HttpError::InvalidRequest(format!(
                    "header {name:?} is set by the host: credentials by marking the request \
                     `authenticate`, framing and routing headers from the request itself"
                )));
            }
        }
        if self.made >= self.limits.max_requests_per_call {
            return Err(HttpError::BudgetExhausted(
                self.limits.max_requests_per_call,
            ));
        }
        self.made += 1;
        let method = match req.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut builder = self
            .client
            .request(method, url)
            .timeout(self.limits.request_timeout);
        for (name, value) in &req.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if !req.body.is_empty() {
            builder = builder.body(req.body);
        }
        let mut resp = loop {
            let mut attempt = builder.try_clone().ok_or_else(|| {
                HttpError::InvalidRequest("the request body cannot be sent".into())
            })?;
            if req.authenticate {
                let credentials = match &self.fresh {
                    Some((c, _)) => c,
                    None => &grant.credentials,
                };
                let (name, secret) = credentials.header_for(&origin).map_err(HttpError::Denied)?;
                let mut value =
                    reqwest::header::HeaderValue::from_str(secret.expose()).map_err(|_| {
                        HttpError::InvalidRequest(format!("the {name} value is not a valid header"))
                    })?;
                // Marked sensitive, so it is never logged.
                value.set_sensitive(true);
                attempt = attempt.header(name, value);
                for (name, secret) in credentials
                    .computed_for(&origin)
                    .map_err(HttpError::Denied)?
                {
                    let mut value = reqwest::header::HeaderValue::from_str(secret.expose())
                        .map_err(|_| {
                            HttpError::InvalidRequest(format!(
                                "the computed {name} value is not a valid header"
                            ))
                        })?;
                    value.set_sensitive(true);
                    attempt = attempt.header(name, value);
                }
            }
            // The mall's pace: a refused request above never waits.
            if let Some(pacer) = &grant.pacer {
                pacer.wait().await;
            }
            let resp = attempt
                .send()
                .await
                .map_err(|e| refused_or_transport(&e, &origin))?;
            // A credential refused before its time (an access token that died early): fetched
            // again once per call and the request sent again, which the plugin never sees.
            let refresh = grant.refresh.as_ref().filter(|_| !self.refreshed);
            match refresh {
                Some(refresh) if req.authenticate && resp.status().as_u16() == 401 => {
                    self.refreshed = true;
                    let fresh = refresh().await.map_err(|e| {
                        HttpError::Denied(format!(
                            "the mall refused the shop's access token (401) and a new one \
                             could not be had: {e}"
                        ))
                    })?;
                    let scrub = Scrubber::new(fresh.sent_values());
                    self.fresh = Some((fresh, scrub));
                }
                _ => break resp,
            }
        };
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .filter_map(|(k, v)| {
                Some((
                    self.scrub_text(&grant, k.as_str()).to_ascii_lowercase(),
                    self.scrub_text(&grant, v.to_str().ok()?),
                ))
            })
            .collect();
        let max = self.limits.max_response_bytes;
        if resp.content_length().is_some_and(|n| n > max) {
            return Err(HttpError::TooLarge(max));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| {
            HttpError::Transport(format!(
                "the answer from {origin} (status {status}) broke off after {} bytes: {}",
                body.len(),
                root_cause(&e)
            ))
        })? {
            if body.len() as u64 + chunk.len() as u64 > max {
                return Err(HttpError::TooLarge(max));
            }
            body.extend_from_slice(&chunk);
        }
        // A mall that echoes what it got hands the shop's secrets back: masked here.
        let mut body = grant.scrubber.bytes(body);
        if let Some((_, fresh)) = &self.fresh {
            body = fresh.bytes(body);
        }
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

impl HttpCapability {
    /// `text` with the shop's secrets masked, and a token fetched again in this call.
    fn scrub_text(&self, grant: &HttpGrant, text: &str) -> String {
        let text = grant.scrubber.text(text);
        match &self.fresh {
            Some((_, fresh)) => fresh.text(&text),
            None => text,
        }
    }
}

/// A failed send: the resolver's refusal of an internal name is a denial, with its reason;
/// anything else a transport failure.
fn refused_or_transport(e: &reqwest::Error, origin: &str) -> HttpError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(refusal) = s.downcast_ref::<InternalName>() {
            return HttpError::Denied(refusal.to_string());
        }
        source = s.source();
    }
    HttpError::Transport(describe(e, origin))
}

/// The innermost cause's words (e.g. "connection reset by peer").
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last: &(dyn std::error::Error + 'static) = e;
    while let Some(s) = last.source() {
        last = s;
    }
    last.to_string()
}

/// A reqwest error without the URL's query (kept short, and free of anything sensitive):
/// where it went (the error's URL, else the request's origin), what failed, and the cause.
fn describe(e: &reqwest::Error, origin: &str) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "failed"
    };
    let target = e
        .url()
        .map_or_else(|| origin.to_string(), |u| u.origin().ascii_serialization());
    format!("request to {target} {kind}: {}", root_cause(e))
}

/// Whether `host` matches one of the patterns (`*`, `*.domain`, or exact), case-insensitively.
pub fn host_matches(patterns: &[String], host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    patterns.iter().any(|p| {
        let p = p.to_ascii_lowercase();
        p == "*"
            || p == host
            || p.strip_prefix("*.")
                .is_some_and(|d| host.ends_with(&format!(".{d}")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant() -> HttpGrant {
        let credentials = Credentials::fixed(
            "https://api.mall.example",
            "authorization",
            "Basic UDE6cHc=",
        );
        HttpGrant {
            shop_id: "s1".into(),
            allowed_origins: vec![
                "https://api.mall.example".into(),
                "http://127.0.0.1:8089".into(),
                "http://10.1.2.3".into(),
                "http://169.254.169.254".into(),
            ],
            credentials,
            allow_private: true,
            pacer: None,
            scrubber: Arc::default(),
            refresh: None,
        }
    }

    #[tokio::test]
    async fn a_header_no_request_may_carry_is_invalid_and_costs_no_request() {
        let client = reqwest::Client::new();
        let mut cap = HttpCapability::new(client, Some(Arc::new(grant())), HttpLimits::default());
        for (name, value) in [
            ("x-a", "b\r\nInjected: 1"),
            ("x-b", "nul\0"),
            ("x-c\n", "v"),
            ("bad name", "v"),
        ] {
            let req = Request {
                method: Method::Get,
                url: "https://api.mall.example/orders".into(),
                headers: vec![(name.into(), value.into())],
                body: vec![],
                authenticate: false,
            };
            match cap.send(req).await {
                Err(HttpError::InvalidRequest(m)) => assert!(m.contains("header"), "{m}"),
                other => panic!("{name:?}: {other:?}"),
            }
        }
        assert_eq!(cap.made, 0, "refused before the request budget");
    }

    #[test]
    fn host_patterns() {
        let p = vec![
            "api.mall.example".to_string(),
            "*.docomo.example".to_string(),
        ];
        assert!(host_matches(&p, "API.mall.example"));
        assert!(host_matches(&p, "x.docomo.example"));
        assert!(!host_matches(&p, "docomo.example.evil"));
        assert!(!host_matches(&p, "evil.example"));
        assert!(host_matches(&["*".to_string()], "anything"));
        assert!(!host_matches(&[], "anything"));
    }

    #[test]
    fn only_allowed_origins_pass() {
        let g = grant();
        assert!(g.check("https://api.mall.example/orders?page=1").is_ok());
        assert!(g.check("http://127.0.0.1:8089/orders").is_ok());
        // Same host, other port or scheme: another origin.
        let e = g.check("http://127.0.0.1:8090/orders").unwrap_err();
        assert!(
            matches!(&e, HttpError::Denied(m) if m.contains("http://127.0.0.1:8090") && m.contains("allowed_origins")),
            "{e}"
        );
        assert!(matches!(
            g.check("http://api.mall.example/"),
            Err(HttpError::Denied(_))
        ));
        assert!(matches!(
            g.check("https://evil.example/"),
            Err(HttpError::Denied(_))
        ));
        assert!(matches!(
            g.check("file:///etc/passwd"),
            Err(HttpError::InvalidRequest(_))
        ));
        assert!(matches!(
            g.check("not a url"),
            Err(HttpError::InvalidRequest(_))
        ));
    }

    #[test]
    fn internal_addresses_need_the_shops_permission() {
        let mut g = grant();
        g.allow_private = false;
        for url in [
            "http://127.0.0.1:8089/x",
            "http://10.1.2.3/",
            "http://169.254.169.254/latest",
        ] {
            let e = g.check(url).unwrap_err();
            assert!(
                matches!(&e, HttpError::Denied(m) if m.contains("internal address") && m.contains("allow_private_network")),
                "{url}: {e}"
            );
        }
        assert!(
            g.check("https://api.mall.example/").is_ok(),
            "a name is checked when resolved"
        );
        g.allow_private = true;
        assert!(g.check("http://10.1.2.3/").is_ok());
    }

    #[test]
    fn internal_ranges() {
        for ip in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
            // IPv4 embedded in IPv6, and the IPv4 ranges that are not the public internet.
            "::7f00:1",
            "64:ff9b::7f00:1",
            "64:ff9b:1::a00:1",
            "2002:7f00:1::",
            "2002:a00:1::1",
            "2001:0:4136:e378:8000:63bf:80ff:fffe", // Teredo for 127.0.0.1
            "::ffff:0:7f00:1",                      // IPv4-translated 127.0.0.1
            "::ffff:0:a00:1",
            "fec0::1",
            "2001:db8::1",
            "198.18.0.1",
            "198.19.255.255",
            "240.0.0.1",
            "255.255.255.254",
            "192.0.0.8",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "8.8.8.8",
            "203.0.114.1",
            "2001:4860:4860::8888",
            "64:ff9b::808:808",
            "2002:808:808::",
            "198.20.0.1",
            "::ffff:0:808:808", // IPv4-translated 8.8.8.8
        ] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
    }

    /// A listener on loopback answering every request; returns its port and how many
    /// connections it accepted.
    async fn counting_listener() -> (u16, Arc<std::sync::atomic::AtomicU32>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(std::sync::atomic::AtomicU32::new(0));
        let count = accepted.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                tokio::spawn(async move {
                    use tokio::io::{AsyncReadExt, AsyncWriteExt};
                    let mut buf = [0u8; 1024];
                    let _ = socket.read(&mut buf).await;
                    let _ = socket
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                        .await;
                });
            }
        });
        (port, accepted)
    }

    #[tokio::test]
    async fn the_public_only_client_refuses_names_of_internal_addresses() {
        // A real server on loopback, reached by name: the public-only client refuses it at
        // resolution, saying why, and never connects; a shop allowing its private network
        // reaches the same server.
        let (port, accepted) = counting_listener().await;
        let url = format!("http://localhost:{port}/");
        let clients = Clients::new().unwrap();
        let mut g = grant();
        g.allow_private = false;
        g.allowed_origins.push(format!("http://localhost:{port}"));
        let mut cap = HttpCapability::new(
            clients.for_grant(Some(&g)),
            Some(Arc::new(g.clone())),
            HttpLimits::default(),
        );
        let e = cap.send(req(&url)).await.unwrap_err();
        assert!(
            matches!(&e, HttpError::Denied(m)
                if m.contains("localhost resolves only to internal addresses")
                    && m.contains("allow_private_network")),
            "{e:?}"
        );
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 0);

        g.allow_private = true;
        let mut allowed = HttpCapability::new(
            clients.for_grant(Some(&g)),
            Some(Arc::new(g)),
            HttpLimits::default(),
        );
        let r = allowed.send(req(&url)).await.expect("the server is real");
        assert_eq!((r.status, r.body.as_slice()), (200, b"ok".as_slice()));
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    /// A capability allowed to reach `origin`, reading at most `max` bytes of a body.
    fn capped(origin: &str, max: u64) -> HttpCapability {
        let mut g = grant();
        g.allowed_origins.push(origin.to_string());
        let limits = HttpLimits {
            max_response_bytes: max,
            ..HttpLimits::default()
        };
        HttpCapability::new(reqwest::Client::new(), Some(Arc::new(g)), limits)
    }

    #[tokio::test]
    async fn a_streamed_body_without_a_length_is_capped_too() {
        // No Content-Length: the cap is enforced while reading the chunks.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let app = axum::Router::new().route(
            "/stream",
            axum::routing::get(|| async {
                let chunks = (0..8).map(|_| Ok::<_, std::io::Error>(vec![b'x'; 512]));
                axum::body::Body::from_stream(futures_util::stream::iter(chunks))
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        let url = format!("{origin}/stream");
        let e = capped(&origin, 1024).send(req(&url)).await.unwrap_err();
        assert_eq!(e, HttpError::TooLarge(1024));
        // Under the cap, the same stream is read whole.
        let r = capped(&origin, 4096).send(req(&url)).await.unwrap();
        assert_eq!(r.body.len(), 4096);
        assert!(!r.headers.iter().any(|(k, _)| k == "content-length"));
    }

    #[tokio::test]
    async fn a_redirect_is_handed_to_the_plugin_never_followed() {
        // The allowed origin redirects to a path of its own and to another origin: the host's
        // clients follow neither (a redirect could lead a request past the origin checks).
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let followed = Arc::new(std::sync::atomic::AtomicU32::new(0));
        let seen = followed.clone();
        let app = axum::Router::new()
            .route(
                "/moved",
                axum::routing::get(|| async {
                    (
                        axum::http::StatusCode::FOUND,
                        [("location", "/target")],
                        "moved",
                    )
                }),
            )
            .route(
                "/target",
                axum::routing::get(move || {
                    seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    async { "followed" }
                }),
            );
        tokio::spawn(async move { axum::serve(listener, app).await });
        let mut g = grant();
        g.allowed_origins.push(origin.clone());
        g.allow_private = true;
        let clients = Clients::new().unwrap();
        let mut cap = HttpCapability::new(
            clients.for_grant(Some(&g)),
            Some(Arc::new(g)),
            HttpLimits::default(),
        );
        let r = cap.send(req(&format!("{origin}/moved"))).await.unwrap();
        assert_eq!(r.status, 302);
        assert_eq!(
            r.headers
                .iter()
                .find(|(k, _)| k == "location")
                .map(|(_, v)| v.as_str()),
            Some("/target")
        );
        assert_eq!(followed.load(std::sync::atomic::Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_response_larger_than_the_cap_is_refused() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let app =
            axum::Router::new().route("/big", axum::routing::get(|| async { "x".repeat(4096) }));
        tokio::spawn(async move { axum::serve(listener, app).await });
        let e = capped(&origin, 1024)
            .send(req(&format!("{origin}/big")))
            .await
            .unwrap_err();
        assert_eq!(e, HttpError::TooLarge(1024));
    }

    #[test]
    fn a_url_with_user_information_is_refused_without_echoing_it() {
        let g = grant();
        let e = g
            .check("https://user:hunter2@api.mall.example/x")
            .unwrap_err();
        assert!(
            matches!(&e, HttpError::InvalidRequest(m) if m.contains("user information") && !m.contains("hunter2")),
            "{e:?}"
        );
        assert!(g.check("https://user@api.mall.example/x").is_err());
    }

    #[tokio::test]
    async fn the_manifest_narrows_the_hosts() {
        let mut cap = HttpCapability::new(
            reqwest::Client::new(),
            Some(Arc::new(grant())),
            HttpLimits::default(),
        )
        .with_plugin_hosts(Some(Arc::new(vec!["*.other.example".into()])));
        let e = cap
            .send(req("https://api.mall.example/"))
            .await
            .unwrap_err();
        assert!(
            matches!(&e, HttpError::Denied(m) if m.contains("manifest")),
            "{e:?}"
        );
    }

    #[test]
    fn debug_shows_the_credential_header_only() {
        let shown = format!("{:?}", grant());
        assert!(shown.contains("authorization"), "{shown}");
        assert!(!shown.contains("UDE6cHc"), "{shown}");
    }

    fn req(url: &str) -> Request {
        Request {
            method: Method::Get,
            url: url.into(),
            headers: vec![],
            body: vec![],
            authenticate: false,
        }
    }

    #[tokio::test]
    async fn no_shop_means_no_requests_and_auth_headers_are_refused() {
        let client = reqwest::Client::new();
        let mut none = HttpCapability::new(client.clone(), None, HttpLimits::default());
        assert!(matches!(
            none.send(req("https://api.mall.example/")).await,
            Err(HttpError::Denied(_))
        ));

        let mut cap = HttpCapability::new(client, Some(Arc::new(grant())), HttpLimits::default());
        let mut r = req("https://api.mall.example/");
        r.headers
            .push(("Authorization".into(), "Basic eA==".into()));
        assert!(matches!(
            cap.send(r).await,
            Err(HttpError::InvalidRequest(_))
        ));
        let mut r = req("https://api.mall.example/");
        r.headers
            .push(("Proxy-Authorization".into(), "Basic eA==".into()));
        assert!(matches!(
            cap.send(r).await,
            Err(HttpError::InvalidRequest(_))
        ));
    }

    #[tokio::test]
    async fn each_auth_scheme_passes_a_server_that_checks_it() {
        use crate::connector::AuthScheme;
        use base64::Engine as _;
        // The server accepts one exact header per path, and refuses anything else with 401.
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let expected: Vec<(&str, &str, String)> = vec![
            ("/basic", "authorization", format!("Basic {}", b64("S1:sv"))),
            ("/esa", "authorization", format!("ESA {}", b64("sv:lk"))),
            ("/bearer", "authorization", "Bearer tk".to_string()),
            ("/header", "x-api-key", "S1.tk".to_string()),
        ];
        let table = Arc::new(expected.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let app =
            axum::Router::new().fallback(move |uri: axum::http::Uri, h: axum::http::HeaderMap| {
                let table = table.clone();
                async move {
                    let ok = table.iter().any(|(path, name, value)| {
                        uri.path() == *path
                            && h.get(*name).and_then(|v| v.to_str().ok()) == Some(value.as_str())
                    });
                    if ok {
                        axum::http::StatusCode::OK
                    } else {
                        axum::http::StatusCode::UNAUTHORIZED
                    }
                }
            });
        tokio::spawn(async move { axum::serve(listener, app).await });
        let toml = format!(
            "[[shops]]\nid = \"s\"\nmall = \"m\"\nbase_url = \"{origin}/\"\n\
             allow_private_network = true\n[shops.settings]\nseller = \"S1\"\n\
             [shops.credentials]\nsecret = \"sv\"\nkey = \"lk\"\ntoken = \"tk\"\n"
        );
        let shop = crate::config::Config::parse(&toml, std::path::Path::new("/tmp"), &|_| None)
            .unwrap()
            .shops[0]
            .clone();
        let schemes = [
            AuthScheme::Basic {
                user: "seller".into(),
                password: "secret".into(),
            },
            AuthScheme::WordBase64 {
                word: "ESA".into(),
                first: "secret".into(),
                second: "key".into(),
            },
            AuthScheme::Bearer {
                token: "token".into(),
            },
            AuthScheme::Header {
                header: "X-Api-Key".into(),
                template: "{seller}.{token}".into(),
            },
        ];
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        for (scheme, (path, _, _)) in schemes.iter().zip(&expected) {
            let credentials = Credentials::new(
                super::super::test_values(&shop),
                origin.clone(),
                scheme,
                today,
                None,
            );
            let grant = HttpGrant::new(
                &shop.id,
                shop.allowed_origins.clone(),
                shop.allow_private_network,
                credentials,
            );
            let mut cap = HttpCapability::new(
                reqwest::Client::new(),
                Some(Arc::new(grant)),
                HttpLimits::default(),
            );
            let mut r = req(&format!("{origin}{path}"));
            r.authenticate = true;
            assert_eq!(cap.send(r).await.unwrap().status, 200, "{scheme:?}");
            // Without `authenticate`, the same server refuses: it was the host's header.
            assert_eq!(
                cap.send(req(&format!("{origin}{path}")))
                    .await
                    .unwrap()
                    .status,
                401
            );
        }
    }

    #[tokio::test]
    async fn credentials_go_to_the_api_origin_and_nowhere_else() {
        // Two allowed origins on loopback, both echoing the authorization header back: the
        // shop's API origin gets the credentials; the other origin's request is refused before
        // it is sent.
        let echo = || async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let origin = format!("http://{}", listener.local_addr().unwrap());
            let app = axum::Router::new().route(
                "/echo",
                axum::routing::get(|h: axum::http::HeaderMap| async move {
                    h.get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("none")
                        .to_string()
                }),
            );
            tokio::spawn(async move { axum::serve(listener, app).await });
            origin
        };
        let (api, other) = (echo().await, echo().await);
        let grant = HttpGrant {
            shop_id: "s1".into(),
            allowed_origins: vec![api.clone(), other.clone()],
            credentials: Credentials::fixed(&api, "authorization", "Basic UDE6cHc="),
            allow_private: true,
            pacer: None,
            scrubber: Arc::default(),
            refresh: None,
        };
        let mut cap = HttpCapability::new(
            reqwest::Client::new(),
            Some(Arc::new(grant)),
            HttpLimits::default(),
        );
        let mut r = req(&format!("{api}/echo"));
        r.authenticate = true;
        let answer = cap.send(r).await.unwrap();
        assert_eq!(answer.body, b"Basic UDE6cHc=");
        let mut r = req(&format!("{other}/echo"));
        r.authenticate = true;
        let e = cap.send(r).await.unwrap_err();
        assert!(
            matches!(&e, HttpError::Denied(m) if m.contains("only to the shop's API origin")),
            "{e:?}"
        );
        // Without `authenticate`, the other origin is reached, with nothing on it.
        let answer = cap.send(req(&format!("{other}/echo"))).await.unwrap();
        assert_eq!(answer.body, b"none");
    }

    #[tokio::test]
    async fn the_request_budget_is_enforced() {
        // A loopback port nobody listens on: the first request fails to connect, the second is
        // refused before any network work.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let origin = format!("http://127.0.0.1:{port}");
        let mut g = grant();
        g.allowed_origins.push(origin.clone());
        let limits = HttpLimits {
            max_requests_per_call: 1,
            ..HttpLimits::default()
        };
        let mut cap = HttpCapability::new(reqwest::Client::new(), Some(Arc::new(g)), limits);
        let first = cap.send(req(&format!("{origin}/x"))).await;
        assert!(
            matches!(&first, Err(HttpError::Transport(m)) if m.contains(&origin)),
            "{first:?}"
        );
        let second = cap.send(req(&format!("{origin}/x"))).await;
        assert_eq!(second.unwrap_err(), HttpError::BudgetExhausted(1));
        assert_eq!(cap.requests_left(), 0);
        // What else costs a request (a `held` question) draws on the same budget.
        let limits = HttpLimits {
            max_requests_per_call: 2,
            ..HttpLimits::default()
        };
        let mut g = grant();
        g.allowed_origins.push(origin.clone());
        let mut cap = HttpCapability::new(reqwest::Client::new(), Some(Arc::new(g)), limits);
        assert!(cap.spend_one() && cap.spend_one());
        assert!(!cap.spend_one(), "the budget is spent");
        let third = cap.send(req(&format!("{origin}/x"))).await;
        assert_eq!(third.unwrap_err(), HttpError::BudgetExhausted(2));
    }

    #[tokio::test]
    async fn a_refused_header_does_not_count_against_the_request_budget() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let origin = format!("http://127.0.0.1:{port}");
        let mut g = grant();
        g.allowed_origins.push(origin.clone());
        let limits = HttpLimits {
            max_requests_per_call: 1,
            ..HttpLimits::default()
        };
        let mut cap = HttpCapability::new(reqwest::Client::new(), Some(Arc::new(g)), limits);
        for name in ["Authorization", "proxy-authorization", "Host"] {
            let mut r = req(&format!("{origin}/x"));
            r.headers.push((name.into(), "x".into()));
            let e = cap.send(r).await.unwrap_err();
            assert!(
                matches!(&e, HttpError::InvalidRequest(m) if m.contains("set by the host")),
                "{name}: {e:?}"
            );
        }
        // The one request the call may make is still there.
        let first = cap.send(req(&format!("{origin}/x"))).await;
        assert!(
            matches!(&first, Err(HttpError::Transport(_))),
            "the budget was not spent on refusals: {first:?}"
        );
    }

    #[tokio::test]
    async fn a_mall_echoing_the_secrets_hands_back_masks() {
        use base64::Engine as _;
        // The API origin echoes every request header, in its body and in a header of its own.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let api = format!("http://{}", listener.local_addr().unwrap());
        let app = axum::Router::new().route(
            "/echo",
            axum::routing::get(|h: axum::http::HeaderMap| async move {
                let all: Vec<String> = h
                    .iter()
                    .map(|(k, v)| format!("{k}={}", v.to_str().unwrap_or("")))
                    .collect();
                let id = h
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                ([("x-echo", id)], all.join("\n"))
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        let header = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("P001:hunter2-pass")
        );
        let credentials = Credentials::fixed(&api, "authorization", &header);
        let scrubber = super::super::scrub::Scrubber::new(
            ["hunter2-pass"]
                .into_iter()
                .chain(credentials.sent_values()),
        );
        let grant = HttpGrant::new("s1", vec![api.clone()], true, credentials).scrubbing(scrubber);
        let mut cap = HttpCapability::new(
            reqwest::Client::new(),
            Some(Arc::new(grant)),
            HttpLimits::default(),
        );
        let mut r = req(&format!("{api}/echo"));
        r.authenticate = true;
        r.headers = vec![("x-request-id".into(), "P001:hunter2-pass".into())];
        let got = cap.send(r).await.unwrap();
        let body = String::from_utf8(got.body).unwrap();
        let echoed = got
            .headers
            .iter()
            .find(|(k, _)| k == "x-echo")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        for (what, text) in [("body", &body), ("header", &echoed)] {
            assert!(!text.contains("hunter2"), "{what}: {text}");
            assert!(!text.contains(&header[6..]), "{what}: {text}");
            assert!(text.contains("********"), "{what}: {text}");
        }
        assert!(body.contains("x-request-id=P001:********"), "{body}");
    }

    #[tokio::test]
    async fn transport_headers_are_the_hosts() {
        let mut cap = HttpCapability::new(
            reqwest::Client::new(),
            Some(Arc::new(grant())),
            HttpLimits::default(),
        );
        for name in [
            "Host",
            "transfer-encoding",
            "Content-Length",
            "connection",
            "te",
        ] {
            let mut r = req("https://api.mall.example/x");
            r.headers = vec![(name.into(), "chunked".into())];
            match cap.send(r).await {
                Err(HttpError::InvalidRequest(m)) => assert!(m.contains("set by the host"), "{m}"),
                other => panic!("{name}: {other:?}"),
            }
        }
    }
}
