"""Signed trained-model packages: only what this studio wrote is loaded from outside input (workspace storage).

The signature (HMAC keyed from SECRET_KEY) tells this studio's packages apart; the exact list of model types
(tests/experiments/modules/framework/test_ilearner.py, test_model_types.py) says what any package may hold,
signed or not.
"""

from __future__ import annotations

import hashlib
import io
import zipfile

import numpy as np
import pytest
import skops.io as sio
from sklearn.datasets import dump_svmlight_file
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import FunctionTransformer

from experiments.modules.framework import artifacts
from experiments.modules.framework.artifacts import ArtifactError, TrainedModel
from experiments.modules.framework.datatable import Column, Kind
from experiments.modules.framework.ilearner import package_signature

NOT_OURS = "not made by this studio"


def trained() -> TrainedModel:
    estimator = LogisticRegression().fit(np.array([[0.0], [1.0], [2.0], [3.0]]), [0, 0, 1, 1])
    return TrainedModel("two-class-logistic-regression", "binary", estimator, [Column("x", Kind.NUMERIC)], "y", [0, 1])


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def package(contents: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in contents.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def forged(payload: bytes, meta: bytes, signature: bytes | None = None) -> bytes:
    """A package as an outsider can make one: any payload, a correct sha256, and whatever signature they have."""
    digest = hashlib.sha256(payload + meta).hexdigest().encode()
    contents = {"model.skops": payload, "meta.json": meta, "sha256": digest}
    return package(contents if signature is None else {**contents, "signature": signature})


def test_a_package_made_by_this_studio_is_signed_and_verifies():
    data = trained().to_bytes()
    contents = members(data)
    assert contents["signature"].decode() == package_signature(contents["sha256"].decode())
    back = TrainedModel.from_bytes(data, require_signature=True)
    assert back.estimator.predict([[3.0]]).tolist() == [1]
    assert (back.features, back.label, back.classes) == ([Column("x", Kind.NUMERIC)], "y", [0, 1])


def test_an_unsigned_package_is_refused_from_outside_but_loads_from_the_studios_own_store():
    contents = members(trained().to_bytes())
    unsigned = package({name: content for name, content in contents.items() if name != "signature"})
    with pytest.raises(ArtifactError, match=NOT_OURS) as refused:
        TrainedModel.from_bytes(unsigned, require_signature=True)
    assert "signature" in str(refused.value) and "training or retraining jobs" in str(refused.value)
    # Packages written before signing existed, in the studio's artifact store: still served.
    assert TrainedModel.from_bytes(unsigned).estimator.predict([[3.0]]).tolist() == [1]


def test_a_package_signed_with_another_key_is_refused():
    contents = members(trained().to_bytes())
    other = package_signature(contents["sha256"].decode(), secret="another studio's secret key")
    resigned = package({**contents, "signature": other.encode()})
    with pytest.raises(ArtifactError, match=f"{NOT_OURS} \\(its signature does not match\\)"):
        TrainedModel.from_bytes(resigned, require_signature=True)
    garbled = package({**contents, "signature": b"\xff\xfe not hex"})
    with pytest.raises(ArtifactError, match=NOT_OURS):
        TrainedModel.from_bytes(garbled, require_signature=True)


def test_a_payload_naming_an_sklearn_callable_with_a_recomputed_sha256_is_refused_before_skops_reads_it(
        monkeypatch):
    contents = members(trained().to_bytes())
    hostile = sio.dumps(FunctionTransformer(func=dump_svmlight_file))  # a scikit-learn function that writes files
    # Even where no signature is asked (the studio's own store), no learner of this studio writes that function.
    with pytest.raises(ArtifactError, match=r"never writes.*sklearn.datasets._svmlight_format_io.dump_svmlight_file"):
        TrainedModel.from_bytes(forged(hostile, contents["meta.json"]))
    for signature in (None, contents["signature"], package_signature("0" * 64).encode()):
        data = forged(hostile, contents["meta.json"], signature)

        def never(*args, **kwargs):
            raise AssertionError("skops read a package whose signature was not checked first")

        with monkeypatch.context() as patched:
            patched.setattr(artifacts.sio, "get_untrusted_types", never)
            patched.setattr(artifacts.sio, "loads", never)
            with pytest.raises(ArtifactError, match=NOT_OURS):
                TrainedModel.from_bytes(data, require_signature=True)


def test_the_checksum_is_still_checked_first():
    contents = members(trained().to_bytes())
    damaged = package({**contents, "meta.json": contents["meta.json"].replace(b'"label": "y"', b'"label": "z"')})
    with pytest.raises(ArtifactError, match="checksum does not match"):
        TrainedModel.from_bytes(damaged, require_signature=True)


def test_a_key_rotation_keeps_packages_signed_with_a_fallback_key(settings):
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "the old key " * 5, []
    data = trained().to_bytes()
    settings.SECRET_KEY = "the new key " * 5
    with pytest.raises(ArtifactError, match=NOT_OURS):
        TrainedModel.from_bytes(data, require_signature=True)
    settings.SECRET_KEY_FALLBACKS = ["the old key " * 5]
    assert TrainedModel.from_bytes(data, require_signature=True).label == "y"
