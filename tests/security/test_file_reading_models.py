"""A model built only of allowed classes that reads files: a text vectoriser whose
``input`` is ``"filename"`` opens the path each row names when it predicts.

The hostile file is a real fitted pipeline saved by skops with its vectoriser switched
to ``input="filename"`` after fitting, as an attacker would ship it. Plain skops loads
it, and predicting on a row naming a private file reads that file. Baton refuses it on
``model add`` and on the engineer's ``review --reproduce`` before it predicts anything.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import skops.io as sio
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

pytest.register_assert_rewrite("tests.handover")  # before the import below

from tests.handover import Snapshot, error_line, run  # noqa: E402
from tests.hostile_skops import bundle_with_model  # noqa: E402

pytest_plugins = ["tests.handover"]  # its fixtures: handover, world, private_tmp

SECRET_WORD = "zanzibar"
TEXTS = ["good film", "bad film", "good plot", "bad plot", f"{SECRET_WORD} good", "dull bad"]
LABELS = [1, 0, 1, 0, 1, 0]


def _reading_pipeline(vectoriser) -> object:
    pipe = make_pipeline(ColumnTransformer([("words", vectoriser, "text")]), LogisticRegression())
    pipe.fit(pd.DataFrame({"text": TEXTS}), LABELS)
    pipe[0].transformers_[0][1].input = "filename"  # what an attacker ships
    return pipe


@pytest.fixture(params=[CountVectorizer, TfidfVectorizer], ids=lambda c: c.__name__)
def reading_model(request, tmp_path: Path) -> Path:
    path = tmp_path / "reviews.skops"
    sio.dump(_reading_pipeline(request.param()), path)
    return path


def test_plain_skops_builds_a_model_that_reads_the_files_rows_name(reading_model, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text(f"{SECRET_WORD} {SECRET_WORD} {SECRET_WORD}")
    model = sio.load(reading_model, trusted=sio.get_untrusted_types(file=reading_model))
    counts = model[0].transform(pd.DataFrame({"text": [str(secret)]}))
    vocabulary = model[0].transformers_[0][1].vocabulary_
    assert counts[0, vocabulary[SECRET_WORD]] > 0  # the file's words reached the model


def test_model_add_refuses_a_model_that_reads_files(reading_model, tmp_path):
    home = tmp_path / "home"
    result = run(home, "model", "add", reading_model)
    assert result.exit_code == 1
    vectoriser = "TfidfVectorizer" if "Tfidf" in result.stderr else "CountVectorizer"
    assert error_line(result) == (
        f"Error: reviews.skops holds {vectoriser}(input='filename'), which opens the files its input "
        "rows name; Baton runs no model that reads files (set input='content' and pass the text)"
    )
    assert "reviews" not in run(home, "model", "list").stdout


def test_reproduce_refuses_a_signed_bundle_whose_model_reads_files(world, tmp_path):
    hostile = tmp_path / "reviews.skops"
    sio.dump(_reading_pipeline(CountVectorizer()), hostile)
    bundle = bundle_with_model(world, hostile.read_bytes(), "reviews.baton")
    snap = Snapshot([world.mle], [], None)
    result = run(world.mle, "review", bundle, "--reproduce", "--budget", "0.05", "--json")
    assert result.exit_code == 1, result.output
    assert error_line(result).endswith(
        "holds CountVectorizer(input='filename'), which opens the files its input rows name; "
        "Baton runs no model that reads files (set input='content' and pass the text)"
    )
    snap.unchanged()


def test_verify_refuses_a_signed_bundle_whose_model_reads_files(world, tmp_path):
    hostile = tmp_path / "reviews.skops"
    sio.dump(_reading_pipeline(TfidfVectorizer()), hostile)
    bundle = bundle_with_model(world, hostile.read_bytes(), "reviews.baton")
    result = run(world.mle, "verify", bundle, "--json")
    assert result.exit_code == 1, result.output
    assert error_line(result) == (
        "Error: reviews.baton: model/model.skops: model.skops holds "
        "TfidfVectorizer(input='filename'), which opens the files its input rows name; Baton "
        "runs no model that reads files (set input='content' and pass the text)"
    )


def test_a_loaded_model_is_checked_too(tmp_path):
    """The object itself, after loading: a vectoriser deep in a pipeline is found."""
    from baton.core.data.allowlist import file_readers

    pipe = _reading_pipeline(CountVectorizer())
    assert file_readers(pipe) == ["CountVectorizer(input='filename')"]
    pipe[0].transformers_[0][1].input = "content"
    assert file_readers(pipe) == []
