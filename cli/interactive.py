"""The interview at a terminal: prompts and printing over expert.interview (which decides what to ask)."""

import textwrap

import click

from sourcing.expert import interview as policy
from sourcing.expert.errors import InputError
from sourcing.expert.model import UNKNOWN

HELP, WHY, BACK = ("?", "help"), ("why",), ("back",)
WIDTH = 100


def say(text=""):
    """Interview output goes to standard error."""
    click.echo(text, err=True)


class Interview:
    """Asks, one at a time, the questions expert.interview says can still change the recommendation.

    Everything it prints goes to standard error, so that standard output holds
    only the result (``sourcing consult --format json > advice.json`` works).

    ``on_answer(answers)`` is called after every answer, so that the caller can
    save them; ``asked`` names the given answers that ``back`` may change; ``origin``
    says where the given answers come from ("kept in FILE").
    """

    def __init__(
        self, advisor, answers, on_answer=lambda answers: None, style=lambda t, k: t, asked=(), origin="given"
    ):
        self.policy = policy.Interview(advisor, answers, asked)
        self.origin = origin
        self.on_answer = on_answer
        self.style = style

    @property
    def answers(self):
        return self.policy.answers

    def run(self):
        """Ask every question that can still change the advice; return the answers."""
        total = len(self.policy.kb.questions)
        if self.policy.kept:
            say(
                f"{self.policy.kept} answer(s) {self.origin}. Questions are numbered by their place among all "
                f"{total}, so the numbers skip those already answered or that can no longer change the advice."
            )
            say()
        announced = set()
        while (question := self.policy.next_question()) is not None:
            passed = [q for q in self.policy.skipped() if q not in announced]
            if passed:
                say(f"  (not asking {', '.join(passed)}: the answers so far settle what they could change)")
            announced.update(passed)
            reply = self.ask(question, self.policy.number(question), total)
            if reply is BACK:
                continue
            self.policy.answer(question.id, reply)
            self.on_answer(dict(self.policy.answers))
        skipped = self.policy.skipped()
        if skipped:
            say(f"Skipped (could no longer change the recommendation): {', '.join(skipped)}")
            say()
        return self.policy.answers

    def ask(self, question, number, total):
        """Prompt until a valid answer (or BACK, once an earlier answer was withdrawn)."""
        say(self.style(f"[{number}/{total}] {question.prompt}", "heading") + f"  ({question.id})")
        width = max(len(v) for v in question.choices) + 2
        for index, value in enumerate(question.values, start=1):
            say(f"  {index}) {value:<{width}}{question.help_for(value)}")
        say(f"  0) {UNKNOWN:<{width}}not known, or prefer not to say")
        while True:
            reply = click.prompt(
                "Answer (number or value; ? for help, why, back)", default="", show_default=False, err=True
            ).strip()
            if not reply:
                say(f"  Type one of: {', '.join(question.choices)} (or its number); ? for help, why, back")
            elif reply in question.choices:  # a value before a command of the same name
                say()
                return reply
            elif reply.lower() in HELP:
                self.help(question)
            elif reply.lower() in WHY:
                self.why(question)
            elif reply.lower() in BACK:
                if self.back():
                    return BACK
            else:
                try:
                    value = self.policy.value(question, reply)
                except InputError as error:
                    choices = f"; type one of: {', '.join(error.allowed)}, or ? for help" if error.allowed else ""
                    say(f"  {error.message}{choices}")
                    continue
                say()
                return value

    def back(self):
        """Withdraw the previous answer; False (and say why) when there is none to change."""
        was = self.policy.answers[self.policy.history[-1]] if self.policy.history else None
        previous = self.policy.back()
        if previous is None:
            say(
                "  There is no earlier answer to change here; answers given with --answers or --set "
                "change on the command line."
            )
            return False
        say(f"  Back to '{previous.id}' (it was {was}).")
        say()
        return True

    def help(self, question):
        """The question's purpose, and each value with its example."""
        if question.purpose:
            say(textwrap.fill(question.purpose, WIDTH, initial_indent="  ", subsequent_indent="  "))
        width = max(len(v) for v in question.values) + 4
        for value in question.values:
            say(f"  {value:<{width}}{question.help_for(value)}")
            if question.example_for(value):
                say(
                    textwrap.fill(
                        f"e.g. {question.example_for(value)}",
                        WIDTH,
                        initial_indent=" " * (width + 2),
                        subsequent_indent=" " * (width + 7),
                    )
                )
        say(f"  {UNKNOWN:<{width}}not known: the advice says what it could not determine")
        say("  Type why to see what this answer can change now, back to change the previous answer.")

    def why(self, question):
        """MYCIN's WHY: the rules through which this answer can still change the advice, in words."""
        reasons = self.policy.why(question)
        say(f"  Asked because the answer can still change the advice, through {len(reasons)} rule(s):")
        for reason in reasons:
            when = f" (if {' or '.join(reason.values)})" if reason.values else ""
            say(f"  - {reason.rule.title}{when}  {self.style(reason.rule.id, 'rule')}")
            for conclusion in reason.conclusions:
                say(f"      {conclusion}")
            if reason.leads_to:
                say(
                    textwrap.fill(
                        "which matters to: " + "; ".join(r.title for r in reason.leads_to),
                        WIDTH,
                        initial_indent="      ",
                        subsequent_indent="        ",
                    )
                )
