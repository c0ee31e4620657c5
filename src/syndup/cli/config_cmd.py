"""``syndup config``: print the effective configuration as TOML."""

from __future__ import annotations

from syndup.cli.options import ConfigOpt, handle_errors, load_config


@handle_errors
def config(config: ConfigOpt = None) -> None:
    """Print the configuration (defaults, or CONFIG merged over them) as TOML.

    Save it, edit thresholds or rules, and pass it back with --config.
    """
    print(load_config(config).to_toml(), end="")
