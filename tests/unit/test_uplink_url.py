"""An application's up_link_addr follows the callback URL rules."""

from __future__ import annotations

import pytest

from tidings.errors import KooError
from tidings.sms.api.apps import check_http_url


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1/mo", "http://localhost:8080/mo", "https://10.1.2.3/mo", "http://[::1]/mo", "http://169.254.169.254/latest",
     "http://[::ffff:192.168.0.1]/mo", "ftp://example.com/mo", "https://user:pw@example.com/mo", "https://example.com/" + "x" * 250],
)
def test_refused_unless_private_targets_are_allowed(url):
    with pytest.raises(KooError) as err:
        check_http_url("up_link_addr", url, allow_private=False)
    assert err.value.msg.startswith("Invalid parameter up_link_addr")


@pytest.mark.parametrize("url", ["https://example.com/mo", "http://8.8.8.8:8080/mo", "https://not-resolvable.invalid/mo"])
def test_public_and_unresolved_names_are_accepted(url):
    check_http_url("up_link_addr", url, allow_private=False)


def test_operator_may_allow_private_targets():
    check_http_url("up_link_addr", "http://127.0.0.1:9000/mo", allow_private=True)


def test_the_refusal_names_the_setting_that_allows_a_local_receiver():
    with pytest.raises(KooError) as err:
        check_http_url("up_link_addr", "http://127.0.0.1:9000/mo", allow_private=False)
    assert "TIDINGS_ALLOW_PRIVATE_CALLBACKS=true" in err.value.msg
