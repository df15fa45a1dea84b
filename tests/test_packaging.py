"""Install-level promises: warning-free imports and builds, complete packages, and the installed command works."""

import configparser
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile

import pytest
from conftest import REPO

from sourcing.expert import Advisor, answers

# One worker runs this module: two builds at once in the same checkout race on the temporary
# sourcing-<version>/ and egg-info folders that setuptools writes there (setup.cfg: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("packaging")

SETUP = configparser.ConfigParser()
SETUP.read(REPO / "setup.cfg")
VERSION = SETUP["metadata"]["version"]
PACKAGES = ("cli", "expert", "knowledge", "package")  # installed as sourcing.cli, … and sourcing
SDIST_FOLDERS = PACKAGES + ("tests", "examples", "docs", "benchmarks")
SDIST_FILES = {"LICENSE", "README.md", "MANIFEST.in", "setup.cfg", "pyproject.toml", ".ci/run"}
WARNING = re.compile(r"(?i)warn(?:ing)?\b")  # 'warning:', 'DeprecationWarning', 'check.warn(', not 'warnings.yaml'
PIP_INDEX_NOTE = re.compile(r"Location '.*' is ignored")  # this machine's pip index settings, not the build
EXAMPLE = REPO / "examples" / "customer-support.yaml"


def run_python(code):
    return subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True)


