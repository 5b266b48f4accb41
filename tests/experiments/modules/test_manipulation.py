"""Behaviour of the Data Transformation modules in manipulation.py, against values worked out by hand."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from experiments.modules import sql_statistics
from experiments.modules.framework.artifacts import Transform
from experiments.modules.framework.base import Context, ModuleError, SchemaContext
from experiments.modules.framework.datatable import DataTable, Kind, Role
from experiments.modules.manipulation import (
    AddColumns,
    AddRows,
    ClipValues,
    GroupDataIntoBins,
    JoinData,
    RemoveDuplicateRows,
)
from experiments.modules.sql_statistics import (
    ApplyMathOperation,
    ApplySqlTransformation,
    SummarizeData,
)


def run(cls: Any, inputs: dict[str, Any], **raw: Any) -> dict[str, Any]:
    params, problems = cls.clean_params(raw)
    assert not problems, problems
    return cls().execute(inputs, params, Context())


def frame_of(result: dict[str, Any], port: str) -> pd.DataFrame:
    return result[port].frame


def inferred(cls: Any, inputs: dict[str, DataTable], **raw: Any) -> dict[str, Any]:
    params, problems = cls.clean_params(raw)
    assert not problems, problems
    return cls().infer_schema({name: table.schema for name, table in inputs.items()}, params, SchemaContext())


def bad_parameter(cls: Any, **raw: Any) -> str:
    _, problems = cls.clean_params(raw, "n1")
    assert len(problems) == 1, problems
    return problems[0].message


# --- Join Data ------------------------------------------------------------------------------------


def people() -> DataTable:
    return DataTable(pd.DataFrame({"id": [1, 2, 3, np.nan], "name": ["Ann", "Bob", "Cy", "Dee"],
                                   "x": [10, 20, 30, 40]}))


def orders() -> DataTable:
    return DataTable(pd.DataFrame({"id": [2.0, 2.0, 4.0, np.nan], "x": [7, 8, 9, 6], "item": ["a", "b", "c", "d"]}),
                     {"item": Role.LABEL})


def join(join_type: str, **raw: Any) -> pd.DataFrame:
    result = run(JoinData, {"dataset1": people(), "dataset2": orders()}, join_key_columns_for_l=["id"],
                 join_key_columns_for_r=["id"], join_type=join_type, **raw)
    return frame_of(result, "results_dataset")


def test_inner_join_pairs_every_match_and_suffixes_repeated_right_names():
    joined = join("Inner Join")
    assert list(joined.columns) == ["id", "name", "x", "id (2)", "x (2)", "item"]
    assert joined[["name", "x", "x (2)", "item"]].values.tolist() == [["Bob", 20, 7, "a"], ["Bob", 20, 8, "b"]]


def test_left_outer_join_keeps_unmatched_left_rows_and_missing_keys_match_nothing():
    joined = join("Left Outer Join", keep_right_key_columns_in_joined_table=False)
    assert list(joined.columns) == ["id", "name", "x", "x (2)", "item"]
    assert joined["name"].tolist() == ["Ann", "Bob", "Bob", "Cy", "Dee"]
    assert joined["item"].tolist()[1:3] == ["a", "b"]
    assert joined["item"].isna().tolist() == [True, False, False, True, True]


def test_full_outer_join_appends_unmatched_right_rows_after_the_left_ones():
    joined = join("Full Outer Join")
    assert joined["name"].tolist()[:5] == ["Ann", "Bob", "Bob", "Cy", "Dee"]
    assert joined["name"].isna().tolist()[5:] == [True, True]
    assert joined["item"].tolist()[5:] == ["c", "d"]
    assert len(joined) == 7


def test_left_semi_join_keeps_left_rows_with_a_match_once():
    joined = join("Left Semi-Join")
    assert joined.to_dict("list") == {"id": [2.0], "name": ["Bob"], "x": [20]}


def test_join_on_text_honours_match_case():
    left = DataTable(pd.DataFrame({"k": ["A", "b"], "v": [1, 2]}))
    right = DataTable(pd.DataFrame({"key": ["a", "B"], "w": [3, 4]}))
    inputs = {"dataset1": left, "dataset2": right}
    keys = {"join_key_columns_for_l": ["k"], "join_key_columns_for_r": ["key"]}
    assert frame_of(run(JoinData, inputs, **keys), "results_dataset").empty
    ignoring_case = frame_of(run(JoinData, inputs, match_case=False, **keys), "results_dataset")
    assert ignoring_case.to_dict("list") == {"k": ["A", "b"], "v": [1, 2], "key": ["a", "B"], "w": [3, 4]}


def test_join_on_two_keys_and_the_right_label_becomes_a_feature_when_the_left_has_one():
    left = DataTable(pd.DataFrame({"a": [1, 1], "b": ["x", "y"], "y": [0, 1]}), {"y": Role.LABEL})
    right = DataTable(pd.DataFrame({"a": [1, 1], "b": ["y", "z"], "t": [5, 6]}), {"t": Role.LABEL})
    result = run(JoinData, {"dataset1": left, "dataset2": right}, join_key_columns_for_l=["a", "b"],
                 join_key_columns_for_r=["a", "b"], keep_right_key_columns_in_joined_table=False)["results_dataset"]
    assert result.frame.to_dict("list") == {"a": [1], "b": ["y"], "y": [1], "t": [5]}
    assert result.roles == {"y": Role.LABEL}


def test_join_needs_as_many_right_keys_as_left_keys():
    with pytest.raises(ModuleError, match="as many key columns for R as for L; got 2 for L and 1 for R") as error:
        run(JoinData, {"dataset1": people(), "dataset2": orders()}, join_key_columns_for_l=["id", "x"],
            join_key_columns_for_r=["id"])
    assert error.value.parameter == "join_key_columns_for_r"


def test_join_names_an_unknown_key_column():
    with pytest.raises(ModuleError, match="'nope' not found") as error:
        run(JoinData, {"dataset1": people(), "dataset2": orders()}, join_key_columns_for_l=["id"],
            join_key_columns_for_r=["nope"])
    assert (error.value.column, error.value.parameter) == ("nope", "join_key_columns_for_r")


def test_join_refuses_keys_of_different_kinds():
    with pytest.raises(ModuleError, match="'id' \\(numbers\\) and 'item' \\(text\\)") as error:
        run(JoinData, {"dataset1": people(), "dataset2": orders()}, join_key_columns_for_l=["id"],
            join_key_columns_for_r=["item"])
    assert error.value.column == "item"


def test_join_inferred_schema_matches_the_output():
    inputs = {"dataset1": people(), "dataset2": orders()}
    raw = {"join_key_columns_for_l": ["id"], "join_key_columns_for_r": ["id"], "join_type": "Full Outer Join"}
    schema = inferred(JoinData, inputs, **raw)["results_dataset"]
    assert schema == run(JoinData, inputs, **raw)["results_dataset"].schema


# --- Add Rows, Add Columns, Remove Duplicate Rows ---------------------------------------------------


def test_add_rows_stacks_by_column_name():
    first = DataTable(pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}), {"a": Role.LABEL})
    second = DataTable(pd.DataFrame({"b": ["z"], "a": [3.5]}))
    result = run(AddRows, {"dataset1": first, "dataset2": second})["results_dataset"]
    assert result.frame.to_dict("list") == {"a": [1.0, 2.0, 3.5], "b": ["x", "y", "z"]}
    assert result.roles == {"a": Role.LABEL}


def test_add_rows_names_the_columns_that_differ():
    first = DataTable(pd.DataFrame({"a": [1], "b": [2], "c": [3]}))
    second = DataTable(pd.DataFrame({"a": [1], "d": [2], "c": [3]}))
    with pytest.raises(ModuleError, match="only in the first: 'b'; only in the second: 'd'"):
        run(AddRows, {"dataset1": first, "dataset2": second})


def test_add_rows_names_a_column_whose_kinds_cannot_mix_and_stacks_categories_with_text():
    numbers, text = DataTable(pd.DataFrame({"a": [1, 2]})), DataTable(pd.DataFrame({"a": ["x", "y"]}))
    with pytest.raises(ModuleError, match="Column 'a' holds numeric values in the first dataset but string") as error:
        run(AddRows, {"dataset1": numbers, "dataset2": text})
    assert error.value.column == "a"
    categories = DataTable(pd.DataFrame({"a": pd.Categorical(["u"])}))
    stacked = frame_of(run(AddRows, {"dataset1": categories, "dataset2": text}), "results_dataset")
    assert stacked["a"].tolist() == ["u", "x", "y"]


def test_add_columns_suffixes_repeated_names():
    left = DataTable(pd.DataFrame({"a": [1, 2], "a (2)": [3, 4]}))
    right = DataTable(pd.DataFrame({"a": [5, 6], "b": [7, 8]}))
    combined = frame_of(run(AddColumns, {"left_dataset": left, "right_dataset": right}), "combined_dataset")
    assert combined.to_dict("list") == {"a": [1, 2], "a (2)": [3, 4], "a (3)": [5, 6], "b": [7, 8]}
    schema = inferred(AddColumns, {"left_dataset": left, "right_dataset": right})["combined_dataset"]
    assert [column.name for column in schema] == list(combined.columns)


def test_add_columns_needs_the_same_number_of_rows():
    with pytest.raises(ModuleError, match="same number of rows; the left has 2 and the right 1"):
        run(AddColumns, {"left_dataset": DataTable(pd.DataFrame({"a": [1, 2]})),
                         "right_dataset": DataTable(pd.DataFrame({"b": [1]}))})


def test_remove_duplicate_rows_keeps_the_first_or_last_of_each_key():
    table = DataTable(pd.DataFrame({"k": ["a", "b", "a", "a"], "v": [1, 2, 3, 4]}))
    first = run(RemoveDuplicateRows, {"dataset": table}, key_column_selection_filter_expression=["k"])
    last = run(RemoveDuplicateRows, {"dataset": table}, key_column_selection_filter_expression=["k"],
               retain_first_duplicate_row=False)
    assert frame_of(first, "results_dataset").to_dict("list") == {"k": ["a", "b"], "v": [1, 2]}
    assert frame_of(last, "results_dataset").to_dict("list") == {"k": ["b", "a"], "v": [2, 4]}
    everything = run(RemoveDuplicateRows, {"dataset": table})
    assert len(frame_of(everything, "results_dataset")) == 4


def test_remove_duplicate_rows_needs_key_columns():
    with pytest.raises(ModuleError, match="Choose the key columns") as error:
        run(RemoveDuplicateRows, {"dataset": people()}, key_column_selection_filter_expression=[])
    assert error.value.parameter == "key_column_selection_filter_expression"


# --- Group Data into Bins -------------------------------------------------------------------------


def ten() -> DataTable:
    return DataTable(pd.DataFrame({"x": [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10, np.nan], "s": list("abcdefghijk")}))


def test_quantile_bins_are_numbered_from_one_and_learned_edges_are_the_transform():
    result = run(GroupDataIntoBins, {"dataset": ten()}, number_of_bins=4, tag_columns_as_categorical=False)
    # quartiles of 1..10 (linear interpolation): 3.25, 5.5, 7.75; bins are closed on the right
    assert result["binning_transformation"].state["edges"] == {"x": [3.25, 5.5, 7.75]}
    binned = frame_of(result, "quantized_dataset")["x_quantized"]
    assert binned.tolist()[:10] == [1, 1, 1, 2, 2, 3, 3, 4, 4, 4]
    assert binned.isna().tolist()[10]


def test_equal_width_bins_put_an_edge_value_in_the_lower_bin():
    table = DataTable(pd.DataFrame({"x": [0.0, 2.0, 2.1, 10.0]}))
    result = run(GroupDataIntoBins, {"dataset": table}, binning_mode="Equal Width", number_of_bins=5,
                 output_mode="Inplace", tag_columns_as_categorical=False)
    assert frame_of(result, "quantized_dataset")["x"].tolist() == [1, 1, 2, 5]


def test_custom_edges_with_result_only_output_tagged_categorical():
    result = run(GroupDataIntoBins, {"dataset": ten()}, binning_mode="Custom Edges",
                 comma_separated_list_of_bin_edges="5, 2", output_mode="ResultOnly")
    binned = result["quantized_dataset"]
    assert binned.columns == ["x_quantized"]
    assert binned.kind("x_quantized") == Kind.CATEGORICAL
    assert [int(v) for v in binned.frame["x_quantized"].tolist()[:10]] == [1, 1, 2, 2, 2, 3, 3, 3, 3, 3]


def test_the_binning_transformation_reuses_the_learned_edges_on_new_data():
    transform = run(GroupDataIntoBins, {"dataset": ten()}, number_of_bins=4,
                    tag_columns_as_categorical=False)["binning_transformation"]
    assert isinstance(transform, Transform)
    new = DataTable(pd.DataFrame({"x": [100.0, -5.0, 5.5]}))
    assert Transform.from_json(transform.to_json()).apply(new).frame["x_quantized"].tolist() == [4, 1, 2]
    with pytest.raises(ModuleError, match="lacks column 'x'"):
        transform.apply(DataTable(pd.DataFrame({"y": [1.0]})))


def test_group_data_into_bins_errors_name_the_problem():
    with pytest.raises(ModuleError, match="Column 's' is not numeric") as error:
        run(GroupDataIntoBins, {"dataset": ten()}, columns_to_bin=["s"])
    assert error.value.column == "s"
    with pytest.raises(ModuleError, match="numbers separated by commas"):
        run(GroupDataIntoBins, {"dataset": ten()}, binning_mode="Custom Edges",
            comma_separated_list_of_bin_edges="1, two")
    assert bad_parameter(GroupDataIntoBins, number_of_bins=0) == (
        "The 'Number of bins' parameter of Group Data into Bins (node n1) must be an integer in [1, 10000]; got 0.")


def test_group_data_into_bins_inferred_schema_matches_the_output():
    raw = {"number_of_bins": 3}
    schema = inferred(GroupDataIntoBins, {"dataset": ten()}, **raw)["quantized_dataset"]
    assert schema == run(GroupDataIntoBins, {"dataset": ten()}, **raw)["quantized_dataset"].schema


# --- Clip Values ----------------------------------------------------------------------------------


def spiky() -> DataTable:
    return DataTable(pd.DataFrame({"v": [-50.0, 2, 3, 4, 150, np.nan], "t": list("abcdef")}))


def test_clip_peaks_to_the_constant_threshold_leaving_values_on_the_boundary():
    table = DataTable(pd.DataFrame({"v": [99.0, 100, 5]}))
    clipped = frame_of(run(ClipValues, {"dataset": table}), "results_dataset")
    assert clipped["v"].tolist() == [99.0, 99.0, 5.0]


def test_clip_peaks_and_subpeaks_with_mean_and_median_and_indicator_columns():
    result = run(ClipValues, {"dataset": spiky()}, set_of_thresholds="ClipPeaksAndSubpeaks",
                 constant_value_for_upper_threshold=100, constant_value_for_lower_threshold=0,
                 substitute_value_for_peaks="Mean", substitute_value_for_subpeaks="Median",
                 overwrite_flag=False, add_indicator_columns=True)
    frame = frame_of(result, "results_dataset")
    mean, median = (-50 + 2 + 3 + 4 + 150) / 5, 3.0
    assert frame["v"].tolist()[:5] == [-50.0, 2, 3, 4, 150]
    assert frame["v_clipped"].tolist()[:5] == [median, 2, 3, 4, mean]
    assert frame["v_clipped_indicator"].tolist() == [True, False, False, False, True, False]
    assert math.isnan(frame["v_clipped"].iloc[5])


def test_clip_subpeaks_at_a_percentile_to_missing():
    table = DataTable(pd.DataFrame({"v": [float(i) for i in range(101)]}))
    clipped = frame_of(run(ClipValues, {"dataset": table}, set_of_thresholds="ClipSubpeaks", threshold="Percentile",
                           percentile_value_for_lower_threshold=10, substitute_value_for_subpeaks="Missing"),
                       "results_dataset")["v"]
    assert clipped.isna().sum() == 10 and clipped.iloc[10] == 10.0


def test_clip_values_refuses_a_lower_threshold_above_the_upper_and_text_columns():
    message = bad_parameter(ClipValues, set_of_thresholds="ClipPeaksAndSubpeaks",
                            constant_value_for_lower_threshold=120)
    assert message == ("The 'Constant value for lower threshold' parameter of Clip Values (node n1) must be at most "
                       "the upper threshold (99); got 120.0.")
    with pytest.raises(ModuleError, match="Column 't' is not numeric") as error:
        run(ClipValues, {"dataset": spiky()}, list_of_columns=["t"])
    assert error.value.column == "t"


def test_clip_values_inferred_schema_matches_the_output():
    raw = {"overwrite_flag": False, "add_indicator_columns": True}
    schema = inferred(ClipValues, {"dataset": spiky()}, **raw)["results_dataset"]
    assert schema == run(ClipValues, {"dataset": spiky()}, **raw)["results_dataset"].schema


# --- Apply Math Operation -------------------------------------------------------------------------


def numbers() -> DataTable:
    return DataTable(pd.DataFrame({"x": [-2.5, 0.0, 2.25, np.nan], "n": [1, 8, -8, 27], "t": list("abcd")}))


def math_result(**raw: Any) -> pd.DataFrame:
    return frame_of(run(ApplyMathOperation, {"dataset": numbers()}, **raw), "results_dataset")


def test_basic_function_appends_columns_named_like_the_classic_studio():
    frame = math_result(category="Basic", basic_math_function="Abs")
    assert list(frame.columns) == ["x", "n", "t", "Abs(x)", "Abs(n)"]
    assert frame["Abs(x)"].tolist()[:3] == [2.5, 0.0, 2.25] and math.isnan(frame["Abs(x)"].iloc[3])
    assert frame["Abs(n)"].tolist() == [1, 8, 8, 27]


def test_operation_with_a_constant_names_the_constant():
    frame = math_result(category="Operations", arithmetic_operation="Subtract", constant_operand=5, column_set=["n"])
    assert frame["Subtract(n_5)"].tolist() == [-4, 3, -13, 22]


def test_nth_root_of_negative_numbers_for_odd_n_in_result_only_mode():
    frame = math_result(category="Basic", basic_math_function="NthRoot", second_argument=3, column_set=["n"],
                        output_mode="ResultOnly")
    assert list(frame.columns) == ["NthRoot(n_3)"]
    assert np.allclose(frame["NthRoot(n_3)"], [1, 2, -2, 3])


def test_comparison_gives_true_false_and_keeps_missing_values_missing():
    result = run(ApplyMathOperation, {"dataset": numbers()}, category="Compare", comparison_function="GreaterThan",
                 constant_operand=0, column_set=["x"], output_mode="Inplace")["results_dataset"]
    assert result.kind("x") == Kind.BOOLEAN
    assert result.frame["x"].tolist()[:3] == [False, False, True] and pd.isna(result.frame["x"].iloc[3])


def test_rounding_to_decimal_places_rounds_halves_away_from_zero():
    frame = math_result(category="Rounding", rounding_operation="Round", constant_precision=1, column_set=["x"])
    assert frame["Round(x_1)"].tolist()[:3] == [-2.5, 0.0, 2.3]
    floor = math_result(category="Rounding", rounding_operation="Floor", column_set=["x"])
    assert floor["Floor(x_0)"].tolist()[:3] == [-3.0, 0.0, 2.0]


def test_trigonometric_and_special_functions():
    table = DataTable(pd.DataFrame({"d": [0.0, 90.0, 180.0]}))
    sines = frame_of(run(ApplyMathOperation, {"dataset": table}, category="Trigonometric",
                         trigonometric_function="SinDegrees"), "results_dataset")["SinDegrees(d)"]
    assert np.allclose(sines, [0.0, 1.0, 0.0])
    gamma = frame_of(run(ApplyMathOperation, {"dataset": DataTable(pd.DataFrame({"k": [1.0, 5.0]}))},
                         category="Special", special_function="Gamma"), "results_dataset")["Gamma(k)"]
    assert gamma.tolist() == [1.0, 24.0]


def test_apply_math_refuses_text_columns_and_unknown_functions():
    with pytest.raises(ModuleError, match="Column 't' is not numeric") as error:
        math_result(column_set=["t"])
    assert error.value.column == "t"
    assert bad_parameter(ApplyMathOperation, basic_math_function="Cosine").startswith(
        "The 'Basic math function' parameter of Apply Math Operation (node n1) must be one of 'Abs', ")


def test_apply_math_inferred_schema_matches_the_output():
    raw = {"category": "Compare", "comparison_function": "EqualTo", "constant_operand": 0}
    schema = inferred(ApplyMathOperation, {"dataset": numbers()}, **raw)["results_dataset"]
    assert schema == run(ApplyMathOperation, {"dataset": numbers()}, **raw)["results_dataset"].schema


# --- Apply SQL Transformation ---------------------------------------------------------------------


def sql(script: str, **tables: DataTable) -> pd.DataFrame:
    inputs = {"t1": people(), **tables}
    return frame_of(run(ApplySqlTransformation, inputs, sql_query_script=script), "results_dataset")


def test_sql_joins_the_inputs_and_returns_the_last_statement():
    result = sql("select 1 as ignored; select t1.name, t2.item from t1 join t2 on t1.id = t2.id order by t2.item;",
                 t2=orders())
    assert result.to_dict("list") == {"name": ["Bob", "Bob"], "item": ["a", "b"]}


def test_sql_keeps_semicolons_inside_quotes_and_null_integers_become_missing_numbers():
    result = sql("select name, case when x > 15 then x end as big, 'a;b' as text from t1 order by x")
    assert result["name"].tolist() == ["Ann", "Bob", "Cy", "Dee"]
    assert result["text"].tolist() == ["a;b"] * 4
    assert result["big"].dtype == np.float64 and result["big"].tolist()[1:] == [20.0, 30.0, 40.0]


def test_sql_suffixes_repeated_result_column_names():
    assert list(sql("select x, x from t1").columns) == ["x", "x (2)"]


@pytest.mark.parametrize(("script", "word"), [
    ("drop table t1", "DROP"), ("DELETE FROM t1", "DELETE"), ("insert into t1 (x) values (1)", "INSERT"),
    ("update t1 set x = 0", "UPDATE"), ("create table t9 (a)", "CREATE"), ("attach ':memory:' as other", "ATTACH"),
    ("pragma writable_schema = 1", "PRAGMA"), ("select 1; /* sneaky */ drop table t1;", "DROP"),
])
def test_sql_only_reads(script, word):
    with pytest.raises(ModuleError) as error:
        sql(script)
    assert str(error.value) == f"Apply SQL Transformation only reads: '{word}' is not allowed"
    assert error.value.parameter == "sql_query_script"


def test_sql_reports_sqlite_syntax_errors():
    with pytest.raises(ModuleError, match='The SQL query failed: near "selec": syntax error'):
        sql("selec * from t1")


def test_sql_stops_a_query_that_runs_too_long(monkeypatch):
    monkeypatch.setattr(sql_statistics, "SQL_SECONDS", 0.3)
    endless = "with recursive c(n) as (select 1 union all select n + 1 from c) select count(*) from c"
    with pytest.raises(ModuleError, match=r"ran for more than 0\.3 s and was stopped"):
        sql(endless)


def test_sql_needs_a_statement_that_returns_rows():
    with pytest.raises(ModuleError, match="returns no rows"):
        sql("-- nothing here")


@pytest.mark.parametrize(("script", "function"), [
    ("select hex(fts3_tokenizer('simple'))", "fts3_tokenizer"),
    ("SELECT FTS3_Tokenizer('simple') AS address from t1", "fts3_tokenizer"),
    ("select fts3_tokenizer('mine', x'0000000000000000')", "fts3_tokenizer"),
    ("select load_extension('/tmp/evil.so')", "load_extension"), ("select fts5(null)", "fts5"),
    ("select rtreenode(2, x'00')", "rtreenode"),
])
def test_sql_refuses_functions_that_expose_the_engine(script, function):
    """fts3_tokenizer('simple') hands back a native address (the issue's probe); the others load code, take or
    give pointers, or decode raw internals."""
    with pytest.raises(ModuleError) as error:
        sql(script)
    assert str(error.value) == (f"Apply SQL Transformation does not allow the SQLite function {function}(): it "
                                "exposes the engine's internals (native pointers, extensions or files)")
    assert error.value.parameter == "sql_query_script"


COUNTER = "with recursive c(n) as (select 1 union all select n + 1 from c) select n, 'some text' from c"


def test_sql_stops_a_result_with_more_rows_than_the_limit():
    limited = Context(settings={"ATELIER_SQL_MAX_ROWS": 25_000})
    params, _ = ApplySqlTransformation.clean_params({"sql_query_script": COUNTER + " limit 25000"})
    assert len(ApplySqlTransformation().execute({"t1": people()}, params, limited)["results_dataset"].frame) == 25_000
    params, _ = ApplySqlTransformation.clean_params({"sql_query_script": COUNTER})
    with pytest.raises(ModuleError) as error:
        ApplySqlTransformation().execute({"t1": people()}, params, limited)
    assert str(error.value) == ("Apply SQL Transformation stopped the query: its result has more than 25,000 rows "
                                "(the ATELIER_SQL_MAX_ROWS limit); narrow it with WHERE, LIMIT or an aggregate")
    assert error.value.parameter == "sql_query_script"


def test_sql_stops_a_result_that_holds_more_bytes_than_the_limit():
    """Endless rows of 100 kB each: the limit stops the fetch after about 21 of them (2 MiB), long before the
    query could finish, and the message says so."""
    limited = Context(settings={"ATELIER_SQL_MAX_BYTES": 2 * 2**20})
    wide = COUNTER.replace("'some text'", "printf('%.100000c', 'x')")
    params, _ = ApplySqlTransformation.clean_params({"sql_query_script": wide})
    with pytest.raises(ModuleError) as error:
        ApplySqlTransformation().execute({"t1": people()}, params, limited)
    message = str(error.value)
    assert message.startswith("Apply SQL Transformation stopped the query: after ")
    assert message.endswith("rows its result holds more than 2 MiB (the ATELIER_SQL_MAX_BYTES limit); narrow it "
                            "with WHERE, LIMIT or an aggregate")
    assert 20 <= int(message.split("after ")[1].split(" rows")[0]) <= 30


def test_sql_result_limits_default_to_the_settings(settings):
    from experiments.runner import module_settings

    settings.ATELIER_SQL_MAX_ROWS, settings.ATELIER_SQL_MAX_BYTES = 7, 4096
    assert sql_statistics.ResultLimits.of(Context(settings=module_settings())) == sql_statistics.ResultLimits(7, 4096)
    assert sql_statistics.ResultLimits.of(Context()) == sql_statistics.ResultLimits(2_000_000, 1024**3)


# --- Summarize Data -------------------------------------------------------------------------------


def test_summarize_data_computes_the_classic_statistics():
    values = [1.0, 2.0, 3.0, 4.0, 10.0]
    table = DataTable(pd.DataFrame({"v": [*values, np.nan], "s": ["a", "b", "a", None, "c", "a"]}))
    summary = frame_of(run(SummarizeData, {"dataset": table}), "result_dataset").set_index("Feature")
    v, x = summary.loc["v"], np.array(values)
    assert (v["Count"], v["Unique Value Count"], v["Missing Value Count"]) == (5, 5, 1)
    assert (v["Min"], v["Max"], v["Mean"], v["Range"], v["Median"]) == (1.0, 10.0, 4.0, 9.0, 3.0)
    assert v["Mean Deviation"] == pytest.approx((3 + 2 + 1 + 0 + 6) / 5)
    assert (v["1st Quartile"], v["3rd Quartile"]) == (2.0, 4.0)
    assert v["Sample Variance"] == pytest.approx((9 + 4 + 1 + 0 + 36) / 4)
    assert v["Sample Standard Deviation"] == pytest.approx(math.sqrt(12.5))
    assert v["Sample Skewness"] == pytest.approx(stats.skew(x, bias=False))
    assert v["Sample Kurtosis"] == pytest.approx(stats.kurtosis(x, bias=False))
    for key, q in {"P0.5": 0.5, "P1": 1, "P5": 5, "P95": 95, "P99": 99, "P99.5": 99.5}.items():
        assert v[key] == pytest.approx(np.percentile(x, q))
    s = summary.loc["s"]
    assert (s["Count"], s["Unique Value Count"], s["Missing Value Count"], s["Mode"]) == (5, 3, 1, "a")
    assert all(pd.isna(s[key]) for key in ("Min", "Mean", "Sample Variance", "P99"))


def test_summarize_data_handles_an_all_missing_column_and_infers_its_schema():
    table = DataTable(pd.DataFrame({"empty": [np.nan, np.nan]}))
    result = run(SummarizeData, {"dataset": table})["result_dataset"]
    row = result.frame.iloc[0]
    assert (row["Count"], row["Missing Value Count"]) == (0, 2) and pd.isna(row["Mean"]) and pd.isna(row["Mode"])
    assert inferred(SummarizeData, {"dataset": table})["result_dataset"] == result.schema


# --- Empty and all-missing inputs -----------------------------------------------------------------


def no_rows() -> DataTable:
    return DataTable(pd.DataFrame({"id": pd.Series([], dtype="float64"), "s": pd.Series([], dtype="str")}))


def all_missing() -> DataTable:
    return DataTable(pd.DataFrame({"id": [1.0, 2.0], "v": [np.nan, np.nan]}))


def test_an_outer_join_with_an_empty_right_dataset_keeps_the_left_rows():
    joined = frame_of(run(JoinData, {"dataset1": all_missing(), "dataset2": no_rows()}, join_key_columns_for_l=["id"],
                          join_key_columns_for_r=["id"], join_type="Left Outer Join"), "results_dataset")
    assert list(joined.columns) == ["id", "v", "id (2)", "s"]
    assert joined["id"].tolist() == [1.0, 2.0] and joined[["id (2)", "s"]].isna().all().all()
    inner = frame_of(run(JoinData, {"dataset1": all_missing(), "dataset2": no_rows()}, join_key_columns_for_l=["id"],
                         join_key_columns_for_r=["id"]), "results_dataset")
    assert inner.empty and list(inner.columns) == ["id", "v", "id (2)", "s"]


def test_an_all_missing_column_is_binned_clipped_and_computed_as_missing():
    binned = frame_of(run(GroupDataIntoBins, {"dataset": all_missing()}, columns_to_bin=["v"]), "quantized_dataset")
    assert binned["v_quantized"].isna().all()
    clipped = frame_of(run(ClipValues, {"dataset": all_missing()}, list_of_columns=["v"], threshold="Percentile"),
                       "results_dataset")
    assert clipped["v"].isna().all()
    computed = math_result_on(all_missing(), category="Basic", basic_math_function="Sqrt", column_set=["v"])
    assert computed["Sqrt(v)"].isna().all()


def math_result_on(table: DataTable, **raw: Any) -> pd.DataFrame:
    return frame_of(run(ApplyMathOperation, {"dataset": table}, **raw), "results_dataset")


def test_modules_accept_a_dataset_without_rows():
    assert list(math_result_on(no_rows()).columns) == ["id", "s", "Abs(id)"]
    assert list(frame_of(run(GroupDataIntoBins, {"dataset": no_rows()}), "quantized_dataset").columns) == [
        "id", "s", "id_quantized"]
    summary = frame_of(run(SummarizeData, {"dataset": no_rows()}), "result_dataset")
    assert summary["Feature"].tolist() == ["id", "s"] and summary["Count"].tolist() == [0, 0]
    assert sql("select * from t1 where x > 1000").empty
