"""The package's import arrows and its one-definition rules, checked on the source."""

from __future__ import annotations

import ast
import importlib
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


def _second_names(path: Path) -> list[str]:
    """Module-level names that only rename another litellm_codex module's attribute:
    ``X = other_module.Y`` / ``X = Y`` (``Y`` imported from the package) and
    ``from litellm_codex.x import y as z``."""
    ours: set[str] = set()  # local names of package modules and of names imported from them
    found: list[str] = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom):
            if node.level or (node.module or "").split(".")[0] == "litellm_codex":
                for alias in node.names:
                    ours.add(alias.asname or alias.name)
                    if alias.asname and alias.asname != alias.name:
                        found.append(alias.asname)
        elif isinstance(node, ast.Import):
            ours.update(
                (alias.asname or alias.name).split(".")[0]
                for alias in node.names
                if alias.name.split(".")[0] == "litellm_codex"
            )
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(
            node.value, (ast.Name, ast.Attribute)
        ):
            root: ast.expr = node.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in ours:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                found += [t.id for t in targets if isinstance(t, ast.Name)]
    return found


#: Second names left on purpose, each with its reason (none now).
KNOWN_SECOND_NAMES: set[str] = set()


def test_a_fact_has_one_name() -> None:
    # Pre-1.0, a renamed fact keeps no second name for its old one: import it from its home.
    found = {
        f"{p.relative_to(PACKAGE).as_posix()}: {name}"
        for p in PACKAGE.rglob("*.py")
        for name in _second_names(p)
    }
    assert found <= KNOWN_SECOND_NAMES, sorted(found - KNOWN_SECOND_NAMES)


#: The second names removed after the #14 renames (CHANGELOG, "Removed").
REMOVED = {
    "_registry": ["PROVIDERS"],
    "auth.codex_refresh": ["CLIENT_ID", "DEFAULT_AUTH_BASE"],
    "auth.copilot_exchange": [
        "DEFAULT_COPILOT_API_BASE",
        "DEFAULT_GITHUB_API_URL",
        "exchange_headers",
        "user_headers",
    ],
    "auth.device": ["TESTING_FAST_CAP"],
    "auth.login_github": ["CLIENT_ID", "SCOPE"],
    "auth.login_openai": ["AUTH_BASE_ENV"],
    "auth.pkce": ["CLIENT_ID", "DEFAULT_ISSUER", "ORIGINATOR"],
    "auth.records": ["PROVIDER_CODEX", "PROVIDER_COPILOT"],
    "cost_map": ["CODEX_PROVIDER_NAMES", "COPILOT_PROVIDER_NAMES"],
    "providers.codex": ["DEFAULT_API_BASE"],
    "providers.copilot": ["DEFAULT_API_BASE"],
}


def test_removed_second_names_stay_removed() -> None:
    back = [
        f"litellm_codex.{module}.{name}"
        for module, names in REMOVED.items()
        for name in names
        if hasattr(importlib.import_module(f"litellm_codex.{module}"), name)
    ]
    assert back == [], back
