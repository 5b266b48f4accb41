"""Cache keys (DESIGN §3): sha256 of module, version, canonical parameters, the inputs' keys, the workspace
and the source fingerprint.

The workspace is part of every key, so a run in one workspace never reuses what another workspace computed
(a source reads workspace storage and saved objects by name or id, which mean different things in different
workspaces). A module that reads from outside its inputs adds a fingerprint of what it read (a saved
dataset's sha256, the hash of an imported file's bytes), so a changed source invalidates what was computed
from it while a re-run with nothing changed reuses every node.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def cache_key(*, module: str, version: int, params: Mapping[str, Any], inputs: Mapping[str, str],
              workspace: str, fingerprint: str | None = None) -> str:
    material = canonical({"module": module, "version": version, "params": params, "inputs": inputs,
                          "workspace": workspace, "fingerprint": fingerprint})
    return hashlib.sha256(material.encode()).hexdigest()


def input_key(key: str, port: str) -> str:
    """What a downstream node sees of one upstream output: the producing node's key and the port."""
    return f"{key}:{port}"
