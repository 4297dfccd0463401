"""The dependency order of the apps (the architecture notes), enforced on every Python
import of the package and every model named by label ("meetings.Meeting"): an app imports
only from the apps before it, and no view module imports another app's views (a getter
lives in the app's `access.py`, a page's helper beside it). Read from the source with
`ast`, so a lazy import inside a function counts too.

Templates too: no template of an app links (`{% url %}`) to the URL namespace of an app
after it, nor includes or extends an app's template after it. The pages that gather links
to every app (home, unit page, menu) are the portal's, the last app; the project's own
templates (chibo/templates: errors, login) sit above all, and the frame every page extends
(base.html, its links passed in by the portal's context processor) sits in lib, below all."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from django.template.loader import get_template
from django.urls import URLPattern, URLResolver, get_resolver

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
    "directives",
    "search",
    "notifications",
    "portal",
    "api",
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


# --- templates --------------------------------------------------------------------------

TOP = "project"  # chibo/templates and the project's own views: above every app
OUTSIDE = "outside"  # Django's and third parties' templates and views: below every app

# Template links that break the order, each with why it is left: (template, relative to the
# package, and the URL name or template it names). None today: an app that adds to a lower
# app's page does it through a panel (chibo.lib.panels, checked below), so a new entry needs
# a reason why a panel cannot do.
TEMPLATE_EXCEPTIONS: dict[tuple[str, str], str] = {}

TAG = re.compile(r"\{%\s*(url|include|extends)\s+(\S+)")
LITERAL = re.compile(r"""^(['"])([^'"]+)\1$""")


def rank(app: str) -> int:
    if app == OUTSIDE:
        return -1
    return ORDER.index(app) if app in ORDER else len(ORDER)


def app_of_path(path: Path) -> str:
    """The app a template file belongs to, by where it lies."""
    try:
        parts = path.resolve().relative_to(PACKAGE.resolve()).parts
    except ValueError:
        return OUTSIDE
    return parts[0] if parts[0] in ORDER else TOP


def app_of_module(module: str) -> str:
    parts = module.split(".")
    if parts[0] != "chibo":
        return OUTSIDE
    return parts[1] if len(parts) > 2 and parts[1] in ORDER else TOP


def url_apps() -> dict[str, str]:
    """Every URL name (namespaced as `{% url %}` takes it) with the app it belongs to: a
    namespace to the app whose URLconf it includes, a name outside any namespace to the
    app of its view."""
    names: dict[str, str] = {}

    def walk(resolver: URLResolver, namespaces: list[str], app: str | None) -> None:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                inner, inner_app = namespaces, app
                if pattern.namespace:
                    inner = [*namespaces, pattern.namespace]
                    module = getattr(pattern.urlconf_module, "__name__", "")
                    inner_app = app_of_module(module) if module else OUTSIDE
                walk(pattern, inner, inner_app)
            elif isinstance(pattern, URLPattern) and pattern.name:
                owner = app if app is not None else app_of_module(pattern.callback.__module__)
                names[":".join([*namespaces, pattern.name])] = owner

    walk(get_resolver(), [], None)
    return names


def template_app(name: str) -> str:
    """The app of the template that `name` loads (the loaders' order decides)."""
    return app_of_path(Path(get_template(name).origin.name))  # type: ignore[attr-defined]


def template_tags(text: str) -> Iterator[tuple[str, str, int]]:
    """Every `{% url %}`, `{% include %}` and `{% extends %}` with the name it takes ("" when
    not a literal: the check cannot follow a variable) and its line."""
    for match in TAG.finditer(text):
        literal = LITERAL.match(match.group(2))
        name = literal.group(2) if literal else ""
        yield match.group(1), name, text.count("\n", 0, match.start()) + 1


def template_files() -> Iterator[Path]:
    for path in sorted(PACKAGE.rglob("*")):
        in_templates = "templates" in path.relative_to(PACKAGE).parts
        if in_templates and path.is_file() and path.suffix in {".html", ".txt"}:
            yield path


def test_templates_link_only_to_the_apps_before_them() -> None:
    urls = url_apps()
    broken = []
    used = set()
    for path in template_files():
        app = app_of_path(path)
        where = str(path.relative_to(PACKAGE))
        for tag, name, line in template_tags(path.read_text()):
            if not name:
                broken.append(f"{where}:{line} {tag} takes a variable, which this cannot check")
                continue
            if tag == "url":
                assert name in urls, f"{where}:{line} names no URL: {name}"
                target = urls[name]
            else:
                target = template_app(name)
            if rank(target) > rank(app):
                if (where, name) in TEMPLATE_EXCEPTIONS:
                    used.add((where, name))
                    continue
                broken.append(f"{where}:{line} {tag} {name} ({target})")
    assert broken == [], "templates against the app order:\n" + "\n".join(broken)
    unused = set(TEMPLATE_EXCEPTIONS) - used
    assert unused == set(), f"exceptions no longer needed: {unused}"


def test_the_template_check_knows_where_each_url_and_template_belongs() -> None:
    """The map itself: a namespace to its app, a name outside any namespace to its view's
    app, a template to the folder it lies in."""
    urls = url_apps()
    assert urls["portal:unit"] == "portal"
    assert urls["orgs:unit_history"] == "orgs"
    assert urls["reports:dashboard"] == "reports"
    assert urls["two_factor"] == "orgs"  # chibo.orgs.twofactor, in the root URLconf
    assert urls["health"] == TOP
    assert urls["logout"] == TOP  # chibo.views.LogoutView (Clear-Site-Data), Django's below
    assert urls["admin:index"] == OUTSIDE
    assert template_app("base.html") == "lib"
    assert template_app("404.html") == TOP
    assert template_app("portal/unit.html") == "portal"
    assert template_app("admin/base.html") == OUTSIDE
    text = "{% extends 'base.html' %}\n{% url \"reports:dashboard\" unit.code %}{% include name %}"
    assert list(template_tags(text)) == [
        ("extends", "base.html", 1),
        ("url", "reports:dashboard", 2),
        ("include", "", 2),
    ]
    assert rank(urls["reports:dashboard"]) > rank("orgs") > rank(OUTSIDE)
    assert rank(TOP) > rank("portal")


# --- panels -----------------------------------------------------------------------------

SLOT = re.compile(r"\{%\s*panels\s+(\S+)")


def declared_slots() -> dict[str, str]:
    """Every slot a template declares (`{% panels "slot" object %}`), with its app."""
    slots: dict[str, str] = {}
    for path in template_files():
        for match in SLOT.finditer(path.read_text()):
            literal = LITERAL.match(match.group(1))
            where = path.relative_to(PACKAGE)
            assert literal, f"{where}: a slot is named by a literal, not {match.group(1)}"
            app = slots.setdefault(literal.group(2), app_of_path(path))
            assert app == app_of_path(path), f"{where}: slot {literal.group(2)} of two apps"
    return slots


def test_panels_come_from_the_apps_above_the_page_they_join() -> None:
    """Each slot of settings.CHIBO_PANELS is declared by a template; each panel registered
    there is of the slot's app or one after it, and its template is its own app's."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    slots = declared_slots()
    for slot, paths in settings.CHIBO_PANELS.items():
        assert slot in slots, f"no template declares the slot {slot}"
        for path in paths:
            panel = import_string(path)
            app = app_of(path)
            assert rank(app) >= rank(slots[slot]), f"{path} joins {slot} of an app after it"
            assert template_app(panel.template) == app, f"{path}: {panel.template}"
    assert {"meetings.meeting", "members.member.actions", "scoring.rules"} <= set(slots)


def test_test_files_import_no_other_test_file() -> None:
    """Test data comes from tests/factories.py (and the access matrix's cases from
    tests/access_cases.py), never from another test file: importing one runs its module-level
    set-up and ties the two files' fates together."""
    tests = Path(__file__).parent
    broken = []
    for path in sorted(tests.rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                if re.match(r"tests(\.[a-z_]+)*\.test_", name):
                    broken.append(f"{path.relative_to(tests.parent)}:{node.lineno} imports {name}")
    assert broken == [], "test files importing test files:\n" + "\n".join(broken)
