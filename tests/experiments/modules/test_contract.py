"""One contract suite over the whole registry (house rule 3), like scikit-learn's estimator checks.

Every registered module: a well-formed catalogue entry with valid JSON Schema; defaults that clean;
the one message form for a bad parameter; and, run on an example, every declared output of the right
type, the same result twice (seeded), and an inferred schema that agrees with the real output.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import jsonschema
import numpy as np
import pandas as pd
import pytest

from experiments.checks import module_problems
from experiments.engine import store
from experiments.modules.framework.base import Context, SchemaContext
from experiments.modules.framework.datatable import DataTable, Role
from experiments.modules.framework.params import Columns, Int
from experiments.modules.framework.ports import PortType
from experiments.modules.framework.registry import registry

MODULES = sorted(registry.all(), key=lambda cls: cls.id)


def ids(cls: Any) -> str:
    return cls.id


@pytest.mark.parametrize("cls", MODULES, ids=ids)
def test_catalogue_entry_is_well_formed(cls):
    entry = cls.catalogue_entry()
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", entry["id"]), "an id is lower-case words joined by hyphens"
    assert entry["category"] and entry["description"].strip()
    for port in entry["inputs"] + entry["outputs"]:
        assert port["type"] in {str(t) for t in PortType}
    jsonschema.Draft202012Validator.check_schema(entry["parameters"])
    for key, schema in entry["parameters"]["properties"].items():
        assert schema["title"], f"parameter {key} has no label"
        assert "default" in schema


@pytest.mark.parametrize("cls", MODULES, ids=ids)
def test_every_default_is_a_valid_value(cls):
    for param in cls.params.values():
        param.clean(param.default)


@pytest.mark.parametrize("cls", [cls for cls in MODULES if cls.params], ids=ids)
def test_a_bad_parameter_gets_the_one_message_form(cls):
    key = next(iter(cls.params))
    _, problems = cls.clean_params({key: [["not", "valid"]]}, "n1")
    assert len(problems) == 1
    message = problems[0].message
    assert message.startswith(f"The '{cls.params[key].label}' parameter of {cls.name} (node n1) must be ")
    assert message.endswith("; got [['not', 'valid']].")
    assert problems[0].parameter == key


@pytest.mark.parametrize("cls", MODULES, ids=ids)
def test_unknown_parameters_are_named(cls):
    _, problems = cls.clean_params({"no_such_parameter": 1}, "n1")
    assert [p.message for p in problems] == [f"{cls.name} has no parameter 'no_such_parameter'."]


@pytest.mark.parametrize("cls", [cls for cls in MODULES if any(isinstance(p, Int) for p in cls.params.values())],
                         ids=ids)
def test_every_integer_parameter_has_a_maximum_shown_in_the_catalogue_and_enforced(cls):
    """The rule is every integer, not a list of the ones that "scale cost": a new parameter can't be forgotten.
    The maximum reaches the properties pane through the JSON Schema, and one above it is refused."""
    schema = cls.catalogue_entry()["parameters"]["properties"]
    for key, param in cls.params.items():
        if not isinstance(param, Int):
            continue
        assert param.maximum is not None, f"{cls.name}: '{key}' has no maximum"
        assert schema[key]["maximum"] == param.maximum
        _, problems = cls.clean_params({key: param.maximum + 1}, "n1")
        assert [(p.parameter, p.message) for p in problems] == [(key, (
            f"The '{param.label}' parameter of {cls.name} (node n1) must be {param.expectation()}; "
            f"got {param.maximum + 1}."))]
    assert module_problems(cls) == []


def test_the_system_check_names_an_integer_parameter_without_a_maximum():
    class Unbounded(registry.get("two-class-decision-forest")):  # type: ignore[misc]
        params = {"number_of_decision_trees": Int("Number of decision trees", 8, minimum=1)}

    assert module_problems(Unbounded) == ["parameter 'number_of_decision_trees' is an integer with no maximum "
                                          "(every integer declares one: the values that scale a run's cost are "
                                          "bounded before it starts)"]


def test_the_system_check_names_a_column_parameter_selecting_from_an_input_that_is_not_a_dataset():
    class Misplaced(registry.get("join-data")):  # type: ignore[misc]
        params = {**registry.get("join-data").params,
                  "join_key_columns_for_r": Columns("Join key columns for R", input="dataset3")}

    assert module_problems(Misplaced) == ["parameter 'join_key_columns_for_r' selects columns of 'dataset3', which is "
                                          "not a dataset input"]


# --- Running each module on an example -----------------------------------------------------------


def example_table(rows: int = 80, seed: int = 0) -> DataTable:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=rows), rng.normal(size=rows)
    frame = pd.DataFrame({"x1": x1, "x2": x2, "color": rng.choice(["red", "green", "blue"], size=rows),
                          "label": np.where(x1 + x2 + rng.normal(scale=0.5, size=rows) > 0, "yes", "no")})
    frame.loc[::11, "x2"] = np.nan
    return DataTable(frame, {"label": Role.LABEL})


def run_module(module_id: str, inputs: dict[str, Any], **params: Any) -> dict[str, Any]:
    cls = registry.get(module_id)
    cleaned, problems = cls.clean_params(params, "n1")
    assert problems == [], problems
    return cls().execute(inputs, cleaned, Context(settings={"ATELIER_ALLOW_PYTHON_SCRIPT": True}))


def untrained(module_id: str, **params: Any) -> Any:
    return run_module(module_id, {}, **params)["untrained_model"]


def trained(learner: str = "two-class-logistic-regression") -> Any:
    return run_module("train-model", {"untrained_model": untrained(learner), "dataset": example_table()},
                      label_column=["label"])["trained_model"]


def scored() -> DataTable:
    return run_module("score-model", {"trained_model": trained(), "dataset": example_table(seed=1)})["scored_dataset"]


def fitted_transform() -> Any:
    return run_module("normalize-data", {"dataset": example_table()}, columns=["x1", "x2"])["transformation_function"]


Example = tuple[Callable[[], dict[str, Any]], dict[str, Any]]
TABLE_ONLY: Example = (lambda: {"dataset": example_table()}, {})

# Modules whose defaults need an example input or parameter to do anything meaningful.
EXAMPLES: dict[str, Example] = {
    "select-columns-in-dataset": (lambda: {"dataset": example_table()}, {"columns": ["x1", "label"]}),
    "edit-metadata": (lambda: {"dataset": example_table()}, {"columns": ["color"], "categorical": "Make categorical"}),
    "enter-data-manually": (dict, {"data": "a,b\n1,x\n2,y\n"}),
    "split-data": (lambda: {"dataset": example_table()}, {"random_seed": 3}),
    "join-data": (lambda: {"dataset1": example_table(), "dataset2": example_table()},
                  {"join_key_columns_for_l": ["color"], "join_key_columns_for_r": ["color"]}),
    "add-rows": (lambda: {"dataset1": example_table(), "dataset2": example_table(seed=2)}, {}),
    "add-columns": (lambda: {"left_dataset": example_table(), "right_dataset": example_table(seed=2)}, {}),
    "apply-transformation": (lambda: {"transformation": fitted_transform(), "dataset": example_table(seed=4)}, {}),
    "apply-sql-transformation": (lambda: {"t1": example_table()}, {"sql_query_script": "select x1, label from t1;"}),
    "train-model": (lambda: {"untrained_model": untrained("two-class-boosted-decision-tree"),
                             "dataset": example_table()}, {"label_column": ["label"]}),
    "score-model": (lambda: {"trained_model": trained(), "dataset": example_table(seed=1)}, {}),
    "evaluate-model": (lambda: {"scored_dataset": scored()}, {}),
    "permutation-feature-importance": (lambda: {"trained_model": trained(), "test_data": example_table(seed=1)}, {}),
    "filter-based-feature-selection": (lambda: {"dataset": example_table()}, {"target_column": ["x1"]}),
    "one-vs-all-multiclass": (lambda: {"untrained_model": untrained("two-class-logistic-regression")}, {}),
    "cross-validate-model": (lambda: {"untrained_model": untrained("two-class-logistic-regression"),
                                      "dataset": example_table()}, {"label_column": ["label"]}),
    "tune-model-hyperparameters": (lambda: {"untrained_model": untrained("two-class-logistic-regression"),
                                            "training_dataset": example_table()}, {"label_column": ["label"]}),
    "train-clustering-model": (lambda: {"untrained_model": untrained("k-means-clustering"),
                                        "dataset": example_table()}, {"column_set": ["x1"]}),
    "assign-data-to-clusters": (lambda: {"trained_model": run_module(
        "train-clustering-model", {"untrained_model": untrained("k-means-clustering"), "dataset": example_table()},
        column_set=["x1"])["trained_model"], "dataset": example_table(seed=5)}, {}),
    "train-anomaly-detection-model": (lambda: {"untrained_model": untrained("pca-based-anomaly-detection"),
                                               "dataset": example_table().with_frame(
                                                   example_table().frame[["x1"]], {})}, {}),
    "execute-python-script": (lambda: {"dataframe1": example_table()}, {}),
    "web-service-input": (lambda: {"dataset": example_table()}, {}),
    "web-service-output": (lambda: {"dataset": example_table()}, {}),
}
# Sources of saved objects and I/O against storage or the network are covered by their own tests.
NOT_RUN_HERE = {"dataset", "trained-model", "transform", "import-data", "export-data"}


def example_for(cls: Any) -> Example | None:
    if cls.id in EXAMPLES:
        return EXAMPLES[cls.id]
    if not cls.inputs:
        return (dict, {})
    if all(port.type == PortType.DATA_TABLE for port in cls.inputs) and [p.name for p in cls.inputs] == ["dataset"]:
        return TABLE_ONLY
    return None


RUNNABLE = [cls for cls in MODULES if cls.id not in NOT_RUN_HERE]


def equal_outputs(first: Any, second: Any) -> bool:
    if isinstance(first, DataTable):
        pd.testing.assert_frame_equal(first.frame, second.frame)
        return first.roles == second.roles
    if hasattr(first, "to_json"):
        return first.to_json() == second.to_json()
    return store.dump(PortType.TRAINED_MODEL, first) is not None  # fitted estimators: checked via scoring tests


@pytest.mark.parametrize("cls", RUNNABLE, ids=ids)
def test_runs_on_an_example_deterministically_with_every_output(cls):
    example = example_for(cls)
    if example is None:
        pytest.fail(f"{cls.id} needs an entry in EXAMPLES")
    make_inputs, params = example
    first = run_module(cls.id, make_inputs(), **params)
    second = run_module(cls.id, make_inputs(), **params)
    for port in cls.outputs:
        assert isinstance(first.get(port.name), store.expected_type(port.type)), port.name
        assert equal_outputs(first[port.name], second[port.name]), port.name


@pytest.mark.parametrize("cls", RUNNABLE, ids=ids)
def test_inferred_schema_agrees_with_the_real_output(cls):
    example = example_for(cls)
    if example is None:
        pytest.fail(f"{cls.id} needs an entry in EXAMPLES")
    make_inputs, params = example
    inputs = make_inputs()
    cleaned, _ = cls.clean_params(params)
    schemas = {name: value.schema for name, value in inputs.items() if isinstance(value, DataTable)}
    inferred = cls().infer_schema(schemas, cleaned, SchemaContext())
    outputs = cls().execute(inputs, cleaned, Context(settings={"ATELIER_ALLOW_PYTHON_SCRIPT": True}))
    checked = {port: schema for port, schema in inferred.items() if schema is not None}
    for port, schema in checked.items():
        assert [(c.name, c.kind) for c in schema] == [(c.name, c.kind) for c in outputs[port].schema], port


def test_every_column_parameter_declares_a_label():
    for cls in MODULES:
        for key, param in cls.params.items():
            if isinstance(param, Columns):
                assert param.label, f"{cls.id}.{key}"


SAVED = (PortType.TRAINED_MODEL, PortType.TRANSFORM)


@pytest.mark.parametrize("cls", [cls for cls in RUNNABLE if any(port.type in SAVED for port in cls.outputs)], ids=ids)
def test_trained_models_and_transforms_round_trip_through_their_files(cls):
    """What each module writes loads back under the checks a file from outside gets (signature, the exact model
    types of experiments/modules/framework/model_types.py) and works the same."""
    from experiments.modules.framework.artifacts import TrainedModel
    from experiments.modules.prediction import score_frame

    make_inputs, params = example_for(cls)
    outputs = run_module(cls.id, make_inputs(), **params)
    new_rows = example_table(seed=4)
    for port in [port for port in cls.outputs if port.type in SAVED]:
        value, data = outputs[port.name], store.dump(port.type, outputs[port.name])
        if port.type == PortType.TRAINED_MODEL:
            back = TrainedModel.from_bytes(data, require_signature=True)
            pd.testing.assert_frame_equal(score_frame(back, new_rows.frame), score_frame(value, new_rows.frame))
        else:
            assert equal_outputs(store.load(port.type, data).apply(new_rows), value.apply(new_rows)), port.name


def test_the_system_check_names_a_caption_parameter_the_module_does_not_declare():
    class Misnamed(registry.get("split-data")):  # type: ignore[misc]
        caption = ("{fraction_of_rows_in_the_first_output_dataset}", "seed {random_sead}")

    assert module_problems(Misnamed) == ["caption names unknown parameter 'random_sead'"]


def test_the_catalogue_gives_the_canvas_each_modules_caption_and_port_labels_in_words():
    split = registry.get("split-data").catalogue_entry()
    assert split["caption"][:2] == ["{fraction_of_rows_in_the_first_output_dataset}", "random seed {random_seed}"]
    assert [port["label"] for port in split["outputs"]] == ["Results dataset1", "Results dataset2"]
    clean = registry.get("clean-missing-data").catalogue_entry()
    assert [port["label"] for port in clean["outputs"]] == ["Cleaned dataset", "Cleaning transformation"]
    assert registry.get("train-model").catalogue_entry()["caption"] == ["label: {label_column}"]
