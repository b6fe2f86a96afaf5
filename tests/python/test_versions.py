"""versions.json is the one record of runtime versions; everything else must agree with it.

Plain pytest (no Spark session): the pinned pyspark, the requirements/constraints files, the EMR
release default in the orchestrator config schema, the EMR release -> Spark mapping and the local
Java.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

REPO = Path(__file__).resolve().parents[2]
VERSIONS = json.loads((REPO / "versions.json").read_text(encoding="utf-8"))
REQUIREMENTS = REPO / "python" / "requirements.txt"
CONSTRAINTS = REPO / "python" / "constraints.txt"
CONFIG_SCHEMA = REPO / "orchestrator" / "src" / "config" / "schema.ts"

# Apache Spark in each Amazon EMR 7.x release (EMR Serverless shows the upstream version, EMR on EC2
# the same with an -amzn-N suffix). Sources, AWS docs:
#   https://docs.aws.amazon.com/emr/latest/EMR-Serverless-UserGuide/release-version-7100.html (and -700 .. -790)
#   https://docs.aws.amazon.com/emr/latest/ReleaseGuide/Spark-release-history.html
# Every row was read from its EMR Serverless release page except emr-7.2.0, whose page was not
# available when the table was written: its 3.5.1 is unconfirmed (it lies between emr-7.1.0's 3.5.0
# and emr-7.3.0's 3.5.1). Check it before ever pinning emr-7.2.0.
EMR_SPARK: Dict[str, str] = {
    "emr-7.0.0": "3.5.0",
    "emr-7.1.0": "3.5.0",
    "emr-7.2.0": "3.5.1",
    "emr-7.3.0": "3.5.1",
    "emr-7.4.0": "3.5.2",
    "emr-7.5.0": "3.5.2",
    "emr-7.6.0": "3.5.3",
    "emr-7.7.0": "3.5.3",
    "emr-7.8.0": "3.5.4",
    "emr-7.9.0": "3.5.5",
    "emr-7.10.0": "3.5.5",
}


def _version_tuple(v: str) -> Tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", v))


def _java_major(version_output: str) -> int:
    """Major Java version from `java -version` output ("1.8.0_x" is Java 8, "17.0.1" is 17)."""
    m = re.search(r'version "(\d+)(?:\.(\d+))?', version_output)
    assert m, f"cannot parse `java -version`: {version_output!r}"
    return int(m.group(2)) if m.group(1) == "1" else int(m.group(1))


def _canonical(name: str) -> str:
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(path: Path) -> List[Tuple[str, str, str]]:
    """(canonical name, version, raw line) of each requirement line; comments and blanks skipped."""
    out = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([A-Za-z0-9.+!_-]+)", line)
        out.append((_canonical(m.group(1)), m.group(2), raw) if m else ("", "", raw))
    return out


def test_versions_json_has_the_expected_keys() -> None:
    for key in ("spark", "emrReleaseLabel", "scala", "jobPython", "java"):
        assert key in VERSIONS, key
    assert re.fullmatch(r"\d+\.\d+\.\d+", VERSIONS["spark"])
    assert re.fullmatch(r"emr-\d+\.\d+\.\d+", VERSIONS["emrReleaseLabel"])


def test_installed_pyspark_is_the_pinned_spark() -> None:
    import pyspark

    assert pyspark.__version__ == VERSIONS["spark"]


def test_installed_pyspark_scala_matches() -> None:
    import pyspark

    jars = glob.glob(os.path.join(os.path.dirname(pyspark.__file__), "jars", "scala-library-*.jar"))
    assert jars, "pyspark ships no scala-library jar"
    scala = re.search(r"scala-library-(\d+\.\d+)\.", os.path.basename(jars[0]))
    assert scala and scala.group(1) == VERSIONS["scala"]


def test_requirements_pin_pyspark_to_versions_json() -> None:
    pins = {name: version for name, version, _ in _pins(REQUIREMENTS) if name}
    assert pins.get("pyspark") == VERSIONS["spark"], f"python/requirements.txt must pin pyspark=={VERSIONS['spark']}"


def test_every_requirement_is_pinned_and_matches_constraints() -> None:
    requirements = _pins(REQUIREMENTS)
    assert requirements, "python/requirements.txt is empty"
    unpinned = [raw for name, _, raw in requirements if not name]
    assert not unpinned, f"requirements must be exact pins (name==version): {unpinned}"
    constraints_list = _pins(CONSTRAINTS)
    bad = [raw for name, _, raw in constraints_list if not name]
    assert not bad, f"constraints must be exact pins: {bad}"
    constraints = {name: version for name, version, _ in constraints_list}
    assert len(constraints) == len(constraints_list), "python/constraints.txt pins a package twice"
    mismatched = [
        f"{name}=={version} (constraints: {constraints.get(name, 'absent')})"
        for name, version, _ in requirements
        if constraints.get(name) != version
    ]
    assert not mismatched, f"requirements.txt disagrees with constraints.txt: {mismatched}"


def test_config_schema_default_emr_release_is_versions_json() -> None:
    source = CONFIG_SCHEMA.read_text(encoding="utf-8")
    # `emrReleaseLabel: z.string()...default('emr-x.y.z')` and the object default `emrReleaseLabel: 'emr-x.y.z'`.
    chained = re.findall(r"emrReleaseLabel\s*:\s*z\b[^;]*?\.default\(\s*['\"`](emr-[^'\"`]+)['\"`]\s*\)", source, re.S)
    literal = re.findall(r"emrReleaseLabel\s*:\s*['\"`](emr-[^'\"`]+)['\"`]", source)
    found = chained + literal
    assert chained, "no `emrReleaseLabel: z....default('emr-...')` in orchestrator/src/config/schema.ts"
    assert set(found) == {VERSIONS["emrReleaseLabel"]}, f"schema.ts defaults {found} != versions.json {VERSIONS['emrReleaseLabel']}"


def test_emr_release_ships_the_pinned_spark() -> None:
    label = VERSIONS["emrReleaseLabel"]
    assert label in EMR_SPARK, f"{label} is not in the EMR 7.x -> Spark table of this test; add its row from the AWS docs"
    assert EMR_SPARK[label] == VERSIONS["spark"], f"{label} ships Spark {EMR_SPARK[label]}, versions.json says {VERSIONS['spark']}"


def test_emr_spark_table_is_monotonic() -> None:
    labels = sorted(EMR_SPARK, key=_version_tuple)
    sparks = [_version_tuple(EMR_SPARK[label]) for label in labels]
    assert sparks == sorted(sparks), "a later EMR release never ships an older Spark"


def test_java_is_at_least_versions_json() -> None:
    java = shutil.which("java")
    assert java, "java is not on PATH (Spark needs it)"
    proc = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    major = _java_major(proc.stderr + proc.stdout)
    assert major >= int(VERSIONS["java"]), f"Java {major} < versions.json java {VERSIONS['java']}"


@pytest.mark.parametrize("text,major", [('openjdk version "17.0.15" 2025-04-15', 17), ('java version "1.8.0_402"', 8), ('openjdk version "21" 2023-09-19', 21)])
def test_java_version_parsing(text: str, major: int) -> None:
    assert _java_major(text) == major
