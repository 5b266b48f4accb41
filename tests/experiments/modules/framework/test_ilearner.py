"""Reading an .ilearner package (experiments/modules/framework/ilearner.py): sizes before anything is unpacked, the
signature before the payload, only the exact types this studio writes, and every damaged or hostile file
refused with an ArtifactError that says why (the web views turn it into a JSON 400).

A signature is not enough: a package signed with this studio's key (here the test SECRET_KEY, as anyone who
obtained the key could) but holding code is refused for its types before skops builds anything.
"""

from __future__ import annotations

import builtins
import hashlib
import io
import json
import subprocess
import sys
import textwrap
import tracemalloc
import zipfile
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from django.conf import settings
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import SVC

from experiments.modules.framework import ilearner
from experiments.modules.framework.artifacts import ArtifactError, TrainedModel
from experiments.modules.framework.datatable import Column, Kind
from experiments.modules.framework.ilearner import package_signature
from tests.experiments.modules.framework.zip_bombs import archive

TWO_GIB = 2**31
X, Y = np.array([[0.0], [1.0], [2.0], [3.0]]), [0, 0, 1, 1]


def model(estimator=None) -> TrainedModel:
    estimator = estimator if estimator is not None else LogisticRegression().fit(X, Y)
    return TrainedModel("two-class-logistic-regression", "binary", estimator, [Column("x", Kind.NUMERIC)], "y", [0, 1])


def meta() -> bytes:
    return json.dumps(model().meta(), sort_keys=True).encode()


def signed(payload: bytes | int, meta_json: bytes | None = None, *, digest: str | None = None) -> bytes:
    """A package signed with this studio's key around any payload (bytes, or that many zero bytes)."""
    meta_json = meta() if meta_json is None else meta_json
    if digest is None:
        digest = hashlib.sha256(payload + meta_json).hexdigest() if isinstance(payload, bytes) else "0" * 64
    return archive({"model.skops": payload, "meta.json": meta_json, "sha256": digest.encode(),
                    "signature": package_signature(digest).encode()})


