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
  now a series of short receives, each seeing the groups in flight at that moment: one
  whenever a message is sent, deleted or released, and every 0.5 s (for holds that ran
  out), so a message is received as soon as it can be, with no spinning while idle.
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
- DynamoDB queries by partition key: moto lists and sorts the whole table for each; they now
  read the one partition, so a query no longer grows with the stack's history.
- Per-request overheads of moto's server: routing's listing of moto's folders, a new JSONPath
  parser per path the state machine interpreter evaluates, and werkzeug's request log lines.
--execute turns on moto's real state machine execution (Task states call the endpoint
given by MOTO_PORT, which the local cloud points at its edge).
"""
import argparse
import copy
import itertools
import os
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
# Notified whenever a message may have become receivable (sent, released, deleted): a waiting long poll
# receives at once instead of on its next round.
SQS_CHANGED = threading.Condition(SQS_LOCK)
# A long poll also looks again this often, for holds (visibility timeouts) that simply ran out.
LONG_POLL_RECHECK_SECONDS = 0.5


def fix_sqs_atomicity():
    from moto.sqs import models

    def locked(method, notify):
        def call(self, *args, **kwargs):
            with SQS_LOCK:
                result = method(self, *args, **kwargs)
                if notify:
                    SQS_CHANGED.notify_all()
                return result
        return call

    for name in ("send_message", "send_message_batch", "delete_message", "delete_message_batch",
                 "change_message_visibility", "change_message_visibility_batch"):
        if hasattr(models.SQSBackend, name):
            setattr(models.SQSBackend, name, locked(getattr(models.SQSBackend, name), True))


def fix_long_polling():
    import time
    from moto.sqs import models

    original = models.SQSBackend.receive_message

    def receive_message(self, queue_name, count, wait_seconds_timeout, visibility_timeout, message_attribute_names=None):
        deadline = time.monotonic() + (wait_seconds_timeout or 0)
        with SQS_LOCK:  # one short receive at a time (fix_sqs_atomicity); waiting releases the lock
            while True:
                result = original(self, queue_name, count, 0, visibility_timeout, message_attribute_names)
                left = deadline - time.monotonic()
                if result or left <= 0:
                    return result
                SQS_CHANGED.wait(min(left, LONG_POLL_RECHECK_SECONDS))

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


def sample_profile(path):
    """RUNLANE_MOTO_PROFILE=<file>: every 10 ms, notes the innermost moto/werkzeug frames of every busy
    thread; every 10 s, writes the most frequent ones to the file (what moto spends its CPU on)."""
    import collections
    import os
    import time

    counts = collections.Counter()

    def where(frame):
        names = []
        while frame is not None and len(names) < 4:
            code = frame.f_code
            if "site-packages" in code.co_filename and "threading" not in code.co_filename:
                names.append("%s:%s" % (os.path.basename(code.co_filename), code.co_name))
            frame = frame.f_back
        return " < ".join(names)

    def run():
        last = time.monotonic()
        while True:
            time.sleep(0.01)
            for frame in sys._current_frames().values():
                if frame.f_code.co_name not in ("wait", "select", "accept", "_wait_for_tstate_lock", "sleep"):
                    key = where(frame)
                    if key:
                        counts[key] += 1
            if time.monotonic() - last > 10:
                last = time.monotonic()
                with open(path, "w") as out:
                    for key, n in counts.most_common(40):
                        out.write("%6d %s\n" % (n, key))

    threading.Thread(target=run, daemon=True, name="sample-profile").start()


def fix_dynamodb_query_by_key():
    """A Query of a table by its partition key reads that partition, as DynamoDB does; moto lists and
    sorts every item of the table for each one, so a query's cost grew with the stack's history (the
    events and payloads tables are queried by runId on every run)."""
    from moto.dynamodb.models.table import Table

    original = Table.query

    def query(self, hash_key, *args, **kwargs):
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        if index_name or hash_key is None:
            return original(self, hash_key, *args, **kwargs)
        partition = self.items.get(hash_key)
        if partition is None:
            items = []
        elif self.range_key_attr:
            items = sorted(partition.values(), key=lambda item: item.range_key)
        else:
            items = [partition]
        self.all_items = lambda: items  # only for this call: table operations are serialized
        try:
            return original(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    Table.query = query


def fix_per_request_overheads():
    """Work moto's server repeats on every request, measured with RUNLANE_MOTO_PROFILE as its main CPU
    cost under load: routing lists moto's package folders from disk (os.listdir and isdir of ~150
    entries), the state machine interpreter builds a new JSONPath parser (ply yacc tables) for
    each path it evaluates, and werkzeug logs every request through colorama. The folders and the
    parsed paths are kept; request lines are not logged."""
    import functools
    import logging
    from moto import backends
    from moto.stepfunctions.parser.asl.component.common.path import result_path
    from moto.stepfunctions.parser.asl.utils import json_path

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules
    json_path.parse = functools.lru_cache(maxsize=4096)(json_path.parse)
    result_path.parse = functools.lru_cache(maxsize=4096)(result_path.parse)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--execute", action="store_true", help="execute state machines for real")
    args = parser.parse_args()

    fix_state_machine_deepcopy()
    fix_fifo_sequence_numbers()
    fix_dynamodb_atomicity()
    fix_dynamodb_query_by_key()
    fix_per_request_overheads()
    fix_stop_during_task_token_wait()
    fix_stop_during_lambda_task()
    fix_sqs_atomicity()
    fix_long_polling()
    if os.environ.get("RUNLANE_MOTO_PROFILE"):
        sample_profile(os.environ["RUNLANE_MOTO_PROFILE"])
    if args.execute:
        from moto.core.config import default_user_config
        default_user_config["stepfunctions"]["execute_state_machine"] = True

    from moto.server import main as moto_main
    moto_main(["--host", args.host, "--port", str(args.port)])


if __name__ == "__main__":
    sys.exit(main())
