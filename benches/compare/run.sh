#!/usr/bin/env bash
# relaxcat against PyTorch and JAX (not part of CI).
#
#   benches/compare/run.sh            full run: writes benches/compare/results.{csv,png,json}
#                                   and results_ratios.md (a few minutes after the install)
#   benches/compare/run.sh --quick    small shapes, few repeats (output under /tmp)
#   benches/compare/run.sh --help     the other options (threads, --no-compile, ...)
#
# Builds the release library, creates benches/compare/.venv (gitignored) and
# installs requirements.txt into it once (torch's Linux wheel pulls several
# GB of CUDA packages; they are unused). If some package cannot be installed,
# the rest is installed and compare.py skips the systems it cannot import.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$here/.venv"

(cd "$root" && cargo build --release)

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
if ! cmp -s "$here/requirements.txt" "$venv/.installed-requirements"; then
    "$venv/bin/pip" install --quiet --upgrade pip
    if "$venv/bin/pip" install -r "$here/requirements.txt"; then
        cp "$here/requirements.txt" "$venv/.installed-requirements"
    else
        echo "run.sh: installing all of requirements.txt failed; installing package by package" >&2
        grep -vE '^\s*(#|$)' "$here/requirements.txt" | while read -r req; do
            "$venv/bin/pip" install "$req" || echo "run.sh: could not install $req; its systems are skipped" >&2
        done
    fi
fi

exec "$venv/bin/python" "$here/compare.py" "$@"
