"""Data Input and Output: typed manual data, imports over HTTP and from workspace storage, exports, CSV text."""

from __future__ import annotations

import gzip
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from experiments.modules import data_io
from experiments.modules.framework.base import Context, ModuleError, SchemaContext
from experiments.modules.framework.datatable import Column, DataTable, Kind, Role
from studio.models import StorageFile, Workspace

WORKSPACE = "0123456789abcdef0123456789abcdef"


def run(cls: Any, inputs: dict[str, Any], ctx: Context | None = None, **raw: Any) -> dict[str, Any]:
    params, problems = cls.clean_params(raw)
    assert not problems, problems
    return cls().execute(inputs, params, ctx or Context())


def fails(cls: Any, inputs: dict[str, Any], ctx: Context | None = None, **raw: Any) -> ModuleError:
    with pytest.raises(ModuleError) as caught:
        run(cls, inputs, ctx, **raw)
    return caught.value


def entered(data: str, **raw: Any) -> pd.DataFrame:
    return run(data_io.EnterDataManually, {}, data=data, **raw)["dataset"].frame


# --- Enter Data Manually --------------------------------------------------------------------------


def test_manual_csv_types_numbers_booleans_and_text_and_empty_cells_are_missing():
    frame = entered("a,b,c,d\n1,x,true,2.5\n2,,FALSE,\n")
    assert frame["a"].dtype == "int64" and frame["a"].tolist() == [1, 2]
    assert frame["b"].tolist()[0] == "x" and frame["b"].isna().tolist() == [False, True]
    assert frame["c"].dtype == bool and frame["c"].tolist() == [True, False]
    assert frame["d"].dtype == "float64" and frame["d"].tolist()[0] == 2.5 and np.isnan(frame["d"].iloc[1])


def test_manual_whole_numbers_with_a_gap_are_floating_point():
    frame = entered("n\n1\n\n3\n\n", data_format="CSV")
    assert frame["n"].tolist() == [1, 3]  # blank lines are skipped
    frame = entered("n,m\n1,a\n,b\n")
    assert frame["n"].dtype == "float64" and frame["n"].isna().tolist() == [False, True]


def test_manual_tsv_without_header_gets_numbered_columns():
    frame = entered("1\tred\n2\tblue\n", data_format="TSV", has_header=False)
    assert list(frame.columns) == ["Col1", "Col2"]
    assert frame["Col1"].tolist() == [1, 2] and frame["Col2"].tolist() == ["red", "blue"]


def test_manual_ragged_rows_name_the_line_counting_quoted_line_breaks():
    error = fails(data_io.EnterDataManually, {}, data='a,b\n"x\ny",1\n4,5,6\n')
    assert str(error) == "Line 4 has 3 values, but the header (line 1) has 2" and error.parameter == "data"
    error = fails(data_io.EnterDataManually, {}, data="a,b\n\n1,2\n3\n")
    assert str(error) == "Line 4 has 1 value, but the header (line 1) has 2"
    assert entered('a,b\n"x\ny",1\n')["a"].tolist() == ["x\ny"]


def test_manual_data_that_cannot_become_a_table_fails_clearly():
    assert "empty" in str(fails(data_io.EnterDataManually, {}, data="  \n"))
    assert "repeated: a" in str(fails(data_io.EnterDataManually, {}, data="a,a\n1,2\n"))
    assert "Column 2 of the header has no name" in str(fails(data_io.EnterDataManually, {}, data="a,\n1,2\n"))
    header_only = entered("a,b\n")
    assert list(header_only.columns) == ["a", "b"] and header_only.empty


def test_manual_json_lines_and_arrays_keep_json_types():
    frame = entered('{"a": 1, "b": "x"}\n\n{"a": 2, "c": true}\n', data_format="JSON")
    assert list(frame.columns) == ["a", "b", "c"]
    assert frame["a"].dtype == "int64" and frame["a"].tolist() == [1, 2]
    assert frame["b"].isna().tolist() == [False, True]
    assert frame["c"].dtype == "boolean" and frame["c"].tolist()[1] is True
    frame = entered('[{"a": 1.5, "nested": {"k": 1}}, {"a": null, "nested": "t"}]', data_format="JSON")
    assert frame["a"].isna().tolist() == [False, True] and frame["nested"].tolist() == ['{"k": 1}', "t"]


