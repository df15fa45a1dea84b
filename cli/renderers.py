"""Every renderer of every result type, registered with cli.output: the one place a format is added.

A command computes its result (most are the library's own objects; a few are the
small views below, which bundle what a renderer needs) and passes it to
``output.show``. Each function here turns one result type into one format; the
modules that do the heavy lifting (tabulate, HTML, the report layout) are
imported only when their format is asked for, so ``sourcing --help`` and
``--format json`` never load them. JSON documents come from the library's dict
builders and are serialised by ``output.to_json``.
"""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sourcing.cli.output import register, to_json
from sourcing.expert.record import Record

if TYPE_CHECKING:  # annotations only: importing these costs start-up time
    from sourcing.cli.render import Styler
    from sourcing.cli.session import Session
    from sourcing.expert.audit import Record as AuditRecord
    from sourcing.expert.graph import Graph
    from sourcing.expert.lint import Report as LintReport
    from sourcing.expert.model import KnowledgeBase, RuleSpec
    from sourcing.expert.portfolio import Summary
    from sourcing.expert.replay import Replay
    from sourcing.expert.scenarios import ScenarioReport
    from sourcing.expert.whynot import WhyNot


# -- the views: what a renderer needs beside the library's result ------------------------------------
# (Records: a view is made once per command; a named tuple costs a third of a millisecond to define,
# a dataclass more than a millisecond)


class Consultation(Record):
    """A consultation report (expert.report.build) with the knowledge base it was made with and the
    detail asked for."""

    report: dict
    kb: "KnowledgeBase"
    trace: bool = False
    explanation: bool = False
    title: str | None = None
    date: str = ""
    explained: Sequence[int] | None = None  # the facts the HTML page explains; None: every conclusion


class Explanation(Record):
    """The explanation of ``fact_ids`` (named on the command line by ``conclusion``) in an audit record."""

    record: "AuditRecord"
    source: str  # the record's path
    conclusion: str
    fact_ids: Sequence[int]
    session: "Session"

    def consultation(self, changes: bool) -> Consultation:
        """The record as a consultation report, worded by today's knowledge base (InputError unless the
        record was made with it); ``changes`` adds what would change the advice (a search: slower)."""
        from sourcing.expert import advice
        from sourcing.expert import report as reporting
        from sourcing.expert.errors import InputError

        kb, result = self.session.kb, self.record.result
        if self.record.fingerprint != kb.fingerprint:
            raise InputError(
                self.source,
                "made with another knowledge base, and the HTML report reads its "
                "wording from it; give that one with --knowledge/--kb, or use --format text",
            )
        found = advice.what_would_change(self.session.advisor, result) if changes else ()
        report = reporting.build(result, kb, self.record.data["tool"].get("version", "?"), found)
        explained = None if self.conclusion == "recommendation" else self.fact_ids
        return Consultation(report, kb, date=self.record.data["created"], explained=explained)

    def to_dict(self) -> dict:
        """The JSON document: the record's summary and the explanation trees."""
        from sourcing.expert import explain

        data, result = self.record.data, self.record.result
        return {
            "record": {
                "created": data["created"],
                "tool_version": data["tool"].get("version"),
                "fingerprint": self.record.fingerprint,
                "recommendation": result.recommendation,
                "answers": result.answers,
            },
            "explanations": explain.trees(explain.graph(result, self.record.titles), self.fact_ids),
        }


class WhyNotAnswer(Record):
    """A WHY-NOT analysis with the knowledge base that words it."""

    analysis: "WhyNot"
    kb: "KnowledgeBase"


class Replayed(Record):
    """A replay outcome with the record it replayed and that record's path."""

    outcome: "Replay"
    record: "AuditRecord"
    source: str


class Comparison(Record):
    """What expert.compare found between the cases, with the knowledge base and the date."""

    data: dict
    kb: "KnowledgeBase"
    date: str


class Assessment(Record):
    """A judged portfolio: the rows kept, the bad rows, the summary (for the formats that need every row)."""

    rows: list[Any]  # expert.portfolio.Assessed
    bad: list[Any]  # expert.portfolio.Bad
    summary: "Summary"
    kb: "KnowledgeBase"


