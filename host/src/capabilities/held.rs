//! What a plugin may ask about the host's own orders: which of a list of order numbers the host
//! already stores for the call's shop (contract 0.3.0's `held`), so a mall without a "new"
//! state need not read every open order on every run. The capability knows the database only as
//! a [`Holdings`] (the store, wired in `runtime::vault`); it answers for the call's shop only, at
//! most [`MAX_ASKED`] numbers a question.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// Most order numbers one question may carry; the rest of a longer list is not answered.
pub const MAX_ASKED: usize = 1000;

/// Where the host's orders are looked up.
pub trait Holdings: Send + Sync {
    /// Which of `numbers` the host stores for `shop_id`.
    fn held<'a>(
        &'a self,
        shop_id: &'a str,
        numbers: &'a [String],
    ) -> Pin<Box<dyn Future<Output = Result<Vec<String>, String>> + Send + 'a>>;
}

/// One call's question: the shop it is for, and where to look.
#[derive(Clone)]
pub struct HeldCapability {
    shop_id: String,
    holdings: Arc<dyn Holdings>,
}

impl HeldCapability {
    /// The capability for a call of `shop_id`.
    pub fn new(shop_id: &str, holdings: Arc<dyn Holdings>) -> HeldCapability {
        HeldCapability {
            shop_id: shop_id.to_string(),
            holdings,
        }
    }

    /// Those of `numbers` (the first [`MAX_ASKED`]) the host stores for the shop, in the order
    /// asked; none when the lookup fails (logged): the plugin then reads them as new, and the
    /// host's unique order numbers keep each stored once.
    pub async fn held(&self, mut numbers: Vec<String>) -> Vec<String> {
        numbers.truncate(MAX_ASKED);
        match self.holdings.held(&self.shop_id, &numbers).await {
            Ok(found) => {
                let found: std::collections::HashSet<String> = found.into_iter().collect();
                numbers.retain(|n| found.contains(n));
                numbers
            }
            Err(e) => {
                tracing::warn!(shop = %self.shop_id, "held: the host's orders could not be read: {e}");
                Vec::new()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Two;

    impl Holdings for Two {
        fn held<'a>(
            &'a self,
            shop_id: &'a str,
            numbers: &'a [String],
        ) -> Pin<Box<dyn Future<Output = Result<Vec<String>, String>> + Send + 'a>> {
            Box::pin(async move {
                if shop_id != "shop-a" {
                    return Err("no such shop".into());
                }
                Ok(numbers
                    .iter()
                    .filter(|n| *n == "A-2" || *n == "A-9")
                    .cloned()
                    .collect())
            })
        }
    }

    #[tokio::test]
    async fn answers_in_the_order_asked_for_its_shop_only() {
        let cap = HeldCapability::new("shop-a", Arc::new(Two));
        let asked = vec!["A-9".to_string(), "A-1".into(), "A-2".into()];
        assert_eq!(cap.held(asked.clone()).await, vec!["A-9", "A-2"]);
        let other = HeldCapability::new("shop-b", Arc::new(Two));
        assert!(
            other.held(asked).await.is_empty(),
            "a failed lookup holds nothing"
        );
        let many: Vec<String> = (0..MAX_ASKED + 5).map(|_| "A-2".to_string()).collect();
        assert_eq!(cap.held(many).await.len(), MAX_ASKED);
    }
}
