//! The console's order search: filters (shop, status or 未出荷, a JST order-date range, part of
//! the buyer's name or kana or a phone number, an order number, a tracking number), one page newest first, the total and the
//! count per status. The list, the number and the tracking number are served by indexes
//! (`0011_console.sql`), so pages stay fast at 100,000 orders (docs/benchmarks.md).

use chrono::NaiveDate;
use sqlx::Row;

use super::read::from_json;
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
    /// Part of the buyer's name or of its kana (hiragana is read as katakana; spaces are
    /// ignored), or a phone number of the buyer or a recipient: the whole number or its last
    /// four digits (hyphens and full-width digits are fine).
    pub buyer: Option<String>,
    /// Only orders not shipped yet (and not cancelled): 未出荷.
    pub unshipped: bool,
    /// The mall's order number, exactly.
    pub number: Option<String>,
    /// A tracking number of the order (any delivery or parcel), exactly.
    pub tracking: Option<String>,
}

/// The columns [`Store::search_all_shown`] reads beyond the summary's.
const SHOWN_COLUMNS: &str = "o.mall_status, o.mall_status_words, o.items_total, o.shipping_fee,
    o.cod_fee, o.points_used, o.coupon_discount, o.fees_json, o.discounts_json, o.marks_json";

/// What the CSV for people shows of an order beyond its summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownMoney {
    /// The mall's status code, as the status sync last read it.
    pub mall_status: String,
    /// The plugin's words for it.
    pub mall_status_words: String,
    /// The items' total.
    pub items_total: i64,
    /// Every fee by its label.
    pub fees: Vec<crate::model::Fee>,
    /// Every discount by its label.
    pub discounts: Vec<crate::model::Discount>,
    /// What the mall says about the order.
    pub marks: Vec<crate::model::OrderMark>,
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

/// The most pieces of a name a search looks up (more narrow little further).
const MAX_GRAMS: usize = 8;

/// Every two characters of a name, spaces (half- and full-width) left out: what
/// `order_name_grams` holds per order, and what a search for part of a name looks up.
pub(crate) fn name_grams(name: &str) -> std::collections::BTreeSet<String> {
    let chars: Vec<char> = name
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{3000}'))
        .collect();
    chars.windows(2).map(|w| w.iter().collect()).collect()
}

/// The prefix of a phone number's keys in `order_name_grams` (a name's pieces are two
/// characters; a phone's keys are longer and start with this).
const PHONE: char = '☎';

/// The keys a phone number is found by: its digits, and its last four digits.
pub(crate) fn phone_grams(phone: &str) -> Vec<String> {
    let digits: String = phone
        .chars()
        .filter_map(|c| match c {
            '0'..='9' => Some(c),
            '０'..='９' => char::from_u32(u32::from(c) - 0xFF10 + 0x30),
            _ => None,
        })
        .collect();
    if digits.len() < 4 {
        return Vec::new();
    }
    let mut keys = vec![format!("{PHONE}{digits}")];
    if digits.len() > 4 {
        keys.push(format!("{PHONE}{}", &digits[digits.len() - 4..]));
    }
    keys
}

/// A search text that is a phone number (digits, hyphens, spaces, brackets, `+`; at least
/// four digits): its key.
fn phone_query(text: &str) -> Option<String> {
    let phone_like = text.chars().all(|c| {
        c.is_ascii_digit()
            || ('０'..='９').contains(&c)
            || matches!(
                c,
                '-' | 'ー' | '－' | '‐' | ' ' | '\u{3000}' | '(' | ')' | '（' | '）' | '+' | '＋'
            )
    });
    let keys = phone_grams(text);
    if !phone_like || keys.is_empty() {
        return None;
    }
    keys.into_iter().next()
}

