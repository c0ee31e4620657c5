"""What an index records about itself: config, layouts, schema version; durations."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

from syndup.config import Config
from syndup.errors import ConfigError
from syndup.index.articles import doc_layout
from syndup.index.store import EDGE_FEATURES, SCHEMA_VERSION, StoreError

# Settings that change how work is scheduled, never what is stored or matched.
RUNTIME_ONLY = {
    ("signature", "workers"),
    ("signature", "batch_size"),
    ("signature", "compress_text_above_mb"),
    ("lsh", "warn_bucket"),
}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """``"7d"``, ``"12h"``, ``"30m"``, ``"90s"``, ``"2w"`` -> timedelta."""
    match = _DURATION.match(text)
    if not match:
        raise ConfigError(f"cannot read duration {text!r}: use a number and s, m, h, d or w")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


def _differences(stored: dict[str, Any], given: dict[str, Any]) -> list[str]:
    out = []
    for section in sorted(set(stored) | set(given)):
        a, b = stored.get(section, {}), given.get(section, {})
        for key in sorted(set(a) | set(b)):
            if (section, key) not in RUNTIME_ONLY and a.get(key) != b.get(key):
                out.append(f"{section}.{key}")
    return out


def layouts(config: Config) -> dict[str, str]:
    """What the stored rows hold besides the schema: the article columns and edge features
    of this syndup version (an index built by another layout is refused, not misread)."""
    return {
        "doc_layout": json.dumps(doc_layout(config)),
        "edge_features": json.dumps(list(EDGE_FEATURES)),
    }


def check_meta(meta: dict[str, str], config: Config | None, where: str) -> Config:
    version = meta.get("schema_version")
    if version != str(SCHEMA_VERSION):
        raise StoreError(
            f"{where}: index schema version {version}, this syndup reads {SCHEMA_VERSION}"
        )
    try:
        stored = json.loads(meta["config"])
        # Indexes built before body signatures had a scheme hold datasketch's affine32.
        stored.setdefault("signature", {}).setdefault("scheme", "affine32")
        stored_config = Config.from_dict(stored)
    except (KeyError, ValueError, ConfigError) as exc:
        raise StoreError(f"{where}: unreadable stored config ({exc})") from None
    for key, value in layouts(config or stored_config).items():
        if meta.get(key) != value:
            raise StoreError(
                f"{where}: index built by a syndup with other stored article data ({key}); "
                "rebuild it with this version"
            )
    if config is None:
        return stored_config
    diff = _differences(stored, config.to_dict())
    if diff:
        raise ConfigError(
            f"{where}: config differs from the one the index was built with "
            f"({', '.join(diff[:6])}); open it without a config or rebuild the index"
        )
    return config
