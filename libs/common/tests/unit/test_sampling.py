"""Spans are recorded only while something exports them, except that a caller's decision to sample travels
on: a process that exports nothing must not cut the trace of the processes after it."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, Decision
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from gov_common.telemetry import _WhileExporting


def parent(sampled: bool) -> object:
    context = SpanContext(
        trace_id=0x4BF92F3577B34DA6A3CE929D0E0E4736,
        span_id=0x00F067AA0BA902B7,
        is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT),
    )
    return trace.set_span_in_context(NonRecordingSpan(context))


def decision(sampler: _WhileExporting, parent_context: object = None) -> Decision:
    return sampler.should_sample(parent_context, 0x4BF92F3577B34DA6A3CE929D0E0E4736, "GET /x").decision  # type: ignore[arg-type]


def test_nothing_is_recorded_while_nothing_exports() -> None:
    sampler = _WhileExporting(ALWAYS_ON)
    assert decision(sampler) is Decision.DROP
    assert decision(sampler, parent(sampled=False)) is Decision.DROP


def test_a_callers_sampled_trace_is_carried_on_without_an_exporter() -> None:
    assert decision(_WhileExporting(ALWAYS_ON), parent(sampled=True)) is Decision.RECORD_AND_SAMPLE


def test_the_configured_sampler_decides_while_spans_are_exported() -> None:
    sampler = _WhileExporting(ALWAYS_ON)
    sampler.exporting = True
    assert decision(sampler) is Decision.RECORD_AND_SAMPLE
