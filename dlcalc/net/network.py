"""Compose layers into a network: shapes, counts, receptive field and memory, row by row.

``summarize(text, ...)`` is the library entry point (``dlcalc net`` renders what it returns).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from dlcalc.core.errors import DlcalcError
from dlcalc.net import ops
from dlcalc.net.spec import Group, Layer, Ref, Repeat, Save, Spec, closest, excerpt, expand, item_text, layer_count
from dlcalc.net.spec import MAX_DIM, parse, parse_shape, shape_text, spec_text

DTYPE_BYTES = {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1}
CONVENTIONS = ("torch", "torchinfo", "fvcore")
MAX_BATCH = 1 << 20

_CONVENTION_TEXT = {
    "parameters": "sum(p.numel() for p in model.parameters()); buffers (BatchNorm running mean, variance and "
    "num_batches_tracked) counted apart",
    "receptive_field": "per spatial axis: r (size), j (jump), start (first input of unit 0, negative in the "
    "padding); norms and activations taken as pointwise; through res/cat/add the union of the paths; null once "
    "the tensor stops being a C×spatial map or after an upsampling layer (tconv, up), where a unit's field "
    "depends on its position",
    "activation_bytes": "Σ over rows (layers and merges) of output elements × batch size × dtype bytes",
    "shapes": "PyTorch shapes without the batch dimension; cat joins on channels (axis 0 here, dim 1 in torch); "
    "'cat NAME' puts the current tensor first",
}

_MACS_TEXT = {
    "torch": "as torch.utils.flop_counter.FlopCounterMode counts a forward pass: matrix products only (conv, "
    "transposed conv over its input positions, linear, the per-step products of RNN/GRU/LSTM, the attention "
    "in/out projections and its core Q·Kᵀ and A·V); FLOPs = 2·MACs; bias adds, norms, activations, pooling, "
    "softmax, upsampling and embedding lookups count 0; MACs include the batch",
    "torchinfo": "as torchinfo 1.8 counts mult-adds: parameters × output positions (conv: (weight + bias) × "
    "output positions; Linear, norms, Embedding: parameters × batch only, so a Linear on T×d is not multiplied "
    "by T; RNN/LSTM/GRU: parameters × batch × T); nn.MultiheadAttention counts 0 (its out_proj is never called "
    "as a module) and no attention matrix product is counted; FLOPs shown = 2·mult-adds",
    "fvcore": "fvcore's convention: one fused multiply-add is one 'flop', so flops = MACs of the matrix "
    "products (half of FlopCounterMode's number); fvcore's own norm/pooling/upsample counters are not reproduced",
}

_TRAIN_TEXT = (
    "forward + backward as FlopCounterMode counts them: each product's weight gradient and input gradient, "
    "except the input gradient of layers whose input needs none (before the first parameter); a grouped "
    "convolution's weight gradient counted groups× (FlopCounterMode counts it as ungrouped); the recurrent "
    "product's input gradient at step 0 is skipped (h0 = 0)"
)

_TORCH_GAPS = (
    "FlopCounterMode reports 0 for nn.LSTM without proj_size on CPU (the oneDNN kernel is one fused op; with "
    "torch.backends.mkldnn.flags(enabled=False) it counts the per-step products dlcalc reports) and for the "
    "attention core when scaled_dot_product_attention runs the fused CPU flash kernel (need_weights=False or a "
    "TransformerEncoderLayer in eval mode); dlcalc counts the products, as FlopCounterMode does in train mode "
    "and for need_weights=True"
)


@dataclass
class Tensor:
    shape: tuple
    rf: tuple | None  # per spatial axis (r, j, start), or None
    grad: bool  # requires a gradient: some parameter lies upstream


@dataclass
class Row:
    index: int
    ancestors: tuple  # ids of the enclosing groups, outermost first
    text: str
    inp: tuple
    out: tuple
    params: int = 0
    buffers: int = 0
    macs: int = 0
    train_macs: int = 0  # forward + backward multiply-adds
    torchinfo_macs: int = 0
    torchinfo_params: int = 0
    torchinfo_outputs: int = 0
    rf: tuple | None = None


@dataclass
class GroupInfo:
    text: str
    inp: tuple
    out: tuple | None = None
    rf: tuple | None = None


def _rf_input(shape: tuple) -> tuple | None:
    return ((1, 1, 0),) * (len(shape) - 1) if len(shape) >= 2 else None


def _rf_step(rf, window) -> tuple | None:
    if rf is None or window is None or len(window) != len(rf):
        return None
    return tuple((r + (k - 1) * d * j, j * s, start - p * j) for (r, j, start), (k, s, d, p) in zip(rf, window))


def _rf_union(a, b) -> tuple | None:
    if a is None or b is None or len(a) != len(b):
        return None
    axes = []
    for (ra, ja, sa), (rb, jb, sb) in zip(a, b):
        start = min(sa, sb)
        axes.append((max(sa + ra, sb + rb) - start, max(ja, jb), start))
    return tuple(axes)


def rf_json(rf) -> dict | None:
    if rf is None:
        return None
    return {"r": [a[0] for a in rf], "j": [a[1] for a in rf], "start": [a[2] for a in rf]}


class _Walker:
    def __init__(self):
        self.rows: list[Row] = []
        self.groups: list[GroupInfo] = []
        self.saved: dict[str, Tensor] = {}

    def fail(self, text: str, message: str):
        raise DlcalcError(f"layer {len(self.rows) + 1} {excerpt(text)!r}: {message}")

    def row(self, text, x: Tensor, out: Tensor, ancestors, **counts) -> Tensor:
        if max(out.shape) > MAX_DIM:  # up, tconv, cat and flatten grow shapes; unbounded sizes cost time and memory
            self.fail(text, f"output {excerpt(shape_text(out.shape), 40)} has a size over the limit {MAX_DIM:,}")
        self.rows.append(Row(len(self.rows) + 1, ancestors, text, x.shape, out.shape, rf=out.rf, **counts))
        return out

    def items(self, items, x: Tensor, ancestors: tuple) -> Tensor:
        for item in items:
            x = self.item(item, x, ancestors)
        return x

    def item(self, item, x: Tensor, ancestors: tuple) -> Tensor:
        if isinstance(item, Layer):
            return self.layer(item, x, ancestors)
        if isinstance(item, Save):
            self.saved[item.name] = x
            return x
        if isinstance(item, Ref):
            return self.ref(item, x, ancestors)
        if isinstance(item, Repeat):  # not reached after expand(); kept for direct callers
            for _ in range(item.times):
                x = self.item(item.item, x, ancestors)
            return x
        return self.group(item, x, ancestors)

    def layer(self, layer: Layer, x: Tensor, ancestors) -> Tensor:
        text = layer.text
        try:
            out = ops.apply(layer, x.shape)
        except DlcalcError as err:
            self.fail(text, err.message)
        rf = x.rf if out.rf == "keep" else _rf_step(x.rf, out.rf)
        backward = out.bwd_always + (out.bwd_if_grad if x.grad else 0)
        torchinfo = {"torchinfo_macs": out.params if out.torchinfo_macs is None else out.torchinfo_macs,
                     "torchinfo_params": out.params if out.torchinfo_params is None else out.torchinfo_params,
                     "torchinfo_outputs": (prod(out.shape) if out.params else 0) if out.torchinfo_outputs is None
                     else out.torchinfo_outputs}
        return self.row(text, x, Tensor(out.shape, rf, x.grad or out.params > 0), ancestors, params=out.params,
                        buffers=out.buffers, macs=out.macs, train_macs=out.macs + backward, **torchinfo)

    def group(self, group: Group, x: Tensor, ancestors) -> Tensor:
        info = GroupInfo(excerpt(item_text(group)), x.shape)
        self.groups.append(info)
        inner = (*ancestors, len(self.groups) - 1)
        outs = [self.items(branch, x, inner) for branch in group.branches]
        if group.kind == "seq":
            y = outs[0]
        elif group.kind == "res":
            other = outs[1] if len(outs) == 2 else x
            if outs[0].shape != other.shape:
                self.fail(info.text, _res_mismatch(outs[0].shape, other.shape, len(outs) == 2))
            y = self.row("add", outs[0], Tensor(other.shape, _rf_union(outs[0].rf, other.rf), outs[0].grad or other.grad),
                         inner)
        else:
            y = self.concat(info.text, outs, inner)
        info.out, info.rf = y.shape, y.rf
        return y

    def concat(self, text: str, outs: list[Tensor], ancestors) -> Tensor:
        first = outs[0]
        for other in outs[1:]:
            if other.shape[1:] != first.shape[1:] or len(other.shape) != len(first.shape):
                shapes = " and ".join(shape_text(o.shape) for o in outs)
                self.fail(text, f"cat joins branches on channels; the other axes must agree, got {shapes}")
        rf = first.rf
        for other in outs[1:]:
            rf = _rf_union(rf, other.rf)
        shape = (sum(o.shape[0] for o in outs), *first.shape[1:])
        return self.row("cat", first, Tensor(shape, rf, any(o.grad for o in outs)), ancestors)

    def ref(self, ref: Ref, x: Tensor, ancestors) -> Tensor:
        text = item_text(ref)
        saved = self.saved.get(ref.name)
        if saved is None:
            known = f" (saved so far: {', '.join(sorted(self.saved))})" if self.saved else " (nothing saved yet)"
            self.fail(text, f"no tensor saved as {ref.name!r}{known}{closest(ref.name, self.saved)}")
        if ref.crop:
            saved = self.crop(text, saved, x)
        if ref.kind == "add":
            if saved.shape != x.shape:
                self.fail(text, f"add needs equal shapes, got {shape_text(x.shape)} and saved {shape_text(saved.shape)}")
            return self.row(text, x, Tensor(x.shape, _rf_union(x.rf, saved.rf), x.grad or saved.grad), ancestors)
        if saved.shape[1:] != x.shape[1:] or len(saved.shape) != len(x.shape):
            hint = "; add 'crop' to centre-crop the saved tensor" if len(saved.shape) == len(x.shape) else ""
            self.fail(text, f"cat joins on channels; the other axes must agree, got {shape_text(x.shape)} and saved "
                            f"{shape_text(saved.shape)}{hint}")
        shape = (x.shape[0] + saved.shape[0], *x.shape[1:])
        return self.row(text, x, Tensor(shape, _rf_union(x.rf, saved.rf), x.grad or saved.grad), ancestors)

    def crop(self, text: str, saved: Tensor, x: Tensor) -> Tensor:
        if len(saved.shape) != len(x.shape) or len(x.shape) < 2 or any(a < b for a, b in zip(saved.shape[1:], x.shape[1:])):
            self.fail(text, f"crop needs a saved tensor at least as large as the current one on every spatial axis, "
                            f"got saved {shape_text(saved.shape)} and current {shape_text(x.shape)}")
        offsets = [(a - b) // 2 for a, b in zip(saved.shape[1:], x.shape[1:])]  # torchvision's CenterCrop
        rf = None if saved.rf is None else tuple((r, j, start + o * j) for (r, j, start), o in zip(saved.rf, offsets))
        return Tensor((saved.shape[0], *x.shape[1:]), rf, saved.grad)


def _res_mismatch(f_shape, x_shape, projected: bool) -> str:
    if projected:
        return f"res adds f(x) of shape {shape_text(f_shape)} and g(x) of shape {shape_text(x_shape)}: they must agree"
    message = f"res adds f(x) of shape {shape_text(f_shape)} to x of shape {shape_text(x_shape)}"
    if len(f_shape) == len(x_shape) >= 2 and all(a % b == 0 for a, b in zip(x_shape[1:], f_shape[1:])):
        strides = {a // b for a, b in zip(x_shape[1:], f_shape[1:])}
        stride = f" s{strides.pop()}" if len(strides) == 1 and strides != {1} else ""
        message += f"; project the shortcut: res[... | conv {f_shape[0]} k1{stride} nobias, bn]"
    return message


# ---- summary -------------------------------------------------------------------------------


@dataclass
class Summary:
    spec: Spec
    input: tuple
    batch_size: int
    dtype: str
    convention: str
    train: bool
    rows: list
    groups: list

    def macs_of(self, row) -> int:
        return (row.torchinfo_macs if self.convention == "torchinfo" else row.macs) * self.batch_size

    @property
    def flops_per_mac(self) -> int:
        return 1 if self.convention == "fvcore" else 2

    def folded(self, depth: int | None = None) -> list[dict]:
        """One dict per row; groups deeper than ``depth`` fold into one row (as torchinfo's depth)."""
        out, seen = [], {}
        for row in self.rows:
            key = row.ancestors[depth - 1] if depth is not None and len(row.ancestors) >= depth else None
            if key is None:
                out.append(self._row_dict(row.index, row.text, row.inp, row.out, row.rf, [row]))
            elif key in seen:
                seen[key]["rows"].append(row)
            else:
                group = self.groups[key]
                seen[key] = self._row_dict(row.index, group.text, group.inp, group.out, group.rf, [row])
                out.append(seen[key])
        for entry in out:
            rows = entry.pop("rows")
            entry["params"] = sum(r.params for r in rows)
            entry["macs"] = sum(self.macs_of(r) for r in rows)
        return out

    @staticmethod
    def _row_dict(index, text, inp, out, rf, rows) -> dict:
        return {"index": index, "layer": text, "in": list(inp), "out": list(out), "rows": rows, "rf": rf_json(rf)}

    def totals(self) -> dict:
        size = DTYPE_BYTES[self.dtype]
        params = sum(r.params for r in self.rows)
        macs = sum(self.macs_of(r) for r in self.rows)
        totals = {"params": params, "buffers": sum(r.buffers for r in self.rows), "macs": macs,
                  "flops": self.flops_per_mac * macs}
        if self.train:
            totals["train_flops"] = self.flops_per_mac * self.batch_size * sum(r.train_macs for r in self.rows)
        totals["param_bytes"] = params * size
        if self.convention == "torchinfo":  # torchinfo: outputs of leaf layers with parameters, ×2 for gradients
            outputs = 2 * sum(r.torchinfo_outputs for r in self.rows)
            token_ids = self.rows and self.rows[0].text.startswith("embed ")
            totals["param_bytes"] = sum(r.torchinfo_params for r in self.rows) * size
            totals["input_bytes"] = prod(self.input) * self.batch_size * (8 if token_ids else size)  # ids: int64
            totals["activation_bytes"] = outputs * self.batch_size * size
            totals["total_bytes"] = totals["input_bytes"] + totals["activation_bytes"] + totals["param_bytes"]
        else:
            totals["activation_bytes"] = sum(prod(r.out) for r in self.rows) * self.batch_size * size
        return totals

    def conventions(self) -> dict:
        text = dict(_CONVENTION_TEXT)
        text["macs_flops"] = _MACS_TEXT[self.convention]
        if self.train:
            text["train_flops"] = _TRAIN_TEXT
        if self.convention == "torch":
            text["torch_gaps"] = _TORCH_GAPS
        if self.convention == "torchinfo":
            text["activation_bytes"] = ("torchinfo's 'Forward/backward pass size': outputs of leaf modules with "
                                        "parameters × 2 (for their gradients) × batch × dtype bytes (a "
                                        "TransformerEncoderLayer's linear1, linear2, norm1, norm2; nothing for "
                                        "nn.MultiheadAttention, which is not a leaf and whose out_proj is never "
                                        "called); param_bytes likewise counts leaf modules only, so attention "
                                        "weights are missing; total_bytes adds the input and the parameters "
                                        "('Estimated Total Size'); torchinfo's input size also adds the storage "
                                        "object's Python overhead (sys.getsizeof, about 64 B), which dlcalc omits")
        text["convention"] = self.convention
        return text

    def to_json(self, depth: int | None = None) -> dict:
        return {"input": list(self.input), "batch_size": self.batch_size, "dtype": self.dtype,
                "layers": self.folded(depth), "totals": self.totals(), "conventions": self.conventions()}

    def expanded_text(self) -> str:
        return spec_text(Spec(self.input, self.spec.items))


def load_spec(text: str) -> Spec:
    """Spec text, or '@preset' -> Spec (repeats expanded, bounded)."""
    stripped = text.strip()
    if stripped.startswith("@"):
        from dlcalc.net.presets import preset_text

        text = preset_text(stripped[1:])
    spec = parse(text)
    layer_count(spec.items)
    return Spec(spec.input, expand(spec.items))


def summarize(text: str, *, input_shape: str | None = None, batch_size: int = 1, dtype: str = "fp32",
              convention: str = "torch", train: bool = False) -> Summary:
    spec = load_spec(text)
    shape = parse_shape(input_shape, "--input") if input_shape is not None else spec.input
    if shape is None:
        raise DlcalcError("the spec has no input shape: start it with 'in SHAPE' (e.g. 'in 3x224x224') or give --input")
    if not 1 <= batch_size <= MAX_BATCH:
        raise DlcalcError(f"--batch-size must be between 1 and {MAX_BATCH:,}, got {batch_size}")
    if dtype not in DTYPE_BYTES:
        raise DlcalcError(f"--dtype must be one of {', '.join(DTYPE_BYTES)}, got {excerpt(dtype, 20)!r}")
    if convention not in CONVENTIONS:
        raise DlcalcError(f"--convention must be one of {', '.join(CONVENTIONS)}, got {excerpt(convention, 20)!r}")
    walker = _Walker()
    walker.items(spec.items, Tensor(shape, _rf_input(shape), False), ())
    return Summary(Spec(shape, spec.items), shape, batch_size, dtype, convention, train, walker.rows, walker.groups)
