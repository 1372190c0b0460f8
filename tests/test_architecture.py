"""The dependency rule: domain <- engines <- service <- {api, web, cli}; store and interop import only domain.

Checked twice: import-linter's contracts in pyproject.toml (run here, so `make test` fails on a breach),
and a small AST walk that also forbids HTTP and CLI frameworks below the adapters and adapters importing
each other.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "ctexchange"

ALLOWED = {
    "domain": {"domain", "errors"},
    "engines": {"engines", "domain", "errors"},
    "store": {"store", "domain", "errors"},
    "interop": {"interop", "domain", "errors"},
    "service": {"service", "engines", "store", "interop", "domain", "errors", "settings"},
    "api": {"api", "service", "domain", "errors", "settings", "engines", ""},
    "cli": {"cli", "service", "domain", "errors", "settings", "engines", "api", ""},
}
FRAMEWORKS = {"fastapi", "starlette", "typer", "rich", "uvicorn", "click"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def _layer_files(layer: str) -> list[Path]:
    return sorted((SRC / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports(layer: str) -> None:
    """Each layer imports only the layers beneath it (the CLI may start the API server)."""
    for path in _layer_files(layer):
        for module in _imports(path):
            if module == "ctexchange" or module.startswith("ctexchange."):
                target = module.split(".")[1] if "." in module else ""
                assert target in ALLOWED[layer], f"{path.relative_to(SRC)} imports {module}"


@pytest.mark.parametrize("layer", ["domain", "engines", "store", "interop", "service"])
def test_no_frameworks_below_adapters(layer: str) -> None:
    """Nothing below the adapters imports FastAPI, Starlette, Typer, Click, Rich or uvicorn."""
    for path in _layer_files(layer):
        roots = {m.split(".")[0] for m in _imports(path)}
        assert not roots & FRAMEWORKS, f"{path.relative_to(SRC)} imports {roots & FRAMEWORKS}"


def test_only_the_cli_exits() -> None:
    """sys.exit appears only in the CLI."""
    for path in SRC.rglob("*.py"):
        if "cli" in path.relative_to(SRC).parts or path.name == "__main__.py":
            continue
        assert "sys.exit" not in path.read_text("utf-8"), path


def test_import_linter_contracts() -> None:
    """import-linter's layer and forbidden-module contracts hold."""
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe is not None, "import-linter is a test dependency: run make test"
    result = subprocess.run([exe], capture_output=True, text=True, check=False, cwd=SRC.parents[1])
    assert result.returncode == 0, result.stdout + result.stderr
