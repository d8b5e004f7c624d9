"""Settings come from a TOML file and the environment; the environment wins."""

from __future__ import annotations

from tidings.config import Settings


def test_toml_file_then_environment(tmp_path, monkeypatch):
    cfg = tmp_path / "tidings.toml"
    cfg.write_text('port = 9100\nrate_messages_per_second = 250.0\ndatabase_url = "postgresql+asyncpg://u@db/x"\n')
    monkeypatch.setenv("TIDINGS_CONFIG", str(cfg))
    monkeypatch.delenv("TIDINGS_PORT", raising=False)
    monkeypatch.delenv("TIDINGS_DATABASE_URL", raising=False)
    s = Settings()
    assert (s.port, s.rate_messages_per_second, s.is_sqlite) == (9100, 250.0, False)
    monkeypatch.setenv("TIDINGS_PORT", "9200")
    assert Settings().port == 9200


def test_default_is_sqlite_under_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("TIDINGS_CONFIG", raising=False)
    monkeypatch.delenv("TIDINGS_DATABASE_URL", raising=False)
    monkeypatch.setenv("TIDINGS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    s = Settings()
    assert s.is_sqlite and s.db_url.endswith(str(tmp_path / "data" / "tidings.db"))
