"""``review-discussion-due``: when the plan fails, agencies must meet again.

After Father refused the agreement and was released, and again when EDT found
the children at home with both parents, no review strategy discussion was held
(SCR Child K 3.1.22, 3.1.27). A discussion considering any of the children
meets it (``strategy.on_discussion`` settles the ``("discussion", child)`` wait).
"""

from events.records import RecordedEvent
from services.projection.domain.obligations import open_obligation
from services.projection.domain.rule import Rule
from services.projection.domain.state import CaseState, Obligation
from services.projection.domain.summaries import clause
from services.projection.domain.wording import Wording, agency, when

REVIEW = "review-discussion-due"
RULES = (
    Rule(
        REVIEW,
        "After a party refused or breached an agreement, or an alleged perpetrator or arrested "
        "person was released, a further strategy discussion must be held.",
        "SCR Child K 3.1.22, 3.1.27; WT2023 'when new information is received' (#3b)",
        "24h",
        "high",
        ("edt", "police"),
    ),
)


def on_review_trigger(state: CaseState, event: RecordedEvent) -> None:
    if event.type == "person.released":
        children = state.suspects.get(event.data["person"])
        if children is None:
            return
    else:
        agreement = state.agreements.get(event.data["agreement_id"])
        children = list(agreement.children) if agreement else list(event.children)
    keys = [("discussion", c) for c in children] or [("discussion", "*")]
    open_obligation(
        state, REVIEW, event, children=children, concerns=("edt", "police"), waits_for=keys
    )


def on_suspect(state: CaseState, event: RecordedEvent) -> None:
    data = event.data
    person = data.get("alleged_perpetrator") or data.get("person")
    if not person:
        return
    child = data.get("child")
    children = (child,) if child else (data.get("related_children") or ())
    known = state.suspects.get(person)
    if known is None:
        state.suspects[person] = list(children)
        return
    for c in children:
        if c not in known:
            known.append(c)


def explain_review(ob: Obligation, state: CaseState) -> Wording:
    event = ob.trigger
    return Wording(
        what=f"{agency(event.agency, start=True)} recorded at "
        f"{when(event.occurred_at, state.policy.calendar.timezone)} that {clause(event, state)}",
        missing="no further strategy discussion has been held",
        done="a further strategy discussion was held",
    )


HANDLERS = {
    "disclosure.made": (on_suspect,),
    "person.arrested": (on_suspect,),
    "agreement.party_refused": (on_review_trigger,),
    "agreement.breached": (on_review_trigger,),
    "person.released": (on_review_trigger,),
}
EXPLAIN = {REVIEW: explain_review}
