"""Output of the commands about the catalogue itself: list, info, errata, verify's proof records."""

from __future__ import annotations

import sys
from typing import Any, Callable

from dlcalc.render.output import dumps, is_terminal, write_stdout


def write_listing(entries: list[dict[str, str]], *, json_mode: bool) -> None:
    if json_mode:
        write_stdout(dumps(entries) + "\n")
    elif is_terminal(sys.stdout):
        from dlcalc.render.terminal import render_listing

        render_listing(entries)
    else:
        write_stdout("".join(f"{e['section']}\t{e['name']}\t{e['kind']}\t{e['summary']}\n" for e in entries))


def write_info(record: dict[str, Any], *, json_mode: bool) -> None:
    if json_mode:
        write_stdout(dumps(record) + "\n")
    elif is_terminal(sys.stdout):
        from dlcalc.render.terminal import render_text

        render_text(info_text(record))
    else:
        write_stdout(info_text(record) + "\n")


def info_text(record: dict[str, Any]) -> str:
    """`dlcalc info NAME` as plain text."""
    lines = [
        f"{record['name']}  (sheet §{record['section']}, {record['catalogue_id'] or record['kind']})",
        record["summary"],
        "",
        f"formula: {record['formula']}",
        f"latex:   {record['latex']}",
        "",
        "parameters:",
    ]
    for p in record["parameters"]:
        names = p["name"].upper() if p["positional"] else ", ".join("--" + n for n in [p["name"], *p["aliases"]])
        default = "required" if p["required"] else f"default {p['default']}"
        lines.append(f"  {names} {p['type']}  {p['help']} ({default})")
    lines += ["", "examples:"] + [f"  {e['command']}  ->  {e['output']}" for e in record["examples"]]
    if record["sheet_says"]:
        lines += ["", f"the sheet states it as: {record['sheet_says']}"]
    for erratum in record["errata"]:
        lines += [
            "",
            f"erratum {erratum['id']}: {erratum['title']}",
            f"  the sheet says: {erratum['sheet']}",
            f"  correct:        {erratum['correct']}",
        ]
    if record["notes"]:
        lines += ["", record["notes"]]
    return "\n".join(lines)


def write_errata(records: list[dict[str, str]], *, json_mode: bool) -> None:
    if json_mode:
        write_stdout("".join(dumps(record) + "\n" for record in records))
        return
    write_stdout("".join(
        f"{r['id']}  {r['title']}\n    sheet:   {r['sheet']}\n    correct: {r['correct']}\n    try:     {r['command']}\n"
        for r in records
    ))


def proof_line(record: dict[str, Any]) -> str:
    """One identity's verdict as `dlcalc verify` prints it in a pipe."""
    line = (f"{record['name']}  proven  {record['method']}" if record["proven"]
            else f"{record['name']}  failed  {record['method']}: {record['detail']}")
    sheet = record.get("sheet_version")
    if sheet is not None:
        verdict = "refuted" if sheet["refuted"] else "NOT refuted"
        line += f"; the sheet's version {verdict} ({sheet['detail']})"
    return line


def write_proof(record: dict[str, Any], *, json_mode: bool) -> None:
    write_stdout((dumps(record) if json_mode else proof_line(record)) + "\n")
    sys.stdout.flush()  # one line as soon as each identity is proven


def each_with_progress(items: list[Any], describe: Callable[[Any], str], work: Callable[[Any], Any]) -> list[Any]:
    """``work`` on each item in turn; a Rich progress bar is shown only when stdout is a terminal."""
    if not is_terminal(sys.stdout):
        return [work(item) for item in items]
    from rich.progress import Progress

    done = []
    with Progress(transient=True) as progress:
        task = progress.add_task("", total=len(items))
        for item in items:
            progress.update(task, description=describe(item))
            done.append(work(item))
            progress.advance(task)
    return done
