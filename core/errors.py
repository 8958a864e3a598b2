"""Typed errors with messages a user can act on.

Every expected failure is a :class:`BatonError`. The command line prints ``str(err)`` as
one line and exits with ``err.exit_code``; the GUI shows the same text in a dialog or the
status bar. Exit codes follow DESIGN.md section 5: 1 a check failed, 2 usage, 3 intact but
the signer is not trusted or is revoked.
"""

from __future__ import annotations


class BatonError(Exception):
    """Base of every expected failure; ``exit_code`` is what the CLI returns."""

    exit_code = 1

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path

    def __str__(self) -> str:
        return self.message


class UsageError(BatonError):
    """The user asked for something that cannot be done as asked (exit code 2)."""

    exit_code = 2


class AlreadyInCatalog(UsageError):
    """A model the catalog already holds: the same bytes, read the same way (exit code 2).

    ``names`` are those models; importing it again would only make a second entry of one
    model.
    """

    def __init__(self, file_name: str, names: list[str]) -> None:
        self.names = list(names)
        listed = ", ".join(repr(n) for n in names)
        super().__init__(
            f"{file_name} is already in the catalog as {listed} (the same bytes); use that model"
        )


class CatalogError(BatonError):
    """The catalog database is damaged, locked too long or from a newer Baton."""


class NotFound(BatonError):
    """A model, dataset, key or bundle named by the user is not in the catalog."""

    exit_code = 2


class MissingFile(NotFound):
    """A file named by the user does not exist: exit code 2 in every command, whatever
    the file was meant to be (a model, a dataset, a key, a bundle)."""

    def __init__(self, path: object, message: str | None = None) -> None:
        super().__init__(message or f"{path}: no such file", path=str(path))


class DatasetError(BatonError):
    """A CSV or Parquet file cannot be used as a dataset."""


class FeatureMismatch(DatasetError):
    """A dataset's columns are not the model's input features: some are missing, or it has
    columns the model does not read. Features are matched by name, never by position."""


class ModelError(BatonError):
    """A model file cannot be loaded, introspected or run."""


class UnsafeInput(BatonError):
    """Input refused on security grounds (pickles, off-allowlist types, hostile ZIPs)."""


class RunnerError(ModelError):
    """The child process that runs a model failed; ``last_words`` is its stderr tail."""

    def __init__(self, message: str, *, last_words: str = "", path: str | None = None) -> None:
        super().__init__(message, path=path)
        self.last_words = last_words


class RunnerCrashed(RunnerError):
    """The child process died (exception, signal or exit)."""


class RunnerTimeout(RunnerError):
    """The child process did not finish within its time limit and was killed."""


class RunnerOutOfMemory(RunnerError):
    """The child process exceeded its memory limit."""


class Cancelled(BatonError):
    """The user cancelled long work."""


class ContractError(BatonError):
    """A contract or a target expression is invalid."""


class MalformedExpression(ContractError, UsageError):
    """A target expression or field path typed by the user cannot be read (exit code 2,
    as any usage error); still a :class:`ContractError` for those who catch that."""


class UnknownField(ContractError, NotFound):
    """A contract field or target named by the user is not there (exit code 2, as any
    unknown name); still a :class:`ContractError` for those who catch that."""


class VerificationError(BatonError):
    """A bundle or receipt failed a check: tampered, malformed or unsafe (exit code 1)."""


class UntrustedSigner(BatonError):
    """A bundle is intact but its signer is unknown or revoked (exit code 3)."""

    exit_code = 3


class KeyError_(BatonError):
    """A signing key is missing, unreadable or the passphrase is wrong."""


class ContractInvalid(ContractError):
    """A contract fails its schema or a consistency check; ``issues`` lists every problem."""

    def __init__(self, message: str, *, issues: tuple = (), path: str | None = None) -> None:
        super().__init__(message, path=path)
        self.issues = tuple(issues)
