"""The common look as files: the layout templates and the local assets (stylesheets, script, icon) every
web page of the platform uses, whether a front-end built on :func:`gov_web.app.create_web_app` renders it or
identity's sign-in pages do (统一界面: one look across portal, workbench and sign-in)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
TEMPLATE_DIR = HERE / "templates"
STATIC_PATH = "/static/web"  # where a front-end serves STATIC_DIR


def environment(*template_dirs: Path, static_path: str = STATIC_PATH) -> Environment:
    """Templates from ``template_dirs`` first, then the common ones (``web/base.html``, ``web/forms.html``);
    ``static_path``: the address the browser loads the common assets from (behind a path prefix, e.g. the
    gateway's ``/api/identity``, it carries that prefix)."""
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(d) for d in (*template_dirs, TEMPLATE_DIR)]),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["web_static"] = static_path.rstrip("/")
    return env
