"""The small-request path on a deployed service: row kernels answer exactly as the DataFrame path, and
without building a DataFrame (DESIGN §5's "small-request fast path")."""

from __future__ import annotations

import numpy as np
import orjson
import pandas as pd
import pytest

from experiments.assets import output_save
from experiments.datasets import dataset_table
from tests.webservices.test_deploy import income, publish  # noqa: F401 (fixture)
from webservices.scoring.call import score_body
from webservices.scoring.served import served
from webservices.scoring.wire import format_outputs, parse_inputs

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def state(api, owner, income):  # noqa: F811
    training, training_run = income
    endpoint = publish(api, owner, training)[2]["endpoint"]
    held_out = dataset_table(output_save(run=training_run, node="split", port="results2", name="held out")).frame
    return served(endpoint["ApiLocation"].split("/services/")[1].split("/")[0]), held_out


def awkward(frame: pd.DataFrame) -> pd.DataFrame:
    """Held-out rows as clients send them, with the gaps and surprises real calls have."""
    frame = frame.head(160).drop(columns=["income"]).reset_index(drop=True).astype(object)
    frame.loc[::5, "age"] = None
    frame.loc[::6, "workclass"] = None
    frame.loc[::7, "occupation"] = "Astronaut"  # a category the model never saw
    frame.loc[::9, "hours-per-week"] = "40"  # numbers as text, as classic clients send them
    frame["note"] = "passes through"  # a column the service doesn't know
    return frame


def bodies(frame: pd.DataFrame, size: int):
    for start in range(0, len(frame), size):
        chunk = frame.iloc[start:start + size]
        values = [[None if v is None or v != v else str(v) for v in row] for row in chunk.itertuples(index=False)]
        yield {"Inputs": {"input1": {"ColumnNames": list(chunk.columns), "Values": values}}, "GlobalParameters": {}}


def test_small_requests_score_on_rows_exactly_as_on_dataframes(state):
    served_state, held_out = state
    scorer = served_state.scorer
    assert scorer.fast is not None, "the income service's scoring path should have row kernels throughout"
    compared = 0
    for size in (1, 4, 40):
        for body in bodies(awkward(held_out), size):
            rows = parse_inputs(body, served_state.input_schema, swagger=False, max_rows=1000)
            fast = scorer.score_rows(rows)  # NotFast here would mean these rows silently took the slow path
            slow = scorer.score({name: table.table() for name, table in rows.items()}, {})
            for swagger, details in ((False, False), (False, True), (True, False)):
                assert orjson.dumps(format_outputs(fast, swagger=swagger, details=details)) == \
                    orjson.dumps(format_outputs(slow, swagger=swagger, details=details))
            compared += 1
    assert compared == 160 + 40 + 4


def test_a_one_row_call_builds_no_dataframe(state, monkeypatch):
    served_state, held_out = state
    body = orjson.dumps(next(bodies(awkward(held_out), 1)))
    expected = score_body({}, body, served_state)

    def refuse(*args, **kwargs):
        raise AssertionError("the small-request path built a DataFrame")

    monkeypatch.setattr(pd.DataFrame, "__init__", refuse)
    status, answer = score_body({}, body, served_state)
    assert status == 200, answer
    assert answer == expected[1]
    probability = float(answer["Results"]["output1"]["value"]["Values"][0][-1])
    assert 0.0 <= probability <= 1.0 and not np.isnan(probability)


def test_what_the_rows_cannot_take_still_gets_the_dataframe_paths_answer(state):
    served_state, held_out = state
    body = next(bodies(awkward(held_out), 2))
    body["Inputs"]["input1"]["ColumnNames"][0] = "years"  # 'age' missing: the DataFrame path words it
    status, answer = score_body({}, orjson.dumps(body), served_state)
    assert status == 400 and "age" in answer["error"]["message"]
