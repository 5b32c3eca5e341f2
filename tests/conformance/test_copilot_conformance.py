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

from collections.abc import Iterator
from typing import Any

import pytest

import litellm_codex
from litellm_codex.auth import copilot as copilot_auth
from litellm_codex.auth.store import FileStore
from litellm_codex.testing.copilot import CopilotSimulator
from tests.conformance import _compare as cmp
from tests.conformance._run import call, case, find_image_part, last_call
from tests.contract._data import PNG, TOOLS

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
    # The reference's follow-up replays the reasoning item of its first answer; ours has one
    # only when the simulator's first answer carried reasoning.
    ("missing", "input[reasoning]"),
]

TOOL = [TOOLS[0]]  # get_weather(city)
SYSTEM = {"role": "system", "content": "Be brief."}
ASK_TOOL = {"role": "user", "content": 'call get_weather {"city": "Paris"}'}
IMAGE = {
    "role": "user",
    "content": [
        {"type": "text", "text": "What is in this image? One word."},
        {"type": "image_url", "image_url": {"url": PNG}},
    ],
}


@pytest.fixture
def sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[CopilotSimulator]:
    with CopilotSimulator() as simulator:
        for key, value in simulator.env().items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("LITELLM_CODEX_STORE", "file")
        copilot_auth.save_login(FileStore(), simulator.issue_login())
        copilot_auth.reset_copilot_credentials()
        try:
            yield simulator
        finally:
            litellm_codex.github_copilot.close()


def model_for(sim: CopilotSimulator, family: str) -> str:
    """The simulator's model of a routing family, chosen from its ``/models`` the way the
    golden models were: Claude (lists ``/v1/messages``), GPT-5 (lists ``/responses``),
    Gemini (chat only)."""
    models = [m for m in sim.api.models if m.get("capabilities", {}).get("type") == "chat"]

    def endpoints(m: dict[str, Any]) -> list[str]:
        return list(m.get("supported_endpoints") or ["/chat/completions"])

    if family == "messages":
        found = [m for m in models if "/v1/messages" in endpoints(m)]
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


def converse(sim: CopilotSimulator, family: str, conversation: str) -> cmp.Captured:
    model = f"github_copilot/{model_for(sim, family)}"
    if conversation == "turn":
        call(model, [SYSTEM, ASK_TOOL], tools=TOOL)
    elif conversation == "image":
        # With the tool too: the reference always declares tools, so only a request with
        # tools compares key for key.
        call(model, [SYSTEM, IMAGE], tools=TOOL)
    else:
        first = call(model, [SYSTEM, ASK_TOOL], tools=TOOL)
        message = first.response.choices[0].message if first.response is not None else None
        tool_calls = getattr(message, "tool_calls", None) if message is not None else None
        if not tool_calls:
            pytest.fail(f"the first turn brought no tool call to answer: {first.describe()}")
        history = [
            SYSTEM,
            ASK_TOOL,
            message,
            {"role": "tool", "tool_call_id": tool_calls[0].id, "content": "sunny"},
        ]
        call(model, history, tools=TOOL)
    return last_call(_model_calls(sim), f"{model} {conversation}")


def golden_for(family: str, conversation: str) -> cmp.Captured:
    name = f"{family}-{'image' if conversation == 'image' else 'tool'}"
    role = "followup" if conversation in ("followup", "image") else "turn"
    # The CLI's image reaches the model as its ``view`` tool's result, in the follow-up.
    return cmp.golden_request(cmp.load_golden("copilot", name), role)


#: Aspects the package does not follow yet (``test[case]`` -> reason): marked
#: ``xfail(strict=True)``. Remove an entry when the package conforms (the strict xfail
#: fails until then).
# Reasons for PENDING entries (what main sends after copilot-today, issue #10).
R_IDS = "#10: no X-Agent-Task-Id, X-Client-Machine-Id, X-Interaction-Id; X-Request-Id instead"
R_INITIATOR = "#10: /models sent with X-Initiator: agent (the reference: user)"
R_THINKING = (
    "#10: /v1/messages without the reference's default thinking (adaptive) and output_config"
)
R_CACHE = (
    "#10: /v1/messages: no cache_control on system / last message; thinking block not replayed"
)
R_RESPONSES = (
    "#10: /responses: system as an input message, not instructions; no store/include/reasoning"
)
R_CHAT = "#10: chat without tool_choice and reasoning_effort (the reference: validated, medium)"

PENDING: dict[str, str] = {
    "test_request_structure[messages-turn-header-set]": R_IDS,
    "test_request_structure[messages-turn-body-keys]": R_THINKING,
    "test_request_structure[messages-turn-body-shape]": R_CACHE,
    "test_request_structure[messages-followup-header-set]": R_IDS,
    "test_request_structure[messages-followup-body-keys]": R_THINKING,
    "test_request_structure[messages-followup-body-shape]": R_CACHE,
    "test_request_structure[responses-turn-header-set]": R_IDS,
    "test_request_structure[responses-turn-body-keys]": R_RESPONSES,
    "test_request_structure[responses-turn-body-shape]": R_RESPONSES,
    "test_request_structure[responses-followup-header-set]": R_IDS,
    "test_request_structure[responses-followup-body-keys]": R_RESPONSES,
    "test_request_structure[responses-followup-body-shape]": R_RESPONSES,
    "test_request_structure[chat-turn-header-set]": R_IDS,
    "test_request_structure[chat-turn-body-keys]": R_CHAT,
    "test_request_structure[chat-followup-header-set]": R_IDS,
    "test_request_structure[chat-followup-body-keys]": R_CHAT,
    "test_models_request[header-set]": R_IDS,
    "test_models_request[header-values]": R_INITIATOR,
}

ASPECTS = ["endpoint", "header-set", "header-values", "body-keys", "body-shape"]
CASES = [
    case(
        PENDING,
        "test_request_structure",
        f"{family}-{conversation}-{aspect}",
        family,
        conversation,
        aspect,
    )
    for family in FAMILIES
    for conversation in ("turn", "followup")
    for aspect in ASPECTS
]


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
    if o_part is None:
        diffs.append(cmp.Diff("missing", "image part"))
    else:
        diffs += cmp.compare_shape(g_part, o_part, "image", top=False)
    cmp.assert_conforms(diffs, f"{family} image")


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
