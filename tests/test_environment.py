"""pyproject.toml is the truth; environment.yml (for conda users) must list the same packages."""

import re
import tomllib

import yaml

from workbench.config import PROJECT_ROOT


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_lists_the_same_packages_as_pyproject():
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]}
    env = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    listed = {_name(d) for d in pip_section if not d.startswith("-e")}
    assert listed == wanted, (
        f"absents d'environment.yml : {sorted(wanted - listed)} ; "
        f"en trop : {sorted(listed - wanted)}"
    )
