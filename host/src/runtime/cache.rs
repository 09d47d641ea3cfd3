//! The compiled-component cache: compiling a component with cranelift takes tens of
//! milliseconds to seconds, loading a precompiled one a fraction of that. Entries are keyed on
//! the component's sha256 and the engine's compatibility hash, so another wasmtime version or
//! configuration never reads them; a corrupt or stale entry is recompiled and replaced.
//!
//! **Trust.** Loading a compiled entry runs its native code, so the cache is trusted only as far
//! as the host can check it: the folder is created private (0700); each entry carries a MAC
//! (HMAC-SHA256 under the host's key, [`crate::hostkey`], kept outside the cache) over the
//! entry's bytes, the component's sha256 and the engine; an entry (or its MAC) owned by another
//! user or writable by group or others is ignored, as is one whose MAC does not verify — the
//! component is compiled again from its verified bytes and the entry replaced. The bytes that
//! were verified are the bytes deserialized (no second read).
//!
//! Entries are named by a key id too (a MAC of a fixed text, which reveals nothing of the key):
//! two configurations with keys of their own on one cache folder each keep their entries, and
//! neither replaces the other's (each compiles a component once, then loads it).

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// A folder of precompiled components.
#[derive(Debug, Clone)]
pub struct CompiledCache {
    dir: PathBuf,
    key: [u8; 32],
}

impl CompiledCache {
    /// A cache in `dir` (created when first written) under a key of this process only: its
    /// entries are trusted by this process, and by no other. Give the host's key with
    /// [`CompiledCache::with_key`] to share entries across runs and processes.
    pub fn new(dir: impl Into<PathBuf>) -> CompiledCache {
        CompiledCache {
            dir: dir.into(),
            key: crate::hostkey::random(),
        }
    }

