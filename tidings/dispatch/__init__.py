"""The message pipeline after acceptance: dispatch (claim, route, submit,
record, retry, expire, recover) and intake (delivery reports and uplinks from
the channels).  Design and guarantees: docs/pipeline.md and
docs/delivery-guarantee.md."""
