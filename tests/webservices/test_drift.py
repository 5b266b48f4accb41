"""Input drift (issue 20, item 4): an endpoint's scored inputs compared with its training data, per column.

The summaries are pure functions (tested directly); the live side is tested where the data goes: calls over real
HTTP to the scoring server (another process), binned off the request and written to the database by its flusher,
read back through the studio API and the endpoint page.
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlsplit

import httpx
import numpy as np
import pandas as pd
import pytest

from experiments.datasets import dataset_table
from experiments.models import Dataset
from experiments.modules.framework.datatable import DataTable
from experiments.modules.framework.rows import Rows
from tests.webservices.test_deploy import ADULT, income, publish  # noqa: F401 (fixture)
from webservices import drift
from webservices.drift import MIN_ROWS, bucket_counts, profile, psi

COLUMNS = [{"name": "age", "kind": "numeric"}, {"name": "job", "kind": "string"}]


def training_like(rows: int, seed: int, shift: float = 0.0) -> DataTable:
    generator = np.random.default_rng(seed)
    return DataTable(pd.DataFrame({
        "age": generator.normal(40 + shift, 10, rows),
        "job": generator.choice(["clerk", "sales", "exec"], rows, p=[0.5, 0.3, 0.2]).astype(object)}))


def column_psi(summary, table, name):
    spec = summary[name]
    return psi(spec["expected"], bucket_counts(table.frame[name].to_numpy(), spec).tolist())


def test_a_sample_of_the_training_distribution_scores_a_small_psi_and_a_shifted_one_a_large_psi():
    summary = profile(training_like(5000, seed=1), COLUMNS)
    assert len(summary["age"]["edges"]) == 9 and summary["job"]["categories"] == ["clerk", "sales", "exec"]
    assert column_psi(summary, training_like(1000, seed=2), "age") < 0.05
    assert column_psi(summary, training_like(1000, seed=2), "job") < 0.05
    shifted = training_like(1000, seed=3, shift=15)
    assert column_psi(summary, shifted, "age") > 1.0
    assert column_psi(summary, shifted, "job") < 0.05


def test_missing_values_and_unseen_categories_have_their_own_buckets():
    summary = profile(training_like(1000, seed=1), COLUMNS)
    counts = bucket_counts(np.array(["clerk", None, "astronaut", float("nan")], dtype=object), summary["job"])
    assert counts.tolist() == [1, 0, 0, 1, 2]  # clerk, sales, exec, (other), (missing)
    numbers = bucket_counts(np.array([np.nan, 1e9, -1e9]), summary["age"])
    assert numbers[0] == 1 and numbers[-2] == 1 and numbers[-1] == 1
    assert summary["job"]["buckets"] == ["clerk", "sales", "exec", "(other)", "(missing)"]


pytestmark = pytest.mark.django_db(transaction=True)


def test_what_waits_for_the_flush_is_bounded_and_a_gone_endpoint_is_skipped(monkeypatch):
    monkeypatch.setattr(drift, "MAX_PENDING_ROWS", 250)
    spec = profile(training_like(200, seed=1), COLUMNS)
    table = Rows({"age": np.arange(100, dtype=float), "job": np.array(["clerk"] * 100, dtype=object)})
    for _ in range(5):
        drift.observe(999_999, 999_999, {"input1": spec}, {"input1": table})
    assert drift._pending_rows == 200  # the third call would pass 250: it, and those after it, are not kept
    assert drift.flush() == 0  # no such endpoint: nothing written, nothing raised
    assert drift._pending_rows == 0


def score(url: str, key: str, frame: pd.DataFrame) -> None:
    """Classic RRS calls of 50 rows each, as any client sends them."""
    for start in range(0, len(frame), 50):
        part = frame.iloc[start:start + 50]
        body = {"Inputs": {"input1": {"ColumnNames": list(part.columns),
                                      "Values": json.loads(part.astype(object).where(part.notna(), None)
                                                           .to_json(orient="values"))}},
                "GlobalParameters": {}}
        answer = httpx.post(url, json=body, headers={"Authorization": f"Bearer {key}"}, timeout=30)
        assert answer.status_code == 200, answer.text


def drift_seen(api, service_id: int, rows: int) -> dict:
    """The drift report once the scoring process has written `rows` rows (its flusher runs every second)."""
    deadline = time.monotonic() + 30
    while True:
        report = api.get(f"/api/web-services/{service_id}/endpoints/default/drift/").json()
        if report["rows_seen"] >= rows or time.monotonic() > deadline:
            return report
        time.sleep(0.3)


def test_training_like_calls_flag_nothing_and_shifted_ages_flag_age(api, owner, owner_client, income, studio_server):  # noqa: F811
    training, _ = income
    answer = publish(api, owner, training)[2]
    service_id, endpoint = answer["web_service"], answer["endpoint"]
    url = studio_server.url + urlsplit(endpoint["ApiLocation"]).path + "/execute?api-version=2.0"
    before = api.get(f"/api/web-services/{service_id}/endpoints/default/drift/").json()
    assert before["rows_seen"] == 0 and not any(column["flagged"] for column in before["columns"])
    assert {"age", "education", "occupation"} <= {column["name"] for column in before["columns"]}

    # raw rows as clients send them (the held-out split has had its missing values replaced: a drift of its own)
    adult = dataset_table(Dataset.objects.get(name=ADULT)).frame.sample(1800, random_state=7)
    score(url, endpoint["PrimaryKey"], adult.head(600))
    report = drift_seen(api, service_id, 600)
    assert report["rows_seen"] == 600 >= MIN_ROWS
    assert [column["name"] for column in report["columns"] if column["flagged"]] == [], report["columns"][:3]

    older = adult.iloc[600:].copy()
    older["age"] = older["age"] + 35  # the service now sees people 35 years older than it was trained on
    score(url, endpoint["PrimaryKey"], older)
    report = drift_seen(api, service_id, 1800)
    assert report["rows_seen"] == 1800
    assert [column["name"] for column in report["columns"] if column["flagged"]] == ["age"]
    age = next(column for column in report["columns"] if column["name"] == "age")
    assert age["psi"] > report["threshold"] and len(age["observed"]) == len(age["expected"]) == len(age["buckets"])

    page = owner_client.get(f"/web-services/{service_id}/endpoints/default/").content.decode()
    assert "Drifted: age" in page and 'class="drift-chart"' in page and "1800 rows scored" in page


def test_the_dashboards_test_form_does_not_count_as_scored_input(api, owner, owner_client, income):  # noqa: F811
    training, _ = income
    service_id = publish(api, owner, training)[2]["web_service"]
    # the page renders the endpoint's help, which scores the sample request: not a client's input
    assert owner_client.get(f"/web-services/{service_id}/endpoints/default/").status_code == 200
    drift.flush()
    assert api.get(f"/api/web-services/{service_id}/endpoints/default/drift/").json()["rows_seen"] == 0
