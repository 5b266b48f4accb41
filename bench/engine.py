"""The engine's cost over plain pandas + scikit-learn, and what its cache saves (issue: engine benchmarks).

On the Flight Delays sample (>= 200k rows), the pipeline Dataset -> Clean Missing Data -> Normalize Data ->
Split Data -> Two-Class Boosted Decision Tree -> Train Model -> Score Model -> Evaluate Model runs:
  (a) through the engine (first run) vs the same steps as a plain script      target ratio <= 1.15
  (b) a rerun with nothing changed vs the first run                            target <= 0.05
  (c) a rerun after changing a downstream parameter (the learner's tree count): which nodes ran again
  (d) peak memory of (a) vs the plain script                                   target <= 1.5x
Each side runs in its own fresh process (peak RSS is per process) on a temporary database and storage.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from experiments.engine.graph import edge_json as edge  # noqa: E402
from experiments.engine.graph import node_json as node  # noqa: E402

LABEL = "ArrDel15"
FEATURES = ["month", "day", "dep_time", "sched_dep_time", "dep_delay", "sched_arr_time", "carrier", "origin",
            "dest", "distance", "hour"]
SEED = 42


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def setup_django(workdir: Path) -> None:
    os.environ.update({"ATELIER_VAR_DIR": str(workdir), "DJANGO_SETTINGS_MODULE": "studio.settings",
                       "LOG_LEVEL": "WARNING"})
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def flights_dataset():  # type: ignore[no-untyped-def]
    from experiments.datasets import dataset_store, dataset_table, samples_load
    from experiments.models import Dataset
    from experiments.modules.framework.datatable import DataTable, Role

    samples_load(["Flight Delays Data"])
    frame = dataset_table(Dataset.objects.get(source=Dataset.Source.SAMPLE, name="Flight Delays Data")).frame
    frame = frame[[*FEATURES, LABEL]].dropna(subset=[LABEL])
    return dataset_store(table=DataTable(frame, {LABEL: Role.LABEL}), name="flights", workspace=None,
                         source=Dataset.Source.SAMPLE, slug="bench-flights")


def pipeline(dataset_id: int, trees: int = 100) -> dict:
    return {"nodes": [
        node("data", "dataset", dataset=dataset_id),
        node("clean", "clean-missing-data", cleaning_mode="Replace with mode"),
        node("normalize", "normalize-data", transformation_method="ZScore"),
        node("split", "split-data", fraction_of_rows_in_the_first_output_dataset=0.7, random_seed=SEED),
        node("learner", "two-class-boosted-decision-tree", number_of_trees_constructed=trees),
        node("train", "train-model", label_column=[LABEL]),
        node("score", "score-model"),
        node("evaluate", "evaluate-model"),
    ], "edges": [
        edge("data", "dataset", "clean", "dataset"),
        edge("clean", "cleaned_dataset", "normalize", "dataset"),
        edge("normalize", "transformed_dataset", "split", "dataset"),
        edge("learner", "untrained_model", "train", "untrained_model"),
        edge("split", "results1", "train", "dataset"),
        edge("train", "trained_model", "score", "trained_model"),
        edge("split", "results2", "score", "dataset"),
        edge("score", "scored_dataset", "evaluate", "scored_dataset"),
    ]}


def engine_run(experiment, graph: dict) -> tuple[float, dict[str, str], float | None]:  # type: ignore[no-untyped-def]
    from experiments.models import NodeRun, Run
    from experiments.services import run_execute

    experiment.graph = graph
    experiment.save()
    run = Run.objects.create(experiment=experiment, graph=graph)
    NodeRun.objects.bulk_create([NodeRun(run=run, node_id=n["id"], module=n["module"]) for n in graph["nodes"]])
    began = time.perf_counter()
    status = run_execute(run_id=run.pk, worker="bench")
    elapsed = time.perf_counter() - began
    assert status == "finished", [(n.node_id, n.error) for n in run.node_runs.exclude(error="")]
    states = dict(run.node_runs.values_list("node_id", "status"))
    durations = dict(run.node_runs.values_list("node_id", "duration_ms"))
    return elapsed, states, durations


def engine_side(workdir: Path) -> dict:
    setup_django(workdir)
    from django.contrib.auth import get_user_model

    from experiments.models import Experiment
    from studio.services import workspace_create

    dataset = flights_dataset()
    user = get_user_model().objects.create_user("bench")
    workspace = workspace_create(owner=user, name="bench")
    experiment = Experiment.objects.create(workspace=workspace, name="bench")
    rss_before = peak_rss_mb()
    first, _, durations = engine_run(experiment, pipeline(dataset.pk))
    rss_first = peak_rss_mb()
    again, states_again, _ = engine_run(experiment, pipeline(dataset.pk))
    changed, states_changed, _ = engine_run(experiment, pipeline(dataset.pk, trees=50))
    return {"rows": dataset.rows, "first": first, "again": again, "changed": changed, "rss_mb": rss_first,
            "rss_before_mb": rss_before, "again_states": states_again, "changed_states": states_changed,
            "durations_ms": durations}


def plain_side(workdir: Path) -> dict:
    """The same steps, written directly with pandas and scikit-learn, reading the same Parquet file."""
    setup_django(workdir)
    import numpy as np
    import pandas as pd
    from django.core.files.storage import default_storage
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OrdinalEncoder

    path = flights_dataset().path
    rss_before = peak_rss_mb()
    began = time.perf_counter()
    with default_storage.open(path, "rb") as handle:
        frame = pd.read_parquet(handle)
    frame = frame.fillna({column: frame[column].mode().iloc[0] for column in frame.columns})
    numeric = [c for c in frame.columns if c != LABEL and pd.api.types.is_numeric_dtype(frame[c])]
    frame[numeric] = (frame[numeric] - frame[numeric].mean()) / frame[numeric].std()
    order = np.random.default_rng(SEED).permutation(len(frame))
    cut = round(0.7 * len(frame))
    train, test = frame.iloc[order[:cut]], frame.iloc[order[cut:]]
    categorical = [c for c in FEATURES if c not in numeric]
    model = make_pipeline(
        ColumnTransformer([("cat", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), categorical)],
                          remainder="passthrough"),
        HistGradientBoostingClassifier(max_leaf_nodes=20, min_samples_leaf=10, learning_rate=0.2, max_iter=100,
                                       random_state=0))
    model.fit(train[FEATURES], train[LABEL])
    probabilities = model.predict_proba(test[FEATURES])[:, 1]
    auc = roc_auc_score(test[LABEL], probabilities)
    return {"first": time.perf_counter() - began, "rss_mb": peak_rss_mb(), "rss_before_mb": rss_before, "auc": auc}


def child(side: str) -> None:
    with tempfile.TemporaryDirectory(prefix=f"atelier-bench-{side}-") as workdir:
        result = engine_side(Path(workdir)) if side == "engine" else plain_side(Path(workdir))
    print(json.dumps(result))


def measure(side: str) -> dict:
    output = subprocess.run([sys.executable, __file__, side], cwd=ROOT, capture_output=True, text=True, check=False)
    if output.returncode != 0:
        raise SystemExit(f"{side} side failed:\n{output.stderr[-3000:]}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    from studio import processes

    port = processes.free_port()
    with tempfile.TemporaryDirectory(prefix="atelier-bench-redis-") as directory:
        redis_server = processes.start_redis(port, Path(directory), Path(directory) / "redis.log")
        os.environ["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"  # live events go to a real, private Redis
        try:
            plain, engine = measure("plain"), measure("engine")
        finally:
            redis_server.stop()
    report(plain, engine)


def report(plain: dict, engine: dict) -> None:
    print(f"Flight Delays Data: {engine['rows']} rows; 8-node pipeline; each side in a fresh process")
    print(f"(a) first run through the engine   {engine['first']:7.2f} s   plain script {plain['first']:7.2f} s   "
          f"ratio {engine['first'] / plain['first']:.2f}  (target <= 1.15)")
    print(f"    engine node times (ms): {engine['durations_ms']}")
    print(f"(b) rerun with nothing changed     {engine['again']:7.2f} s   ratio to first run "
          f"{engine['again'] / engine['first']:.3f}  (target <= 0.05); "
          f"states: {sorted(set(engine['again_states'].values()))}")
    ran = sorted(node for node, state in engine["changed_states"].items() if state == "finished")
    print(f"(c) rerun after changing the learner's number of trees: ran {ran}, the rest cached "
          f"({engine['changed']:.2f} s)")
    engine_growth = engine["rss_mb"] - engine["rss_before_mb"]
    plain_growth = plain["rss_mb"] - plain["rss_before_mb"]
    print(f"(d) peak memory: engine {engine['rss_mb']:.0f} MB, plain {plain['rss_mb']:.0f} MB, ratio "
          f"{engine['rss_mb'] / plain['rss_mb']:.2f}  (target <= 1.5); growth during the run "
          f"{engine_growth:.0f} MB vs {plain_growth:.0f} MB")


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] in ("engine", "plain"):
        child(sys.argv[1])
    else:
        main()
