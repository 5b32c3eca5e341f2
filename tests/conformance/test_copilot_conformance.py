"""``github_copilot/`` compared with what the GitHub Copilot CLI sends, per endpoint family.

The golden set (``golden/copilot``) was captured from the Copilot CLI by
``scripts/capture_reference.py`` with one model per routing family: a Claude model on
``/v1/messages``, a GPT-5 model on ``/responses``, a Gemini model on ``/chat/completions``.
Each is replayed here through ``litellm.completion`` against the Copilot simulator with the
model of the same family the simulator serves, and the request it received is compared
structurally (``_compare.py``), one test per family x conversation x aspect.

Conversations: ``turn`` (system + user + one function tool), ``followup`` (the tool result
sent back, with whatever the first answer carried that must be echoed: Claude's thinking
signature, encrypted reasoning, Gemini's ``reasoning_text`` / ``reasoning_opaque``) and
``image``. The Copilot CLI does not refresh anything (its GitHub token is the bearer; on a
401 it retries twice and gives up), so there is no refresh conversation to compare with:
our token exchange is covered by the contract tests.
"""

from __future__ import annotations

from typing import Any

import pytest

from litellm_codex.testing.copilot_simulator import CopilotSimulator
from tests.conformance import _compare as cmp
from tests.conformance._run import (
    TOOL,
    case,
    converse_through,
    find_image_part,
    last_call,
    structure_cases,
)

ENDPOINTS = {"messages": "/v1/messages", "responses": "/responses", "chat": "/chat/completions"}
FAMILIES = list(ENDPOINTS)

#: Differences we accept on purpose, each with its reason.
DELIBERATE: list[cmp.Ignore] = [
    # The CLI reports the git repository it runs in; a proxy or SDK call has none.
    ("missing", "header x-github-repository-host"),
    ("missing", "header x-github-repository-nwo"),
    # An artefact of the OpenAI / Anthropic JS SDKs the CLI is built on.
    ("missing", "header x-stainless-helper-method"),
    # ``snippy`` (code-referencing filter) is a Copilot CLI setting, not part of a turn.
    ("missing", "snippy"),
    # The CLI's own sampling choice (temperature 1); ours is the caller's, when given.
    ("missing", "temperature"),
    # Asked for by a streamed call; these conversations are not streamed by the caller.
    ("missing", "stream_options"),
    # Anthropic client tools: ``type: "custom"`` is the explicit form of the reference's
    # untyped tool object.
    ("extra", "tools[custom]"),
    ("missing", "tools[object]"),
    # Output item ids are not replayed (``/responses``): a LiteLLM message keeps a tool
    # call's ``call_id`` (which links call and output) and the reasoning's encrypted
    # content, not the ids of the items they came in, and with ``store: false`` an id the
    # backend does not hold is refused ("Item with id ... not found",
    # codex-chatgpt-backend.md §2.4).
    ("missing", "input[function_call].id"),
    ("missing", "input[reasoning].id"),
    # The reasoning summary is display text, already given to the caller as
    # ``reasoning_content``; the model gets its reasoning back from ``encrypted_content``,
    # and a replayed item with an empty ``summary`` list is valid on the Responses API.
    ("missing", "input[reasoning].summary[summary_text]"),
    # The simulator's Claude writes a sentence before its tool call (real Claude often
    # does); the reference's mock answered with the thinking block and the call alone. The
    # follow-up replays what the first answer held.
    ("extra", "messages[assistant].content[text]"),
]

#: Deliberate differences of a call that does not ask for reasoning (the reference always
#: reasons at effort ``medium``): we do not turn reasoning on when the caller did not ask
#: for it. A LiteLLM user calling a Claude model without ``reasoning_effort`` expects what
#: Anthropic's API gives (no thinking, and no thinking tokens billed), and a GPT or Gemini
#: call the model's own default. With ``reasoning_effort`` (or ``thinking``) the request
#: has the reference's shape: the conversations above ask for ``medium`` and conform.
#: Kept apart from DELIBERATE so that a request that asks for reasoning and lacks it still
#: fails the tests above.
DELIBERATE_DEFAULTS: dict[str, set[str]] = {
    "messages": {"missing thinking", "missing output_config"},
    "responses": {"missing reasoning"},
    "chat": {"missing reasoning_effort"},
}


