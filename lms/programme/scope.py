"""What a user runs: the cohorts, centres and regions their role grants cover. Every staff page and staff API answer
starts its query from here (OPERATIONS.md: nothing is filtered after the fact in a template)."""
from __future__ import annotations

from dataclasses import dataclass

from flask import g, has_request_context
from sqlalchemy import Select, exists, false, or_, select, true

from lms.auth.models import Role, User
from lms.extensions import db
from lms.programme.models import Centre, Cohort, Enrolment, RoleGrant, ScopedRole


@dataclass(frozen=True)
class Scope:
    everything: bool = False  # an admin, or programme staff
    grants_roles: bool = False  # may give regional, centre and programme roles
    region_ids: frozenset[int] = frozenset()  # regional coordinator
    centre_ids: frozenset[int] = frozenset()  # centre manager
    taught_cohort_ids: frozenset[int] = frozenset()  # instructor: sees, does not manage

    @property
    def sees_nothing(self) -> bool:
        return not (self.everything or self.region_ids or self.centre_ids or self.taught_cohort_ids)

    # --- management: what a user may change ---------------------------------------------------------------------

    def manages_region(self, region_id: int) -> bool:
        return self.everything or region_id in self.region_ids

    def manages_centre(self, centre: Centre) -> bool:
        return self.manages_region(centre.region_id) or centre.id in self.centre_ids

    def manages_cohort(self, cohort: Cohort) -> bool:
        return self.manages_centre(cohort.centre)

    @property
    def manages_something(self) -> bool:
        return self.everything or bool(self.region_ids or self.centre_ids)

    # --- visibility: what a user may see ------------------------------------------------------------------------

    def sees_cohort(self, cohort: Cohort) -> bool:
        return self.manages_cohort(cohort) or cohort.id in self.taught_cohort_ids

    def _cohort_condition(self):
        if self.everything:
            return true()
        if self.sees_nothing:
            return false()
        clauses = []
        if self.taught_cohort_ids:
            clauses.append(Cohort.id.in_(self.taught_cohort_ids))
        if self.centre_ids:
            clauses.append(Cohort.centre_id.in_(self.centre_ids))
        if self.region_ids:
            clauses.append(Cohort.centre_id.in_(select(Centre.id).where(Centre.region_id.in_(self.region_ids))))
        return or_(*clauses)

    def cohorts(self) -> Select:
        """The cohorts this user sees, as a query to refine (order, filters, eager loads)."""
        return select(Cohort).where(self._cohort_condition())

    def centres(self) -> Select:
        """The centres this user sees: those they manage, and those of the cohorts they teach."""
        if self.everything:
            return select(Centre)
        clauses = [Centre.id.in_(select(Cohort.centre_id).where(self._cohort_condition()))]
        if self.centre_ids:
            clauses.append(Centre.id.in_(self.centre_ids))
        if self.region_ids:
            clauses.append(Centre.region_id.in_(self.region_ids))
        return select(Centre).where(or_(*clauses))

    def learner_condition(self, user_id_column):
        """A SQL condition on a column holding a user's id: true for the learners enrolled (now or before) in a
        cohort this user sees. A withdrawn learner's history stays visible to those who ran their cohort."""
        if self.everything:
            return true()
        if self.sees_nothing:
            return false()
        return exists(select(Enrolment.id).join(Cohort, Cohort.id == Enrolment.cohort_id)
                      .where(Enrolment.user_id == user_id_column, self._cohort_condition()))

    def sees_learner(self, user_id: int) -> bool:
        if self.everything:
            return True
        return bool(db.session.scalar(select(self.learner_condition(User.id)).where(User.id == user_id)))


def scope_of(user: User) -> Scope:
    """The user's scope, read once per request."""
    if has_request_context():
        cached = g.setdefault("_scopes", {})
        if user.id in cached:
            return cached[user.id]
    scope = _read_scope(user)
    if has_request_context():
        g._scopes[user.id] = scope
    return scope


def _read_scope(user: User) -> Scope:
    if not getattr(user, "is_authenticated", False) or not user.active:
        return Scope()
    if user.role == Role.ADMIN:
        return Scope(everything=True, grants_roles=True)
    if user.role != Role.INSTRUCTOR:  # a learner account runs nothing, whatever a grant row says
        return Scope()
    grants = db.session.execute(select(RoleGrant.role, RoleGrant.region_id, RoleGrant.centre_id,
                                       RoleGrant.cohort_id).where(RoleGrant.user_id == user.id)).all()
    if any(role == ScopedRole.PROGRAMME_STAFF for role, *_ in grants):
        return Scope(everything=True, grants_roles=True)
    return Scope(region_ids=frozenset(r for role, r, _, _ in grants if role == ScopedRole.REGIONAL_COORDINATOR),
                 centre_ids=frozenset(c for role, _, c, _ in grants if role == ScopedRole.CENTRE_MANAGER),
                 taught_cohort_ids=frozenset(k for role, _, _, k in grants if role == ScopedRole.INSTRUCTOR))
