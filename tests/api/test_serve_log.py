"""A clean start and stop of ``tidings serve`` logs no error (issue 20 #13:
on PostgreSQL every start logged "Exception closing connection ... attached
to a different loop" with a traceback)."""

from __future__ import annotations

import pytest

from tests.conftest import backend_params, start_server, stop_server

pytestmark = pytest.mark.heavy


@pytest.mark.parametrize("backend", backend_params())
def test_a_clean_start_and_stop_log_no_error(backend: str):
    srv = start_server(backend)
    try:
        srv.stop()
        log = (srv.data_dir / "server.log").read_text(errors="replace")
    finally:
        stop_server(srv)
    assert "ERROR" not in log and "Traceback" not in log, log
