"""scripts/audit_deps.py classifies each installed package from PyPI's JSON, here served by a fake."""

from __future__ import annotations

import pytest
from helpers.scripts import load_script

audit_deps = load_script("audit_deps")

VULN = {"id": "GHSA-xxxx", "aliases": ["CVE-2026-1"], "fixed_in": ["1.1"]}


def project(latest: str, vulns: list[dict], releases: dict[str, list[dict]]) -> dict:
    return {"info": {"version": latest}, "vulnerabilities": vulns, "releases": releases}


def fake(pages: dict[str, dict | None]):
    def fetch(url: str) -> dict | None:
        if url not in pages:
            return None  # 404, like PyPI's per-version endpoint on this machine
        page = pages[url]
        if isinstance(page, OSError):
            raise page
        return page
    return fetch


P = audit_deps.PYPI


def test_latest_release_with_a_listed_vulnerability_is_vulnerable_and_fails() -> None:
    fetch = fake({f"{P}/lib/json": project("1.0", [VULN], {"1.0": [{"yanked": False}]})})
    (f,) = audit_deps.audit([("lib", "1.0")], fetch)
    assert f.status == "vulnerable" and f.vulns == ["GHSA-xxxx (fixed in 1.1)"]


def test_an_ignored_id_or_alias_is_not_reported() -> None:
    fetch = fake({f"{P}/lib/json": project("1.0", [VULN], {"1.0": [{}]})})
    assert audit_deps.audit([("lib", "1.0")], fetch, ignore={"CVE-2026-1"})[0].status == "ok"


def test_older_release_is_behind_unless_the_per_version_endpoint_answers() -> None:
    proj = project("2.0", [], {"1.0": [{}], "2.0": [{}]})
    behind = audit_deps.audit([("lib", "1.0")], fake({f"{P}/lib/json": proj}))[0]
    assert behind.status == "behind" and behind.latest == "2.0"
    exact = fake({f"{P}/lib/json": proj, f"{P}/lib/1.0/json": {"vulnerabilities": [VULN]}})
    assert audit_deps.audit([("lib", "1.0")], exact)[0].status == "vulnerable"


def test_local_build_is_checked_as_its_public_release() -> None:
    fetch = fake({f"{P}/torch/json": project("2.13.0", [], {"2.13.0": [{}]})})
    assert audit_deps.audit([("torch", "2.13.0+cpu")], fetch)[0].status == "ok"


def test_yanked_release_is_reported_with_its_reason() -> None:
    files = [{"yanked": True, "yanked_reason": "broken wheel"}]
    fetch = fake({f"{P}/lib/json": project("1.1", [], {"1.0": files, "1.1": [{}]})})
    f = audit_deps.audit([("lib", "1.0")], fetch)[0]
    assert (f.status, f.note) == ("yanked", "broken wheel")


@pytest.mark.parametrize("page, status", [(None, "local"), (OSError("no route"), "unreachable")])
def test_missing_or_unreachable_project_never_raises(page: object, status: str) -> None:
    fetch = fake({f"{P}/youju/json": page})  # type: ignore[dict-item]
    assert audit_deps.audit([("youju", "0.2.0")], fetch)[0].status == status


def test_summary_lists_only_what_needs_a_look() -> None:
    findings = [audit_deps.Finding("a", "1", "ok", "1"), audit_deps.Finding("b", "1", "behind", "2"),
                audit_deps.Finding("c", "1", "behind", "2", ["GHSA-y (fixed in 3)"])]
    text = audit_deps.summary(findings)
    assert text.splitlines()[0] == "3 packages: 2 behind, 1 ok" and "a 1" not in text and "b 1 (latest 2)" in text
    assert "c 1 (latest 2): not checked; the latest release has GHSA-y (fixed in 3)" in text
