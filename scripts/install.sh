#!/usr/bin/env bash
# Create .venv and install youju with its test tools. torch is installed first and pinned:
# an unpinned torch pulled in by another package would fetch several GB of CUDA builds.
# When .venv was installed from this very pyproject.toml and script (a stamp holds their hash)
# and still imports, nothing is reinstalled; `--force` reinstalls anyway.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
stamp=.venv/.youju-install
want=$(cat pyproject.toml scripts/install.sh | sha256sum | cut -d' ' -f1)
if [ "${1:-}" != "--force" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
        && .venv/bin/python -c "import youju" 2>/dev/null; then
    echo "youju already installed in .venv ($(.venv/bin/youju --version)); scripts/install.sh --force reinstalls"
    exit 0
fi
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
rm -f "$stamp"
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check torch==2.13.0
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
echo "$want" > "$stamp"
echo "youju installed in .venv ($(.venv/bin/youju --version))"
