"""A package's public names imported on first use (PEP 562 module `__getattr__`), so importing one module of a
package does not import all of its siblings (architecture D37: `cxlens nps` skips phone-number parsing, erasure, ...).

Imports nothing of cxlens, so every package may use it.
"""

from __future__ import annotations

import sys
import types
from typing import Mapping


class _Package(types.ModuleType):
    """A package whose exported `name` is also a submodule's name (`cxlens.metrics.scorecard` is the function and
    the module): importing the submodule sets the package attribute to the module, so this keeps the exported
    object there, as an eager `from .scorecard import scorecard` in `__init__` did."""

    def __setattr__(self, name: str, value: object) -> None:
        if isinstance(value, types.ModuleType) and name in self.__dict__.get("_exported_over_submodule", ()):
            value = getattr(value, name)
        super().__setattr__(name, value)


def export_lazily(package: str, exports: Mapping[str, str]) -> None:
    """Give `package` (an imported package's `__name__`) the attributes `exports` names (public name -> submodule
    defining it, relative to the package), each imported the first time it is asked for."""
    module = sys.modules[package]

    def __getattr__(name: str) -> object:  # noqa: N807  (the hook Python looks up)
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        submodule = f"{package}.{exports[name]}"
        __import__(submodule)  # not importlib.import_module, which `python -X importtime` does not list
        value = getattr(sys.modules[submodule], name)
        setattr(module, name, value)
        return value

    module.__getattr__ = __getattr__  # type: ignore[method-assign]
    module.__dir__ = lambda: sorted(set(vars(module)) | set(exports))  # type: ignore[method-assign]
    shadowed = frozenset(name for name, submodule in exports.items() if name == submodule)
    if shadowed:
        module._exported_over_submodule = shadowed  # type: ignore[attr-defined]
        module.__class__ = _Package
