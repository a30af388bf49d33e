"""The command tree of ``ketenlink`` as plain data: commands, their options and arguments."""

from __future__ import annotations

from typing import Any


def command_tree(command: Any, name: str = "ketenlink") -> dict[str, Any]:
    """Every command under ``command`` with each parameter's spelling, kind and requiredness
    (typer vendors its own click classes, so they are read by their attributes)."""
    node: dict[str, Any] = {
        "name": name,
        "params": sorted(
            (
                {
                    "name": param.name,
                    "kind": param.param_type_name,
                    "opts": sorted(param.opts + param.secondary_opts),
                    "required": param.required,
                    "multiple": param.multiple,
                    "flag": bool(getattr(param, "is_flag", False)),
                }
                for param in command.params
                if param.name != "help"
            ),
            key=lambda param: str(param["name"]),
        ),
    }
    if hasattr(command, "commands"):
        node["commands"] = [
            command_tree(sub, sub_name) for sub_name, sub in sorted(command.commands.items())
        ]
    return node