@pytest.fixture
def unpacked(monkeypatch):
    """The names of the members decompressed while reading (any member of any zip); the payload and the
    metadata, which a refusal from the directory or the signature must never reach, fail the test at once."""
    names: list[str] = []
    original = zipfile.ZipFile.open

    def spy(self, name, *args, **kwargs):
        names.append(name if isinstance(name, str) else name.filename)
        if names[-1] in ("model.skops", "meta.json"):
            raise AssertionError(f"{names[-1]} was unpacked")
        return original(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    return names


@pytest.fixture
def skops_untouched(monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("skops read a package that should have been refused first")

    monkeypatch.setattr(sio, "get_untrusted_types", never)
    monkeypatch.setattr(sio, "loads", never)


# --- Sizes: a zip bomb is refused from its directory ------------------------------------------------


@pytest.mark.parametrize("require_signature", [True, False], ids=["from outside", "from the studio's store"])
def test_a_zip_bomb_is_refused_from_its_directory_before_anything_is_unpacked(require_signature, unpacked):
    bomb = signed(TWO_GIB)
    assert len(bomb) < 4 * 2**20  # a few MiB on disk, 2 GiB unpacked
    with pytest.raises(ArtifactError, match=r"unpacks to 2,147,48\d,\d{3} bytes; the limit is 1,073,741,824 "
                                            r"\(ATELIER_MAX_MODEL_UNPACKED_BYTES\)"):
        TrainedModel.from_bytes(bomb, require_signature=require_signature)
    assert unpacked == []


def test_a_zip_bomb_is_refused_within_a_quarter_gigabyte_of_memory(tmp_path):
    """The same bomb read in a process whose address space may grow by 256 MiB only: refused, not MemoryError."""
    bomb = tmp_path / "bomb.ilearner"
    bomb.write_bytes(signed(TWO_GIB))
    script = textwrap.dedent(f"""
        import os, resource, sys
        import django
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
        django.setup()
        from experiments.modules.framework.artifacts import ArtifactError, TrainedModel
        import experiments.modules.framework.registry, experiments.modules.training  # imports are not what is measured
        data = open({str(bomb)!r}, "rb").read()
        size = int(next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmSize:"))) * 1024
        resource.setrlimit(resource.RLIMIT_AS, (size + 256 * 2**20, resource.RLIM_INFINITY))
        try:
            TrainedModel.from_bytes(data, require_signature=True)
            print("loaded")
        except ArtifactError as error:
            print("refused:", error)
        except MemoryError:
            print("MemoryError")
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=settings.BASE_DIR, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("refused:") and "ATELIER_MAX_MODEL_UNPACKED_BYTES" in result.stdout, result.stdout


def test_a_bomb_whose_directory_lies_is_cut_at_its_declared_size():
    """Declared as 4 KiB, the deflate stream would give 2 GiB. zipfile's `read()` of a whole member inflates up
    to 2 GiB before cutting it to the declared size; read in 1 MiB pieces, the member stops at 4 KiB and fails
    its CRC, with little memory used."""
    contents = {"model.skops": TWO_GIB, "meta.json": meta(), "sha256": b"0" * 64}
    lying = archive(contents, declared={"model.skops": 4096})
    tracemalloc.start()
    try:
        with pytest.raises(ArtifactError, match="Not a trained model package"):
            TrainedModel.from_bytes(lying)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20


def test_a_member_compressed_suspiciously_well_is_refused_unread(unpacked):
    with pytest.raises(ArtifactError, match=r"'model.skops' unpacks 1,0\d\d times larger than it is stored; the "
                                            r"limit is 200 \(ATELIER_MAX_MODEL_RATIO\)"):
        TrainedModel.from_bytes(signed(16 * 2**20), require_signature=True)
    assert unpacked == []


def test_a_file_over_the_size_limit_is_refused_unopened(settings, unpacked):
    settings.ATELIER_MAX_MODEL_BYTES = 100_000
    with pytest.raises(ArtifactError, match=r"is 100,001 bytes; the limit is 100,000 \(ATELIER_MAX_MODEL_BYTES\)"):
        TrainedModel.from_bytes(b"x" * 100_001)
    assert unpacked == []


def test_a_payload_that_is_itself_a_bomb_is_refused_before_skops_opens_it(settings, skops_untouched):
    settings.ATELIER_MAX_MODEL_RATIO = 10_000  # the outer member (a deflated bomb, deflated again) passes
    payload = archive({"schema.json": b"{}", "1.npy": TWO_GIB})
    with pytest.raises(ArtifactError, match=r"payload unpacks to 2,147,483,650 bytes.*ATELIER_MAX_MODEL_UNPACKED"):
        TrainedModel.from_bytes(signed(payload), require_signature=True)


def test_a_payload_with_a_compressed_member_is_refused_before_skops_reads_it(skops_untouched):
    """skops reads a payload's members whole (zipfile `read()`): a deflated member could lie about its size."""
    payload = archive({"schema.json": b"{}", "1.npy": b"0" * 4096}, declared={"1.npy": 10})
    with pytest.raises(ArtifactError, match=r"payload has a compressed member \('1.npy'\); skops payloads are stored"):
        TrainedModel.from_bytes(signed(payload), require_signature=True)


def test_an_unsigned_package_is_refused_before_its_payload_is_unpacked(settings, unpacked):
    settings.ATELIER_MAX_MODEL_RATIO = 10_000
    contents = {"model.skops": TWO_GIB // 4, "meta.json": meta(), "sha256": b"0" * 64}
    with pytest.raises(ArtifactError, match="not made by this studio"):
        TrainedModel.from_bytes(archive(contents), require_signature=True)
    assert unpacked == ["sha256"]  # the directory, then the declared sha256 (64 bytes) to check its signature


# --- Types: only the exact types this studio writes --------------------------------------------------


def test_a_package_of_code_signed_with_the_studios_key_is_refused_before_skops_builds_it(tmp_path, monkeypatch):
    marker = tmp_path / "ran"
    code = f"open({str(marker)!r}, 'w').write('the package ran')"
    hostile = Pipeline([("features", FunctionTransformer(partial(builtins.exec, code, {}))),
                        ("learner", LogisticRegression().fit(X, Y))])
    data = model(hostile).to_bytes()  # a correct sha256 and a valid signature: made with SECRET_KEY
    assert json.loads(zipfile.ZipFile(io.BytesIO(data)).read("meta.json"))["task"] == "binary"

    def never(*args, **kwargs):
        raise AssertionError("skops built a package holding code")

    monkeypatch.setattr(sio, "loads", never)
    for read in (TrainedModel.from_bytes, TrainedModel.described):
        with pytest.raises(ArtifactError, match=r"types this studio never writes, so it is not loaded: "
                                                r"builtins.exec, functools.partial$"):
            read(data, require_signature=True)
    assert not marker.exists()


def test_a_type_skops_trusts_by_default_is_refused_when_the_studio_never_writes_it():
    """skops trusts every scikit-learn estimator; this studio has no learner that writes an SVC."""
    data = model(SVC().fit(X, Y)).to_bytes()
    assert sio.get_untrusted_types(data=sio.dumps(SVC().fit(X, Y))) == []
    with pytest.raises(ArtifactError, match=r"never writes, so it is not loaded: sklearn.svm._classes.SVC$"):
        TrainedModel.from_bytes(data, require_signature=True)


def test_the_studios_own_unsigned_packages_still_load_with_the_type_check():
    studio = zipfile.ZipFile(io.BytesIO(model().to_bytes()))
    contents = {name: studio.read(name) for name in ("model.skops", "meta.json", "sha256")}
    back = TrainedModel.from_bytes(archive(contents))
    assert back.estimator.predict([[3.0]]).tolist() == [1]


# --- Anything else: damaged or odd files are ArtifactErrors -----------------------------------------


def truncated() -> bytes:
    data = model().to_bytes()
    return data[: len(data) // 2]


def package_with(**members: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        for name, content in members.items():
            zipped.writestr(name.replace("_", "."), content)
    return buffer.getvalue()


def duplicated() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped, pytest.warns(UserWarning, match="Duplicate name"):
        for name in ("model.skops", "model.skops", "meta.json", "sha256"):
            zipped.writestr(name, b"x")
    return buffer.getvalue()


def odd_method() -> bytes:
    data = bytearray(archive({"model.skops": b"x", "meta.json": b"{}", "sha256": b"0" * 64}))
    data[8:10] = (99).to_bytes(2, "little")  # the first member's compression method: none that exists
    central = data.index(b"PK\x01\x02")
    data[central + 10:central + 12] = (99).to_bytes(2, "little")
    return bytes(data)


GARBAGE = {
    "not a zip": lambda: b"this is not a zip file at all",
    "empty": lambda: b"",
    "truncated": truncated,
    "members missing": lambda: package_with(model_skops=b"x"),
    "an unexpected member": lambda: package_with(model_skops=b"x", meta_json=b"{}", sha256=b"0", extra_py=b"x"),
    "a member named twice": duplicated,
    "an unknown compression method": odd_method,
    "a payload that is not a zip": lambda: signed(b"not a zip"),
    "a payload without a schema": lambda: signed(archive({"x.npy": b"1"}, stored=True)),
    "a payload schema that is not JSON": lambda: signed(archive({"schema.json": b"{not json"}, stored=True)),
    "a payload schema of the wrong shape": lambda: signed(archive({"schema.json": b"[1, 2]"}, stored=True)),
    "a payload schema naming no loader": lambda: signed(archive({"schema.json": json.dumps(
        {"__class__": "LogisticRegression", "__module__": "sklearn.linear_model._logistic"}).encode()},
        stored=True)),
    "metadata that is not JSON": lambda: signed(sio.dumps(LogisticRegression().fit(X, Y)), b"{not json"),
    "metadata without its fields": lambda: signed(sio.dumps(LogisticRegression().fit(X, Y)), b'{"task": "binary"}'),
    "a checksum that does not match": lambda: signed(sio.dumps(LogisticRegression().fit(X, Y)), digest="1" * 64),
}


@pytest.mark.parametrize("make", GARBAGE.values(), ids=GARBAGE.keys())
@pytest.mark.parametrize("require_signature", [True, False], ids=["from outside", "from the studio's store"])
def test_a_damaged_or_odd_file_is_an_artifact_error(make, require_signature):
    with pytest.raises(ArtifactError) as refused:
        TrainedModel.from_bytes(make(), require_signature=require_signature)
    assert str(refused.value)[0].isupper() and "Traceback" not in str(refused.value)


def test_the_limits_are_settings_read_at_call_time(settings):
    settings.ATELIER_MAX_MODEL_UNPACKED_BYTES = 2**20
    with pytest.raises(ArtifactError, match=r"the limit is 1,048,576 \(ATELIER_MAX_MODEL_UNPACKED_BYTES\)"):
        TrainedModel.from_bytes(signed(2**21), require_signature=True)
    assert ilearner.Limits.current().unpacked == 2**20


def test_the_signature_salt_is_unchanged_so_existing_packages_still_verify():
    assert Path(ilearner.__file__).name == "ilearner.py"
    assert ilearner.SIGNATURE_SALT == "atelier.experiments.modules.artifacts.TrainedModel.signature"
