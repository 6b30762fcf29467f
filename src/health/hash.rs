//! A fast, stable 64-bit content hash for file bytes and decoded pixels. Stable means: the same bytes
//! give the same value in every build and on every machine (unlike `std`'s `DefaultHasher`), so hashes
//! kept in the on-disk cache stay comparable with hashes computed later. It is not cryptographic: two
//! different contents colliding is possible in principle (about 2^-64 per pair), and the exact-duplicate
//! check confirms pixel groups by decoding (see `group`).

const K: u64 = 0x9e37_79b9_7f4a_7c15;

/// Hashes `bytes`, seeded by `seed` (so that, e.g., a shape can be mixed in first). Four independent
/// lanes take 32 bytes a step: one multiply-rotate chain per word was a fifth of the health pass,
/// bound by the chain's latency, not by memory.
pub fn hash64(seed: u64, bytes: &[u8]) -> u64 {
    let start = mix(seed ^ (bytes.len() as u64).wrapping_mul(K));
    let mut lanes = [
        start,
        start ^ K,
        start.rotate_left(17),
        start ^ K.rotate_left(31),
    ];
    let mut blocks = bytes.chunks_exact(32);
    for block in &mut blocks {
        for (lane, word) in lanes.iter_mut().zip(block.chunks_exact(8)) {
            *lane = step(*lane, word);
        }
    }
    let mut h = lanes
        .iter()
        .fold(start, |h, &lane| mix(h ^ lane).wrapping_mul(K));
    let mut words = blocks.remainder().chunks_exact(8);
    for word in &mut words {
        h = step(h, word);
    }
    let mut tail = [0u8; 8];
    tail[..words.remainder().len()].copy_from_slice(words.remainder());
    h = (h ^ u64::from_le_bytes(tail)).wrapping_mul(K);
    mix(h)
}

/// One lane's step over an 8-byte little-endian word.
fn step(h: u64, word: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(word);
    (h ^ u64::from_le_bytes(w)).wrapping_mul(K).rotate_left(29)
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
        assert_eq!(hash64(0, b"batchscope"), 17_171_301_248_372_396_603);
        // 75 bytes: two 32-byte blocks (four lanes), one 8-byte word and a 3-byte tail.
        let base = hash64(0, &[0u8; 75]);
        for i in 0..75 {
            let mut v = [0u8; 75];
            v[i] = 1;
            assert_ne!(hash64(0, &v), base, "byte {i} ignored");
        }
        // Words that trade places (across lanes, or across blocks within a lane) change the hash.
        let mut words = [0u8; 75];
        words[0] = 1;
        words[8] = 2;
        let mut swapped = words;
        swapped.swap(0, 8);
        assert_ne!(hash64(0, &words), hash64(0, &swapped));
        let mut blocks = [0u8; 75];
        blocks[0] = 1;
        blocks[32] = 2;
        let mut swapped = blocks;
        swapped.swap(0, 32);
        assert_ne!(hash64(0, &blocks), hash64(0, &swapped));
        assert_ne!(hash64(0, &[0u8; 74]), base);
        let base = hash64(0, &[0u8; 17]);
        assert_ne!(hash64(1, &[0u8; 17]), base);
    }
}
