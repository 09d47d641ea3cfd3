//! The plugins folder: installed components with their manifests (`MALL/VERSION-SHA8.wasm` and
//! `.toml`), an index of which one is active per mall and which were before
//! (`installed.toml`), the compiled cache (`.cache/`), and — only with `dev_loose_plugins` —
//! loose `*.wasm` files at the top, for development. `serve` watches the folder and swaps
//! plugins when the index changes.
//!
//! Nothing from a plugin or the index names a path outside the folder: mall ids and versions
//! are checked before they are used in one, index entries must be plain relative paths, and a
//! symbolic link is never followed. A loose file never replaces an installed plugin.
//!
//! With a shared index ([`PluginDir::with_shared_index`], on PostgreSQL, where host processes
//! run on several machines) the database holds each mall's active component and the ones before
//! it, by digest, and the components themselves. An install or rollback through any process is
//! written there; every process brings its folder in step before it loads and while it watches:
//! a component it lacks is fetched by digest, checked (its sha256 and its manifest's), and
//! written into the folder. A mall the database does not know yet is published from the folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{Manifest, Plugin, Runtime, RuntimeError};

/// The plugins folder.
#[derive(Debug, Clone)]
pub struct PluginDir {
    root: PathBuf,
    loose: bool,
    shared: Option<crate::store::Store>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Index {
    #[serde(default)]
    malls: BTreeMap<String, Entry>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    /// The active component, relative to the folder.
    active: String,
    /// Earlier ones, oldest first.
    #[serde(default)]
    history: Vec<String>,
}

/// One installed component of a mall, as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Installed {
    /// Its mall.
    pub mall: String,
    /// Its version (from its manifest).
    pub version: String,
    /// Its sha256 (from its manifest, checked when it was installed).
    pub sha256: String,
    /// Its file, relative to the folder.
    pub file: String,
    /// It is the active one of its mall.
    pub active: bool,
}

