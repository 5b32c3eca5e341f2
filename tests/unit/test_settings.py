"""litellm_codex.settings: one reading of the environment, its precedence and README's table."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from litellm_codex import settings
from litellm_codex.settings import VARIABLES, Settings

README = Path(__file__).parents[2] / "README.md"


def test_readme_table_is_the_variable_list() -> None:
    text = README.read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([A-Z0-9_]+)` \| (.*) \| (.*) \|$", text, re.M)
    documented = {name: (meaning, default) for name, meaning, default in rows}
    for var in VARIABLES:
        assert documented.get(var.name) == (var.meaning, var.default), var.name


def test_every_variable_is_read() -> None:
    # Each documented variable changes the parsed settings (none is documented but ignored).
    base = Settings.from_env({})
    samples = {
        "LITELLM_CODEX_STORE": "file",
        "LITELLM_CODEX_CREDENTIALS": "per-user",
        "LITELLM_CODEX_TESTING_FAST": "1",
    }
    for var in VARIABLES:
        value = samples.get(var.name, "0" if "ZSTD" in var.name or "REFRESH" in var.name else "7")
        assert Settings.from_env({var.name: value}) != base, var.name


def test_defaults_and_parsing() -> None:
    found = Settings.from_env(
        {
            "OPENAI_CODEX_API_BASE": " http://127.0.0.1:9/x/ ",
            "LITELLM_CODEX_MAX_RETRIES": "5",
            "LITELLM_CODEX_RETRY_BASE_DELAY": "not a number",
            "LITELLM_CODEX_ZSTD": "off",
            "LITELLM_CODEX_STORE": " File ",
            "LITELLM_SALT_KEY": "salt",
        }
    )
    assert found.codex_api_base == "http://127.0.0.1:9/x"
    assert found.max_retries == 5
    assert found.retry_base_delay == 0.25  # unparsable: the default
    assert found.zstd is False and found.catalog_refresh is True
    assert found.store == "file"
    assert found.secret_key == "salt"  # LiteLLM's key when ours is unset
    assert found.url_setting("OPENAI_CODEX_API_BASE") == "http://127.0.0.1:9/x"
    assert found.url_setting("LITELLM_CODEX_STORE") is None


def test_precedence_call_then_environment_then_login_then_default() -> None:
    assert settings.first("http://call/", "http://env", "http://login") == "http://call"
    assert settings.first(None, "http://env/", "http://login") == "http://env"
    assert settings.first("", " ", "http://login") == "http://login"
    assert settings.first(None, None) is None


def test_read_once_until_reload() -> None:
    settings.reload({"LITELLM_CODEX_MAX_RETRIES": "3"})
    assert settings.current().max_retries == 3
    import os

    os.environ["LITELLM_CODEX_MAX_RETRIES"] = "4"  # behind the settings' back
    try:
        assert settings.current().max_retries == 3  # not re-read per call
        settings.invalidate()
        assert settings.current().max_retries == 4
    finally:
        del os.environ["LITELLM_CODEX_MAX_RETRIES"]
        settings.reload()


def test_test_mode_caps_waits() -> None:
    fast = Settings.from_env({"LITELLM_CODEX_TESTING_FAST": "1"})
    slow = Settings.from_env({})
    assert fast.wait(30.0) == settings.TESTING_FAST_CAP
    assert fast.wait(0.01) == 0.01
    assert slow.wait(30.0) == 30.0
    assert slow.wait(-1) == 0.0


def test_importing_reads_nothing_and_imports_only_os() -> None:
    code = (
        "import sys; before = set(sys.modules); import litellm_codex.settings as s; "
        "new = set(sys.modules) - before - {'litellm_codex', 'litellm_codex.settings'}; "
        "print(s._current is None, sorted(m for m in new if not m.startswith('_')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split(maxsplit=1)
    assert out[0] == "True"
    assert "litellm" not in out[1] and "httpx" not in out[1] and "pydantic" not in out[1]
