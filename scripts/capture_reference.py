#!/usr/bin/env python3
"""Capture what the official clients send, and write the sanitised conformance golden set.

Runs the pinned reference clients (``tests/reference-clients/package.json``: the Codex CLI
and the GitHub Copilot CLI) offline, each inside its own network namespace that has only
``lo`` (``unshare -n``), with ``HTTPS_PROXY`` pointing at a local ``mitmdump`` whose addon
(``scripts/capture_addon.py``) records every request and answers it itself: nothing
leaves the machine. The method is the one of ``reference-clients-2026-11.md`` §0.

Usage (needs root for the namespace, ``npm`` and the npm registry)::

    sudo scripts/capture_reference.py                       # the pinned versions
    sudo scripts/capture_reference.py --codex-version 0.172.0 --copilot-version 1.0.103
    sudo scripts/capture_reference.py --only codex --raw /tmp/capture

Writes ``tests/conformance/golden/{codex,copilot}/<conversation>.json`` (sanitised: every
token, id, machine id and timestamp replaced by a placeholder; header names in order; body
key structure and shapes kept; long texts shortened) and, with ``--raw``, the unsanitised
JSON-lines log of every request next to it (never commit that).

mitmproxy is installed into its own virtualenv (``--venv``, default
``~/.cache/litellm-codex-capture/venv``); it is not a dependency of the project. This
script is not run in CI; the golden set and ``tests/conformance`` are.
"""

# This script exists to drive npm, unshare, mitmdump and the clients: subprocess use is its
# job, with fixed argument lists.
# ruff: noqa: S603, S607
from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = ROOT / "tests" / "reference-clients"
GOLDEN = ROOT / "tests" / "conformance" / "golden"
ADDON = Path(__file__).resolve().parent / "capture_addon.py"
PROXY_PORT = 8080


