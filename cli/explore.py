"""--explore: after a consultation, ask HOW and WHY-NOT at a prompt (on standard error)."""

import click

from sourcing.cli import audit_render
from sourcing.cli.interactive import say
from sourcing.expert import whynot
from sourcing.expert.errors import InputError
from sourcing.expert.names import conclusion_facts, model_id

HELP = """Commands:
  how [ID]        how a conclusion was reached (default: the recommendation)
  why-not MODEL   why MODEL was not recommended, and what would have to change
  list            the conclusions that 'how' can explain
  quit            leave (also: exit, q, or end of input)"""


class Explorer:
    """Answers 'how' and 'why-not' about one consultation, reusing the audit commands' renderings."""

    def __init__(self, advisor, result, style):
        self.advisor = advisor
        self.result = result
        self.style = style

    def run(self):
        """Read commands until quit or the end of input."""
        say(HELP)
        while True:
            try:
                line = click.prompt("explore", default="", show_default=False, err=True).strip()
            except (click.Abort, EOFError):
                say()
                return
            if line.lower() in ("quit", "exit", "q"):
                return
            if line:
                self.handle(line)

    def handle(self, line):
        """Answer one command line."""
        command, _, argument = line.partition(" ")
        command = command.lower()
        try:
            if command == "how":
                fact_ids = conclusion_facts(self.result, argument, "how")
                say(audit_render.explanation_text(self.result, self.advisor.kb.titles, fact_ids, self.style))
            elif command in ("why-not", "whynot", "why_not"):
                if not argument.strip():
                    raise InputError("why-not", "name a model", allowed=[m.id for m in self.advisor.kb.all_models])
                target = model_id(self.advisor.kb, argument)
                analysis = whynot.why_not(self.advisor, self.result.answers, target)
                say(audit_render.why_not_text(analysis, self.advisor.kb, self.style))
            elif command == "list":
                say(audit_render.conclusions_index(self.result))
            else:
                say(HELP)
        except InputError as error:
            say(f"  {error}")
