"""moto server for runlane's local cloud and tests.

Usage: python3 runlane_moto.py --port PORT [--execute]

Applies local fixes before serving:
- moto issue 10077 (a second StartExecution of a state machine fails): moto deep-copies
  the StateMachine with its executions; the upstream fix leaves them out of the clone.
  Applied only when the installed moto lacks a __deepcopy__ of its own.
- SQS FIFO sequence numbers: AWS gives each message of a FIFO queue a larger sequence
  number than the one before; moto draws them at random. runlane orders a thread's runs
  by them, so they are made increasing, as on AWS.
- SQS long polls: moto snapshots the FIFO groups in flight when a long poll starts, so a
  group released during the poll (visibility 0) stays withheld until the poll ends, and
  while a withheld group has visible messages the poll spins on the CPU. A long poll is
  now a series of short receives, each seeing the groups in flight at that moment.
- StopExecution while a Task waits on a task token: moto marks the execution stopped but
  leaves the Task waiting until its heartbeat or timeout, so the execution ends FAILED
  instead of ABORTED. Stopping now also wakes every callback wait of the execution, and
  the error that wakes it no longer overrides the stop.
- StopExecution while a Task's Lambda invocation is in flight: moto records the execution's
  status only when its program returns, so the execution stayed RUNNING (and no status change
  reached the reaper) until the Lambda returned, minutes later for a long agent attempt. On AWS
  the execution is ABORTED at once and the Lambda runs on: the status is now set on stop.
- SQS receive atomicity: moto's threaded server does not lock a queue while a receive picks its
  messages, so two receives at once (the local event source polls with several pollers, as
  Lambda's does) could in principle both take a FIFO group's head (not seen in 8-way tests,
  where the GIL rarely switches inside a receive). Receives, deletes and visibility changes are
  serialized, so a group in flight is withheld from every other receive, as on AWS.
- DynamoDB item atomicity: moto's threaded server does not lock its tables, so concurrent
  UpdateItem ADDs could hand out one fence token twice; table operations are serialized.
--execute turns on moto's real state machine execution (Task states call the endpoint
given by MOTO_PORT, which the local cloud points at its edge).
"""
import argparse
import copy
import itertools
import sys
import threading


def fix_state_machine_deepcopy():
    from moto.stepfunctions.models import StateMachine

    if "__deepcopy__" in StateMachine.__dict__:
        return

    def __deepcopy__(self, memo):
        clone = self.__class__.__new__(self.__class__)
        memo[id(self)] = clone
        for key, value in self.__dict__.items():
            setattr(clone, key, value if key == "executions" else copy.deepcopy(value, memo))
        clone.executions = []
        return clone

    StateMachine.__deepcopy__ = __deepcopy__


def fix_fifo_sequence_numbers():
    from moto.sqs import models

    counter = itertools.count(10**19)
    lock = threading.Lock()
    original = models.SQSBackend.send_message

    def send_message(self, *args, **kwargs):
        message = original(self, *args, **kwargs)
        if message.sequence_number is not None:
            with lock:
                message.sequence_number = str(next(counter))
        return message

    models.SQSBackend.send_message = send_message


SQS_LOCK = threading.RLock()


def fix_sqs_atomicity():
    from moto.sqs import models

    def locked(method):
        def call(self, *args, **kwargs):
            with SQS_LOCK:
                return method(self, *args, **kwargs)
        return call

    for name in ("delete_message", "delete_message_batch", "change_message_visibility", "change_message_visibility_batch"):
        if hasattr(models.SQSBackend, name):
            setattr(models.SQSBackend, name, locked(getattr(models.SQSBackend, name)))


def fix_long_polling():
    import time
    from moto.sqs import models

    original = models.SQSBackend.receive_message

    def receive_message(self, queue_name, count, wait_seconds_timeout, visibility_timeout, message_attribute_names=None):
        deadline = time.monotonic() + (wait_seconds_timeout or 0)
        while True:
            with SQS_LOCK:  # one short receive at a time (fix_sqs_atomicity); the wait between them holds no lock
                result = original(self, queue_name, count, 0, visibility_timeout, message_attribute_names)
            if result or time.monotonic() >= deadline:
                return result
            time.sleep(0.05)

    models.SQSBackend.receive_message = receive_message


def fix_stop_during_task_token_wait():
    from moto.stepfunctions.parser.asl.eval.environment import Environment
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped

    original = Environment.set_stop
    original_set_error = Environment.set_error

    def set_stop(self, stop_date, cause, error):
        original(self, stop_date, cause, error)
        for endpoint in list(self.callback_pool_manager._pool.values()):
            endpoint.interrupt_all()

    def set_error(self, error):
        if not isinstance(self._program_state, ProgramStopped):
            original_set_error(self, error)

    Environment.set_stop = set_stop
    Environment.set_error = set_error


def fix_stop_during_lambda_task():
    import datetime
    from moto.stepfunctions.parser.api import ExecutionStatus
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped
    from moto.stepfunctions.parser.backend.execution import Execution

    original = Execution.stop

    def stop(self, stop_date, error, cause):
        original(self, stop_date=stop_date, error=error, cause=cause)
        worker = self.exec_worker
        env = getattr(worker, "env", None) if worker else None
        if (env is not None and isinstance(env.program_state(), ProgramStopped)
                and self.exec_status == ExecutionStatus.RUNNING):
            self.exec_status = ExecutionStatus.ABORTED
            self.stop_date = datetime.datetime.now(tz=datetime.timezone.utc)

    Execution.stop = stop


def fix_dynamodb_atomicity():
    """DynamoDB applies each item write atomically (ADD on a counter never loses an increment, a
    condition is checked against the item as written); moto's threaded server does not lock its
    tables, so concurrent UpdateItem ADDs hand out the same fence token twice. Serialize the table
    operations, as AWS's item-level atomicity would."""
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()

    def locked(method):
        def call(self, *args, **kwargs):
            with lock:
                return method(self, *args, **kwargs)
        return call

    for name in ("get_item", "put_item", "update_item", "delete_item", "query", "scan",
                 "transact_write_items", "transact_get_items", "batch_get_item", "batch_write_item"):
        setattr(DynamoDBBackend, name, locked(getattr(DynamoDBBackend, name)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--execute", action="store_true", help="execute state machines for real")
    args = parser.parse_args()

    fix_state_machine_deepcopy()
    fix_fifo_sequence_numbers()
    fix_dynamodb_atomicity()
    fix_stop_during_task_token_wait()
    fix_stop_during_lambda_task()
    fix_sqs_atomicity()
    fix_long_polling()
    if args.execute:
        from moto.core.config import default_user_config
        default_user_config["stepfunctions"]["execute_state_machine"] = True

    from moto.server import main as moto_main
    moto_main(["--host", args.host, "--port", str(args.port)])


if __name__ == "__main__":
    sys.exit(main())
