#!/usr/bin/env bash
# Makes, or reuses, the pinned Python test environment and prints its path.
#
#   venv="$(scripts/python_env.sh)"      then "$venv/bin/python" -m pytest ...
#
# The environment holds python/requirements-test.txt (numpy, scipy,
# scikit-learn, torch, pytest, matplotlib, setuptools-rust). torch's Linux
# wheel pulls several GB of CUDA packages, so the venv is kept outside the
# clone and reused across clones and runs: it lives in
# ${RELAXCAT_CACHE:-${XDG_CACHE_HOME:-~/.cache}/relaxcat}/venv-<first 16 hex
# of the sha256 of the requirements file>, so a change to the pins makes a
# new one. Without the cache (a new machine, CI) it is made from PyPI, which
# takes a few minutes. A venv is used only once it is complete (a marker
# written last), and concurrent callers wait on a lock.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
requirements="$root/python/requirements-test.txt"
cache="${RELAXCAT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/relaxcat}"
hash="$(sha256sum "$requirements" | cut -c1-16)"
venv="$cache/venv-$hash"
mkdir -p "$cache"

exec 9>"$cache/venv-$hash.lock"
flock 9
if [ ! -f "$venv/.complete" ]; then
    rm -rf "$venv"
    echo "scripts/python_env.sh: making $venv (pip install -r python/requirements-test.txt; torch is large)" >&2
    python3 -m venv "$venv" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2
    cp "$requirements" "$venv/.complete"
fi
echo "$venv"
