//! What both contract versions' kits share, compiled once for each against its own types
//! (included by `v0_2_0` and `v0_3_0`).

use super::types;

/// A mall's carrier-code table from `(code, name)` pairs.
pub fn carriers(table: &[(&str, &str)]) -> Vec<types::Carrier> {
    table
        .iter()
        .map(|(id, name)| types::Carrier {
            id: (*id).into(),
            name: (*name).into(),
        })
        .collect()
}

/// One `unsupported` result per order, for an operation the mall does not offer.
pub fn unsupported_for<R>(
    numbers: Vec<String>,
    what: &str,
    result: impl Fn(String, types::ConnectorError) -> R,
) -> Vec<R> {
    numbers
        .into_iter()
        .map(|n| {
            result(
                n,
                types::ConnectorError::Unsupported(format!("this mall offers no {what}")),
            )
        })
        .collect()
}
