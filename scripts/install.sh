#!/usr/bin/env bash
# Create .venv and install youju with its test tools. torch is installed first and pinned:
# an unpinned torch pulled in by another package would fetch several GB of CUDA builds.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check torch==2.13.0
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
echo "youju installed in .venv ($(.venv/bin/youju --version))"
