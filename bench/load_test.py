"""Concurrent users against a real `youju chat` on localhost: starts the server in a fresh home
(the prepared model linked in from YOUJU_HOME), waits for it to be ready, asks every question
once as a single user (the reference answers and the single-user rate), then --rounds times with
--clients users at once (each its own Gradio session), and stops the server. Reports errors,
answers that differ from the single user's, latency p50/p95, throughput, and the server's RSS
after each pass.

    YOUJU_HOME=/tmp/yh .venv/bin/python bench/load_test.py [--clients 8] [--questions 200] [--rounds 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from common import REPO, free_port, fresh_home, header, rss_mb

YOUJU = str(Path(sys.executable).with_name("youju"))
SETS = [REPO / "data" / "eval" / "sample.jsonl", REPO / "data" / "eval" / "sample-new.jsonl"]
_TIME = re.compile(r"<span class='yj-time'>[^<]*</span>")
_TURN = re.compile(r" data-turn='\d+'")  # the turn's number in its own session


def questions(n: int) -> list[str]:
    qs = [json.loads(line)["question"] for path in SETS for line in path.read_text(encoding="utf-8").splitlines()
          if line.strip()]
    return [qs[i % len(qs)] for i in range(n)]


def last_turn(chat_html: str) -> str:
    """The newest question and answer of a chat page, without its timing."""
    return _TURN.sub("", _TIME.sub("", chat_html.rsplit("<div class='yj-msg yj-user'>", 1)[-1]))


class Server:
    def __init__(self, home: Path) -> None:
        fresh_home(home)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.proc = subprocess.Popen([YOUJU, "chat", "--port", str(self.port)], env={**os.environ, "YOUJU_HOME": str(home)},
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def client(self):
        from gradio_client import Client

        deadline = time.monotonic() + 600
        while True:
            try:
                return Client(self.url, verbose=False)
            except Exception:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"youju chat exited: {self.proc.stderr.read()[-500:]}") from None
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def one_pass(server: Server, qs: list[str], clients: int) -> tuple[list[str | None], list[float], float, int]:
    """(answers, latencies in s, wall s, errors), `clients` users each asking its share in turn."""
    answers: list[str | None] = [None] * len(qs)
    latency: list[float] = []
    errors = 0

    def user(k: int) -> None:
        nonlocal errors
        c = server.client()
        for i in range(k, len(qs), clients):
            t0 = time.perf_counter()
            try:
                out = c.predict(qs[i], api_name="/ask")
                answers[i] = last_turn(out[0])
            except Exception:
                errors += 1
            latency.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(user, range(clients)))
    return answers, latency, time.perf_counter() - t0, errors


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p * (len(s) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--questions", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=2, help="concurrent passes (RSS is read after each)")
    ap.add_argument("--json", action="store_true", help="print one JSON summary instead of the Markdown table")
    args = ap.parse_args()
    qs = questions(args.questions)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp) / "home")
        try:
            server.client().predict(api_name="/prepare")  # waits for the start-up preparation
            rss_start = rss_mb(server.proc.pid)
            ref, lat, wall, err = one_pass(server, qs, 1)
            rows.append({"pass": "single user", "clients": 1, "errors": err, "differ": 0, "p50": pct(lat, 0.5),
                         "p95": pct(lat, 0.95), "qps": len(qs) / wall, "rss": rss_mb(server.proc.pid)})
            for r in range(args.rounds):
                got, lat, wall, err = one_pass(server, qs, args.clients)
                rows.append({"pass": f"concurrent {r + 1}", "clients": args.clients, "errors": err,
                             "differ": sum(a != b for a, b in zip(got, ref)), "p50": pct(lat, 0.5),
                             "p95": pct(lat, 0.95), "qps": len(qs) / wall, "rss": rss_mb(server.proc.pid)})
        finally:
            server.stop()
    if args.json:
        print(json.dumps({"questions": len(qs), "rss_start": rss_start, "passes": rows}))
        return
    print(header("Concurrent chat users", f"YOUJU_HOME=/tmp/yh .venv/bin/python bench/load_test.py --clients "
                                          f"{args.clients} --questions {args.questions} --rounds {args.rounds}"))
    print(f"- {len(qs)} questions per pass; server RSS after start-up and warm-up: {rss_start:.0f} MB\n")
    print("| pass | clients | errors | answers differing from single user | p50 s | p95 s | questions/s | RSS after, MB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['pass']} | {row['clients']} | {row['errors']} | {row['differ']} | {row['p50']:.2f} | "
              f"{row['p95']:.2f} | {row['qps']:.2f} | {row['rss']:.0f} |")


if __name__ == "__main__":
    main()
