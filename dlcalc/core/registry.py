"""The formula registry: one declaration per formula.

A catalogue module declares each formula once with :func:`formula`. Everything else is generated
from that declaration: the CLI command (Typer and the fast path), ``dlcalc list``, ``dlcalc info``,
the completions, the command reference and the test that runs every example.

This module must stay cheap to import: no NumPy, no SymPy, no Typer.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable, Iterable

from dlcalc.core.errors import DlcalcError, quote

# Sentinel for padding "same" in vectorised arithmetic (a real padding is never negative).
SAME = -1


class Absent(str):
    """The default of an optional parameter with no value (a default of None means required).
    A str so that help reads "none"; JSON shows it as null."""


ABSENT = Absent("none")


# --------------------------------------------------------------------------------------------
# Parameter kinds: how text (from argv or a batch file) becomes a value.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """How a parameter's text is parsed. ``parse`` raises DlcalcError with a reason."""

    metavar: str
    parse: Callable[[str], Any]
    per_axis: bool = False
    is_flag: bool = False
    choices: tuple[str, ...] = ()


INT_DIGITS = 100  # a whole number has at most this many digits (results stay far below str()'s 4,300)


def _int(text: str) -> int:
    text = text.strip()
    if not re.fullmatch(r"[+-]?\d+", text):
        raise DlcalcError(f"expected a whole number, got {quote(text)}")
    if len(text.lstrip("+-")) > INT_DIGITS:
        raise DlcalcError(f"at most {INT_DIGITS:,} digits, got a number with {len(text.lstrip('+-')):,}")
    return int(text)


