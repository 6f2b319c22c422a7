#!/usr/bin/env bash
# Install everything, then run the main job on the bundled sample corpus: the first run
# prepares the default embedding model and indexes data/corpus by itself.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/install.sh
exec .venv/bin/youju ask "${1:-南京都市圈包括哪些地方?}"
