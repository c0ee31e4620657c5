"""``syndup config``: print the effective configuration as TOML."""

from __future__ import annotations

from syndup.cli.options import ConfigOpt, DebugOpt, OutputOpt, handle_errors, load_config
from syndup.io import check_output, write_all


@handle_errors
def config(config: ConfigOpt = None, output: OutputOpt = None, debug: DebugOpt = False) -> None:
    """Print the configuration (defaults, or CONFIG merged over them and checked) as TOML.

    Save it (or write it with -o FILE), edit thresholds or rules, and pass it back with
    --config.
    """
    text = load_config(config).to_toml()
    if output is None or str(output) == "-":
        print(text, end="")
        return
    data = text.encode("utf-8")
    write_all([(check_output(output, format="json"), lambda fh: fh.write(data))])
