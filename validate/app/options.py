"""The options of a run, read from ``vcc validate``'s own argument parser.

The app and the JSON API take the command line's option names (``estimator``,
``missing``, ``group``, ``bootstrap``, ``seed``, ``mechanism``, ``lang``, ...)
and turn them into the command line's arguments. Nothing here lists the
options: they are read from :func:`validate.cli.build_parser`, so an option
added to ``vcc validate`` works in the app and the API without a change here,
and a value is checked by the same parser (with the same message) as on the
command line.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, fields

from instruments.errors import InputError

__all__ = [
    "RunOption",
    "run_options",
    "options_to_argv",
    "parse_run_argv",
    "check_options",
    "SERVER_OPTIONS",
    "FILE_OPTIONS",
]

#: Options the app sets itself: the data files, the model (an upload), where outputs go.
_APP_SET = {"help", "files", "model", "out", "force"}
#: Options the server decides (``vcc app --workers/--scheduler``), not a run's caller.
SERVER_OPTIONS = {"workers", "scheduler"}
#: Options whose value is a file: uploaded beside the data (``mapping``), never a path on the server.
FILE_OPTIONS = {"mapping"}


@dataclass(frozen=True)
class RunOption:
    """One option of ``vcc validate`` as the API names it.

    ``name`` is the long option without ``--`` (``direct-effects``); ``dest`` the
    parsed attribute (``direct_effects``); ``kind`` one of ``flag`` (true/false),
    ``list`` (repeatable, e.g. ``screen``) or ``value``.
    """

    name: str
    dest: str
    kind: str
    choices: tuple | None
    default: object
    help: str
    type_name: str


class _ParseError(Exception):
    pass


def _validate_parser() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """``vcc``'s parser and its ``validate`` subparser, both raising instead of exiting."""
    from validate.cli import build_parser

    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            sub = action.choices["validate"]
            break
    else:  # pragma: no cover - the CLI always has subcommands
        raise RuntimeError("vcc's parser has no 'validate' subcommand")

    def _raise(message: str):  # argparse would print the usage and exit; the app shows the message
        raise _ParseError(message)

    sub.error = _raise  # this parser instance only
    parser.error = _raise
    return parser, sub


def run_options() -> list[RunOption]:
    """Every option a caller may give a run, in the command line's order."""
    out = []
    for a in _validate_parser()[1]._actions:
        if a.dest in _APP_SET or a.dest in SERVER_OPTIONS or not a.option_strings:
            continue
        long = [s for s in a.option_strings if s.startswith("--")][0]
        if isinstance(a, argparse._StoreTrueAction):
            kind = "flag"
        elif isinstance(a, argparse._AppendAction):
            kind = "list"
        else:
            kind = "value"
        type_name = {int: "integer", float: "number"}.get(a.type, "string")
        if kind == "flag":
            type_name = "boolean"
        elif kind == "list":
            type_name = "array of strings"
        out.append(
            RunOption(
                long[2:],
                a.dest,
                kind,
                tuple(a.choices) if a.choices else None,
                a.default,
                (a.help or "").replace("%%", "%"),
                type_name,
            )
        )
    return out


def _by_name() -> dict[str, RunOption]:
    table = {}
    for o in run_options():
        table[o.name] = o
        table[o.name.replace("-", "_")] = o
        table[o.dest] = o
    return table


def options_to_argv(options: dict) -> list[str]:
    """``{"bootstrap": 100, "missing": "fiml", "direct-effects": true}`` -> command-line arguments.

    Raises
    ------
    InputError
        An unknown option name (listing the known ones), an option the server
        sets, or a value of the wrong kind; each message names the option.
    """
    if not isinstance(options, dict):
        raise InputError(f"options: expected a JSON object of option names and values, found {type(options).__name__}")
    table = _by_name()
    argv: list[str] = []
    for key, value in options.items():
        key = str(key)
        if key in SERVER_OPTIONS:
            raise InputError(f"options.{key}: is set when the server starts (vcc app --{key}), not per run")
        if key in FILE_OPTIONS:
            raise InputError(f"options.{key}: upload the file as the form field '{key}' instead of a path")
        opt = table.get(key)
        if opt is None:
            known = ", ".join(o.name for o in run_options())
            raise InputError(f"options.{key}: is not an option of vcc validate; expected one of: {known}")
        flag = "--" + opt.name
        if value is None:
            continue
        if opt.kind == "flag":
            if not isinstance(value, bool):
                raise InputError(f"options.{key}: {value!r} is not true or false")
            if value:
                argv.append(flag)
        elif opt.kind == "list":
            if isinstance(value, dict):
                value = [f"{k}={v}" for k, v in value.items()]
            elif isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
                raise InputError(f'options.{key}: expected a list of strings such as ["attention=drop"]')
            for v in value:
                argv.append(f"{flag}={v}")  # "=" keeps a value such as "-x" a value
        else:
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise InputError(f"options.{key}: {value!r} is not a {opt.type_name}")
            if isinstance(value, float) and opt.type_name == "integer":
                raise InputError(f"options.{key}: {value!r} is not a whole number")
            argv.append(f"{flag}={value}")
    return argv


def parse_run_argv(
    files: list[str], argv: list[str], *, model: str | None = None, out: str = "out", server: dict | None = None
) -> argparse.Namespace:
    """Parse ``vcc validate FILES ARGV`` with the command line's parser; its messages become InputError."""
    full = ["validate", *files]
    if model:
        full.append(f"--model={model}")
    for k, v in (server or {}).items():
        if v is not None:
            full.append(f"--{k}={v}")
    full += [*argv, f"--out={out}"]
    try:
        return _validate_parser()[0].parse_args(full)
    except _ParseError as exc:
        raise InputError(str(exc)) from None


def check_options(args: argparse.Namespace) -> None:
    """The checks ``vcc validate`` makes before reading data (:meth:`AnalysisOptions.check`, ``--screen``)."""
    from validate.pipeline import AnalysisOptions

    known = {f.name for f in fields(AnalysisOptions)} - {"screening", "progress"}
    opts = AnalysisOptions(**{k: v for k, v in vars(args).items() if k in known})
    opts.check()
    if getattr(args, "screen", None):
        from validate import cli

        to_options = getattr(cli, "_screening_options", None)  # else the run itself reports a bad --screen
        if to_options is not None:
            to_options(args.screen)
