//! Randomness: which generator produces which numbers.
//!
//! ```text
//! sample row i (stream index offset + i)
//!   block   b = i / rows_per_block(K)            fixed by K alone
//!   lane    l in 0..8: xoshiro256++ seeded by SplitMix64 from
//!           lane_seed(seed, b, l) = mix(seed) + 8 b + l
//!   the block's uniforms come in vectors of 8, lane j from generator
//!   lane j: f32 takes a step's high 32 bits, then its low 32 bits;
//!   f64 takes one step per vector
//!   row r of its block takes vectors r * V .. (r+1) * V, V = ceil(K / 8);
//!   element j of the row is lane j % 8 of its vector j / 8
//! ```
//!
//! So a sample is a pure function of `(seed, stream index)`: threads, SIMD
//! level and how the rows are split between calls do not change it, and no
//! uniform is wasted (rows of 8 f32 take half a step each). Rows asked for
//! mid-block replay the block's earlier steps (at most `rows_per_block - 1`
//! rows' worth, about 4096 uniforms).

use crate::simd::{LANES, RngLanes};

/// Elements of one generator block; a block holds whole rows, at least one.
pub const BLOCK_ELEMENTS: usize = 4096;

/// SplitMix64's increment (Steele, Lea, Flood 2014), as in `rand_xoshiro`.
const SPLITMIX_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// One SplitMix64 step: advances `state`, returns the mixed output.
/// Identical to `rand_xoshiro::SplitMix64::next_u64`.
#[inline]
pub(crate) fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(SPLITMIX_GAMMA);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Rows per generator block for rows of `k` categories.
#[inline]
pub fn rows_per_block(k: usize) -> usize {
    BLOCK_ELEMENTS.div_ceil(k.max(1))
}

/// Vectors (of 8 uniforms) one row of `k` categories takes.
#[inline]
pub fn vectors_per_row(k: usize) -> usize {
    k.div_ceil(LANES)
}

/// The `u64` that seeds lane `lane` of block `block` through SplitMix64:
/// `rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(lane_seed(..))` is that
/// lane's generator.
#[inline]
pub fn lane_seed(seed: u64, block: u64, lane: usize) -> u64 {
    let mut s = seed;
    splitmix64(&mut s).wrapping_add(block.wrapping_mul(LANES as u64).wrapping_add(lane as u64))
}

/// The eight xoshiro256++ states of a block.
pub(crate) fn block_states(seed: u64, block: u64) -> [[u64; 4]; LANES] {
    core::array::from_fn(|lane| {
        let mut sm = lane_seed(seed, block, lane);
        core::array::from_fn(|_| splitmix64(&mut sm))
    })
}

/// The base of stream row `index`'s refinement bits ([`refine_bits`]):
/// `mix(mix(seed ^ tag) + index gamma)`, SplitMix64's mixer applied twice.
#[inline]
pub(crate) fn refine_base(seed: u64, index: u64) -> u64 {
    // The fractional digits of sqrt(2), as a tag that keeps these bits apart
    // from the lanes' seeds (`lane_seed`).
    let mut s = seed ^ 0x6A09_E667_F3BC_C908;
    let a = splitmix64(&mut s);
    let mut t = a.wrapping_add(index.wrapping_mul(SPLITMIX_GAMMA));
    splitmix64(&mut t)
}

/// 64 further random bits for element `element` of the stream row whose
/// [`refine_base`] is `base`: SplitMix64's output number `element + 1`
/// from state `base`, a counter-based draw independent of the
/// xoshiro lanes. The `f32` categorical sampler takes them only for the
/// few categories whose uniform it needs below `2^-24` (docs/SPEC.md,
/// section 6).
#[inline]
pub(crate) fn refine_bits(base: u64, element: u64) -> u64 {
    let mut s = base.wrapping_add(element.wrapping_mul(SPLITMIX_GAMMA));
    splitmix64(&mut s)
}

/// A stateless position in a seed's stream: sample row `j` of a call draws
/// from stream index `offset + j`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Stream {
    /// The seed.
    pub seed: u64,
    /// Stream index of the call's row 0.
    pub offset: u64,
}

impl Stream {
    /// The stream of `seed` from index `offset`.
    pub fn new(seed: u64, offset: u64) -> Stream {
        Stream { seed, offset }
    }
}

/// A generator handle: a seed and a position that advances by the number of
/// rows each call draws, so successive calls get fresh rows.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Generator {
    seed: u64,
    position: u64,
}

impl Generator {
    /// A generator at position 0 of `seed`'s stream.
    pub fn new(seed: u64) -> Generator {
        Generator { seed, position: 0 }
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The stream index the next call starts at.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Moves to stream index `position`.
    pub fn set_position(&mut self, position: u64) {
        self.position = position;
    }

    /// The stream for a call of `rows` rows, advancing past them.
    pub fn take(&mut self, rows: u64) -> Stream {
        let stream = Stream::new(self.seed, self.position);
        self.position = self.position.wrapping_add(rows);
        stream
    }
}

/// The generator lanes for consecutive rows of one call: re-seeded at every
/// block boundary, positioned mid-block by replaying earlier rows' draws.
pub(crate) struct RowRng<R: RngLanes> {
    seed: u64,
    rows_per_block: u64,
    block: u64,
    next_row: u64,
    lanes: R,
}

impl<R: RngLanes> RowRng<R> {
    /// Positions at stream index `first_row` for rows of `k` categories;
    /// `steps_per_draw` is the element type's xoshiro steps per 16
    /// uniforms (`Real::STEPS_PER_DRAW`: f32 1, f64 2).
    #[inline(always)]
    pub fn new(seed: u64, first_row: u64, k: usize, steps_per_draw: u64) -> Self {
        let rows_per_block = rows_per_block(k) as u64;
        let block = first_row / rows_per_block;
        let mut lanes = R::from_states(&block_states(seed, block));
        // Vectors before this row in its block; f32 has two per step.
        let skipped = (first_row % rows_per_block) * vectors_per_row(k) as u64;
        let vectors_per_step = 2 / steps_per_draw;
        lanes.skip(skipped / vectors_per_step);
        if skipped % vectors_per_step == 1 {
            lanes.skip_half();
        }
        RowRng {
            seed,
            rows_per_block,
            block,
            next_row: first_row,
            lanes,
        }
    }

    /// The lanes for the next row; the caller takes exactly
    /// `vectors_per_row(k)` vectors of uniforms from them.
    #[inline(always)]
    pub fn next_row(&mut self) -> &mut R {
        let block = self.next_row / self.rows_per_block;
        if block != self.block {
            self.block = block;
            self.lanes = R::from_states(&block_states(self.seed, block));
        }
        // Stream indices wrap at 2^64 (`Generator::take` wraps too), so the
        // row after index `u64::MAX` is index 0, the start of block 0.
        self.next_row = self.next_row.wrapping_add(1);
        &mut self.lanes
    }
}
