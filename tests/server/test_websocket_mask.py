"""`gamehub serve` under eventlet unmasks the phones' websocket frames with wsproto's masker:
the same bytes as eventlet's own per-byte loop, whole frames or in pieces (really installed:
tests/process/test_websocket_mask_served.py)."""

from __future__ import annotations

import warnings

from hypothesis import given
from hypothesis import strategies as st

from gamehub.runtime.websocket_mask import unmask

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # eventlet's notice that it is in maintenance mode
    from eventlet.websocket import RFC6455WebSocket

EVENTLETS_OWN = RFC6455WebSocket.__dict__["_apply_mask"].__func__
masks = st.tuples(*[st.integers(0, 255)] * 4)


def test_eventlets_own_unmasking_is_the_one_compared_against():
    assert EVENTLETS_OWN is not unmask  # else the comparisons below compare unmask with itself


@given(st.binary(max_size=600), masks, st.integers(0, 7), st.data())
def test_unmask_gives_what_eventlet_gives(data, mask, offset, draw):
    length = draw.draw(st.one_of(st.none(), st.integers(0, len(data))))
    assert unmask(data, mask, length=length, offset=offset) == EVENTLETS_OWN(data, mask, length=length, offset=offset)


@given(st.binary(min_size=1, max_size=600), masks, st.lists(st.integers(1, 50), max_size=12))
def test_a_frame_unmasked_in_the_pieces_it_arrives_in_is_the_frame_unmasked_whole(data, mask, cuts):
    # eventlet's reader unmasks each recv() as it comes, passing how much it had already read.
    pieces, at = [], 0
    for cut in cuts + [len(data)]:
        piece = data[at:at + cut]
        pieces.append(unmask(piece, mask, length=len(piece), offset=at))
        at += len(piece)
    assert b"".join(pieces) == unmask(data, mask) == EVENTLETS_OWN(data, mask)
    assert unmask(unmask(data, mask), mask) == data
