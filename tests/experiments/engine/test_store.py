"""The store asks one codec per port type; its files are whatever Files it is given (here a dict)."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest

from experiments.engine import store
from experiments.engine.codecs import CODECS
from experiments.modules.framework.artifacts import ArtifactError, Evaluation, UntrainedModel
from experiments.modules.framework.datatable import DataTable
from experiments.modules.framework.ports import PortType


class DictFiles:
    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    def exists(self, path: str) -> bool:
        return path in self.data

    def read(self, path: str) -> bytes:
        return self.data[path]

    def write(self, path: str, data: bytes) -> str:
        self.data[path] = data
        return path

    def delete(self, path: str) -> None:
        del self.data[path]


@pytest.fixture
def files() -> Iterator[DictFiles]:
    before = store.files()
    store.use_files(files := DictFiles())
    yield files
    store.use_files(before)


def test_every_port_type_an_output_can_have_has_a_codec():
    assert set(CODECS) == set(PortType) - {PortType.ANY}
    assert store.EXTENSIONS == {PortType.DATA_TABLE: "parquet", PortType.TRAINED_MODEL: "ilearner",
                                PortType.TRANSFORM: "itransform", PortType.UNTRAINED_MODEL: "json",
                                PortType.EVALUATION: "json"}


def test_an_output_round_trips_through_its_codec_and_its_file(files):
    table = DataTable(pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}))
    record = store.save_output("k" * 64, "dataset", PortType.DATA_TABLE, table)
    assert record["path"] == f"cache/kk/{'k' * 64}/dataset.parquet" and record["type"] == "DataTable"
    assert record["bytes"] == len(files.data[record["path"]])
    pd.testing.assert_frame_equal(store.load_output(record).frame, table.frame)
    assert store.expected_type(PortType.DATA_TABLE) is DataTable
    store.delete_output(record)
    assert not store.output_exists(record)


def test_json_ports_keep_their_documents(files):
    model = UntrainedModel(learner="two-class-logistic-regression", task="binary", params={"c": 1.0})
    back = store.load(PortType.UNTRAINED_MODEL, store.dump(PortType.UNTRAINED_MODEL, model))
    assert isinstance(back, UntrainedModel) and back.to_json() == model.to_json()
    assert not CODECS[PortType.EVALUATION].accepts(model) and CODECS[PortType.UNTRAINED_MODEL].accepts(model)
    assert CODECS[PortType.EVALUATION].value_type is Evaluation


def test_changed_bytes_are_refused(files):
    record = store.save_output("d" * 64, "dataset", PortType.DATA_TABLE, DataTable(pd.DataFrame({"a": [1]})))
    files.data[record["path"]] = DataTable(pd.DataFrame({"a": [2]})).to_parquet()
    with pytest.raises(ArtifactError, match="altered or damaged"):
        store.load_output(record)
