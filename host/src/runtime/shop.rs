//! Calls into the plugin of one shop's mall, on the shop's behalf: its HTTP grant and
//! credentials. Each call looks up the mall's active plugin (so a swap takes effect at the next
//! call), runs one export through the [`Contract`](super::contract) seam, and turns what went
//! wrong into a [`CallError`] naming the plugin and the call.

use std::sync::Arc;

use super::contract::{self, CallContext, Calls, Contract, Returned};
use super::{CallError, Plugin, Runtime, ShopScope};
use crate::capabilities::credentials::{self, Credentials};
use crate::capabilities::http::HttpGrant;
use crate::capabilities::oauth::Grant;
use crate::capabilities::scrub::Scrubber;
use crate::capabilities::signing::Signer;
use crate::capabilities::{PluginState, ShopValues};
use crate::config::{Pace, ShopConfig};
use crate::connector::AuthScheme;
use crate::connector::{FetchPage, RawOrder, Shipment, TakeOutcome, Window};
use crate::model::Order;

pub use super::contract::BatchResults;

/// A shop's settings and secrets as its plugin's capabilities may read them.
pub fn shop_values(shop: &ShopConfig) -> ShopValues<'_> {
    ShopValues {
        shop_id: &shop.id,
        settings: &shop.settings,
        secrets: &shop.credentials,
        expiries: &shop.expiries,
    }
}

/// The origin of the shop's API (its `base_url`'s): the one origin its credentials go to.
fn api_origin(shop: &ShopConfig) -> String {
    url::Url::parse(&shop.base_url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default()
}

/// The OAuth 2 grant a plugin's scheme declares, if it declares one.
fn oauth_grant(auth: &AuthScheme) -> Option<Grant<'_>> {
    match auth {
        AuthScheme::OAuth2Refresh {
            token_url,
            client_id,
            client_secret,
            refresh_token,
            scope,
            ..
        } => Some(Grant {
            token_url,
            client_id,
            client_secret,
            refresh_token,
            scope: scope.as_deref(),
        }),
        _ => None,
    }
}

/// Calls on behalf of one shop.
pub struct ShopConnector<'a> {
    runtime: &'a Runtime,
    shop: &'a ShopConfig,
}

impl<'a> ShopConnector<'a> {
    pub(crate) fn new(runtime: &'a Runtime, shop: &'a ShopConfig) -> Self {
        ShopConnector { runtime, shop }
    }

    fn plugin(&self) -> Result<Arc<Plugin>, CallError> {
        self.runtime
            .plugin(&self.shop.mall)
            .map_err(|e| CallError::Fault {
                plugin: self.shop.mall.clone(),
                call: "lookup",
                message: e.to_string(),
            })
    }

    /// What the mall of the plugin that serves the shop now supports.
    pub fn capabilities(&self) -> Result<crate::connector::Capabilities, CallError> {
        self.plugin().map(|p| p.info.capabilities.clone())
    }

    /// How many orders one take, push or status call carries for the shop's plugin (its
    /// declared sizes, 0 for the host's).
    pub fn batch(&self) -> Result<crate::connector::BatchSizes, CallError> {
        self.plugin().map(|p| p.info.batch)
    }

    /// The label (`mall@version`) of the plugin that serves the shop now.
    pub fn plugin_label(&self) -> Result<String, CallError> {
        self.plugin().map(|p| p.info.label())
    }

