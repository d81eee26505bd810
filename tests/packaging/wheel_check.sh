#!/usr/bin/env bash
# Build the wheel, install it (not editable) into a fresh virtual environment outside the
# checkout, and run the command-line program there: `models`, a coarse `run` of a shipped
# scenario and a `demo`. Proves that an installed tissue_sim finds its own data.
#
# Usage: tests/packaging/wheel_check.sh [PYTHON]   (PYTHON: interpreter with pip >= 22.3)
# The dependencies install from a wheelhouse (WHEELHOUSE, default
# ~/.cache/tissue-sim/wheelhouse) filled once with `pip download`, offline afterwards.
set -euo pipefail

repository="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
python="${1:-${PYTHON:-python3}}"
wheelhouse="${WHEELHOUSE:-${XDG_CACHE_HOME:-$HOME/.cache}/tissue-sim/wheelhouse}"
# A memory-backed folder when there is one: the environment is ~1 GB of small files, slow
# to delete on a disk mounted with discard.
scratch="${TMPDIR:-/tmp}"
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then scratch=/dev/shm; fi
work="$(mktemp -d "$scratch/tissue-sim-wheel-check.XXXXXX")"
trap 'rm -rf "$work"' EXIT
started=$SECONDS
step() { printf 'wheel-check [%3ds] %s\n' "$((SECONDS - started))" "$*"; }

# The checkout's files (committed or not, without ignored build output) in a clean tree, so
# that no stale build/ folder of the checkout leaks into the wheel.
step "copying the source tree"
mkdir -p "$work/source" "$work/dist" "$work/run" "$wheelhouse"
(cd "$repository" && git ls-files -z --cached --others --exclude-standard \
    | tar --null --ignore-failed-read -T - -cf -) | tar -C "$work/source" -xf -

step "building the wheel"
"$python" -m pip wheel --quiet --no-deps --wheel-dir "$work/dist" "$work/source" \
    >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
wheel="$(ls "$work"/dist/tissue_sim-*.whl)"
# every shipped data file is in the wheel, under tissue_sim/_data/
"$python" - "$wheel" "$repository" <<'PYTHON'
import sys
import zipfile
from pathlib import Path

wheel, repository = sys.argv[1], Path(sys.argv[2])
names = set(zipfile.ZipFile(wheel).namelist())
shipped = [
    path.relative_to(repository).as_posix()
    for folder in ("models/cells", "models/tissues", "configs/demos")
    for path in sorted((repository / folder).glob("*.yaml"))
]
missing = [name for name in shipped if f"tissue_sim/_data/{name}" not in names]
if missing or not shipped:
    sys.exit(f"wheel-check: missing from {Path(wheel).name}: {missing or 'every data file'}")
print(f"wheel-check: {len(shipped)} data files in {Path(wheel).name}")
PYTHON

step "creating a fresh virtual environment"
"$python" -m venv --without-pip "$work/venv"
install() {
    "$python" -m pip --python "$work/venv/bin/python" install --quiet --no-compile \
        --no-index --find-links "$wheelhouse" "$wheel"
}
step "installing $(basename "$wheel") and its dependencies"
if ! install 2>"$work/install.log"; then
    step "filling the wheelhouse $wheelhouse (once; later runs install offline)"
    "$python" -m pip download --quiet --only-binary=:all: --dest "$wheelhouse" "$wheel" \
        >>"$work/install.log" 2>&1 || { cat "$work/install.log" >&2; exit 1; }
    rm -f "$wheelhouse"/tissue_sim-*.whl
    install
fi

cd "$work/run"
unset PYTHONPATH TISSUE_SIM_MODELS
export MPLBACKEND=Agg
program="$work/venv/bin/tissue-sim"
"$work/venv/bin/python" - "$repository" <<'PYTHON'
import sys
from pathlib import Path

import tissue_sim
from tissue_sim.resources import data_directory

repository = Path(sys.argv[1]).resolve()
package = Path(tissue_sim.__file__).resolve().parent
assert repository not in package.parents, f"imported from the checkout: {package}"
assert data_directory() == package / "_data", data_directory()
print(f"wheel-check: tissue_sim from {package}, data in {data_directory()}")
PYTHON

step "tissue-sim models"
"$program" models > models.txt
grep -q tgfb1_fibrosis models.txt && grep -q lumbar models.txt \
    || { cat models.txt; echo "wheel-check: 'tissue-sim models' lists no shipped model" >&2; exit 1; }

step "tissue-sim run configs/static_compression.yaml --set mesh.size=coarse"
"$program" run "$repository/configs/static_compression.yaml" --set mesh.size=coarse \
    -o run --quiet
test -s run/result.h5 || { echo "wheel-check: the run wrote no result.h5" >&2; exit 1; }

step "tissue-sim demo pressure_and_shear"
"$program" demo pressure_and_shear -o demo --quiet > demo.txt
test -s demo.txt || { echo "wheel-check: the demo printed nothing" >&2; exit 1; }

step "passed"
