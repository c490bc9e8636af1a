"""The benchmark script's cache of demo databases (scripts/bench.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "scripts" / "bench.py"


def _bench():
    """scripts/bench.py as a module (its dataclasses need it in sys.modules)."""
    import sys

    if "reviewcli_bench" not in sys.modules:
        spec = importlib.util.spec_from_file_location("reviewcli_bench", BENCH)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    return sys.modules["reviewcli_bench"]


def test_cached_databases_are_named_after_the_code_that_built_them(tmp_path, monkeypatch):
    """A demo built by other code may hold other data: any change to reviewcli's Python
    source gives the cache another name, and nothing else does."""
    bench = _bench()
    package = tmp_path / "src" / "reviewcli"
    (package / "cli").mkdir(parents=True)
    (package / "demo.py").write_text("SIMULATED = 1000\n")
    (package / "cli" / "due.py").write_text("# the work list\n")
    monkeypatch.setattr(bench, "ROOT", tmp_path)
    first = bench.source_key()
    assert len(first) == 10 and first == bench.source_key()
    (package / "README.txt").write_text("not code")
    assert bench.source_key() == first
    (package / "cli" / "due.py").write_text("# the work list, changed\n")
    assert bench.source_key() != first


def test_the_real_key_covers_the_installed_source():
    bench = _bench()
    assert len(bench.source_key()) == 10
    assert (bench.ROOT / "src" / "reviewcli" / "demo.py").is_file()
