"""The deployed income service that the scoring and batch benchmarks load, built in a throwaway var dir.

Importing this module points the settings at a temporary ATELIER_VAR_DIR (database, storage) before Django
starts, so a benchmark never touches the studio's own data.
"""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="atelier-bench-"))
# Production settings, but plain HTTP on loopback (the checkout's .env is not read under DEBUG=0).
os.environ.update({"ATELIER_VAR_DIR": str(WORK), "DEBUG": "0", "SECRET_KEY": secrets.token_hex(32), "ATELIER_TLS": "0",
                   "ALLOWED_HOSTS": "127.0.0.1,localhost", "DJANGO_SETTINGS_MODULE": "studio.settings",
                   "LOG_LEVEL": "ERROR"})
ADULT = "Adult Census Income Binary Classification dataset"


def build_service() -> tuple[str, str, Path, list[str], list[object]]:
    """Train, set up, run and deploy the income service; returns (path, key, model file, columns, row)."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    from experiments.datasets import dataset_table, samples_load
    from experiments.models import Asset, Dataset, Experiment, NodeRun, Run
    from experiments.services import run_execute
    from experiments.setup import setup_web_service
    from studio.selectors import default_workspace_of
    from tests.experiments.test_runs import income_graph
    from webservices.locations import rrs_location
    from webservices.services import deploy

    def run(experiment: Experiment) -> None:
        record = Run.objects.create(experiment=experiment, graph=experiment.graph)
        NodeRun.objects.bulk_create([NodeRun(run=record, node_id=n["id"], module=n["module"])
                                     for n in experiment.graph["nodes"]])
        assert run_execute(run_id=record.pk, worker="bench") == "finished"

    user = get_user_model().objects.create_user("bench")
    workspace = default_workspace_of(user)
    samples_load([ADULT])
    adult = Dataset.objects.get(name=ADULT)
    training = Experiment.objects.create(workspace=workspace, name="Income", graph=income_graph(adult.pk))
    run(training)
    predictive = setup_web_service(experiment=training, kind="predictive").experiment
    run(predictive)
    done = deploy(experiment=predictive)
    model = Asset.objects.get(kind="trained_model")
    frame = dataset_table(adult).frame.drop(columns=["income"])
    row = [value.item() if hasattr(value, "item") else value for value in frame.iloc[0]]
    path = rrs_location("", done.endpoint)
    assert done.keys is not None
    return path, done.keys.primary, Path(model.path if model.path.startswith("/") else WORK / "storage" / model.path), \
        list(frame.columns), row


