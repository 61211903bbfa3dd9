"""Error hierarchy.

Every error says *what* went wrong, *where* (file:line, record id or config key)
and *how to fix it*. The CLI maps each class to an exit code (see README).
"""
from __future__ import annotations


class MtError(Exception):
    """Base class of every error this package raises on purpose."""

    exit_code = 1

    def __init__(self, what: str, *, where: str | None = None, fix: str | None = None):
        self.what = what
        self.where = where
        self.fix = fix
        super().__init__(self.render())

    def render(self) -> str:
        msg = self.what
        if self.where:
            msg = f"{self.where}: {msg}"
        if self.fix:
            msg = f"{msg} -- fix: {self.fix}"
        return msg


class ConfigError(MtError):
    """The run configuration is invalid (unknown key, bad value, unknown engine name)."""

    exit_code = 2


class InputError(MtError):
    """An input file or line cannot be read (not UTF-8, binary, missing)."""

    exit_code = 3


class ModelError(MtError):
    """A model cannot be found, loaded or run."""

    exit_code = 4


class MissingExtraError(ConfigError):
    """An optional dependency (extra) is not installed."""

    def __init__(self, package: str, extra: str, purpose: str):
        super().__init__(
            f"{purpose} needs the optional package '{package}', which is not installed",
            fix=f"pip install 'mt[{extra}]'  (or: pip install {package})",
        )
        self.package = package
        self.extra = extra


class OutputError(MtError):
    """The output directory cannot be written."""

    exit_code = 5


class ServerError(MtError):
    """The review server cannot start (e.g. its port is in use)."""

    exit_code = 6
