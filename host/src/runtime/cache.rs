//! The compiled-component cache: compiling a component with cranelift takes tens of
//! milliseconds to seconds, loading a precompiled one a fraction of that. Entries are keyed on
//! the component's sha256 and the engine's compatibility hash, so another wasmtime version or
//! configuration never reads them; a corrupt or stale entry is recompiled and replaced.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use wasmtime::Engine;
use wasmtime::component::Component;

/// A folder of precompiled components.
#[derive(Debug, Clone)]
pub struct CompiledCache {
    dir: PathBuf,
}

impl CompiledCache {
    /// A cache in `dir` (created when first written).
    pub fn new(dir: impl Into<PathBuf>) -> CompiledCache {
        CompiledCache { dir: dir.into() }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, engine: &Engine, digest: &str) -> PathBuf {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        self.dir.join(format!("{digest}-{:016x}.cwasm", h.finish()))
    }

    /// The compiled component: from the cache when it holds a usable entry (`true`), else
    /// compiled now and stored (`false`).
    pub fn load_or_compile(
        &self,
        engine: &Engine,
        bytes: &[u8],
        digest: &str,
    ) -> Result<(Component, bool), String> {
        let path = self.path(engine, digest);
        if path.exists() {
            // SAFETY: the file was written by `Component::serialize` of an engine with the same
            // compatibility hash, into a folder only this host writes; wasmtime checks the
            // header and refuses a mismatching file, which is then recompiled below.
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(c) => return Ok((c, true)),
                Err(e) => tracing::warn!(
                    "compiled cache entry {} unusable, recompiling: {e}",
                    path.display()
                ),
            }
        }
        let component = Component::new(engine, bytes)
            .map_err(|e| format!("not a valid WebAssembly component: {e:#}"))?;
        match component.serialize() {
            Ok(compiled) => {
                // A name of its own per writer: several processes may share one cache, and
                // each entry appears whole, by rename, or not at all.
                static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
                let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let tmp = path.with_extension(format!("{}-{n}.tmp", std::process::id()));
                let written = std::fs::create_dir_all(&self.dir)
                    .and_then(|()| std::fs::write(&tmp, compiled))
                    .and_then(|()| std::fs::rename(&tmp, &path));
                if let Err(e) = written {
                    tracing::warn!("cannot write compiled cache entry {}: {e}", path.display());
                }
            }
            Err(e) => tracing::warn!("cannot serialize a compiled component: {e}"),
        }
        Ok((component, false))
    }
}
