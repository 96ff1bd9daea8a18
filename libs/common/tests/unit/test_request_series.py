"""The request figures keep a series per route, method and status class well past the SDK's default limit
of 2,000 series (a process hosting many services reached it, and every route measured after that lost its
figures to one overflow series), with the buckets still in seconds."""

from __future__ import annotations

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader

from gov_common.telemetry import _DURATION_BUCKETS, _VIEWS, REQUEST_SERIES_LIMIT


def test_routes_past_two_thousand_series_keep_their_own_figures() -> None:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader], views=_VIEWS)
    histogram = provider.get_meter("test").create_histogram(
        "gov.http.server.request.duration", unit="s", explicit_bucket_boundaries_advisory=_DURATION_BUCKETS
    )
    for n in range(2_500):
        histogram.record(0.01, {"route": f"/v1/r{n}", "method": "GET", "status_class": "2xx"})
    histogram.record(0.2, {"route": "/v1/last", "method": "GET", "status_class": "2xx"})
    data = reader.get_metrics_data()
    assert data is not None
    points = [
        p
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
        if m.name == "gov.http.server.request.duration"
        for p in m.data.data_points
    ]
    assert not [p for p in points if p.attributes and p.attributes.get("otel.metric.overflow")]
    last = next(p for p in points if p.attributes and p.attributes.get("route") == "/v1/last")
    assert isinstance(last, HistogramDataPoint) and last.count == 1
    assert tuple(last.explicit_bounds) == _DURATION_BUCKETS, "still seconds, not the SDK's millisecond buckets"
    assert len(points) == 2_501 < REQUEST_SERIES_LIMIT
    provider.shutdown()
