"""Input drift on the scoring path (issue 20, item 4): what a call pays for being observed, and what the flush
costs off the request.

Builds the income service, then scores a one-row and a 100-row classic body in-process (score_loaded, the
call's own work without HTTP) alternately with and without handing the tables to the drift summary, in the
same process and run, and prints microseconds per call and the ratio. Then times `drift.flush` per row binned.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.service import ADULT, build_service

ROUNDS, CALLS = 7, 400


def main() -> None:
    _, _, _, columns, _ = build_service()
    from experiments.datasets import dataset_table
    from experiments.models import Dataset
    from webservices import drift
    from webservices.models import Endpoint
    from webservices.scoring.call import score_loaded
    from webservices.scoring.served import served

    endpoint = Endpoint.objects.get()
    state = served(endpoint.endpoint_id)
    assert state is not None and state.input_profile, "the deployment has an input profile"
    frame = dataset_table(Dataset.objects.get(name=ADULT)).frame.drop(columns=["income"]).head(100)
    values = frame.astype(object).where(frame.notna(), None).to_numpy().tolist()
    for rows in (1, 100):
        body = {"Inputs": {"input1": {"ColumnNames": columns, "Values": values[:rows]}}, "GlobalParameters": {}}
        timings: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(ROUNDS):
            for observed in (False, True):
                began = time.perf_counter()
                for _ in range(CALLS):
                    status, _ = score_loaded({}, body, state, observed=observed)
                    assert status == 200
                timings[observed].append((time.perf_counter() - began) / CALLS * 1e6)
                drift.flush()  # off the timed loop, as the flusher thread does it
        plain, watched = statistics.median(timings[False]), statistics.median(timings[True])
        print(f"{rows:>3}-row call: {plain:8.1f} µs unobserved, {watched:8.1f} µs observed "
              f"(ratio {watched / plain:.3f})")
    body = {"Inputs": {"input1": {"ColumnNames": columns, "Values": values}}, "GlobalParameters": {}}
    for _ in range(100):
        score_loaded({}, body, state, observed=True)
    began = time.perf_counter()
    written = drift.flush()
    took = time.perf_counter() - began
    print(f"flush (off the request): {written} rows binned and written in {took * 1000:.1f} ms "
          f"({took / written * 1e6:.2f} µs a row)")


if __name__ == "__main__":
    main()
