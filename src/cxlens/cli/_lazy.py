"""Lazy command groups: a command's module (and the library it imports) is imported only when that command runs.

`cxlens --help` lists every command from `cxlens.cli._registry` (name, defining module, the first paragraph of its
help), without importing one command module; `cxlens nps ...` imports `cxlens.cli.metrics_cmds` and what it needs,
nothing else. The registry is generated from the commands themselves: after adding or renaming a command, or
changing the first paragraph of its help, run
`python -c 'from cxlens.cli._lazy import write_registry; write_registry()'` (a test fails until it is current).
Design: docs/architecture.md D37.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path
from difflib import get_close_matches
from typing import Any

import typer
import typer.main
import typer._click.exceptions
from typer import _click as click  # Typer's own copy of Click, which its commands and groups are built on
from typer.core import TyperCommand, TyperGroup

ROOT = "cxlens"
_TYPERS: dict[str, tuple[typer.Typer, str]] = {}  # group name -> (its Typer, the module that defines it)


def lazy_typer(name: str, module: str, **settings: Any) -> typer.Typer:
    """A Typer app whose Click group loads its commands on first use; `module` is the caller's `__name__`.

    `name` is the group's command name (`cxlens` for the root, `journey` for `cxlens journey`): the registry is keyed
    by it, so a sub-app must be added under the same name (`app.add_typer(journey_app, name="journey")`).
    """
    if name == ROOT:
        settings.setdefault("callback", _no_op)
    app = typer.Typer(name=name, cls=LazyGroup, **settings)
    _TYPERS[name] = (app, module)
    return app


def _no_op() -> None:
    # The root group's callback: Typer builds a group (not a single command) for an app with a callback even
    # while none of its commands is registered yet. Its help comes from `help=`, which takes precedence.
    return None


class _Listed(TyperCommand):
    """A command as the group's help lists it (name and first paragraph of help), before its module is imported."""


