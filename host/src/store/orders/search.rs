//! The console's order search: filters (shop, status, a JST order-date range, part of the
//! buyer's name, an order number, a tracking number), one page newest first, the total and the
//! count per status. The list, the number and the tracking number are served by indexes
//! (`0011_console.sql`), so pages stay fast at 100,000 orders (docs/benchmarks.md).

use chrono::NaiveDate;
use sqlx::Row;

use super::{OrderSummary, SUMMARY_COLUMNS, summary};
use crate::model::OrderStatus;
use crate::store::sql::Statement;
use crate::store::{Store, StoreError, corrupt};
use crate::time::{jst_day_end, jst_day_start, to_db};

/// What staff search orders by; every field narrows the result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderSearch {
    /// Only this shop.
    pub shop: Option<String>,
    /// Only this status.
    pub status: Option<OrderStatus>,
    /// Ordered on or after this JST date.
    pub from: Option<NaiveDate>,
    /// Ordered on or before this JST date.
    pub to: Option<NaiveDate>,
    /// Part of the buyer's name.
    pub buyer: Option<String>,
    /// The mall's order number, exactly.
    pub number: Option<String>,
    /// A tracking number of the order (any delivery or parcel), exactly.
    pub tracking: Option<String>,
}

/// One page of a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchPage {
    /// The orders on the page, newest first.
    pub orders: Vec<OrderSummary>,
    /// How many orders match (every page).
    pub total: i64,
    /// How many orders match per status, ignoring the status filter (in workflow order).
    pub counts: Vec<(OrderStatus, i64)>,
}

/// `LIKE` text matching `s` anywhere, with `%`, `_` and `\` taken literally.
fn contains_pattern(s: &str) -> String {
    let mut p = String::from("%");
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

impl OrderSearch {
    /// Appends ` AND …` for every filter but the status.
    fn narrow<'q>(&'q self, q: &mut Statement<'q>) {
        if let Some(shop) = &self.shop {
            q.push(" AND o.shop_id = ").bind(shop.as_str());
        }
        if let Some(from) = self.from {
            q.push(" AND o.ordered_at >= ")
                .bind(to_db(jst_day_start(from)));
        }
        if let Some(to) = self.to {
            q.push(" AND o.ordered_at <= ").bind(to_db(jst_day_end(to)));
        }
        if let Some(buyer) = &self.buyer {
            q.push(" AND o.buyer_name LIKE ")
                .bind(contains_pattern(buyer))
                .push(" ESCAPE '\\'");
        }
        if let Some(number) = &self.number {
            q.push(" AND o.mall_order_number = ").bind(number.as_str());
        }
    }

    /// `FROM …`: the orders table, or — for a tracking number — the orders whose number it is,
    /// found first through the tracking indexes (`CROSS JOIN` keeps SQLite from turning the
    /// lookup into a scan of every order).
    fn from<'q>(&'q self, q: &mut Statement<'q>) {
        match &self.tracking {
            None => q.push(" FROM orders o WHERE 1 = 1"),
            Some(t) => q
                .push(" FROM (SELECT id AS order_id FROM orders WHERE tracking_number = ")
                .bind(t.as_str())
                .push(" UNION SELECT order_id FROM order_deliveries WHERE tracking_number = ")
                .bind(t.as_str())
                .push(" UNION SELECT order_id FROM delivery_parcels WHERE tracking_number = ")
                .bind(t.as_str())
                .push(") t CROSS JOIN orders o WHERE o.id = t.order_id"),
        };
    }
}

