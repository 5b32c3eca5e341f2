"""The ``litellm-codex`` command line (also ``python -m litellm_codex``).

:func:`main` is the entry point: ``main(argv) -> exit code``, where 0 is success, 1 a
failure (one line on stderr: the reason, never a secret) and 2 a usage error.

Adding commands
---------------
Commands live in their own modules, which add themselves to the :data:`cli` group when
imported; :data:`COMMAND_MODULES` lists them and :func:`main` imports them (a listed
module that does not exist yet is skipped)::

    # litellm_codex/cli/model_cmds.py
    import click
    from litellm_codex.cli import cli

    @cli.command("models")
    @click.argument("provider")
    def models(provider: str) -> None:
        import litellm  # heavy imports go *inside* the command

Keep module-level imports light: ``login``, ``logout`` and ``status`` must not pay for
importing LiteLLM. Raise :class:`~litellm_codex.errors.LiteLLMCodexError` (or a
``click.ClickException``) for failures the user can act on; :func:`main` prints the message
and returns 1. Provider arguments accept both spellings (``openai-codex`` /
``openai_codex``, ``github-copilot`` / ``github_copilot``), and sub-command names accept
``_`` for ``-`` through :class:`AliasGroup`.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence

import click

from litellm_codex import settings
from litellm_codex.errors import LiteLLMCodexError, redact

__all__ = ["COMMAND_MODULES", "AliasGroup", "cli", "main"]

#: Modules that register commands on :data:`cli` when imported, in help order.
COMMAND_MODULES: tuple[str, ...] = (
    "litellm_codex.cli.auth_cmds",
    "litellm_codex.cli.model_cmds",
    "litellm_codex.cli.demo",
)

#: Set to 1 to get a traceback instead of a one-line message for unexpected errors.
DEBUG_ENV = "LITELLM_CODEX_DEBUG"
#: LiteLLM downloads its model cost map on import unless this is "True". The CLI needs
#: nothing from the remote map (our models register their own rows), so it never waits for
#: that download (seconds of retries and warnings without network) unless the user chose.
COST_MAP_ENV = "LITELLM_LOCAL_MODEL_COST_MAP"


class AliasGroup(click.Group):
    """A group whose sub-commands also answer to their ``snake_case`` spelling."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and "_" in cmd_name:
            command = super().get_command(ctx, cmd_name.replace("_", "-"))
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        # Report the canonical name (for help and error messages).
        name, command, rest = super().resolve_command(ctx, args)
        return (command.name if command is not None else name), command, rest


def _version() -> str:
    from litellm_codex import __version__

    return __version__


@click.group(cls=AliasGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(_version(), "--version", prog_name="litellm-codex")
def cli() -> None:
    """Use your ChatGPT subscription and GitHub Copilot seat from LiteLLM.

    Log in once (`litellm-codex login openai-codex`, `litellm-codex login github-copilot`);
    logins are kept in the OS keyring (or a private file when there is none).
    """
    # A command reads the environment of its own run (in-process callers, e.g. tests,
    # run several commands with different environments).
    settings.reload()


_loaded = False


def load_commands() -> None:
    """Import :data:`COMMAND_MODULES` (once) so their commands join :data:`cli`."""
    global _loaded
    if _loaded:
        return
    for name in COMMAND_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # the module exists but one of its imports is missing
                raise
    _loaded = True


def _one_line(text: str) -> str:
    return " ".join(redact(text).split())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    # Before any command imports LiteLLM (they import it lazily, inside the command).
    os.environ.setdefault(COST_MAP_ENV, "True")
    load_commands()
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = cli.main(args=args, prog_name="litellm-codex", standalone_mode=False)
    except click.UsageError as exc:
        exc.show()
        return 2
    except click.exceptions.Abort:
        click.echo("litellm-codex: cancelled", err=True)
        return 1
    except click.ClickException as exc:
        click.echo(f"litellm-codex: {_one_line(exc.format_message())}", err=True)
        return 1
    except LiteLLMCodexError as exc:
        click.echo(f"litellm-codex: {_one_line(exc.message)}", err=True)
        return 1
    except Exception as exc:
        if settings.current().debug:
            raise
        click.echo(
            f"litellm-codex: unexpected error: {type(exc).__name__}: {_one_line(str(exc))} "
            f"(set {DEBUG_ENV}=1 for details)",
            err=True,
        )
        return 1
    # standalone_mode=False returns the exit code of ctx.exit() / --help, or the
    # command's return value.
    return result if isinstance(result, int) else 0


load_commands()
