//! Tracking numbers (伝票番号): the carriers' own check-digit rule, and dummy numbers for mail
//! that has none (定形外 and the like), which a mall still requires.

use chrono::NaiveDate;

use crate::config::ShopConfig;
use crate::store::ShippingUpdate;

/// Carriers (the merchant's ids) whose tracking numbers carry the mod-7 check digit: 12 digits,
/// the last equal to the first 11 read as a number, modulo 7 (ヤマト運輸, 佐川急便, 日本郵便).
pub const CHECK_DIGIT_CARRIERS: [&str; 3] = ["yamato", "sagawa", "japanpost"];

/// Why a tracking number is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum TrackingError {
    /// Empty.
    #[error(
        "the tracking number (伝票番号) is empty; for untracked mail set a dummy number with --dummy"
    )]
    Empty,
    /// Not 12 digits, for a carrier whose numbers are.
    #[error("{carrier} tracking numbers are 12 digits; {number:?} is not")]
    Shape {
        /// Carrier.
        carrier: String,
        /// The number.
        number: String,
    },
    /// The check digit does not match.
    #[error(
        "{number:?} fails {carrier}'s check digit (the last digit should be {expected}); check for a typo"
    )]
    CheckDigit {
        /// Carrier.
        carrier: String,
        /// The number.
        number: String,
        /// The digit it should end with.
        expected: u64,
    },
    /// Characters a mall does not accept.
    #[error("{number:?} may only hold letters, digits and '-', at most 30 of them")]
    Characters {
        /// The number.
        number: String,
    },
}

/// Whether `carrier` uses the check digit.
pub fn has_check_digit(carrier: &str) -> bool {
    CHECK_DIGIT_CARRIERS.contains(&carrier)
}

/// The check digit of an 11-digit body.
fn check_digit(body: u64) -> u64 {
    body % 7
}

/// Validates a tracking number for a carrier.
pub fn validate(carrier: &str, number: &str) -> Result<(), TrackingError> {
    let number = number.trim();
    if number.is_empty() {
        return Err(TrackingError::Empty);
    }
    if has_check_digit(carrier) {
        let digits = number.replace('-', "");
        if digits.len() != 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TrackingError::Shape {
                carrier: carrier.into(),
                number: number.into(),
            });
        }
        let (body, last) = digits.split_at(11);
        let (body, last): (u64, u64) = match (body.parse(), last.parse()) {
            (Ok(b), Ok(l)) => (b, l),
            _ => {
                return Err(TrackingError::Shape {
                    carrier: carrier.into(),
                    number: number.into(),
                });
            }
        };
        if check_digit(body) != last {
            return Err(TrackingError::CheckDigit {
                carrier: carrier.into(),
                number: number.into(),
                expected: check_digit(body),
            });
        }
        return Ok(());
    }
    if number.len() > 30
        || !number
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(TrackingError::Characters {
            number: number.into(),
        });
    }
    Ok(())
}

/// Normalises a valid number: check-digit carriers' numbers without hyphens.
pub fn normalise(carrier: &str, number: &str) -> String {
    let number = number.trim();
    if has_check_digit(carrier) {
        number.replace('-', "")
    } else {
        number.to_string()
    }
}

/// A dummy number for an order (stable for the same order): valid for the carrier's rule, so a
/// mall that checks it accepts it.
pub fn dummy_number(carrier: &str, order_number: &str) -> String {
    if has_check_digit(carrier) {
        // 11 digits from the order number's digits (FNV-1a over its bytes when it has too few).
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in order_number.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        let body = 90_000_000_000 + h % 10_000_000_000;
        format!("{body:011}{}", check_digit(body))
    } else {
        let clean: String = order_number
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        let mut s = format!("DUMMY-{clean}");
        s.truncate(30);
        s
    }
}

