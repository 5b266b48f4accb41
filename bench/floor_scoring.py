"""The scoring floor: a minimal ASGI app that calls the same fitted pipeline directly (bench/scoring.py).

No framework, no auth, no schema checks: read the classic body, build the feature frame, predict_proba,
answer JSON. `ATELIER_BENCH_MODEL` names the .ilearner file. Run with uvicorn (`floor_scoring:app`).
`echo` is the server's own ceiling: read and parse the body, answer a fixed JSON, no model at all.
"""

from __future__ import annotations

import os
from typing import Any

import django
import orjson
import pandas as pd
from threadpoolctl import threadpool_limits

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
django.setup()  # the module registry reads settings and models (storage) when it loads

from experiments.modules.framework.artifacts import TrainedModel  # noqa: E402
from experiments.modules.framework.registry import autodiscover  # noqa: E402
from experiments.modules.training import feature_frame  # noqa: E402

autodiscover()  # as the studio does at start-up: a model package is checked against the registry's learners

threadpool_limits(limits=1)  # as Atelier's scoring processes do (webservices/scoring/)

with open(os.environ["ATELIER_BENCH_MODEL"], "rb") as handle:
    MODEL = TrainedModel.from_bytes(handle.read())


async def read_body(receive: Any) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = await read_body(receive)
    table = orjson.loads(body)["Inputs"]["input1"]
    frame = pd.DataFrame(table["Values"], columns=table["ColumnNames"])
    for column in MODEL.features:
        if column.kind == "numeric":
            frame[column.name] = pd.to_numeric(frame[column.name])
    probability = MODEL.estimator.predict_proba(feature_frame(frame, MODEL.features))[:, 1]
    labels = [str(MODEL.classes[int(p > 0.5)]) for p in probability]  # type: ignore[index]
    answer = orjson.dumps({"Results": {"output1": [{"Scored Labels": label, "Scored Probabilities": float(p)}
                                                   for label, p in zip(labels, probability, strict=True)]}})
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": answer})


ANSWER = orjson.dumps({"Results": {"output1": [{"Scored Labels": "<=50K", "Scored Probabilities": 0.5}]}})


async def echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = await read_body(receive)
    orjson.loads(body)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": ANSWER})
