"""Development sessions: `nox -s lint typing tests`, `nox -s e2e`, `nox -s bench`."""

from __future__ import annotations

import os
import subprocess

import nox

nox.options.sessions = ["lint", "typing", "tests"]
nox.options.error_on_external_run = True
nox.options.reuse_existing_virtualenvs = True

PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
# The lowest LiteLLM we support and the newest one that installs here. They are the same
# release today (1.106.2 is the newest on the package index this project is built with);
# the parametrization keeps both ends tested as soon as they differ.
LITELLM_LOWEST = "1.106.2"
LITELLM_NEWEST = None  # None: whatever pip resolves as newest

ENV = {"LITELLM_LOCAL_MODEL_COST_MAP": "True"}


def _pyenv_versions() -> None:
    """With pyenv, make every installed 3.10-3.13 visible as `python3.X` to nox.

    pyenv's shims only run the versions named in PYENV_VERSION (or the global one).
    """
    if "PYENV_VERSION" in os.environ:
        return
    try:
        names = subprocess.run(
            ["pyenv", "versions", "--bare"], capture_output=True, text=True, check=True, timeout=10
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return
    current = subprocess.run(
        ["pyenv", "version-name"], capture_output=True, text=True, check=False, timeout=10
    ).stdout.strip()
    wanted = [n for n in names if any(n.startswith(p + ".") for p in PYTHONS)]
    ordered = [current, *[n for n in wanted if n != current]] if current else wanted
    if ordered:
        os.environ["PYENV_VERSION"] = ":".join(ordered)


_pyenv_versions()


def _install(session: nox.Session, *groups: str, litellm: str | None = None) -> None:
    session.install("-U", "pip")
    session.install("-e", ".[proxy]", *[f"--group={g}" for g in groups])
    if litellm:
        session.install(f"litellm[mcp,proxy]=={litellm}")


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check + ruff format --check."""
    session.install("ruff")
    session.run("ruff", "check", "litellm_codex", "tests", "benchmarks", "noxfile.py")
    session.run("ruff", "format", "--check", "litellm_codex", "tests", "benchmarks", "noxfile.py")


@nox.session
def typing(session: nox.Session) -> None:
    """mypy --strict on the package."""
    _install(session, "typing")
    session.run("mypy", env=ENV)


@nox.session(python=PYTHONS)
@nox.parametrize("litellm", [LITELLM_LOWEST, LITELLM_NEWEST], ids=["lowest", "newest"])
def tests(session: nox.Session, litellm: str | None) -> None:
    """The whole test suite, with coverage, at both ends of the LiteLLM range."""
    _install(session, "tests", litellm=litellm)
    session.run(
        "pytest",
        "--cov=litellm_codex",
        "--cov-report=term-missing:skip-covered",
        *session.posargs,
        env=ENV,
    )


@nox.session
def e2e(session: nox.Session) -> None:
    """Only the end-to-end tests (real LiteLLM SDK, Router and proxy subprocess)."""
    _install(session, "tests")
    session.run("pytest", "tests/e2e", *session.posargs, env=ENV)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks against LiteLLM's built-in providers and raw httpx on the simulators."""
    _install(session, "tests")
    session.run("python", "-m", "benchmarks", *session.posargs, env=ENV)
