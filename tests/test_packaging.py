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


def test_browsing_commands_never_load_experta():
    for args in (["questions"], ["rules", "list"], ["rules", "show", "REC-001"], ["kb", "graph"]):
        code = ("import sys; from click.testing import CliRunner; from cli.main import cli; "
                f"done = CliRunner().invoke(cli, {args!r}); assert done.exit_code == 0, done.output; "
                "assert 'experta' not in sys.modules")
        done = run_python(code)
        assert done.returncode == 0, (args, done.stderr)


def test_the_rule_template_ships_with_the_package():
    import knowledge
    assert (knowledge.directory() / "templates" / "rule.yaml.tmpl").is_file()


def test_the_version_constant_is_the_installed_version():
    from importlib.metadata import version

    from cli.session import VERSION
    assert VERSION == version("sourcing")


def test_a_command_imports_only_what_it_needs():
    checks = {("--help",): ("experta", "yaml", "tabulate", "importlib.metadata", "expert.loader"),
              ("consult", "--no-input", "--set", "need=process", "--format", "json"):
                  ("tabulate", "importlib.metadata", "cli.interactive", "cli.files", "expert.describe")}
    for args, unwanted in checks.items():
        code = ("import sys; from click.testing import CliRunner; from cli.main import cli; "
                f"done = CliRunner().invoke(cli, {list(args)!r}); assert done.exit_code == 0, done.output; "
                f"print(sorted(m for m in {unwanted!r} if m in sys.modules))")
        done = run_python(code)
        assert done.returncode == 0 and done.stdout == "[]\n", (args, done.stdout, done.stderr)
