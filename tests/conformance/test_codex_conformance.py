"""``openai-codex/`` compared with what the Codex CLI sends, per model family and aspect.

Each conversation of the golden set (``golden/codex``, captured from the Codex CLI by
``scripts/capture_reference.py``) is replayed through ``litellm.completion`` against the
ChatGPT simulator, and the request the simulator received is compared with the reference's,
structurally (see ``_compare.py``). One test per conversation x aspect, so an aspect the
package does not follow yet can be marked ``xfail`` on its own.

Families: ``lite`` (the catalog's Responses Lite models, captured with gpt-6.2-sol) and
``standard`` (gpt-5.5, the one non-Lite model). Conversations:

- ``turn``: system + user + one function tool (the reference: ``developer_instructions`` in
  its ``config.toml`` plus the prompt; its tools are its own built-ins, an MCP server's
  ``get_weather`` being deferred behind ``tool_search`` / code mode, see ``README.md``);
- ``followup``: the tool result sent back after the model called the tool (Lite: the golden
  ``lite-function`` conversation, where the mock called a plain function tool of a
  namespace, the way the caller's function tools are declared in Lite);
- ``image``: a user image;
- ``refresh``: the access token refused with 401, refreshed, the call retried.
"""

from __future__ import annotations

from typing import Any

import pytest

from litellm_codex.testing.chatgpt_simulator import ChatGPTSimulator
from litellm_codex.testing.codex_backend import Fault
from tests.conformance import _compare as cmp
from tests.conformance._run import (
    SYSTEM,
    TOOL,
    call,
    case,
    converse_through,
    find_image_part,
    last_call,
    structure_cases,
)

FAMILIES = {"lite": "gpt-6.2-sol", "standard": "gpt-5.5"}

#: Golden conversation and request role for each of our conversations.
GOLDEN: dict[tuple[str, str], tuple[str, str]] = {
    ("lite", "turn"): ("lite-tool", "turn"),
    ("lite", "followup"): ("lite-function", "followup"),
    ("lite", "image"): ("lite-image", "turn"),
    ("standard", "turn"): ("standard-tool", "turn"),
    ("standard", "followup"): ("standard-tool", "followup"),
    ("standard", "image"): ("standard-image", "turn"),
}

#: Differences we accept on purpose, each with its reason. Everything else the reference
#: sends is compared.
DELIBERATE: list[cmp.Ignore] = [
    # The CLI's own bookkeeping of its agent: sandbox mode, agent name, installation id,
    # compaction window; nothing the backend needs to answer a turn.
    ("missing", "header x-codex-turn-metadata"),
    ("missing", "header x-codex-window-id"),
    # Opts in to the CLI's server-side history compaction, which we do not use.
    ("missing", "header x-codex-beta-features"),
    # Per-item client bookkeeping (turn ids, provenance of each message).
    ("missing", "*internal_chat_message_metadata_passthrough"),
    # The CLI's built-in tools (apply_patch, tool_search, web_search, code-mode exec, its
    # image_gen namespace): ours are the caller's function tools.
    ("missing", "tools[custom]"),
    ("missing", "tools[namespace]"),
    ("missing", "tools[tool_search]"),
    ("missing", "tools[web_search]"),
    ("missing", "input[additional_tools*].tools[namespace].tools[custom]"),
    # The reference's follow-up replays the reasoning item of its first answer; ours has one
    # only when the simulator's first answer carried reasoning.
    ("missing", "input[reasoning]"),
    # The reference answers a freeform (custom) tool; ours are function tools.
    ("missing", "input[custom_tool_call*"),
    # The reference's mock answered with a reasoning summary, which the CLI replays. We
    # replay a summary exactly when the answer had one (unit-tested in
    # tests/unit/test_translate_request.py); the simulator, like the real backend, sends
    # none unless asked, and the catalog's default_reasoning_summary is "none".
    ("missing", "input[reasoning].summary[summary_text]"),
    # client_metadata keys are not compared (a free-form map): ours carries session_id,
    # thread_id and turn_id. Left out on purpose: x-codex-installation-id (a per-machine id
    # that would link all of a user's conversations, for no function we know the backend
    # has), the window/turn-metadata copies of the headers above, mcp_attribution and
    # guardian_credits_requested (CLI features we do not have).
]


