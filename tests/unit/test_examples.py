"""The README's team proxy config is the one in examples/proxy/ (which the e2e tests run)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "proxy"


def _section(title: str) -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def test_readme_config_is_the_example_config() -> None:
    yaml = pytest.importorskip("yaml")
    section = _section("Running the proxy for a team")
    block = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert block is not None
    assert yaml.safe_load(block.group(1)) == yaml.safe_load(
        (EXAMPLES / "config.yaml").read_text(encoding="utf-8")
    )


def test_readme_names_every_example_file() -> None:
    section = _section("Running the proxy for a team")
    for name in ("config.yaml", "config-per-user.yaml", "team_keys.py", "Dockerfile"):
        assert (EXAMPLES / name).exists()
        assert name in section, name


def test_dockerfile_starts_the_example_config() -> None:
    dockerfile = (EXAMPLES / "Dockerfile").read_text(encoding="utf-8")
    assert "COPY config.yaml /app/config.yaml" in dockerfile
    assert '"--config", "/app/config.yaml"' in dockerfile
    assert "LITELLM_CODEX_STORE=file" in dockerfile
