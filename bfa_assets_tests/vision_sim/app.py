"""The simulator's ASGI application: the bucket, the fapi and dapi endpoints and a control API.

Routes:
  GET  /data.binance.vision?…               ListObjects v1 / v2
  GET  /data.binance.vision/{key}           an object (HEAD too)
  GET  /fapi/v1/exchangeInfo, /fapi/v1/klines, /fapi/v1/ping      (USD-M)
  GET  /dapi/v1/exchangeInfo, /dapi/v1/klines, /dapi/v1/ping      (COIN-M)
  GET  /_sim/health | /_sim/stats | /_sim/now ; PUT /_sim/now?at=ISO ; PUT /_sim/faults?spec=…
  GET  /_sim/truth/availability?start=&end=[&market=cm] | /_sim/truth/volume?…  (JSON lines)
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
import struct
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from email.utils import format_datetime
from urllib.parse import parse_qsl, unquote_plus

from bfa_assets_tests.vision_sim import bucket, content, fapi
from bfa_assets_tests.vision_sim.fapi import APIS, USD_M, Api
from bfa_assets_tests.vision_sim.faults import MALFORMED, FaultPlan
from bfa_assets_tests.vision_sim.objects import escape
from bfa_assets_tests.vision_sim.universe import BUCKET, Universe

Send = Callable[[dict], Awaitable[None]]
Receive = Callable[[], Awaitable[dict]]
_BODY_FAULTS = (
    "corrupt",
    "checksum",
    "truncate",
    "html",
    "loop",
    "badxml",
    "bomb",
    "garbage",
    *MALFORMED,
)
_ENTITY_BOMB = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b']>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>&lol9;</Name>'
    + b"</ListBucketResult>"
)
_HTML = b"<html><head><title>502 Bad Gateway</title></head><body>cloudfront</body></html>"


class Response:
    def __init__(
        self,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        content_type: str = "application/xml",
    ):
        self.status, self.body = status, body
        self.headers = {"content-type": content_type, **(headers or {})}


class SimApp:
    def __init__(self, universe: Universe, faults: FaultPlan | None = None):
        self.universe = universe
        self.faults = faults or FaultPlan()
        self.weights = fapi.WeightMeter()  # /fapi/'s; /dapi/ is a separate API with its own
        self.dapi_weights = fapi.WeightMeter()
        self.stats: Counter = Counter()
        self._in_flight = 0

    async def __call__(self, scope: dict, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": f"{message['type']}.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        method, path = scope["method"], scope["path"]
        try:
            query = dict(
                parse_qsl(scope["query_string"].decode(), keep_blank_values=True, errors="strict")
            )
        except UnicodeDecodeError:
            await self._respond(
                send, method, Response(400, b"query is not UTF-8", content_type="text/plain")
            )
            return
        if path.startswith("/_sim/"):
            await self._respond(send, method, self._control(method, path, query))
            return
        self._in_flight += 1
        self.stats["max_in_flight"] = max(self.stats["max_in_flight"], self._in_flight)
        try:
            await self._serve(scope, receive, send, method, path, query)
        finally:
            self._in_flight -= 1

    async def _serve(
        self,
        scope: dict,
        receive: Receive,
        send: Send,
        method: str,
        path: str,
        query: dict[str, str],
    ) -> None:
        raw_query = scope["query_string"].decode()
        target = path + (f"?{unquote_plus(raw_query)}" if raw_query else "")  # what faults match
        fault, delay = self.faults.draw(target)
        if delay:
            await asyncio.sleep(delay)
        self.stats["requests"] += 1
        self.stats[_route_kind(path)] += 1
        if fault == "reset":
            self.faults.injected[fault] += 1
            await _close_abruptly(send, receive)
            return
        response = self._fault_response(fault, path) or self._route(method, path, query)
        if fault in _BODY_FAULTS and response.status == 200:
            response = self._damage(fault, path, query, response)
        if fault == "truncate" and response.status == 200 and method == "GET" and response.body:
            self.faults.injected[fault] += 1
            await _truncated(send, receive, response)
            return
        self.stats[f"status_{response.status}"] += 1
        self.stats["bytes_out"] += len(response.body) if method == "GET" else 0
        await self._respond(send, method, response)

    # --- routing -------------------------------------------------------------------------------

    def _route(self, method: str, path: str, query: dict[str, str]) -> Response:
        api = _rest_api(path)
        if api is not None:
            return self._rest(api, path.removeprefix(f"/{api.name}/v1/"), query)
        name, _, key = path[1:].partition("/")
        if name != BUCKET:
            return _s3_error(
                bucket.S3Error(
                    404, "NoSuchBucket", "The specified bucket does not exist", BucketName=name
                )
            )
        if key == "":
            try:
                req = bucket.ListRequest.from_query(query)
            except bucket.S3Error as error:
                return _s3_error(error)
            page = bucket.list_objects(self.universe, req)
            self.stats["listed_keys"] += page.count(b"<Contents>")
            return Response(200, page)
        obj = self.universe.object_at(key)
        if obj is None:
            return _s3_error(
                bucket.S3Error(404, "NoSuchKey", "The specified key does not exist.", Key=key)
            )
        data = obj.body() if method == "GET" else b""
        headers = {
            "etag": obj.etag,
            "last-modified": format_datetime(obj.last_modified, usegmt=True),
            "accept-ranges": "bytes",
            "x-amz-request-id": hashlib.md5(key.encode()).hexdigest()[:16].upper(),
            "server": "AmazonS3",
        }
        if method == "HEAD":
            headers["content-length"] = str(obj.size)
        kind = "application/zip" if key.endswith(".zip") else "binary/octet-stream"
        return Response(200, data, headers, content_type=kind)

    def _rest(self, api: Api, endpoint: str, query: dict[str, str]) -> Response:
        """`/fapi/v1/{endpoint}` (USD-M) or `/dapi/v1/{endpoint}` (COIN-M)."""
        weights = self.weights if api is USD_M else self.dapi_weights
        try:
            if endpoint == "exchangeInfo":
                used = weights.charge(1)
                body: object = fapi.exchange_info(self.universe, api)
            elif endpoint == "klines":
                used = weights.charge(fapi.klines_weight(int(query.get("limit", 500) or 500)))
                body = fapi.klines(self.universe, query, api)
            elif endpoint == "ping":
                used, body = weights.charge(1), {}
            else:
                raise fapi.ApiError(404, -1, "Not found.")
        except fapi.ApiError as error:
            headers = {"retry-after": str(error.retry_after)} if error.retry_after else {}
            return Response(
                error.status,
                json.dumps({"code": error.code, "msg": error.msg}).encode(),
                headers,
                content_type="application/json",
            )
        except ValueError:
            return Response(
                400,
                b'{"code":-1100,"msg":"Illegal characters found in a parameter."}',
                content_type="application/json",
            )
        return Response(
            200,
            json.dumps(body, ensure_ascii=False).encode(),
            {"x-mbx-used-weight-1m": str(used)},
            content_type="application/json",
        )

    def _fault_response(self, fault: str | None, path: str) -> Response | None:
        fapi_path = _rest_api(path) is not None  # /fapi/ or /dapi/: the same JSON errors
        if fault == "503":
            body = (
                b'{"code":-1001,"msg":"Service unavailable."}'
                if fapi_path
                else bucket.S3Error(503, "SlowDown", "Please reduce your request rate.").xml()
            )
            response = Response(
                503, body, content_type="application/json" if fapi_path else "application/xml"
            )
        elif fault == "500":
            response = _s3_error(
                bucket.S3Error(
                    500, "InternalError", "We encountered an internal error. Please try again."
                )
            )
        elif fault == "429" and fapi_path:
            response = Response(
                429,
                b'{"code":-1003,"msg":"Too many requests."}',
                {"retry-after": "1"},
                content_type="application/json",
            )
        elif fault == "451" and fapi_path:
            response = Response(
                451,
                b'{"code":0,"msg":"Service unavailable from a restricted location."}',
                content_type="application/json",
            )
        else:
            return None
        self.faults.injected[fault] += 1
        return response

    def _damage(self, fault: str, path: str, query: dict[str, str], response: Response) -> Response:
        listing = _route_kind(path) == "list"
        if fault == "corrupt" and path.endswith(".zip"):
            response.body = content.corrupt(response.body)
        elif fault == "checksum" and path.endswith(".CHECKSUM"):
            response.body = b"0" * 64 + response.body[64:]
        elif fault == "html":
            response.body, response.headers["content-type"] = _HTML, "text/html"
            response.headers.pop("etag", None)
        elif fault == "loop" and listing:
            marker = escape(query.get("marker", ""))
            response.body = (
                f'<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="{bucket.S3_NS}">'
                f"<Name>{BUCKET}</Name><Prefix>{escape(query.get('prefix', ''))}</Prefix>"
                f"<Marker>{marker}</Marker><NextMarker>{marker}</NextMarker>"
                "<IsTruncated>true</IsTruncated></ListBucketResult>"
            ).encode()
        elif fault == "badxml" and listing:
            response.body = response.body[: len(response.body) // 2]
        elif fault == "bomb" and listing:
            response.body = _ENTITY_BOMB
        elif fault == "garbage" and path.endswith(".CHECKSUM"):
            response.body = b"this is not a checksum\n"
        elif fault in MALFORMED and path.endswith((".zip", ".zip.CHECKSUM")):
            self._malform(fault, path, response)
        else:
            return response
        self.faults.injected[fault] += 1
        return response

    def _malform(self, kind: str, path: str, response: Response) -> None:
        """Serve a malformed zip, and a CHECKSUM that matches it, as a broken upload would."""
        key = path.split("/", 2)[2].removesuffix(".CHECKSUM")
        original = self.universe.object_at(key)
        broken = content.malformed_zip(original.body(), kind)
        if path.endswith(".CHECKSUM"):
            newline = response.body.endswith(b"\n")
            response.body = content.checksum_text(broken, key.rsplit("/", 1)[1], newline)
        else:
            response.body = broken
            response.headers["etag"] = f'"{hashlib.md5(broken).hexdigest()}"'

    # --- control -------------------------------------------------------------------------------

    def _control(self, method: str, path: str, query: dict[str, str]) -> Response:
        def ok(payload: object) -> Response:
            return Response(
                200, json.dumps(payload, default=str).encode(), content_type="application/json"
            )

        if path == "/_sim/health":
            universe = self.universe
            contracts = {m: len(universe.symbols_of(m)) for m in universe.markets}
            return ok(
                {
                    "scenario": universe.name,
                    "symbols": len(universe.symbols),
                    "contracts": contracts,
                }
            )
        if path == "/_sim/now":
            if method == "PUT":
                self.universe.set_now(datetime.fromisoformat(query["at"]))
            return ok({"now": self.universe.now.isoformat()})
        if path == "/_sim/stats":
            if method == "DELETE":
                self.stats.clear()
                self.faults.injected.clear()
            return ok({**self.stats, "faults": dict(self.faults.injected)})
        if path == "/_sim/faults" and method == "PUT":
            self.faults = FaultPlan.parse(
                query.get("spec", ""),
                latency_ms=float(query.get("latency_ms", 0)),
                seed=int(query.get("seed", 0)),
            )
            return ok({"rules": [r.__dict__ for r in self.faults.rules]})
        if path.startswith("/_sim/truth/"):
            start, end = date.fromisoformat(query["start"]), date.fromisoformat(query["end"])
            market = query.get("market", "um")
            if path.endswith("/availability"):
                rows = self.universe.availability_truth(start, end, market=market)
            else:
                rows = [
                    {**r, "bar": r["bar"]._asdict()}
                    for r in self.universe.volume_truth(start, end, market=market)
                ]
            lines = (json.dumps(r, default=str, ensure_ascii=False) for r in rows)
            return Response(200, "\n".join(lines).encode(), content_type="application/x-ndjson")
        return Response(404, b"unknown control path", content_type="text/plain")

    @staticmethod
    async def _respond(send: Send, method: str, response: Response) -> None:
        headers = dict(response.headers)
        headers.setdefault("content-length", str(len(response.body)))
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
            }
        )
        await send(
            {"type": "http.response.body", "body": b"" if method == "HEAD" else response.body}
        )


def _rest_api(path: str) -> Api | None:
    """The REST API (`/fapi/…` USD-M, `/dapi/…` COIN-M) that `path` asks, if any."""
    return next((api for api in APIS if path.startswith(f"/{api.name}/")), None)


def _route_kind(path: str) -> str:
    api = _rest_api(path)
    if api is not None:
        return api.name
    return "list" if path.rstrip("/") == f"/{BUCKET}" else "object"


def _s3_error(error: bucket.S3Error) -> Response:
    return Response(error.status, error.xml())


def _transport(send: Send) -> asyncio.Transport:
    """The connection under an ASGI `send` (uvicorn's response cycle keeps it as `.transport`)."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        raise RuntimeError("the ASGI server does not expose its transport; resets need uvicorn")
    return transport


async def _close_abruptly(send: Send, receive: Receive) -> None:
    transport = _transport(send)
    sock = transport.get_extra_info("socket")
    if sock is not None:  # linger 0: close with a TCP RST, like a dropped S3 connection
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    while (await receive())["type"] != "http.disconnect":
        pass


async def _truncated(send: Send, receive: Receive, response: Response) -> None:
    headers = {**response.headers, "content-length": str(len(response.body))}
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
        }
    )
    await send(
        {
            "type": "http.response.body",
            "body": response.body[: len(response.body) // 2],
            "more_body": True,
        }
    )
    await _close_abruptly(send, receive)