def test_manual_json_errors_name_the_line_or_item():
    error = fails(data_io.EnterDataManually, {}, data='{"a": 1}\n{oops}\n', data_format="JSON")
    assert str(error).startswith("Line 2 is not valid JSON")
    error = fails(data_io.EnterDataManually, {}, data="[1, 2]", data_format="JSON")
    assert str(error) == "Item 1 of the JSON array is not a JSON object"


def test_manual_schema_is_inferred_from_the_parameters():
    params, _ = data_io.EnterDataManually.clean_params({"data": "a,b\n1,x\n"})
    schema = data_io.EnterDataManually().infer_schema({}, params, SchemaContext())["dataset"]
    assert schema == [Column("a", Kind.NUMERIC), Column("b", Kind.STRING)]
    params, _ = data_io.EnterDataManually.clean_params({"data": "a,b\n1\n"})
    assert data_io.EnterDataManually().infer_schema({}, params, SchemaContext()) == {"dataset": None}


def test_manual_bad_format_gets_the_one_message_form():
    _, problems = data_io.EnterDataManually.clean_params({"data_format": "XML"}, "n1")
    assert [problem.message for problem in problems] == [
        "The 'DataFormat' parameter of Enter Data Manually (node n1) must be one of 'CSV', 'TSV', 'JSON'; "
        "got 'XML'."]


# --- Import Data over HTTP ------------------------------------------------------------------------

CSV = b"age, workclass ,income\n39, State-gov,<=50K\n50,?,>50K\n"
ROUTES: dict[str, tuple[int, bytes, dict[str, str]]] = {
    "/adult.csv": (200, CSV, {}),
    "/adult.csv.gz": (200, gzip.compress(CSV), {}),
    "/plain.tsv": (200, b"1\tyes\n2\tno\n", {}),
    "/rows.jsonl": (200, b'{"x": 1}\n{"x": 2}\n', {}),
    "/to-file": (302, b"", {"Location": "file:///etc/passwd"}),
    "/to-ftp": (302, b"", {"Location": "ftp://example.org/data.csv"}),
    "/to-csv": (302, b"", {"Location": "/adult.csv"}),
    "/short.csv": (200, b"a,b\n1,2\n3\n4,5\n", {}),
    "/long.csv": (200, b"a,b\n1,2,3\n4,5,6\n", {}),  # pandas alone made the first field the index: shifted
    "/ragged.tsv.gz": (200, gzip.compress(b"a\tb\n" + b"1\t2\n" * 3 + b"3\n"), {}),
    "/ragged-quoted.csv": (200, b'a,b\n"x\ny",1\n2\n', {}),
    "/headless.tsv": (200, b"1\tyes\n2\n", {}),
}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/unsized":  # no Content-Length: the body ends when the connection closes
            self.send_response(200)
            self.end_headers()
            self.wfile.write(CSV)
            return
        status, body, headers = ROUTES.get(self.path, (404, b"missing", {}))
        self.send_response(status)
        for key, value in {**headers, "Content-Length": str(len(body))}.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server(settings: Any) -> Iterator[str]:
    """A web server on loopback, which Import Data may reach only because the test allows it."""
    settings.ATELIER_OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def imported(url: str, **raw: Any) -> DataTable:
    return run(data_io.ImportData, {}, url=url, **raw)["dataset"]


def test_import_csv_over_http_trims_and_reads_missing_markers(server):
    frame = imported(f"{server}/adult.csv").frame
    assert list(frame.columns) == ["age", "workclass", "income"]
    assert frame["age"].tolist() == [39, 50]
    assert frame["workclass"].tolist()[0] == "State-gov" and frame["workclass"].isna().tolist() == [False, True]


def test_import_gzip_tsv_without_header_and_json_lines(server):
    pd.testing.assert_frame_equal(imported(f"{server}/adult.csv.gz").frame, imported(f"{server}/adult.csv").frame)
    frame = imported(f"{server}/plain.tsv", data_format="TSV", has_header=False).frame
    assert list(frame.columns) == ["Col1", "Col2"] and frame["Col1"].tolist() == [1, 2]
    assert imported(f"{server}/rows.jsonl", data_format="JSON lines").frame["x"].tolist() == [1, 2]