/// Kana as the index keeps it: hiragana as katakana, spaces left out.
pub(crate) fn kana(text: &str) -> String {
    without_spaces(text)
        .chars()
        .map(|c| match c {
            '\u{3041}'..='\u{3096}' => char::from_u32(u32::from(c) + 0x60).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// Whether the text has hiragana (then it is looked up as kana).
fn has_hiragana(text: &str) -> bool {
    text.chars().any(|c| ('\u{3041}'..='\u{3096}').contains(&c))
}

/// The text without its spaces (half- and full-width): how names are compared.
fn without_spaces(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, ' ' | '\u{3000}'))
        .collect()
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
        // The name's pieces (or the tracking number) chose the candidates; LIKE confirms them,
        // on the name or its kana. Spaces (half- and full-width) are left out of both sides:
        // 山田太郎 finds 山田 太郎, やまだ finds ヤマダ. A phone number's key is exact: no LIKE.
        if let Some(buyer) = &self.buyer
            && phone_query(buyer).is_none()
        {
            q.push(" AND (REPLACE(REPLACE(o.buyer_name, ' ', ''), '　', '') LIKE ")
                .bind(contains_pattern(&without_spaces(buyer)))
                .push(" ESCAPE '\\' OR o.buyer_kana LIKE ")
                .bind(contains_pattern(&kana(buyer)))
                .push(" ESCAPE '\\')");
        }
        if self.unshipped {
            q.push(" AND o.status IN ('new', 'confirmed', 'awaiting_shipment', 'on_hold')");
        }
        if let Some(number) = &self.number {
            q.push(" AND o.mall_order_number = ").bind(number.as_str());
        }
    }

    /// `FROM …`: the orders table; or — for a tracking number — the orders whose number it is,
    /// found first through the tracking indexes; or — for part of a name of two characters or
    /// more — the orders whose name has each of its pieces (`order_name_grams`). `CROSS JOIN`
    /// keeps SQLite from turning the lookup into a scan of every order.
    fn from<'q>(&'q self, q: &mut Statement<'q>) {
        let grams: Vec<String> = match self.buyer.as_deref() {
            None => Vec::new(),
            Some(b) => match phone_query(b) {
                Some(key) => vec![key],
                None if has_hiragana(b) => {
                    name_grams(&kana(b)).into_iter().take(MAX_GRAMS).collect()
                }
                None => name_grams(b).into_iter().take(MAX_GRAMS).collect(),
            },
        };
        match &self.tracking {
            None if grams.is_empty() => q.push(" FROM orders o WHERE 1 = 1"),
            None => {
                q.push(" FROM (");
                for (i, g) in grams.into_iter().enumerate() {
                    if i > 0 {
                        q.push(" INTERSECT ");
                    }
                    q.push("SELECT order_id FROM order_name_grams WHERE gram = ")
                        .bind(g);
                }
                q.push(") t CROSS JOIN orders o WHERE o.id = t.order_id")
            }
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
        (
            counts,
            self.orders_statement(search, Some((page, per_page)), SUMMARY_COLUMNS),
        )
    }

    /// The orders a search finds, newest first: one page (1-based, at most 500 orders), or all.
    /// `columns`: what is read of each order (the summary's, or more).
    fn orders_statement<'q>(
        &self,
        search: &'q OrderSearch,
        page: Option<(u32, u32)>,
        columns: &str,
    ) -> Statement<'q> {
        // The page's ids first (the index alone), then their columns: the columns' work (the
        // missing-name count) is done for one page, not for every row a deep page skips.
        const ORDER: &str = " ORDER BY o.ordered_at DESC, o.mall_order_number DESC";
        let mut q = Statement::new(
            self.backend,
            &format!("SELECT {columns} FROM orders o WHERE o.id IN (SELECT o.id"),
        );
        search.from(&mut q);
        if let Some(status) = search.status {
            q.push(" AND o.status = ").bind(status.id());
        }
        search.narrow(&mut q);
        if let Some((page, per_page)) = page {
            let per_page = per_page.clamp(1, 500);
            let offset = i64::from(page.max(1) - 1) * i64::from(per_page);
            q.push(ORDER)
                .push(" LIMIT ")
                .bind(i64::from(per_page))
                .push(" OFFSET ")
                .bind(offset);
        }
        q.push(")").push(ORDER);
        q
    }

    /// Every order `search` finds, newest first, with what the CSV for people shows beyond the
    /// summary: the mall's status and its words, every fee and discount by its label, the
    /// mall's marks. One query, no counts, no pages.
    pub async fn search_all_shown(
        &self,
        search: &OrderSearch,
    ) -> Result<Vec<(OrderSummary, ShownMoney)>, StoreError> {
        let columns = format!("{SUMMARY_COLUMNS}, {SHOWN_COLUMNS}");
        let (sql, args) = self.orders_statement(search, None, &columns).build()?;
        let mut out = Vec::new();
        for r in sqlx::query_with(&sql, args).fetch_all(&self.pool).await? {
            let s = summary(&r)?;
            let number = s.mall_order_number.clone();
            let amounts = crate::model::Amounts {
                items_total: r.try_get("items_total")?,
                shipping_fee: r.try_get("shipping_fee")?,
                cod_fee: r.try_get("cod_fee")?,
                points_used: r.try_get("points_used")?,
                coupon_discount: r.try_get("coupon_discount")?,
                billing_total: s.billing_total,
            };
            let fees: Vec<crate::model::Fee> = from_json(&r, "fees_json", &number)?;
            let discounts: Vec<crate::model::Discount> = from_json(&r, "discounts_json", &number)?;
            let marks: Vec<crate::model::OrderMark> = from_json(&r, "marks_json", &number)?;
            let (fees, discounts) = amounts.lists_or(fees, discounts);
            out.push((
                s,
                ShownMoney {
                    mall_status: r.try_get("mall_status")?,
                    mall_status_words: r.try_get("mall_status_words")?,
                    items_total: amounts.items_total,
                    fees,
                    discounts,
                    marks,
                },
            ));
        }
        Ok(out)
    }

    /// Every order `search` finds, newest first (the console's CSV download): one query, no
    /// counts, no pages.
    pub async fn search_all(&self, search: &OrderSearch) -> Result<Vec<OrderSummary>, StoreError> {
        let (sql, args) = self
            .orders_statement(search, None, SUMMARY_COLUMNS)
            .build()?;
        sqlx::query_with(&sql, args)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(summary)
            .collect()
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
            OrderSearch {
                buyer: Some("やまだ".into()),
                ..OrderSearch::default()
            },
            OrderSearch {
                buyer: Some("090-1234-5678".into()),
                ..OrderSearch::default()
            },
            OrderSearch {
                buyer: Some("5678".into()),
                ..OrderSearch::default()
            },
            OrderSearch {
                unshipped: true,
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
    fn a_name_is_looked_up_by_its_pairs_of_characters() {
        let g = name_grams("山田　太郎");
        assert_eq!(g.into_iter().collect::<Vec<_>>(), ["太郎", "山田", "田太"]);
        assert!(name_grams("山").is_empty() && name_grams(" ").is_empty());
    }

    /// The order numbers `search` finds (its first page), sorted.
    async fn numbers(store: Store, search: OrderSearch) -> Vec<String> {
        let mut v: Vec<String> = store
            .search_orders(&search, 1, 50)
            .await
            .unwrap()
            .orders
            .into_iter()
            .map(|o| o.mall_order_number)
            .collect();
        v.sort();
        v
    }

    #[tokio::test]
    async fn part_of_a_name_finds_its_orders_and_only_them() {
        use crate::model::{Order, TakeState};
        use crate::store::{NewOrder, WhenStored};
        let t = crate::store::testing::fresh().await;
        let base = crate::model::testing::bare_order("");
        let ordered_at = chrono::DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let names = ["山田 太郎", "小山田 花子", "田山 一", "Yamada 50%"];
        let orders: Vec<Order> = names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let mut o = base.clone();
                o.mall_order_number = format!("N{i}");
                o.ordered_at = ordered_at;
                o.buyer.name = (*n).into();
                o
            })
            .collect();
        let news: Vec<NewOrder<'_>> = orders
            .iter()
            .map(|o| NewOrder {
                order: o,
                status: OrderStatus::New,
                hold_reason: None,
            })
            .collect();
        t.store
            .store_orders(
                "s",
                "m",
                &news,
                TakeState::Taken,
                WhenStored::Leave,
                chrono::Utc::now(),
            )
            .await
            .unwrap();
        let found = |q: &str| {
            let search = OrderSearch {
                buyer: Some(q.into()),
                ..OrderSearch::default()
            };
            numbers(t.store.clone(), search)
        };
        assert_eq!(found("山田").await, ["N0", "N1"]);
        assert_eq!(
            found("田 太").await,
            ["N0"],
            "the space is part of what is asked"
        );
        assert_eq!(found("花子").await, ["N1"]);
        assert_eq!(found("田山").await, ["N2"]);
        assert_eq!(
            found("山").await,
            ["N0", "N1", "N2"],
            "one character: every name with it"
        );
        assert_eq!(found("50%").await, ["N3"], "wildcards are literal");
        assert_eq!(found("山田太郎").await, ["N0"], "spaces are ignored");
        assert_eq!(found("山田\u{3000}太郎").await, ["N0"], "full-width too");
        assert_eq!(found("山田花").await, ["N1"]);
        assert!(found("山田次").await.is_empty());
        let search = OrderSearch {
            buyer: Some("山田".into()),
            ..OrderSearch::default()
        };
        let all: Vec<String> = t
            .store
            .search_all(&search)
            .await
            .unwrap()
            .into_iter()
            .map(|o| o.mall_order_number)
            .collect();
        assert_eq!(
            all,
            ["N1", "N0"],
            "every match, newest first (same instant: by number)"
        );
    }

    #[tokio::test]
    async fn kana_and_phone_numbers_find_their_orders_and_unshipped_leaves_out_the_shipped() {
        use crate::model::{Order, TakeState};
        use crate::store::{NewOrder, WhenStored};
        let t = crate::store::testing::fresh().await;
        let order = |n: &str, name: &str, kana: &str, phone: &str, to_phone: &str| -> Order {
            use crate::model::testing::{bare_delivery, bare_order};
            let mut o = bare_order(n);
            o.buyer.name = name.into();
            o.buyer.name_kana = kana.into();
            o.buyer.phone = phone.into();
            let to = crate::model::Address {
                name: "受取 人".into(),
                phone: to_phone.into(),
                ..crate::model::Address::default()
            };
            o.deliveries.push(bare_delivery(1, to));
            o
        };
        let orders = [
            order(
                "K0",
                "山田 太郎",
                "ヤマダ タロウ",
                "090-1234-5678",
                "03-1111-2222",
            ),
            order(
                "K1",
                "小林 花子",
                "コバヤシ ハナコ",
                "０８０－９９９９－５６７８",
                "",
            ),
            order("K2", "佐藤 一", "", "", "06 3333 4444"),
        ];
        let news: Vec<NewOrder<'_>> = orders
            .iter()
            .zip([OrderStatus::New, OrderStatus::Shipped, OrderStatus::OnHold])
            .map(|(o, status)| NewOrder {
                order: o,
                status,
                hold_reason: None,
            })
            .collect();
        let now = chrono::Utc::now();
        t.store
            .store_orders("s", "m", &news, TakeState::Taken, WhenStored::Leave, now)
            .await
            .unwrap();
        let found = |q: &str, unshipped: bool| {
            let search = OrderSearch {
                buyer: (!q.is_empty()).then(|| q.to_string()),
                unshipped,
                ..OrderSearch::default()
            };
            numbers(t.store.clone(), search)
        };
        assert_eq!(found("ヤマダ", false).await, ["K0"], "kana");
        assert_eq!(
            found("やまだたろう", false).await,
            ["K0"],
            "hiragana as katakana"
        );
        assert_eq!(found("ハナコ", false).await, ["K1"]);
        assert_eq!(
            found("09012345678", false).await,
            ["K0"],
            "the whole number"
        );
        assert_eq!(found("090-1234-5678", false).await, ["K0"], "hyphens");
        assert_eq!(
            found("5678", false).await,
            ["K0", "K1"],
            "the last four digits"
        );
        assert_eq!(
            found("０８０９９９９５６７８", false).await,
            ["K1"],
            "full-width"
        );
        assert_eq!(
            found("03-1111-2222", false).await,
            ["K0"],
            "a recipient's phone"
        );
        assert_eq!(found("4444", false).await, ["K2"]);
        assert!(found("1234", false).await.is_empty(), "not a number's tail");
        assert_eq!(
            found("", true).await,
            ["K0", "K2"],
            "未出荷: not the shipped one"
        );
        assert_eq!(found("5678", true).await, ["K0"]);
        let page = t
            .store
            .search_orders(
                &OrderSearch {
                    unshipped: true,
                    ..OrderSearch::default()
                },
                1,
                50,
            )
            .await
            .unwrap();
        assert_eq!(page.total, 2);
    }

    #[test]
    fn a_name_pattern_takes_wildcards_literally() {
        assert_eq!(contains_pattern("山田"), "%山田%");
        assert_eq!(contains_pattern("50%_a\\"), "%50\\%\\_a\\\\%");
    }
}
