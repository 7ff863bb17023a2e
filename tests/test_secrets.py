"""Secrets and the redactor, on plain data."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from pytest_prodready.core.secrets import MASK, Redactor, Secret, SecretStore, load_dotenv

VALUE = "s3cr3t/va+lue&more"


def test_secret_is_masked_everywhere_but_reveal() -> None:
    s = Secret("api_token", "API_TOKEN", VALUE)
    assert str(s) == MASK
    assert VALUE not in repr(s)
    assert VALUE not in f"{s} {s!r} {s:>20}"
    assert s.reveal() == VALUE
    assert s.value == VALUE


def test_secret_refuses_pickle() -> None:
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(Secret("a", "A", VALUE))


def test_redactor_scrubs_raw_and_encoded_forms() -> None:
    r = Redactor()
    r.register("api_token", VALUE)
    text = f"raw {VALUE} url {VALUE.replace('/', '%2F').replace('+', '%2B').replace('&', '%26')}"
    scrubbed = r.scrub(text)
    assert VALUE not in scrubbed
    assert "%2F" not in scrubbed
    assert scrubbed.count("[masked:api_token]") == 2
    assert r.leaks(text) == ["api_token"]
    assert r.leaks(scrubbed) == []


def test_redactor_masks_longest_value_first() -> None:
    r = Redactor()
    r.register("short", "abcdef")
    r.register("long", "abcdef-ghijkl")
    assert r.scrub("x abcdef-ghijkl y abcdef") == "x [masked:long] y [masked:short]"


def test_empty_redactor_is_falsy_and_passes_text_through() -> None:
    r = Redactor()
    r.register("empty", "")
    assert not r
    assert r.scrub("anything") == "anything"


def test_store_resolves_from_sources_in_order() -> None:
    r = Redactor()
    store = SecretStore(
        "staging",
        {"token": "TOKEN", "password": "PASSWORD", "gone": "GONE"},
        [{"TOKEN": "from-env", "PASSWORD": ""}, {"TOKEN": "from-dotenv", "PASSWORD": "pw-dotenv"}],
        r,
    )
    assert store.resolved == ["token", "password"]
    assert store.missing == ["gone"]
    assert store.get("token").reveal() == "from-env"
    assert store.get("password").reveal() == "pw-dotenv"
    assert r.scrub("from-env pw-dotenv") == "[masked:token] [masked:password]"


def test_store_missing_secret_fails_with_names() -> None:
    store = SecretStore("staging", {"token": "STAGING_TOKEN"}, [{}], Redactor())
    with pytest.raises(pytest.fail.Exception) as excinfo:
        store.get("token")
    message = str(excinfo.value)
    assert "'token'" in message
    assert "STAGING_TOKEN" in message
    assert "'staging'" in message


def test_store_undeclared_secret_lists_declared() -> None:
    store = SecretStore("staging", {"token": "T"}, [{"T": "x" * 10}], Redactor())
    with pytest.raises(pytest.fail.Exception, match="declared: token"):
        store.get("tokn")


def test_dotenv_file(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text('# comment\nexport API_TOKEN="quoted value"\nEMPTY=\n')
    assert load_dotenv(path) == {"API_TOKEN": "quoted value", "EMPTY": ""}
    with pytest.raises(pytest.UsageError, match="does not exist"):
        load_dotenv(tmp_path / "missing.env")


def test_redactor_masks_pieces_of_long_secrets() -> None:
    redactor = Redactor()
    value = "sk_live_" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv"
    redactor.register("stripe", value)
    # pytest's shortened repr of a long string keeps its head and tail.
    shortened = f"assert '{value[:20]}...{value[-14:]}' == 'x'"
    assert redactor.scrub(shortened) == "assert '[masked:stripe]...[masked:stripe]' == 'x'"
    assert redactor.scrub("https://example.com/ and ordinary words") == (
        "https://example.com/ and ordinary words"
    )
    short = Redactor()
    short.register("pin", "hunter2-hunter2")  # under 20 characters: whole values only
    assert short.scrub("hunter2-hunt") == "hunter2-hunt"


def test_a_shortened_secret_in_an_assertion_leaves_no_piece_in_any_report(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    value = "tok-" + "Qv7Zr2Lp9Wx4" * 12
    monkeypatch.setenv("QA_LONG_TOKEN", value)
    (pytester.path / "prodready.toml").write_text(
        '[envs.qa]\nbase_url = "https://qa.test"\nsecrets = { token = "QA_LONG_TOKEN" }\n'
    )
    pytester.makepyfile(
        "def test_t(secret):\n    assert secret('token').reveal() == 'something else'\n"
    )
    result = pytester.runpytest(
        "--target-env", "qa", "--junitxml=out.xml", "--html=out.html", "--self-contained-html"
    )
    result.assert_outcomes(failed=1)
    texts = {
        "terminal": result.stdout.str() + result.stderr.str(),
        "junit": (pytester.path / "out.xml").read_text(),
        "html": (pytester.path / "out.html").read_text(),
    }
    assert "[masked:token]" in texts["terminal"]
    pieces = {value[i : i + 12] for i in range(len(value) - 11)}
    for where, text in texts.items():
        assert not [p for p in pieces if p in text], f"a piece of the secret is in the {where}"
