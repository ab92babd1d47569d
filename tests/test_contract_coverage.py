"""Every public analysis function has a contract test (an AnalysisContract subclass, see
tests/contract.py) in some test module; functions are matched as objects, so re-exports count."""
import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import multiphoton.analysis

TESTS = Path(__file__).resolve().parent
MODULES = sorted(m.name for m in pkgutil.iter_modules(multiphoton.analysis.__path__)
                 if not m.name.startswith("_"))


def _public_functions(name):
    mod = importlib.import_module(f"multiphoton.analysis.{name}")
    return {n: getattr(mod, n) for n in getattr(mod, "__all__", ()) if inspect.isfunction(getattr(mod, n))}


def _contracted(path):
    """The function objects given as ``function = staticmethod(...)`` in the test file ``path``
    (evaluated against that file's own ``multiphoton`` imports)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))
               and all(a.name.startswith("multiphoton") for a in n.names if isinstance(n, ast.Import))
               and (not isinstance(n, ast.ImportFrom) or (n.module or "").startswith("multiphoton"))]
    namespace: dict = {}
    exec(compile(ast.Module(body=imports, type_ignores=[]), str(path), "exec"), namespace)  # noqa: S102
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["function"]
                and isinstance(node.value, ast.Call) and getattr(node.value.func, "id", "") == "staticmethod"):
            found.append(eval(compile(ast.Expression(node.value.args[0]), str(path), "eval"), namespace))  # noqa: S307
    return found


COVERED = [f for p in sorted(TESTS.glob("test_*.py")) for f in _contracted(p)]


@pytest.mark.parametrize("module", MODULES)
def test_every_public_function_inherits_the_contract(module):
    missing = sorted(n for n, f in _public_functions(module).items() if not any(f is g for g in COVERED))
    assert not missing, (f"multiphoton.analysis.{module}: no AnalysisContract subclass for {missing}; "
                         f"add one to tests/test_{module}.py")
