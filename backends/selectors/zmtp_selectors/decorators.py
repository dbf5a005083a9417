"""pyzmq's ``zmq.decorators``: a function gets a fresh Context or Socket per call.

    @context()
    @socket(zmq.PUSH)
    def work(ctx, push): ...

Each call makes the object, hands it to the function (as the keyword ``name``
if given, else as one more positional argument after the caller's), and
closes it when the function returns. ``@socket`` makes its socket in the
context it finds among the call's arguments (the keyword ``context_name``, or
any positional Context), else in ``Context.instance()``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from ._context import Context

__all__ = ["context", "socket"]

F = TypeVar("F", bound=Callable[..., Any])


def context(*args: Any, **kwargs: Any) -> Callable[[F], F]:
    """Call with a new ``Context(*args, **kwargs)`` (destroyed after the call).

    A leading text argument, or ``name=``, names the keyword it is passed as.
    """
    name, args = _name(args, kwargs)
    return _decorator(name, lambda *_call_args, **_call_kwargs: Context(*args, **kwargs))


def socket(*args: Any, context_name: str = "context", **kwargs: Any) -> Callable[[F], F]:
    """Call with a new socket ``ctx.socket(*args, **kwargs)`` (closed after the call).

    A leading text argument, or ``name=``, names the keyword it is passed as.
    """
    name, args = _name(args, kwargs)

    def make(*call_args: Any, **call_kwargs: Any) -> AbstractContextManager[Any]:
        ctx = call_kwargs.get(context_name)
        if not isinstance(ctx, Context):
            found = (arg for arg in call_args if isinstance(arg, Context))
            ctx = next(found, None) or Context.instance()
        sock: AbstractContextManager[Any] = ctx.socket(*args, **kwargs)
        return sock

    return _decorator(name, make)


def _name(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[str | None, tuple[Any, ...]]:
    """The keyword the object goes in (``name=``, or a leading text argument)."""
    name = kwargs.pop("name", None)
    if name is None and args and isinstance(args[0], str):
        name, args = args[0], args[1:]
    return name, args


def _decorator(
    name: str | None, make: Callable[..., AbstractContextManager[Any]]
) -> Callable[[F], F]:
    def decorate(function: F) -> F:
        @functools.wraps(function)
        def call(*call_args: Any, **call_kwargs: Any) -> Any:
            if name is not None and name in call_kwargs:
                raise TypeError(f"{function.__name__}() got multiple values for {name!r}")
            with make(*call_args, **call_kwargs) as made:
                if name is None:
                    return function(*call_args, made, **call_kwargs)
                return function(*call_args, **call_kwargs, **{name: made})

        return call  # type: ignore[return-value]

    return decorate