RAGGED = [
    ("/short.csv", {}, "Line 3 has 1 field; the header has 2."),
    ("/long.csv", {}, "Line 2 has 3 fields; the header has 2."),
    ("/ragged.tsv.gz", {"data_format": "TSV"}, "Line 5 has 1 field; the header has 2."),
    ("/ragged-quoted.csv", {}, "Line 4 has 1 field; the header has 2."),  # the record at line 2 spans two
    ("/headless.tsv", {"data_format": "TSV", "has_header": False}, "Line 2 has 1 field; line 1 has 2."),
]


@pytest.mark.parametrize(("path", "raw", "line"), RAGGED, ids=[case[0] for case in RAGGED])
def test_import_refuses_a_line_of_the_wrong_length_naming_the_source_and_the_line(server, path, raw, line):
    error = fails(data_io.ImportData, {}, url=f"{server}{path}", **raw)
    assert str(error) == (f"Could not import {server}{path}: {line} Every line needs one value per column (an empty "
                          "value for a missing one); or turn on 'Pad short lines, skip long lines' to pad short "
                          "lines with missing values and skip long ones.")
    assert error.parameter == "lenient"


def test_a_lenient_import_pads_short_lines_skips_long_ones_and_logs_how_many(server):
    logged: list[str] = []
    ctx = Context(write_output=lambda stream, text: logged.append(text))
    frame = run(data_io.ImportData, {}, ctx, url=f"{server}/short.csv", lenient=True)["dataset"].frame
    assert frame["a"].tolist() == [1, 3, 4] and frame["b"].isna().tolist() == [False, True, False]
    assert logged[0] == f"{server}/short.csv: 1 short line padded with missing values (line 3).\n"
    frame = imported(f"{server}/long.csv", lenient=True).frame
    assert list(frame.columns) == ["a", "b"] and frame.empty  # both lines skipped, none shifted
    frame = imported(f"{server}/ragged.tsv.gz", data_format="TSV", lenient=True).frame
    assert frame["a"].tolist() == [1, 1, 1, 3] and frame["b"].isna().sum() == 1
    frame = imported(f"{server}/headless.tsv", data_format="TSV", has_header=False, lenient=True).frame
    assert list(frame.columns) == ["Col1", "Col2"] and frame["Col2"].isna().tolist() == [False, True]


def test_a_well_formed_file_reads_the_same_lenient_or_not_and_logs_nothing_about_lines(server):
    logged: list[str] = []
    ctx = Context(write_output=lambda stream, text: logged.append(text))
    strict = run(data_io.ImportData, {}, ctx, url=f"{server}/adult.csv")["dataset"].frame
    pd.testing.assert_frame_equal(imported(f"{server}/adult.csv", lenient=True).frame, strict)
    assert logged == ["Imported 2 rows and 3 columns\n"]
    pd.testing.assert_frame_equal(imported(f"{server}/plain.tsv", data_format="TSV", has_header=False, lenient=True)
                                  .frame, imported(f"{server}/plain.tsv", data_format="TSV", has_header=False).frame)


def test_import_follows_http_redirects_only(server):
    assert imported(f"{server}/to-csv").frame["age"].tolist() == [39, 50]
    error = fails(data_io.ImportData, {}, url=f"{server}/to-ftp")
    assert "redirected to 'ftp://example.org/data.csv', which is not an http(s) URL" in str(error)
    error = fails(data_io.ImportData, {}, url=f"{server}/to-file")
    assert "redirected to 'file:///etc/passwd', which is not an http(s) URL" in str(error)


def test_import_refuses_loopback_unless_the_deployment_allows_it(server, settings):
    settings.ATELIER_OUTBOUND_ALLOWED_HOSTS = []
    error = fails(data_io.ImportData, {}, url=f"{server}/adult.csv")
    assert str(error) == (f"Could not fetch {server}/adult.csv: the address is not allowed, or the server did not "
                          "answer.") and error.parameter == "url"
    settings.ATELIER_OUTBOUND_ALLOWED_HOSTS = ["127.0.0.0/8"]
    assert imported(f"{server}/adult.csv").frame["age"].tolist() == [39, 50]


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/data.csv", "data.csv"])
def test_import_refuses_other_schemes(url):
    error = fails(data_io.ImportData, {}, url=url)
    assert "http:// or https://" in str(error) and error.parameter == "url"


def test_import_reports_http_errors_and_the_size_cap(server, monkeypatch):
    error = fails(data_io.ImportData, {}, url=f"{server}/nothing-here.csv")
    assert str(error) == f"Could not fetch {server}/nothing-here.csv: the server answered 404 Not Found."
    monkeypatch.setattr(data_io, "MAX_IMPORT_BYTES", 20)
    for path in ("/adult.csv", "/unsized"):
        assert "is larger than" in str(fails(data_io.ImportData, {}, url=f"{server}{path}"))


