"""Eight users at once against a real `youju chat` (the real model, the sample corpus): no
errors, every answer identical to the one a single user gets, and the run stops by itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO

pytestmark = pytest.mark.slow


def test_eight_concurrent_chat_users_get_the_single_user_answers(real_home: Path) -> None:
    out = subprocess.run([sys.executable, str(REPO / "bench" / "load_test.py"), "--clients", "8",
                          "--questions", "200", "--rounds", "1", "--json"],
                         env={**os.environ, "YOUJU_HOME": str(real_home)}, capture_output=True, text=True, timeout=1500)
    assert out.returncode == 0, out.stderr[-2000:]
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    single, concurrent = summary["passes"]
    assert single["errors"] == 0 and concurrent["errors"] == 0
    assert concurrent["differ"] == 0
    # Answers queue for the cores: eight users together are served at least about as fast as one.
    assert concurrent["qps"] >= 0.8 * single["qps"]
