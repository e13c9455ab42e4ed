"""Build hook: ship the repository's ``resources/`` and model manifest inside the package.

All metadata lives in pyproject.toml; this file only adds data that sits outside the
package folder. In a source checkout the app reads ``resources/`` and ``models/`` at the
repository root; a wheel carries copies as ``dis_annotator/_data/resources/**`` and
``dis_annotator/_data/models/{manifest.json,README.md}`` (see dis_annotator/resources.py
and docs/adr/0080-resource-location.md). Weights (``*.pth``) are never shipped.

Adding the files to ``build_py.data_files`` (rather than copying them by hand) makes the
sdist pick them up too, so ``python -m build`` (sdist, then wheel from the sdist) works.
"""

from __future__ import annotations

import os
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# (package name in the wheel, folder in the checkout, file patterns)
DATA = (
    ("dis_annotator._data.resources", "resources", ("**/*",)),
    ("dis_annotator._data.models", "models", ("manifest.json", "README.md")),
)
# Never ship these even if they sit in the data folders (weights, partial downloads, junk).
EXCLUDE_SUFFIXES = (".pth", ".pt", ".part", ".tmp", ".pyc")


def _files(src: str, patterns: tuple[str, ...]) -> list[str]:
    base = ROOT / src
    found: set[str] = set()
    for pattern in patterns:
        for path in base.glob(pattern):
            rel = path.relative_to(base)
            if (
                path.is_file()
                and not path.name.endswith(EXCLUDE_SUFFIXES)
                and not any(part.startswith(".") or part == "__pycache__" for part in rel.parts)
            ):
                found.add(rel.as_posix())
    return sorted(found)


class BuildPyWithData(build_py):
    """setuptools computes package data in two places (build, and the sdist manifest)."""

    def _extra(self) -> list[tuple[str, str, str, list[str]]]:
        out = []
        for package, src, patterns in DATA:
            files = _files(src, patterns)
            if files:
                out.append((package, src, os.path.join(self.build_lib, *package.split(".")), files))
        return out

    def _get_data_files(self):  # noqa: ANN202 - setuptools' own signature
        return [*super()._get_data_files(), *self._extra()]

    def get_data_files_without_manifest(self):  # noqa: ANN202
        return [*super().get_data_files_without_manifest(), *self._extra()]


if __name__ == "__main__":  # setuptools runs this file as __main__; tests import it
    setup(cmdclass={"build_py": BuildPyWithData})