# --- Workspace storage: Import Data and Export Data -----------------------------------------------


@pytest.fixture
def storage(settings: Any, tmp_path: Path, owner: Any) -> Path:
    """The storage folder of a workspace of the owner's, in the one layout (`workspaces/{ws}/{container}/{path}`)."""
    settings.MEDIA_ROOT = str(tmp_path)
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}
    Workspace.objects.create(id=WORKSPACE, name="Storage", owner=owner.user)
    return tmp_path / "workspaces" / WORKSPACE


def in_workspace() -> Context:
    return Context(workspace_id=WORKSPACE)


def test_import_from_workspace_storage(storage):
    (storage / "in").mkdir(parents=True)
    (storage / "in" / "data.csv").write_bytes(CSV)
    table = run(data_io.ImportData, {}, in_workspace(), data_source="Workspace storage", path="in/data.csv")["dataset"]
    assert table.frame["income"].tolist() == ["<=50K", ">50K"]
    error = fails(data_io.ImportData, {}, in_workspace(), data_source="Workspace storage", path="in/other.csv")
    assert "There is no file 'in/other.csv'" in str(error)


def test_a_ragged_file_in_workspace_storage_is_refused_naming_it(storage):
    (storage / "in").mkdir(parents=True)
    (storage / "in" / "ragged.csv").write_bytes(b"a,b\n1,2\n3\n")
    error = fails(data_io.ImportData, {}, in_workspace(), data_source="Workspace storage", path="in/ragged.csv")
    assert str(error).startswith("Could not import 'in/ragged.csv' in the workspace storage: Line 3 has 1 field; "
                                 "the header has 2.")
    table = run(data_io.ImportData, {}, in_workspace(), data_source="Workspace storage", path="in/ragged.csv",
                lenient=True)["dataset"]
    assert table.frame["a"].tolist() == [1, 3] and table.frame["b"].isna().tolist() == [False, True]


@pytest.mark.parametrize("path", ["../secret.csv", "in/../../x.csv", "C:\\data.csv", "data.csv", "in/my data.csv"])
def test_storage_paths_are_locations_inside_the_workspace(storage, path):
    """The storage call's rule, one for every door: `container/path`, safe segments, nothing that leaves."""
    error = fails(data_io.ImportData, {}, in_workspace(), data_source="Workspace storage", path=path)
    assert f"'{path}' is not a valid RelativeLocation: use 'container/path'" in str(error)
    assert error.parameter == "path"
    error = fails(data_io.ExportData, {"dataset": DataTable(pd.DataFrame({"a": [1]}))}, in_workspace(), path=path)
    assert "is not a valid RelativeLocation" in str(error) and error.parameter == "path"


def test_a_path_without_a_folder_says_where_an_earlier_export_went(storage):
    """Before one layout, Export Data could write `data.csv`; the upgrade kept such a file as `storage/data.csv`."""
    error = fails(data_io.ImportData, {}, in_workspace(), data_source="Workspace storage", path="data.csv")
    assert str(error).endswith("A file exported to 'data.csv' by an earlier version is now at 'storage/data.csv'.")


def test_a_leading_slash_names_a_file_inside_the_workspace(storage):
    error = fails(data_io.ImportData, {}, in_workspace(), data_source="Workspace storage", path="/etc/passwd")
    assert str(error) == "There is no file 'etc/passwd' in the workspace storage"


def test_storage_needs_a_workspace(storage):
    error = fails(data_io.ImportData, {}, data_source="Workspace storage", path="in/data.csv")
    assert "only available when the experiment runs in a workspace" in str(error)


def test_export_writes_csv_and_passes_the_dataset_on(storage):
    table = DataTable(pd.DataFrame({"a": [1.5, np.nan], "b": ["x", "y"]}), {"b": Role.LABEL})
    out = run(data_io.ExportData, {"dataset": table}, in_workspace(), path="exports/out.csv")
    assert out["dataset"] is table
    assert (storage / "exports" / "out.csv").read_text() == "a,b\n1.5,x\n,y\n"
    record = StorageFile.objects.get(workspace_id=WORKSPACE, location="exports/out.csv")  # listed, counted
    assert record.service_id is None and record.size == len("a,b\n1.5,x\n,y\n")