@pytest.fixture
def sim(codex_sim: ChatGPTSimulator) -> ChatGPTSimulator:
    """The logged-in ChatGPT simulator (``codex_sim``, tests/conftest.py)."""
    return codex_sim


def _model_calls(sim: ChatGPTSimulator) -> list[Any]:
    return [c for c in sim.calls if c.method == "POST" and c.path.endswith("/codex/responses")]


def converse(sim: ChatGPTSimulator, family: str, conversation: str) -> cmp.Captured:
    """Run one of our conversations; return the request of it that is compared."""
    model = f"openai-codex/{FAMILIES[family]}"
    converse_through(model, conversation, tools=TOOL)
    return last_call(_model_calls(sim), f"{model} {conversation}")


#: Aspects the package does not follow yet (``test[case]`` -> reason): marked
#: ``xfail(strict=True)``. Remove an entry when the package conforms (the strict xfail
#: fails until then). Empty since client_metadata and item ids/status landed (#9).
PENDING: dict[str, str] = {}

ASPECTS = ["header-set", "body-keys", "body-shape"]
CASES = structure_cases(
    PENDING, FAMILIES, ("turn", "followup", "image"), ASPECTS, skip={("image", "body-shape")}
)


def per_family(test: str) -> list[Any]:
    return [case(PENDING, test, family, family) for family in FAMILIES]


@pytest.mark.parametrize(("family", "conversation", "aspect"), CASES)
def test_request_structure(
    sim: ChatGPTSimulator, family: str, conversation: str, aspect: str
) -> None:
    name, role = GOLDEN[(family, conversation)]
    golden = cmp.golden_request(cmp.load_golden("codex", name), role)
    ours = converse(sim, family, conversation)
    if aspect == "header-set":
        diffs = cmp.compare_header_set(golden, ours, DELIBERATE)
    elif aspect == "body-keys":
        diffs = cmp.compare_body_keys(golden, ours, DELIBERATE)
    else:
        diffs = cmp.compare_shape(golden.body, ours.body, ignore=DELIBERATE)
    cmp.assert_conforms(diffs, f"{family} {conversation}: {aspect}")


#: Headers whose value is a protocol constant (the rest carry ids, tokens, versions).
CONSTANT_HEADERS = ["accept", "content-type", "content-encoding"]
#: The Codex CLI's originators (reference-clients-2026-11.md §1.1): ``codex_exec`` for
#: ``codex exec`` (the golden set), ``codex_cli_rs`` / ``codex-tui`` for the interactive CLI.
ORIGINATORS = {"codex_exec", "codex_cli_rs", "codex-tui"}


@pytest.mark.parametrize("family", per_family("test_constant_header_values"))
def test_constant_header_values(sim: ChatGPTSimulator, family: str) -> None:
    golden = cmp.golden_request(cmp.load_golden("codex", f"{family}-tool"), "turn")
    ours = converse(sim, family, "turn")
    diffs = cmp.compare_header_values(golden, ours, CONSTANT_HEADERS)
    # Lite or not: the marker exactly when the reference sends it.
    diffs += cmp.compare_header_values(golden, ours, ["x-openai-internal-codex-responses-lite"])
    originator = ours.header("originator")
    if originator not in ORIGINATORS:
        diffs.append(cmp.Diff("value", "header originator", f"{originator!r} not in {ORIGINATORS}"))
    elif not (ours.header("user-agent") or "").startswith(f"{originator}/"):
        diffs.append(cmp.Diff("value", "header user-agent", f"does not start with {originator}/"))
    routing = ours.header("x-codex-routing-hint")
    if routing != f"model={FAMILIES[family]}":
        diffs.append(cmp.Diff("value", "header x-codex-routing-hint", f"ours {routing!r}"))
    for name in ("session-id", "thread-id", "x-client-request-id"):
        # One conversation key, the same in the three headers and prompt_cache_key.
        value = ours.header(name)
        key = ours.body.get("prompt_cache_key") if isinstance(ours.body, dict) else None
        if value is None or value != key:
            diffs.append(
                cmp.Diff("value", f"header {name}", f"{value!r} != prompt_cache_key {key!r}")
            )
    cmp.assert_conforms(diffs, f"{family} constant headers")