@pytest.fixture
def sim(copilot_sim: CopilotSimulator) -> CopilotSimulator:
    """The logged-in Copilot simulator (``copilot_sim``, tests/conftest.py)."""
    return copilot_sim


def model_for(sim: CopilotSimulator, family: str) -> str:
    """The simulator's model of a routing family, chosen from its ``/models`` the way the
    golden models were: Claude (lists ``/v1/messages``), GPT-5 (lists ``/responses``),
    Gemini (chat only)."""
    models = [m for m in sim.api.models if m.get("capabilities", {}).get("type") == "chat"]

    def endpoints(m: dict[str, Any]) -> list[str]:
        return list(m.get("supported_endpoints") or ["/chat/completions"])

    if family == "messages":
        # The golden model has adaptive thinking (the reference sends `thinking.adaptive`).
        found = [
            m
            for m in models
            if "/v1/messages" in endpoints(m)
            and m["capabilities"]["supports"].get("adaptive_thinking")
        ]
    elif family == "responses":
        found = [
            m
            for m in models
            if "/responses" in endpoints(m)
            and "/v1/messages" not in endpoints(m)
            and str(m["id"]).startswith("gpt-5")
        ]
    else:
        found = [m for m in models if str(m.get("vendor")) == "Google"]
    enabled = [m for m in found if (m.get("policy") or {}).get("state", "enabled") == "enabled"]
    if not enabled:
        pytest.fail(f"the simulator serves no {family} model")
    return str(enabled[0]["id"])


def _model_calls(sim: CopilotSimulator) -> list[Any]:
    paths = tuple(ENDPOINTS.values())
    return [c for c in sim.calls if c.method == "POST" and c.path.endswith(paths)]


#: What the reference asked for: reasoning at effort ``medium`` on every turn (adaptive
#: thinking on ``/v1/messages``, ``reasoning`` on ``/responses``, ``reasoning_effort`` on
#: chat). We reason only when the caller asks (DEFAULTS_DELIBERATE), so the conversations
#: ask for it.
ASK = {"tools": TOOL, "reasoning_effort": "medium"}


def converse(sim: CopilotSimulator, family: str, conversation: str, **ask: Any) -> cmp.Captured:
    model = f"github_copilot/{model_for(sim, family)}"
    converse_through(model, conversation, **(ask or ASK))
    return last_call(_model_calls(sim), f"{model} {conversation}")


def golden_for(family: str, conversation: str) -> cmp.Captured:
    name = f"{family}-{'image' if conversation == 'image' else 'tool'}"
    role = "followup" if conversation in ("followup", "image") else "turn"
    # The CLI's image reaches the model as its ``view`` tool's result, in the follow-up.
    return cmp.golden_request(cmp.load_golden("copilot", name), role)


#: Aspects the package does not follow yet (``test[case]`` -> reason): marked
#: ``xfail(strict=True)``. Remove an entry when the package conforms (the strict xfail
#: fails until then). Empty: every difference left is in DELIBERATE / DELIBERATE_DEFAULTS.
PENDING: dict[str, str] = {}

ASPECTS = ["endpoint", "header-set", "header-values", "body-keys", "body-shape"]
CASES = structure_cases(PENDING, FAMILIES, ("turn", "followup"), ASPECTS)


def per_family(test: str) -> list[Any]:
    return [case(PENDING, test, family, family) for family in FAMILIES]


#: Headers whose value is a protocol constant, per endpoint (the reference's values).
CONSTANT_HEADERS = [
    "openai-intent",
    "x-github-api-version",
    "anthropic-version",
    "x-initiator",
    "x-interaction-type",
    "content-type",
]


