"""Parameters are declarations: each renders JSON Schema for the properties pane and cleans one value.

`clean` raises ParamInvalid with what was expected ("a float in (0, 1)"); the module turns that into the
one message form users see: "The 'Fraction of rows' parameter of Split Data (node n3) must be a float in
(0, 1); got 1.5."
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from studio.errors import AtelierError


class ParamInvalid(AtelierError, ValueError):
    """A value does not fit its declaration; the message says what was expected."""

    code = "invalid-parameter"


# Every integer parameter declares a maximum (a system check holds it): the values that scale what a run costs
# (trees, iterations, leaves, folds, sweep runs...) are bounded before anything runs. Seeds stop where numpy's
# and scikit-learn's do (a larger one failed mid-run).
SEED_MAX = 2**31 - 1


@dataclass
class Param:
    label: str
    default: Any = None
    help: str = ""
    # Shown (and used) only when another parameter has one of these values, as the classic pane did.
    when: Mapping[str, Sequence[Any]] | None = None
    optional: bool = False

    json_type = "string"

    def schema(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.json_type, "title": self.label, "description": self.help,
                                "default": self.default}
        if self.when:
            body["x-visible-when"] = {key: list(values) for key, values in self.when.items()}
        if self.optional:
            body["type"] = [self.json_type, "null"]
        return body | self.extra_schema()

    def extra_schema(self) -> dict[str, Any]:
        return {}

    def clean(self, value: Any) -> Any:
        if value is None and self.optional:
            return None
        return self.convert(value)

    def convert(self, value: Any) -> Any:
        raise NotImplementedError


def _number(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"  # 2147483647, not 2.14748e+09


def _interval(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    left = "(" if low_open or low is None else "["
    right = ")" if high_open or high is None else "]"
    low_text = "-inf" if low is None else _number(low)
    high_text = "inf" if high is None else _number(high)
    return f"{left}{low_text}, {high_text}{right}"


@dataclass
class Float(Param):
    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None
    json_type = "number"

    def extra_schema(self) -> dict[str, Any]:
        bounds = {"exclusiveMinimum": self.gt, "minimum": self.ge, "exclusiveMaximum": self.lt, "maximum": self.le}
        return {key: value for key, value in bounds.items() if value is not None}

    def expectation(self) -> str:
        if self.gt is None and self.ge is None and self.lt is None and self.le is None:
            return "a number"
        low, high = (self.gt if self.gt is not None else self.ge), (self.lt if self.lt is not None else self.le)
        return f"a float in {_interval(low, high, self.gt is not None, self.lt is not None)}"

    def convert(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ParamInvalid(self.expectation())
        try:
            number = float(value)
        except ValueError:
            raise ParamInvalid(self.expectation()) from None
        if math.isnan(number) or not self.within(number):
            raise ParamInvalid(self.expectation())
        return number

    def within(self, number: float) -> bool:
        return not ((self.gt is not None and number <= self.gt) or (self.ge is not None and number < self.ge)
                    or (self.lt is not None and number >= self.lt) or (self.le is not None and number > self.le))


@dataclass
class Int(Param):
    minimum: int | None = None
    maximum: int | None = None
    json_type = "integer"

    def extra_schema(self) -> dict[str, Any]:
        bounds = {"minimum": self.minimum, "maximum": self.maximum}
        return {key: value for key, value in bounds.items() if value is not None}

    def expectation(self) -> str:
        if self.minimum is None and self.maximum is None:
            return "an integer"
        return f"an integer in {_interval(self.minimum, self.maximum, False, False)}"

    def convert(self, value: Any) -> int:
        if isinstance(value, bool):
            raise ParamInvalid(self.expectation())
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        if not isinstance(value, int):
            raise ParamInvalid(self.expectation())
        if (self.minimum is not None and value < self.minimum) or (self.maximum is not None and value > self.maximum):
            raise ParamInvalid(self.expectation())
        return value


def Seed(label: str = "Random seed", **kwargs: Any) -> Int:
    """A random seed: any integer numpy accepts, 0 by default so that runs repeat."""
    return Int(label, 0, minimum=0, maximum=SEED_MAX, **kwargs)


@dataclass
class Bool(Param):
    json_type = "boolean"

    def convert(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if value in ("true", "True", "1", 1):
            return True
        if value in ("false", "False", "0", 0):
            return False
        raise ParamInvalid("true or false")


@dataclass
class Choice(Param):
    choices: Sequence[str] = ()

    def extra_schema(self) -> dict[str, Any]:
        return {"enum": list(self.choices)}

    def convert(self, value: Any) -> str:
        if value not in self.choices:
            raise ParamInvalid("one of " + ", ".join(repr(choice) for choice in self.choices))
        return str(value)


@dataclass
class Text(Param):
    multiline: bool = False
    allow_empty: bool = True
    # "sql" or "python" ask the properties pane for a code editor.
    language: str | None = None
    max_length: int = 1_000_000

    def extra_schema(self) -> dict[str, Any]:
        extra: dict[str, Any] = {"maxLength": self.max_length}
        if self.multiline or self.language:
            extra["x-widget"] = "code" if self.language else "textarea"
        if self.language:
            extra["x-language"] = self.language
        return extra

    def convert(self, value: Any) -> str:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or len(value) > self.max_length:
            raise ParamInvalid(f"text of at most {self.max_length} characters")
        if not self.allow_empty and not value.strip():
            raise ParamInvalid("a non-empty text")
        return value


@dataclass
class Reference(Param):
    """The id of a saved object (dataset, trained model, transform) chosen in the palette."""

    to: str = "dataset"
    json_type = "integer"

    def extra_schema(self) -> dict[str, Any]:
        return {"x-reference": self.to}

    def convert(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
            raise ParamInvalid(f"the id of a saved {self.to.replace('_', ' ')}")
        return int(value)


COLUMN_TYPES = ("String", "Integer", "Double", "Boolean", "DateTime", "TimeSpan", "Categorical", "Numeric", "All")
COLUMN_KINDS = ("Feature", "Label", "Score", "Weight", "All")


@dataclass
class Columns(Param):
    """Azure's column selector: begin with all or no columns, then include/exclude rules in order.

    Accepted forms: a list of names, a comma-separated string of names, or
    {"begin_with": "all"|"none", "rules": [{"action": "include"|"exclude", "by": "names"|"type"|"kind",
    "names"|"types"|"kinds": [...]}]}. Cleaned into the dict form.
    """

    single: bool = False
    default: Any = field(default_factory=lambda: {"begin_with": "none", "rules": []})
    # The input port whose columns it selects from; None: the module's first DataTable input.
    input: str | None = None
    json_type = "object"

    def extra_schema(self) -> dict[str, Any]:
        body = {"x-widget": "column-selector", "x-single-column": self.single,
                "x-column-types": list(COLUMN_TYPES), "x-column-kinds": list(COLUMN_KINDS)}
        return body | ({"x-input-port": self.input} if self.input else {})

    def schema(self) -> dict[str, Any]:
        body = super().schema()
        body["type"] = ["object", "array", "string"]
        return body

    def convert(self, value: Any) -> dict[str, Any]:
        if isinstance(value, str):
            value = [name.strip() for name in value.split(",") if name.strip()]
        if isinstance(value, list):
            if not all(isinstance(name, str) for name in value):
                raise ParamInvalid("a list of column names")
            value = {"begin_with": "none", "rules": [{"action": "include", "by": "names", "names": value}]}
        if not isinstance(value, dict) or value.get("begin_with", "none") not in ("all", "none"):
            raise ParamInvalid("a column selection (names, or begin_with all/none plus rules)")
        rules = value.get("rules", [])
        if not isinstance(rules, list):
            raise ParamInvalid("a column selection whose rules are a list")
        return {"begin_with": value.get("begin_with", "none"), "rules": [self.clean_rule(rule) for rule in rules]}

    def clean_rule(self, rule: Any) -> dict[str, Any]:
        if not isinstance(rule, dict) or rule.get("action", "include") not in ("include", "exclude"):
            raise ParamInvalid("a column selection whose rules each include or exclude")
        by = rule.get("by", "names")
        allowed = {"names": None, "type": COLUMN_TYPES, "kind": COLUMN_KINDS}
        if by not in allowed:
            raise ParamInvalid("a column selection whose rules select by names, type or kind")
        key = {"names": "names", "type": "types", "kind": "kinds"}[by]
        items = rule.get(key, [])
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            raise ParamInvalid(f"a column selection whose '{by}' rule lists {key} as strings")
        choices = allowed[by]
        if choices is not None and (bad := [item for item in items if item not in choices]):
            raise ParamInvalid(f"a column selection with {key} among {', '.join(choices)} (not {bad[0]!r})")
        return {"action": rule.get("action", "include"), "by": by, key: items}


def names_selection(*names: str) -> dict[str, Any]:
    """A selection that includes exactly these columns (for defaults and tests)."""
    return {"begin_with": "none", "rules": [{"action": "include", "by": "names", "names": list(names)}]}


def all_of_type(*types: str) -> dict[str, Any]:
    return {"begin_with": "none", "rules": [{"action": "include", "by": "type", "types": list(types)}]}
