"""Structural comparison of our requests with the reference clients' golden requests.

The golden set (``tests/conformance/golden``) is written by ``scripts/capture_reference.py``
from what the official Codex CLI and Copilot CLI sent to a local recording proxy. Values in it
are sanitised (ids, tokens, timestamps are placeholders; long texts are ``<text:N chars>``),
so what is compared is structure, never incidental values:

- the **header set** (names, case-insensitive; the order is recorded but not compared: the
  Copilot CLI itself sends its headers in a different order on every request);
- the **values of protocol constants** (e.g. ``accept``, ``x-github-api-version``), chosen
  per test;
- the **top-level body keys**;
- the **body shape**: for every key both sides send, the JSON type of its value, recursively;
  lists are compared by the *kinds* of their items (an item's kind is its ``type`` and/or
  ``role``), so "the reference sends an ``additional_tools`` item and we do not" or "we send
  a ``system`` message where the reference sends ``developer``" are differences, while the
  number of messages and their words are not; a key whose value is ``null`` counts as absent;
- the **version rule** (``version`` header = ``client_version`` = the User-Agent's version,
  not older than the reference).

Every check returns a list of :class:`Diff`; an empty list means "conforms". ``ignore`` rules
``(kind, path)`` (``*`` a wildcard in either, brackets literal) drop differences a test has
decided are deliberate, each with its reason next to it in the test module.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

GOLDEN = Path(__file__).parent / "golden"

#: Keys whose value is a JSON Schema or an opaque format: compared as "an object", not
#: key by key (the reference's tool schemas are its own tools', ours the caller's).
OPAQUE_KEYS = frozenset({"parameters", "input_schema", "inputSchema", "format"})
#: Paths ending so hold a tool call's arguments (the caller's tool, not the protocol's).
OPAQUE_PATHS = ("[tool_use].input",)
#: Keys whose value is a free-form map (arbitrary keys, same value type).
MAP_KEYS = frozenset({"client_metadata", "metadata"})
#: Connection-level headers that say nothing about the protocol.
TRANSPORT_HEADERS = frozenset(
    {"host", "content-length", "connection", "proxy-connection", "transfer-encoding"}
)

Ignore = tuple[str, str]


@dataclass(frozen=True)
class Diff:
    """One structural difference. ``kind``: missing | extra | type | value | version."""

    kind: str
    path: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind} {self.path}" + (f": {self.detail}" if self.detail else "")


@dataclass
class Captured:
    """A request, normalised: headers as (name, value) pairs in order, body decoded."""

    method: str
    url: str
    headers: list[tuple[str, str]]
    body: Any

    def header(self, name: str) -> str | None:
        low = name.lower()
        for key, value in self.headers:
            if key.lower() == low:
                return value
        return None

    @property
    def header_names(self) -> list[str]:
        return [k.lower() for k, _ in self.headers if k.lower() not in TRANSPORT_HEADERS]

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.url).query)


# -- loading -----------------------------------------------------------------------------


def load_golden(client: str, name: str) -> dict[str, Any]:
    """One golden conversation file, e.g. ``load_golden("codex", "lite-tool")``."""
    data: dict[str, Any] = json.loads((GOLDEN / client / f"{name}.json").read_text())
    return data


def golden_requests(golden: Mapping[str, Any], role: str) -> list[Captured]:
    """The golden requests with ``role`` (turn, followup, refresh, models, websocket...)."""
    return [
        Captured(r["method"], r["url"], [(k, v) for k, v in r["headers"]], r["body"])
        for r in golden["requests"]
        if r["role"] == role
    ]


def golden_request(golden: Mapping[str, Any], role: str) -> Captured:
    found = golden_requests(golden, role)
    if not found:
        raise LookupError(f"no {role!r} request in the golden {golden.get('conversation')}")
    return found[0]


def decode_body(raw: bytes, encoding: str | None) -> Any:
    """Undo ``content-encoding`` (zstd, gzip) and parse JSON (else a str, else bytes)."""
    for enc in [e.strip().lower() for e in (encoding or "").split(",") if e.strip()][::-1]:
        if enc == "zstd":
            raw = _zstd_decompress(raw)
        elif enc == "gzip":
            raw = gzip.decompress(raw)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw


def _zstd_decompress(raw: bytes) -> bytes:
    try:
        import zstandard
    except ImportError as exc:  # only needed once the package sends zstd
        raise AssertionError("a zstd request body, and no zstd binding to read it") from exc
    return bytes(zstandard.ZstdDecompressor().decompressobj().decompress(raw))


def from_sim(request: Any, base_url: str = "http://127.0.0.1") -> Captured:
    """A simulator's recorded :class:`~litellm_codex.testing._server.Request`."""
    query = "&".join(f"{k}={v}" for k, vs in request.query.items() for v in vs)
    url = base_url + request.path + (f"?{query}" if query else "")
    headers = list(request.headers.items())
    body = decode_body(request.body, request.headers.get("content-encoding"))
    if "x-www-form-urlencoded" in (request.headers.get("content-type") or "") and isinstance(
        body, str
    ):
        body = {k: v[0] for k, v in parse_qs(body).items()}
    return Captured(request.method, url, headers, body)


