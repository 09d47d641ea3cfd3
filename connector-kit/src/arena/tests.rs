//! The arena over a fake page source: a buffer handed out page by page, with a cap, and the
//! possibility of another party growing memory in between (as wasi-libc's own malloc may).

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;

use super::{Arena, MIN_GROW_PAGES, Pages};

const PAGE: usize = 256;

/// Up to `cap` pages of one buffer; `foreign` pages are skipped before the next grow.
struct Buffer {
    memory: Vec<u8>,
    used_pages: Cell<usize>,
    cap: usize,
    grows: Cell<usize>,
    foreign: Cell<usize>,
}

impl Buffer {
    fn new(cap: usize) -> Buffer {
        Buffer {
            memory: vec![0; (cap + 1) * PAGE],
            used_pages: Cell::new(0),
            cap,
            grows: Cell::new(0),
            foreign: Cell::new(0),
        }
    }
    fn base(&self) -> usize {
        // Page-aligned start inside the buffer.
        let p = self.memory.as_ptr() as usize;
        p.div_ceil(PAGE) * PAGE
    }
}

impl Pages for &Buffer {
    const PAGE: usize = PAGE;
    fn grow(&self, count: usize) -> Option<usize> {
        let first = self.used_pages.get() + self.foreign.replace(0);
        if first + count > self.cap {
            return None;
        }
        self.used_pages.set(first + count);
        self.grows.set(self.grows.get() + 1);
        Some(self.base() + first * PAGE)
    }
}

fn layout(size: usize, align: usize) -> Layout {
    Layout::from_size_align(size, align).expect("layout")
}

#[test]
fn blocks_are_aligned_disjoint_and_inside_the_pages() {
    let buf = Buffer::new(64);
    let arena = Arena::new(&buf);
    let mut blocks = Vec::new();
    for (i, (size, align)) in [(1, 1), (8, 8), (3, 2), (40, 16), (7, 4), (100, 64)]
        .into_iter()
        .cycle()
        .take(60)
        .enumerate()
    {
        let p = unsafe { arena.alloc(layout(size, align)) };
        assert!(!p.is_null(), "allocation {i} failed");
        assert_eq!(p as usize % align, 0, "allocation {i} misaligned");
        unsafe { std::ptr::write_bytes(p, i as u8, size) };
        blocks.push((p as usize, size, i as u8));
    }
    blocks.sort();
    for w in blocks.windows(2) {
        assert!(w[0].0 + w[0].1 <= w[1].0, "blocks overlap: {w:?}");
    }
    let (lo, hi) = (buf.base(), buf.base() + buf.cap * PAGE);
    for &(p, size, fill) in &blocks {
        assert!(p >= lo && p + size <= hi);
        // Nobody wrote over anybody else.
        let bytes = unsafe { std::slice::from_raw_parts(p as *const u8, size) };
        assert!(bytes.iter().all(|&b| b == fill));
    }
}

#[test]
fn freeing_the_latest_block_gives_its_room_back() {
    let buf = Buffer::new(64);
    let arena = Arena::new(&buf);
    let a = unsafe { arena.alloc(layout(32, 8)) };
    let b = unsafe { arena.alloc(layout(64, 8)) };
    unsafe { arena.dealloc(b, layout(64, 8)) };
    let c = unsafe { arena.alloc(layout(64, 8)) };
    assert_eq!(b, c, "the freed block is handed out again");
    // An older block cannot be reclaimed; freeing it changes nothing.
    unsafe { arena.dealloc(a, layout(32, 8)) };
    let d = unsafe { arena.alloc(layout(32, 8)) };
    assert_eq!(d as usize, c as usize + 64);
}

