"""Property tests: the bulk formatter and the writer's value typing agree with the reference encoder."""

from __future__ import annotations

import pytest

pytest.importorskip("swarmview.core.jsontext.decode")

from hypothesis import given, settings
from hypothesis import strategies as st

from swarmview.core.errors import BundleWriteError
from swarmview.core.jsontext import types
from swarmview.core.jsontext.decode import decode
from swarmview.core.jsontext.encode import U64, dumps_compact
from swarmview.core.writer import records

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)  # ≤ 160 bytes: any name fits
SHORT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=16)  # ≤ 64 bytes: keys and units fit
ATTR_VALUE = st.one_of(
    TEXT,
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.integers(0, 2**64 - 1).map(U64),
    st.floats(allow_nan=False, allow_infinity=False),
)
ATTRS = st.dictionaries(SHORT, ATTR_VALUE, max_size=6)
U64S = st.integers(0, 2**64 - 1)
ID16 = st.binary(min_size=16, max_size=16).filter(any)
ID8 = st.binary(min_size=8, max_size=8).filter(any)


@settings(max_examples=300, deadline=None)
@given(trace=ID16, span=ID8, parent=st.none() | ID8, name=TEXT, start=U64S, end=st.none() | U64S, attrs=ATTRS)
def test_span_line_is_the_encoder_text(trace, span, parent, name, start, end, attrs) -> None:
    """For any valid span, the fast text equals ``dumps_compact`` and decodes back to the same record."""
    rec = records.prepare_span(trace, span, name, start, end, parent, attrs)
    text = records.span_line(rec).encode()
    assert text == dumps_compact(rec, types.SPAN_RECORD)
    back = decode(text, types.SPAN_RECORD)
    assert records.span_line(back).encode() == text


@settings(max_examples=300, deadline=None)
@given(ts=U64S, trace=ID16, name=TEXT, value=st.floats(allow_nan=False, allow_infinity=False),
       span=st.none() | ID8, unit=st.none() | SHORT, attrs=ATTRS)  # fmt: skip
def test_metric_line_is_the_encoder_text(ts, trace, name, value, span, unit, attrs) -> None:
    """Metric values of any magnitude (subnormals, 1e-5, 1e16 …) print exactly as serde_json/zmij does."""
    rec = records.prepare_metric(ts, trace, name, value, span, unit, attrs)
    assert records.metric_line(rec).encode() == dumps_compact(rec, types.METRIC_RECORD)


@settings(max_examples=200, deadline=None)
@given(value=st.integers(-(2**70), 2**70))
def test_int_attr_typing(value: int) -> None:
    """§4.4: an int is I64 when it fits, U64 up to 2**64-1, refused beyond; the text is the digits."""
    if -(2**63) <= value < 2**64:
        typed = records.bounds.coerce_attr_value(value, "k")
        assert type(typed) is (int if value < 2**63 else U64)
        assert records.value_text(typed) == str(value)
    else:
        with pytest.raises(BundleWriteError):
            records.bounds.coerce_attr_value(value, "k")
