//! What must hold of every order, whichever plugin and contract version gave it, checked once at
//! the contract seam before the host uses the order: at least one delivery; identifiers without
//! control characters; every number in its range (a quantity of at least one, prices and fees
//! not negative, a tax rate Japan has: 0, 8 or 10 %); instants between 2000 and a day from now;
//! and the money adding up — the items total is the lines' price × quantity, the billing total
//! the items total plus every fee minus every discount, all computed with checked arithmetic (a
//! sum that overflows is refused, never wrapped).

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};

use super::Order;

/// Why an order a plugin gave cannot be used: the field at fault and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}`: {message}")]
pub struct OrderProblem {
    /// The field, as the contract names it (`billing-total`, `deliveries[1].lines[0].quantity`).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

fn problem(field: impl Into<String>, message: impl Into<String>) -> OrderProblem {
    OrderProblem {
        field: field.into(),
        message: message.into(),
    }
}

/// The tax rates (percent) an order line may carry: Japan's consumption tax, its reduced rate
/// and none.
pub const TAX_RATES: [u8; 3] = [0, 8, 10];

/// Longest order number, item or SKU code kept, in bytes.
pub const MAX_CODE: usize = 128;

/// The sum of `amounts`, or `None` when it overflows.
fn sum(amounts: impl IntoIterator<Item = i64>) -> Option<i64> {
    amounts
        .into_iter()
        .try_fold(0i64, |acc, a| acc.checked_add(a))
}

/// An identifier (order number, item code) is printable and of a sane length.
fn code(field: &str, value: &str, required: bool) -> Result<(), OrderProblem> {
    if required && value.is_empty() {
        return Err(problem(field, "is empty"));
    }
    if value.len() > MAX_CODE {
        return Err(problem(
            field,
            format!("is {} bytes; at most {MAX_CODE}", value.len()),
        ));
    }
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(problem(
            field,
            format!(
                "holds the control character {:?}; an identifier is printable",
                c.escape_debug().to_string()
            ),
        ));
    }
    Ok(())
}

/// The earliest instant an order may carry.
fn earliest() -> DateTime<Utc> {
    DateTime::from_timestamp(946_684_800, 0).unwrap_or_default() // 2000-01-01T00:00:00Z
}

fn instant(field: &str, at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), OrderProblem> {
    let latest = now + TimeDelta::days(1);
    if at < earliest() || at > latest {
        return Err(problem(
            field,
            format!("{at} is not between 2000-01-01 and a day from now ({latest})"),
        ));
    }
    Ok(())
}

