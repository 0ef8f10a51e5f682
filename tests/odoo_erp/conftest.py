import pytest

from tests.support.postgres import running_postgres


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory):
    """A throwaway PostgreSQL server for the whole test session; yields a SQLAlchemy URL."""
    with running_postgres(tmp_path_factory.mktemp("postgres")) as url:
        yield url
