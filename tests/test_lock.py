"""constraints.txt, the packages the Docker image installs (`make lock` writes it), cannot go stale silently: it pins
every runtime dependency of pyproject.toml, and the build backend, at a version pyproject allows, for the image's
Python; and what the pinned packages need in turn is pinned too, as far as this environment can tell."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import tomllib
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "constraints.txt"


def image_python() -> str:
    found = re.search(r"^FROM python:(\d+\.\d+)\.\d+", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert found, "the Dockerfile's base image names its exact Python version"
    return found[1]


def pins() -> dict[str, Version]:
    locked: dict[str, Version] = {}
    for line in LOCK.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, equals, version = line.partition("==")
        assert equals and re.fullmatch(r"[\w.+!-]+", version), f"not an exact pin: {line!r}"
        locked[canonicalize_name(name)] = Version(version)
    return locked


def applies(requirement: Requirement, extras: set[str]) -> bool:
    """Whether the requirement holds in the image (Linux, its Python) for a package installed with `extras`."""
    if requirement.marker is None:
        return True
    environment = {"python_version": image_python(), "sys_platform": "linux", "platform_system": "Linux"}
    return any(requirement.marker.evaluate({**environment, "extra": extra}) for extra in extras | {""})


def pyproject() -> dict[str, object]:
    return dict(tomllib.loads((ROOT / "pyproject.toml").read_text()))


def test_the_lock_is_for_the_images_python() -> None:
    assert f"for Python {image_python()} on Linux" in LOCK.read_text().splitlines()[0]


def test_every_runtime_dependency_and_the_build_backend_is_pinned_at_a_version_pyproject_allows() -> None:
    locked = pins()
    project = pyproject()
    wanted = [*project["project"]["dependencies"], *project["build-system"]["requires"]]  # type: ignore[index]
    for line in wanted:
        requirement = Requirement(line)
        if not applies(requirement, set()):
            continue
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{requirement.name} is not in constraints.txt: run `make lock`"
        assert requirement.specifier.contains(locked[name], prereleases=True), (
            f"constraints.txt pins {requirement.name}=={locked[name]}, pyproject.toml asks {requirement.specifier}: "
            "run `make lock`"
        )
    assert "lendgres" not in locked, "the project itself is built from the source, not pinned"


def test_what_the_pinned_packages_need_is_pinned_too() -> None:
    """Walks the dependencies from pyproject.toml through the metadata of the packages installed here, wherever
    the installed version is the pinned one (the image's `pip check` proves the rest when it is built)."""
    locked = pins()
    project = pyproject()
    queue = [Requirement(line) for line in project["project"]["dependencies"]]  # type: ignore[index]
    seen: set[tuple[str, frozenset[str]]] = set()
    walked = 0
    while queue:
        requirement = queue.pop()
        name = canonicalize_name(requirement.name)
        key = (name, frozenset(requirement.extras))
        if key in seen:
            continue
        seen.add(key)
        assert name in locked, f"{requirement} is needed but not in constraints.txt: run `make lock`"
        assert requirement.specifier.contains(locked[name], prereleases=True), f"{requirement} vs {locked[name]}"
        try:
            installed = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            continue
        if Version(installed.version) != locked[name]:
            continue
        walked += 1
        for needed in map(Requirement, installed.requires or []):
            if applies(needed, set(requirement.extras)):
                queue.append(needed)
    assert walked, "no pinned package is installed here at its pinned version: nothing was checked"
