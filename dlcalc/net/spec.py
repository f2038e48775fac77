"""The network spec language: text -> a tree of items (no shapes, no counting here).

Items are separated by ',' or newlines; '#' starts a comment. An item is a layer (an operation,
positional numbers, then options written as a letter glued to its value), a group ``[ITEMS]``,
``res[ITEMS]`` / ``res[ITEMS | ITEMS]``, ``cat[ITEMS | ITEMS ...]``, ``save NAME``, ``cat NAME
[crop]``, ``add NAME``, each optionally repeated with ``*N``. The first item is ``in SHAPE``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dlcalc.core.errors import DlcalcError

MAX_SPEC_CHARS = 1_000_000
MAX_LAYERS = 100_000  # after expansion of repeats
MAX_NESTING = 64
MAX_AXES = 3  # Conv3d is the largest
MAX_DIM = 1 << 40  # any one size, channel or shape entry

_TOKEN = re.compile(r"\s*(?:(\[|\]|\||,|\*)|([^\s\[\]|,*]+))")


def excerpt(text: str, limit: int = 60) -> str:
    """A short, one-line, printable excerpt of user text for an error message."""
    text = " ".join(text.split())
    text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---- tree ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layer:
    op: str
    args: tuple  # positional values, parsed
    options: tuple  # ((name, value), ...) in the operation's declared order
    flags: tuple  # flag names in declared order

    @property
    def text(self) -> str:
        from dlcalc.net.ops import layer_text

        return layer_text(self)

    def option(self, name, default=None):
        return dict(self.options).get(name, default)


@dataclass(frozen=True)
class Group:
    """``[ITEMS]`` (kind 'seq'), ``res[...]`` (1 or 2 branches) or ``cat[...]`` (2 or more)."""

    kind: str
    branches: tuple  # tuple of tuples of items


@dataclass(frozen=True)
class Repeat:
    item: object
    times: int


@dataclass(frozen=True)
class Save:
    name: str


@dataclass(frozen=True)
class Ref:
    """``cat NAME [crop]`` or ``add NAME``: merge the tensor saved under NAME."""

    kind: str
    name: str
    crop: bool = False


@dataclass(frozen=True)
class Spec:
    input: tuple | None  # the shape of the `in` item, without batch
    items: tuple


# ---- shapes --------------------------------------------------------------------------------


def parse_int(text: str, what: str, minimum: int = 0) -> int:
    if not re.fullmatch(r"\d{1,13}", text):
        raise DlcalcError(f"{what}: expected a whole number, got {excerpt(text, 20)!r}")
    value = int(text)
    if value < minimum:
        raise DlcalcError(f"{what}: must be at least {minimum}, got {value}")
    if value > MAX_DIM:
        raise DlcalcError(f"{what}: {value} is over the limit {MAX_DIM}")
    return value


def parse_shape(text: str, what: str = "shape") -> tuple:
    parts = text.lower().split("x")
    if len(parts) > 5:
        raise DlcalcError(f"{what} {excerpt(text, 30)!r}: at most 5 axes (C×D×H×W plus one)")
    return tuple(parse_int(p, f"{what} {excerpt(text, 30)!r}", minimum=1) for p in parts)


# ---- tokens and parser ---------------------------------------------------------------------


def _strip_comments(text: str) -> str:
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def _tokens(text: str) -> list[str]:
    text = _strip_comments(text).replace("\n", ",")
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:  # only trailing blanks are left
            break
        tokens.append(match.group(1) or match.group(2))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[str]):
        self.tokens = tokens
        self.at = 0

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> str:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def expect(self, token: str, context: str) -> None:
        if self.peek() != token:
            found = "the end of the spec" if self.peek() is None else repr(self.peek())
            raise DlcalcError(f"expected {token!r} {context}, found {found}")
        self.take()

    def items(self, depth: int, closers: tuple) -> tuple:
        """Items up to (not including) one of ``closers`` (None = the end)."""
        if depth > MAX_NESTING:
            raise DlcalcError(f"brackets nested more than {MAX_NESTING} deep")
        items = []
        while True:
            while self.peek() == ",":
                self.take()
            if self.peek() in closers or self.peek() is None:  # the caller checks for its closer
                return tuple(items)
            items.append(self.repeated(self.item(depth)))

    def repeated(self, item):
        stars = 0
        while self.peek() == "*":
            stars += 1
            if stars > MAX_NESTING:
                raise DlcalcError(f"more than {MAX_NESTING} repeats '*N' chained on one item")
            self.take()
            count = self.peek()
            if count is None or not count.isdigit():
                found = "the end of the spec" if count is None else repr(excerpt(count, 20))
                raise DlcalcError(f"'*' must be followed by a repeat count, found {found}")
            times = parse_int(self.take(), "repeat count", minimum=1)
            # X*a*b is X*(a·b): one level, so chains inside nested brackets do not deepen the recursion
            item = Repeat(item.item, item.times * times) if isinstance(item, Repeat) else Repeat(item, times)
        return item

    def branches(self, depth: int, kind: str) -> tuple:
        self.expect("[", f"after {kind!r}")
        branches = [self.items(depth + 1, ("|", "]"))]
        while self.peek() == "|":
            self.take()
            branches.append(self.items(depth + 1, ("|", "]")))
        self.expect("]", f"to close {kind}[")
        return tuple(branches)

    def item(self, depth: int):
        token = self.peek()
        if token is None or token in ("]", "|", "*"):
            raise DlcalcError(f"expected a layer, found {'the end of the spec' if token is None else repr(token)}")
        if token == "[":
            branches = self.branches(depth, "group")
            if len(branches) != 1:
                raise DlcalcError("'|' separates branches only inside res[...] and cat[...]")
            return Group("seq", branches)
        word = self.take()
        name = word.lower()
        if name in ("res", "cat") and self.peek() == "[":
            branches = self.branches(depth, name)
            if name == "res" and len(branches) > 2:
                raise DlcalcError("res[...] takes one branch (y = f(x) + x) or two (y = f(x) + g(x))")
            if name == "cat" and len(branches) < 2:
                raise DlcalcError("cat[...] needs at least two branches separated by '|'")
            return Group(name, branches)
        words = [word]
        while self.peek() not in (None, ",", "]", "|", "*", "["):
            words.append(self.take())
        if self.peek() == "[":
            raise DlcalcError(f"unexpected '[' after {excerpt(' '.join(words))!r}; only res[...] and cat[...] take brackets")
        return self.simple(words)

    def simple(self, words: list[str]):
        from dlcalc.net.ops import parse_layer

        name = words[0].lower()
        if name == "save":
            return Save(_ref_name(words, "save NAME"))
        if name == "add":
            return Ref("add", _ref_name(words, "add NAME"))
        if name == "res":  # 'res' without its bracket (a bracketed res is a Group, parsed in item())
            raise DlcalcError(f"{excerpt(' '.join(words))!r}: res takes its layers in brackets: res[ITEMS] or "
                              f"res[ITEMS | ITEMS]")
        if name == "cat":
            crop = len(words) == 3 and words[2].lower() == "crop"
            return Ref("cat", _ref_name(words[:2] if crop else words, "cat NAME [crop]"), crop)
        return parse_layer(words)


def _ref_name(words: list[str], usage: str) -> str:
    if len(words) != 2 or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}", words[1]):
        raise DlcalcError(f"{excerpt(' '.join(words))!r}: expected {usage} (a name of letters, digits, _ . -)")
    return words[1]


def parse(text: str) -> Spec:
    """Spec text -> Spec. The `in SHAPE` item, if any, must come first."""
    if len(text) > MAX_SPEC_CHARS:
        raise DlcalcError(f"the spec is {len(text):,} characters long; the limit is {MAX_SPEC_CHARS:,}")
    parser = _Parser(_tokens(text))
    shape = None
    while parser.peek() == ",":  # blank or comment lines before the first item
        parser.take()
    if (parser.peek() or "").lower() == "in":
        parser.take()
        shape_words = []
        while parser.peek() not in (None, ","):
            shape_words.append(parser.take())
        if len(shape_words) != 1:
            raise DlcalcError("expected 'in SHAPE', e.g. 'in 3x224x224'")
        shape = parse_shape(shape_words[0], "in")
    items = parser.items(0, (None, "]", "|"))
    if parser.peek() is not None:
        raise DlcalcError(f"unexpected {parser.peek()!r}: no bracket is open")
    if not items:
        raise DlcalcError("the spec has no layers")
    return Spec(shape, items)


def closest(word: str, choices) -> str:
    """'; did you mean 'x'?' or ''."""
    import difflib  # only on the error path: it costs start-up

    match = difflib.get_close_matches(word.lower(), sorted(choices), n=1, cutoff=0.6)
    return f"; did you mean {match[0]!r}?" if match else ""


# ---- expansion -----------------------------------------------------------------------------


def layer_count(items) -> int:
    """Layers after expanding repeats; refuses more than MAX_LAYERS without building them."""
    total = 0
    for item in items:
        if isinstance(item, Repeat):
            total += item.times * layer_count((item.item,))
        elif isinstance(item, Group):
            # an empty group '[]' counts as one: '[]*N' must not escape the bound (expand would build N groups)
            total += max(1, sum(layer_count(b) for b in item.branches) + (item.kind != "seq"))
        else:
            total += 1
        if total > MAX_LAYERS:
            raise DlcalcError(f"the spec has more than {MAX_LAYERS:,} layers after expanding repeats; "
                              f"the limit is {MAX_LAYERS:,}")
    return total


def expand(items) -> tuple:
    """The items with every repeat written out (call layer_count first)."""
    out = []
    for item in items:
        if isinstance(item, Repeat):
            out += list(expand((item.item,))) * item.times
        elif isinstance(item, Group):
            out.append(Group(item.kind, tuple(expand(b) for b in item.branches)))
        else:
            out.append(item)
    return tuple(out)


def item_text(item) -> str:
    """Canonical text of one item."""
    if isinstance(item, Layer):
        return item.text
    if isinstance(item, Repeat):
        inner = item_text(item.item)
        return f"{inner}*{item.times}"
    if isinstance(item, Group):
        body = " | ".join(items_text(b) for b in item.branches)
        return f"[{body}]" if item.kind == "seq" else f"{item.kind}[{body}]"
    if isinstance(item, Save):
        return f"save {item.name}"
    return f"{item.kind} {item.name}" + (" crop" if item.crop else "")


def items_text(items) -> str:
    return ", ".join(item_text(i) for i in items)


def shape_text(shape) -> str:
    return "x".join(map(str, shape))


def spec_text(spec: Spec) -> str:
    head = [f"in {shape_text(spec.input)}"] if spec.input is not None else []
    return ", ".join(head + [items_text(spec.items)])
