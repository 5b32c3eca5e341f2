"""The structural comparer finds what it must, and only that; and the golden set is sane."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conformance import _compare as cmp

GOLDEN_HEADERS = [
    ("version", "0.171.0"),
    ("session-id", "<uuid-1>"),
    ("content-type", "application/json"),
    ("user-agent", "codex_exec/0.171.0 (Debian 12.0.0; x86_64) xterm"),
]
GOLDEN_BODY: dict[str, Any] = {
    "model": "gpt-6.2-sol",
    "stream": True,
    "input": [
        {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "x"}]},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]},
    ],
    "reasoning": {"effort": "low", "context": "all_turns"},
    "client_metadata": {"session_id": "<uuid-1>"},
    "tools": [{"type": "function", "name": "f", "parameters": {"properties": {"a": {}}}}],
}


def golden() -> cmp.Captured:
    return cmp.Captured("POST", "https://chatgpt.com/x/responses", GOLDEN_HEADERS, GOLDEN_BODY)


def ours(headers: list[tuple[str, str]] | None = None, **body: Any) -> cmp.Captured:
    merged = json.loads(json.dumps(GOLDEN_BODY))
    for key, value in body.items():
        if value is None:
            merged.pop(key)
        else:
            merged[key] = value
    return cmp.Captured("POST", "http://127.0.0.1/x/responses", headers or GOLDEN_HEADERS, merged)


def test_identical_requests_conform() -> None:
    assert cmp.compare_header_set(golden(), ours()) == []
    assert cmp.compare_body_keys(golden(), ours()) == []
    assert cmp.compare_shape(golden().body, ours().body) == []


def test_header_set_finds_a_missing_and_an_extra_header_case_insensitively() -> None:
    headers = [("Version", "0.171.0"), ("session_id", "x"), ("Content-Type", "a/b")]
    headers += [("User-Agent", "u"), ("Content-Length", "12")]
    diffs = cmp.compare_header_set(golden(), ours(headers))
    assert [str(d) for d in diffs] == ["missing header session-id", "extra header session_id"]


def test_header_set_ignore_rules_drop_only_what_they_name() -> None:
    headers = [("version", "1"), ("content-type", "a"), ("user-agent", "u")]
    diffs = cmp.compare_header_set(golden(), ours(headers), [("missing", "header session-*")])
    assert diffs == []
    diffs = cmp.compare_header_set(golden(), ours(headers), [("extra", "header session-*")])
    assert [str(d) for d in diffs] == ["missing header session-id"]


def test_header_values_compare_only_the_named_constants() -> None:
    headers = [("version", "0.98.0"), ("content-type", "text/plain"), ("user-agent", "other")]
    diffs = cmp.compare_header_values(golden(), ours(headers), ["content-type", "x-absent"])
    assert [d.kind for d in diffs] == ["value"]
    assert "text/plain" in diffs[0].detail


def test_body_keys_find_an_extra_and_a_missing_key() -> None:
    diffs = cmp.compare_body_keys(golden(), ours(instructions="be brief", reasoning=None))
    assert [str(d) for d in diffs] == ["missing reasoning", "extra instructions"]


def test_shape_finds_a_wrong_type() -> None:
    body = ours(reasoning={"effort": "low", "context": ["all_turns"]}).body
    diffs = cmp.compare_shape(golden().body, body)
    assert [str(d) for d in diffs] == ["type reasoning.context: reference str, ours list"]


def test_shape_finds_a_missing_nested_key_and_an_item_of_another_kind() -> None:
    body = ours(
        reasoning={"effort": "low"},
        input=[
            {"type": "message", "role": "system", "content": [{"type": "input_text", "text": "x"}]},
            {"type": "message", "role": "user", "content": "hi"},
        ],
    ).body
    found = {str(d) for d in cmp.compare_shape(golden().body, body)}
    assert found == {
        "missing reasoning.context",
        "missing input[message/developer]: an item of this kind",
        "extra input[message/system]: an item of this kind",
        "type input[message/user].content: reference list, ours str",
    }


def test_shape_ignores_values_counts_schemas_and_map_keys() -> None:
    body = ours(
        model="another-model",
        input=[
            {
                "type": "message",
                "role": "developer",
                "content": [{"type": "input_text", "text": "y"}],
            },
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "a"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "b"}]},
        ],
        client_metadata={"thread_id": "t", "turn_id": "u"},
        tools=[{"type": "function", "name": "g", "parameters": {"required": ["z"]}}],
    ).body
    assert cmp.compare_shape(golden().body, body) == []


def test_shape_reports_a_wrong_value_type_in_a_map() -> None:
    body = ours(client_metadata={"session_id": 5}).body
    assert [d.path for d in cmp.compare_shape(golden().body, body)] == ["client_metadata.*"]


def test_shape_ignore_rules() -> None:
    body = ours(tools=[{"type": "custom", "name": "exec"}]).body
    diffs = cmp.compare_shape(golden().body, body)
    assert {str(d) for d in diffs} == {
        "missing tools[function]: an item of this kind",
        "extra tools[custom]: an item of this kind",
    }
    assert cmp.compare_shape(golden().body, body, ignore=[("*", "tools[*]")]) == []


def test_version_rule() -> None:
    def request(version: str | None, ua: str) -> cmp.Captured:
        headers = [("user-agent", ua)] + ([("version", version)] if version else [])
        return cmp.Captured("POST", "http://h/responses", headers, {})

    models = cmp.Captured("GET", "http://h/models?client_version=0.172.0", [], None)
    good = request("0.172.0", "codex_exec/0.172.0 (Linux)")
    assert cmp.check_codex_version_rule(golden(), good, models, "0.171.0") == []
    assert cmp.check_codex_version_rule(golden(), good, models, "0.171.0", "0.173.0")
    old = request("0.98.0", "codex_exec/0.98.0")
    old_models = cmp.Captured("GET", "http://h/models?client_version=0.98.0", [], None)
    assert [d.kind for d in cmp.check_codex_version_rule(golden(), old, old_models, "0.171.0")] == [
        "version"
    ]
    split = request("0.172.0", "codex_exec/0.98.0")
    paths = {d.path for d in cmp.check_codex_version_rule(golden(), split, old_models, "0.171.0")}
    assert paths == {"header user-agent", "client_version"}
    missing = cmp.check_codex_version_rule(golden(), request(None, "u"), None, "0.171.0")
    assert [str(d) for d in missing] == ["missing header version: reference sends '0.171.0'"]


def test_zstd_and_form_bodies_are_decoded() -> None:
    assert cmp.decode_body(b"", None) is None
    assert cmp.decode_body(b"a=b", None) == "a=b"
    zstandard = pytest.importorskip("zstandard")  # a dependency once the package sends zstd
    raw = zstandard.ZstdCompressor().compress(b'{"a": [1]}')
    assert cmp.decode_body(raw, "zstd") == {"a": [1]}


def test_assert_conforms_lists_every_difference() -> None:
    with pytest.raises(AssertionError, match=r"(?s)missing a.*extra b"):
        cmp.assert_conforms([cmp.Diff("missing", "a"), cmp.Diff("extra", "b")], "x")


# -- the golden set itself --------------------------------------------------------------

GOLDEN_FILES = sorted(cmp.GOLDEN.glob("*/*.json"))


def test_the_golden_set_covers_every_family() -> None:
    names = {f"{p.parent.name}/{p.stem}" for p in GOLDEN_FILES}
    for family in ("lite", "standard"):
        for conversation in ("tool", "image", "refresh"):
            assert f"codex/{family}-{conversation}" in names
    for family in ("messages", "responses", "chat"):
        for conversation in ("tool", "image"):
            assert f"copilot/{family}-{conversation}" in names


@pytest.mark.parametrize("path", GOLDEN_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_golden_files_are_sanitised(path: Any) -> None:
    text = path.read_text()
    data = json.loads(text)
    assert data["client"] == path.parent.name and data["client_version"]
    for secret in ("eyJ", "gho_", "rt_capture", "capture-reference-"):
        assert secret not in text, f"{secret!r} left in {path.name}"
    for request in data["requests"]:
        for name, value in request["headers"]:
            if name.lower() == "authorization":
                assert value.endswith("<token>")


def test_shape_treats_null_as_absent() -> None:
    g = {"messages": [{"role": "assistant", "content": None, "refusal": None, "tool_calls": []}]}
    o = {"messages": [{"role": "assistant", "tool_calls": [], "name": None}]}
    assert cmp.compare_shape(g, o) == []


def test_tool_call_arguments_are_opaque() -> None:
    g = {"messages": [{"role": "assistant", "content": [{"type": "tool_use", "input": {"a": 1}}]}]}
    o = {"messages": [{"role": "assistant", "content": [{"type": "tool_use", "input": {"b": 2}}]}]}
    assert cmp.compare_shape(g, o) == []
    # ...while the Responses ``input`` list is still compared item by item.
    assert cmp.compare_shape({"input": [{"type": "a"}]}, {"input": [{"type": "b"}]})
