"""What the server publishes against the KooMessage contract (../shared)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.support.harness import SHARED, Server

IMPLEMENTED = Path(__file__).with_name("implemented_operations.txt")


def _contract_ops() -> dict[tuple[str, str], str]:
    spec = json.loads((SHARED / "koomessage" / "openapi.json").read_text())
    return {
        (m.upper(), p): op["operationId"]
        for p, ops in spec["paths"].items()
        for m, op in ops.items()
        if m in ("get", "post", "put", "delete")
    }


def test_implemented_operations_only_grow(server: Server):
    contract = _contract_ops()
    assert len(contract) == 62
    ours = httpx.get(server.url + "/openapi.json").json()
    served = {(m.upper(), p) for p, ops in ours["paths"].items() for m in ops}
    implemented = sorted(contract[k] for k in contract if k in served)
    print(f"\n{len(implemented)} of 62 KooMessage operations implemented:\n  " + "\n  ".join(implemented))
    recorded = {line.strip() for line in IMPLEMENTED.read_text().splitlines() if line.strip() and not line.startswith("#")}
    missing = recorded - set(implemented)
    assert not missing, f"operations that were implemented are gone: {sorted(missing)}"
    # Nothing served under /v1 that the contract does not define.
    extra = sorted(f"{m} {p}" for m, p in served if p.startswith("/v1/") and (m, p) not in contract)
    assert not extra, f"paths under /v1 that KooMessage does not have: {extra}"
