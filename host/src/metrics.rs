//! `GET /metrics`: the shops' health and orders in the Prometheus text format, read from the
//! database at each scrape (every process answers the same), encoded by `prometheus-client`.
//!
//! | metric | labels | value |
//! | --- | --- | --- |
//! | `mallhost_shop_healthy` | shop, mall | 1 when no job is stale and no credential expired |
//! | `mallhost_job_stale` | shop, job | 1 when the last success is over three intervals old |
//! | `mallhost_job_failures_in_row` | shop, job | newest ended runs that failed |
//! | `mallhost_job_last_success_timestamp_seconds` | shop, job | Unix time of the last success |
//! | `mallhost_credential_days_left` | shop, key | days until the credential stops working |
//! | `mallhost_orders` | shop, status | orders stored, by host status |
//!
//! A caller off the server's machine without a token gets [`render_bare`]: `mallhost_healthy`
//! alone, no shop names or counts.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::health::ShopHealth;
use crate::store::{Store, StoreError};

type Labels = Vec<(String, String)>;

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The metrics text for these shops.
pub async fn render(store: &Store, health: &[ShopHealth]) -> Result<String, StoreError> {
    let healthy = Family::<Labels, Gauge>::default();
    let stale = Family::<Labels, Gauge>::default();
    let failures = Family::<Labels, Gauge>::default();
    let last_success = Family::<Labels, Gauge>::default();
    let days_left = Family::<Labels, Gauge>::default();
    let orders = Family::<Labels, Gauge>::default();
    for s in health {
        healthy
            .get_or_create(&labels(&[("shop", &s.shop), ("mall", &s.mall)]))
            .set(i64::from(s.healthy));
        for j in &s.jobs {
            let l = labels(&[("shop", &s.shop), ("job", &j.job)]);
            stale.get_or_create(&l).set(i64::from(j.stale));
            failures.get_or_create(&l).set(i64::from(j.failures_in_row));
            if let Some(at) = j.last_success_at {
                last_success.get_or_create(&l).set(at.timestamp());
            }
        }
        for c in &s.credentials {
            days_left
                .get_or_create(&labels(&[("shop", &s.shop), ("key", &c.key)]))
                .set(c.days_left);
        }
        for (status, n) in store.status_counts(&s.shop).await? {
            orders
                .get_or_create(&labels(&[("shop", &s.shop), ("status", status.id())]))
                .set(n);
        }
    }
    let mut registry = Registry::with_prefix("mallhost");
    registry.register("shop_healthy", "1 when the shop's sync is healthy", healthy);
    registry.register(
        "job_stale",
        "1 when a job has not succeeded for three intervals",
        stale,
    );
    registry.register(
        "job_failures_in_row",
        "Newest ended runs that failed",
        failures,
    );
    registry.register(
        "job_last_success_timestamp_seconds",
        "When the job last succeeded (Unix time)",
        last_success,
    );
    registry.register(
        "credential_days_left",
        "Days until a credential stops working",
        days_left,
    );
    registry.register("orders", "Orders stored, by host status", orders);
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = encode(&mut out, &registry);
    Ok(out)
}

/// The bare metrics for a caller who may not see the shops: whether every shop is healthy.
pub fn render_bare(health: &[ShopHealth]) -> String {
    let mut registry = Registry::with_prefix("mallhost");
    let all = Gauge::<i64>::default();
    all.set(i64::from(health.iter().all(|s| s.healthy)));
    registry.register("healthy", "1 when every shop's sync is healthy", all);
    let mut out = String::new();
    let _ = encode(&mut out, &registry);
    out
}
