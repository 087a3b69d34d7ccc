//! Byte work on the short strings the checker handles by the thousand (paths, child names,
//! data), done with a few fixed-size loads: comparing or reading a string of run-time length
//! is otherwise a call into `memcmp` or a byte loop, which costs more than the work itself
//! for strings of a dozen bytes.

/// `a == b`, for strings of any length; short ones compared as two overlapping words.
#[inline]
pub(crate) fn same_str(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        0 => true,
        1..=3 => [0, n / 2, n - 1].iter().all(|&at| a[at] == b[at]),
        4..=7 => ends::<4>(a) == ends::<4>(b),
        8..=16 => ends::<8>(a) == ends::<8>(b),
        _ => a == b,
    }
}

/// The first and the last `N` bytes of `s` (at least `N` long): together they cover it.
#[inline]
fn ends<const N: usize>(s: &[u8]) -> ([u8; N], [u8; N]) {
    let n = s.len();
    let first = s[..N].try_into().expect("N bytes");
    let last = s[n - N..].try_into().expect("N bytes");
    (first, last)
}

/// The 0 to 7 bytes of `rest` as a little-endian word, zero-padded (what folding them in
/// from the last gives), from overlapping loads instead of a byte loop.
#[inline]
pub(crate) fn tail_word(rest: &[u8]) -> u64 {
    let n = rest.len();
    debug_assert!(n < 8);
    match n {
        0 => 0,
        1..=3 => [0, n / 2, n - 1]
            .iter()
            .fold(0, |w, &at| w | u64::from(rest[at]) << (8 * at)),
        _ => {
            let (lo, hi) = ends::<4>(rest);
            let (lo, hi) = (u32::from_le_bytes(lo), u32::from_le_bytes(hi));
            u64::from(lo) | u64::from(hi) << (8 * (n - 4))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLES: [&str; 12] = [
        "",
        "a",
        "ab",
        "/z3",
        "/z3a",
        "c2.117",
        "c2.1170",
        "n-000001",
        "n-0000000012",
        "/z1/n-0000000012",
        "/z1/n-00000000123",
        "/a-path-longer-than-two-words/n-0000000001",
    ];

    #[test]
    fn short_strings_compare_as_strings() {
        for a in SAMPLES {
            for b in SAMPLES {
                assert_eq!(same_str(a, b), a == b, "{a:?} {b:?}");
            }
            // Same length, one byte apart, at every position.
            for at in 0..a.len() {
                let mut other = a.as_bytes().to_vec();
                other[at] ^= 1;
                let other = String::from_utf8(other).expect("ASCII");
                assert!(!same_str(a, &other), "{a:?} {other:?}");
            }
        }
    }

    #[test]
    fn a_tail_word_is_the_bytes_folded_in_from_the_last() {
        for s in SAMPLES {
            let rest = &s.as_bytes()[s.len() - s.len() % 8..];
            let folded = rest
                .iter()
                .rev()
                .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
            assert_eq!(tail_word(rest), folded, "{s:?}");
        }
    }
}
