//! A fast, stable 64-bit content hash for file bytes and decoded pixels. Stable means: the same bytes
//! give the same value in every build and on every machine (unlike `std`'s `DefaultHasher`), so hashes
//! kept in the on-disk cache stay comparable with hashes computed later. It is not cryptographic: two
//! different contents colliding is possible in principle (about 2^-64 per pair), and the exact-duplicate
//! check confirms pixel groups by decoding (see `group`).

const K: u64 = 0x9e37_79b9_7f4a_7c15;

/// Hashes `bytes`, seeded by `seed` (so that, e.g., a shape can be mixed in first).
pub fn hash64(seed: u64, bytes: &[u8]) -> u64 {
    let mut h = mix(seed ^ (bytes.len() as u64).wrapping_mul(K));
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        h = (h ^ u64::from_le_bytes(word))
            .wrapping_mul(K)
            .rotate_left(29);
    }
    let mut tail = [0u8; 8];
    tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    h = (h ^ u64::from_le_bytes(tail)).wrapping_mul(K);
    mix(h)
}

/// splitmix64's finaliser: every input bit affects every output bit.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_hash_is_stable_and_sees_every_byte_and_the_length() {
        // Pinned: a change must bump the cache's VERSION, or old cache files would mix with new hashes.
        assert_eq!(hash64(0, b"batchscope"), 16_507_709_071_789_866_185);
        let base = hash64(0, &[0u8; 17]);
        for i in 0..17 {
            let mut v = [0u8; 17];
            v[i] = 1;
            assert_ne!(hash64(0, &v), base, "byte {i} ignored");
        }
        assert_ne!(hash64(0, &[0u8; 16]), base);
        assert_ne!(hash64(1, &[0u8; 17]), base);
    }
}
