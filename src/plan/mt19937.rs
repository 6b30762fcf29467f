//! numpy's legacy `RandomState` permutation, bit for bit, so a seed selects the same files as Keras.
//!
//! Keras shuffles the sorted file list with `np.random.RandomState(seed).shuffle(list)`: a Fisher–Yates
//! pass from the end, each swap index drawn by `random_interval` (mask-and-reject on MT19937 output),
//! with the generator seeded by `init_genrand(seed)`.

const N: usize = 624;
const M: usize = 397;

/// The Mersenne Twister MT19937, seeded as numpy's `RandomState(int)` seeds it.
pub struct Mt19937 {
    state: [u32; N],
    pos: usize,
}

impl Mt19937 {
    /// `init_genrand(seed)`, which `RandomState(seed)` uses for an integer seed.
    pub fn new(seed: u32) -> Self {
        let mut state = [0u32; N];
        state[0] = seed;
        for i in 1..N {
            let prev = state[i - 1];
            // `i < 624`, so the cast is exact.
            #[allow(clippy::cast_possible_truncation)]
            let i32_ = i as u32;
            state[i] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(i32_);
        }
        Self { state, pos: N }
    }

    fn refill(&mut self) {
        const UPPER: u32 = 0x8000_0000;
        const LOWER: u32 = 0x7fff_ffff;
        const MATRIX_A: u32 = 0x9908_b0df;
        for i in 0..N {
            let y = (self.state[i] & UPPER) | (self.state[(i + 1) % N] & LOWER);
            let mut next = self.state[(i + M) % N] ^ (y >> 1);
            if y & 1 != 0 {
                next ^= MATRIX_A;
            }
            self.state[i] = next;
        }
        self.pos = 0;
    }

    /// The next tempered 32-bit output (`genrand_int32`).
    pub fn next_u32(&mut self) -> u32 {
        if self.pos >= N {
            self.refill();
        }
        let mut y = self.state[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// numpy's `next_uint64` for this generator: two 32-bit draws, high word first.
    pub fn next_u64(&mut self) -> u64 {
        let hi = u64::from(self.next_u32());
        (hi << 32) | u64::from(self.next_u32())
    }

    /// numpy's `random_interval(max)`: uniform in `0..=max` by masking and rejecting.
    pub fn interval(&mut self, max: u64) -> u64 {
        if max == 0 {
            return 0;
        }
        let mut mask = max;
        for shift in [1, 2, 4, 8, 16, 32] {
            mask |= mask >> shift;
        }
        loop {
            let value = if max <= 0xffff_ffff {
                u64::from(self.next_u32()) & mask
            } else {
                self.next_u64() & mask
            };
            if value <= max {
                return value;
            }
        }
    }
}

/// Permutes `items` exactly as `np.random.RandomState(seed).shuffle(items)` permutes a list.
pub fn shuffle<T>(items: &mut [T], seed: u32) {
    let mut rng = Mt19937::new(seed);
    for i in (1..items.len()).rev() {
        // `interval(i) <= i`, which is a valid index.
        #[allow(clippy::cast_possible_truncation)]
        let j = rng.interval(i as u64) as usize;
        items.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_outputs_match_the_reference_mt19937() {
        // The reference implementation's well-known first output for init_genrand(5489).
        let mut rng = Mt19937::new(5489);
        assert_eq!(rng.next_u32(), 3_499_211_612);
        assert_eq!(rng.next_u32(), 581_869_302);
    }

    #[test]
    fn shuffle_of_ten_with_seed_0_matches_numpy() {
        // np.random.RandomState(0).permutation(10) on a list: [2, 8, 4, 9, 1, 6, 7, 3, 0, 5]
        let mut items: Vec<u32> = (0..10).collect();
        shuffle(&mut items, 0);
        assert_eq!(items, [2, 8, 4, 9, 1, 6, 7, 3, 0, 5]);
    }
}