    /// What the shop grants its plugin for one call, built once here: its credentials by the
    /// scheme of the plugin version that answers (an OAuth 2 access token fetched first), the
    /// origins it allows, its pace and its signing key. A shop whose secret has expired is
    /// refused before the plugin runs.
    async fn grant(
        &self,
        plugin: &Plugin,
        label: &str,
        call: &'static str,
    ) -> Result<ShopScope<'a>, CallError> {
        let shop = self.shop;
        let values = shop_values(shop);
        let now = self.runtime.clock.now();
        let today = crate::time::jst_date(now);
        let refused = |message: String| CallError::Fault {
            plugin: label.to_string(),
            call,
            message,
        };
        if let Some(why) = credentials::refusal(values, &plugin.info.auth, today) {
            return Err(refused(why));
        }
        let access = match oauth_grant(&plugin.info.auth) {
            Some(grant) => Some(
                self.runtime
                    .oauth
                    .access_token(values, shop.allow_private_network, grant, now)
                    .await
                    .map_err(refused)?,
            ),
            None => None,
        };
        let credentials = Credentials::new(
            values,
            api_origin(shop),
            &plugin.info.auth,
            today,
            access.as_ref(),
        )
        .with_computed(values, &plugin.info.computed_headers, today);
        if let Some(why) = credentials.refusal() {
            return Err(refused(why.to_string()));
        }
        let pacing = match shop.pace {
            Pace::Mall => plugin.info.pacing,
            Pace::PerSecond(n) => Some(crate::connector::Pacing {
                requests: n,
                per_millis: 1000,
                burst: n,
            }),
            Pace::Off => None,
        };
        // One pace per credential, by what stays the same: a static key's fingerprint, or an
        // OAuth client's id — never an access token, which a refresh replaces.
        let stable = match &plugin.info.auth {
            AuthScheme::OAuth2Refresh { client_id, .. } => values
                .value(client_id)
                .ok()
                .map(|id| format!("client {}", credentials::fingerprint_of(id))),
            _ => credentials.fingerprint(),
        };
        let pacer = pacing.map(|p| {
            let who = stable.unwrap_or_else(|| format!("shop {}", shop.id));
            self.runtime
                .paces
                .pacer(&format!("{}/{who}", plugin.info.mall_id), p)
        });
        // An access token the mall refuses before its time: the grant run again inside the
        // request (`HttpGrant::refreshing`), once per call.
        let refresh = match (&plugin.info.auth, &access) {
            (AuthScheme::OAuth2Refresh { .. }, Some(used)) => {
                let oauth = self.runtime.oauth.clone();
                let (shop_cfg, auth, used) = (shop.clone(), plugin.info.auth.clone(), used.clone());
                let computed = plugin.info.computed_headers.clone();
                let clock = self.runtime.clock.clone();
                let refresh: crate::capabilities::http::Refresh = Arc::new(move || {
                    let (oauth, shop_cfg, auth, used, computed) = (
                        oauth.clone(),
                        shop_cfg.clone(),
                        auth.clone(),
                        used.clone(),
                        computed.clone(),
                    );
                    let now = clock.now();
                    Box::pin(async move {
                        let Some(grant) = oauth_grant(&auth) else {
                            return Err("the plugin's scheme is not OAuth 2".to_string());
                        };
                        let values = shop_values(&shop_cfg);
                        oauth.forget(&shop_cfg.id, &used).await;
                        let fresh = oauth
                            .access_token(values, shop_cfg.allow_private_network, grant, now)
                            .await?;
                        let today = crate::time::jst_date(now);
                        Ok(Credentials::new(
                            values,
                            api_origin(&shop_cfg),
                            &auth,
                            today,
                            Some(&fresh),
                        )
                        .with_computed(values, &computed, today))
                    })
                });
                Some(refresh)
            }
            _ => None,
        };
        // Every secret the host holds for the shop, and what it sends, masked wherever a mall
        // echoes them.
        let scrubber = Scrubber::new(
            shop.credentials
                .values()
                .map(|s| s.expose())
                .chain(credentials.sent_values())
                .chain(access.as_ref().map(|a| a.expose())),
        );
        let grant = HttpGrant::new(
            &shop.id,
            shop.allowed_origins.clone(),
            shop.allow_private_network,
            credentials,
        )
        .paced(pacer)
        .refreshing(refresh)
        .scrubbing(scrubber);
        let signer = plugin
            .info
            .signing_key
            .as_deref()
            .map(|key| Arc::new(Signer::new(values, key)));
        Ok(ShopScope {
            shop_id: shop.id.as_str(),
            grant: Arc::new(grant),
            signer,
        })
    }

    /// Fetches one page of new orders, each mapped and checked (or why not).
    pub async fn fetch_orders(
        &self,
        window: Window,
        cursor: Option<String>,
    ) -> Result<FetchPage<CallError>, CallError> {
        contract::fetch_page(self, window, cursor.as_deref()).await
    }

    /// Maps a raw record to the canonical order (no request is allowed).
    pub async fn map_order(&self, raw: &RawOrder) -> Result<Order, CallError> {
        contract::map_one(self, raw).await
    }

    /// Maps raw records in one call (`map-orders`): one result per record, in order.
    pub async fn map_orders(
        &self,
        raws: &[RawOrder],
    ) -> Result<Vec<Result<Order, CallError>>, CallError> {
        contract::map_orders(self, raws).await
    }

    /// Takes (acknowledges) orders on the mall; one result per order number.
    pub async fn take_orders(
        &self,
        numbers: &[String],
    ) -> Result<BatchResults<TakeOutcome>, CallError> {
        self.call("take-orders", true, async |c, s, ctx, _| {
            c.take_orders(s, ctx, numbers).await
        })
        .await
        .map(|(results, _)| results)
    }

    /// The mall's current state of orders; one result per order.
    pub async fn order_states(
        &self,
        numbers: &[String],
    ) -> Result<BatchResults<crate::connector::OrderState>, CallError> {
        self.call("order-states", true, async |c, s, ctx, _| {
            c.order_states(s, ctx, numbers).await
        })
        .await
        .map(|(results, _)| results)
    }

    /// Pushes shipments; one result per shipment.
    pub async fn push_shipments(
        &self,
        shipments: &[Shipment],
    ) -> Result<BatchResults<()>, CallError> {
        self.call("push-shipments", true, async |c, s, ctx, _| {
            c.push_shipments(s, ctx, shipments).await
        })
        .await
        .map(|(results, _)| results)
    }
}

impl Calls for ShopConnector<'_> {
    /// Runs one export of the shop's active plugin — with the shop's HTTP grant when `http`,
    /// with none otherwise (mapping needs no network) — and returns its result with the label of
    /// the plugin version that answered.
    async fn call<T>(
        &self,
        call: &'static str,
        http: bool,
        f: impl AsyncFnOnce(
            &Contract,
            &mut wasmtime::Store<PluginState>,
            CallContext<'_>,
            usize,
        ) -> wasmtime::Result<Result<T, Returned>>,
    ) -> Result<(T, String), CallError> {
        let plugin = self.plugin()?;
        let label = plugin.info.label();
        let ctx = CallContext {
            shop_id: &self.shop.id,
            base_url: &self.shop.base_url,
            settings: &self.shop.settings,
        };
        let scope = if http {
            Some(self.grant(&plugin, &label, call).await?)
        } else {
            None
        };
        let max_return = plugin.limits.max_return_bytes;
        let wall = plugin.limits.call_timeout;
        self.runtime
            .run(&plugin, &label, call, scope, wall, async |c, s| {
                f(c, s, ctx, max_return).await
            })
            .await
            .map(|t| (t, label))
    }
}
