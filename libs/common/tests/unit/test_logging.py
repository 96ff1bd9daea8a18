from __future__ import annotations

import io
import json
import logging

from opentelemetry.sdk.trace import TracerProvider

from gov_common.telemetry import setup_logging


def test_json_log_lines_carry_trace_and_service() -> None:
    setup_logging("catalog", level="INFO", json_logs=True)
    root = logging.getLogger()
    stream = io.StringIO()
    root.handlers[0].setStream(stream)  # type: ignore[attr-defined]
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("work") as span:
        logging.getLogger("catalog.items").info("published %s", "事项 A")
        trace_id = format(span.get_span_context().trace_id, "032x")
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["message"] == "published 事项 A"
    assert line["level"] == "INFO" and line["logger"] == "catalog.items"
    assert line["service"] == "catalog"
    assert line["trace_id"] == trace_id
