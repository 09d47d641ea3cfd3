//! The plugin's memory allocator: a bump arena.
//!
//! mallhost runs every call on a fresh instance and drops it afterwards, so no allocation
//! outlives a call and a general-purpose allocator's bookkeeping (free lists, coalescing) is
//! pure cost: it was about a sixth of `map-order`'s time in the guest (`docs/benchmarks.md`).
//! The arena hands out memory by moving a pointer, grows linear memory in chunks, and gives
//! memory back only when the most recent allocation is freed or resized (which covers a
//! growing `Vec` or `String`). Everything else is reclaimed when the instance is dropped.
//!
//! The price is memory: a call's peak is about what it allocated in total. The host's memory
//! limit for the plugin still applies, and a call that needs more fails with that limit named.
//!
//! The arena is generic over where its pages come from, so the logic is unit-tested natively;
//! on `wasm32` the pages come from `memory.grow` and the arena is the global allocator.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::Cell;
use core::ptr;

/// Where the arena's memory comes from.
pub trait Pages {
    /// Bytes in one page.
    const PAGE: usize;
    /// Adds `count` pages; returns the address of the first one, or `None` when refused.
    fn grow(&self, count: usize) -> Option<usize>;
}

/// Pages added at least per growth: fewer calls to the host.
const MIN_GROW_PAGES: usize = 16;

/// A bump allocator over pages from `P`.
pub struct Arena<P: Pages> {
    pages: P,
    /// Next free address.
    next: Cell<usize>,
    /// End of the current chunk.
    end: Cell<usize>,
}

// SAFETY: the arena is only ever used by one thread: wasm32-wasip2 components are
// single-threaded, and the native tests use an arena per test.
unsafe impl<P: Pages> Sync for Arena<P> {}

impl<P: Pages> Arena<P> {
    /// An arena that has not taken any page yet.
    pub const fn new(pages: P) -> Arena<P> {
        Arena {
            pages,
            next: Cell::new(0),
            end: Cell::new(0),
        }
    }

    /// Bytes still free in the current chunk.
    pub fn free_in_chunk(&self) -> usize {
        self.end.get() - self.next.get()
    }

    /// Adds at least `bytes` to the arena. The new pages continue the current chunk when
    /// nothing else grew memory in between (`Some(true)`); otherwise a new chunk starts and the
    /// old one's tail is left unused (`Some(false)`). `None` when memory cannot grow.
    fn grow(&self, bytes: usize) -> Option<bool> {
        let count = bytes.div_ceil(P::PAGE).max(MIN_GROW_PAGES);
        let base = self.pages.grow(count)?;
        let new_end = base.checked_add(count.checked_mul(P::PAGE)?)?;
        let contiguous = self.end.get() != 0 && base == self.end.get();
        if !contiguous {
            self.next.set(base);
        }
        self.end.set(new_end);
        Some(contiguous)
    }

    /// Makes room for `size` bytes aligned to `align`; returns the aligned start.
    fn reserve(&self, size: usize, align: usize) -> Option<usize> {
        let fits = |next: usize| {
            let start = next.checked_add(align - 1)? & !(align - 1);
            (start.checked_add(size)? <= self.end.get()).then_some(start)
        };
        if self.end.get() != 0
            && let Some(start) = fits(self.next.get())
        {
            return Some(start);
        }
        // Enough for the block even when alignment wastes up to `align - 1` bytes.
        self.grow(size.checked_add(align)?)?;
        fits(self.next.get())
    }
}

// SAFETY: every block handed out lies in pages obtained from `P`, inside [next, end) at the
// time, so blocks never overlap: `next` only moves forward past a block, or back to the start
// of the block that ends at `next` (the most recent one) when that block is freed or resized.
unsafe impl<P: Pages> GlobalAlloc for Arena<P> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match self.reserve(layout.size(), layout.align()) {
            Some(start) => {
                self.next.set(start + layout.size());
                start as *mut u8
            }
            None => ptr::null_mut(),
        }
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        // Only the most recent block can be given back.
        if block as usize + layout.size() == self.next.get() {
            self.next.set(block as usize);
        }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let start = block as usize;
        if start + layout.size() == self.next.get() {
            // The most recent block grows or shrinks in place, if need be after growing the
            // chunk it ends.
            let new_end = start.saturating_add(new_size);
            if new_end > self.end.get() {
                // When the chunk continues, `next` is kept and the block still ends it; when a
                // new chunk starts, the block is moved below; when memory cannot grow, the
                // allocation below fails too.
                let _ = self.grow(new_end - self.end.get());
            }
            if self.next.get() == start + layout.size() && new_end <= self.end.get() {
                self.next.set(new_end);
                return block;
            }
        }
        if new_size <= layout.size() {
            return block;
        }
        // SAFETY: the caller guarantees `layout.align()` is a valid alignment and `new_size`,
        // rounded up to it, does not overflow (GlobalAlloc::realloc's contract).
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: a non-zero size, as `new_size > layout.size()`.
        let moved = unsafe { self.alloc(new_layout) };
        if !moved.is_null() {
            // SAFETY: both blocks are valid for `layout.size()` bytes and do not overlap (the
            // new one was handed out after the old one).
            unsafe { ptr::copy_nonoverlapping(block, moved, layout.size()) };
        }
        moved
    }
}

/// Linear memory 0, grown with `memory.grow`.
#[cfg(target_arch = "wasm32")]
pub struct LinearMemory;

#[cfg(target_arch = "wasm32")]
impl Pages for LinearMemory {
    const PAGE: usize = 65536;

    fn grow(&self, count: usize) -> Option<usize> {
        let previous = core::arch::wasm32::memory_grow(0, count);
        (previous != usize::MAX).then(|| previous * Self::PAGE)
    }
}

#[cfg(test)]
mod tests;
