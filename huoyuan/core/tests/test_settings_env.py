"""Settings come from the environment and fail loudly, naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_choice, env_dir, env_int, env_list, env_str

REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("1", True),
        ("true", True),
        (" TRUE ", True),
        ("Yes", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("No", False),
        ("off", False),
        ("", False),
    ],
)
def test_env_bool_reads_the_usual_spellings(monkeypatch, raw, value):
    monkeypatch.setenv("HUOYUAN_TEST_FLAG", raw)
    assert env_bool("HUOYUAN_TEST_FLAG", not value) is value


def test_env_bool_falls_back_to_the_default_when_unset(monkeypatch):
    monkeypatch.delenv("HUOYUAN_TEST_FLAG", raising=False)
    assert env_bool("HUOYUAN_TEST_FLAG", True) is True
    assert env_bool("HUOYUAN_TEST_FLAG", False) is False


@pytest.mark.parametrize("raw", ["maybe", "2", "tru", "y"])
def test_env_bool_refuses_anything_else_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv("HUOYUAN_TEST_FLAG", raw)
    with pytest.raises(ImproperlyConfigured) as caught:
        env_bool("HUOYUAN_TEST_FLAG", False)
    assert str(caught.value) == (
        f"HUOYUAN_TEST_FLAG={raw!r} is not a boolean; use 1/0, true/false, yes/no."
    )


def test_env_int_reads_whole_numbers_and_defaults(monkeypatch):
    monkeypatch.setenv("HUOYUAN_TEST_INT", "42")
    assert env_int("HUOYUAN_TEST_INT", 7) == 42
    monkeypatch.delenv("HUOYUAN_TEST_INT")
    assert env_int("HUOYUAN_TEST_INT", 7) == 7


@pytest.mark.parametrize("raw", ["", "ten", "1.5", "12MB"])
def test_env_int_refuses_non_numbers_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv("HUOYUAN_TEST_INT", raw)
    with pytest.raises(ImproperlyConfigured) as caught:
        env_int("HUOYUAN_TEST_INT", 7)
    assert str(caught.value) == f"HUOYUAN_TEST_INT={raw!r} is not a whole number."


def test_env_int_refuses_values_below_the_minimum(monkeypatch):
    monkeypatch.setenv("HUOYUAN_TEST_INT", "0")
    with pytest.raises(ImproperlyConfigured) as caught:
        env_int("HUOYUAN_TEST_INT", 5, minimum=1)
    assert str(caught.value) == "HUOYUAN_TEST_INT=0 must be at least 1."
    monkeypatch.setenv("HUOYUAN_TEST_INT", "1")
    assert env_int("HUOYUAN_TEST_INT", 5, minimum=1) == 1


def test_env_choice_accepts_a_listed_value_and_refuses_others(monkeypatch):
    monkeypatch.setenv("HUOYUAN_TEST_CHOICE", "immediate")
    assert env_choice("HUOYUAN_TEST_CHOICE", "database", {"database", "immediate"}) == "immediate"
    monkeypatch.setenv("HUOYUAN_TEST_CHOICE", "celery")
    with pytest.raises(ImproperlyConfigured) as caught:
        env_choice("HUOYUAN_TEST_CHOICE", "database", {"database", "immediate"})
    assert str(caught.value) == (
        "HUOYUAN_TEST_CHOICE='celery' must be one of: database, immediate."
    )


def test_env_choice_uses_the_default_when_unset(monkeypatch):
    monkeypatch.delenv("HUOYUAN_TEST_CHOICE", raising=False)
    assert env_choice("HUOYUAN_TEST_CHOICE", "database", {"database"}) == "database"


def test_env_dir_resolves_a_folder_and_refuses_a_file(monkeypatch, tmp_path):
    monkeypatch.setenv("HUOYUAN_TEST_DIR", str(tmp_path / "sub" / ".." / "data"))
    assert env_dir("HUOYUAN_TEST_DIR", Path("/unused")) == tmp_path / "data"

    a_file = tmp_path / "not-a-dir"
    a_file.write_text("x")
    monkeypatch.setenv("HUOYUAN_TEST_DIR", str(a_file))
    with pytest.raises(ImproperlyConfigured) as caught:
        env_dir("HUOYUAN_TEST_DIR", Path("/unused"))
    assert str(caught.value) == f"HUOYUAN_TEST_DIR={a_file} exists and is not a directory."


def test_env_dir_uses_the_default_when_unset_or_empty(monkeypatch, tmp_path):
    monkeypatch.delenv("HUOYUAN_TEST_DIR", raising=False)
    assert env_dir("HUOYUAN_TEST_DIR", tmp_path) == tmp_path
    monkeypatch.setenv("HUOYUAN_TEST_DIR", "")
    assert env_dir("HUOYUAN_TEST_DIR", tmp_path) == tmp_path


def test_env_list_and_str(monkeypatch):
    monkeypatch.setenv("HUOYUAN_TEST_LIST", " a.example, ,b.example ,")
    assert env_list("HUOYUAN_TEST_LIST", ["x"]) == ["a.example", "b.example"]
    monkeypatch.delenv("HUOYUAN_TEST_LIST")
    assert env_list("HUOYUAN_TEST_LIST", ["x"]) == ["x"]
    monkeypatch.setenv("HUOYUAN_TEST_STR", "value")
    assert env_str("HUOYUAN_TEST_STR", "default") == "value"


# --- the real settings module, booted in a fresh interpreter -------------------------------------

BOOT = "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup()"


def boot(tmp_path, **variables):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HUOYUAN_", "DJANGO_")) and k not in ("DATABASE_URL", "REDIS_URL")
    }
    env["HUOYUAN_DATA_DIR"] = str(tmp_path)
    env.update(variables)
    return subprocess.run(  # noqa: S603 - our own interpreter and a fixed snippet
        [sys.executable, "-c", BOOT],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_demo_boots_with_no_settings_at_all(tmp_path):
    result = boot(tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "secret_key").exists()


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = boot(tmp_path, HUOYUAN_PRODUCTION="1")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "HUOYUAN_SECRET_KEY is required when HUOYUAN_PRODUCTION=1." in result.stderr
    assert not (tmp_path / "secret_key").exists()


def test_production_refuses_a_short_secret_key(tmp_path):
    result = boot(tmp_path, HUOYUAN_PRODUCTION="1", HUOYUAN_SECRET_KEY="short")
    assert result.returncode != 0
    assert "HUOYUAN_SECRET_KEY must be at least 50 characters." in result.stderr


def test_production_refuses_debug(tmp_path):
    result = boot(tmp_path, HUOYUAN_PRODUCTION="1", HUOYUAN_DEBUG="1", HUOYUAN_SECRET_KEY="k" * 60)
    assert result.returncode != 0
    assert "HUOYUAN_DEBUG must not be on when HUOYUAN_PRODUCTION=1." in result.stderr


def test_a_non_postgres_database_url_is_refused(tmp_path):
    result = boot(tmp_path, DATABASE_URL="mysql://x")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DATABASE_URL" in result.stderr


def test_a_typo_in_a_boolean_stops_the_boot_naming_the_variable(tmp_path):
    result = boot(tmp_path, HUOYUAN_PRODUCTION="ja")
    assert result.returncode != 0
    assert "HUOYUAN_PRODUCTION='ja' is not a boolean" in result.stderr


def test_an_unknown_tasks_backend_stops_the_boot(tmp_path):
    result = boot(tmp_path, HUOYUAN_TASKS_BACKEND="celery")
    assert result.returncode != 0
    assert "HUOYUAN_TASKS_BACKEND='celery' must be one of: database, immediate." in result.stderr


def test_a_data_dir_that_is_a_file_stops_the_boot(tmp_path):
    a_file = tmp_path / "data"
    a_file.write_text("x")
    result = boot(tmp_path, HUOYUAN_DATA_DIR=str(a_file))
    assert result.returncode != 0
    assert f"HUOYUAN_DATA_DIR={a_file} exists and is not a directory." in result.stderr


def test_a_sandbox_webhook_url_that_is_not_http_is_refused(tmp_path):
    result = boot(tmp_path, HUOYUAN_SANDBOX_WEBHOOK_URL="file:///etc/passwd")
    assert result.returncode != 0
    assert "HUOYUAN_SANDBOX_WEBHOOK_URL must start with http:// or https://." in result.stderr
