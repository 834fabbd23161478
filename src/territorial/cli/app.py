"""The `territorial` command's application: its global options, the context every command runs in,
and how a command's problems become exit codes (2 for bad input, 1 for a fault of ours)."""

from __future__ import annotations

import functools
import getpass
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console, ConsoleDimensions
from rich.markup import escape
from typer.core import TyperGroup

from territorial.errors import BadInput
from territorial.io.output import check_writable
from territorial.services.assign import EXCEPTION_FILES
from territorial.services.context import Context
from territorial.services.unit_of_work import WorkspaceStore
from territorial.services.workspace import connect

# --mapping, the same on every command that reads accounts, reps or leads from a file.
MappingOption = Annotated[
    str | None,
    typer.Option(
        "--mapping",
        help="salesforce, hubspot, crm-sales-opportunities or a mapping YAML file: the files' columns "
        "and values are read as `import` reads them (a mapping file maps the files of its own entity).",
    ),
]

# The parameters that name a file a command writes, in every command.
OUTPUT_FILES = (
    "out",
    "summary",
    "report",
    "plan_out",
    "geojson",
    "unlocated_out",
    "rejects",
    "lorenz_out",
    "history_out",
    "accounts_out",
    "areas_out",
    "market_out",
    "owners_out",
)
# Folders a command writes named files into, by parameter name: those files are outputs too.
FOLDER_OUTPUTS = {"exceptions": EXCEPTION_FILES}
EXIT_INTERNAL = 1
EXIT_BAD_INPUT = 2
# A check the user asked for (--strict, a plan's checks) found something.
CHECK_FAILED = 3
ACTOR_VARIABLE = "TERRITORIAL_ACTOR"
# Tests fix the clock, so that what the workspace keeps (and `plan list` shows) is the same each run.
NOW_VARIABLE = "TERRITORIAL_NOW"

# Rich wraps at 80 columns when it writes to a file or a pipe; there the width is this, so a
# table keeps each row on one line in a log or `| less -S`. COLUMNS, when set, still wins.
PIPED_WIDTH = 10_000


class WideWhenPiped(Console):
    """A console as wide as the terminal, or, writing to a file or a pipe, as wide as a row."""

    def _size(self) -> ConsoleDimensions:
        size = Console.size.fget(self)  # type: ignore[attr-defined]
        if self._width is None and not self.is_terminal and not os.environ.get("COLUMNS"):
            return ConsoleDimensions(PIPED_WIDTH, size.height)
        return size  # type: ignore[no-any-return]

    size = property(_size, Console.size.fset)  # type: ignore[attr-defined]

    def on_broken_pipe(self) -> None:
        """The reader (`| head`) went away: rich would exit 1 (an internal error, to us); it is not
        an error of the command's, so the output stops there and the command ends as it would."""
        self.quiet = True
        raise BrokenPipeError


def console(stderr: bool = False) -> Console:
    """The console every command writes its tables and messages through."""
    return WideWhenPiped(stderr=stderr)


err = console(stderr=True)
P = ParamSpec("P")
T = TypeVar("T")


class GlobalOptionsGroup(TyperGroup):
    """The `territorial` command: its global options are taken after the command too
    (`territorial import accounts a.csv --database-url x.db`), as users write them."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer vendors its own click Context
        front: list[str] = []
        rest: list[str] = []
        position = 0
        while position < len(args):
            arg = args[position]
            name = arg.split("=", 1)[0]
            if arg == "--":
                rest += args[position:]
                break
            if name in GLOBAL_VALUED and "=" not in arg and position + 1 < len(args):
                front += args[position : position + 2]
                position += 2
                continue
            (front if name in GLOBAL_VALUED or arg in GLOBAL_FLAGS else rest).append(arg)
            position += 1
        return super().parse_args(ctx, front + rest)


GLOBAL_VALUED = ("--database-url", "--actor")
GLOBAL_FLAGS = ("--quiet", "-q")


class DefaultCommandGroup(TyperGroup):
    """A command group whose first command runs when the first argument names no command, so that
    `territorial route LEADS.csv` and `territorial route explain LEAD_ID` both read naturally.

    Run that way, the command has no name of its own on the command line, so its usage and errors
    read `territorial import [OPTIONS] ENTITY FILE`, not `territorial import file ...`."""

    _DEFAULT = "territorial.default_command"

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer vendors its own click Context
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = [next(iter(self.commands)), *args]
            ctx.meta[self._DEFAULT] = True
        return super().parse_args(ctx, args)

    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[str | None, Any, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if command is None or not ctx.meta.get(self._DEFAULT):
            return name, command, rest
        command.context_class = _UnnamedCommandContext
        return None, command, rest


class _UnnamedCommandContext(typer.Context):
    """The context of a group's default command run without its name: no space where it would be."""

    @property
    def command_path(self) -> str:
        return str(super().command_path).rstrip()


HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}
app = typer.Typer(
    cls=GlobalOptionsGroup,
    add_completion=False,
    no_args_is_help=True,
    help="Sales territory management.",
    context_settings=HELP_OPTIONS,
)


def group(name: str, help: str, default_command: bool = False, usage: str | None = None) -> typer.Typer:
    """A command group of `territorial` (`territorial NAME ...`); `usage` replaces `COMMAND [ARGS]...`
    in its help."""
    kind = DefaultCommandGroup if default_command else TyperGroup
    sub = typer.Typer(
        cls=kind,
        no_args_is_help=True,
        help=help,
        context_settings=HELP_OPTIONS,
        subcommand_metavar=usage,
    )
    app.add_typer(sub, name=name)
    return sub