class RuleList(Record):
    """Rules chosen from a knowledge base (``sourcing rules list``)."""

    rules: Sequence["RuleSpec"]


class Scenarios(Record):
    """The scenario runs of ``kb test`` with the knowledge base they ran on."""

    report: "ScenarioReport"
    kb: "KnowledgeBase"


# -- consultation: consult; explain --format html -----------------------------------------------------


@register("consultation", "text", default=True)
def _consultation_text(view: Consultation, style: "Styler") -> str:
    from sourcing.cli import render

    return render.text(view.report, view.kb, trace=view.trace, explanation=view.explanation, style=style)


@register("consultation", "json")
def _consultation_json(view: Consultation, style: "Styler") -> str:
    return to_json(view.report)


@register("consultation", "markdown")
def _consultation_markdown(view: Consultation, style: "Styler") -> str:
    from sourcing.cli import render

    return render.markdown(
        view.report, view.kb, trace=view.trace, explanation=view.explanation, title=view.title, date=view.date
    )


@register("consultation", "html")
def _consultation_html(view: Consultation, style: "Styler") -> str:
    from sourcing.cli.html_report import consult_html

    return consult_html(view.report, view.kb, view.title, view.date, view.kb.fingerprint, view.explained)


# -- explanation: explain ------------------------------------------------------------------------------


@register("explanation", "text", default=True)
def _explanation_text(view: Explanation, style: "Styler") -> str:
    from sourcing.cli import audit_render

    parts = [audit_render.record_heading(view.record, view.session.kb) + "\n"]
    if view.conclusion == "recommendation" and view.record.fingerprint == view.session.kb.fingerprint:
        summary = _consultation_text(view.consultation(changes=False), style)
        parts.append(summary.rsplit("\n\nDetails:", 1)[0] + "\n\n" + style("Explanation", "heading") + "\n")
    parts.append(audit_render.explanation_text(view.record.result, view.record.titles, view.fact_ids, style))
    if view.conclusion == "recommendation":
        parts.append("\n" + audit_render.conclusions_index(view.record.result))
    return "".join(parts)


@register("explanation", "json")
def _explanation_json(view: Explanation, style: "Styler") -> str:
    return to_json(view.to_dict())


@register("explanation", "dot")
def _explanation_dot(view: Explanation, style: "Styler") -> str:
    from sourcing.cli import dot
    from sourcing.expert import explain

    return dot.explanation(explain.graph(view.record.result, view.record.titles), view.fact_ids)


@register("explanation", "html")
def _explanation_html(view: Explanation, style: "Styler") -> str:
    return _consultation_html(view.consultation(changes=True), style)


# -- why-not, replay -----------------------------------------------------------------------------------


@register("why-not", "text", default=True)
def _why_not_text(view: WhyNotAnswer, style: "Styler") -> str:
    from sourcing.cli import audit_render

    return audit_render.why_not_text(view.analysis, view.kb, style)


@register("why-not", "json")
def _why_not_json(view: WhyNotAnswer, style: "Styler") -> str:
    from sourcing.expert import whynot

    return to_json(whynot.as_dict(view.analysis, view.kb))


@register("replay", "text", default=True)
def _replay_text(view: Replayed, style: "Styler") -> str:
    from sourcing.cli import audit_render

    return audit_render.replay_text(view.outcome, view.record, view.source)


@register("replay", "json")
def _replay_json(view: Replayed, style: "Styler") -> str:
    return to_json(view.outcome.to_dict())


# -- comparison: compare -------------------------------------------------------------------------------


@register("comparison", "text", default=True)
def _comparison_text(view: Comparison, style: "Styler") -> str:
    from sourcing.cli import text_render

    return text_render.comparison(view.data, view.kb, markdown=False, style=style)


@register("comparison", "markdown")
def _comparison_markdown(view: Comparison, style: "Styler") -> str:
    from sourcing.cli import text_render

    return text_render.comparison(view.data, view.kb, markdown=True)


@register("comparison", "json")
def _comparison_json(view: Comparison, style: "Styler") -> str:
    return to_json(view.data)


@register("comparison", "html")
def _comparison_html(view: Comparison, style: "Styler") -> str:
    from sourcing.cli.html_report import compare_html

    return compare_html(view.data, view.kb, view.date)


