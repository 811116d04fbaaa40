//! Freed heap memory wiped, for the composer.
//!
//! Our own buffers that hold a password are `Zeroizing`. Code we do not
//! own copies it into strings of its own and frees them as they are: the
//! IMAP client formats `LOGIN user password` and base64-encodes the
//! `AUTHENTICATE` answer, for the copy in Sent. The freed block keeps the
//! bytes until reused, for a core dump or swap to find. [`Wiping`] is the
//! global allocator of the binary: once [`freed_memory`] is called it
//! clears every block it frees (and the old block of every move) with
//! `explicit_bzero`, which the compiler may not drop as a dead store.
//!
//! Only the composer turns it on: it lives long and holds the password.
//! A headless command exits at once, and its benchmarks stay as they are
//! (the check is one relaxed load per free). Memory that libc's `malloc`
//! hands out to C code (OpenSSL) is not this allocator's; OpenSSL
//! cleanses its own secrets.
#![expect(
    unsafe_code,
    reason = "a global allocator is unsafe by contract; it forwards to System"
)]

use std::{
    alloc::{GlobalAlloc, Layout, System},
    sync::atomic::{AtomicBool, Ordering},
};

static WIPE: AtomicBool = AtomicBool::new(false);

/// From now on, every block freed is cleared first.
pub fn freed_memory() {
    WIPE.store(true, Ordering::Relaxed);
}

/// Whether freed blocks are cleared.
fn is_on() -> bool {
    WIPE.load(Ordering::Relaxed)
}

/// The system allocator, clearing what it frees once [`freed_memory`] was
/// called.
#[derive(Debug)]
pub struct Wiping;

// SAFETY: every block comes from `System` and goes back to it with the
// layout it was allocated with; clearing writes only within a block the
// caller gave up.
unsafe impl GlobalAlloc for Wiping {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if is_on() {
            // SAFETY: `ptr` is a live block of `layout.size()` bytes.
            unsafe { libc::explicit_bzero(ptr.cast(), layout.size()) };
        }
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !is_on() {
            // SAFETY: the caller's contract, forwarded.
            return unsafe { System.realloc(ptr, layout, new_size) };
        }
        // `System.realloc` would free the old block (or the cut tail)
        // uncleared: move by hand instead.
        // SAFETY: the caller guarantees `new_size`, rounded up to the
        // alignment, does not overflow `isize`.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: `new_layout` has a non-zero size (the caller's contract).
        let new = unsafe { System.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both blocks are live, distinct, and at least this long.
            unsafe {
                std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
        }
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_keep_the_bytes_and_frees_go_back() {
        freed_memory();
        let layout = Layout::from_size_align(64, 8).unwrap();
        // SAFETY: a block of the layout, used within it, freed once.
        unsafe {
            let p = Wiping.alloc(layout);
            assert!(!p.is_null());
            for i in 0..64 {
                *p.add(i) = i as u8;
            }
            let grown = Wiping.realloc(p, layout, 4096);
            assert!(!grown.is_null());
            assert!((0..64).all(|i| *grown.add(i) == i as u8));
            let grown_layout = Layout::from_size_align(4096, 8).unwrap();
            let shrunk = Wiping.realloc(grown, grown_layout, 16);
            assert!((0..16).all(|i| *shrunk.add(i) == i as u8));
            Wiping.dealloc(shrunk, Layout::from_size_align(16, 8).unwrap());
        }
        assert!(is_on());
    }
}