# -- comparisons -------------------------------------------------------------------------


def _glob(pattern: str) -> re.Pattern[str]:
    """``*`` matches anything; every other character (brackets included) is literal."""
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")) + r"\Z")


def _ignored(diff: Diff, ignore: Iterable[Ignore]) -> bool:
    return any(
        (kind in ("*", diff.kind)) and _glob(pattern).match(diff.path) is not None
        for kind, pattern in ignore
    )


def _keep(diffs: Iterable[Diff], ignore: Iterable[Ignore]) -> list[Diff]:
    rules = list(ignore)
    return [d for d in diffs if not _ignored(d, rules)]


def compare_header_set(
    golden: Captured, ours: Captured, ignore: Iterable[Ignore] = ()
) -> list[Diff]:
    """Header names the reference sends that we do not (missing), and the reverse (extra)."""
    theirs, mine = set(golden.header_names), set(ours.header_names)
    diffs = [Diff("missing", f"header {h}") for h in sorted(theirs - mine)]
    diffs += [Diff("extra", f"header {h}") for h in sorted(mine - theirs)]
    return _keep(diffs, ignore)


def compare_header_values(golden: Captured, ours: Captured, names: Sequence[str]) -> list[Diff]:
    """Headers whose value is a protocol constant must carry the reference's value."""
    diffs = []
    for name in names:
        want, got = golden.header(name), ours.header(name)
        if want is None:
            if got is not None:
                diffs.append(Diff("extra", f"header {name}", f"we send {got!r}"))
            continue
        if got is None:
            diffs.append(Diff("missing", f"header {name}", f"reference sends {want!r}"))
        elif got.strip().lower() != want.strip().lower():
            diffs.append(Diff("value", f"header {name}", f"reference {want!r}, ours {got!r}"))
    return diffs


def compare_body_keys(
    golden: Captured, ours: Captured, ignore: Iterable[Ignore] = ()
) -> list[Diff]:
    """Top-level body keys: missing (the reference sends it) and extra (it does not)."""
    theirs = set(golden.body) if isinstance(golden.body, dict) else set()
    mine = set(ours.body) if isinstance(ours.body, dict) else set()
    diffs = [Diff("missing", k) for k in sorted(theirs - mine)]
    diffs += [Diff("extra", k) for k in sorted(mine - theirs)]
    return _keep(diffs, ignore)


def kind_of(item: Any) -> str:
    """A list item's kind: ``type/role`` of an object (whichever it has), else its JSON type."""
    if isinstance(item, dict):
        parts = [str(item[k]) for k in ("type", "role") if isinstance(item.get(k), str)]
        return "/".join(parts) if parts else "object"
    return _type(item)


def _type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _merge(items: Sequence[Any]) -> Any:
    """Several items of one kind as one: the union of their keys (first non-null value)."""
    if not items or not all(isinstance(i, dict) for i in items):
        return next((i for i in items if i is not None), None)
    merged: dict[str, Any] = {}
    for item in items:
        for key, value in item.items():
            if merged.get(key) is None:
                merged[key] = value
            elif isinstance(merged[key], list) and isinstance(value, list):
                merged[key] = merged[key] + value
    return merged


def compare_shape(
    golden: Any, ours: Any, path: str = "", ignore: Iterable[Ignore] = (), *, top: bool = True
) -> list[Diff]:
    """Recursive type/keys comparison (see the module docstring). At the top level only the
    keys both sides send are compared (the key sets are :func:`compare_body_keys`' job)."""
    rules = list(ignore)
    return _keep(_shape(golden, ours, path, top=top), rules)


