"""Errors a user can cause. Each carries one line that says what is wrong and what to do."""


class DockyardError(Exception):
    """An expected failure: shown as one line, exit code 1, no traceback."""

    exit_code = 1


class EngineUnavailable(DockyardError):
    """The Docker Engine does not answer."""


class ConfigError(DockyardError):
    """A configuration or input file is missing or malformed."""


class UnknownTarget(DockyardError):
    """A bake target or group that the bake file does not define."""


class CheckFailed(DockyardError):
    """One or more checks did not pass."""
