"""POST over HTTP(S) with the standard library: no redirects followed, a bounded wait."""

from __future__ import annotations

import urllib.error
import urllib.request

from ..ports import DeliveryFailed


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_: object, **__: object) -> None:  # a redirect is the receiver's answer, not a hop
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def post(url: str, body: bytes, headers: dict[str, str], timeout: float = 10.0) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as answered:
        return int(answered.code)
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise DeliveryFailed(str(getattr(error, "reason", error))) from error
