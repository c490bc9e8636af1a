"""The built wheel ships everything an install needs: code, templates, the console script.

An editable install reads straight from the source tree, so a file left out of the
package only shows up once someone installs the wheel. This builds one from a copy of the
project (so nothing is written into the working tree) and looks inside.
"""

from __future__ import annotations

import configparser
import importlib
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    ".bench",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    "*.pyc",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    "*.db",
    "*.db-*",
)


def _can_build_without_isolation() -> bool:
    """True when this environment already has what pyproject.toml's build-system needs."""
    try:
        import setuptools
        from packaging.version import Version
    except ImportError:
        return False
    if Version(setuptools.__version__) < Version("68"):
        return False
    try:
        import setuptools.command.bdist_wheel  # noqa: F401  (setuptools >= 70.1)
    except ImportError:
        try:
            import wheel  # noqa: F401
        except ImportError:
            return False
    return True


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    project = tmp / "project"
    shutil.copytree(ROOT, project, ignore=IGNORE)
    out = tmp / "dist"
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(out), str(project)]
    if _can_build_without_isolation():
        command.insert(4, "--no-build-isolation")
    proc = subprocess.run(command, capture_output=True, text=True, cwd=tmp)
    if proc.returncode != 0:
        output = proc.stdout + proc.stderr
        if "--no-build-isolation" not in command and (
            "Could not find a version that satisfies the requirement setuptools" in output
        ):
            pytest.skip("no package index to fetch setuptools from for the build")
        pytest.fail(f"building the wheel failed:\n{output[-4000:]}")
    (built,) = out.glob("reviewcli-*.whl")
    with zipfile.ZipFile(built) as zf:
        yield zf


def test_wheel_has_the_console_script(wheel):
    (name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
    entry_points = configparser.ConfigParser()
    entry_points.read_string(wheel.read(name).decode())
    target = entry_points["console_scripts"]["reviewcli"].strip()
    module, _, attr = target.partition(":")
    assert module.split(".")[0] == "reviewcli" and attr, target
    # The module it names ships in the wheel, and holds a callable of that name.
    path = module.replace(".", "/")
    assert {f"{path}.py", f"{path}/__init__.py"} & set(wheel.namelist()), target
    assert callable(getattr(importlib.import_module(module), attr)), target


def test_wheel_has_every_module(wheel):
    names = set(wheel.namelist())
    source = ROOT / "src"
    modules = {
        p.relative_to(source).as_posix()
        for p in source.joinpath("reviewcli").rglob("*.py")
        if "__pycache__" not in p.parts
    }
    assert "reviewcli/__main__.py" in modules
    assert sorted(modules - names) == []


def test_wheel_has_the_templates(wheel):
    """The top-level templates/ folder ships inside the package as reviewcli.templates."""
    names = set(wheel.namelist())
    shipped = sorted(
        n for n in names if n.startswith("reviewcli/templates/") and not n.endswith(".py")
    )
    assert shipped, "no template files under reviewcli/templates/ in the wheel"
    folder = ROOT / "templates"
    if folder.is_dir():
        expected = {
            "reviewcli/templates/" + p.relative_to(folder).as_posix()
            for p in folder.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
        }
        assert sorted(expected - names) == [], "template files missing from the wheel"
