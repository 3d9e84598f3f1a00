"""``review-discussion-due``: when the plan fails, agencies must meet again.

After Father refused the agreement and was released, and again when EDT found
the children at home with both parents, no review strategy discussion was held
(SCR Child K 3.1.22, 3.1.27). A discussion considering any of the children
meets it (``strategy.on_discussion`` settles the ``("discussion", child)`` wait).
Catalog v2 adds the same triggers without an arrest (police no further action or
no charge) and a child's return home from a placement.

``review-matter-not-discussed`` is the stricter reading: only a discussion that
names the triggering event in ``information_shared`` meets it. Child K's
discussion of 2.1.17 considered both children but not the releases, the refusal
or the breach, so enabling it adds four findings to that case: it ships disabled
(``rules.overrides.review-matter-not-discussed.enabled: true`` switches it on).
"""

from events.records import RecordedEvent
from services.projection.domain.obligations import meet, open_obligation
from services.projection.domain.rule import Rule
from services.projection.domain.state import CaseState, Obligation
from services.projection.domain.summaries import clause
from services.projection.domain.wording import Wording, agency, when

REVIEW = "review-discussion-due"
MATTER = "review-matter-not-discussed"
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
    Rule(
        MATTER,
        "After the events that make a review strategy discussion due, the discussion must "
        "name the matter itself (the release, refusal, breach or return home, listed in its "
        "information shared): a discussion of the same children that does not is not a review "
        "of it. Off by default: Child K's discussion of 2.1.17 considered both children "
        "without naming the releases, the refusal or the breach, and enabled this rule adds "
        "those four findings to the demo's fifteen.",
        "SCR Child K 3.1.22, 3.1.27 (the discussion of 2.1.17 did not revisit the breach); "
        "WT2023 'when new information is received' (#3b)",
        "24h",
        "medium",
        ("edt", "police"),
        enabled_by_default=False,
    ),
)


def on_review_trigger(state: CaseState, event: RecordedEvent) -> None:
    children = _review_children(state, event)
    if children is None:
        return
    keys = [("discussion", c) for c in children] or [("discussion", "*")]
    open_obligation(
        state, REVIEW, event, children=children, concerns=("edt", "police"), waits_for=keys
    )
    matter = [("matter", event.event_id)]
    open_obligation(
        state, MATTER, event, children=children, concerns=("edt", "police"), waits_for=matter
    )


def _review_children(state: CaseState, event: RecordedEvent) -> list[str] | None:
    """The children a review must consider, or None when ``event`` calls for none."""
    data = event.data
    if event.type == "person.released":
        return state.suspects.get(data["person"])
    if event.type == "police_action.taken":
        ended = data["action"] == "no_further_action" or data.get("charging_decision") == (
            "not_charged"
        )
        children = state.suspects.get(data["person"])
        return list(children) if ended and children else None
    if event.type == "placement.ended":
        return [data["child"]] if data["outcome"] == "returned_home" else None
    agreement = state.agreements.get(data["agreement_id"])
    return list(agreement.children) if agreement else list(event.children)


def on_discussion(state: CaseState, event: RecordedEvent) -> None:
    """A discussion reviews each matter it names."""
    for event_id in event.data.get("information_shared") or ():
        meet(state, ("matter", str(event_id)), event.occurred_at, event.event_id)


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


def explain_matter(ob: Obligation, state: CaseState) -> Wording:
    wording = explain_review(ob, state)
    return Wording(
        what=wording.what,
        missing="no strategy discussion has named it",
        done="a strategy discussion named it",
    )


HANDLERS = {
    "disclosure.made": (on_suspect,),
    "person.arrested": (on_suspect,),
    "agreement.party_refused": (on_review_trigger,),
    "agreement.breached": (on_review_trigger,),
    "person.released": (on_review_trigger,),
    "police_action.taken": (on_suspect, on_review_trigger),
    "placement.ended": (on_review_trigger,),
    "strategy_discussion.held": (on_discussion,),
}
EXPLAIN = {REVIEW: explain_review, MATTER: explain_matter}