impl Store {
    /// The two statements of a search: the counts per status, and one page.
    fn search_statements<'q>(
        &self,
        search: &'q OrderSearch,
        page: u32,
        per_page: u32,
    ) -> (Statement<'q>, Statement<'q>) {
        let mut counts = Statement::new(self.backend, "SELECT o.status, COUNT(*) AS n");
        search.from(&mut counts);
        search.narrow(&mut counts);
        counts.push(" GROUP BY o.status");

        let mut q = Statement::new(self.backend, &format!("SELECT {SUMMARY_COLUMNS}"));
        search.from(&mut q);
        if let Some(status) = search.status {
            q.push(" AND o.status = ").bind(status.id());
        }
        search.narrow(&mut q);
        let per_page = per_page.clamp(1, 500);
        let offset = i64::from(page.max(1) - 1) * i64::from(per_page);
        q.push(" ORDER BY o.ordered_at DESC, o.mall_order_number DESC LIMIT ")
            .bind(i64::from(per_page))
            .push(" OFFSET ")
            .bind(offset);
        (counts, q)
    }

    /// One page (1-based, `per_page` orders, at most 500) of the orders `search` finds, with
    /// the total and the counts per status.
    pub async fn search_orders(
        &self,
        search: &OrderSearch,
        page: u32,
        per_page: u32,
    ) -> Result<SearchPage, StoreError> {
        let (counts_q, page_q) = self.search_statements(search, page, per_page);
        let (sql, args) = counts_q.build()?;
        let mut counts = Vec::new();
        for r in sqlx::query_with(&sql, args).fetch_all(&self.pool).await? {
            let s: String = r.try_get("status")?;
            let st = OrderStatus::from_id(&s).ok_or_else(|| corrupt("orders", "status", "", &s))?;
            counts.push((st, r.try_get::<i64, _>("n")?));
        }
        counts.sort_by_key(|(s, _)| OrderStatus::ALL.iter().position(|x| x == s));
        let total = counts
            .iter()
            .filter(|(s, _)| search.status.is_none_or(|f| f == *s))
            .map(|(_, n)| n)
            .sum();
        let (sql, args) = page_q.build()?;
        let orders = sqlx::query_with(&sql, args)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(summary)
            .collect::<Result<_, _>>()?;
        Ok(SearchPage {
            orders,
            total,
            counts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SQLite's plan for each statement of a search, one line per step.
    async fn plans(store: &Store, search: &OrderSearch) -> Vec<String> {
        let (a, b) = store.search_statements(search, 3, 50);
        let mut out = Vec::new();
        for q in [a, b] {
            let (sql, args) = q.build().unwrap();
            let rows = sqlx::query_with(&format!("EXPLAIN QUERY PLAN {sql}"), args)
                .fetch_all(store.pool())
                .await
                .unwrap();
            out.push(
                rows.iter()
                    .map(|r| r.try_get::<String, _>("detail").unwrap())
                    .collect::<Vec<_>>()
                    .join(" | "),
            );
        }
        out
    }

    #[tokio::test]
    async fn every_search_reads_orders_through_an_index() {
        let t = crate::store::testing::fresh().await;
        if t.store.backend() != crate::store::Backend::Sqlite {
            return; // PostgreSQL's plans depend on its statistics; the bench measures it.
        }
        let day = NaiveDate::from_ymd_opt(2026, 11, 1);
        let searches = [
            OrderSearch::default(),
            OrderSearch {
                status: Some(OrderStatus::OnHold),
                ..OrderSearch::default()
            },
            OrderSearch {
                shop: Some("s".into()),
                status: Some(OrderStatus::OnHold),
                ..OrderSearch::default()
            },
            OrderSearch {
                from: day,
                to: day,
                ..OrderSearch::default()
            },
            OrderSearch {
                buyer: Some("山田".into()),
                ..OrderSearch::default()
            },
            OrderSearch {
                number: Some("A1".into()),
                ..OrderSearch::default()
            },
            OrderSearch {
                tracking: Some("T1".into()),
                ..OrderSearch::default()
            },
        ];
        for search in &searches {
            for plan in plans(&t.store, search).await {
                // A bare `SCAN o` reads every row of the table; `USING … INDEX` does not.
                let scans_table = plan
                    .split(" | ")
                    .any(|step| step.starts_with("SCAN o") && !step.contains("INDEX"));
                assert!(!scans_table, "{search:?}: {plan}");
            }
        }
    }

    #[test]
    fn a_name_pattern_takes_wildcards_literally() {
        assert_eq!(contains_pattern("山田"), "%山田%");
        assert_eq!(contains_pattern("50%_a\\"), "%50\\%\\_a\\\\%");
    }
}