/// Why shipping data cannot be set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ShippingError {
    /// The carrier has no mall id.
    #[error(
        "shop {shop:?} has no carrier id for {carrier:?} (配送業者ID設定); known carriers: {known}; add it under [shops.carrier_ids] in the config file"
    )]
    UnknownCarrier {
        /// Shop.
        shop: String,
        /// Carrier.
        carrier: String,
        /// Carriers it knows.
        known: String,
    },
    /// Neither a tracking number nor `--dummy`.
    #[error(
        "a tracking number (伝票番号) is required; for untracked mail such as 定形外 use --dummy"
    )]
    NoTracking,
    /// The tracking number breaks the carrier's rule.
    #[error(transparent)]
    Tracking(#[from] TrackingError),
}

/// Checks shipping data staff enter (by hand or from a CSV) and turns it into the update to
/// store: the carrier must have the mall's id, the tracking number must meet the carrier's rule,
/// and a dummy number is made only when asked for (`dummy` without a number; `dummy` with a
/// number records that number as a dummy).
pub fn shipping_update(
    shop: &ShopConfig,
    order_number: &str,
    carrier: &str,
    tracking: Option<&str>,
    dummy: bool,
    ship_date: NaiveDate,
    delivery: Option<u32>,
) -> Result<ShippingUpdate, ShippingError> {
    if !shop.carrier_ids.contains_key(carrier) {
        let known: Vec<_> = shop.carrier_ids.keys().map(String::as_str).collect();
        return Err(ShippingError::UnknownCarrier {
            shop: shop.id.clone(),
            carrier: carrier.into(),
            known: if known.is_empty() {
                "none".into()
            } else {
                known.join(", ")
            },
        });
    }
    let tracking = tracking.map(str::trim).filter(|t| !t.is_empty());
    let number = match (tracking, dummy) {
        (None, false) => return Err(ShippingError::NoTracking),
        (None, true) => dummy_number(carrier, order_number),
        (Some(t), _) => {
            validate(carrier, t)?;
            normalise(carrier, t)
        }
    };
    Ok(ShippingUpdate {
        carrier: carrier.into(),
        tracking: number,
        dummy,
        ship_date,
        delivery,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digit_carriers_need_twelve_digits_with_the_right_last_one() {
        assert_eq!(validate("yamato", "123456789013"), Ok(()));
        assert_eq!(
            validate("sagawa", "1234-5678-9013"),
            Ok(()),
            "hyphens as printed on labels"
        );
        assert!(matches!(
            validate("japanpost", "123456789012"),
            Err(TrackingError::CheckDigit { expected: 3, .. })
        ));
        assert!(matches!(
            validate("yamato", "12345678901"),
            Err(TrackingError::Shape { .. })
        ));
        assert!(matches!(
            validate("yamato", "ABCDEFGHIJKL"),
            Err(TrackingError::Shape { .. })
        ));
        assert_eq!(validate("yamato", " "), Err(TrackingError::Empty));
        assert_eq!(normalise("sagawa", "1234-5678-9013"), "123456789013");
    }

    #[test]
    fn other_carriers_take_short_alphanumeric_numbers() {
        assert_eq!(validate("seino", "AB-123"), Ok(()));
        assert!(matches!(
            validate("seino", "番号"),
            Err(TrackingError::Characters { .. })
        ));
        assert!(matches!(
            validate("seino", &"1".repeat(31)),
            Err(TrackingError::Characters { .. })
        ));
    }

    #[test]
    fn dummies_pass_the_rules_and_are_stable() {
        for carrier in ["yamato", "japanpost", "other"] {
            let d = dummy_number(carrier, "DS2611280000123");
            assert_eq!(validate(carrier, &d), Ok(()), "{carrier}: {d}");
            assert_eq!(d, dummy_number(carrier, "DS2611280000123"));
        }
        assert_ne!(dummy_number("yamato", "A1"), dummy_number("yamato", "A2"));
        assert_eq!(dummy_number("other", "DS1"), "DUMMY-DS1");
    }
}
