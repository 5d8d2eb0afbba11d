"""The live server the browser tests drive: a page's parallel requests must not collide."""

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from string import ascii_uppercase
from urllib.error import HTTPError
from urllib.request import Request, urlopen

from rest_framework.authtoken.models import Token

from summits.models import Country

NEW_CODES = [first + second for first in "XZ" for second in ascii_uppercase]


def test_parallel_writes_and_reads_all_succeed(live_server, article, staff):
    token = Token.objects.create(user=staff).key

    def create(code: str) -> Request:
        body = json.dumps({"code": code, "name": f"Country {code}"}).encode()
        headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        return Request(f"{live_server.url}/api/countries/", body, headers, method="POST")

    def send(request: Request | str) -> int:
        try:
            with urlopen(request, timeout=10) as response:
                return response.status
        except HTTPError as error:
            return error.code

    requests = [
        call for code in NEW_CODES for call in (create(code), f"{live_server.url}/api/summits/")
    ]
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = Counter(pool.map(send, requests))

    assert statuses == {201: len(NEW_CODES), 200: len(NEW_CODES)}
    assert Country.objects.filter(code__in=NEW_CODES).count() == len(NEW_CODES)