def handled(body: Callable[P, T]) -> Callable[P, T]:
    """A command that reports bad input as `error: ...` with exit 2, and anything unexpected as an
    internal error with exit 1; never a traceback. Before it runs, its output files are checked
    (see `check_outputs`)."""

    @functools.wraps(body)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            check_outputs(kwargs)
            return body(*args, **kwargs)
        except BadInput as problem:
            err.quiet = False  # --quiet keeps errors
            err.print(f"[red]error:[/red] {escape(str(problem))}", highlight=False, soft_wrap=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except typer.Exit:
            raise
        except BrokenPipeError:
            # The reader (`| head`) went away: not an error of ours. Click would exit 1 for it.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(0) from None
        except Exception as unexpected:
            err.quiet = False
            err.print(
                f"[red]internal error:[/red] {type(unexpected).__name__}: {escape(str(unexpected))}",
                highlight=False,
            )
            raise typer.Exit(EXIT_INTERNAL) from None

    return run


@dataclass(frozen=True)
class Session:
    """The global options, kept on typer's context for the command that follows them."""

    database_url: str | None
    actor: str | None


@app.callback()
def global_options(
    ctx: typer.Context,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            # Not typer's envvar: the store reads TERRITORIAL_DATABASE_URL itself, so that an
            # error names the variable when the URL came from there.
            help="The workspace database: a SQLite file's path or sqlite:///file.db (default "
            "./territorial.db), or postgresql://user@host/db; else TERRITORIAL_DATABASE_URL.",
        ),
    ] = None,
    actor: Annotated[
        str | None,
        typer.Option(
            "--actor",
            envvar=ACTOR_VARIABLE,
            help="Who is doing this, kept with what the workspace stores (default: your user name).",
        ),
    ] = None,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="Print nothing on stderr but errors: no progress, no summaries."),
    ] = False,
    _version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Sales territory management."""
    err.quiet = quiet  # set on every run: tests run many commands in one process
    ctx.obj = Session(database_url, actor)


def _print_version(asked: bool) -> None:
    if asked:
        print(f"territorial {version('territorial')}")
        raise typer.Exit()


# `--out DIR` on `export` and `demo`, for one release: --out names a file on every other command.
DeprecatedOutFolder = Annotated[
    Path | None,
    typer.Option("--out", hidden=True, help="Deprecated: --out-dir. --out will name a file, as elsewhere."),
]


def out_folder(out_dir: Path | None, deprecated: Path | None, default: Path) -> Path:
    """The folder a command writes its files into: --out-dir, or the deprecated --out DIR (with a
    warning), or the default."""
    if deprecated is not None:
        if out_dir is not None:
            raise BadInput.at("give --out-dir only (--out DIR is its old name)", "--out")
        if str(deprecated) == "-" or deprecated.suffix:
            raise BadInput.at(
                f"this command writes several files: give a folder with --out-dir, not {deprecated}",
                "--out",
            )
        err.print(
            "[yellow]warning: --out DIR is deprecated here and will name a file, as on every other "
            f"command; use --out-dir {escape(str(deprecated))}[/yellow]"
        )
        return deprecated
    return out_dir if out_dir is not None else default


def check_outputs(options: dict[str, Any]) -> None:
    """Every command's output files, by the name of their parameter (OUTPUT_FILES), are checked
    before any work: writable, in a folder that exists, none the same file as another output or as
    any file the command reads (its other path options, and text options naming a file, such as
    `--plan ID|FILE`). One check for every command, so that no command can forget it. A folder a
    command writes into is a parameter named `out_dir`, made by the command itself."""
    outputs: list[str | Path | None] = [options.get(name) for name in OUTPUT_FILES]
    for name, files in FOLDER_OUTPUTS.items():
        folder = options.get(name)
        if folder is not None and Path(folder).is_dir():  # a new folder holds no input
            outputs += [Path(folder) / file for file in files]
    inputs: list[str | Path] = []
    for name, value in options.items():
        if name in OUTPUT_FILES or name in FOLDER_OUTPUTS or name in ("out_dir", "old_out"):
            continue
        for item in value if isinstance(value, list | tuple) else [value]:
            if isinstance(item, Path) or (isinstance(item, str) and item and os.path.isfile(item)):
                inputs.append(item)
    check_writable(*outputs, inputs=inputs)


def _session(ctx: typer.Context) -> Session:
    root = ctx.find_root()
    return root.obj if isinstance(root.obj, Session) else Session(None, None)


def workspace_of(ctx: typer.Context) -> WorkspaceStore:
    """The workspace the global options name, opened when the command first uses it."""
    return connect(_session(ctx).database_url)


def database_url_of(ctx: typer.Context) -> str | None:
    return _session(ctx).database_url


def context_of(ctx: typer.Context) -> Context:
    """The command line's context: its user (--actor, TERRITORIAL_ACTOR, else the OS user) as the
    workspace's admin, at the time TERRITORIAL_NOW fixes (ISO, for tests) or the clock's."""
    actor = _session(ctx).actor or getpass.getuser()
    fixed = os.environ.get(NOW_VARIABLE)
    if not fixed:
        return Context.admin(actor)
    try:
        now = datetime.fromisoformat(fixed.strip()).replace(microsecond=0)
    except ValueError:
        raise BadInput.at(f"expected a time as YYYY-MM-DDTHH:MM:SS, got {fixed!r}", NOW_VARIABLE) from None
    return Context.admin(actor, now)


def day_of(text: str | None, option: str) -> date | None:
    """A date option (YYYY-MM-DD), or None when it was not given."""
    try:
        return date.fromisoformat(text) if text is not None else None
    except ValueError:
        raise BadInput.at(f"expected a date as YYYY-MM-DD, got {text!r}", option) from None
