"""The send thread: batches go out in order, one at a time, and nothing goes out after a failure."""

from __future__ import annotations

import threading
import time

import pytest

from erpload.push.send_thread import SendThread


def test_items_are_sent_in_order_and_never_two_at_once() -> None:
    sent: list[int] = []
    in_flight = 0
    most_in_flight = 0
    lock = threading.Lock()

    def send(item: int) -> None:
        nonlocal in_flight, most_in_flight
        with lock:
            in_flight += 1
            most_in_flight = max(most_in_flight, in_flight)
        time.sleep(0.002)
        sent.append(item)
        with lock:
            in_flight -= 1

    sending: SendThread[int] = SendThread(send)
    for item in range(50):
        sending.put(item)
    sending.close()
    assert sent == list(range(50))
    assert most_in_flight == 1


def test_a_failure_stops_the_sending_and_reaches_the_caller() -> None:
    sent: list[int] = []
    failed = threading.Event()

    def send(item: int) -> None:
        if item == 3:
            failed.set()
            raise RuntimeError("vendor down")
        sent.append(item)

    sending: SendThread[int] = SendThread(send)
    for item in range(5):
        sending.put(item)  # 4 may wait behind 3: it is dropped, not sent
    failed.wait(5)

    def keep_sending() -> None:
        for item in range(5, 100):
            sending.put(item)
            time.sleep(0.001)

    with pytest.raises(RuntimeError, match="vendor down"):
        keep_sending()
    sending.close(raise_error=False)
    assert sent == [0, 1, 2]
    with pytest.raises(RuntimeError, match="vendor down"):
        sending.close()


def test_close_raises_a_failure_of_the_last_item() -> None:
    def send(item: int) -> None:
        raise ValueError(f"refused {item}")

    sending: SendThread[int] = SendThread(send)
    sending.put(1)
    with pytest.raises(ValueError, match="refused 1"):
        sending.close()
