"""Core's messages in the desktop's words: core says how to declare a model with the command
line's options, the desktop says it with the import dialog's fields."""

from __future__ import annotations

# Core says how to declare with the command line's options; the desktop says it with the
# import dialog's fields. Phrases first, then the bare option names.
_PHRASES = (
    ("declare --task binary if", "import it again declared a binary classifier if"),
    ("add --task binary if", "declare it a binary classifier if"),
    ("declared with --task", "declared at import"),
    ("declared with --classes", "declared at import"),
    ("declared with --positive-class", "declared at import"),
    ("--task binary needs", "A binary classifier needs"),
    ("--task multiclass needs", "A multiclass classifier needs"),
    ("--classes names", "Class names lists"),
)


_FIELD_WORDS = {
    "--task": "Problem type",
    "--classes": "Class names",
    "--positive-class": "Positive class",
    "--threshold": "Threshold",
}


def in_dialog_words(message: str) -> str:
    """A message about the declaration options, naming the dialog's fields instead."""
    for cli_words, words in _PHRASES:
        message = message.replace(cli_words, words)
    for flag in sorted(_FIELD_WORDS, key=len, reverse=True):
        message = message.replace(f"{flag} ", f"{_FIELD_WORDS[flag]} ")
    return message
