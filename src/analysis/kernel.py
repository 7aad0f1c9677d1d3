"""The kernel manager the runner's notebooks run under: a clean shutdown without an interrupt.

Why a clean run printed "[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel.":
jupyter_client's ``shutdown_kernel`` always sends SIGINT to the kernel before the
shutdown request (to stop any code still running). papermill, after the last cell,
asks for ``kernel_info`` and shuts the kernel down as soon as the *reply* arrives - but
ipykernel sends that reply from inside its message handler, while SIGINT is still mapped
to ``KeyboardInterrupt`` (it is ignored only between handlers). On a busy machine the
interrupt often lands in that window, and ipykernel logs the KeyboardInterrupt as an
error. The notebook has finished; there is nothing to interrupt. So this manager asks
the kernel to shut down without interrupting it first (the shutdown request, then
SIGTERM and SIGKILL after ``shutdown_wait_time`` if it does not stop, still apply).
"""

from __future__ import annotations

from jupyter_client.manager import AsyncKernelManager


class NotebookKernelManager(AsyncKernelManager):
    """AsyncKernelManager whose shutdown does not first interrupt the kernel (see the module docstring)."""

    async def _async_interrupt_kernel(self) -> None:
        if self.shutting_down:  # set by shutdown_kernel just before it interrupts
            return
        await super()._async_interrupt_kernel()

    interrupt_kernel = _async_interrupt_kernel
