"""The codes of the facts the annual report counts (parents' participation, the IRO's
contacts, dispute themes and results, reasons for a change of IRO), and the check of a
typed code against them. The domain layer: records and the case facts both read them."""

from __future__ import annotations

from .errors import ReviewError

# Parents' participation in a review: the parents (or those with parental responsibility)
# taken together, one code per review.
PARENT_PARTICIPATION = {
    "attended": "a parent attended the meeting (in person or online)",
    "contributed": "no parent attended; their views were given (consultation form, "
    "IRO or social worker)",
    "declined": "parents were invited and took no part",
    "not-invited": "parents were not invited (their involvement was judged unsafe or "
    "inappropriate)",
    "not-applicable": "no parent to involve (deceased, not known, or parental "
    "responsibility ended)",
}
PARENTS_TOOK_PART = ("attended", "contributed")

# The IRO's contacts with the child between reviews (the conversation before each review
# is the R-PRE-4 step "iro-visit", recorded with `review done`).
IRO_CONTACT_KINDS = {
    "visit": "the IRO saw the child (a visit in person)",
    "call": "the IRO spoke with the child by telephone or video call",
    "midway-review": "a midway review of the care plan between reviews, with the child",
}

# Themes of the IRO's concerns taken to dispute resolution (IRO Handbook chapter 6).
DISPUTE_THEMES = {
    "care-planning": "care plan missing, out of date or not followed",
    "permanence": "drift or delay in permanence planning",
    "placement": "placement stability, suitability or matching",
    "contact": "family time and contact arrangements",
    "education": "education: school place, PEP, exclusion",
    "health": "health, including emotional and mental health",
    "safeguarding": "the child's safety",
    "leaving-care": "pathway planning and leaving care",
    "social-worker": "visits by or changes of social worker",
    "resources": "services or resources not provided",
    "review-process": "reports, decisions or records of the review late or missing",
    "other": "another concern",
}

# How a dispute ended.
DISPUTE_RESULTS = {
    "resolved": "the concern was resolved as the IRO asked",
    "partly-resolved": "the concern was partly resolved",
    "not-resolved": "closed without the concern being resolved",
    "withdrawn": "withdrawn by the IRO (overtaken by events)",
}

# Why a child's IRO changed (IRO continuity).
IRO_CHANGE_REASONS = {
    "iro-left": "the IRO left the service or retired",
    "iro-absence": "the IRO's long-term absence",
    "caseload": "caseloads rebalanced",
    "team-change": "the unit or its teams were reorganised",
    "siblings": "to share an IRO with brothers and sisters (R-IRO-3)",
    "child-request": "the child asked for a different IRO",
    "family-request": "the family asked for a different IRO",
    "conflict-of-interest": "a conflict of interest",
    "placement-move": "the child's placement moved",
    "other": "another reason",
}

# The R-PRE-4 conversation with the child before each review: the review step of this name.
SEEN_BEFORE_STEP = "iro-visit"


def check(kind: str, value: str | None, codes: dict[str, str], option: str) -> str | None:
    """``value`` as one of ``codes`` (case and spaces forgiven), or a one-line refusal."""
    if value is None:
        return None
    code = "-".join(str(value).strip().lower().replace("_", "-").split())
    if code not in codes:
        raise ReviewError(f"unknown {kind} {value!r} ({option}); use one of: {', '.join(codes)}")
    return code
