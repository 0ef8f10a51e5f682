import sqlalchemy as sa

from tests.support.postgres import running_postgres


def test_throwaway_server_answers_queries_and_is_removed(tmp_path):
    with running_postgres(tmp_path) as url:
        assert url.startswith("postgresql+psycopg2://postgres@127.0.0.1:")
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            assert connection.execute(sa.text("select 1")).scalar_one() == 1
        engine.dispose()
    assert not any(tmp_path.glob("postgres-*"))
