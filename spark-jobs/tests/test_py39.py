"""The job package must run on the EMR job Python (versions.json "jobPython" = 3.9)."""

from __future__ import annotations

import ast
import glob
import json
import os
import shutil
import subprocess
import textwrap
import zipfile
from pathlib import Path
from typing import List, Optional

import pytest

SPARK_JOBS = Path(__file__).resolve().parents[1]
PACKAGE = SPARK_JOBS / "openpayments_jobs"
REPO = SPARK_JOBS.parent
SOURCES = sorted(PACKAGE.rglob("*.py"))

# Library names that appeared after 3.9 (a small, deliberate list of the likely ones).
NEWER_TYPING = {
    "TypeAlias", "ParamSpec", "Concatenate", "TypeGuard", "Self", "LiteralString", "Never",
    "Required", "NotRequired", "Unpack", "TypeVarTuple", "assert_never", "assert_type", "reveal_type",
    "override", "dataclass_transform",
}  # fmt: skip
NEWER_ATTRIBUTES = {"pairwise", "bit_count", "StrEnum", "TaskGroup", "UTC", "batched"}
NEWER_KEYWORDS = {("dataclass", "slots"), ("dataclass", "kw_only"), ("dataclass", "match_args"), ("zip", "strict")}
TYPE_NAMES = {"int", "str", "float", "bool", "bytes", "list", "dict", "tuple", "set", "frozenset", "type", "object"}


def test_package_has_sources() -> None:
    names = {p.name for p in SOURCES}
    assert {"__init__.py", "contract.py", "eras.py", "read.py"} <= names


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_parses_with_python_39_grammar(path: Path) -> None:
    ast.parse(path.read_text(encoding="utf-8"), filename=str(path), feature_version=(3, 9))


def _call_name(node: ast.Call) -> str:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def _annotation_nodes(tree: ast.AST) -> set:
    out = set()
    for node in ast.walk(tree):
        anns: List[Optional[ast.AST]] = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            a = node.args
            anns += [x.annotation for x in a.posonlyargs + a.args + a.kwonlyargs]
            anns += [a.vararg.annotation if a.vararg else None, a.kwarg.annotation if a.kwarg else None, node.returns]
        elif isinstance(node, ast.AnnAssign):
            anns.append(node.annotation)
        for ann in anns:
            if ann is not None:
                out.update(id(n) for n in ast.walk(ann))
    return out


def _is_typeish(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant) and node.value is None:
        return True
    if isinstance(node, ast.Name):
        return node.id in TYPE_NAMES or node.id[:1].isupper()
    if isinstance(node, ast.Subscript):
        return _is_typeish(node.value)
    if isinstance(node, ast.Attribute):
        return node.attr[:1].isupper()
    return False


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_310_plus_constructs(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    problems = []
    annotations = _annotation_nodes(tree)
    future = any(
        isinstance(n, ast.ImportFrom) and n.module == "__future__" and any(a.name == "annotations" for a in n.names)
        for n in tree.body
    )
    if annotations and not future:
        problems.append("annotations without `from __future__ import annotations` (3.9 evaluates them)")
    for node in ast.walk(tree):
        line = getattr(node, "lineno", "?")
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr) and id(node) not in annotations:
            if _is_typeish(node.left) or _is_typeish(node.right):
                problems.append(f"line {line}: `X | Y` type union evaluated at runtime (3.10+)")
        if isinstance(node, ast.Call):
            name = _call_name(node)
            for kw in node.keywords:
                if (name, kw.arg) in NEWER_KEYWORDS:
                    problems.append(f"line {line}: {name}({kw.arg}=...) is 3.10+")
        if isinstance(node, ast.ImportFrom) and node.module in ("typing", "typing_extensions"):
            newer = [a.name for a in node.names if a.name in NEWER_TYPING]
            if newer:
                problems.append(f"line {line}: typing.{', '.join(newer)} is 3.10+")
        if isinstance(node, ast.Attribute) and (node.attr in NEWER_ATTRIBUTES or node.attr in NEWER_TYPING):
            problems.append(f"line {line}: .{node.attr} is 3.10+")
        if isinstance(node, ast.ImportFrom) and node.module == "tomllib":
            problems.append(f"line {line}: tomllib is 3.11+")
    assert not problems, f"{path.name}: " + "; ".join(problems)


# --- a real 3.9 interpreter, when this machine has one ----------------------------------------


def _find_python39() -> Optional[str]:
    candidates = [os.environ.get("JOB_PYTHON"), shutil.which("python3.9"), "/usr/bin/python3.9", "/usr/local/bin/python3.9"]
    pyenv = shutil.which("pyenv")
    if pyenv:
        try:
            root = subprocess.run([pyenv, "root"], capture_output=True, text=True, timeout=20).stdout.strip()
            candidates += sorted(glob.glob(os.path.join(root, "versions", "3.9*", "bin", "python3.9")), reverse=True)
        except (OSError, subprocess.SubprocessError):
            pass
    for c in candidates:
        if not c or not os.path.exists(c):
            continue
        try:
            out = subprocess.run([c, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True, timeout=20)
        except (OSError, subprocess.SubprocessError):
            continue
        if out.returncode == 0 and out.stdout.strip() == "(3, 9)":
            return c
    return None


_PY39_CHECK = textwrap.dedent(
    """
    import json, sys
    zip_path, contract_path, sources = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    for src in sources:
        compile(open(src, encoding="utf-8").read(), src, "exec")   # read.py too (needs pyspark to import)
    sys.path.insert(0, zip_path)                                   # shipped as a zip: import from one
    import openpayments_jobs
    from openpayments_jobs.contract import load_contract
    from openpayments_jobs.eras import UnknownHeaderError, detect_era
    assert openpayments_jobs.__file__.startswith(zip_path), openpayments_jobs.__file__
    contract = load_contract(contract_path)
    n = 0
    for era in contract.iter_eras():
        assert detect_era(contract, [c.upper() for c in reversed(era.source_names)]).id == era.id
        try:
            detect_era(contract, list(era.source_names[1:]) + ["Bogus"], dataset=era.dataset)
        except UnknownHeaderError as e:
            assert e.closest_era is not None
        else:
            raise AssertionError("damaged header accepted")
        n += 1
    print(sys.version_info[:2], n)
    """
)


def test_imports_and_detects_under_python_39(contract_path: Path, tmp_path: Path) -> None:
    python39 = _find_python39()
    if python39 is None:
        pytest.skip("no Python 3.9 interpreter found (set JOB_PYTHON); the AST checks above still ran")
    bundle = tmp_path / "openpayments_jobs.zip"
    with zipfile.ZipFile(bundle, "w") as z:
        for src in SOURCES:
            z.write(src, src.relative_to(SPARK_JOBS).as_posix())
    proc = subprocess.run(
        [python39, "-I", "-c", _PY39_CHECK, str(bundle), str(contract_path), json.dumps([str(s) for s in SOURCES])],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("(3, 9)")


def test_pyproject_matches_package() -> None:
    import tomllib  # the test venv is 3.11; the package itself never imports tomllib

    import openpayments_jobs

    meta = tomllib.loads((SPARK_JOBS / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert meta["name"] == "openpayments-jobs"
    assert meta["version"] == openpayments_jobs.__version__
    assert meta["requires-python"] == ">=3.9"
    assert meta.get("dependencies", []) == []
    versions = json.loads((REPO / "versions.json").read_text(encoding="utf-8"))
    assert meta["requires-python"] == f">={versions['jobPython']}"
