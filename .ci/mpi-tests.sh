#!/usr/bin/env bash
# MPI checks for the `mpi` feature (zoptim::mpi): builds the MPI examples and
# runs them under mpirun on 1, 2 and 4 ranks. Needs an MPI library, mpirun and
# libclang (Debian: libopenmpi-dev openmpi-bin libclang-dev). Exits non-zero
# when a report differs from the single-process run, a byte count is off, a
# NaN is handled differently on different ranks, or a job hangs.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
# Open MPI in containers: no CMA single-copy (ptrace is often denied), and
# quiet about the missing high-speed interconnects.
export OMPI_MCA_btl_vader_single_copy_mechanism="${OMPI_MCA_btl_vader_single_copy_mechanism:-none}"
export OMPI_MCA_btl="${OMPI_MCA_btl:-self,vader,tcp}"
mpi_flags=(--oversubscribe)
if [ "$(id -u)" = 0 ]; then mpi_flags+=(--allow-run-as-root); fi
target="${CARGO_TARGET_DIR:-target}"
bin="$target/release/examples"

echo "== mpi: build (release, --features mpi)"
cargo build --release --features mpi --example mpi_check --example mpi_quadratic

status=0
for np in 1 2 4; do
    echo "== mpi: mpirun -np $np mpi_check"
    if ! timeout 900 mpirun -np "$np" "${mpi_flags[@]}" "$bin/mpi_check"; then
        echo "mpi_check failed (or timed out) at np = $np"
        status=1
    fi
done

echo "== mpi: mpirun -np 2 mpi_quadratic"
if ! timeout 120 mpirun -np 2 "${mpi_flags[@]}" "$bin/mpi_quadratic"; then
    echo "mpi_quadratic failed at np = 2"
    status=1
fi

# An uncaught panic on one rank must end the whole job with a non-zero status
# (mpirun aborts the other ranks), not hang them in the next allgather.
echo "== mpi: a panicking rank ends the job (mpirun -np 2, rank 1 panics)"
set +e
timeout 120 mpirun -np 2 "${mpi_flags[@]}" "$bin/mpi_check" --panic-on-rank 1 >"$target/mpi-panic.log" 2>&1
rc=$?
set -e
if [ "$rc" = 124 ]; then
    echo "FAIL: the job hung after a panic on rank 1"; status=1
elif [ "$rc" = 0 ]; then
    echo "FAIL: mpirun exited 0 after a panic on rank 1"; status=1
else
    echo "ok   mpirun exited with status $rc after the panic (job aborted, no hang)"
fi
grep -E "panicked at|zoptim::mpi: the objective" "$target/mpi-panic.log" | head -2 || true

if [ "$status" = 0 ]; then echo "== mpi: all checks passed"; else echo "== mpi: FAILED"; fi
exit "$status"
