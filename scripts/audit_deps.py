"""Audit the installed Python packages for known vulnerabilities and yanked releases.

pip-audit cannot run where only the package index is reachable: it asks PyPI's per-version JSON
(`/pypi/NAME/VERSION/json`) or api.osv.dev. This script asks what does answer, PyPI's project
JSON (`/pypi/NAME/json`), which lists the known vulnerabilities (from OSV) of the latest release
and the yanked flag of every release's files. So, for each installed distribution:

- `vulnerable`: the installed version is the latest and PyPI lists vulnerabilities for it;
- `yanked`: the installed version's files are yanked (the reason is shown);
- `ok`: the installed version is the latest and has no known vulnerability;
- `behind`: a newer release exists, so PyPI's data does not say whether this one is affected
  (the latest release's own vulnerabilities, if any, are shown as possibly affecting it too);
- `local`: not on PyPI (youju itself); `unreachable`: PyPI did not answer.

The per-version endpoint is tried first, so on a machine where it answers, every version is
checked exactly. Exit status: 1 if anything is vulnerable (by an ID not given to --ignore) or
yanked, else 0. The report goes to stdout and, with --json, to a file.

    .venv/bin/python scripts/audit_deps.py --json runs/audit.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

PYPI = "https://pypi.org/pypi"
Fetch = Callable[[str], "dict | None"]  # URL -> parsed JSON, None on 404


@dataclass(frozen=True)
class Finding:
    name: str
    version: str
    status: str  # vulnerable | yanked | ok | behind | local | unreachable
    latest: str = ""
    vulns: list[str] = field(default_factory=list)  # "ID (fixed in X)" of this version (or of latest if behind)
    note: str = ""


def fetch_json(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return json.load(resp)
    except urllib.error.HTTPError as err:
        if err.code == 404:
            return None
        raise


def _vuln_ids(data: dict, ignore: frozenset[str] = frozenset()) -> list[str]:
    out = []
    for v in data.get("vulnerabilities") or []:
        if v.get("id") in ignore or ignore.intersection(v.get("aliases") or []):
            continue
        fixed = ", ".join(v.get("fixed_in") or []) or "no fix"
        out.append(f"{v.get('id', '?')} (fixed in {fixed})")
    return out


def _public(version: str) -> str:
    """The release a local build stands for: 2.13.0+cpu -> 2.13.0."""
    return version.split("+", 1)[0]


def check(name: str, version: str, fetch: Fetch = fetch_json, ignore: frozenset[str] = frozenset()) -> Finding:
    """One distribution's finding; network errors become `unreachable`, never an exception."""
    release = _public(version)
    try:
        exact = fetch(f"{PYPI}/{name}/{release}/json")
        project = fetch(f"{PYPI}/{name}/json")
    except (OSError, ValueError) as err:
        return Finding(name, version, "unreachable", note=str(err)[:120])
    if project is None:
        return Finding(name, version, "local", note="not on PyPI")
    latest = project.get("info", {}).get("version", "")
    files = project.get("releases", {}).get(release, [])
    yanked = [f for f in files if f.get("yanked")]
    if files and len(yanked) == len(files):
        return Finding(name, version, "yanked", latest, note=yanked[0].get("yanked_reason") or "")
    if exact is not None or release == latest:
        vulns = _vuln_ids(exact if exact is not None else project, ignore)
        return Finding(name, version, "vulnerable" if vulns else "ok", latest, vulns)
    return Finding(name, version, "behind", latest, _vuln_ids(project),
                   note="newer release exists; PyPI lists vulnerabilities only for the latest")


def installed() -> list[tuple[str, str]]:
    """(name, version) of every distribution in this environment, names normalised as on PyPI."""
    seen: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            seen[re.sub(r"[-_.]+", "-", name).lower()] = dist.version
    return sorted(seen.items())


def audit(packages: list[tuple[str, str]], fetch: Fetch = fetch_json, ignore: set[str] | None = None,
          workers: int = 8) -> list[Finding]:
    skip = frozenset(ignore or ())
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda p: check(p[0], p[1], fetch, skip), packages))


def summary(findings: list[Finding]) -> str:
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.status] = counts.get(f.status, 0) + 1
    lines = [f"{len(findings)} packages: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))]
    for f in findings:
        if f.status in ("vulnerable", "yanked", "behind", "unreachable"):
            extra = "; ".join(f.vulns) or f.note
            if f.status == "behind" and f.vulns:
                extra = f"not checked; the latest release has {extra}"
            lines.append(f"  {f.status:<11} {f.name} {f.version}" + (f" (latest {f.latest})" if f.latest else "")
                         + (f": {extra}" if extra else ""))
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", type=Path, help="also write every finding to this file")
    ap.add_argument("--ignore", action="append", default=[], metavar="ID",
                    help="a vulnerability ID reviewed and accepted (say why in docs/RELIABILITY.md); repeatable")
    args = ap.parse_args()
    findings = audit(installed(), ignore=set(args.ignore))
    print(summary(findings))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([asdict(f) for f in findings], ensure_ascii=False, indent=1), "utf-8")
    return 1 if any(f.status in ("vulnerable", "yanked") for f in findings) else 0


if __name__ == "__main__":
    sys.exit(main())
