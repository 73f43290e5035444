"""Where each package lives. The installed import names carry the project's name, so they never
collide with another distribution's `shared` or `services`; the repository keeps its folders, which
read as the architecture (docs/platform.md):

- `shared/`      -> `ketnap` with `ketnap.platform` (what every service builds on) and
                    `ketnap.domain` (the admission rules, the calendar, the value types);
- `services/`    -> `ketnap.services` (one package per service);
- `operations/`  -> `ketnap.operations` (the operator's application: the `ketnap` command, the
                    stack, status, audit, bootstrap, the demo), above every service.

Everything else is in pyproject.toml.
"""

from setuptools import find_packages, setup

FOLDERS = {"ketnap": "shared", "ketnap.services": "services", "ketnap.operations": "operations"}

PACKAGE_DATA = {
    "ketnap.services.gateway.web": ["templates/*.html", "static/*.*", "static/swagger/*"],
    "ketnap.services.gateway.web.papers": ["*.docx"],
}
"""The web application's templates, its vendored scripts and styles and the printed papers' DOCX
template (docs/web.md), installed with
the code also by a non-editable install (tests/unit/gateway/test_web_package.py builds a wheel)."""

setup(
    package_dir=FOLDERS,
    packages=[f"{name}.{sub}" if sub else name for name, folder in FOLDERS.items() for sub in ["", *find_packages(folder)]],
    package_data=PACKAGE_DATA,
)
