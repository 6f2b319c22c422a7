#!/usr/bin/env bash
# Install everything, then open the chat on the bundled sample corpus (http://127.0.0.1:7860):
# the first run prepares the default embedding model and indexes data/corpus by itself.
# Extra arguments go to `youju chat` (e.g. --port 8000, --host 0.0.0.0, --lang en).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/install.sh
exec .venv/bin/youju chat "$@"
