"""Named registries of engines with lazy imports.

An entry is registered as ``"module.path:attribute"`` so that importing the
registry never imports heavy optional dependencies; the object is imported the
first time it is asked for.
"""
from __future__ import annotations

import importlib
from typing import Any, Generic, TypeVar

from .errors import ConfigError, MissingExtraError

T = TypeVar("T")

# optional import name -> extra that provides it
_EXTRAS = {
    "ctranslate2": "ct2",
    "ray": "ray",
    "starlette": "review",
    "uvicorn": "review",
    "jinja2": "review",
    "multipart": "review",
    "sentence_transformers": "embed",
}


class Registry(Generic[T]):
    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, str | T] = {}

    def register(self, name: str, target: str | T) -> None:
        """Register ``target`` (an object or a ``"module:attr"`` string) under ``name``."""
        self._entries[name] = target

    def names(self) -> list[str]:
        return sorted(self._entries)

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def get(self, name: str) -> T:
        if name not in self._entries:
            raise ConfigError(
                f"unknown {self.kind} '{name}'",
                fix=f"use one of: {', '.join(self.names())}",
            )
        target = self._entries[name]
        if isinstance(target, str):
            module_name, _, attr = target.partition(":")
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:  # an optional dependency is missing
                missing = (exc.name or "").split(".")[0]
                if missing in _EXTRAS:
                    raise MissingExtraError(missing, _EXTRAS[missing], f"{self.kind} '{name}'") from exc
                raise
            target = getattr(module, attr)
            self._entries[name] = target
        return target  # type: ignore[return-value]


def require(package: str, purpose: str) -> Any:
    """Import an optional package or fail with the exact ``pip install`` to run."""
    try:
        return importlib.import_module(package)
    except ModuleNotFoundError as exc:
        extra = _EXTRAS.get(package.split(".")[0], "all")
        raise MissingExtraError(package.split(".")[0], extra, purpose) from exc
