//! What must hold of every order, whichever plugin and contract version gave it, checked once at
//! the contract seam before the host uses the order: at least one delivery, and the money adding
//! up — the billing total is the items total plus every fee minus every discount, computed with
//! checked arithmetic (a sum that overflows is refused, never wrapped).

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

/// The sum of `amounts`, or `None` when it overflows.
fn sum(amounts: impl IntoIterator<Item = i64>) -> Option<i64> {
    amounts
        .into_iter()
        .try_fold(0i64, |acc, a| acc.checked_add(a))
}

impl Order {
    /// Checks what must hold of every order (see the module's purpose).
    ///
    /// ```
    /// # use mallhost::model::Order;
    /// # fn check(mut order: Order) {
    /// order.amounts.billing_total += 1;
    /// let e = order.check().unwrap_err();
    /// assert_eq!(e.field, "billing-total");
    /// # }
    /// ```
    pub fn check(&self) -> Result<(), OrderProblem> {
        if self.deliveries.is_empty() {
            return Err(problem(
                "deliveries",
                "an order needs at least one delivery",
            ));
        }
        let items = self.amounts.items_total;
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
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;

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
                }],
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
        }
    }

    #[test]
    fn an_order_whose_money_adds_up_passes() {
        assert_eq!(order().check(), Ok(()));
    }

    #[test]
    fn a_billing_total_that_does_not_add_up_names_the_sum() {
        let mut o = order();
        o.amounts.billing_total = 2500;
        let e = o.check().unwrap_err();
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
        assert_eq!(o.check().unwrap_err().field, "fees");
        let mut o = order();
        o.amounts.items_total = i64::MAX;
        assert_eq!(o.check().unwrap_err().field, "billing-total");
    }

    #[test]
    fn an_order_without_a_delivery_is_refused() {
        let mut o = order();
        o.deliveries.clear();
        assert_eq!(o.check().unwrap_err().field, "deliveries");
    }
}
