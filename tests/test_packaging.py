"""Install-level promises: warning-free imports, experta loaded only when a consultation runs."""
import subprocess
import sys


def run_python(code):
    return subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True)


def test_importing_the_packages_is_silent_and_does_not_load_experta():
    done = run_python("import sys, expert, knowledge, cli.main; assert 'experta' not in sys.modules")
    assert done.returncode == 0 and done.stdout == "" and done.stderr == "", done.stderr


def test_a_consultation_under_warnings_as_errors():
    done = run_python("from expert import Advisor; print(Advisor().consult({'need': 'skills'}).recommendation)")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "staff_augmentation\n"


def test_the_knowledge_files_ship_with_the_package():
    import knowledge
    names = {p.name for p in knowledge.directory().rglob("*.yaml")}
    assert {"questions.yaml", "models.yaml", "40-recommendation.yaml", "wrong-fit.yaml"} <= names
