"""Interactive questioning: one question at a time, with WHY, unknown, and skipping."""
import click

from expert import describe
from expert.answers import check
from expert.errors import InputError
from expert.model import UNKNOWN

WHY = ("?", "why")


def say(text=""):
    """Interview output goes to standard error."""
    click.echo(text, err=True)


class Interview:
    """Asks the questions still open and able to change the recommendation.

    Everything it prints goes to standard error, so that standard output holds
    only the result (``sourcing consult --format json > advice.json`` works).

    ``on_answer(answers)`` is called after every answer, so that the caller can
    save them; ``skipped`` lists the questions that could no longer matter.
    """

    def __init__(self, advisor, answers, on_answer=lambda answers: None, style=lambda t, k: t):
        self.advisor = advisor
        self.kb = advisor.kb
        self.answers = dict(answers)
        self.on_answer = on_answer
        self.style = style
        self.skipped = []

    def run(self):
        """Ask every relevant open question; return the answers."""
        questions = [q for q in self.kb.questions if q.id not in self.answers]
        for number, question in enumerate(questions, start=1):
            if not self.advisor.foresight.deciding_rules(self.answers, question.id):
                self.skipped.append(question.id)
                continue
            self.answers[question.id] = self.ask(question, number, len(questions))
            self.on_answer(dict(self.answers))
        if self.skipped:
            say(f"Skipped (could no longer change the recommendation): {', '.join(self.skipped)}")
            say()
        return self.answers

    def ask(self, question, number, total):
        """Prompt until a valid answer; '?'/'why' explain, a number picks a choice."""
        say(self.style(f"[{number}/{total}] {question.prompt}", "heading") + f"  ({question.id})")
        width = max(len(v) for v in question.choices) + 2
        for index, value in enumerate(question.values, start=1):
            say(f"  {index}) {value:<{width}}{question.help_for(value)}")
        say(f"  0) {UNKNOWN:<{width}}not known, or prefer not to say")
        while True:
            reply = click.prompt("Answer (number or value, ? for why)", default="", show_default=False,
                                 err=True).strip()
            if not reply:
                say(f"  Type one of: {', '.join(question.choices)} (or its number), or ? for why")
                continue
            if reply.lower() in WHY:
                self.explain(question)
                continue
            if reply.isascii() and reply.isdigit() and int(reply) <= len(question.values):
                reply = question.choices[int(reply) - 1] if int(reply) else UNKNOWN
            try:
                value = check(self.kb, question.id, reply, "answer")
            except InputError as error:
                say(f"  {error.message}; type one of: {', '.join(question.choices)}, or ? for why")
                continue
            say()
            return value

    def explain(self, question):
        """MYCIN's WHY: the rules waiting on this answer and what they would conclude."""
        rules = self.advisor.foresight.waiting_rules(self.answers, question.id)
        say(f"  Asked because {len(rules)} rule(s) are waiting on '{question.id}':")
        for rule in rules:
            say(f"  {self.style(rule.id, 'rule')}  {rule.title}")
            for line in describe.rule_lines(rule):
                say(f"      {line}")
