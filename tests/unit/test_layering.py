"""The package's import arrows and its one-definition rules, checked on the source."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import litellm_codex
from litellm_codex import codex_client, copilot_identity

PACKAGE = Path(litellm_codex.__file__).parent


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def _product_files() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if "testing" not in p.relative_to(PACKAGE).parts]


def test_auth_never_imports_translate_or_providers() -> None:
    for path in (PACKAGE / "auth").glob("*.py"):
        bad = {
            name
            for name in _imports(path)
            if name.startswith(("litellm_codex.translate", "litellm_codex.providers"))
        }
        assert not bad, f"{path.name} imports {sorted(bad)}"


CODEX = Path(codex_client.__file__).name
COPILOT = Path(copilot_identity.__file__).name
#: Upstream facts and the one module allowed to spell each.
ONE_DEFINITION = {
    '"https://auth.openai.com"': CODEX,
    '"codex_cli_rs"': CODEX,
    '"https://chatgpt.com/backend-api/codex"': CODEX,
    '"app_EMoamEEZ73f0CkXaXp7hrann"': CODEX,
    '"https://api.githubcopilot.com"': COPILOT,
    '"https://api.github.com"': COPILOT,
    '"https://github.com"': COPILOT,
}


def test_each_upstream_fact_is_spelled_once() -> None:
    for literal, home in ONE_DEFINITION.items():
        where = [
            str(p.relative_to(PACKAGE))
            for p in _product_files()
            if literal in p.read_text(encoding="utf-8")
        ]
        assert where == [home], f"{literal} in {where}"


def test_provider_alias_tables_live_in_provider_names() -> None:
    # A dict literal mapping both spellings of a provider is a second copy of the table.
    pattern = re.compile(r'"(openai_codex|github-copilot)":\s*["A-Z]')
    where = [
        str(p.relative_to(PACKAGE))
        for p in _product_files()
        if pattern.search(p.read_text(encoding="utf-8"))
    ]
    assert where == [], where
