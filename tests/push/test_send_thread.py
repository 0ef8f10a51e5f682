"""The send pool: batches go out in order with one worker, at most `workers` at once with more, and nothing new
starts after a failure."""

from __future__ import annotations

import threading
import time

import pytest

from erpload.push.send_thread import SendPool


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

    sending: SendPool[int] = SendPool(send)
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

    sending: SendPool[int] = SendPool(send)
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

    sending: SendPool[int] = SendPool(send)
    sending.put(1)
    with pytest.raises(ValueError, match="refused 1"):
        sending.close()


def test_workers_send_at_once_up_to_their_number_and_drain_waits_for_all() -> None:
    in_flight = 0
    most_in_flight = 0
    done: list[int] = []
    lock = threading.Lock()

    def send(item: int) -> None:
        nonlocal in_flight, most_in_flight
        with lock:
            in_flight += 1
            most_in_flight = max(most_in_flight, in_flight)
        time.sleep(0.02)
        with lock:
            in_flight -= 1
            done.append(item)

    sending: SendPool[int] = SendPool(send, workers=4)
    for item in range(12):
        sending.put(item)
    sending.drain()
    assert sorted(done) == list(range(12))  # drain returned only once every item was sent
    assert most_in_flight == 4
    sending.put(99)
    sending.close()
    assert done[-1] == 99


def test_after_a_failure_the_batches_in_flight_finish_and_no_new_one_starts() -> None:
    started: list[int] = []
    finished: list[int] = []
    release = threading.Event()

    def send(item: int) -> None:
        started.append(item)
        if item == 0:
            while len(started) < 3:  # fails while 1 and 2 are with the vendor
                time.sleep(0.001)
            raise RuntimeError("vendor down")
        release.wait(5)
        finished.append(item)

    sending: SendPool[int] = SendPool(send, workers=3)
    sending.put(0)
    sending.put(1)
    sending.put(2)
    time.sleep(0.1)  # 0 failed, 1 and 2 are with the vendor
    release.set()

    def keep_sending() -> None:
        for item in range(3, 50):
            sending.put(item)

    with pytest.raises(RuntimeError, match="vendor down"):
        keep_sending()
    sending.close(raise_error=False)
    assert sorted(finished) == [1, 2]  # the ones in flight were answered
    assert sorted(started) == [0, 1, 2]  # nothing started after the failure
