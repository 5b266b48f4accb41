"""Traffic split on the scoring path (issue 20, item 3): what a call to the default endpoint pays for being
routed by a split, and what a shadow copy costs the caller.

Builds the income service with a second endpoint, sets a 90/10 split through `traffic_set`, loads both
endpoints' cached states, then runs `score_call` in-process (the whole RRS call without HTTP: key check, draw,
scoring, usage) on a one-row classic body, alternating rounds in the same process: the default endpoint's
state without its routes, with them, and with a shadow endpoint added (the caller's side only: the copy is
scored on the shadow pool, competing for the same cores). Prints microseconds per call and the ratios.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.service import build_service

ROUNDS, CALLS = 7, 1000


def main() -> None:
    path, key, _, columns, row = build_service()
    from webservices.endpoints import endpoint_put
    from webservices.models import Endpoint, WebService
    from webservices.scoring.call import score_call
    from webservices.scoring.served import served
    from webservices.traffic import traffic_set

    service = WebService.objects.get()
    endpoint_put(service=service, name="candidate", body={})
    endpoint_put(service=service, name="shadowed", body={})
    traffic_set(service=service, body={"default": 90, "candidate": 10, "shadow": ["shadowed"]})
    parts = path.strip("/").split("/")
    workspace, endpoint_id = parts[1], parts[3]
    state = served(endpoint_id)
    states = [served(endpoint.endpoint_id) for endpoint in Endpoint.objects.all()]
    assert state is not None and state.routes and state.shadows and None not in states
    routes, shadows = state.routes, state.shadows
    body = orjson.dumps({"Inputs": {"input1": {"ColumnNames": columns, "Values": [row]}}, "GlobalParameters": {}})
    query = {"api-version": "2.0"}

    async def timed(calls: int) -> float:
        began = time.perf_counter()
        for _ in range(calls):
            status, _, _ = await score_call("POST", query, f"Bearer {key}", body, workspace, endpoint_id)
            assert status == 200
        return (time.perf_counter() - began) / calls * 1e6

    async def run() -> dict[str, list[float]]:
        await timed(200)  # warm: the inline decision learns the per-row cost
        timings: dict[str, list[float]] = {"plain": [], "split": [], "shadow": []}
        for _ in range(ROUNDS):
            for mode in timings:
                for known in states:  # every state current for the whole round (no revalidation in it)
                    known.checked = time.monotonic()  # type: ignore[union-attr]
                state.routes = () if mode == "plain" else routes
                state.shadows = shadows if mode == "shadow" else ()
                timings[mode].append(await timed(CALLS))
                await asyncio.sleep(0.5)  # let the shadow pool drain between rounds
        return timings

    timings = asyncio.run(run())
    plain, split, shadowed = (statistics.median(timings[mode]) for mode in ("plain", "split", "shadow"))
    print(f"one-row call: {plain:8.1f} µs no split, {split:8.1f} µs with a 90/10 split "
          f"(ratio {split / plain:.3f}), {shadowed:8.1f} µs with a shadow too (ratio {shadowed / plain:.3f})")


if __name__ == "__main__":
    main()
