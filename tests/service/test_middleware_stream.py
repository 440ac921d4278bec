"""The body-limit middleware must not cut off streamed responses.

It buffers the request body and replays it to the app; it once answered
``http.disconnect`` as soon as the buffer was used up, which told a streaming response
(Starlette's ``StaticFiles``, ``StreamingResponse``) that the client had gone: files were
served empty."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.responses import StreamingResponse
from starlette.staticfiles import StaticFiles

from quyche_rules.service.middleware import BodyLimit


def _app(tmp_path: Path) -> FastAPI:
    app = FastAPI()
    (tmp_path / "a.css").write_text("body { color: black; }\n" * 200, encoding="utf-8")
    app.mount("/static", StaticFiles(directory=tmp_path), name="static")

    @app.post("/stream")
    async def stream() -> StreamingResponse:
        async def parts() -> AsyncIterator[bytes]:
            for i in range(50):
                yield f"part {i}\n".encode()

        return StreamingResponse(parts(), media_type="text/plain")

    app.add_middleware(BodyLimit, limit=1024)
    return app


def test_static_files_arrive_whole_behind_the_body_limit(tmp_path: Path) -> None:
    with TestClient(_app(tmp_path)) as client:
        r = client.get("/static/a.css")
    assert r.status_code == 200
    assert r.text == "body { color: black; }\n" * 200


def test_a_streamed_answer_to_a_post_arrives_whole(tmp_path: Path) -> None:
    with TestClient(_app(tmp_path)) as client:
        r = client.post("/stream", content=b"x" * 100)
        too_big = client.post("/stream", content=b"x" * 2000)
    assert r.status_code == 200
    assert r.text == "".join(f"part {i}\n" for i in range(50))
    assert too_big.status_code == 413
