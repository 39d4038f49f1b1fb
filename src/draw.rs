//! The one sampling entry of [`RelaxedOneHotCategorical`]: what to draw
//! ([`Draw`]: soft, log-space, straight-through or index rows, alone or
//! fused) and where the noise comes from ([`Noise`]: a generator, or a row
//! range of a stream), into the caller's buffers.
//!
//! ```text
//! dist.draw(Noise::Generator(&mut rng, samples), Draw::Soft(&mut y))
//! dist.draw(Noise::Rows(stream, 2..5), Draw::Hard { hard: &mut h, soft: &mut y })
//! ```
//!
//! Every form of one stream row comes from the same Gumbel noise, so the
//! forms agree bit for bit: `Draw::SoftWithLog` writes exactly what
//! `Draw::Soft` and `Draw::Log` write for the same rows, and `Draw::Index`
//! the position of the 1 of `Draw::Hard`. The short forms
//! ([`rsample`](RelaxedOneHotCategorical::rsample) and the other `Vec`
//! methods) allocate the outputs and call [`draw`](RelaxedOneHotCategorical::draw).

use crate::Float;
use crate::alloc;
use crate::dist::RelaxedOneHotCategorical;
use crate::error::{Error, Result, checked_product};
use crate::kernels::sample::SampleKind;
use crate::rng::{Generator, Stream};
use std::ops::Range;

/// Where the noise of a draw comes from.
#[derive(Debug)]
pub enum Noise<'g> {
    /// `samples x B` sample rows from the generator's position (row `i`
    /// from parameter row `i % B`); the generator then advances past them,
    /// only on success.
    Generator(&'g mut Generator, usize),
    /// Rows `rows` of the sample sequence of a stream: sample row `j` uses
    /// parameter row `j % B` and stream index `stream.offset + j`. Equal,
    /// bit for bit, to the same rows of any larger draw.
    Rows(Stream, Range<usize>),
}