def _shape(golden: Any, ours: Any, path: str, *, top: bool = False) -> list[Diff]:
    if golden is None or ours is None:
        return []  # null is compatible with anything (optional values)
    tg, to = _type(golden), _type(ours)
    if tg != to:
        if isinstance(golden, str) and re.fullmatch(r"<text:\d+ chars>", golden):
            tg = "str"
        if tg != to:
            return [Diff("type", path or "<body>", f"reference {tg}, ours {to}")]
    key = path.rsplit(".", 1)[-1].split("[", 1)[0]
    if tg == "object":
        if key in OPAQUE_KEYS or path.endswith(OPAQUE_PATHS):
            return []
        if key in MAP_KEYS:
            types_g = {_type(v) for v in golden.values()}
            types_o = {_type(v) for v in ours.values()}
            return (
                [Diff("type", f"{path}.*", f"reference {sorted(types_g)}, ours {sorted(types_o)}")]
                if (types_g and types_o and not types_o <= types_g)
                else []
            )
        diffs: list[Diff] = []
        for k in golden.keys() | ours.keys():
            sub = f"{path}.{k}" if path else k
            if k not in ours:
                if not top and golden[k] is not None:
                    diffs.append(Diff("missing", sub))
            elif k not in golden:
                if not top and ours[k] is not None:
                    diffs.append(Diff("extra", sub))
            else:
                diffs += _shape(golden[k], ours[k], sub)
        return diffs
    if tg == "list":
        groups_g: dict[str, list[Any]] = {}
        groups_o: dict[str, list[Any]] = {}
        for item in golden:
            groups_g.setdefault(kind_of(item), []).append(item)
        for item in ours:
            groups_o.setdefault(kind_of(item), []).append(item)
        diffs = []
        for kind in sorted(groups_g.keys() | groups_o.keys()):
            sub = f"{path}[{kind}]"
            if kind not in groups_o:
                diffs.append(Diff("missing", sub, "an item of this kind"))
            elif kind not in groups_g:
                diffs.append(Diff("extra", sub, "an item of this kind"))
            else:
                diffs += _shape(_merge(groups_g[kind]), _merge(groups_o[kind]), sub)
        return diffs
    return []


def kinds(items: Sequence[Any]) -> list[str]:
    """The kinds of a list's items, in order (consecutive repeats collapsed)."""
    out: list[str] = []
    for item in items:
        kind = kind_of(item)
        if not out or out[-1] != kind:
            out.append(kind)
    return out


# -- version rule ------------------------------------------------------------------------


def version_tuple(text: str) -> tuple[int, ...]:
    match = re.search(r"(\d+)\.(\d+)\.(\d+)", text)
    if not match:
        raise ValueError(f"no version in {text!r}")
    return tuple(int(p) for p in match.groups())


def check_codex_version_rule(
    golden: Captured,
    ours: Captured,
    ours_models: Captured | None,
    reference_version: str,
    minimal_client_version: str | None = None,
) -> list[Diff]:
    """The Codex version rule (SPEC §3): one version, sent as the ``version`` header, as
    ``client_version`` on ``/models`` and in the User-Agent; not older than the reference
    client the golden set was captured with, nor than the model's ``minimal_client_version``.
    The golden request itself is checked to follow the same rule (a sanity check of the
    capture)."""
    diffs: list[Diff] = []
    g_version = golden.header("version")
    if g_version != reference_version or reference_version not in (
        golden.header("user-agent") or ""
    ):
        diffs.append(Diff("version", "golden", f"capture does not follow the rule: {g_version!r}"))
    version = ours.header("version")
    if version is None:
        return [*diffs, Diff("missing", "header version", f"reference sends {g_version!r}")]
    ua = ours.header("user-agent") or ""
    if version not in ua:
        diffs.append(Diff("version", "header user-agent", f"{ua!r} does not carry {version!r}"))
    if ours_models is not None:
        client_version = (ours_models.query.get("client_version") or [None])[0]
        if client_version != version:
            diffs.append(
                Diff(
                    "version",
                    "client_version",
                    f"/models has {client_version!r}, header {version!r}",
                )
            )
    try:
        mine = version_tuple(version)
    except ValueError:
        return [*diffs, Diff("version", "header version", f"not a version: {version!r}")]
    if mine < version_tuple(reference_version):
        diffs.append(
            Diff(
                "version",
                "header version",
                f"{version} is older than the reference {reference_version}",
            )
        )
    if minimal_client_version and mine < version_tuple(minimal_client_version):
        diffs.append(
            Diff(
                "version",
                "header version",
                f"{version} is below the model's minimum {minimal_client_version}",
            )
        )
    return diffs


def format_diffs(diffs: Sequence[Diff]) -> str:
    return "\n".join(f"  - {d}" for d in diffs)


def assert_conforms(diffs: Sequence[Diff], what: str) -> None:
    """Fail with every difference listed."""
    assert not diffs, f"{what} differs from the reference client:\n{format_diffs(diffs)}"