# -- assessment: assess (csv and jsonl are written chunk by chunk, by the workers) ------------------


@register("assessment", "table", default=True)
def _assessment_table(view: Assessment, style: "Styler") -> str:
    from sourcing.cli import assess

    return assess.table_text(view.rows, view.kb, "simple") + assess.summary_text(view.summary, view.kb, "simple")


@register("assessment", "csv", streamed=True)
def _assessment_csv(rows: list, header: bool = False) -> str:
    from sourcing.cli import assess

    return assess.csv_text(rows, header=header)


@register("assessment", "jsonl", streamed=True)
def _assessment_jsonl(rows: list, header: bool = False) -> str:
    """One line of JSON per row (no header line)."""
    from sourcing.expert import portfolio

    return "".join(portfolio.to_json(a.to_dict()) + "\n" for a in rows)


@register("assessment", "json")
def _assessment_json(view: Assessment, style: "Styler") -> str:
    return to_json(
        {
            "rows": [a.to_dict() for a in view.rows],
            "bad_rows": [{"row": b.number, "error": str(b.error)} for b in view.bad],
            "summary": view.summary.to_dict(view.kb),
        }
    )


@register("assessment", "markdown")
def _assessment_markdown(view: Assessment, style: "Styler") -> str:
    from sourcing.cli import assess

    return assess.table_text(view.rows, view.kb, "github") + assess.summary_text(view.summary, view.kb, "github")


@register("assessment", "html")
def _assessment_html(view: Assessment, style: "Styler") -> str:
    from sourcing.cli import assess
    from sourcing.cli.html_report import assess_html

    return assess_html([assess.words(a, view.kb) for a in view.rows], assess.TABLE_COLUMNS, view.summary, view.kb)


# -- the catalogue: questions, rules list, rules show ---------------------------------------------------


@register("questions", "table", default=True)
def _questions_table(kb: "KnowledgeBase", style: "Styler") -> str:
    from sourcing.cli import text_render

    return text_render.questions(kb)


@register("questions", "json")
def _questions_json(kb: "KnowledgeBase", style: "Styler") -> str:
    from sourcing.expert import describe

    return to_json([describe.question_dict(q) for q in kb.questions])


@register("rules", "table", default=True)
def _rules_table(view: RuleList, style: "Styler") -> str:
    from sourcing.cli import text_render

    return text_render.rules(view.rules)


@register("rules", "json")
def _rules_json(view: RuleList, style: "Styler") -> str:
    from sourcing.expert import describe

    return to_json([describe.rule_dict(r) for r in view.rules])


@register("rule", "text", default=True)
def _rule_text(rule: "RuleSpec", style: "Styler") -> str:
    from sourcing.cli import text_render

    return text_render.rule(rule)


@register("rule", "json")
def _rule_json(rule: "RuleSpec", style: "Styler") -> str:
    from sourcing.expert import describe

    return to_json(describe.rule_dict(rule))


# -- the knowledge engineer's checks: kb lint, kb test, kb graph ----------------------------------------


@register("lint", "text", default=True)
def _lint_text(report: "LintReport", style: "Styler") -> str:
    from sourcing.cli import text_render

    return text_render.lint(report)


@register("lint", "json")
def _lint_json(report: "LintReport", style: "Styler") -> str:
    return to_json(report.to_dict())


@register("scenarios", "text", default=True)
def _scenarios_text(view: Scenarios, style: "Styler") -> str:
    from sourcing.cli import text_render

    return text_render.scenarios(view.report, view.kb)


@register("scenarios", "json")
def _scenarios_json(view: Scenarios, style: "Styler") -> str:
    return to_json(view.report.to_dict())


@register("graph", "text", default=True)
def _graph_text(graph: "Graph", style: "Styler") -> str:
    from sourcing.cli import text_render

    return text_render.dependencies(graph)


@register("graph", "dot")
def _graph_dot(graph: "Graph", style: "Styler") -> str:
    from sourcing.cli import dot

    return dot.dependencies(graph)


@register("graph", "json")
def _graph_json(graph: "Graph", style: "Styler") -> str:
    return to_json(graph.to_dict())
