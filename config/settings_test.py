"""Settings for the test suite: the real settings, with fast hashing and tasks run at once."""

import tempfile
from pathlib import Path

from config.settings import *  # noqa: F403

DATA_DIR = Path(tempfile.mkdtemp(prefix="huoyuan-test-"))
MEDIA_ROOT = DATA_DIR / "media"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher"
]  # speed only; never in production
TASKS = {
    "default": {
        "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default"],
    }
}
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
WHITENOISE_AUTOREFRESH = True
# Assertions read English messages; tests of the other languages switch explicitly.
LANGUAGE_CODE = "en"
# Query budgets pin the cost of a real render; the page cache has tests of its own.
PAGE_CACHE_SECONDS = 0
SANDBOX_CHAOS = False
# SQLite's test database is a file in WAL mode, as in production (one per xdist worker: DATA_DIR
# is per process). Django's default in-memory one is a shared cache whose table locks fail at
# once ("database table is locked") instead of waiting: threads cannot take turns on it.
if DATABASES["default"]["ENGINE"] == "huoyuan.core.sqlite":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}  # noqa: F405
