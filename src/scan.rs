//! Byte search for the hot paths (line ends in letters, in the DATA stream
//! and in replies) without run-time CPU detection.
//!
//! memchr's top-level functions pick AVX2 or SSE2 at their first call by
//! running `cpuid`, which a hypervisor traps: about ten of them, 70–100 µs,
//! some 3 % of a one-letter `smtpwire send` (docs/PERFORMANCE.md,
//! "Start-up"). SSE2 is part of every x86-64 CPU, so its searchers need no
//! detection, and for lines of a few dozen bytes they are as fast. Other
//! targets use memchr's own dispatch, and so do the `memmem` substring
//! searches elsewhere (not on a plain letter's path).
//!
//! A leaf: `smtp` and `mail` may use it.

/// The first `needle` in `haystack`.
#[inline]
pub fn find(needle: u8, haystack: &[u8]) -> Option<usize> {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if let Some(one) = memchr::arch::x86_64::sse2::memchr::One::new(needle) {
        return one.find(haystack);
    }
    memchr::memchr(needle, haystack)
}

/// The first `a` or `b` in `haystack`.
#[inline]
pub fn find2(a: u8, b: u8, haystack: &[u8]) -> Option<usize> {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if let Some(two) = memchr::arch::x86_64::sse2::memchr::Two::new(a, b) {
        return two.find(haystack);
    }
    memchr::memchr2(a, b, haystack)
}

/// Every `needle` in `haystack`, in order.
pub fn find_iter(needle: u8, haystack: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        let i = at + find(needle, haystack.get(at..)?)?;
        at = i + 1;
        Some(i)
    })
}

/// Every `a` or `b` in `haystack`, in order.
pub fn find2_iter(a: u8, b: u8, haystack: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        let i = at + find2(a, b, haystack.get(at..)?)?;
        at = i + 1;
        Some(i)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_as_memchr_does() {
        let cases: [&[u8]; 5] = [b"", b"\n", b"abc", b"a\r\nb\nc\r", &[b'x'; 100]];
        let mut long = vec![b'y'; 1000];
        long[333] = b'\n';
        long[999] = b'\r';
        for hay in cases.iter().copied().chain([long.as_slice()]) {
            assert_eq!(find(b'\n', hay), memchr::memchr(b'\n', hay));
            assert_eq!(find2(b'\r', b'\n', hay), memchr::memchr2(b'\r', b'\n', hay));
            assert_eq!(
                find_iter(b'\n', hay).collect::<Vec<_>>(),
                memchr::memchr_iter(b'\n', hay).collect::<Vec<_>>()
            );
            assert_eq!(
                find2_iter(b'\r', b'\n', hay).collect::<Vec<_>>(),
                memchr::memchr2_iter(b'\r', b'\n', hay).collect::<Vec<_>>()
            );
        }
    }
}