impl Order {
    /// Checks what must hold of every order (see the module's purpose), `now` being the host's
    /// clock.
    ///
    /// ```
    /// # use mallhost::model::Order;
    /// # fn check(mut order: Order, now: chrono::DateTime<chrono::Utc>) {
    /// order.amounts.billing_total += 1;
    /// let e = order.check(now).unwrap_err();
    /// assert_eq!(e.field, "billing-total");
    /// # }
    /// ```
    pub fn check(&self, now: DateTime<Utc>) -> Result<(), OrderProblem> {
        code("mall-order-number", &self.mall_order_number, true)?;
        if self.deliveries.is_empty() {
            return Err(problem(
                "deliveries",
                "an order needs at least one delivery",
            ));
        }
        instant("ordered-at", self.ordered_at, now)?;
        instant("mall-updated-at", self.mall_updated_at, now)?;
        let mut lines_total = 0i64;
        for (d, delivery) in self.deliveries.iter().enumerate() {
            if let Some(date) = delivery.desired_date {
                let last = now.date_naive().with_year(now.year() + 2);
                let first = NaiveDate::from_ymd_opt(2000, 1, 1);
                if first.is_some_and(|f| date < f) || last.is_some_and(|l| date > l) {
                    return Err(problem(
                        format!("deliveries[{d}].desired-date"),
                        format!("{date} is not between 2000 and two years from now"),
                    ));
                }
            }
            for (l, line) in delivery.lines.iter().enumerate() {
                let field = |name: &str| format!("deliveries[{d}].lines[{l}].{name}");
                code(&field("item-code"), &line.item_code, false)?;
                code(&field("sku-code"), &line.sku_code, false)?;
                if line.quantity == 0 {
                    return Err(problem(
                        field("quantity"),
                        "is 0; a line holds at least one",
                    ));
                }
                if line.unit_price < 0 {
                    return Err(problem(
                        field("unit-price"),
                        format!(
                            "{} yen is negative; a discount is a discount",
                            line.unit_price
                        ),
                    ));
                }
                if !TAX_RATES.contains(&line.tax_rate) {
                    return Err(problem(
                        field("tax-rate"),
                        format!(
                            "{} % is not a rate of Japan's consumption tax (0, 8, 10)",
                            line.tax_rate
                        ),
                    ));
                }
                lines_total = line
                    .unit_price
                    .checked_mul(i64::from(line.quantity))
                    .and_then(|amount| lines_total.checked_add(amount))
                    .ok_or_else(|| {
                        problem(
                            field("unit-price"),
                            "the lines add up past any amount of yen",
                        )
                    })?;
            }
        }
        for (i, fee) in self.fees.iter().enumerate() {
            if fee.amount < 0 {
                return Err(problem(
                    format!("fees[{i}].amount"),
                    format!(
                        "{} yen is negative; a fee taken off is a discount",
                        fee.amount
                    ),
                ));
            }
        }
        for (i, discount) in self.discounts.iter().enumerate() {
            if discount.amount < 0 {
                return Err(problem(
                    format!("discounts[{i}].amount"),
                    format!(
                        "{} yen is negative; a discount added is a fee",
                        discount.amount
                    ),
                ));
            }
        }
        let items = self.amounts.items_total;
        if items != lines_total {
            return Err(problem(
                "items-total",
                format!("{items} is not the lines' price × quantity ({lines_total})"),
            ));
        }
        let fees = sum(self.fees.iter().map(|f| f.amount))
            .ok_or_else(|| problem("fees", "the fees add up past any amount of yen"))?;
        let discounts = sum(self.discounts.iter().map(|d| d.amount))
            .ok_or_else(|| problem("discounts", "the discounts add up past any amount of yen"))?;
        let expected = items
            .checked_add(fees)
            .and_then(|t| t.checked_sub(discounts))
            .ok_or_else(|| {
                problem(
                    "billing-total",
                    format!(
                        "the items {items} + fees {fees} − discounts {discounts} is past any \
                         amount of yen"
                    ),
                )
            })?;
        if expected != self.amounts.billing_total {
            return Err(problem(
                "billing-total",
                format!(
                    "{} is not the items {items} + fees {fees} − discounts {discounts}",
                    self.amounts.billing_total
                ),
            ));
        }
        if expected < 0 {
            return Err(problem(
                "billing-total",
                format!("{expected} yen is negative: the discounts exceed the items and fees"),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use chrono::{DateTime, Utc};

    pub(crate) fn order() -> Order {
        let address = Address {
            name: "山田 太郎".into(),
            ..Address::default()
        };
        let fees = vec![Fee {
            kind: FeeKind::Shipping,
            label: "送料".into(),
            amount: 500,
        }];
        let discounts = vec![Discount {
            kind: DiscountKind::Points,
            label: "ポイント".into(),
            amount: 100,
        }];
        Order {
            mall_order_number: "X1".into(),
            ordered_at: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default(),
            mall_updated_at: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default(),
            mall_status: "new".into(),
            payment_method: "card".into(),
            buyer: address.clone(),
            deliveries: vec![Delivery {
                delivery_no: 1,
                mall_delivery_id: None,
                recipient: address,
                delivery_method: "宅配便".into(),
                carrier: None,
                desired_date: None,
                desired_time_slot: String::new(),
                time_slot: None,
                lines: vec![OrderLine {
                    line_no: 1,
                    item_code: "I".into(),
                    sku_code: "S".into(),
                    quantity: 2,
                    unit_price: 1000,
                    tax_rate: 10,
                    has_add_on_service: false,
                    product_name: None,
                    option_text: None,
                    jan: None,
                }],
                gift_message: None,
            }],
            amounts: Amounts::summarize(2000, &fees, &discounts, 2400),
            fees,
            discounts,
            prices_include_tax: true,
            buyer_email: None,
            buyer_note: String::new(),
            flags: OrderFlags::default(),
            marks: Vec::new(),
            source: OrderSource::Api,
            hold: None,
            payment: crate::model::PaymentState::Paid,
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
    }

    #[test]
    fn an_order_whose_money_adds_up_passes() {
        assert_eq!(order().check(now()), Ok(()));
    }

    #[test]
    fn a_billing_total_that_does_not_add_up_names_the_sum() {
        let mut o = order();
        o.amounts.billing_total = 2500;
        let e = o.check(now()).unwrap_err();
        assert_eq!(e.field, "billing-total");
        assert!(
            e.message.contains("items 2000 + fees 500 − discounts 100"),
            "{e}"
        );
    }

    #[test]
    fn fees_that_would_wrap_are_refused_not_wrapped() {
        let mut o = order();
        o.fees = [i64::MAX, i64::MAX, 2]
            .into_iter()
            .map(|amount| Fee {
                kind: FeeKind::Other,
                label: "x".into(),
                amount,
            })
            .collect();
        // Wrapping, the sum would be 0 and a billing total of 2000 − 100 would pass.
        o.amounts.billing_total = 1900;
        assert_eq!(o.check(now()).unwrap_err().field, "fees");
        let mut o = order();
        o.fees[0].amount = i64::MAX;
        assert_eq!(o.check(now()).unwrap_err().field, "billing-total");
    }

    #[test]
    fn an_order_without_a_delivery_is_refused() {
        let mut o = order();
        o.deliveries.clear();
        assert_eq!(o.check(now()).unwrap_err().field, "deliveries");
    }

    /// The field the check names for an order changed by `change`.
    fn refused(change: impl FnOnce(&mut Order)) -> String {
        let mut o = order();
        change(&mut o);
        o.check(now())
            .map_or_else(|e| e.field, |()| "passed".into())
    }

    fn line(o: &mut Order) -> &mut OrderLine {
        &mut o.deliveries[0].lines[0]
    }

    #[test]
    fn a_quantity_of_zero_is_refused() {
        let f = refused(|o| {
            line(o).quantity = 0;
            o.amounts.items_total = 0;
            o.amounts.billing_total = 400;
        });
        assert_eq!(f, "deliveries[0].lines[0].quantity");
    }

    #[test]
    fn a_negative_price_is_refused() {
        let f = refused(|o| {
            line(o).unit_price = -1000;
            o.amounts.items_total = -2000;
            o.amounts.billing_total = -1600;
        });
        assert_eq!(f, "deliveries[0].lines[0].unit-price");
    }

    #[test]
    fn a_tax_rate_japan_does_not_have_is_refused() {
        assert_eq!(
            refused(|o| line(o).tax_rate = 99),
            "deliveries[0].lines[0].tax-rate"
        );
        assert_eq!(refused(|o| line(o).tax_rate = 8), "passed");
        assert_eq!(refused(|o| line(o).tax_rate = 0), "passed");
    }

    #[test]
    fn an_items_total_the_lines_do_not_make_is_refused() {
        let f = refused(|o| {
            o.amounts.items_total = 5000;
            o.amounts.billing_total = 5400;
        });
        assert_eq!(f, "items-total");
    }

    #[test]
    fn lines_that_would_wrap_are_refused() {
        let f = refused(|o| {
            line(o).unit_price = i64::MAX / 2 + 1;
        });
        assert_eq!(f, "deliveries[0].lines[0].unit-price");
    }

    #[test]
    fn negative_fees_and_discounts_are_refused() {
        assert_eq!(
            refused(|o| {
                o.fees[0].amount = -500;
                o.amounts.billing_total = 1400;
            }),
            "fees[0].amount"
        );
        assert_eq!(
            refused(|o| {
                o.discounts[0].amount = -100;
                o.amounts.billing_total = 2600;
            }),
            "discounts[0].amount"
        );
    }

    #[test]
    fn a_negative_billing_total_is_refused() {
        let f = refused(|o| {
            o.discounts[0].amount = 5000;
            o.amounts.billing_total = 2000 + 500 - 5000;
        });
        assert_eq!(f, "billing-total");
    }

    #[test]
    fn instants_outside_2000_to_tomorrow_are_refused() {
        let year_9999 = DateTime::from_timestamp(253_402_214_400, 0).unwrap_or_default();
        assert_eq!(refused(|o| o.ordered_at = year_9999), "ordered-at");
        assert_eq!(
            refused(|o| o.mall_updated_at = DateTime::UNIX_EPOCH),
            "mall-updated-at"
        );
        assert_eq!(
            refused(|o| o.ordered_at = now() + chrono::TimeDelta::hours(23)),
            "passed"
        );
        let far = chrono::NaiveDate::from_ymd_opt(9999, 1, 1);
        assert_eq!(
            refused(|o| o.deliveries[0].desired_date = far),
            "deliveries[0].desired-date"
        );
    }

    #[test]
    fn control_characters_in_identifiers_are_refused() {
        assert_eq!(
            refused(|o| o.mall_order_number = "X1\x1b[2J".into()),
            "mall-order-number"
        );
        assert_eq!(
            refused(|o| line(o).item_code = "I\nforged".into()),
            "deliveries[0].lines[0].item-code"
        );
        assert_eq!(
            refused(|o| o.mall_order_number = String::new()),
            "mall-order-number"
        );
        // Names and notes may hold anything: they are escaped where they are shown.
        assert_eq!(refused(|o| o.buyer_note = "bell\x07".into()), "passed");
    }
}
