"""Map the four top-level folders into the `cadencia` namespace (DESIGN.md: layout is fixed)."""

from pathlib import Path

from setuptools import find_packages, setup

ROOT = Path(__file__).parent
LAYERS = ("tools", "servers", "agents", "evals")

package_dir = {"cadencia": "src/cadencia"}
packages = ["cadencia"]
for layer in LAYERS:
    package_dir[f"cadencia.{layer}"] = layer
    packages.append(f"cadencia.{layer}")
    packages += [f"cadencia.{layer}.{sub}" for sub in find_packages(str(ROOT / layer))]

setup(
    package_dir=package_dir,
    packages=packages,
    # Folders without __init__.py (the inbox's templates and static files, the shipped eval suites) need their own
    # patterns.
    package_data={
        "": [
            *("*.yaml", "*.yml", "*.json", "*.html", "*.j2", "*.md", "*.css"),
            *("templates/*.j2", "static/*.css", "suites/*/*.yaml"),
        ]
    },
    include_package_data=True,
)