def _png(size: int = 32) -> bytes:
    """A valid ``size`` x ``size`` RGB PNG (the image conversation). The Codex CLI drops
    images it cannot decode ("image content omitted"), so this one is built properly."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    rows = b"".join(b"\x00" + b"\xcc\x33\x33" * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PNG = _png()

SYSTEM = "Be brief."
TOOL_PROMPT = "Call get_weather for Paris, then answer in one word."
IMAGE_PROMPT = "What is in this image? One word."
TEXT_PROMPT = "Say hello in one word."
#: What the mock's ``exec`` call runs in Codex's code mode (Lite models): the MCP tool.
CODE_MODE_INPUT = (
    'const r = await tools.mcp__capture__get_weather({city: "Paris"});\ntext(JSON.stringify(r));'
)


@dataclass
class Run:
    """One client invocation: a conversation with one model."""

    client: str  # codex | copilot
    family: str  # lite | standard | messages | responses | chat
    model: str
    conversation: str  # tool | image | refresh
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.family}-{self.conversation}"


def plan(only: str | None) -> list[Run]:
    runs: list[Run] = []
    if only in (None, "codex"):
        for family, model in (("lite", "gpt-6.2-sol"), ("standard", "gpt-5.5")):
            for conversation in ("tool", "image", "refresh"):
                runs.append(Run("codex", family, model, conversation))
        # A plain function tool declared inside a Lite namespace, called by the "server"
        # as a function_call carrying its namespace: how the client answers it.
        runs.append(Run("codex", "lite", "gpt-6.2-sol", "function", {"tool": "sleep"}))
    if only in (None, "copilot"):
        for family, model in (
            ("messages", "claude-sonnet-4.6"),
            ("responses", "gpt-5.2"),
            ("chat", "gemini-3-pro-preview"),
        ):
            # The Copilot CLI has nothing to refresh (its GitHub token is the bearer):
            # "unauthorized" records what it does with a 401 instead.
            for conversation in ("tool", "image", "unauthorized"):
                runs.append(Run("copilot", family, model, conversation))
    return runs


# ---------------------------------------------------------------------------------------
# Outside the namespace: install, then re-run this script inside ``unshare -n``
# ---------------------------------------------------------------------------------------


def _run(cmd: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    print("+", " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=True, text=True, **kw)


def install_clients(codex_version: str | None, copilot_version: str | None) -> None:
    pkg_path = CLIENTS / "package.json"
    pkg = json.loads(pkg_path.read_text())
    changed = False
    for name, version in (("@openai/codex", codex_version), ("@github/copilot", copilot_version)):
        if version and pkg["dependencies"].get(name) != version:
            pkg["dependencies"][name] = version
            changed = True
    if changed:
        pkg_path.write_text(json.dumps(pkg, indent=2) + "\n")
    _run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(CLIENTS)])


def ensure_venv(venv: Path) -> Path:
    py = venv / "bin" / "python"
    mitmdump = venv / "bin" / "mitmdump"
    if not mitmdump.exists():
        _run([sys.executable, "-m", "venv", str(venv)])
        _run([str(py), "-m", "pip", "install", "-q", "mitmproxy", "zstandard"])
    return mitmdump


def outer(args: argparse.Namespace) -> int:
    if os.geteuid() != 0:
        print(
            "capture_reference.py needs root: it runs each client in its own network "
            "namespace (unshare -n) so that nothing can reach the real services. Rerun it "
            "with sudo, or in a container where you are root. Nothing was captured.",
            file=sys.stderr,
        )
        return 2
    for tool in ("unshare", "npm", "ip"):
        if shutil.which(tool) is None:
            print(f"capture_reference.py needs `{tool}` on PATH.", file=sys.stderr)
            return 2
    if not args.skip_install:
        install_clients(args.codex_version, args.copilot_version)
    mitmdump = ensure_venv(Path(args.venv).expanduser())
    work = Path(tempfile.mkdtemp(prefix="capture-reference-"))
    cmd = [
        "unshare",
        "-n",
        "--",
        sys.executable,
        str(Path(__file__).resolve()),
        "--inside",
        "--work",
        str(work),
        "--mitmdump",
        str(mitmdump),
        "--golden",
        str(Path(args.golden).resolve()),
    ]
    if args.only:
        cmd += ["--only", args.only]
    if args.raw:
        cmd += ["--raw", str(Path(args.raw).resolve())]
    try:
        return subprocess.run(cmd, check=False).returncode
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"work directory kept: {work}")


# ---------------------------------------------------------------------------------------
# Inside the namespace
# ---------------------------------------------------------------------------------------


def _bin(name: str) -> Path:
    return CLIENTS / "node_modules" / ".bin" / name


def client_version(name: str) -> str:
    out = subprocess.run([str(_bin(name)), "--version"], capture_output=True, text=True).stdout
    match = re.search(r"(\d+\.\d+\.\d+)", out)
    return match.group(1) if match else "unknown"


def codex_catalog() -> dict[str, Any]:
    """The model catalog embedded in the Codex binary (``{"models": [...]}``)."""
    found = list((CLIENTS / "node_modules").glob("@openai/codex-*/vendor/*/bin/codex"))
    if not found:
        raise SystemExit("the Codex binary was not found under tests/reference-clients")
    data = found[0].read_bytes()
    start = data.find(b'{\n  "models": [')
    if start < 0:
        start = data.find(b'{"models":[')
    if start < 0:
        raise SystemExit("no embedded model catalog found in the Codex binary")
    text = data[start : start + 8_000_000].decode("utf-8", "replace")
    obj, _ = json.JSONDecoder().raw_decode(text)
    return dict(obj)


def copilot_catalog() -> list[dict[str, Any]]:
    """A small Copilot ``/models`` list: one model per routing family (§2 of the note)."""

    def model(
        mid: str, vendor: str, family: str, endpoints: list[str], efforts: list[str] | None
    ) -> dict[str, Any]:
        supports: dict[str, Any] = {
            "streaming": True,
            "tool_calls": True,
            "parallel_tool_calls": True,
            "vision": True,
            "structured_outputs": True,
        }
        if efforts:
            supports["reasoning_effort"] = efforts
        return {
            "id": mid,
            "name": mid,
            "object": "model",
            "vendor": vendor,
            "version": mid,
            "preview": False,
            "model_picker_enabled": True,
            "model_picker_category": "powerful",
            "is_chat_default": mid.startswith("gpt"),
            "is_chat_fallback": False,
            "billing": {"is_premium": True, "multiplier": 1, "restricted_to": []},
            "policy": {"state": "enabled", "terms": ""},
            "supported_endpoints": endpoints,
            "capabilities": {
                "family": family,
                "type": "chat",
                "object": "model_capabilities",
                "tokenizer": "o200k_base",
                "limits": {
                    "max_context_window_tokens": 200000,
                    "max_output_tokens": 32000,
                    "max_prompt_tokens": 168000,
                    "vision": {
                        "max_prompt_image_size": 3145728,
                        "max_prompt_images": 5,
                        "supported_media_types": ["image/jpeg", "image/png", "image/webp"],
                    },
                },
                "supports": supports,
            },
        }

    return [
        model(
            "claude-sonnet-4.6",
            "Anthropic",
            "claude-sonnet-4.6",
            ["/chat/completions", "/v1/messages"],
            ["low", "medium", "high"],
        ),
        model(
            "gpt-5.2",
            "OpenAI",
            "gpt-5.2",
            ["/chat/completions", "/responses"],
            ["low", "medium", "high"],
        ),
        model("gemini-3-pro-preview", "Google", "gemini-3-pro", ["/chat/completions"], None),
    ]


def _wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"mitmdump did not listen on 127.0.0.1:{port}")


def _b64(obj: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def _jwt(claims: dict[str, Any]) -> str:
    return f"{_b64({'alg': 'RS256', 'typ': 'JWT'})}.{_b64(claims)}.{_b64('sig')}"


def codex_home(home: Path) -> Path:
    """A ``CODEX_HOME`` with a fake ChatGPT login (§0) and the file credential store."""
    ch = home / ".codex"
    ch.mkdir(parents=True)
    now = int(time.time())
    account = "00000000-0000-4000-8000-000000000001"
    claim = {
        "chatgpt_account_id": account,
        "chatgpt_plan_type": "pro",
        "chatgpt_user_id": "user-capture",
        "user_id": "user-capture",
    }
    auth = {
        "auth_mode": "chatgpt",
        "OPENAI_API_KEY": None,
        "tokens": {
            "id_token": _jwt(
                {
                    "email": "capture@example.invalid",
                    "email_verified": True,
                    "exp": now + 3600,
                    "iat": now,
                    "https://api.openai.com/auth": claim,
                }
            ),
            "access_token": _jwt(
                {"exp": now + 3600, "iat": now, "https://api.openai.com/auth": claim}
            ),
            "refresh_token": "rt_capture_initial",
            "account_id": account,
        },
        "last_refresh": time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime()),
    }
    (ch / "auth.json").write_text(json.dumps(auth, indent=2))
    os.chmod(ch / "auth.json", 0o600)
    mcp = Path(__file__).resolve().parent / "capture_mcp_server.py"
    (ch / "config.toml").write_text(
        'cli_auth_credentials_store = "file"\n'
        f'developer_instructions = "{SYSTEM}"\n'
        "[mcp_servers.capture]\n"
        f'command = "{sys.executable}"\n'
        f'args = ["{mcp}"]\n'
    )
    return ch


def run_client(run: Run, work: Path, mitmdump: str, log: Path, catalog: dict[str, Any]) -> None:
    rundir = work / run.client / run.name
    home = rundir / "home"
    home.mkdir(parents=True)
    proj = rundir / "project"
    proj.mkdir()
    (proj / "image.png").write_bytes(PNG)
    state = {
        "run": run.name,
        "scenario": "tool" if run.conversation in ("tool", "function") else "text",
        "custom_input": CODE_MODE_INPUT,
        **run.extra,
        "codex_models": catalog.get("codex"),
        "copilot_models": catalog.get("copilot"),
    }
    if run.conversation in ("refresh", "unauthorized"):
        state["scenario"] = "refresh"
    state_file = rundir / "state.json"
    state_file.write_text(json.dumps(state))
    confdir = work / "mitm"
    env = {
        **os.environ,
        "CAPTURE_STATE": str(state_file),
        "CAPTURE_LOG": str(log),
    }
    proxy = subprocess.Popen(
        [
            mitmdump,
            "-q",
            "--listen-host",
            "127.0.0.1",
            "-p",
            str(PROXY_PORT),
            "--set",
            f"confdir={confdir}",
            "--set",
            "connection_strategy=lazy",
            "-s",
            str(ADDON),
        ],
        env=env,
        start_new_session=True,
    )
    try:
        _wait_port(PROXY_PORT)
        ca = confdir / "mitmproxy-ca-cert.pem"
        cenv = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "TERM": "xterm",
            "LANG": "C.UTF-8",
            "HTTPS_PROXY": f"http://127.0.0.1:{PROXY_PORT}",
            "HTTP_PROXY": f"http://127.0.0.1:{PROXY_PORT}",
            "https_proxy": f"http://127.0.0.1:{PROXY_PORT}",
            "http_proxy": f"http://127.0.0.1:{PROXY_PORT}",
            "NO_PROXY": "",
        }
        if run.client == "codex":
            ch = codex_home(home)
            cenv.update(CODEX_HOME=str(ch), CODEX_CA_CERTIFICATE=str(ca), SSL_CERT_FILE=str(ca))
            prompt = {
                "tool": TOOL_PROMPT,
                "function": TOOL_PROMPT,
                "image": IMAGE_PROMPT,
                "refresh": TEXT_PROMPT,
            }[run.conversation]
            cmd = [
                str(_bin("codex")),
                "exec",
                "--skip-git-repo-check",
                "--dangerously-bypass-approvals-and-sandbox",
                "-m",
                run.model,
                "-C",
                str(proj),
            ]
            if run.conversation == "image":
                cmd += ["-i", str(proj / "image.png")]
            cmd += ["--", prompt]
        else:
            cenv.update(
                NODE_EXTRA_CA_CERTS=str(ca),
                COPILOT_GITHUB_TOKEN="gho_" + "C" * 36,
                XDG_CONFIG_HOME=str(home / ".config"),
            )
            if run.conversation == "image":
                # ``-p`` takes no attachment: the image reaches the model as the result
                # of the CLI's own ``view`` tool, which the mock calls on image.png.
                state.update(scenario="tool", tool="view", args={"path": str(proj / "image.png")})
                state_file.write_text(json.dumps(state))
            prompt = {
                "tool": "Run the shell command `echo capture`, then answer in one word.",
                "image": f"{IMAGE_PROMPT} View image.png first.",
                "unauthorized": TEXT_PROMPT,
            }[run.conversation]
            cmd = [
                str(_bin("copilot")),
                "-p",
                f"{SYSTEM} {prompt}",
                "--allow-all-tools",
                "--model",
                run.model,
            ]
        print(f"== {run.client} {run.name} ({run.model})", flush=True)
        out = subprocess.run(
            cmd, cwd=proj, env=cenv, capture_output=True, text=True, timeout=180, check=False
        )
        (rundir / "stdout.txt").write_text(out.stdout)
        (rundir / "stderr.txt").write_text(out.stderr)
        print(f"   exit {out.returncode}; {out.stdout.strip()[-200:]!r}", flush=True)
        if out.returncode != 0:
            print(out.stderr[-2000:], flush=True)
    except subprocess.TimeoutExpired:
        print("   timed out", flush=True)
    finally:
        os.killpg(proxy.pid, signal.SIGTERM)
        try:
            proxy.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proxy.pid, signal.SIGKILL)
            proxy.wait()


def inner(args: argparse.Namespace) -> int:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    work = Path(args.work)
    log = work / "requests.jsonl"
    catalog: dict[str, Any] = {}
    runs = plan(args.only)
    if any(r.client == "codex" for r in runs):
        catalog["codex"] = codex_catalog()
    if any(r.client == "copilot" for r in runs):
        catalog["copilot"] = copilot_catalog()
    versions = {
        "codex": client_version("codex"),
        "copilot": client_version("copilot"),
    }
    for run in runs:
        run_client(run, work, args.mitmdump, log, catalog)
    entries = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    if args.raw:
        raw = Path(args.raw)
        raw.mkdir(parents=True, exist_ok=True)
        shutil.copy(log, raw / "requests.jsonl")
        shutil.copytree(
            work, raw / "work", dirs_exist_ok=True, ignore=shutil.ignore_patterns("mitm")
        )
    write_golden(runs, entries, versions, Path(args.golden))
    return 0


# ---------------------------------------------------------------------------------------
# Sanitising
# ---------------------------------------------------------------------------------------

#: Requests worth keeping in the golden set (the rest is telemetry and start-up noise).
_KEEP = (
    re.compile(r"https://chatgpt\.com/backend-api/codex/(responses|models)"),
    re.compile(r"https://auth\.openai\.com/oauth/token"),
    re.compile(r"https://api\.github\.com/copilot_internal/"),
    re.compile(
        r"https://api\.[a-z.]*githubcopilot\.com/(models|chat/completions|responses|v1/messages)"
    ),
)

#: Header values kept as they are: protocol constants, not per-run values.
_KEEP_VALUES = {
    "accept",
    "accept-encoding",
    "anthropic-version",
    "anthropic-beta",
    "content-encoding",
    "content-type",
    "copilot-integration-id",
    "copilot-harness-id",
    "copilot-vision-request",
    "editor-version",
    "editor-plugin-version",
    "openai-beta",
    "openai-intent",
    "originator",
    "user-agent",
    "version",
    "x-codex-beta-features",
    "x-github-api-version",
    "x-initiator",
    "x-interaction-type",
    "x-openai-internal-codex-responses-lite",
    "x-codex-routing-hint",
}

_DROP_HEADERS = {"host", "content-length", "connection", "proxy-connection"}

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(re.escape(tempfile.gettempdir()) + r"/capture-reference-\w+"), "workdir"),
    (re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), "jwt"),
    (re.compile(r"\bgh[opsu]_[A-Za-z0-9]{20,}"), "github-token"),
    (re.compile(r"\brt_[A-Za-z0-9_]+"), "refresh-token"),
    (
        re.compile(
            r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
        ),
        "uuid",
    ),
    (re.compile(r"\b[0-9a-f]{32,}\b"), "hex"),
    (
        re.compile(
            r"\b(?:msg|at|fco|ctco|call|resp|rs|fc|ctc|toolu|chatcmpl|item|dev|ws)_[A-Za-z0-9_-]{6,}"
        ),
        "id",
    ),
    (re.compile(r"\b20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?"), "time"),
]

_LONG = 160


class Sanitiser:
    """Replace volatile values with numbered placeholders, consistently within one file.

    The same value gets the same placeholder everywhere (so "session-id equals thread-id"
    stays visible); long texts become ``<text:N chars>`` (their shape, not their words).
    """

    def __init__(self) -> None:
        self.seen: dict[str, str] = {}

    def _placeholder(self, kind: str, value: str) -> str:
        if value not in self.seen:
            count = sum(1 for v in self.seen.values() if v.startswith(f"<{kind}-"))
            self.seen[value] = f"<{kind}-{count + 1}>"
        return self.seen[value]

    def text(self, value: str, *, long_ok: bool = False) -> str:
        if value.startswith("data:image/"):
            return "<data-url:" + value.split(";", 1)[0][5:] + ">"
        if not long_ok and len(value) > _LONG:
            return f"<text:{len(value)} chars>"
        for pattern, kind in _PATTERNS:
            if kind == "id":
                value = pattern.sub(
                    lambda m: (
                        m.group(0).split("_", 1)[0] + "_" + self._placeholder("id", m.group(0))
                    ),
                    value,
                )
            else:
                value = pattern.sub(lambda m, k=kind: self._placeholder(k, m.group(0)), value)
        return value

    def value(self, obj: Any, key: str | None = None) -> Any:
        if isinstance(obj, dict):
            return {k: self.value(v, k) for k, v in obj.items()}
        if isinstance(obj, list):
            return [self.value(v) for v in obj]
        if isinstance(obj, str):
            if key in ("image_url", "url") and (obj.startswith("data:") or len(obj) > _LONG):
                return self.text(obj)
            if key == "data":
                return f"<base64:{len(obj)} chars>"
            if key in ("encrypted_content", "signature", "reasoning_opaque"):
                return f"<{key}>"
            return self.text(obj)
        if (
            isinstance(obj, (int, float))
            and key
            and re.search(r"(time|created|_at|timestamp|unix)", key)
        ):
            return 0
        return obj

    def header(self, name: str, value: str) -> str:
        low = name.lower()
        if low == "authorization":
            scheme = value.split(" ", 1)[0]
            return f"{scheme} <token>"
        if low in _KEEP_VALUES:
            return self.text(value, long_ok=True)
        if low == "sec-websocket-key":
            return "<websocket-key>"
        if low == "x-codex-turn-metadata":
            try:
                return json.dumps(self.value(json.loads(value)), separators=(",", ":"))
            except ValueError:
                return self.text(value)
        return self.text(value)

    def url(self, url: str) -> str:
        return self.text(url, long_ok=True)


def _role(entry: dict[str, Any], prior_model_calls: int) -> str:
    url = entry["url"]
    if "/oauth/token" in url:
        return "refresh"
    if url.split("?")[0].endswith("/models"):
        return "models"
    if "copilot_internal" in url:
        return "user"
    if entry["method"] == "GET":
        return "websocket"
    return "turn" if prior_model_calls == 0 else "followup"


def write_golden(
    runs: list[Run], entries: list[dict[str, Any]], versions: dict[str, str], golden: Path
) -> None:
    for run in runs:
        mine = [e for e in entries if e.get("run") == run.name and _is_client(e, run.client)]
        kept = [e for e in mine if any(p.match(e["url"]) for p in _KEEP)]
        san = Sanitiser()
        requests = []
        model_calls = 0
        seen_models = False
        for entry in kept:
            role = _role(entry, model_calls)
            if role == "models":
                if seen_models:
                    continue
                seen_models = True
            if role in ("turn", "followup"):
                model_calls += 1
            body = entry["body"]
            if role == "models" or (
                run.conversation in ("refresh", "unauthorized") and role != "refresh"
            ):
                # The catalog is ours; a refresh conversation's turns repeat the tool
                # conversation's bodies, only their headers (and retries) matter here.
                body = None
            requests.append(
                {
                    "role": role,
                    "method": entry["method"],
                    "url": san.url(entry["url"]),
                    "headers": [
                        [k, san.header(k, v)]
                        for k, v in entry["headers"]
                        if k.lower() not in _DROP_HEADERS
                    ],
                    "body": san.value(body),
                }
            )
        out = {
            "client": run.client,
            "client_version": versions[run.client],
            "captured": time.strftime("%Y-%m-%d", time.gmtime()),
            "family": run.family,
            "model": run.model,
            "conversation": run.conversation,
            "requests": requests,
            "all_urls": sorted({san.url(e["url"].split("?")[0]) for e in mine}),
        }
        path = golden / run.client / f"{run.name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def _is_client(entry: dict[str, Any], client: str) -> bool:
    url = entry["url"]
    if client == "codex":
        return "openai.com" in url or "chatgpt.com" in url
    return "github" in url


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--codex-version", help="install this @openai/codex version (bumps package.json)"
    )
    p.add_argument(
        "--copilot-version", help="install this @github/copilot version (bumps package.json)"
    )
    p.add_argument("--only", choices=("codex", "copilot"))
    p.add_argument("--golden", default=str(GOLDEN), help="where to write the sanitised golden set")
    p.add_argument("--raw", help="also copy the unsanitised capture here (never commit it)")
    p.add_argument("--venv", default="~/.cache/litellm-codex-capture/venv", help="mitmproxy's venv")
    p.add_argument(
        "--skip-install", action="store_true", help="use tests/reference-clients as installed"
    )
    p.add_argument("--keep", action="store_true", help="keep the scratch work directory")
    p.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--work", help=argparse.SUPPRESS)
    p.add_argument("--mitmdump", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    return inner(args) if args.inside else outer(args)


if __name__ == "__main__":
    sys.exit(main())
