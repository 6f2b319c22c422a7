"""How many answers a server computes at once, shared by the chat UI and the HTTP API.

Answering is CPU-bound and the embedding runtime already uses every core for one question,
so on 2 cores one answer at a time gives the best throughput (bench/load_test.py); the other
requests (documents, citations) go on beside it."""

from __future__ import annotations

import os

ANSWER_SLOTS = max(1, (os.cpu_count() or 2) // 2)
