//! One deterministic word mixer for code that hashes inside or around a world (lookup tables
//! of protocol state, guided exploration's draws): the same on every machine and run, unlike
//! std's randomly seeded hashers.

/// The splitmix64 finaliser: spreads every bit of `z` over the whole word.
pub fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::splitmix64;

    #[test]
    fn known_values_and_no_fixed_point_at_zero() {
        // The first output of a splitmix64 generator seeded with 0 is this finaliser at 0.
        assert_eq!(splitmix64(0), 0xe220_a839_7b1d_cdaf);
        assert_ne!(splitmix64(1), splitmix64(2));
    }
}
