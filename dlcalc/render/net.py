"""Rendering of `dlcalc net`: the total (pipes), TSV, JSON, or a Rich table (terminals).

Works on the plain dict of ``Summary.to_json()`` so that it depends on core only.
"""

from __future__ import annotations

from typing import Any, TextIO

from dlcalc.render.output import dumps

TSV_COLUMNS = ("index", "layer", "in", "out", "params", "macs", "rf_r", "rf_j", "rf_start")


def _shape(values) -> str:
    return "x".join(map(str, values))


def _rf_cells(rf) -> list[str]:
    if rf is None:
        return ["", "", ""]
    return [_shape(rf["r"]), _shape(rf["j"]), _shape(rf["start"])]


def write_plain(summary: dict, out: TextIO) -> None:
    out.write(f"{summary['totals']['params']}\n")


def write_json(summary: dict, out: TextIO) -> None:
    out.write(dumps(summary) + "\n")


def write_tsv(summary: dict, out: TextIO) -> None:
    lines = ["\t".join(TSV_COLUMNS)]
    for row in summary["layers"]:
        cells = [row["index"], row["layer"], _shape(row["in"]), _shape(row["out"]), row["params"], row["macs"]]
        lines.append("\t".join(map(str, cells + _rf_cells(row["rf"]))))
    out.write("\n".join(lines) + "\n")


def _bytes(count: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= size:
            return f"{count:,} B ({count / size:.2f} {unit})"
    return f"{count:,} B"


def _rf_text(rf) -> str:
    if rf is None:
        return ""
    return f"{'×'.join(map(str, rf['r']))} /{'×'.join(map(str, rf['j']))}"


def totals_lines(summary: dict) -> list[str]:
    t = summary["totals"]
    lines = [f"parameters        {t['params']:,}   (buffers {t['buffers']:,})",
             f"MACs              {t['macs']:,}",
             f"FLOPs             {t['flops']:,}"]
    if "train_flops" in t:
        lines.append(f"train FLOPs       {t['train_flops']:,}   (forward + backward)")
    lines.append(f"parameter bytes   {_bytes(t['param_bytes'])}")
    lines.append(f"activation bytes  {_bytes(t['activation_bytes'])}")
    if "total_bytes" in t:
        lines.append(f"total bytes       {_bytes(t['total_bytes'])}   (torchinfo's estimated total size)")
    return lines


def write_terminal(summary: dict, title: str, out: TextIO) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in ("#", "layer", "out", "params", "MACs", "RF /jump"):
        table.add_column(column, justify="left" if column == "layer" else "right")
    for row in summary["layers"]:
        table.add_row(str(row["index"]), escape(row["layer"]), _shape(row["out"]), f"{row['params']:,}",
                      f"{row['macs']:,}", _rf_text(row["rf"]))
    console = Console(file=out, highlight=False)
    console.print(table)
    for line in totals_lines(summary):
        console.print(escape(line))
    console.print(f"[dim]batch {summary['batch_size']}, {summary['dtype']}, convention "
                  f"{summary['conventions']['convention']}; --json states every counting choice[/dim]")


def write_summary(summary: dict, *, mode: str, title: str, out: TextIO) -> Any:
    {"plain": lambda: write_plain(summary, out), "json": lambda: write_json(summary, out),
     "tsv": lambda: write_tsv(summary, out), "terminal": lambda: write_terminal(summary, title, out)}[mode]()
