"""The Codex client identity: one version, sent the same way everywhere (SPEC §3)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from litellm_codex import codex_client
from litellm_codex.codex_catalog import CodexCatalog, ModelSpec, bundled_models


@pytest.fixture(autouse=True)
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(codex_client.VERSION_ENV, raising=False)
    codex_client.reset_client_version()
    yield
    codex_client.reset_client_version()


def fake_codex(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, output: str) -> Path:
    exe = tmp_path / "codex"
    exe.write_text(f"#!/bin/sh\necho '{output}'\necho called >> {tmp_path}/calls\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")
    return tmp_path / "calls"


def test_builtin_floor_without_an_installed_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert codex_client.client_version() == codex_client.BUILTIN_CLIENT_VERSION == "0.171.0"


def test_a_newer_installed_cli_wins_and_is_asked_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = fake_codex(tmp_path, monkeypatch, "codex-cli 0.180.2")
    assert codex_client.client_version() == "0.180.2"
    assert codex_client.client_version() == "0.180.2"
    assert calls.read_text().count("called") == 1


def test_an_older_installed_cli_does_not_lower_the_floor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_codex(tmp_path, monkeypatch, "codex-cli 0.98.0")
    assert codex_client.client_version() == "0.171.0"


def test_the_environment_overrides_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = fake_codex(tmp_path, monkeypatch, "codex-cli 0.180.0")
    monkeypatch.setenv(codex_client.VERSION_ENV, "0.150.0")
    assert codex_client.client_version() == "0.150.0"
    assert codex_client.version_for("0.166.0") == "0.150.0"  # the user's word
    assert not calls.exists()  # the CLI was never asked


def test_never_below_the_models_minimal_client_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert codex_client.version_for("0.200.1") == "0.200.1"
    assert codex_client.version_for("0.124.0") == "0.171.0"
    assert codex_client.version_for(None) == "0.171.0"


def test_importing_asks_nothing() -> None:
    assert not codex_client.client_version_resolved()


def test_user_agent_carries_the_same_version() -> None:
    agent = codex_client.user_agent("0.171.0", "codex_cli_rs")
    assert agent.startswith("codex_cli_rs/0.171.0 (")
    assert "litellm-codex/" in agent


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("0.171.0", "0.171.1", "0.171.1"),
        ("0.171.0", "0.99.9", "0.171.0"),
        ("0.1.0", "junk", "0.1.0"),
    ],
)
def test_newer(a: str, b: str, expected: str) -> None:
    assert codex_client.newer(a, b) == expected


def test_bundled_catalog_decides_per_model_without_names() -> None:
    catalog = CodexCatalog()
    sol = catalog.spec("gpt-6.2-sol")
    classic = catalog.spec("gpt-5.5")
    assert sol is not None and classic is not None
    assert sol.lite and not classic.lite
    assert sol.reasoning_levels[-2:] == ("max", "ultra") and sol.default_reasoning == "low"
    assert classic.reasoning_levels == ("low", "medium", "high", "xhigh")
    assert sol.context_window == 500_000 and classic.upgrade == "gpt-6-sol"
    assert catalog.spec("gpt-5.1-codex") is None
    assert catalog.slugs()[0] == "gpt-6.2-sol"
    assert "codex-auto-review" not in catalog.slugs()  # hidden
    assert "codex-auto-review" in catalog.slugs(include_hidden=True)
    # The flag, not the name, decides: a renamed entry keeps its shape.
    entry = {**bundled_models()[0], "slug": "anything", "use_responses_lite": False}
    assert ModelSpec.from_entry(entry).lite is False


def test_catalog_update_and_ttl() -> None:
    catalog = CodexCatalog([])
    assert catalog.stale() and not catalog.is_live()
    assert not catalog.update({"nope": 1})
    assert catalog.update({"models": [{"slug": "m", "use_responses_lite": True}]}, etag='W/"1"')
    assert catalog.etag == 'W/"1"' and catalog.is_live() and not catalog.stale()
    spec = catalog.spec("m")
    assert spec is not None and spec.lite
