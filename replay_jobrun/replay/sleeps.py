"""``skip_sleep``: the code under test's waits return at once; nobody else's do.

A replayed poller must not wait 30 s between polls, so ``time.sleep`` and
``asyncio.sleep`` return at once and the durations asked for are kept. That
holds for the thread that runs the test (and its event loop) only: another
thread, such as a log reader that waits by the wall clock for something
else, keeps sleeping for real, or it would spin at full speed.

Code that bound the function to a name of its own (``from time import
sleep``, as emr-cli does) is reached too, the way freezegun reaches
``datetime``: every loaded module's globals are searched for the original
functions, each module once per process, and the names found are swapped
for the block.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

_lock = threading.Lock()
# Module name -> its global names bound to time.sleep or asyncio.sleep, when it was searched.
_bound: dict[str, tuple[str, ...]] = {}
# (module, name) of every binding found, as of the last search, and how many modules
# were loaded then: while that count holds, no module is new and the list stands.
_places: list[tuple[Any, str]] = []
_searched_at = [-1]
# Where botocore (and aiobotocore) sleep between the attempts of a retried call.
_RETRY_LOOPS = frozenset({"botocore.endpoint", "aiobotocore.endpoint"})


def _names_bound(originals: dict[int, Any]) -> list[tuple[Any, str, Any]]:
    """(module, name, original) for every global bound to an original, searching new modules."""
    with _lock:
        if len(sys.modules) != _searched_at[0]:
            _places.clear()
            for module_name, module in list(sys.modules.items()):
                names = _bound.get(module_name)
                if names is None:
                    namespace = getattr(module, "__dict__", None) or {}
                    names = tuple(
                        name for name, value in list(namespace.items()) if id(value) in originals
                    )
                    _bound[module_name] = names
                _places.extend((module, name) for name in names)
            _searched_at[0] = len(sys.modules)
        places = list(_places)
    found = []
    for module, name in places:
        value = getattr(module, name, None)
        if originals.get(id(value)) is value:
            found.append((module, name, value))
    return found


@contextlib.contextmanager
def sleeps_skipped(slept: list[float], *, skip: bool = True) -> Iterator[None]:
    """Inside the block, this thread's ``time.sleep`` / ``asyncio.sleep`` return at once.

    The durations asked for are appended to ``slept``; other threads sleep as usual.
    With ``skip=False`` the durations are still noted but the sleeps are real
    (recording against AWS, where a job moves with time).
    """
    owner = threading.get_ident()
    real_sleep = time.sleep

    def sleep(seconds: float) -> None:
        if threading.get_ident() == owner:
            # botocore's retry back-off is skipped too, but not noted: a replayed call is
            # never retried, and .slept must read the same when recording and replaying.
            if sys._getframe(1).f_globals.get("__name__") not in _RETRY_LOOPS:
                slept.append(seconds)
            if skip:
                return
        real_sleep(seconds)

    replacements: dict[int, Any] = {id(real_sleep): sleep}
    originals: dict[int, Any] = {id(real_sleep): real_sleep}
    asyncio = sys.modules.get("asyncio")  # not imported: nothing awaits its sleep yet
    if asyncio is not None:
        real_async_sleep = asyncio.sleep

        async def async_sleep(delay: float, result: Any = None) -> Any:
            if threading.get_ident() == owner:
                if sys._getframe(1).f_globals.get("__name__") not in _RETRY_LOOPS:
                    slept.append(delay)
                if skip:
                    return await real_async_sleep(0, result)  # still yields to the loop once
            return await real_async_sleep(delay, result)

        replacements[id(real_async_sleep)] = async_sleep
        originals[id(real_async_sleep)] = real_async_sleep

    # time.sleep and asyncio.sleep themselves are among the names found.
    swapped = [
        (module, name, value, replacements[id(value)])
        for module, name, value in _names_bound(originals)
    ]
    for module, name, _, replacement in swapped:
        setattr(module, name, replacement)
    try:
        yield
    finally:
        for module, name, original, replacement in swapped:
            if getattr(module, name, None) is replacement:
                setattr(module, name, original)
