"""jsonschema, imported without the optional format checkers Baton never asserts.

When they are installed (other packages bring them along), ``jsonschema`` imports a
dozen optional modules as it is imported, to check formats such as ``iri`` or
``duration``; one of them, ``rfc3987_syntax``, compiles 38 grammars on import. Together
they cost 0.1-0.8 s of every command that reads a contract. Baton's schemas assert no
format of jsonschema's own (:mod:`baton.core.contract.validation` checks its date-times
itself, the other validators check none), so Baton imports jsonschema through this
module, with those modules held out (:func:`baton.core.lean_imports.held_out`) for the
length of that one import only: anything that imports them later gets them as usual.

    from baton.core.lean_jsonschema import jsonschema
"""

from __future__ import annotations

from baton.core.lean_imports import held_out

#: The modules jsonschema's ``_format`` tries, each inside ``suppress(ImportError)``.
OPTIONAL_FORMAT_MODULES = (
    "fqdn",
    "idna",
    "isoduration",
    "jsonpointer",
    "rfc3339_validator",
    "rfc3986_validator",
    "rfc3987",
    "rfc3987_syntax",
    "uri_template",
    "webcolors",
)

with held_out(OPTIONAL_FORMAT_MODULES):
    import jsonschema

__all__ = ["jsonschema"]
