//! Calls into the plugin of one shop's mall, on the shop's behalf: its HTTP grant and
//! credentials. Each call looks up the mall's active plugin, so a swap takes effect at the next
//! call, and checks the size of what the plugin returns.

use std::sync::Arc;

use super::limits::LimitExceeded;
use super::{CallError, Plugin, Runtime, v0_1_0};
use crate::capabilities::http::HttpGrant;
use crate::config::ShopConfig;
use crate::connector::{ConnectorError, FetchPage, RawOrder, Shipment, TakeOutcome, Window};
use crate::model::Order;

/// Per-order results of a batch call.
pub type BatchResults<T> = Vec<(String, Result<T, ConnectorError>)>;

/// Calls on behalf of one shop.
pub struct ShopConnector<'a> {
    runtime: &'a Runtime,
    shop: &'a ShopConfig,
    grant: Arc<HttpGrant>,
}

fn too_big(label: &str, call: &'static str, got: usize, limit: usize) -> CallError {
    CallError::Fault {
        plugin: label.into(),
        call,
        message: LimitExceeded::Return { got, limit }.to_string(),
    }
}

impl<'a> ShopConnector<'a> {
    pub(crate) fn new(runtime: &'a Runtime, shop: &'a ShopConfig, grant: Arc<HttpGrant>) -> Self {
        ShopConnector {
            runtime,
            shop,
            grant,
        }
    }

    fn plugin(&self) -> Result<(Arc<Plugin>, String), CallError> {
        let p = self
            .runtime
            .plugin(&self.shop.mall)
            .map_err(|e| CallError::Fault {
                plugin: self.shop.mall.clone(),
                call: "lookup",
                message: e.to_string(),
            })?;
        let label = p.info.label();
        Ok((p, label))
    }

    fn scope(&self) -> Option<(&str, Arc<HttpGrant>)> {
        Some((self.shop.id.as_str(), self.grant.clone()))
    }

    /// The label (`mall@version`) of the plugin that serves the shop now.
    pub fn plugin_label(&self) -> Result<String, CallError> {
        self.plugin().map(|p| p.1)
    }

    /// Fetches one page of new orders.
    pub async fn fetch_orders(
        &self,
        window: Window,
        cursor: Option<String>,
    ) -> Result<FetchPage, CallError> {
        let (plugin, label) = self.plugin()?;
        let ctx = v0_1_0::call_context(&self.shop.id, &self.shop.base_url);
        let req = v0_1_0::fetch_request(window, cursor.as_deref());
        let call = "fetch-orders";
        let r = self
            .runtime
            .run(&plugin, &label, call, self.scope(), async |i, s| {
                i.mallhost_connector_connector()
                    .call_fetch_orders(s, ctx, req)
                    .await
            })
            .await?;
        let page = r.map_err(|e| CallError::Connector {
            plugin: label.clone(),
            call,
            error: v0_1_0::error(e),
        })?;
        let size = v0_1_0::page_size(&page);
        if size > plugin.limits.max_return_bytes {
            return Err(too_big(&label, call, size, plugin.limits.max_return_bytes));
        }
        Ok(v0_1_0::fetch_page(page))
    }

    /// Maps a raw record to the canonical order (no request is allowed).
    pub async fn map_order(&self, raw: &RawOrder) -> Result<Order, CallError> {
        let mut all = self.map_orders(std::slice::from_ref(raw)).await?;
        all.pop().unwrap_or_else(|| {
            Err(CallError::Fault {
                plugin: self.shop.mall.clone(),
                call: "map-order",
                message: "no result".into(),
            })
        })
    }

    /// Maps raw records in one call (`map-orders`): one result per record, in order.
    pub async fn map_orders(
        &self,
        raws: &[RawOrder],
    ) -> Result<Vec<Result<Order, CallError>>, CallError> {
        let (plugin, label) = self.plugin()?;
        let call = "map-orders";
        let max = plugin.limits.max_return_bytes;
        let wit: Vec<_> = raws.iter().map(v0_1_0::raw_to).collect();
        let outcome = self
            .runtime
            .run(&plugin, &label, call, None, async |i, s| {
                i.mallhost_connector_connector()
                    .call_map_orders(s, &wit)
                    .await
            })
            .await?;
        if outcome.len() != raws.len() {
            return Err(CallError::Fault {
                plugin: label,
                call,
                message: format!(
                    "returned {} results for {} records",
                    outcome.len(),
                    raws.len()
                ),
            });
        }
        let total: usize = outcome
            .iter()
            .map(|r| r.as_ref().map_or(0, v0_1_0::order_size))
            .sum();
        if total > max {
            return Err(too_big(&label, call, total, max));
        }
        Ok(outcome
            .into_iter()
            .map(|r| {
                let o = r.map_err(|e| CallError::Connector {
                    plugin: label.clone(),
                    call,
                    error: v0_1_0::error(e),
                })?;
                v0_1_0::order(o).map_err(|e| CallError::Fault {
                    plugin: label.clone(),
                    call,
                    message: format!("returned a malformed order: {e}"),
                })
            })
            .collect())
    }

    /// Takes (acknowledges) orders on the mall; one result per order number.
    pub async fn take_orders(
        &self,
        numbers: &[String],
    ) -> Result<BatchResults<TakeOutcome>, CallError> {
        let (plugin, label) = self.plugin()?;
        let ctx = v0_1_0::call_context(&self.shop.id, &self.shop.base_url);
        let call = "take-orders";
        let numbers_ref: Vec<&str> = numbers.iter().map(String::as_str).collect();
        let r = self
            .runtime
            .run(&plugin, &label, call, self.scope(), async |i, s| {
                i.mallhost_connector_connector()
                    .call_take_orders(s, ctx, &numbers_ref)
                    .await
            })
            .await?;
        if r.len() > numbers.len() {
            return Err(too_big(&label, call, r.len(), numbers.len()));
        }
        Ok(v0_1_0::take_results(r))
    }

    /// Pushes shipments; one result per shipment.
    pub async fn push_shipments(
        &self,
        shipments: &[Shipment],
    ) -> Result<BatchResults<()>, CallError> {
        let (plugin, label) = self.plugin()?;
        let ctx = v0_1_0::call_context(&self.shop.id, &self.shop.base_url);
        let wit: Vec<_> = shipments.iter().map(v0_1_0::shipment).collect();
        let call = "push-shipments";
        let r = self
            .runtime
            .run(&plugin, &label, call, self.scope(), async |i, s| {
                i.mallhost_connector_connector()
                    .call_push_shipments(s, ctx, &wit)
                    .await
            })
            .await?;
        if r.len() > shipments.len() {
            return Err(too_big(&label, call, r.len(), shipments.len()));
        }
        Ok(v0_1_0::push_results(r))
    }
}
