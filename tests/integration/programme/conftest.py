import re

import pytest
from sqlalchemy import event

from lms.extensions import db


@pytest.fixture(autouse=True)
def learners_start_in_no_cohort(admitted):
    """Here learners are placed in cohorts by the tests themselves, as the rules under test say."""
    admitted.enabled = False


@pytest.fixture
def count_queries(app):
    """The number of SQL statements a page costs, read cold (nothing the test holds saves it a query)."""
    def count(client, path):
        db.session.expire_all()
        statements = []

        def record(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            answer = client.get(path)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        assert answer.status_code == 200, path
        return len(statements)
    return count


CSRF_TOKEN = re.compile(r'csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def post_form(client):
    """POST a form of the page `page`: the session's CSRF token for each form prefix in `data` (and unprefixed)."""
    def send(path, data, page):
        token = CSRF_TOKEN.search(client.get(page).text).group(1)
        prefixes = {key.rsplit("-", 1)[0] for key in data if "-" in key}
        return client.post(path, data={**data, "csrf_token": token,
                                       **{f"{prefix}-csrf_token": token for prefix in prefixes}})
    return send