def test_export_counts_against_the_workspace_quota(storage, settings):
    settings.ATELIER_STORAGE_QUOTA_BYTES = 10
    error = fails(data_io.ExportData, {"dataset": DataTable(pd.DataFrame({"a": range(10)}))}, in_workspace())
    assert "past its quota of 10 bytes" in str(error) and error.parameter == "path"
    assert not (storage / "exports" / "data.csv").exists()


def test_export_respects_overwrite(storage):
    first = DataTable(pd.DataFrame({"a": [1]}))
    run(data_io.ExportData, {"dataset": first}, in_workspace())
    second = DataTable(pd.DataFrame({"a": [2]}))
    error = fails(data_io.ExportData, {"dataset": second}, in_workspace(), overwrite=False)
    assert "already exists" in str(error) and (storage / "exports" / "data.csv").read_text() == "a\n1\n"
    run(data_io.ExportData, {"dataset": second}, in_workspace())
    assert (storage / "exports" / "data.csv").read_text() == "a\n2\n"


def test_parquet_export_then_import_keeps_types_and_roles(storage):
    frame = pd.DataFrame({"when": pd.to_datetime(["2020-01-01", "2021-02-03"]), "n": [1, 2],
                          "label": pd.Series(["a", "b"], dtype="category")})
    table = DataTable(frame, {"label": Role.LABEL})
    run(data_io.ExportData, {"dataset": table}, in_workspace(), path="out/t.parquet", file_format="Parquet")
    back = run(data_io.ImportData, {}, in_workspace(), data_source="Workspace storage", path="out/t.parquet",
               data_format="Parquet")["dataset"]
    pd.testing.assert_frame_equal(back.frame, table.frame)
    assert back.roles == {"label": Role.LABEL}


# --- Convert to CSV -------------------------------------------------------------------------------


def test_convert_to_csv_gives_the_text_of_each_cell():
    frame = pd.DataFrame({"x": [1.5, np.nan, 3.0], "n": [1, 2, 3], "b": [True, False, True],
                          "s": pd.Series(["a,b", None, 'q"uote'], dtype="str"),
                          "d": [pd.Timestamp("2020-01-01 10:30"), None, pd.Timestamp("2021-05-06 00:00:01")]})
    table = DataTable(frame, {"n": Role.LABEL})
    out = run(data_io.ConvertToCsv, {"dataset": table})["results_dataset"]
    assert out.frame.to_dict("list") == {
        "x": ["1.5", "", "3.0"], "n": ["1", "2", "3"], "b": ["True", "False", "True"], "s": ["a,b", "", 'q"uote'],
        "d": ["2020-01-01 10:30:00", "", "2021-05-06 00:00:01"]}
    assert out.roles == {"n": Role.LABEL}
    params, _ = data_io.ConvertToCsv.clean_params({})
    schema = data_io.ConvertToCsv().infer_schema({"dataset": table.schema}, params, SchemaContext())
    assert schema["results_dataset"] == out.schema


# --- Dataset --------------------------------------------------------------------------------------


def test_dataset_outputs_what_the_loader_gives():
    table = DataTable(pd.DataFrame({"a": [1, 2]}))
    ctx = Context(loaders={"dataset": lambda dataset_id: {7: table}[dataset_id]})
    assert run(data_io.Dataset, {}, ctx, dataset=7)["dataset"] is table
    assert "can't be loaded here" in str(fails(data_io.Dataset, {}, dataset=7))
    assert data_io.Dataset().source_fingerprint({"dataset": 7}, ctx) is None


def test_dataset_must_be_chosen_and_its_schema_comes_from_the_saved_dataset():
    _, problems = data_io.Dataset.clean_params({}, "n1")
    assert [problem.message for problem in problems] == ["Choose the saved dataset of Dataset (node n1)."]
    _, problems = data_io.Dataset.clean_params({"dataset": "abc"}, "n1")
    assert problems[0].message == ("The 'Dataset' parameter of Dataset (node n1) must be the id of a saved dataset; "
                                   "got 'abc'.")
    schema = [Column("age", Kind.NUMERIC), Column("income", Kind.STRING, Role.LABEL)]
    params, _ = data_io.Dataset.clean_params({"dataset": 3})
    ctx = SchemaContext(dataset_schema=lambda dataset_id: schema if dataset_id == 3 else None)
    assert data_io.Dataset().infer_schema({}, params, ctx) == {"dataset": schema}
