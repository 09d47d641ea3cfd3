//! Money as the contract carries it, integer yen: fee and discount lists built from a mall's
//! amounts (zero amounts left out), and sums that refuse to overflow instead of wrapping.
//!
//! ```
//! use connector_kit::money::{billing_total, fees};
//! use connector_kit::types::FeeKind;
//! let f = fees(&[(FeeKind::Shipping, "送料", 500), (FeeKind::Cod, "代引手数料", 0)]);
//! assert_eq!(f.len(), 1);
//! assert_eq!(billing_total(2000, &f, &[]), Some(2500));
//! ```

use super::types::{Discount, DiscountKind, Fee, FeeKind, OrderLine};

/// The fees with a non-zero amount, from `(kind, label, amount)`.
pub fn fees(list: &[(FeeKind, &str, i64)]) -> Vec<Fee> {
    list.iter()
        .filter(|(_, _, amount)| *amount != 0)
        .map(|(kind, label, amount)| Fee {
            kind: *kind,
            label: (*label).into(),
            amount: *amount,
        })
        .collect()
}

/// The discounts with a non-zero amount, from `(kind, label, amount)`.
pub fn discounts(list: &[(DiscountKind, &str, i64)]) -> Vec<Discount> {
    list.iter()
        .filter(|(_, _, amount)| *amount != 0)
        .map(|(kind, label, amount)| Discount {
            kind: *kind,
            label: (*label).into(),
            amount: *amount,
        })
        .collect()
}

/// A sum, or `None` when it overflows.
pub fn sum(amounts: impl IntoIterator<Item = i64>) -> Option<i64> {
    amounts.into_iter().try_fold(0i64, i64::checked_add)
}

/// Σ quantity × unit price over lines, or `None` when it overflows.
pub fn lines_total<'a>(lines: impl IntoIterator<Item = &'a OrderLine>) -> Option<i64> {
    lines.into_iter().try_fold(0i64, |acc, l| {
        l.unit_price
            .checked_mul(i64::from(l.quantity))
            .and_then(|v| acc.checked_add(v))
    })
}

/// Items plus fees minus discounts, or `None` when a sum overflows.
pub fn billing_total(items: i64, fees: &[Fee], discounts: &[Discount]) -> Option<i64> {
    let f = sum(fees.iter().map(|f| f.amount))?;
    let d = sum(discounts.iter().map(|d| d.amount))?;
    items.checked_add(f)?.checked_sub(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_that_would_wrap_are_none() {
        assert_eq!(sum([i64::MAX, 1]), None);
        assert_eq!(sum([1, 2, 3]), Some(6));
        let big = fees(&[
            (FeeKind::Other, "a", i64::MAX),
            (FeeKind::Other, "b", i64::MAX),
        ]);
        assert_eq!(billing_total(0, &big, &[]), None);
        let off = discounts(&[(DiscountKind::Points, "p", 100)]);
        assert_eq!(billing_total(1000, &[], &off), Some(900));
    }

    #[test]
    fn lines_multiply_and_add_without_wrapping() {
        let line = super::super::test_line;
        assert_eq!(lines_total(&[line(2, 1000), line(1, 500)]), Some(2500));
        assert_eq!(lines_total(&[line(u32::MAX, i64::MAX)]), None);
    }
}
