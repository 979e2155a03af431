"""For every test folder (tests, rules/tests, benchmarks): loaded rule packs are kept in a folder of this run's own
(`accountrules.rulepack.stored`), never in the user's cache, and removed at the end; the commands the tests start
inherit it."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

_CACHE = tempfile.mkdtemp(prefix="accountrules-test-cache-")
os.environ["XDG_CACHE_HOME"] = _CACHE
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)