@pytest.mark.parametrize("family", per_family("test_version_rule"))
def test_version_rule(sim: ChatGPTSimulator, family: str) -> None:
    golden_conv = cmp.load_golden("codex", f"{family}-tool")
    golden = cmp.golden_request(golden_conv, "turn")
    ours = converse(sim, family, "turn")
    models = [
        cmp.from_sim(c) for c in sim.calls if c.method == "GET" and c.path.endswith("/models")
    ]
    served = next((m for m in sim.backend.models if m.get("slug") == FAMILIES[family]), {})
    minimum = served.get("minimal_client_version")
    diffs = cmp.check_codex_version_rule(
        golden, ours, models[-1] if models else None, golden_conv["client_version"], minimum
    )
    cmp.assert_conforms(diffs, f"{family} version rule")


@pytest.mark.parametrize("family", per_family("test_image_part"))
def test_image_part(sim: ChatGPTSimulator, family: str) -> None:
    golden = cmp.golden_request(cmp.load_golden("codex", f"{family}-image"), "turn")
    ours = converse(sim, family, "image")
    g_part, o_part = find_image_part(golden.body), find_image_part(ours.body)
    assert g_part is not None, "the golden image conversation has no image"
    assert o_part is not None, "our request carries no image"
    diffs = cmp.compare_shape(g_part, o_part, "image", top=False)
    if g_part.get("type") != o_part.get("type"):
        diffs.append(
            cmp.Diff("value", "image.type", f"{g_part.get('type')!r} vs {o_part.get('type')!r}")
        )
    if g_part.get("detail") != o_part.get("detail"):
        diffs.append(
            cmp.Diff(
                "value", "image.detail", f"{g_part.get('detail')!r} vs {o_part.get('detail')!r}"
            )
        )
    cmp.assert_conforms(diffs, f"{family} image part")


REFRESH_ASPECTS = ["body-keys", "body-values", "header-set", "retried-call"]


@pytest.mark.parametrize(
    ("family", "aspect"),
    [
        case(PENDING, "test_refresh", f"{family}-{aspect}", family, aspect)
        for family in FAMILIES
        for aspect in REFRESH_ASPECTS
    ],
)
def test_refresh(sim: ChatGPTSimulator, family: str, aspect: str) -> None:
    golden_conv = cmp.load_golden("codex", f"{family}-refresh")
    golden = cmp.golden_request(golden_conv, "refresh")
    sim.backend.queue(Fault.unauthorized_once())
    # The refresh does not depend on the model; a simulator that does not serve the family's
    # model yet gets its first model, so the refresh itself is still compared.
    served = [m["slug"] for m in sim.backend.models]
    model = FAMILIES[family] if FAMILIES[family] in served else served[0]
    outcome = call(f"openai-codex/{model}", [SYSTEM, {"role": "user", "content": "hi"}])
    refreshes = [c for c in sim.calls if c.method == "POST" and c.path.endswith("/oauth/token")]
    if not refreshes:
        pytest.fail(f"no refresh after a 401: {outcome.describe()}")
    ours = cmp.from_sim(refreshes[-1])
    if aspect == "body-keys":
        diffs = cmp.compare_body_keys(golden, ours)
    elif aspect == "body-values":
        diffs = []
        for key in ("grant_type", "refresh_reason"):
            want = golden.body.get(key)
            got = ours.body.get(key) if isinstance(ours.body, dict) else None
            if want != got:
                diffs.append(cmp.Diff("value", key, f"reference {want!r}, ours {got!r}"))
        want, got = golden.header("content-type"), ours.header("content-type")
        if (got or "").split(";")[0] != want:
            diffs.append(
                cmp.Diff("value", "header content-type", f"reference {want!r}, ours {got!r}")
            )
    elif aspect == "header-set":
        diffs = cmp.compare_header_set(golden, ours, DELIBERATE)
    else:
        # After the refresh the call is retried with the new token, and is the same request.
        calls = _model_calls(sim)
        assert outcome.error is None, outcome.describe()
        assert len(calls) >= 2, "the refused call was not retried"
        first, last = cmp.from_sim(calls[0]), cmp.from_sim(calls[-1])
        assert first.header("authorization") != last.header("authorization")
        diffs = cmp.compare_header_set(first, last)
    cmp.assert_conforms(diffs, f"{family} refresh: {aspect}")
