"""``python -m litellm_codex``: the ``litellm-codex`` command line."""

from litellm_codex.cli import main

raise SystemExit(main())
