"""The programme pages read a bounded number of queries whatever the size of what they list (OPERATIONS.md: one
query for the rows of a page, not one per row): counted at two data sizes, they are equal."""


def grow(programme, make_user, centre, cohorts: int, learners: int):
    made = [programme.cohort(centre, name=f"Cohorte {centre.id}-{i}") for i in range(cohorts)]
    for i in range(learners):
        programme.enrol(make_user(), made[i % cohorts])
    return made


def test_the_programme_and_cohort_pages_do_not_read_more_as_cohorts_and_learners_grow(client, auth, make_staff,
                                                                                     make_user, programme,
                                                                                     count_queries):
    auth.login(make_staff())
    small = grow(programme, make_user, programme.centre("casablanca-settat"), cohorts=2, learners=4)
    counts_small = (count_queries(client, "/programme/"), count_queries(client, f"/programme/cohorts/{small[0].id}"),
                    count_queries(client, "/teach/"))
    large = grow(programme, make_user, programme.centre("rabat-sale-kenitra"), cohorts=12, learners=40)
    counts_large = (count_queries(client, "/programme/"), count_queries(client, f"/programme/cohorts/{large[0].id}"),
                    count_queries(client, "/teach/"))
    assert counts_small == counts_large