/// What a draw writes, each buffer holding `rows x K` elements (`Index`:
/// `rows`), where `rows` is the number of sample rows of the [`Noise`].
#[derive(Debug)]
pub enum Draw<'o, T> {
    /// Relaxed samples `y` on the simplex.
    Soft(&'o mut [T]),
    /// Log-space samples `x = ln y`, finite wherever the category is not
    /// masked even when `y` underflows (low temperatures).
    Log(&'o mut [T]),
    /// Straight-through samples: one-hot rows (a 1 at the first index of the
    /// largest `y`) and the relaxed samples they came from.
    Hard {
        /// The one-hot rows.
        hard: &'o mut [T],
        /// The relaxed samples.
        soft: &'o mut [T],
    },
    /// `y` and `x = ln y` of one draw: the fused forward pass for
    /// gradients (pass both to a backward pass as `SampleForm::Both`).
    SoftWithLog {
        /// The relaxed samples.
        soft: &'o mut [T],
        /// Their log-space form.
        log: &'o mut [T],
    },
    /// One-hot rows with both forms of the relaxed samples they came from.
    HardWithLog {
        /// The one-hot rows.
        hard: &'o mut [T],
        /// The relaxed samples.
        soft: &'o mut [T],
        /// Their log-space form.
        log: &'o mut [T],
    },
    /// The straight-through sample as indices in `0..K` (the position of
    /// the 1 of `Hard`, ties included), without computing the soft sample.
    Index(&'o mut [i64]),
}

impl<T: Float> RelaxedOneHotCategorical<'_, T> {
    /// Draws `out` with the noise of `noise`. On error (a buffer of the
    /// wrong length, a reversed row range, sizes overflowing) nothing is
    /// written and the generator does not move.
    pub fn draw(&self, noise: Noise<'_>, out: Draw<'_, T>) -> Result<()> {
        match noise {
            Noise::Rows(stream, rows) => self.draw_rows(stream, rows, out),
            Noise::Generator(generator, samples) => {
                let rows = checked_product("samples x batch rows", samples, self.batch_rows())?;
                let stream = Stream::new(generator.seed(), generator.position());
                self.draw_rows(stream, 0..rows, out)?;
                generator.take(rows as u64);
                Ok(())
            }
        }
    }

    fn draw_rows(&self, stream: Stream, rows: Range<usize>, out: Draw<'_, T>) -> Result<()> {
        match out {
            Draw::Soft(out) => self.sample_rows(SampleKind::Soft, stream, rows, out, &mut []),
            Draw::Log(out) => self.sample_rows(SampleKind::Log, stream, rows, out, &mut []),
            Draw::Hard { hard, soft } => {
                self.sample_rows(SampleKind::Hard, stream, rows, soft, hard)
            }
            Draw::SoftWithLog { soft, log } => self.with_log_rows(stream, rows, &mut [], soft, log),
            Draw::HardWithLog { hard, soft, log } => {
                if hard.len() != soft.len() {
                    return Err(Error::length("hard output", hard.len(), soft.len()));
                }
                self.with_log_rows(stream, rows, hard, soft, log)
            }
            Draw::Index(out) => self.hard_index_rows(stream, rows, out),
        }
    }

    /// A buffer for `samples x B` rows of `width` elements each.
    pub(crate) fn sample_buffer<E: Copy + Default>(
        &self,
        samples: usize,
        width: usize,
    ) -> Result<Vec<E>> {
        let rows = checked_product("samples x batch rows", samples, self.batch_rows())?;
        let len = checked_product("sample rows x K", rows, width)?;
        alloc::filled(len, E::default(), "sample output")
    }

    /// `samples x B` relaxed samples (`samples * B * K` values), row `i`
    /// from parameter row `i % B`, drawn from `generator`: the short form of
    /// [`draw`](Self::draw) with [`Draw::Soft`].
    pub fn rsample(&self, generator: &mut Generator, samples: usize) -> Result<Vec<T>> {
        let mut out = self.sample_buffer(samples, self.num_categories())?;
        self.draw(Noise::Generator(generator, samples), Draw::Soft(&mut out))?;
        Ok(out)
    }

    /// A sample without gradient: in this crate, the same values as
    /// [`rsample`](Self::rsample).
    pub fn sample(&self, generator: &mut Generator, samples: usize) -> Result<Vec<T>> {
        self.rsample(generator, samples)
    }

    /// Log-space samples `x = ln y` ([`Draw::Log`]) into a new `Vec`.
    pub fn rsample_log(&self, generator: &mut Generator, samples: usize) -> Result<Vec<T>> {
        let mut out = self.sample_buffer(samples, self.num_categories())?;
        self.draw(Noise::Generator(generator, samples), Draw::Log(&mut out))?;
        Ok(out)
    }

    /// Straight-through samples ([`Draw::Hard`]) into new `Vec`s
    /// `(hard, soft)`.
    pub fn rsample_hard(
        &self,
        generator: &mut Generator,
        samples: usize,
    ) -> Result<(Vec<T>, Vec<T>)> {
        let mut hard = self.sample_buffer(samples, self.num_categories())?;
        let mut soft = self.sample_buffer(samples, self.num_categories())?;
        let out = Draw::Hard {
            hard: &mut hard,
            soft: &mut soft,
        };
        self.draw(Noise::Generator(generator, samples), out)?;
        Ok((hard, soft))
    }

    /// Relaxed samples and their log-space form from one draw
    /// ([`Draw::SoftWithLog`]) into new `Vec`s `(soft, log)`.
    pub fn rsample_with_log(
        &self,
        generator: &mut Generator,
        samples: usize,
    ) -> Result<(Vec<T>, Vec<T>)> {
        let mut soft = self.sample_buffer(samples, self.num_categories())?;
        let mut log = self.sample_buffer(samples, self.num_categories())?;
        let out = Draw::SoftWithLog {
            soft: &mut soft,
            log: &mut log,
        };
        self.draw(Noise::Generator(generator, samples), out)?;
        Ok((soft, log))
    }

    /// Straight-through indices ([`Draw::Index`]) into a new `Vec` of
    /// `samples * B` values in `0..K`.
    pub fn rsample_hard_index(
        &self,
        generator: &mut Generator,
        samples: usize,
    ) -> Result<Vec<i64>> {
        let mut out = self.sample_buffer(samples, 1)?;
        self.draw(Noise::Generator(generator, samples), Draw::Index(&mut out))?;
        Ok(out)
    }
}