fn err(path: &Path, message: impl Into<String>) -> RuntimeError {
    RuntimeError::Load {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

impl PluginDir {
    /// The folder at `root`.
    pub fn new(root: impl Into<PathBuf>) -> PluginDir {
        PluginDir {
            root: root.into(),
            loose: false,
            shared: None,
        }
    }

    /// Keeps the folder in step with the plugin index in `store`, shared by every process on
    /// that database.
    pub fn with_shared_index(mut self, store: crate::store::Store) -> PluginDir {
        self.shared = Some(store);
        self
    }

    /// Also loads loose `*.wasm` files at the top of the folder (development only: they have
    /// no manifest, so no digest check and no host list of their own).
    pub fn with_loose_files(mut self, loose: bool) -> PluginDir {
        self.loose = loose;
        self
    }

    /// A plain path inside the folder for an index entry, or why it is not one.
    fn inside(&self, rel: &str) -> Result<PathBuf, RuntimeError> {
        let plain = std::path::Path::new(rel)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        let path = self.root.join(rel);
        if !plain || rel.is_empty() {
            return Err(err(
                &self.index_path(),
                format!("the index names {rel:?}, which is not a plain path inside the folder"),
            ));
        }
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(err(&path, "is a symbolic link; links are never followed"));
        }
        Ok(path)
    }

    fn index_path(&self) -> PathBuf {
        self.root.join("installed.toml")
    }

    fn read_index(&self) -> Result<Index, RuntimeError> {
        let p = self.index_path();
        match std::fs::read_to_string(&p) {
            Ok(text) => toml::from_str(&text)
                .map_err(|e| err(&p, format!("the plugin index is not valid: {e}"))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Index::default()),
            Err(e) => Err(err(&p, e.to_string())),
        }
    }

    fn write_index(&self, index: &Index) -> Result<(), RuntimeError> {
        let p = self.index_path();
        let text = toml::to_string(index).map_err(|e| err(&p, e.to_string()))?;
        let tmp = p.with_extension("tmp");
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, &p))
            .map_err(|e| err(&p, e.to_string()))
    }

    /// The files that should be active, in load order: loose `*.wasm` files first, then each
    /// mall's installed one from the index (so an installed plugin wins over a loose file of the
    /// same mall).
    pub fn active_files(&self) -> Result<Vec<PathBuf>, RuntimeError> {
        let installed = self
            .read_index()?
            .malls
            .values()
            .map(|e| self.inside(&e.active))
            .collect::<Result<Vec<PathBuf>, RuntimeError>>()?;
        let mut files = self.loose_files()?;
        files.extend(installed);
        Ok(files)
    }

    /// Loose `*.wasm` files at the top (none unless loose files are allowed), links left out.
    fn loose_files(&self) -> Result<Vec<PathBuf>, RuntimeError> {
        if !self.loose {
            return Ok(Vec::new());
        }
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.root)
            .map_err(|e| err(&self.root, e.to_string()))?
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file())) // a link is not a file here
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
            .collect();
        files.sort();
        Ok(files)
    }

    /// Something that changes whenever what should be active changes (for watching).
    pub fn fingerprint(&self) -> String {
        let index = std::fs::read_to_string(self.index_path()).unwrap_or_default();
        let files = self.active_files().unwrap_or_default();
        let stamps: Vec<String> = files
            .iter()
            .map(|f| {
                let meta = std::fs::metadata(f).ok();
                let modified = meta.as_ref().and_then(|m| m.modified().ok());
                format!("{}:{:?}:{:?}", f.display(), meta.map(|m| m.len()), modified)
            })
            .collect();
        format!("{index}\n{}", stamps.join("\n"))
    }

    /// Loads what should be active (a component already active is not reloaded), after
    /// bringing the folder in step with the shared index, if there is one (when that fails,
    /// it says so and the folder's own index is loaded). A component that does not load turns
    /// off its mall alone ([`Runtime::disable`]), with the reason; a mall the index no longer
    /// names (taken out by `plugins remove`, here or on another machine) is taken out of the
    /// runtime. Fails only when the folder itself cannot be read.
    pub async fn load(&self, runtime: &Runtime) -> Result<Vec<Arc<Plugin>>, RuntimeError> {
        if let Err(e) = self.sync_shared().await {
            tracing::warn!("the shared plugin index cannot be read; this folder's is used: {e}");
        }
        let index = self.read_index()?;
        let mut out = Vec::new();
        for f in self.loose_files()? {
            let plugin = match runtime.prepare_file(&f).await {
                Ok(p) => p,
                Err(e) => {
                    let name = f
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    runtime.disable(&name, &f, e.to_string());
                    continue;
                }
            };
            if index.malls.contains_key(&plugin.info.mall_id) {
                tracing::warn!(
                    "{} claims mall {:?}, which has an installed plugin: the loose file is \
                     ignored",
                    f.display(),
                    plugin.info.mall_id
                );
                continue;
            }
            out.push(runtime.activate(plugin));
        }
        for (mall, e) in &index.malls {
            let file = self.inside(&e.active)?;
            match runtime.load_file(&file).await {
                Ok(p) => out.push(p),
                Err(e) => runtime.disable(mall, &file, e.to_string()),
            }
        }
        let kept: std::collections::BTreeSet<&str> = out
            .iter()
            .map(|p| p.info.mall_id.as_str())
            .chain(index.malls.keys().map(String::as_str))
            .collect();
        for p in runtime.plugins() {
            if !kept.contains(p.info.mall_id.as_str()) {
                runtime.remove(&p.info.mall_id);
            }
        }
        Ok(out)
    }

    /// Takes a mall's plugin out: its entry leaves the index (and the shared index, so every
    /// machine takes it out), its components and manifests leave the folder, and the runtime
    /// forgets it. Its shops' calls then fail as for a mall without a plugin, naming how to
    /// install one. Returns the files removed.
    pub async fn remove(&self, runtime: &Runtime, mall: &str) -> Result<Vec<String>, RuntimeError> {
        let mut index = self.read_index()?;
        let Some(entry) = index.malls.remove(mall) else {
            let known: Vec<&str> = index.malls.keys().map(String::as_str).collect();
            let off = runtime.disabled().iter().any(|d| d.mall == mall);
            runtime.remove(mall);
            if off {
                return Ok(Vec::new());
            }
            return Err(err(
                &self.index_path(),
                format!(
                    "mall {mall:?} has no installed plugin (installed: {})",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ),
            ));
        };
        if let Some(store) = &self.shared {
            store
                .set_shared_plugin(
                    &crate::store::SharedPlugin {
                        mall: mall.to_string(),
                        active: String::new(),
                        history: Vec::new(),
                    },
                    chrono::Utc::now(),
                )
                .await
                .map_err(|e| {
                    err(
                        &self.index_path(),
                        format!("the shared plugin index cannot be written: {e}"),
                    )
                })?;
        }
        self.write_index(&index)?;
        let mut removed = Vec::new();
        for rel in std::iter::once(&entry.active).chain(&entry.history) {
            let Ok(file) = self.inside(rel) else { continue };
            for f in [Manifest::beside(&file), file] {
                if std::fs::remove_file(&f).is_ok() {
                    removed.push(f.display().to_string());
                }
            }
        }
        runtime.remove(mall);
        Ok(removed)
    }

    /// Every installed component, mall by mall: the active one first, then the earlier ones,
    /// newest first (the order `rollback` goes back through).
    pub fn installed(&self) -> Result<Vec<Installed>, RuntimeError> {
        let index = self.read_index()?;
        let mut out = Vec::new();
        for (mall, entry) in &index.malls {
            let files = std::iter::once(&entry.active).chain(entry.history.iter().rev());
            for (i, rel) in files.enumerate().filter(|(_, r)| !r.is_empty()) {
                let file = self.inside(rel)?;
                let m = Manifest::load(&Manifest::beside(&file)).map_err(|e| err(&file, e))?;
                out.push(Installed {
                    mall: mall.clone(),
                    version: m.version,
                    sha256: m.sha256,
                    file: rel.clone(),
                    active: i == 0,
                });
            }
        }
        Ok(out)
    }

    /// Installs a component with its manifest (given, or `NAME.toml` beside it): checks both
    /// (digest, mall, version, contract), copies them into the folder, makes the component the
    /// active one of its mall (the running one stays until then, and stays if anything fails).
    pub async fn install(
        &self,
        runtime: &Runtime,
        wasm: &Path,
        manifest: Option<&Path>,
    ) -> Result<Arc<Plugin>, RuntimeError> {
        let manifest_path = manifest.map_or_else(|| Manifest::beside(wasm), Path::to_path_buf);
        if !manifest_path.exists() {
            return Err(err(
                wasm,
                format!(
                    "no manifest: write {} (mall, version, sha256, allowed_hosts, [limits]) or pass --manifest",
                    manifest_path.display()
                ),
            ));
        }
        let m = Manifest::load(&manifest_path).map_err(|e| err(wasm, e))?;
        let mut plugin = runtime.prepare(wasm, Some(&m)).await?;
        let rel = format!(
            "{}/{}-{}.wasm",
            m.mall,
            m.version,
            &plugin.digest[..8.min(plugin.digest.len())]
        );
        let dest = self.root.join(&rel);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(|e| err(&dest, e.to_string()))?;
        }
        std::fs::copy(wasm, &dest).map_err(|e| err(&dest, e.to_string()))?;
        std::fs::copy(&manifest_path, Manifest::beside(&dest))
            .map_err(|e| err(&dest, e.to_string()))?;
        let mut index = self.read_index()?;
        let entry = index.malls.entry(m.mall.clone()).or_default();
        if !entry.active.is_empty() && entry.active != rel {
            entry.history.push(std::mem::take(&mut entry.active));
        }
        entry.active = rel;
        let published = entry.clone();
        self.write_index(&index)?;
        self.publish(&m.mall, &published).await?;
        plugin.path = dest;
        Ok(runtime.activate(plugin))
    }

    /// Makes the previously active component of a mall active again: checks it (against its
    /// manifest) as an install does, then records it in the index and swaps it in. A component
    /// that no longer loads changes nothing.
    pub async fn rollback(
        &self,
        runtime: &Runtime,
        mall: &str,
    ) -> Result<Arc<Plugin>, RuntimeError> {
        let mut index = self.read_index()?;
        let entry = index
            .malls
            .get_mut(mall)
            .ok_or_else(|| RuntimeError::NoPrevious { mall: mall.into() })?;
        let previous = entry
            .history
            .last()
            .cloned()
            .ok_or_else(|| RuntimeError::NoPrevious { mall: mall.into() })?;
        let file = self.root.join(&previous);
        let manifest_path = Manifest::beside(&file);
        let manifest = Manifest::load(&manifest_path).map_err(|e| err(&file, e))?;
        let mut plugin = runtime.prepare(&file, Some(&manifest)).await?;
        entry.history.pop();
        entry.active = previous;
        let published = entry.clone();
        self.write_index(&index)?;
        self.publish(mall, &published).await?;
        plugin.path = file;
        Ok(runtime.activate(plugin))
    }

    /// Writes a mall's folder entry to the shared index (components first), if there is one.
    async fn publish(&self, mall: &str, entry: &Entry) -> Result<(), RuntimeError> {
        let Some(store) = &self.shared else {
            return Ok(());
        };
        let shared_err = |e: crate::store::StoreError| {
            err(
                &self.index_path(),
                format!("the shared plugin index cannot be written: {e}"),
            )
        };
        let now = chrono::Utc::now();
        let mut digests = Vec::new();
        for rel in entry.history.iter().chain(std::iter::once(&entry.active)) {
            let file = self.inside(rel)?;
            let manifest_text = std::fs::read_to_string(Manifest::beside(&file))
                .map_err(|e| err(&file, e.to_string()))?;
            let m = Manifest::parse(&manifest_text, rel).map_err(|e| err(&file, e))?;
            let bytes = std::fs::read(&file).map_err(|e| err(&file, e.to_string()))?;
            if crate::digest::sha256_hex(&bytes) != m.sha256 {
                return Err(err(&file, "does not match its manifest's sha256"));
            }
            store
                .keep_component(&m.sha256, &m.mall, &m.version, &bytes, &manifest_text, now)
                .await
                .map_err(shared_err)?;
            digests.push(m.sha256);
        }
        let active = digests.pop().unwrap_or_default();
        store
            .set_shared_plugin(
                &crate::store::SharedPlugin {
                    mall: mall.to_string(),
                    active,
                    history: digests,
                },
                now,
            )
            .await
            .map_err(shared_err)
    }

    /// Brings the folder in step with the shared index: components it lacks are fetched by
    /// digest and checked, and its index is rewritten to match; a mall only the folder has is
    /// published. Returns whether the folder's index changed.
    pub async fn sync_shared(&self) -> Result<bool, RuntimeError> {
        let Some(store) = &self.shared else {
            return Ok(false);
        };
        let read_err = |e: crate::store::StoreError| {
            err(
                &self.index_path(),
                format!("the shared plugin index cannot be read: {e}"),
            )
        };
        let shared = store.shared_plugins().await.map_err(read_err)?;
        let mut index = self.read_index()?;
        for (mall, entry) in &index.malls {
            if !shared.iter().any(|s| &s.mall == mall) {
                self.publish(mall, entry).await?;
            }
        }
        let mut changed = false;
        for s in &shared {
            // Taken out (`plugins remove`): the folder forgets it too.
            if s.active.is_empty() {
                if index.malls.remove(&s.mall).is_some() {
                    tracing::info!(
                        "mall {}: its plugin was taken out by another process",
                        s.mall
                    );
                    changed = true;
                }
                continue;
            }
            let mut wanted = Entry::default();
            for digest in &s.history {
                wanted
                    .history
                    .push(self.materialize(store, &s.mall, digest).await?);
            }
            wanted.active = self.materialize(store, &s.mall, &s.active).await?;
            if index.malls.get(&s.mall) != Some(&wanted) {
                tracing::info!(
                    "mall {}: the shared plugin index names {} (installed or rolled back by \
                     another process)",
                    s.mall,
                    wanted.active
                );
                index.malls.insert(s.mall.clone(), wanted);
                changed = true;
            }
        }
        if changed {
            self.write_index(&index)?;
        }
        Ok(changed)
    }

    /// The folder path of the component with `digest`, fetched from the database and checked
    /// when the folder lacks it.
    async fn materialize(
        &self,
        store: &crate::store::Store,
        mall: &str,
        digest: &str,
    ) -> Result<String, RuntimeError> {
        let c = store
            .component(digest)
            .await
            .map_err(|e| err(&self.index_path(), e.to_string()))?
            .ok_or_else(|| {
                err(
                    &self.index_path(),
                    format!("the shared index names component {digest} of mall {mall}, which the database does not hold"),
                )
            })?;
        let m = Manifest::parse(&c.manifest, &format!("of component {digest}"))
            .map_err(|e| err(&self.index_path(), e))?;
        if m.sha256 != digest || m.mall != mall {
            return Err(err(
                &self.index_path(),
                format!(
                    "the stored manifest of component {digest} names {} {} instead",
                    m.mall, m.sha256
                ),
            ));
        }
        let rel = format!(
            "{}/{}-{}.wasm",
            m.mall,
            m.version,
            &digest[..8.min(digest.len())]
        );
        let dest = self.inside(&rel)?;
        let have = std::fs::read(&dest)
            .ok()
            .is_some_and(|b| crate::digest::sha256_hex(&b) == digest);
        if !have {
            if crate::digest::sha256_hex(&c.component) != digest {
                return Err(err(
                    &dest,
                    format!("the component stored as {digest} has another digest: refused"),
                ));
            }
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent).map_err(|e| err(&dest, e.to_string()))?;
            }
            let tmp = dest.with_extension("part");
            std::fs::write(&tmp, &c.component)
                .and_then(|()| std::fs::write(Manifest::beside(&dest), &c.manifest))
                .and_then(|()| std::fs::rename(&tmp, &dest))
                .map_err(|e| err(&dest, e.to_string()))?;
        }
        Ok(rel)
    }

    /// Watches the folder until `stop` changes: whenever what should be active changes (an
    /// install or rollback by another process), loads it into `runtime`. A folder that cannot be
    /// loaded is logged, and the running plugins stay.
    pub async fn watch(
        self,
        runtime: Arc<Runtime>,
        every: std::time::Duration,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        let mut seen = self.fingerprint();
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.changed() => break,
            }
            if let Err(e) = self.sync_shared().await {
                tracing::error!(
                    "the shared plugin index cannot be followed; the running plugins stay: {e}"
                );
            }
            let now = self.fingerprint();
            if now != seen {
                seen = now;
                if let Err(e) = self.load(&runtime).await {
                    tracing::error!(
                        "plugins folder changed but cannot be loaded; the running plugins stay: {e}"
                    );
                }
            }
        }
    }
}
