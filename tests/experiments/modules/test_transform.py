"""Data Transformation modules on small hand-made tables, with expected values worked out independently."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from experiments.modules import metadata, sample_split, transform
from experiments.modules.framework.artifacts import Transform
from experiments.modules.framework.base import Context, ModuleError, SchemaContext
from experiments.modules.framework.datatable import DataTable, Kind, Role
from experiments.modules.framework.params import names_selection


def run(cls: Any, inputs: dict[str, Any], **raw: Any) -> dict[str, Any]:
    params, problems = cls.clean_params(raw)
    assert not problems, problems
    return cls().execute(inputs, params, Context())


def fails(cls: Any, inputs: dict[str, Any], **raw: Any) -> ModuleError:
    with pytest.raises(ModuleError) as caught:
        run(cls, inputs, **raw)
    return caught.value


def inferred(cls: Any, table: DataTable, **raw: Any) -> dict[str, Any]:
    params, problems = cls.clean_params(raw)
    assert not problems, problems
    return cls().infer_schema({"dataset": table.schema}, params, SchemaContext())


def shape(schema: Any) -> list[tuple[str, Kind, Role]]:
    return [(column.name, column.kind, column.role) for column in schema]


def roundtrip(value: Transform) -> Transform:
    """As the engine stores a Transform: JSON out and back."""
    return Transform.from_json(json.loads(json.dumps(value.to_json())))


def people() -> DataTable:
    frame = pd.DataFrame({
        "age": [25.0, np.nan, 47.0, 51.0, np.nan, 33.0],
        "city": pd.Series(["Oslo", "Rome", None, "Oslo", "Lima", "Oslo"], dtype="str"),
        "hours": [40, 38, 60, 45, 20, 40],
        "income": pd.Series(["low", "low", "high", "high", "low", "high"], dtype="str"),
    })
    return DataTable(frame, {"income": Role.LABEL})


# --- Select Columns in Dataset --------------------------------------------------------------------


def test_select_columns_keeps_the_tables_order_and_roles():
    out = run(transform.SelectColumnsInDataset, {"dataset": people()}, columns=["income", "age"])["results_dataset"]
    assert out.columns == ["age", "income"]
    assert out.roles == {"income": Role.LABEL}
    assert out.frame["age"].tolist()[0] == 25.0


def test_select_columns_by_rules_and_inferred_schema_agree():
    selection = {"begin_with": "all", "rules": [{"action": "exclude", "by": "type", "types": ["String"]}]}
    out = run(transform.SelectColumnsInDataset, {"dataset": people()}, columns=selection)["results_dataset"]
    assert out.columns == ["age", "hours"]
    schema = inferred(transform.SelectColumnsInDataset, people(), columns=selection)["results_dataset"]
    assert shape(schema) == shape(out.schema)


def test_select_columns_with_nothing_selected_or_an_unknown_name_fails_clearly():
    assert "No columns are selected" in str(fails(transform.SelectColumnsInDataset, {"dataset": people()}))
    error = fails(transform.SelectColumnsInDataset, {"dataset": people()}, columns=["age", "salary"])
    assert error.column == "salary" and "'salary'" in str(error)


# --- Edit Metadata --------------------------------------------------------------------------------


def test_edit_metadata_makes_one_label_and_clears_the_previous_one():
    out = run(metadata.EditMetadata, {"dataset": people()}, columns=["city"], fields="Label")["results_dataset"]
    assert out.roles == {"city": Role.LABEL}
    error = fails(metadata.EditMetadata, {"dataset": people()}, columns=["city", "age"], fields="Label")
    assert "Only one column can be the label; 2 are selected" in str(error) and error.parameter == "fields"


def test_edit_metadata_clears_a_label_and_sets_a_weight():
    out = run(metadata.EditMetadata, {"dataset": people()}, columns=["income"], fields="Clear label")
    assert out["results_dataset"].roles == {}
    out = run(metadata.EditMetadata, {"dataset": people()}, columns=["hours"], fields="Weight")
    assert out["results_dataset"].roles == {"income": Role.LABEL, "hours": Role.WEIGHT}


def test_edit_metadata_converts_text_to_numbers_booleans_dates_and_spans():
    frame = pd.DataFrame({"n": pd.Series(["1", " 2", None], dtype="str"),
                          "f": pd.Series(["1.5", "2", None], dtype="str"),
                          "b": pd.Series(["yes", "FALSE", "1"], dtype="str"),
                          "d": pd.Series(["2020-01-31", None, "2021-12-01 10:30"], dtype="str"),
                          "t": pd.Series(["2", "1 days 02:00:00", None], dtype="str")})
    table = DataTable(frame)
    convert = {"n": "Integer", "f": "Floating point", "b": "Boolean", "d": "DateTime", "t": "TimeSpan"}
    results = {column: run(metadata.EditMetadata, {"dataset": table}, columns=[column],
                           data_type=data_type)["results_dataset"].frame[column]
               for column, data_type in convert.items()}
    assert results["n"].dtype == "Int64" and results["n"].tolist()[:2] == [1, 2] and results["n"].isna().iloc[2]
    assert results["f"].dtype == "float64" and results["f"].tolist()[:2] == [1.5, 2.0]
    assert results["b"].dtype == bool and results["b"].tolist() == [True, False, True]
    assert results["d"].tolist()[0] == pd.Timestamp("2020-01-31")
    assert results["d"].tolist()[2] == pd.Timestamp("2021-12-01 10:30")
    assert results["t"].tolist()[:2] == [pd.Timedelta(days=2), pd.Timedelta(hours=26)]


def test_edit_metadata_names_the_column_and_first_bad_value():
    table = DataTable(pd.DataFrame({"n": pd.Series(["1", "2.5", "x"], dtype="str")}))
    error = fails(metadata.EditMetadata, {"dataset": table}, columns=["n"], data_type="Integer")
    assert error.column == "n" and "'2.5'" in str(error) and "Integer" in str(error)
    error = fails(metadata.EditMetadata, {"dataset": table}, columns=["n"], data_type="Floating point")
    assert "'x'" in str(error)
    error = fails(metadata.EditMetadata, {"dataset": table}, columns=["n"], data_type="Boolean")
    assert "'2.5'" in str(error)


def test_edit_metadata_numbers_to_text_and_categorical_and_back():
    table = DataTable(pd.DataFrame({"n": [1, 2, 1]}))
    text = run(metadata.EditMetadata, {"dataset": table}, columns=["n"], data_type="String")["results_dataset"]
    assert text.frame["n"].tolist() == ["1", "2", "1"] and text.kind("n") == Kind.STRING
    category = run(metadata.EditMetadata, {"dataset": table}, columns=["n"], categorical="Make categorical")
    assert category["results_dataset"].kind("n") == Kind.CATEGORICAL
    back = run(metadata.EditMetadata, {"dataset": category["results_dataset"]}, columns=["n"],
               categorical="Make non-categorical")["results_dataset"]
    assert back.frame["n"].dtype == "int64" and back.frame["n"].tolist() == [1, 2, 1]


def test_edit_metadata_renames_and_keeps_the_label_on_the_renamed_column():
    out = run(metadata.EditMetadata, {"dataset": people()}, columns=["income", "age"],
              new_column_names="years, class")["results_dataset"]
    assert out.columns == ["years", "city", "hours", "class"]
    assert out.roles == {"class": Role.LABEL}
    error = fails(metadata.EditMetadata, {"dataset": people()}, columns=["age", "city"], new_column_names="x")
    assert "1 name for 2 selected columns" in str(error) and error.parameter == "new_column_names"
    error = fails(metadata.EditMetadata, {"dataset": people()}, columns=["age"], new_column_names="hours")
    assert "hours" in str(error)


@pytest.mark.parametrize("raw", [
    {"columns": ["age"], "data_type": "String", "fields": "Label", "new_column_names": "years"},
    {"columns": ["city"], "categorical": "Make categorical"},
    {"columns": ["hours"], "data_type": "Boolean"},
])
def test_edit_metadata_inferred_schema_agrees_with_the_output(raw):
    table = DataTable(people().frame.assign(hours=[1, 0, 1, 1, 0, 0]), {"income": Role.LABEL})
    out = run(metadata.EditMetadata, {"dataset": table}, **raw)["results_dataset"]
    assert shape(inferred(metadata.EditMetadata, table, **raw)["results_dataset"]) == shape(out.schema)


def test_edit_metadata_schema_is_unknown_without_an_input():
    params, _ = metadata.EditMetadata.clean_params({"columns": names_selection("a")})
    assert metadata.EditMetadata().infer_schema({}, params, SchemaContext()) == {"results_dataset": None}


# --- Clean Missing Data ---------------------------------------------------------------------------


def test_clean_missing_replaces_with_mean_median_and_mode():
    table = people()
    mean = run(transform.CleanMissingData, {"dataset": table}, columns=["age"], cleaning_mode="Replace with mean")
    assert mean["cleaned_dataset"].frame["age"].tolist() == [25.0, 39.0, 47.0, 51.0, 39.0, 33.0]
    median = run(transform.CleanMissingData, {"dataset": table}, columns=["age"], cleaning_mode="Replace with median")
    assert median["cleaned_dataset"].frame["age"].tolist() == [25.0, 40.0, 47.0, 51.0, 40.0, 33.0]
    mode = run(transform.CleanMissingData, {"dataset": table}, cleaning_mode="Replace with mode")["cleaned_dataset"]
    assert mode.frame["city"].tolist() == ["Oslo", "Rome", "Oslo", "Oslo", "Lima", "Oslo"]
    assert mode.frame["age"].tolist() == [25.0, 25.0, 47.0, 51.0, 25.0, 33.0]  # ties: the smallest mode
    assert mode.roles == {"income": Role.LABEL}


def test_clean_missing_mean_of_a_nullable_integer_column_becomes_floating_point():
    table = DataTable(pd.DataFrame({"n": pd.Series([1, None, 2, 4], dtype="Int64")}))
    out = run(transform.CleanMissingData, {"dataset": table}, cleaning_mode="Replace with mean")["cleaned_dataset"]
    assert out.frame["n"].dtype == "float64" and out.frame["n"].tolist() == [1.0, 7 / 3, 2.0, 4.0]


def test_clean_missing_custom_value_takes_the_columns_type():
    out = run(transform.CleanMissingData, {"dataset": people()}, columns=["age", "city"],
              replacement_value="0")["cleaned_dataset"]
    assert out.frame["age"].tolist() == [25.0, 0.0, 47.0, 51.0, 0.0, 33.0]
    assert out.frame["city"].tolist() == ["Oslo", "Rome", "0", "Oslo", "Lima", "Oslo"]
    error = fails(transform.CleanMissingData, {"dataset": people()}, columns=["age"], replacement_value="none")
    assert error.column == "age" and error.parameter == "replacement_value" and "'none'" in str(error)


def test_clean_missing_mean_of_text_names_the_column():
    error = fails(transform.CleanMissingData, {"dataset": people()}, cleaning_mode="Replace with mean")
    assert error.column == "city" and "not numeric" in str(error)


def test_clean_missing_only_touches_columns_within_the_missing_ratio():
    # age is 2/6 missing, city 1/6: only city is within [0, 0.2]
    out = run(transform.CleanMissingData, {"dataset": people()}, maximum_missing_value_ratio=0.2,
              cleaning_mode="Replace with mode")
    assert out["cleaned_dataset"].frame["age"].isna().sum() == 2
    assert out["cleaned_dataset"].frame["city"].isna().sum() == 0
    assert "age" not in out["cleaning_transformation"].state["columns"]


def test_clean_missing_removes_rows_or_columns_and_adds_indicators():
    rows = run(transform.CleanMissingData, {"dataset": people()}, cleaning_mode="Remove entire row")
    assert rows["cleaned_dataset"].frame["hours"].tolist() == [40, 45, 40]
    columns = run(transform.CleanMissingData, {"dataset": people()}, cleaning_mode="Remove entire column",
                  generate_missing_value_indicator_column=True)["cleaned_dataset"]
    assert columns.columns == ["hours", "income", "age_isMissing", "city_isMissing", "hours_isMissing",
                               "income_isMissing"]
    assert columns.frame["age_isMissing"].tolist() == [False, True, False, False, True, False]


def test_clean_missing_on_an_all_missing_column():
    table = DataTable(pd.DataFrame({"empty": [np.nan, np.nan], "x": [1.0, 2.0]}))
    mean = run(transform.CleanMissingData, {"dataset": table}, cleaning_mode="Replace with mean")
    assert mean["cleaned_dataset"].frame["empty"].isna().all()
    custom = run(transform.CleanMissingData, {"dataset": table}, columns=["empty"],
                 replacement_value="unknown")["cleaned_dataset"]
    assert custom.frame["empty"].tolist() == ["unknown", "unknown"]
    number = run(transform.CleanMissingData, {"dataset": table}, replacement_value="7")["cleaned_dataset"]
    assert number.frame["empty"].tolist() == [7, 7]


def test_clean_missing_transform_reuses_the_training_values_on_new_data():
    mean = run(transform.CleanMissingData, {"dataset": people()}, columns=["age"], cleaning_mode="Replace with mean")
    mode = run(transform.CleanMissingData, {"dataset": people()}, columns=["city"], cleaning_mode="Replace with mode")
    new = DataTable(pd.DataFrame({"age": [np.nan, 90.0, np.nan], "city": pd.Series([None, "Kyiv", "Kyiv"])}))
    by_mean = run(transform.ApplyTransformation, {"transformation": roundtrip(mean["cleaning_transformation"]),
                                                  "dataset": new})["transformed_dataset"]
    assert by_mean.frame["age"].tolist() == [39.0, 90.0, 39.0]
    by_mode = run(transform.ApplyTransformation, {"transformation": roundtrip(mode["cleaning_transformation"]),
                                                  "dataset": new})["transformed_dataset"]
    assert by_mode.frame["city"].tolist() == ["Oslo", "Kyiv", "Kyiv"]


def test_clean_missing_transform_refuses_a_column_whose_type_changed():
    mode = run(transform.CleanMissingData, {"dataset": people()}, columns=["city"], cleaning_mode="Replace with mode")
    numeric_city = DataTable(pd.DataFrame({"city": [np.nan, 4.0]}))
    error = fails(transform.ApplyTransformation, {"transformation": mode["cleaning_transformation"],
                                                  "dataset": numeric_city})
    assert error.column == "city" and "holds numbers here" in str(error)


def test_clean_missing_transform_needs_its_columns_but_not_the_label():
    fitted = run(transform.CleanMissingData, {"dataset": people()}, cleaning_mode="Replace with mode")
    without_label = DataTable(people().frame.drop(columns=["income"]))
    out = transform.apply_cleaning(without_label, fitted["cleaning_transformation"].state)
    assert out.frame["city"].isna().sum() == 0
    error = fails(transform.ApplyTransformation, {"transformation": fitted["cleaning_transformation"],
                                                  "dataset": DataTable(people().frame.drop(columns=["age", "city"]))})
    assert "'age', 'city'" in str(error) and error.column == "age"


def test_clean_missing_checks_the_ratio_bounds_together():
    _, problems = transform.CleanMissingData.clean_params(
        {"minimum_missing_value_ratio": 0.6, "maximum_missing_value_ratio": 0.5}, "n4")
    assert [problem.message for problem in problems] == [
        "The minimum missing value ratio of Clean Missing Data (node n4) is above the maximum."]
    _, problems = transform.CleanMissingData.clean_params({"maximum_missing_value_ratio": 1.5}, "n4")
    assert problems[0].message == ("The 'Maximum missing value ratio' parameter of Clean Missing Data (node n4) "
                                   "must be a float in [0, 1]; got 1.5.")


def test_clean_missing_inferred_schema_lists_the_indicators():
    raw = {"columns": ["age", "city"], "generate_missing_value_indicator_column": True,
           "cleaning_mode": "Replace with mode"}
    out = run(transform.CleanMissingData, {"dataset": people()}, **raw)["cleaned_dataset"]
    assert shape(inferred(transform.CleanMissingData, people(), **raw)["cleaned_dataset"]) == shape(out.schema)


# --- Normalize Data -------------------------------------------------------------------------------


def numbers() -> DataTable:
    frame = pd.DataFrame({"a": [1.0, 2.0, 4.0, np.nan, 9.0], "b": [3, 3, 3, 3, 3],
                          "y": [0.5, 1.5, 2.5, 3.5, 4.5]})
    return DataTable(frame, {"y": Role.LABEL})


def test_zscore_uses_the_population_standard_deviation_and_skips_the_label():
    out = run(transform.NormalizeData, {"dataset": numbers()})["transformed_dataset"]
    a = np.array([1.0, 2.0, 4.0, 9.0])
    expected = (a - a.mean()) / a.std()  # numpy's std is the population one (ddof=0)
    assert np.allclose(out.frame["a"].dropna().to_numpy(), expected, atol=1e-12)
    assert out.frame["a"].isna().tolist() == [False, False, False, True, False]
    assert out.frame["b"].tolist() == [0.0] * 5  # constant column
    assert out.frame["y"].tolist() == [0.5, 1.5, 2.5, 3.5, 4.5]


@pytest.mark.parametrize(("method", "formula"), [
    ("MinMax", lambda x: (x - 1.0) / 8.0),
    ("Logistic", lambda x: 1 / (1 + np.exp(-x))),
    ("TanH", np.tanh),
    ("LogNormal", lambda x: stats.lognorm(s=np.log([1.0, 2.0, 4.0, 9.0]).std(),
                                          scale=np.exp(np.log([1.0, 2.0, 4.0, 9.0]).mean())).cdf(x)),
])
def test_the_other_methods_follow_their_formulas(method, formula):
    out = run(transform.NormalizeData, {"dataset": numbers()}, transformation_method=method, columns=["a"])
    x = np.array([1.0, 2.0, 4.0, 9.0])
    assert np.allclose(out["transformed_dataset"].frame["a"].dropna().to_numpy(), formula(x), atol=1e-12)


def test_constant_columns_are_undefined_when_zero_is_not_asked_for():
    out = run(transform.NormalizeData, {"dataset": numbers()}, columns=["b"],
              use_0_for_constant_columns_when_checked=False)
    assert out["transformed_dataset"].frame["b"].isna().all()


def test_normalize_transform_reuses_the_training_statistics():
    fitted = run(transform.NormalizeData, {"dataset": numbers()}, transformation_method="MinMax", columns=["a"])
    new = DataTable(pd.DataFrame({"a": [5.0, 17.0]}))
    out = run(transform.ApplyTransformation, {"transformation": roundtrip(fitted["transformation_function"]),
                                              "dataset": new})["transformed_dataset"]
    assert out.frame["a"].tolist() == [0.5, 2.0]


def test_normalize_refuses_text_and_names_the_column():
    error = fails(transform.NormalizeData, {"dataset": people()}, columns=["age", "city"])
    assert error.column == "city" and "not numeric" in str(error)
    error = fails(transform.NormalizeData, {"dataset": people()}, columns=["income"])
    assert "No columns to normalize" in str(error)


# --- Apply Transformation -------------------------------------------------------------------------


def test_apply_transformation_names_the_missing_columns():
    fitted = run(transform.NormalizeData, {"dataset": numbers()}, columns=["a", "b"])["transformation_function"]
    error = fails(transform.ApplyTransformation, {"transformation": fitted,
                                                  "dataset": DataTable(pd.DataFrame({"c": [1.0]}))})
    assert "lacks columns 'a', 'b'" in str(error) and error.column == "a"


def test_apply_transformation_refuses_an_unknown_kind_or_no_transform():
    error = fails(transform.ApplyTransformation, {"transformation": Transform("no-such-kind", {}),
                                                  "dataset": numbers()})
    assert "no-such-kind" in str(error)
    assert "needs a transformation" in str(fails(transform.ApplyTransformation, {"dataset": numbers()}))


# --- Split Data -----------------------------------------------------------------------------------


def census(rows: int = 200, seed: int = 7) -> DataTable:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"age": rng.integers(18, 90, size=rows),
                          "income": np.where(rng.random(rows) < 0.25, ">50K", "<=50K"),
                          "text": rng.choice(["apple", "banana", "avocado"], size=rows)})
    return DataTable(frame, {"income": Role.LABEL})


def test_randomized_split_is_the_seeded_permutation_in_its_order():
    table = census()
    out = run(sample_split.SplitData, {"dataset": table}, fraction_of_rows_in_the_first_output_dataset=0.7,
              random_seed=42)
    order = np.random.default_rng(42).permutation(200)
    expected = table.frame.iloc[order[:140]].reset_index(drop=True)
    pd.testing.assert_frame_equal(out["results1"].frame, expected)
    pd.testing.assert_frame_equal(out["results2"].frame, table.frame.iloc[order[140:]].reset_index(drop=True))
    assert out["results1"].roles == {"income": Role.LABEL}


def test_unrandomized_split_takes_the_first_rows():
    table = census(rows=5)
    out = run(sample_split.SplitData, {"dataset": table}, fraction_of_rows_in_the_first_output_dataset=0.5,
              randomized_split=False)
    assert len(out["results1"].frame) == 2  # round(2.5) is 2, halves to even
    assert out["results1"].frame["age"].tolist() == table.frame["age"].tolist()[:2]


def test_stratified_split_keeps_each_class_proportion():
    table = census(rows=1000)
    raw = {"fraction_of_rows_in_the_first_output_dataset": 0.7, "random_seed": 42, "stratified_split": True,
           "stratification_key_column": ["income"]}
    out = run(sample_split.SplitData, {"dataset": table}, **raw)
    counts = table.frame["income"].value_counts()
    first = out["results1"].frame["income"].value_counts()
    for label, count in counts.items():
        assert first[label] == round(0.7 * count)
    assert len(out["results1"].frame) + len(out["results2"].frame) == 1000
    together = pd.concat([out["results1"].frame, out["results2"].frame])
    assert sorted(map(tuple, together.to_numpy().tolist())) == sorted(map(tuple, table.frame.to_numpy().tolist()))
    again = run(sample_split.SplitData, {"dataset": table}, **raw)
    pd.testing.assert_frame_equal(out["results1"].frame, again["results1"].frame)


def test_stratified_split_of_a_single_class_and_of_nothing():
    table = DataTable(pd.DataFrame({"k": ["a"] * 10, "v": range(10)}))
    out = run(sample_split.SplitData, {"dataset": table}, stratified_split=True, stratification_key_column=["k"],
              fraction_of_rows_in_the_first_output_dataset=0.3)
    assert (len(out["results1"].frame), len(out["results2"].frame)) == (3, 7)
    empty = DataTable(pd.DataFrame({"k": pd.Series([], dtype="str"), "v": pd.Series([], dtype="int64")}))
    out = run(sample_split.SplitData, {"dataset": empty}, stratified_split=True, stratification_key_column=["k"])
    assert out["results1"].frame.empty and out["results2"].frame.empty
    assert out["results1"].columns == ["k", "v"]


def test_stratified_split_needs_its_key_column():
    _, problems = sample_split.SplitData.clean_params({"stratified_split": True}, "n3")
    assert [p.message for p in problems] == ["Choose the stratification key column of Split Data (node n3)."]
    error = fails(sample_split.SplitData, {"dataset": census()}, stratified_split=True,
                  stratification_key_column=["salary"])
    assert error.column == "salary"


def test_split_fraction_out_of_range_gets_the_one_message_form():
    _, problems = sample_split.SplitData.clean_params({"fraction_of_rows_in_the_first_output_dataset": 1.5}, "n3")
    assert problems[0].message == ("The 'Fraction of rows in the first output dataset' parameter of Split Data "
                                   "(node n3) must be a float in [0, 1]; got 1.5.")


def test_regular_expression_split_sends_matching_rows_first():
    table = census(rows=30)
    out = run(sample_split.SplitData, {"dataset": table}, splitting_mode="Regular Expression",
              regular_expression='\\"text" ^a')
    starts_with_a = table.frame["text"].str.startswith("a")
    assert out["results1"].frame["text"].tolist() == table.frame["text"][starts_with_a].tolist()
    assert out["results2"].frame["text"].tolist() == table.frame["text"][~starts_with_a].tolist()


def test_regular_expression_errors_name_the_problem():
    table = census(rows=10)
    error = fails(sample_split.SplitData, {"dataset": table}, splitting_mode="Regular Expression",
                  regular_expression='\\"text" (')
    assert "not valid" in str(error) and error.parameter == "regular_expression"
    error = fails(sample_split.SplitData, {"dataset": table}, splitting_mode="Regular Expression",
                  regular_expression='\\"colour" red')
    assert error.column == "colour"
    assert "Write the regular expression" in str(fails(sample_split.SplitData, {"dataset": table},
                                                       splitting_mode="Regular Expression", regular_expression="^a"))


def test_relative_expression_with_and_binding_tighter_than_or():
    table = DataTable(pd.DataFrame({"age": [10.0, 30.0, 45.0, 70.0, np.nan, 18.0]}))
    out = run(sample_split.SplitData, {"dataset": table}, splitting_mode="Relative Expression",
              relative_expression='\\"age" > 20 & \\"age" <= 45 | \\"age" == 18')
    assert out["results1"].frame["age"].tolist() == [30.0, 45.0, 18.0]
    assert out["results2"].frame["age"].tolist()[:2] == [10.0, 70.0]
    assert out["results2"].frame["age"].isna().tolist() == [False, False, True]  # missing satisfies nothing
    out = run(sample_split.SplitData, {"dataset": table}, splitting_mode="Relative Expression",
              relative_expression='"age" != 30')
    assert out["results1"].frame["age"].tolist() == [10.0, 45.0, 70.0, 18.0]


def test_relative_expression_needs_numbers_or_dates():
    table = census(rows=10)
    error = fails(sample_split.SplitData, {"dataset": table}, splitting_mode="Relative Expression",
                  relative_expression='\\"text" > 3')
    assert error.column == "text" and "Regular Expression" in str(error)
    error = fails(sample_split.SplitData, {"dataset": table}, splitting_mode="Relative Expression",
                  relative_expression='\\"age" > old')
    assert "'old' is not a number" in str(error)
    dates = DataTable(pd.DataFrame({"day": pd.to_datetime(["2020-01-01", "2021-06-01"])}))
    out = run(sample_split.SplitData, {"dataset": dates}, splitting_mode="Relative Expression",
              relative_expression='\\"day" >= 2021-01-01')
    assert out["results1"].frame["day"].tolist() == [pd.Timestamp("2021-06-01")]


# --- Partition and Sample -------------------------------------------------------------------------


def test_head_and_sampling():
    table = census()
    head = run(sample_split.PartitionAndSample, {"dataset": table}, partition_or_sample_mode="Head",
               number_of_rows_to_select=3)["output_dataset"]
    pd.testing.assert_frame_equal(head.frame, table.frame.head(3))
    sample = run(sample_split.PartitionAndSample, {"dataset": table}, rate_of_sampling=0.1,
                 random_seed_for_sampling=5)["output_dataset"]
    chosen = np.sort(np.random.default_rng(5).permutation(200)[:20])
    pd.testing.assert_frame_equal(sample.frame, table.frame.iloc[chosen].reset_index(drop=True))


def test_stratified_sampling_keeps_class_counts():
    table = census(rows=400)
    sample = run(sample_split.PartitionAndSample, {"dataset": table}, rate_of_sampling=0.25,
                 stratified_split_for_sampling=True, stratification_key_column=["income"])["output_dataset"]
    counts = table.frame["income"].value_counts()
    assert sample.frame["income"].value_counts().to_dict() == {k: round(0.25 * v) for k, v in counts.items()}


def test_assign_to_folds_deals_rows_evenly_and_pick_fold_reads_them():
    table = census(rows=23)
    folded = run(sample_split.PartitionAndSample, {"dataset": table}, partition_or_sample_mode="Assign to Folds",
                 specify_number_of_folds_to_split_evenly_into=4)["output_dataset"]
    folds = folded.frame["Fold Assignments"]
    assert sorted(folds.value_counts().tolist()) == [5, 6, 6, 6] and set(folds) == {0, 1, 2, 3}
    picked = run(sample_split.PartitionAndSample, {"dataset": folded}, partition_or_sample_mode="Pick Fold",
                 specify_which_fold_to_be_sampled_from=2)["output_dataset"]
    assert picked.frame["age"].tolist() == folded.frame["age"][folds == 1].tolist()
    assert "Fold Assignments" not in picked.columns
    rest = run(sample_split.PartitionAndSample, {"dataset": folded}, partition_or_sample_mode="Pick Fold",
               specify_which_fold_to_be_sampled_from=2, pick_complement_of_the_selected_fold=True)["output_dataset"]
    assert len(rest.frame) == 23 - len(picked.frame)
    error = fails(sample_split.PartitionAndSample, {"dataset": folded}, partition_or_sample_mode="Pick Fold",
                  specify_which_fold_to_be_sampled_from=5)
    assert "There is no fold 5: the input has 4 folds" in str(error)
    error = fails(sample_split.PartitionAndSample, {"dataset": table}, partition_or_sample_mode="Pick Fold")
    assert "Fold Assignments" in str(error)


def test_stratified_folds_spread_each_class_evenly():
    table = census(rows=300)
    folded = run(sample_split.PartitionAndSample, {"dataset": table}, partition_or_sample_mode="Assign to Folds",
                 stratified_split_for_sampling=True, stratification_key_column=["income"])["output_dataset"]
    per_class = folded.frame.groupby("income")["Fold Assignments"].value_counts().unstack()
    assert (per_class.max(axis=1) - per_class.min(axis=1) <= 1).all()


def test_partition_inferred_schema_agrees_with_the_output():
    raw = {"partition_or_sample_mode": "Assign to Folds"}
    out = run(sample_split.PartitionAndSample, {"dataset": census()}, **raw)["output_dataset"]
    assert shape(inferred(sample_split.PartitionAndSample, census(), **raw)["output_dataset"]) == shape(out.schema)


def test_split_schema_passes_an_unknown_input_through_as_unknown():
    params, _ = sample_split.SplitData.clean_params({})
    assert sample_split.SplitData().infer_schema({}, params, SchemaContext()) == {"results1": None, "results2": None}


# --- Convert to Indicator Values ------------------------------------------------------------------


def test_indicators_follow_the_azure_names_and_skip_the_label():
    out = run(transform.ConvertToIndicatorValues, {"dataset": people()})
    table = out["results_dataset"]
    assert table.columns == ["age", "city", "city-Lima", "city-Oslo", "city-Rome", "hours", "income"]
    assert table.frame["city-Oslo"].tolist() == [1, 0, 0, 1, 0, 1]
    assert table.frame["city-Lima"].tolist() == [0, 0, 0, 0, 1, 0]  # missing: all zeros
    assert table.roles == {"income": Role.LABEL}


def test_indicator_transform_gives_new_data_the_same_columns():
    fitted = run(transform.ConvertToIndicatorValues, {"dataset": people()}, overwrite_categorical_columns=True)
    new = DataTable(pd.DataFrame({"city": pd.Series(["Rome", "Paris"], dtype="str")}))
    out = run(transform.ApplyTransformation, {"transformation": roundtrip(fitted["indicator_transformation"]),
                                              "dataset": new})["transformed_dataset"]
    assert out.columns == ["city-Lima", "city-Oslo", "city-Rome"]
    assert out.frame.to_numpy().tolist() == [[0, 0, 1], [0, 0, 0]]


def test_indicators_refuse_numeric_columns():
    error = fails(transform.ConvertToIndicatorValues, {"dataset": people()}, categorical_columns_to_convert=["hours"])
    assert error.column == "hours" and "Edit Metadata" in str(error)
