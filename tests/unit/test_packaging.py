"""What ships to Lambda is what the project pins: functions/requirements.txt agrees with pyproject."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROVIDED_BY_LAMBDA = {"boto3"}  # the Python runtime ships boto3
PROVIDED_BY_PACKAGING = {"chalice"}  # chalice package bundles its own runtime module


def _name(requirement: str) -> str:
    return requirement.split("==")[0].split("[")[0].strip().lower()


def test_lambda_requirements_pin_exactly_the_runtime_dependencies_of_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {
        _name(req): req.replace(" ", "")
        for req in project["dependencies"]
        if _name(req) not in PROVIDED_BY_LAMBDA | PROVIDED_BY_PACKAGING
    }
    shipped = {
        _name(line): line.strip().replace(" ", "")
        for line in (ROOT / "functions" / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    }
    assert shipped == runtime


def test_every_dependency_is_pinned_to_one_version() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    groups = [project["dependencies"], *project["optional-dependencies"].values()]
    loose = [req for group in groups for req in group if "==" not in req]
    assert loose == []


def test_the_chalice_config_is_the_top_level_chalice_json() -> None:
    config = ROOT / "functions" / ".chalice" / "config.json"
    assert config.is_symlink()
    assert config.resolve() == (ROOT / "chalice.json").resolve()


def _lambda_package_sources() -> dict[str, str]:
    """What `chalice package` ships of ours: app.py and chalicelib/ (plus the pinned requirements)."""
    functions = ROOT / "functions"
    files = [functions / "app.py", *sorted((functions / "chalicelib").rglob("*.py"))]
    return {str(path.relative_to(functions)): path.read_text() for path in files}


def test_the_lambda_package_holds_no_in_memory_adapter_and_loads_no_local_tooling() -> None:
    import ast

    twins = {
        node.name
        for node in ast.parse((ROOT / "devstack" / "memory.py").read_text()).body
        if isinstance(node, ast.ClassDef)
    }
    assert "MemoryBudgetStore" in twins  # the twins live with the local tooling
    shipped = _lambda_package_sources()
    assert "chalicelib/adapters/memory.py" not in shipped
    defined, imported = set(), set()
    for source in shipped.values():
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ClassDef):
                defined.add(node.name)
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
    assert defined & twins == set()
    assert imported & {"devstack", "tests", "bench", "infra"} == set()