    /// Signs and checks entries with `key` (the host's key file).
    pub fn with_key(mut self, key: [u8; 32]) -> CompiledCache {
        self.key = key;
        self
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// An id of the key, for file names: a MAC of a fixed text, so it says nothing of the key.
    fn key_id(&self) -> String {
        crate::hostkey::mac(&self.key, &[b"mallhost compiled cache key id"])
            .iter()
            .take(6)
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    fn paths(&self, engine: &Engine, digest: &str) -> (PathBuf, PathBuf, String) {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        let engine_key = format!("{:016x}", h.finish());
        let entry = self
            .dir
            .join(format!("{digest}-{engine_key}-{}.cwasm", self.key_id()));
        let mac = entry.with_extension("mac");
        (entry, mac, engine_key)
    }

    fn mac_of(&self, compiled: &[u8], digest: &str, engine_key: &str) -> String {
        let sum = Sha256::digest(compiled);
        let mac = crate::hostkey::mac(
            &self.key,
            &[
                b"mallhost compiled cache v1",
                &sum,
                digest.as_bytes(),
                engine_key.as_bytes(),
            ],
        );
        mac.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The entry's bytes, if the entry is one this host wrote: private, its own, MAC verified.
    fn trusted(&self, entry: &Path, mac: &Path, digest: &str, engine_key: &str) -> Option<Vec<u8>> {
        if !entry.exists() {
            return None;
        }
        let doubt = |why: String| {
            tracing::warn!(
                "compiled cache entry {} not used: {why}; recompiling",
                entry.display()
            );
            None
        };
        for p in [entry, mac] {
            if let Err(why) = private_file(p) {
                return doubt(why);
            }
        }
        let bytes = std::fs::read(entry).ok()?;
        let stored = std::fs::read_to_string(mac).unwrap_or_default();
        if stored.trim() != self.mac_of(&bytes, digest, engine_key) {
            return doubt("its MAC does not verify under this host's key".into());
        }
        Some(bytes)
    }

    /// The compiled component: from the cache when it holds a trusted, usable entry (`true`),
    /// else compiled now and stored (`false`).
    pub fn load_or_compile(
        &self,
        engine: &Engine,
        bytes: &[u8],
        digest: &str,
    ) -> Result<(Component, bool), String> {
        let (entry, mac, engine_key) = self.paths(engine, digest);
        if let Some(compiled) = self.trusted(&entry, &mac, digest, &engine_key) {
            // SAFETY: these bytes were written by `Component::serialize` of an engine with the
            // same compatibility hash and signed with this host's key (checked just above, on
            // these very bytes); wasmtime also checks the header and refuses a mismatching
            // file, which is then recompiled below.
            match unsafe { Component::deserialize(engine, &compiled) } {
                Ok(c) => return Ok((c, true)),
                Err(e) => tracing::warn!(
                    "compiled cache entry {} unusable, recompiling: {e}",
                    entry.display()
                ),
            }
        }
        let component = Component::new(engine, bytes)
            .map_err(|e| format!("not a valid WebAssembly component: {e:#}"))?;
        match component.serialize() {
            Ok(compiled) => {
                if let Err(e) = self.write(&entry, &mac, &compiled, digest, &engine_key) {
                    tracing::warn!("cannot write compiled cache entry {}: {e}", entry.display());
                }
            }
            Err(e) => tracing::warn!("cannot serialize a compiled component: {e}"),
        }
        Ok((component, false))
    }

    fn write(
        &self,
        entry: &Path,
        mac: &Path,
        compiled: &[u8],
        digest: &str,
        engine_key: &str,
    ) -> std::io::Result<()> {
        create_private_dir(&self.dir)?;
        // A name of its own per writer: several processes may share one cache, and each file
        // appears whole, by rename, or not at all. The MAC goes first: an entry without its
        // MAC is never trusted, a MAC without its entry is harmless.
        static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let stamp = format!("{}-{n}.tmp", std::process::id());
        let put = |path: &Path, bytes: &[u8]| {
            let tmp = path.with_extension(&stamp);
            let _ = std::fs::remove_file(&tmp);
            crate::hostkey::write_private(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path))
        };
        put(mac, self.mac_of(compiled, digest, engine_key).as_bytes())?;
        put(entry, compiled)
    }
}

/// Creates the cache folder readable by its owner only (an existing one is left as it is).
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Refuses a file owned by another user or writable by group or others.
fn private_file(path: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta =
            std::fs::symlink_metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
        if meta.file_type().is_symlink() {
            return Err(format!("{} is a symbolic link", path.display()));
        }
        if let Ok(me) = std::fs::metadata("/proc/self").map(|m| m.uid())
            && meta.uid() != me
        {
            return Err(format!("{} belongs to another user", path.display()));
        }
        if meta.mode() & 0o022 != 0 {
            return Err(format!("{} is writable by group or others", path.display()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest component there is: no imports, no exports.
    const EMPTY_COMPONENT: &[u8] = &[0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];

    #[test]
    fn two_keys_on_one_folder_each_keep_their_entries() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::default();
        let a = CompiledCache::new(dir.path()).with_key([1; 32]);
        let b = CompiledCache::new(dir.path()).with_key([2; 32]);
        let load = |c: &CompiledCache| {
            c.load_or_compile(&engine, EMPTY_COMPONENT, "d1")
                .map(|(_, cached)| cached)
                .unwrap()
        };
        assert!(!load(&a), "first load compiles");
        assert!(
            !load(&b),
            "another key cannot trust a's entry: compiles once"
        );
        assert!(load(&a), "a's entry is still a's");
        assert!(load(&b), "and b's is b's");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names.iter().filter(|n| n.ends_with(".cwasm")).count(),
            2,
            "{names:?}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn an_entry_that_is_a_link_or_another_users_or_writable_by_others_is_not_trusted() {
        use std::os::unix::fs::{PermissionsExt, symlink};
        let dir = tempfile::tempdir().unwrap();
        let mine = dir.path().join("entry");
        std::fs::write(&mine, b"compiled").unwrap();
        std::fs::set_permissions(&mine, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(private_file(&mine), Ok(()));
        // A link, even to a good entry.
        let link = dir.path().join("link");
        symlink(&mine, &link).unwrap();
        assert!(private_file(&link).unwrap_err().contains("symbolic link"));
        // Writable by others.
        std::fs::set_permissions(&mine, std::fs::Permissions::from_mode(0o646)).unwrap();
        assert!(private_file(&mine).unwrap_err().contains("writable"));
        std::fs::set_permissions(&mine, std::fs::Permissions::from_mode(0o600)).unwrap();
        // Another user's (only root may give a file away; elsewhere this part is not run).
        let owned = std::process::Command::new("chown")
            .arg("12345")
            .arg(&mine)
            .status()
            .is_ok_and(|s| s.success());
        if owned {
            assert!(private_file(&mine).unwrap_err().contains("another user"));
        }
    }
}
