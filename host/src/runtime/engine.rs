//! How the wasmtime engine is set up: the component model, async calls, epoch interruption
//! (the CPU limit), and where instances live.
//!
//! Every plugin call runs on a fresh instance, so instantiation is on the hot path. With
//! wasmtime's default allocator each instance maps a new linear memory and a new async stack
//! and faults every page it touches; a page of 100 orders then spends a fifth of its time in
//! the kernel. The **pooling allocator** keeps a fixed number of slots (memories, stacks,
//! tables, instance metadata) mapped and reuses them: a finished call's memory is reset in
//! place (on Linux ≥ 6.7 only the pages it dirtied, found with `PAGEMAP_SCAN`), so the next
//! call starts on warm pages. See `docs/benchmarks.md` for what it measured.
//!
//! The pool bounds how many plugin instances exist at once ([`MAX_CONCURRENT_CALLS`]); the
//! runtime holds a permit per call, so a busier host waits for a slot instead of failing. Where
//! the pool cannot be reserved (a small address-space limit), the engine falls back to the
//! default allocator with a warning: slower, never wrong.
//!
//! `MALLHOST_PROFILE=perfmap` makes the engine write a perf map, so `perf report` names the
//! plugins' functions (see `docs/benchmarks.md`).

use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, ProfilingStrategy,
};

use super::RuntimeError;

/// Most plugin calls running at once (one instance each); more wait for a free slot.
pub const MAX_CONCURRENT_CALLS: usize = 64;

/// The environment variable that turns on a profiler for plugin code.
const PROFILE_VAR: &str = "MALLHOST_PROFILE";

/// Linear memory kept mapped per slot between calls and reset in place; above it, memory is
/// given back to the kernel. A page of orders stays well under it.
const MEMORY_KEEP_RESIDENT: usize = 16 << 20;

/// The engine for plugins: pooled when the pool can be reserved, on demand otherwise.
pub(crate) fn new_engine() -> Result<Engine, RuntimeError> {
    Engine::new(&pooled_config()).or_else(|pooled| {
        tracing::warn!(
            "the plugin instance pool could not be reserved ({pooled:#}); plugin calls use the \
             slower on-demand allocator"
        );
        Engine::new(&base_config()).map_err(|e| RuntimeError::Engine(format!("{e:#}")))
    })
}

fn pooled_config() -> Config {
    let mut config = base_config();
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool()));
    config
}

fn base_config() -> Config {
    let mut config = Config::new();
    config.wasm_component_model(true).epoch_interruption(true);
    // `MALLHOST_PROFILE=perfmap` names plugin functions for `perf` (/tmp/perf-PID.map).
    if std::env::var_os(PROFILE_VAR).is_some_and(|v| v == "perfmap") {
        config.profiler(ProfilingStrategy::PerfMap);
    }
    config
}

/// Core instances the pool holds (8 per call slot).
pub const POOL_CORE_INSTANCES: u32 = MAX_CONCURRENT_CALLS as u32 * 8;
/// Linear memories the pool holds (2 per call slot).
pub const POOL_MEMORIES: u32 = MAX_CONCURRENT_CALLS as u32 * 2;
/// Tables the pool holds (8 per call slot).
pub const POOL_TABLES: u32 = MAX_CONCURRENT_CALLS as u32 * 8;

/// What one instantiation of a component takes from the pool: its core instances, the memories
/// and tables its core modules define. A call waits until the pool has that much free, so a
/// component built with many instances (componentize-py's use 14) waits its turn under load
/// instead of failing with "maximum concurrent limit reached".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Footprint {
    /// Core instances.
    pub core_instances: u32,
    /// Memories defined.
    pub memories: u32,
    /// Tables defined.
    pub tables: u32,
}

impl Footprint {
    /// Counts a component's sections (nested components and modules included).
    pub fn of(bytes: &[u8]) -> Result<Footprint, String> {
        use wasmparser::{Parser, Payload};
        let mut f = Footprint::default();
        for payload in Parser::new(0).parse_all(bytes) {
            match payload.map_err(|e| format!("not a readable component: {e}"))? {
                // Only an instantiation takes a core instance from the pool; an instance made
                // of exports (`FromExports`, which toolchains emit many of) is a bundle.
                Payload::InstanceSection(r) => {
                    for i in r {
                        let i = i.map_err(|e| format!("not a readable component: {e}"))?;
                        if matches!(i, wasmparser::Instance::Instantiate { .. }) {
                            f.core_instances += 1;
                        }
                    }
                }
                Payload::MemorySection(r) => f.memories += r.count(),
                Payload::TableSection(r) => f.tables += r.count(),
                _ => {}
            }
        }
        // At least one of each, so every call takes its share.
        f.core_instances = f.core_instances.max(1);
        f.memories = f.memories.max(1);
        f.tables = f.tables.max(1);
        Ok(f)
    }

    /// Why it can never fit the pool, if it cannot.
    pub fn too_big(&self) -> Option<String> {
        [
            ("core instances", self.core_instances, POOL_CORE_INSTANCES),
            ("memories", self.memories, POOL_MEMORIES),
            ("tables", self.tables, POOL_TABLES),
        ]
        .into_iter()
        .find(|(_, n, max)| n > max)
        .map(|(what, n, max)| {
            format!("it needs {n} {what} per call; the host's instance pool holds {max}")
        })
    }
}

fn pool() -> PoolingAllocationConfig {
    let calls = u32::try_from(MAX_CONCURRENT_CALLS).unwrap_or(u32::MAX);
    let mut pool = PoolingAllocationConfig::new();
    // A component instance holds a few core instances (the program and the adapter shims),
    // each with at most one memory and one table; sized with room to spare.
    pool.total_component_instances(calls)
        .total_core_instances(calls.saturating_mul(8))
        .total_memories(calls.saturating_mul(2))
        .total_tables(calls.saturating_mul(8))
        .total_stacks(calls)
        .table_keep_resident(64 << 10);
    if PoolingAllocationConfig::is_pagemap_scan_available() {
        // Only the pages a call dirtied are reset, so a large resident size costs nothing.
        pool.pagemap_scan(Enabled::Yes)
            .linear_memory_keep_resident(MEMORY_KEEP_RESIDENT);
    } else {
        // Without PAGEMAP_SCAN the resident part is cleared with memset on every call: keep
        // it to the first MiB, which every call touches (stack and static data).
        pool.linear_memory_keep_resident(1 << 20);
    }
    pool
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_component_larger_than_the_pool_is_refused_saying_what_it_needs() {
        let small = Footprint {
            core_instances: 14,
            memories: 2,
            tables: 3,
        };
        assert_eq!(
            small.too_big(),
            None,
            "componentize-py's 14 instances fit, and wait"
        );
        let huge = Footprint {
            core_instances: POOL_CORE_INSTANCES + 1,
            ..small
        };
        let why = huge.too_big().unwrap();
        assert!(
            why.contains("core instances") && why.contains("512"),
            "{why}"
        );
        assert!(Footprint::of(b"not wasm").is_err());
    }

    #[test]
    fn the_engine_pools_instances_where_the_pool_can_be_reserved() {
        // This machine has the address space: the on-demand fallback is not what runs here.
        if let Err(e) = Engine::new(&pooled_config()) {
            panic!("the instance pool cannot be reserved: {e:#}");
        }
    }
}
