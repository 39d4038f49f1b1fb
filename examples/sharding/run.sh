#!/usr/bin/env bash
# Shards one relaxcat draw across the worker processes of a Dask local
# cluster and checks the gathered rows are bit-identical to one call.
#
#   examples/sharding/run.sh [--workers N] [--samples N] [--shards N]
#
# Builds the release library and installs the pinned Dask into
# examples/sharding/.venv (gitignored). CI checks the same property with
# plain processes: scripts/check_sharding.py.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$here/.venv"

(cd "$root" && cargo build --release)
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
if ! cmp -s "$here/requirements.txt" "$venv/.installed-requirements"; then
    "$venv/bin/pip" install --quiet -r "$here/requirements.txt"
    cp "$here/requirements.txt" "$venv/.installed-requirements"
fi
exec "$venv/bin/python" "$here/dask_sharding.py" "$@"