def _float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise DlcalcError(f"expected a number, got {quote(text)}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise DlcalcError(f"expected a finite number, got {quote(text)}")
    return value


def _axes(text: str) -> tuple[int, ...]:
    parts = str(text).split(",")
    if not text or any(not p.strip() for p in parts):
        raise DlcalcError(f"expected a whole number or one per axis like 224,224, got {quote(text)}")
    return tuple(_int(p) for p in parts)


def _padding_token(text: str) -> int:
    token = text.strip().lower()
    if token == "same":
        return SAME
    if token == "valid":
        return 0
    value = _int(token)
    if value < 0:  # checked here: a negative number must never read as the SAME sentinel
        raise DlcalcError(f"must be at least 0, got {value}")
    return value


def _padding(text: str) -> tuple[int, ...]:
    parts = str(text).split(",")
    if not text or any(not p.strip() for p in parts):
        raise DlcalcError(f"expected a whole number, 'same' or 'valid', got {quote(text)}")
    return tuple(_padding_token(p) for p in parts)


_TRUE = {"1", "true", "yes", "y", "on", "t"}
_FALSE = {"0", "false", "no", "n", "off", "f", ""}


def parse_bool(text: str) -> bool:
    token = str(text).strip().lower()
    if token in _TRUE:
        return True
    if token in _FALSE:
        return False
    raise DlcalcError(f"expected true or false, got {quote(text)}")


def _text(text: str) -> str:
    return str(text)


def _read_array_file(path: str) -> list:
    """@file.csv / @file.tsv / @file.npy -> nested lists of floats (a vector or a matrix)."""
    if path.endswith(".npy"):
        return _read_npy(path)
    try:
        with open(path, encoding="utf-8") as handle:
            rows = [line.replace("\t", ",").split(",") for line in handle if line.strip()]
    except OSError as err:
        raise DlcalcError(f"cannot read {path}: {err.strerror}") from None
    except UnicodeDecodeError:
        raise DlcalcError(f"cannot read {path}: it is not UTF-8 text") from None
    return [[_float(cell) for cell in row] for row in rows]


def _read_npy(path: str) -> list:
    import numpy as np

    try:
        array = np.load(path, allow_pickle=False)
        array = array.astype(float)
    except (OSError, ValueError, TypeError, EOFError) as err:
        raise DlcalcError(f"cannot read {path}: {err}") from None
    if array.ndim not in (1, 2) or array.size == 0:
        raise DlcalcError(f"{quote(path)} holds a {array.ndim}-d array of shape {array.shape}; expected a non-empty vector or matrix")
    if not np.isfinite(array).all():
        raise DlcalcError(f"{quote(path)} holds NaN or infinite entries; expected finite numbers")
    return array.tolist()


MAX_JSON_DEPTH = 2  # a vector or a matrix


def _numbers(text: str) -> list:
    """'0.2,0.3', '[0.2, 0.3]', '[[1,2],[3,4]]', '1,2;3,4' or '@file' -> nested lists of floats."""
    text = text.strip()
    if text.startswith("@"):
        return _read_array_file(text[1:])
    if text.startswith("["):
        return _floats_in(_json_array(text), 0)
    rows = [row for row in text.split(";")]
    return [[_float(cell) for cell in row.split(",")] for row in rows] if ";" in text else [_float(c) for c in text.split(",")]


def _json_array(text: str) -> list:
    import json

    # Count the depth before parsing: a deep nesting must not reach the JSON parser's recursion.
    depth = deepest = 0
    for char in text:
        depth += (char == "[") - (char == "]")
        deepest = max(deepest, depth)
    if deepest > MAX_JSON_DEPTH:
        raise DlcalcError(f"expected a vector or a matrix, got arrays nested {deepest} deep")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise DlcalcError(f"expected numbers like [[1,2],[3,4]], got {quote(text)}") from None


def _floats_in(value, depth: int):
    if isinstance(value, list) and depth < MAX_JSON_DEPTH:
        return [_floats_in(v, depth + 1) for v in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _float(str(value))
    raise DlcalcError(f"expected a number, got {quote(value)}")


def _vector(text: str) -> tuple[float, ...]:
    value = _numbers(text)
    if value and isinstance(value[0], list):  # a one-row or one-column matrix is a vector
        if len(value) == 1 or all(isinstance(row, list) and len(row) == 1 for row in value):
            value = [x for row in value for x in row]
        else:
            raise DlcalcError("expected a vector (one row of numbers), got a matrix")
    if not value:
        raise DlcalcError("expected at least one number")
    if any(isinstance(x, list) for x in value):
        raise DlcalcError("expected a vector of numbers, got arrays mixed with numbers")
    return tuple(value)


def _matrix(text: str) -> tuple[tuple[float, ...], ...]:
    value = _numbers(text)
    if not value:
        raise DlcalcError("expected a matrix")
    if not any(isinstance(row, list) for row in value):
        value = [value]
    if any(not isinstance(row, list) or len(row) != len(value[0]) for row in value):
        raise DlcalcError("matrix rows must all have the same length")
    if not value[0]:
        raise DlcalcError("expected a matrix with at least one column")
    return tuple(tuple(row) for row in value)


INT = Kind("INT", _int)
FLOAT = Kind("FLOAT", _float)
AXES = Kind("INT[,INT...]", _axes, per_axis=True)
PADDING = Kind("INT[,INT...]|same|valid", _padding, per_axis=True)
FLAG = Kind("", parse_bool, is_flag=True)
TEXT = Kind("TEXT", _text)
# Vectors: 0.2,0.3,0.5 or [0.2,0.3,0.5] or @file.csv/@file.npy -> tuple of floats.
VECTOR = Kind("NUMBERS", _vector)
# Matrices: "[[1,2],[3,4]]" or "1,2;3,4" or @file.csv/@file.npy -> tuple of row tuples.
MATRIX = Kind("MATRIX", _matrix)


_ARRAY_SAFE = {_int, _float, _axes, _padding, parse_bool}  # kinds whose batch columns NumPy parses


def choice(*options: str) -> Kind:
    def parse(text: str) -> str:
        token = str(text).strip().lower()
        if token not in options:
            raise DlcalcError(f"expected one of {', '.join(options)}, got {quote(text)}")
        return token

    return Kind("|".join(options), parse, choices=options)


# --------------------------------------------------------------------------------------------
# Declarations
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    """One option of a formula command.

    name     the option name without dashes, as users type it (``I``, ``c-in``, ``ceil-mode``)
    aliases  further long names (``input`` for ``I``)
    default  None means required; "=NAME" means "the value of parameter NAME"
    minimum  smallest allowed value (per axis for per-axis kinds)
    maximum  largest allowed value: every size and count is bounded (help states the limit)
    multiple the option may be repeated; the values arrive as a list
    positional an argument rather than an option (``dlcalc model-params bert-base``)
    """

    name: str
    kind: Kind
    help: str
    default: Any = None
    aliases: tuple[str, ...] = ()
    minimum: int | float | None = None
    maximum: int | float | None = None
    multiple: bool = False
    positional: bool = False

    @cached_property
    def dest(self) -> str:
        """The Python keyword the implementation receives."""
        key = self.name.replace("-", "_")
        return key + "_" if key in {"in", "lambda", "from", "def", "class", "for"} else key

    @property
    def flags(self) -> tuple[str, ...]:
        return tuple("--" + n for n in (self.name, *self.aliases))

    @property
    def required(self) -> bool:
        return self.default is None and not self.kind.is_flag

    @property
    def shown_default(self) -> Any:
        """The default as help and info show it: None (required or no value), "=K", 3 or [3, 5]."""
        if self.required or self.default is ABSENT:
            return None
        if self.default_from:
            return f"={self.default_from}"
        if isinstance(self.default, tuple):
            return self.default[0] if len(self.default) == 1 else list(self.default)
        return self.default

    @property
    def default_from(self) -> str | None:
        """The parameter whose value is the default ("=K" -> "K"), if any."""
        if isinstance(self.default, str) and self.default.startswith("="):
            return self.default[1:]
        return None

    def convert(self, raw: Any) -> Any:
        """Text (or a JSON value from a batch file) -> a validated value; errors name the option."""
        try:
            value = self._parse(raw)
            self._check_bounds(value)
        except DlcalcError as err:
            raise DlcalcError(f"--{self.name}: {err}") from None
        return value

    def _parse(self, raw: Any) -> Any:
        if self.kind.is_flag and isinstance(raw, bool):
            return raw
        if isinstance(raw, list) and self.kind.per_axis:  # JSON Lines: [224, 224]
            raw = ",".join(self._json_number_text(v) for v in raw)
        if isinstance(raw, bool):
            raise DlcalcError(f"expected {self.kind.metavar}, got {str(raw).lower()}")
        return self.kind.parse(self._json_number_text(raw))

    def _json_number_text(self, value: Any) -> str:
        """A JSON number as text: 224.0 is the whole number 224 for an integer kind, alone or in a list."""
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, float) and value.is_integer() and self.kind in (INT, AXES, PADDING):
            value = int(value)
        return str(value)

    def _check_bounds(self, value: Any) -> None:
        if self.minimum is None and self.maximum is None:
            return
        values = value if isinstance(value, tuple) else (value,)
        for v in values:
            if v == SAME and self.kind is PADDING:
                continue
            if self.minimum is not None and v < self.minimum:
                raise DlcalcError(f"must be at least {self.minimum}, got {v}")
            if self.maximum is not None and v > self.maximum:
                raise DlcalcError(f"must be at most {self.maximum:,}, got {v}")


@dataclass(frozen=True)
class Example:
    """A command line (the arguments after the command name) and its exact plain output."""

    args: str
    output: str
    note: str = ""


@dataclass(frozen=True)
class Rule:
    """A constraint across parameters. ``broken`` returns True (or a boolean array, in batch
    mode) where the rule is broken; ``says`` explains one broken case with scalar values."""

    broken: Callable[..., Any]
    says: Callable[..., str]


@dataclass(frozen=True)
class Formula:
    """One formula of the catalogue; see the module docstring.

    compute     the pure implementation. It receives the parameters by ``Param.dest``.
                With ``elementwise=True`` it is called once per axis with plain numbers (or with
                NumPy arrays, one entry per batch row) and must use only arithmetic that works
                for both. Otherwise per-axis parameters arrive as tuples of per-axis values.
                It returns a value, or a Result for structured output.
    kind        "numeric" (a command that computes), "identity" (proven by `dlcalc verify`,
                no command of its own) or "claim" (a command that decides a claim of the sheet)
    prove       for identities (and formulas that are both): a function returning a
                dlcalc.core.proof.Proof; `dlcalc verify` runs it (made from ``build`` by identity())
    build       an identity's statement: a function returning its two sides as SymPy objects
    sheet_version  the sheet's wrong statement, where it errs: `dlcalc verify` shows it refuted
    show        optional: the formula with the numbers substituted, for the terminal
    present     optional: turns one computed value (per axis) into what the user sees
    rules       cross-parameter constraints (checked before compute)
    vectorised  compute uses only arithmetic that works on NumPy arrays too, so batch mode evaluates
                all rows in one call (elementwise formulas are vectorised); otherwise row by row
    infinite_ok an infinite result is the true answer (documented), not an overflow: the engine
                refuses every other infinite or NaN result as an input error
    """

    name: str
    section: str
    summary: str
    params: tuple[Param, ...]
    formula: str
    latex: str
    compute: Callable[..., Any] | None = None
    examples: tuple[Example, ...] = ()
    catalogue_id: str = ""
    errata: tuple[str, ...] = ()
    sheet_says: str = ""
    notes: str = ""
    kind: str = "numeric"
    elementwise: bool = False
    show: Callable[..., str] | None = None
    present: Callable[[Any], Any] | None = None
    rules: tuple[Rule, ...] = ()
    vectorised: bool = False
    prove: Callable[[], Any] | None = None
    build: Callable[[], tuple[Any, Any]] | None = None  # an identity's statement: builds (lhs, rhs)
    sheet_version: Callable[[], tuple[Any, Any]] | None = None  # the sheet's wrong statement, refuted
    module: str = ""  # the dotted name of the module that declares it (set by formula())
    uses_sympy: bool = False  # a symbolic command (mgf, robbins-monro): exempt from the no-SymPy start-up rule
    infinite_ok: bool = False  # infinity is a true, documented answer (kl with a zero in q, cond of a singular matrix)
    time_limit: float | None = None  # seconds a symbolic command may take (None: the engine's default)

    @property
    def is_command(self) -> bool:
        return self.compute is not None

    def param(self, name: str) -> Param:
        for p in self.params:
            if name == p.name or name in p.aliases:
                return p
        raise KeyError(name)

    def lookup_option(self, option: str) -> Param | None:
        """An option or column name (``--input``, ``input``, ``ceil_mode``) -> its Param."""
        key = option.lstrip("-").replace("_", "-")
        for p in self.params:
            if key == p.name or key in p.aliases:
                return p
        return None


REGISTRY: dict[str, Formula] = {}
# Formulas whose infinite result is a true answer, until their declarations say infinite_ok=True
# (the catalogue modules are being restructured; then this set goes).
ERRATA: dict[str, dict[str, str]] = {}


def formula(**fields: Any) -> Formula:
    """Declare a formula and register it under its command name."""
    params = tuple(fields.pop("params", ()))
    examples = tuple(
        e if isinstance(e, Example) else Example(*e) for e in fields.pop("examples", ())
    )
    if fields.get("elementwise"):
        fields.setdefault("vectorised", True)
    entry = Formula(params=params, examples=examples, module=_declaring_module(), **fields)
    if entry.vectorised and any((p.kind.parse not in _ARRAY_SAFE and not p.kind.choices) or p.positional or p.multiple for p in params):
        raise RuntimeError(f"formula {entry.name!r}: only numbers, flags and choices can be evaluated as arrays")
    if entry.name in REGISTRY:
        raise RuntimeError(f"formula {entry.name!r} declared twice")
    clashes = {flag for p in params for flag in p.flags} & {"--json", "--batch", "--help", "--debug"}
    if clashes:
        raise RuntimeError(f"formula {entry.name!r}: {', '.join(sorted(clashes))} is an option of every command")
    REGISTRY[entry.name] = entry
    return entry


def identity(*, build: Callable[[], tuple[Any, Any]], method: str = "simplify",
             sheet_version: Callable[[], tuple[Any, Any]] | None = None, **fields: Any) -> Formula:
    """Declare an identity that `dlcalc verify` proves: ``build()`` returns its two sides, which
    SymPy proves equal and a numeric spot check guards. ``sheet_version`` builds the sheet's wrong
    statement, which verify shows refuted. Give ``prove`` only for a proof of another shape."""

    def prove() -> Any:
        from dlcalc.core.proof import prove_statement

        return prove_statement(build, method)

    fields.setdefault("prove", prove)
    return formula(kind="identity", build=build, sheet_version=sheet_version, **fields)


def claim(**fields: Any) -> Formula:
    """Declare a command that decides a claim: compute returns whether it holds (a bool, or a Result
    with ``holds`` when it shows more); the engine maps that to exit 0 or 1."""
    return formula(kind="claim", **fields)


def _declaring_module() -> str:
    """The module being imported that declares (the caller may be a shared helper such as _common)."""
    frame = sys._getframe(2)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.startswith(DECLARING_PACKAGES) and not module.rsplit(".", 1)[-1].startswith("_"):
            return module
        frame = frame.f_back
    return ""


def erratum(eid: str, *, title: str, sheet: str, correct: str, command: str = "") -> str:
    """Record one of the sheet's errata (catalogue Part 2) and return its id."""
    if eid in ERRATA:
        raise RuntimeError(f"erratum {eid} declared twice")
    ERRATA[eid] = {"id": eid, "title": title, "sheet": sheet, "correct": correct, "command": command}
    return eid


# The packages whose modules declare formulas, named as text: core imports none of them statically
# (the layering test checks it); they are found and imported here, on first use.
DECLARING_PACKAGES = ("dlcalc.catalogue.", "dlcalc.net.", "dlcalc.llm.")
_loaded_all = False


def declaring_modules() -> list[str]:
    """Every module that may declare formulas: the public modules of DECLARING_PACKAGES."""
    import importlib
    import pkgutil

    names = []
    for package_name in DECLARING_PACKAGES:
        try:
            package = importlib.import_module(package_name.rstrip("."))
        except ModuleNotFoundError:
            continue
        names += [package_name + m.name for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_")]
    return sorted(names)


def load_all() -> None:
    """Import every declaring module once."""
    global _loaded_all
    if not _loaded_all:
        import importlib

        _loaded_all = True
        for module in declaring_modules():
            importlib.import_module(module)


def formulas() -> Iterable[Formula]:
    load_all()
    return REGISTRY.values()


def get(name: str) -> Formula | None:
    """The formula ``name``, importing as little as possible: the module the index names, and only
    if that does not declare it (the index is stale, or ``name`` is no formula) every module."""
    if name not in REGISTRY:
        import importlib

        from dlcalc.core._index import MODULE_OF_COMMAND

        module = MODULE_OF_COMMAND.get(name)
        if module is not None:
            try:
                importlib.import_module(module)
            except ModuleNotFoundError:
                pass
        if name not in REGISTRY:
            load_all()
    return REGISTRY.get(name)


def index_text() -> str:
    """The source of core/_index.py: every command and the module that declares it."""
    load_all()
    module_of = {name: f.module for name, f in REGISTRY.items() if f.is_command and f.module}
    lines = [f"    {name!r}: {module!r}," for name, module in sorted(module_of.items())]
    return (
        '"""Which module declares each command. Generated by `python -m dlcalc.dev regen`; a test checks it is\n'
        'current. It only saves start-up time: a command it lacks is still found, by loading every module."""\n\n'
        "MODULE_OF_COMMAND = {\n" + "\n".join(lines) + "\n}\n"
    )