#[test]
fn the_latest_block_grows_in_place_and_keeps_its_contents() {
    let buf = Buffer::new(16 * MIN_GROW_PAGES);
    let arena = Arena::new(&buf);
    let mut size = 8;
    let mut p = unsafe { arena.alloc(layout(size, 1)) };
    unsafe { std::ptr::write_bytes(p, 7, size) };
    let first = p;
    // A Vec doubling well past the first chunk: the block never moves, as the chunk continues.
    while size < 8 * MIN_GROW_PAGES * PAGE {
        p = unsafe { arena.realloc(p, layout(size, 1), size * 2) };
        assert_eq!(p, first, "grown in place");
        unsafe { std::ptr::write_bytes(p.add(size), 7, size) };
        size *= 2;
    }
    let bytes = unsafe { std::slice::from_raw_parts(p, size) };
    assert!(bytes.iter().all(|&b| b == 7));
    // Shrinking in place gives the tail back.
    let q = unsafe { arena.realloc(p, layout(size, 1), 16) };
    assert_eq!(q, p);
    let r = unsafe { arena.alloc(layout(1, 1)) };
    assert_eq!(r as usize, p as usize + 16);
}

#[test]
fn an_older_block_is_moved_with_its_contents() {
    let buf = Buffer::new(64);
    let arena = Arena::new(&buf);
    let a = unsafe { arena.alloc(layout(16, 8)) };
    unsafe { std::ptr::copy_nonoverlapping(b"0123456789abcdef".as_ptr(), a, 16) };
    let _b = unsafe { arena.alloc(layout(16, 8)) };
    let moved = unsafe { arena.realloc(a, layout(16, 8), 48) };
    assert_ne!(moved, a);
    assert_eq!(moved as usize % 8, 0);
    let bytes = unsafe { std::slice::from_raw_parts(moved, 16) };
    assert_eq!(bytes, b"0123456789abcdef");
}

#[test]
fn memory_grown_by_someone_else_starts_a_new_chunk() {
    let buf = Buffer::new(200);
    let arena = Arena::new(&buf);
    let a = unsafe { arena.alloc(layout(PAGE, 1)) };
    // Fill the first chunk, then let "libc" take two pages before the arena grows again.
    let rest = arena.free_in_chunk();
    let _fill = unsafe { arena.alloc(layout(rest, 1)) };
    buf.foreign.set(2);
    let b = unsafe { arena.alloc(layout(8, 8)) };
    let first_chunk_end = a as usize + MIN_GROW_PAGES * PAGE;
    assert_eq!(
        b as usize,
        first_chunk_end + 2 * PAGE,
        "skips the foreign pages"
    );
    // A latest block that cannot continue its chunk is moved, contents and all.
    let big_size = arena.free_in_chunk();
    let big = unsafe { arena.alloc(layout(big_size, 1)) };
    unsafe { std::ptr::write_bytes(big, 9, 4) };
    buf.foreign.set(1);
    let moved = unsafe { arena.realloc(big, layout(big_size, 1), big_size + 4 * PAGE) };
    assert!(!moved.is_null());
    assert!(moved as usize > big as usize);
    let bytes = unsafe { std::slice::from_raw_parts(moved, 4) };
    assert_eq!(bytes, [9, 9, 9, 9]);
}

#[test]
fn refused_growth_is_a_null_allocation_not_a_crash() {
    let buf = Buffer::new(MIN_GROW_PAGES);
    let arena = Arena::new(&buf);
    let a = unsafe { arena.alloc(layout(PAGE, 8)) };
    assert!(!a.is_null());
    // More than the cap left.
    let b = unsafe { arena.alloc(layout(MIN_GROW_PAGES * PAGE, 8)) };
    assert!(b.is_null());
    let c = unsafe { arena.realloc(a, layout(PAGE, 8), 2 * MIN_GROW_PAGES * PAGE) };
    assert!(c.is_null());
    // What fits still works afterwards.
    let d = unsafe { arena.alloc(layout(PAGE, 8)) };
    assert!(!d.is_null());
    assert_eq!(buf.grows.get(), 1);
}