def checkout_files(*folders):
    """The files under ``folders`` of the checkout, as relative POSIX paths, without byte-code caches."""
    return {
        path.relative_to(REPO).as_posix()
        for folder in folders
        for path in (REPO / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


def run(command, **options):
    done = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL, **options)
    if done.returncode != 0:  # the whole of stderr and the end of stdout, untruncated, to say why
        pytest.fail(
            f"{' '.join(command)} exited {done.returncode}\n--- stderr:\n{done.stderr}\n--- stdout (end):\n"
            f"{done.stdout[-4000:]}",
            pytrace=False,
        )
    return done


def _left_behind(folder, names):
    """What tools leave in a checkout (byte code anywhere; at the top: git, the venv, build output, caches)."""
    top = os.path.samefile(folder, REPO)
    return {
        name
        for name in names
        if name == "__pycache__"
        or top
        and (
            name in (".git", ".venv", "build", "dist", ".hypothesis")
            or name.endswith((".egg-info", "_cache"))
            or name.startswith("sourcing-")
        )
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(sdist, wheel, the build's output): the sdist built from a copy of the checkout, the wheel built from the
    sdist. The copy leaves out what builds and tools leave behind (the checkout's own egg-info and build
    folders, caches, the venv): setuptools writes its release tree beside them, and a CI build in the live
    checkout failed with a file of that tree gone ('No such file or directory: sourcing-0.1.0/cli/main.py')."""
    out = tmp_path_factory.mktemp("dist")
    source = tmp_path_factory.mktemp("checkout") / "sourcing"
    shutil.copytree(REPO, source, ignore=_left_behind, symlinks=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # else setuptools warns of it
    sdist = run([sys.executable, "-m", "build", "--sdist", "--outdir", str(out), str(source)], env=env)
    [archive] = out.glob("*.tar.gz")
    wheel = run([sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "-w", str(out), str(archive)], env=env)
    [wheel_file] = out.glob("*.whl")
    return archive, wheel_file, sdist.stdout + sdist.stderr + wheel.stdout + wheel.stderr


@pytest.fixture(scope="module")
def installed(built, tmp_path_factory):
    """The bin directory of a new virtual environment with the built wheel installed."""
    env = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", "--without-pip", str(env)])  # this pip installs into it: no ensurepip wait
    run([sys.executable, "-m", "pip", "--python", str(env / "bin" / "python"), "install", "--quiet", str(built[1])])
    return env / "bin"


def test_importing_the_packages_is_silent_and_does_not_load_experta():
    done = run_python(
        "import sys, sourcing.expert, sourcing.knowledge, sourcing.cli.main; assert 'experta' not in sys.modules"
    )
    assert done.returncode == 0 and done.stdout == "" and done.stderr == "", done.stderr


def test_a_consultation_under_warnings_as_errors():
    done = run_python(
        "from sourcing.expert import Advisor; print(Advisor().consult({'need': 'skills'}).recommendation)"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "staff_augmentation\n"


def test_browsing_commands_never_load_experta():
    for args in (["questions"], ["rules", "list"], ["rules", "show", "REC-001"], ["kb", "graph"]):
        code = (
            "import sys; from click.testing import CliRunner; from sourcing.cli.main import cli; "
            f"done = CliRunner().invoke(cli, {args!r}); assert done.exit_code == 0, done.output; "
            "assert 'experta' not in sys.modules"
        )
        done = run_python(code)
        assert done.returncode == 0, (args, done.stderr)


def test_the_version_constant_is_the_installed_version():
    from importlib.metadata import version

    from sourcing.cli.session import VERSION

    assert VERSION == version("sourcing")


def test_a_cold_start_imports_neither_pathlib_nor_hashlib_nor_tempfile(tmp_path):
    """Loading and caching the knowledge base needs none of them (each costs milliseconds of a start)."""
    code = (  # the command itself, not CliRunner (click.testing imports tempfile); an editable install's
        # import hook brings pathlib in before anything runs
        "import sys; before = set(sys.modules); from sourcing.cli.main import cli; "
        "cli.main(['consult', '--no-input', '--set', 'need=process', '--format', 'json'], standalone_mode=False); "
        "new = set(sys.modules) - before; "
        "sys.stderr.write(repr(sorted(m for m in ('pathlib', 'hashlib', 'tempfile', 'shutil') if m in new)))"
    )
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "XDG_CACHE_HOME": str(tmp_path)},
    )
    assert done.returncode == 0 and done.stderr == "[]" and done.stdout.startswith("{"), done.stderr
    assert any(tmp_path.rglob("kb-*.pickle"))  # it was a cold start: the cache was written


def test_a_command_imports_only_what_it_needs():
    checks = {
        ("--help",): ("experta", "yaml", "tabulate", "importlib.metadata", "sourcing.expert.loader"),
        ("consult", "--no-input", "--set", "need=process", "--format", "json"): (
            "tabulate",
            "importlib.metadata",
            "sourcing.cli.interactive",
            "sourcing.cli.files",
            "sourcing.expert.describe",
        ),
    }
    for args, unwanted in checks.items():
        code = (
            "import sys; from click.testing import CliRunner; from sourcing.cli.main import cli; "
            f"done = CliRunner().invoke(cli, {list(args)!r}); assert done.exit_code == 0, done.output; "
            f"print(sorted(m for m in {unwanted!r} if m in sys.modules))"
        )
        done = run_python(code)
        assert done.returncode == 0 and done.stdout == "[]\n", (args, done.stdout, done.stderr)


def test_building_prints_no_warning(built):
    warnings = [line for line in built[2].splitlines() if WARNING.search(line) and not PIP_INDEX_NOTE.search(line)]
    assert warnings == []


def test_the_sdist_holds_the_sources_tests_examples_docs_and_nothing_else(built):
    with tarfile.open(built[0]) as archive:
        names = {member.name for member in archive.getmembers() if member.isfile()}
    root = f"sourcing-{VERSION}/"
    generated = {name for name in names if name == root + "PKG-INFO" or name.startswith(root + "sourcing.egg-info/")}
    shipped = {name.removeprefix(root) for name in names - generated}
    assert shipped == checkout_files(*SDIST_FOLDERS) | SDIST_FILES
    assert {"tests/conftest.py", "tests/strategies.py", "tests/figures.py", "examples/customer-support.yaml"} <= shipped


def test_the_wheel_holds_the_packages_with_their_data_files_and_the_license(built):
    with zipfile.ZipFile(built[1]) as wheel:
        names = set(wheel.namelist())
        metadata = wheel.read(f"sourcing-{VERSION}.dist-info/METADATA").decode()
    info = f"sourcing-{VERSION}.dist-info/"
    installed_as = {path: "sourcing/" + path.removeprefix("package/") for path in checkout_files(*PACKAGES)}
    assert {name for name in names if not name.startswith(info)} == set(installed_as.values())
    assert {name.split("/")[0] for name in names if not name.startswith(info)} == {"sourcing"}
    assert info + "licenses/LICENSE" in names
    assert {"sourcing/knowledge/questions.yaml", "sourcing/knowledge/templates/rule.yaml.tmpl"} <= names
    assert "Requires-Python: >=3.10" in metadata and "Project-URL: Documentation" in metadata


def test_the_version_claims_are_what_ci_runs():
    minimum = re.fullmatch(r">=3\.(\d+)", SETUP["options"]["python_requires"]).group(1)
    claimed = re.findall(r"Python :: 3\.(\d+)", SETUP["metadata"]["classifiers"])
    assert min(claimed, key=int) == minimum and len(claimed) == len(set(claimed))
    assert set(claimed) == set(re.findall(r"\b3\.(\d+)\b", (REPO / ".ci" / "run").read_text()))


def test_the_installed_command_runs_from_the_installed_files(installed, tmp_path):
    where = run(
        [
            str(installed / "python"),
            "-c",
            "import sourcing.cli, sourcing.knowledge; print(sourcing.cli.__file__, sourcing.knowledge.__file__)",
        ],
        cwd=tmp_path,
    )
    assert str(REPO) not in where.stdout and str(installed.parent) in where.stdout
    assert run([str(installed / "sourcing"), "--version"], cwd=tmp_path).stdout == f"sourcing, version {VERSION}\n"


def test_the_installed_command_writes_a_rule_skeleton_from_its_template(installed, tmp_path):
    (tmp_path / "ext" / "rules").mkdir(parents=True)
    run([str(installed / "sourcing"), "kb", "new-rule", "ext/rules/50-mine.yaml", "--id", "MINE-001"], cwd=tmp_path)
    assert "id: MINE-001" in (tmp_path / "ext" / "rules" / "50-mine.yaml").read_text()


def test_the_installed_command_gives_the_checkouts_advice(installed, tmp_path):
    done = run(
        [str(installed / "sourcing"), "consult", "--answers", str(EXAMPLE), "--no-input", "--format", "json"],
        cwd=tmp_path,
    )
    advisor = Advisor()
    expected = advisor.consult(answers.read(advisor.kb, str(EXAMPLE))).recommendation
    assert json.loads(done.stdout)["recommendation"]["model"] == expected
