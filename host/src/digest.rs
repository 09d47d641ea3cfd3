//! SHA-256 digests as lower-case hex: a component's identity (manifests, the plugin index, the
//! compiled cache) and the stored form of secrets the host only compares (API tokens, session
//! cookies).

use sha2::{Digest, Sha256};

/// Hex sha256 of bytes.
///
/// ```
/// assert_eq!(
///     mallhost::digest::sha256_hex(b"abc"),
///     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/// );
/// ```
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_lower_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