@pytest.mark.parametrize(("family", "conversation", "aspect"), CASES)
def test_request_structure(
    sim: CopilotSimulator, family: str, conversation: str, aspect: str
) -> None:
    golden = golden_for(family, conversation)
    ours = converse(sim, family, conversation)
    if aspect == "endpoint":
        diffs = (
            []
            if ours.path.endswith(ENDPOINTS[family])
            else [cmp.Diff("value", "endpoint", f"reference {ENDPOINTS[family]}, ours {ours.path}")]
        )
    elif aspect == "header-set":
        diffs = cmp.compare_header_set(golden, ours, DELIBERATE)
    elif aspect == "header-values":
        diffs = cmp.compare_header_values(golden, ours, CONSTANT_HEADERS)
    elif aspect == "body-keys":
        diffs = cmp.compare_body_keys(golden, ours, DELIBERATE)
    else:
        diffs = cmp.compare_shape(golden.body, ours.body, ignore=DELIBERATE)
    cmp.assert_conforms(diffs, f"{family} {conversation}: {aspect}")


@pytest.mark.parametrize("family", per_family("test_image"))
def test_image(sim: CopilotSimulator, family: str) -> None:
    golden = golden_for(family, "image")
    ours = converse(sim, family, "image")
    diffs = cmp.compare_header_values(golden, ours, ["copilot-vision-request"])
    g_part, o_part = find_image_part(golden.body), find_image_part(ours.body)
    assert g_part is not None, "the golden image conversation has no image"
    # The CLI's image reaches the model inside its `view` tool's result, and the cache
    # breakpoint sits on that tool_result block; ours is the user's own image, the last
    # block of the last message, where the same rule puts the breakpoint.
    ignore = [("extra", "image.cache_control")]
    if o_part is None:
        diffs.append(cmp.Diff("missing", "image part"))
    else:
        diffs += cmp.compare_shape(g_part, o_part, "image", top=False, ignore=ignore)
    cmp.assert_conforms(diffs, f"{family} image")


@pytest.mark.parametrize("family", per_family("test_no_reasoning_by_default"))
def test_no_reasoning_by_default(sim: CopilotSimulator, family: str) -> None:
    """Without ``reasoning_effort`` the body differs from the reference's exactly by the
    reasoning fields it always sends (DELIBERATE_DEFAULTS), and in nothing else."""
    golden = golden_for(family, "turn")
    ours = converse(sim, family, "turn", tools=TOOL)
    diffs = cmp.compare_body_keys(golden, ours, DELIBERATE)
    diffs += cmp.compare_shape(golden.body, ours.body, ignore=DELIBERATE)
    assert {f"{d.kind} {d.path}" for d in diffs} == DELIBERATE_DEFAULTS[family]


@pytest.mark.parametrize("family", per_family("test_identity"))
def test_identity(sim: CopilotSimulator, family: str) -> None:
    """One identity: Editor-Version and an API version not older than the reference's
    (GitHub retires old ``X-GitHub-Api-Version`` values with HTTP 466)."""
    golden = golden_for(family, "turn")
    ours = converse(sim, family, "turn")
    diffs: list[cmp.Diff] = []
    if not ours.header("editor-version"):
        diffs.append(cmp.Diff("missing", "header editor-version"))
    want, got = (
        golden.header("x-github-api-version") or "",
        ours.header("x-github-api-version") or "",
    )
    if got < want:
        diffs.append(
            cmp.Diff("version", "header x-github-api-version", f"{got!r} older than {want!r}")
        )
    cmp.assert_conforms(diffs, f"{family} identity")


@pytest.mark.parametrize(
    "aspect", [case(PENDING, "test_models_request", a, a) for a in ("header-set", "header-values")]
)
def test_models_request(sim: CopilotSimulator, aspect: str) -> None:
    """The ``/models`` call that routing is decided from carries the same identity."""
    golden = cmp.golden_request(cmp.load_golden("copilot", "chat-tool"), "models")
    converse(sim, "chat", "turn")
    calls = [c for c in sim.calls if c.method == "GET" and c.path.endswith("/models")]
    if not calls:
        pytest.fail("no /models call before the first turn")
    ours = cmp.from_sim(calls[-1])
    if aspect == "header-set":
        diffs = cmp.compare_header_set(golden, ours, DELIBERATE)
    else:
        diffs = cmp.compare_header_values(
            golden, ours, ["x-github-api-version", "openai-intent", "x-initiator"]
        )
    cmp.assert_conforms(diffs, f"/models: {aspect}")
