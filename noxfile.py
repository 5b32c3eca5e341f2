"""Development sessions: `nox -s tests` (what CI runs), `nox -s lint typing`, `nox -s e2e bench`.

LiteLLM moves fast and our users run many releases of it, so the suite runs at three points,
each in its own virtualenv (see README "Supported LiteLLM versions"):

========  ==========================  ======================================================
point     LiteLLM                     why
========  ==========================  ======================================================
floor     ``litellm[mcp,proxy]``      the lowest release pyproject allows
          ``==1.106.2``
proxy     ``litellm[mcp,proxy]``      the newest release that installs with the ``proxy``
          ``==1.108.7``               extra (1.110's needs ``litellm-proxy``, not published
                                      on the package index we build with); also the version
                                      ``mypy`` is pinned to (``typing``)
newest    ``litellm[mcp]==1.110.2``   the newest SDK release; no proxy, so the proxy tests
                                      skip there and say why
========  ==========================  ======================================================

The points are pinned so that a LiteLLM release cannot turn CI red overnight; moving them is
a deliberate change (bump the constants, run `nox -s tests`, fix what breaks, update README).
`nox -s tests_unpinned` runs the suite on whatever pip resolves today, to find the next bump.
Every `tests` point also runs `mypy --strict`, so our code type-checks against each point's
LiteLLM types, not only the pinned one.
"""

from __future__ import annotations

import os
import subprocess

import nox

nox.options.sessions = ["tests", "lint"]
nox.options.error_on_external_run = True
nox.options.reuse_existing_virtualenvs = True
nox.options.default_venv_backend = "venv"

PYTHONS = ["3.10", "3.11", "3.12", "3.13"]

#: point -> (pip requirement for LiteLLM, install our ``proxy`` extra).
LITELLM_POINTS: dict[str, tuple[str, bool]] = {
    "floor": ("litellm[mcp,proxy]==1.106.2", True),
    "proxy": ("litellm[mcp,proxy]==1.108.7", True),
    "newest": ("litellm[mcp]==1.110.2", False),
}
#: The LiteLLM whose type information `nox -s typing` checks against.
TYPING_POINT = "proxy"

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


def _install(session: nox.Session, point: str | None, *groups: str) -> None:
    """Install the package with ``groups``; at ``point``, with that point's LiteLLM."""
    session.install("-U", "pip")
    if point is None:
        session.install("-e", ".[proxy]", *[f"--group={g}" for g in groups])
        return
    requirement, with_proxy = LITELLM_POINTS[point]
    target = ".[proxy]" if with_proxy else "."
    # One resolver run with LiteLLM pinned, so nothing floats it up or down afterwards.
    session.install("-e", target, requirement, *[f"--group={g}" for g in groups])


def _point_env(point: str | None) -> dict[str, str]:
    env = dict(ENV)
    if point is not None:
        env["LITELLM_CODEX_TEST_POINT"] = point
        # Where the proxy is part of the point, a missing `litellm --config` is a failure, not
        # a skip (tests/e2e/_proxy.py reads this).
        env["LITELLM_CODEX_EXPECT_PROXY"] = "1" if LITELLM_POINTS[point][1] else "0"
    return env


@nox.session(python=False)
def lint(session: nox.Session) -> None:
    """ruff check + ruff format --check (ruff from the `lint` group, in the current env)."""
    paths = ["litellm_codex", "tests", "benchmarks", "noxfile.py"]
    session.run("python", "-m", "ruff", "check", *paths)
    session.run("python", "-m", "ruff", "format", "--check", *paths)


@nox.session
def typing(session: nox.Session) -> None:
    """mypy --strict on the package, against the pinned LiteLLM (TYPING_POINT)."""
    _install(session, TYPING_POINT, "typing")
    session.run("mypy", env=ENV)


@nox.session
@nox.parametrize("point", list(LITELLM_POINTS), ids=list(LITELLM_POINTS))
def tests(session: nox.Session, point: str) -> None:
    """The whole suite and mypy at one LiteLLM point (`nox -s "tests(floor)"` for one)."""
    _install(session, point, "tests", "typing")
    session.run(
        "python", "-c", "import importlib.metadata as m; print('litellm', m.version('litellm'))"
    )
    session.run("pytest", *session.posargs, env=_point_env(point))
    session.run("mypy", env=ENV)


@nox.session(python=PYTHONS)
def tests_pythons(session: nox.Session) -> None:
    """The suite on every supported Python (those installed), at the `proxy` point."""
    _install(session, "proxy", "tests")
    session.run("pytest", *session.posargs, env=_point_env("proxy"))


@nox.session
def tests_unpinned(session: nox.Session) -> None:
    """The suite on whatever LiteLLM pip resolves today (not in CI: finds the next bump)."""
    _install(session, None, "tests")
    session.run("pytest", *session.posargs, env=ENV)


@nox.session
def e2e(session: nox.Session) -> None:
    """Only the end-to-end tests (real LiteLLM SDK, Router and proxy subprocess)."""
    _install(session, "proxy", "tests")
    session.run("pytest", "tests/e2e", *session.posargs, env=_point_env("proxy"))


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks against LiteLLM's built-in providers and raw httpx on the simulators."""
    _install(session, "proxy", "tests")
    session.run("python", "-m", "benchmarks", *session.posargs, env=ENV)
