"""Cache keys (DESIGN §3): sha256 of module, version, canonical parameters and the inputs' keys.

A source module adds a fingerprint of its content (a dataset's sha256), so editing a dataset's file
invalidates what was computed from it while a re-run with nothing changed reuses every node.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def cache_key(*, module: str, version: int, params: Mapping[str, Any], inputs: Mapping[str, str],
              fingerprint: str | None = None) -> str:
    material = canonical({"module": module, "version": version, "params": params, "inputs": inputs,
                          "fingerprint": fingerprint})
    return hashlib.sha256(material.encode()).hexdigest()


def input_key(key: str, port: str) -> str:
    """What a downstream node sees of one upstream output: the producing node's key and the port."""
    return f"{key}:{port}"
