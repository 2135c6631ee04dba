"""Package discovery that pyproject.toml alone cannot express.

The top-level ``resources/`` folder ships inside the wheel as the package
``gateviz.resources`` (``package-dir`` in pyproject.toml). setuptools' automatic
``packages.find`` never looks at a folder that is mapped to another name, so the
list of packages is built here: every ``gateviz*`` package plus ``gateviz.resources``.
Everything else (metadata, dependencies, package data) lives in pyproject.toml.
"""

from setuptools import find_packages, setup

setup(packages=find_packages(include=["gateviz", "gateviz.*"]) + ["gateviz.resources"])
