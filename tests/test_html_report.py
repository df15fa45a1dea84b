"""consult/explain --format html: one self-contained page, everything escaped, read in a real browser."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPO

from sourcing import knowledge
from sourcing.cli.html_report import consult_html
from sourcing.cli.main import cli
from sourcing.cli.render import advice_sections
from sourcing.expert import report as report_io

EXAMPLE = REPO / "examples" / "customer-support.yaml"
CHROMIUM = Path("/usr/bin/chromium")
HOSTILE = "<script>alert(1)</script>"


def invoke(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def consult_page(*args):
    done = invoke("consult", "--no-input", "--format", "html", *args)
    assert done.exit_code == 0, done.output
    return done.output


def expected_label():
    """The model the example's first comment line says it gives, e.g. '(expects: BPO)'."""
    return re.search(r"expects: ([^)]+)\)", EXAMPLE.read_text().splitlines()[0]).group(1)


@pytest.fixture(scope="module")
def page():
    return consult_page("--answers", str(EXAMPLE))


@pytest.fixture(scope="module")
def example_report(advisor):
    from sourcing.expert import answers as answers_io

    result = advisor.consult(answers_io.read(advisor.kb, str(EXAMPLE)))
    return report_io.build(result, advisor.kb, "0+test")


@pytest.fixture
def models_file(tmp_path):
    """models.yaml of a copy of the shipped knowledge base (at tmp_path/kb), to edit."""
    shutil.copytree(knowledge.directory(), tmp_path / "kb", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return tmp_path / "kb" / "models.yaml"


def svg(html):
    return re.search(r"<svg.*?</svg>", html, re.S).group(0)


def test_the_page_has_title_date_advice_sections_answers_and_fingerprint(page, example_report, kb):
    assert "<title>Sourcing recommendation</title>" in page and re.search(r'class="date">\d{4}-\d\d-\d\d<', page)
    assert example_report["advice"]["headline"] in page.replace("&#x27;", "'")
    headings = [h for h, _ in advice_sections(example_report, kb) if h != "headline"]
    for heading in headings + ["Fit scores", "Answers", "Explanation"]:
        assert f"<h2>{heading}</h2>" in page
    assert kb.fingerprint in page


def test_the_chart_has_a_bar_per_model_the_recommended_one_highlighted_and_vetoes_marked(page, example_report, kb):
    chart = svg(page)
    for model in kb.models:
        assert f">{model.label}</text>" in chart
    recommended = kb.model(example_report["recommendation"]["model"]).label
    assert f'class="recommended">{recommended}</text>' in chart
    assert chart.count(">vetoed</text>") == len(example_report["vetoes"]) > 0
    scoring = [f for f in example_report["trace"] if any(a["kind"] == "score" for a in f["asserted"])]
    assert chart.count("<rect") == sum(m["kind"] == "evidence" for m in scoring[0]["matched"]) > 0


def test_the_page_is_self_contained(page):
    assert not re.search(r"https?://|<script|<link|\ssrc=|@import|url\(", page)


def test_the_explanation_shows_each_sub_chain_once_and_links_to_it(page):
    assert "<details" in page and "<summary>" in page
    anchors = re.findall(r'<details id="(fact-\d+)"', page)
    assert len(anchors) == len(set(anchors))
    links = set(re.findall(r'href="#(fact-\d+)"', page))
    assert links and links <= set(anchors)


def test_unknown_answers_are_marked(kb):
    html = consult_page("--set", "need=process")
    assert html.count('<td class="unknown">unknown</td>') == len(kb.questions) - 1


def test_a_hostile_title_is_escaped():
    html = consult_page("--answers", str(EXAMPLE), "--title", HOSTILE)
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def _poison(value, key=None):
    """Every text of a report with markup appended, except the ids it links by."""
    if isinstance(value, dict):
        return {k: _poison(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_poison(v, key) for v in value]
    if isinstance(value, str) and key not in ("kind", "name", "from"):
        return value + HOSTILE
    return value


def test_every_text_of_the_report_is_escaped(example_report, kb):
    html = consult_html(_poison(example_report), kb, HOSTILE, HOSTILE, HOSTILE)
    assert "<script" not in html and html.count("&lt;script&gt;") > 20


def test_knowledge_file_text_is_escaped_in_the_chart(models_file):
    models_file.write_text(models_file.read_text().replace("label: BPO\n", f'label: "BPO {HOSTILE}"\n'))
    done = invoke(
        "--knowledge", str(models_file.parent), "consult", "--no-input", "--format", "html", "--answers", str(EXAMPLE)
    )
    assert done.exit_code == 0, done.output
    assert "<script" not in done.output and "&lt;script&gt;" in svg(done.output)


def test_explain_renders_a_record_and_refuses_one_of_another_knowledge_base(tmp_path, page, models_file):
    record = tmp_path / "record.json"
    assert invoke("consult", "--no-input", "--answers", str(EXAMPLE), "--audit", str(record)).exit_code == 0
    done = invoke("explain", str(record), "--format", "html")
    assert done.exit_code == 0, done.output
    assert svg(done.output) == svg(page) and "<details" in done.output
    models_file.write_text(models_file.read_text().replace("label: BPO\n", "label: Business process outsourcing\n"))
    refused = invoke("--knowledge", str(models_file.parent), "explain", str(record), "--format", "html")
    assert refused.exit_code == 2 and len(refused.output.strip().splitlines()) == 1, refused.output
    assert "another knowledge base" in refused.output


@pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="headless Chromium (/usr/bin/chromium) is not installed; "
    "'apt-get install chromium' to run the browser check",
)
def test_a_real_browser_shows_the_advice_and_the_chart(tmp_path, page):
    report = tmp_path / "report.html"
    report.write_text(page, encoding="utf-8")
    flags = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    dom = subprocess.run(flags + ["--dump-dom", report.as_uri()], capture_output=True, text=True, timeout=180).stdout
    assert re.search(rf"<strong>{re.escape(expected_label())} \(\w+\):", dom), dom[:500]
    assert "<svg" in dom and "</details>" in dom
    shot = tmp_path / "report.png"
    subprocess.run(
        flags + [f"--screenshot={shot}", "--window-size=1200,1600", report.as_uri()], capture_output=True, timeout=180
    )
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_an_undetermined_page_highlights_no_model():
    html = consult_page()
    assert 'class="headline undetermined"' in html and 'class="recommended"' not in svg(html)
    assert "<h2>Questions that would decide it</h2>" in html


def test_explain_conclusion_selects_what_the_page_explains(tmp_path):
    record = tmp_path / "record.json"
    messy = REPO / "examples" / "messy-claims.yaml"
    assert invoke("consult", "--no-input", "--answers", str(messy), "--audit", str(record)).exit_code == 0
    gaps = invoke("explain", str(record), "--format", "html", "--conclusion", "gaps").output
    everything = invoke("explain", str(record), "--format", "html").output
    roots = re.compile(r'<details id="fact-\d+" open><summary>(\w+)')
    assert set(roots.findall(gaps)) == {"gap"} and set(roots.findall(everything)) > {"gap"}
