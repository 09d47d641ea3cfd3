//! The host's own key: 32 random bytes in a file only its owner may read (`secrets_key_file`,
//! default `mallhost.key` beside the config), created when first needed. It seals the secrets
//! the host keeps (rotated OAuth refresh tokens) and signs the compiled-plugin cache, so a file
//! someone else put in the cache is never run. Back it up with the database.

use std::path::Path;

use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::{KeyInit, OsRng};
use sha2::{Digest, Sha256};

/// The key at `path`, created (mode 0600) if there is none.
pub fn load_or_create(path: &Path) -> Result<[u8; 32], String> {
    let shown = path.display();
    match std::fs::read(path) {
        Ok(bytes) => bytes
            .try_into()
            .map_err(|_| format!("the key file {shown} is not a 32-byte key")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = random();
            match write_private(path, &key) {
                Ok(()) => Ok(key),
                // Another process created it meanwhile: use theirs.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => std::fs::read(path)
                    .map_err(|e| format!("cannot read the key file {shown}: {e}"))?
                    .try_into()
                    .map_err(|_| format!("the key file {shown} is not a 32-byte key")),
                Err(e) => Err(format!("cannot create the key file {shown}: {e}")),
            }
        }
        Err(e) => Err(format!("cannot read the key file {shown}: {e}")),
    }
}

/// 32 random bytes from the operating system.
pub fn random() -> [u8; 32] {
    XChaCha20Poly1305::generate_key(&mut OsRng).into()
}

/// HMAC-SHA256 of `parts` under `key` (RFC 2104).
pub fn mac(key: &[u8; 32], parts: &[&[u8]]) -> [u8; 32] {
    let mut block = [0u8; 64];
    block[..32].copy_from_slice(key);
    let pad = |b: u8| block.map(|k| k ^ b);
    let mut inner = Sha256::new();
    inner.update(pad(0x36));
    for p in parts {
        inner.update((p.len() as u64).to_be_bytes());
        inner.update(p);
    }
    let mut outer = Sha256::new();
    outer.update(pad(0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// Writes a new file only its owner may read.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_made_once_private_and_macs_depend_on_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k");
        let a = load_or_create(&p).unwrap();
        assert_eq!(load_or_create(&p).unwrap(), a, "made once");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{mode:o}");
        }
        let b = random();
        assert_ne!(mac(&a, &[b"x"]), mac(&b, &[b"x"]));
        assert_ne!(
            mac(&a, &[b"ab", b"c"]),
            mac(&a, &[b"a", b"bc"]),
            "parts are delimited"
        );
        std::fs::write(dir.path().join("short"), b"123").unwrap();
        assert!(load_or_create(&dir.path().join("short")).is_err());
    }
}