class LazyGroup(TyperGroup):
    """A Typer group whose sub-commands are named in the registry and imported when looked up.

    `get_command` imports the defining module and builds the Click command from what it registered, so callers
    (Click itself, tests walking the tree, `--help` of a command) see the real command with all its options. Only
    while the group prints its own help does it list the registry's names and help lines instead.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._listing = False

    @property
    def lazy(self) -> dict[str, tuple[str, str]]:
        """This group's registry: command name -> (module that defines it, first paragraph of its help)."""
        from cxlens.cli._registry import COMMANDS

        return COMMANDS.get(self.name or "", {})

    def list_commands(self, ctx: click.core.Context | None) -> list[str]:
        """Every command name, in the order the registry (and so `--help`) lists them."""
        names = list(self.lazy)
        return names + [n for n in self.commands if n not in self.lazy]

    def get_command(self, ctx: click.core.Context | None, cmd_name: str) -> click.core.Command | None:
        """The command named `cmd_name`, importing its module on first use; None when there is no such command."""
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name not in self.lazy:
            return None
        module, help_text = self.lazy[cmd_name]
        if self._listing:
            return _Listed(cmd_name, help=help_text)
        __import__(module)  # not importlib.import_module, so `python -X importtime` lists the command's module
        self.commands[cmd_name] = _build(self.name or "", cmd_name)
        return self.commands[cmd_name]

    def format_help(self, ctx: click.core.Context, formatter: click.formatting.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def resolve_command(self, ctx: click.core.Context, args: list[str]) -> tuple[str | None, click.core.Command | None, list[str]]:
        # TyperGroup suggests close names from the loaded commands only; suggest from every registered one.
        try:
            return self._click_resolve_command(ctx, args)
        except click.exceptions.UsageError as exc:
            matches = get_close_matches(args[0], self.list_commands(ctx)) if self.suggest_commands and args else []
            if matches:
                exc.message = f"{exc.message.rstrip('.')}. Did you mean {', '.join(repr(m) for m in matches)}?"
            raise


def _build(group: str, name: str) -> click.core.Command:
    """Build the Click command (or sub-group) `name` that group `group`'s Typer has registered."""
    root, _ = _TYPERS[ROOT]
    app, _ = _TYPERS[group]
    for info in app.registered_commands:
        if (info.name or typer.main.get_command_name(info.callback.__name__)) == name:  # type: ignore[union-attr]
            return typer.main.get_command_from_info(info, pretty_exceptions_short=root.pretty_exceptions_short,
                                                    rich_markup_mode=root.rich_markup_mode)
    for sub in app.registered_groups:
        if sub.name == name:
            return typer.main.get_group_from_info(sub, pretty_exceptions_short=root.pretty_exceptions_short,
                                                  suggest_commands=root.suggest_commands,
                                                  rich_markup_mode=root.rich_markup_mode)
    raise LookupError(f"the registry names {group} {name}, but its module did not register it: "
                      "rebuild cxlens/cli/_registry.py with cxlens.cli._lazy.write_registry()")


def all_commands(group: click.core.Command) -> dict[str, click.core.Command]:
    """Every sub-command of `group`, loaded (`{}` for a plain command): for walking the whole command tree."""
    if not isinstance(group, TyperGroup):
        return {}
    return {name: group.get_command(None, name) for name in group.list_commands(None)}  # type: ignore[misc, arg-type]


# Every module that defines commands, in the order `cxlens --help` lists their commands (sub-apps after commands).
MODULES = ["workspace_cmds", "load_cmds", "metrics_cmds", "text_cmds", "report_cmds", "demo_cmds", "journey_cmds",
           "journey_map_cmds", "journey_funnel_cmds", "journey_paths_cmds", "journey_steps_cmds", "journey_moments_cmds",
           "privacy_cmds", "value_cmds", "value_drivers_cmds", "value_survival_cmds", "value_scenario_cmds",
           "value_dataset_cmds", "value_risk_cmds", "people_cmds", "identity_cmds", "personas_cmds",
           "text_models_cmds", "rollup_cmds"]


def command_modules() -> list[str]:
    """The modules of `cxlens.cli` named `*_cmds`, which define commands (a test checks MODULES lists them all)."""
    import cxlens.cli

    return sorted(m.name for m in pkgutil.iter_modules(cxlens.cli.__path__) if m.name.endswith("_cmds"))


def build_registry() -> dict[str, dict[str, tuple[str, str]]]:
    """The registry as the command modules define it: group -> command -> (module, first paragraph of help)."""
    for module in MODULES:
        importlib.import_module(f"cxlens.cli.{module}")
    registry: dict[str, dict[str, tuple[str, str]]] = {}
    for group, (app, _) in _TYPERS.items():
        entries = registry.setdefault(group, {})
        for info in app.registered_commands:
            command = typer.main.get_command_from_info(info, pretty_exceptions_short=True, rich_markup_mode=None)
            entries[command.name or ""] = (info.callback.__module__, _first_paragraph(command))  # type: ignore[union-attr]
        for sub in app.registered_groups:
            # A plain Typer sub-app (`text`, `retention`) lives in the module that defines its commands.
            module = _TYPERS[sub.name][1] if sub.name in _TYPERS else sub.typer_instance.registered_commands[0].callback.__module__
            entries[sub.name] = (module, _first_paragraph(typer.main.get_group_from_info(
                sub, pretty_exceptions_short=True, suggest_commands=True, rich_markup_mode=None)))
    return registry


def _first_paragraph(command: click.core.Command) -> str:
    return inspect.cleandoc(command.short_help or command.help or "").split("\n\n")[0]


def registry_source(registry: dict[str, dict[str, tuple[str, str]]]) -> str:
    """The text of `cxlens/cli/_registry.py` for `registry`."""
    lines = ['"""Generated by cxlens.cli._lazy.write_registry() from the command modules: do not edit by hand."""', "",
             "COMMANDS: dict[str, dict[str, tuple[str, str]]] = {"]
    for group, entries in registry.items():
        lines.append(f"    {group!r}: {{")
        lines += [f"        {name!r}: ({module!r},\n            {help_text!r})," for name, (module, help_text) in entries.items()]
        lines.append("    },")
    return "\n".join([*lines, "}", ""])


def write_registry() -> Path:
    """Regenerate `cxlens/cli/_registry.py` from the command modules; returns its path."""
    target = Path(__file__).with_name("_registry.py")
    target.write_text(registry_source(build_registry()), encoding="utf-8")
    return target
