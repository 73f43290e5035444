"""The web application's templates and vendored assets are installed with the code, also by a
non-editable install (a wheel), and are served with no internet."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[3]
WEB = "ketnap/services/gateway/web"


def test_a_wheel_carries_the_templates_and_the_vendored_assets(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPOSITORY)],
        check=True, capture_output=True, timeout=240,
    )
    (wheel,) = tmp_path.glob("ketnap-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("templates/base.html", "templates/_act_form.html", "static/ketnap.css", "static/htmx.min.js",
                   "static/swagger/swagger-ui-bundle.js", "static/swagger/swagger-ui.css", "static/swagger-init.js", "static/giay-to.css",
                   "papers/giay-to.docx"):
        assert f"{WEB}/{needed}" in names, needed
    sources = {p.relative_to(REPOSITORY / "services/gateway/web").as_posix() for p in (REPOSITORY / "services/gateway/web").rglob("*")
               if p.is_file() and p.parent.name in ("templates", "static", "swagger")}
    assert {f"{WEB}/{s}" for s in sources} <= names  # every template and asset, not only those listed


def test_no_page_or_asset_loads_anything_from_outside() -> None:
    for path in (REPOSITORY / "services/gateway/web/templates").glob("*.html"):
        text = path.read_text()
        assert "http://" not in text and "https://" not in text and "//cdn" not in text, path.name
