"""The dependency order of the apps (the architecture notes), enforced on every Python
import of the package and every model named by label ("meetings.Meeting"): an app imports
only from the apps before it, and no view module imports another app's views (a getter
lives in the app's `access.py`, a page's helper beside it). Read from the source with
`ast`, so a lazy import inside a function counts too. (Templates are not checked here:
the portal pages that link to every app still live in `orgs`.)"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import chibo

ORDER = [
    "lib",
    "orgs",
    "members",
    "meetings",
    "scoring",
    "supervision",
    "content",
    "development",
    "reports",
]
# May import anything: the seed and benchmark of the demo, and the project's own modules
# (settings, the top-level urls and views, which gather every app's pages).
ABOVE_ALL = {"demo", "settings", "urls", "views", "wsgi", "__main__", "__init__"}

# Imports that break the order today, each with why it is left. (importer, imported), both
# dotted module names. Keep this list short: a new entry needs a reason as good as these.
EXCEPTIONS: dict[tuple[str, str], str] = {}

PACKAGE = Path(chibo.__file__).parent


def modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if "migrations" in parts:
            continue
        yield ".".join(parts), path


def imports_of(module: str, path: Path) -> Iterator[tuple[str, int]]:
    """Every `chibo.…` module that `module` imports, with the line."""
    package = module.rsplit(".", 1)[0] if path.name != "__init__.py" else module
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("chibo."):
                    yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            if name == "chibo" or name.startswith("chibo."):
                # `from chibo.x import y` may name a module y: count it as chibo.x.y.
                for alias in node.names:
                    yield f"{name}.{alias.name}", node.lineno


LABEL = re.compile(r"^([a-z]+)\.[A-Z][A-Za-z]+$")


def model_labels_of(path: Path) -> Iterator[tuple[str, int]]:
    """Models named by label ("meetings.Meeting", in a relation): `chibo.meetings.…`."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            match = LABEL.match(node.value)
            if match and match.group(1) in ORDER:
                yield f"chibo.{match.group(1)}.models", node.lineno


def app_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def is_views(module: str) -> bool:
    return any(part.endswith("views") for part in module.split(".")[2:])


def test_apps_import_only_the_apps_before_them() -> None:
    broken = []
    used = set()
    for module, path in modules():
        app = app_of(module)
        if app in ABOVE_ALL or app not in ORDER:
            continue
        for imported, line in [*imports_of(module, path), *model_labels_of(path)]:
            other = app_of(imported)
            if other in ORDER and ORDER.index(other) > ORDER.index(app):
                target = _exception_for(module, imported)
                if target:
                    used.add(target)
                    continue
                broken.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {imported}")
    assert broken == [], "imports against the app order:\n" + "\n".join(broken)
    assert used == set(EXCEPTIONS), f"exceptions no longer needed: {set(EXCEPTIONS) - used}"


def _exception_for(module: str, imported: str) -> tuple[str, str] | None:
    for importer, target in EXCEPTIONS:
        if module == importer and (imported == target or imported.startswith(target + ".")):
            return importer, target
    return None


def test_no_view_module_imports_another_apps_views() -> None:
    broken = []
    for module, path in modules():
        if not is_views(module):
            continue
        for imported, line in imports_of(module, path):
            if is_views(imported) and app_of(imported) != app_of(module):
                broken.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {imported}")
    assert broken == [], "views importing another app's views:\n" + "\n".join(broken)


def test_the_checks_see_a_broken_import(tmp_path: Path) -> None:
    """The walk itself: an upward import and a foreign view import are recognised."""
    source = tmp_path / "views.py"
    source.write_text(
        "from chibo.reports.figures import build\n"
        "def f():\n"
        "    from chibo.meetings.views import meeting_detail\n"
    )
    found = [name for name, _line in imports_of("chibo.members.views", source)]
    assert found == ["chibo.reports.figures.build", "chibo.meetings.views.meeting_detail"]
    assert is_views("chibo.meetings.views.meeting_detail")
    assert is_views("chibo.scoring.classification_views")
    assert not is_views("chibo.meetings.access")
    assert ORDER.index(app_of(found[0])) > ORDER.index("members")
    models = tmp_path / "models.py"
    models.write_text('meeting = ForeignKey("meetings.Meeting", on_delete=CASCADE)\n')
    assert list(model_labels_of(models)) == [("chibo.meetings.models", 1)]
