//! What a ReLIZO estimator shows of itself (`Debug`) and what its checkpoint
//! holds: the committed samples (their points, the anchor and its value,
//! lengths, values, the Gram matrix and its error bounds) and the last step's
//! statistics. The step in progress and the phase
//! scratch are rebuilt by replaying the step, so they are not saved.
#![warn(clippy::too_many_lines, clippy::too_many_arguments)]

use super::state::State;
use super::{Relizo, RelizoStep};
use crate::error::{Error, Result};
use crate::real::Real;
use crate::run::ComponentState;

/// The configuration, and whether samples are held (not the n·d buffers).
impl<F> std::fmt::Debug for Relizo<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relizo")
            .field("samples", &self.n)
            .field("reuse_distance_bound", &self.b)
            .field("max_reuse_rate", &self.rho)
            .field("offset_scale", &self.sigma)
            .field("sampling", &self.sampling)
            .field("sample_momentum", &self.momentum)
            .field("gram_update", &self.gram_update)
            .field("dim", &self.state.dim)
            .field("holds_samples", &self.state.has_samples)
            .finish()
    }
}

/// Writes the parameters and the committed samples (only the `ne` rows they
/// occupy, by slot).
pub(super) fn save<F: Real>(r: &Relizo<F>, out: &mut ComponentState) {
    out.param("samples", r.n)
        .param("reuse_distance_bound", r.b)
        .param("max_reuse_rate", r.rho)
        .param("sigma", r.sigma)
        .param("sampling", r.sampling)
        .param("momentum", r.momentum)
        .param("gram_update", r.gram_update);
    let s = &r.state;
    out.put_count("has_samples", u64::from(s.has_samples));
    if let Some(l) = &s.last {
        out.put_counts(
            "last_step",
            [
                l.queries,
                l.reused,
                usize::from(l.reused_previous_iterate),
                l.new_samples,
                l.rank,
                l.recomputed_rows,
            ]
            .map(|v| v as u64),
        );
    }
    if !s.has_samples {
        return;
    }
    let h = &s.held;
    let d = s.dim;
    let mut points = Vec::with_capacity(s.ne * d);
    for &row in &h.row_of_slot {
        points.extend_from_slice(&s.points[row * d..(row + 1) * d]);
    }
    out.put_floats("points", &points)
        .put_counts("row_of_slot", h.row_of_slot.iter().map(|&r| r as u64))
        .put_counts("spare_rows", h.spare_rows.iter().map(|&r| r as u64))
        .put_counts("order", h.order.iter().map(|&r| r as u64))
        .put_floats("anchor", &h.anchor)
        .put_floats("anchor_value", &[h.anchor_value])
        .put_floats("lengths", &h.lengths)
        .put_floats("values", &h.values)
        .put_floats("gram_error", &h.gram_error)
        .put_floats("gram", &h.gram);
}

/// Restores what [`save`] wrote into a state prepared for the same `ne` and d.
pub(super) fn load<F: Real>(s: &mut State<F>, state: &ComponentState) -> Result<()> {
    s.has_samples = state.count("has_samples")? != 0;
    s.last = match state.counts("last_step") {
        Ok([queries, reused, previous, new_samples, rank, recomputed]) => {
            let u = |v: &u64| usize::try_from(*v).unwrap_or(usize::MAX);
            Some(RelizoStep {
                queries: u(queries),
                reused: u(reused),
                reused_previous_iterate: *previous != 0,
                new_samples: u(new_samples),
                rank: u(rank),
                recomputed_rows: u(recomputed),
            })
        }
        Ok(_) => return Err(corrupt("`last_step` does not hold six counts")),
        Err(_) => None,
    };
    s.plan = None;
    if !s.has_samples {
        return Ok(());
    }
    let (ne, d) = (s.ne, s.dim);
    let h = &mut s.held;
    // The rows: a permutation of 0..2ne split into the samples' and the spare ones.
    let mut rows = Vec::new();
    let slots = state.counts("row_of_slot")?;
    let spare = state.counts("spare_rows")?;
    if slots.len() != ne || spare.len() != ne {
        return Err(corrupt("the sample rows do not match the number of samples"));
    }
    rows.extend(slots.iter().chain(spare).map(|&r| r as usize));
    let mut seen = vec![false; 2 * ne];
    for &r in &rows {
        if r >= 2 * ne || std::mem::replace(&mut seen[r], true) {
            return Err(corrupt("the sample rows are not a permutation"));
        }
    }
    h.row_of_slot.clear();
    h.row_of_slot.extend_from_slice(&rows[..ne]);
    h.spare_rows.clear();
    h.spare_rows.extend_from_slice(&rows[ne..]);
    state.read_permutation("order", ne, &mut h.order)?;
    state.read_floats("anchor", d, &mut h.anchor)?;
    let mut one = Vec::new();
    state.read_floats("anchor_value", 1, &mut one)?;
    h.anchor_value = one[0];
    state.read_floats("lengths", ne, &mut h.lengths)?;
    state.read_floats("values", ne, &mut h.values)?;
    state.read_floats("gram_error", ne, &mut h.gram_error)?;
    state.read_floats("gram", ne * ne, &mut h.gram)?;
    let mut points: Vec<F> = Vec::new();
    state.read_floats("points", ne * d, &mut points)?;
    for (slot, &row) in h.row_of_slot.iter().enumerate() {
        s.points[row * d..(row + 1) * d].copy_from_slice(&points[slot * d..(slot + 1) * d]);
    }
    Ok(())
}

fn corrupt(what: &str) -> Error {
    Error::CheckpointCorrupt {
        reason: format!("relizo: {what}"),
    }
}
