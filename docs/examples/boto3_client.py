#!/usr/bin/env python3
"""Talk to a lightbus-aws bus from Python with nothing but boto3 and docs/wire-format.md.

Every name and field below comes from that document; the jest test
test/integration/wire-format.test.ts runs this script against a real worker to prove it.

Usage:
  boto3_client.py [--endpoint URL] [--region R] [--bus NAME] [--traceparent TP] fire API EVENT '{"param": 1}' [--transport sns]
  boto3_client.py [--endpoint URL] [--region R] [--bus NAME] [--scope SCOPE] [--traceparent TP] call API PROCEDURE '{"param": 1}' [--timeout-ms 5000]
  boto3_client.py [--endpoint URL] [--region R] [--bus NAME] workers

A call's id is "<caller scope>.<uuid>" (wire-format.md, "Calling a procedure"): the caller's IAM
grant reads only results under its scope. --scope defaults to LIGHTBUS_CALLER_SCOPE, else "boto3".

Parameters too large for their message (wire-format.md, "Large payloads") go to the bus's payload
bucket and travel as a reference; a result that arrives as a reference is fetched and checked.
--offload-above BYTES (default LIGHTBUS_PAYLOAD_OFFLOAD_ABOVE) offloads smaller messages too.

Every request and event carries a W3C "traceparent" (wire-format.md, "Trace context"): pass
--traceparent to continue a trace of yours, else the script starts a new one.

Prints one JSON object on stdout:
  fire -> {"id": ..., "eventBridgeId": ..., "traceparent": ...}
  call -> {"state": "ok", "id": ..., "result": ..., "traceparent": ..., "resultTraceparent": ...}
        | {"state": "error", "id": ..., "error": {"name": ..., "message": ..., ...}, ...}
        | {"state": "timeout", "id": ..., "traceparent": ...}
  workers -> {"workers": [{"service": ..., "workerId": ..., "status": ..., "apis": [...], "listeners": [...], ...}]}
Exit status: 0 for "ok" and for a fired event, 1 for "error", 2 for "timeout", 3 for bad usage or
an AWS failure.
"""
import argparse
import datetime
import hashlib
import json
import os
import re
import secrets
import socket
import sys
import time
import uuid

import boto3

WIRE_VERSION = 1


# ---- Resource names (wire-format.md, "Resource names") ------------------------------------------

def fit_name(name, limit):
    """Cut a name that is too long and end it with 8 hex digits of the SHA-256 of the whole name."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return name[: limit - len(digest) - 1] + "-" + digest


def api_slug(api):
    return api.replace(".", "-")


def rpc_queue_name(bus, api):
    return fit_name(f"{bus}-rpc-{api_slug(api)}", 76)


def event_bus_name(bus):
    return os.environ.get("LIGHTBUS_EVENT_BUS_NAME") or bus


def results_table_name(bus):
    return os.environ.get("LIGHTBUS_RESULTS_TABLE") or f"{bus}-results"


def queue_url(sqs, queue_name):
    prefix = os.environ.get("LIGHTBUS_QUEUE_URL_PREFIX")
    if prefix:
        return prefix.rstrip("/") + "/" + queue_name
    return sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]


def sender():
    return {"service": "boto3-example", "process": f"{socket.gethostname()}-{os.getpid()}"}


def now_ms():
    return int(time.time() * 1000)


# ---- Large payloads (wire-format.md, "Large payloads") ------------------------------------------

SQS_LIMIT = 256 * 1024                    # an RPC request body
EVENT_LIMIT = 256 * 1024 - 1024           # an event entry, less room for EventBridge's envelope


def payload_bucket(session, endpoint, bus):
    """LIGHTBUS_PAYLOAD_BUCKET, else <prefix>-<account>-<region> (wire-format.md, "Finding the bus")."""
    if os.environ.get("LIGHTBUS_PAYLOAD_BUCKET"):
        return os.environ["LIGHTBUS_PAYLOAD_BUCKET"]
    lowered = bus.lower().replace("_", "-")
    prefix = fit_name(f"{lowered}-payloads", 32)
    if lowered != bus:
        prefix = f"{lowered}-payloads"[:23] + "-" + hashlib.sha256(bus.encode("utf-8")).hexdigest()[:8]
    account = session.client("sts", endpoint_url=endpoint).get_caller_identity()["Account"]
    return f"{prefix}-{account}-{session.region_name}"


def store_payload(session, endpoint, bus, api, kind, payload):
    """Puts a payload's JSON under <api>/<kind>/<uuid> and returns the reference to send instead."""
    body = json.dumps(payload).encode("utf-8")
    bucket = payload_bucket(session, endpoint, bus)
    key = f"{api}/{kind}/{uuid.uuid4()}"
    session.client("s3", endpoint_url=endpoint).put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
    return {"bucket": bucket, "key": key, "bytes": len(body), "sha256": hashlib.sha256(body).hexdigest()}


def follow_reference(session, endpoint, ref):
    """The JSON a reference points at, after checking its size and SHA-256."""
    body = session.client("s3", endpoint_url=endpoint).get_object(Bucket=ref["bucket"], Key=ref["key"])["Body"].read()
    if len(body) != ref["bytes"] or hashlib.sha256(body).hexdigest() != ref["sha256"]:
        raise RuntimeError(f"payload {ref['key']} does not match its reference")
    return json.loads(body)


def with_reference(message, ref):
    """The message with parametersRef where parameters was."""
    return {("parametersRef" if k == "parameters" else k): (ref if k == "parameters" else v) for k, v in message.items()}


def sender():
    return {"service": "boto3-example", "process": f"{socket.gethostname()}-{os.getpid()}"}


def now_ms():
    return int(time.time() * 1000)


# ---- Events (wire-format.md, "Firing an event") -------------------------------------------------

# ---- Trace context (wire-format.md, "Trace context") --------------------------------------------

TRACEPARENT = re.compile(r"^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$")


def new_traceparent(parent=None):
    """A traceparent for a new span: in the parent's trace if one is given, else in a new trace."""
    trace_id = parent.split("-")[1] if parent else secrets.token_hex(16)
    return f"00-{trace_id}-{secrets.token_hex(8)}-01"


# ---- Events (wire-format.md, "Firing an event") -------------------------------------------------

def event_topic_name(bus, api, fifo=False):
    if fifo:
        return fit_name(f"{bus}-events-{api_slug(api)}", 251) + ".fifo"
    return fit_name(f"{bus}-events-{api_slug(api)}", 256)


GROUP_ID = re.compile(r"^[\x21-\x7e]{1,128}$")


def message_group(api, event, parameters, ordered_by):
    """wire-format.md, "Firing an event over SNS": the orderedBy value, as is or hashed."""
    if ordered_by is None or ordered_by not in parameters:
        text = f"{api}.{event}"
    else:
        value = parameters[ordered_by]
        text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return text if GROUP_ID.match(text) else "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def topic_arn(sns, topic_name):
    prefix = os.environ.get("LIGHTBUS_TOPIC_ARN_PREFIX")
    if prefix:
        return prefix + topic_name
    for page in sns.get_paginator("list_topics").paginate():
        for topic in page["Topics"]:
            if topic["TopicArn"].endswith(":" + topic_name):
                return topic["TopicArn"]
    raise RuntimeError(f"no SNS topic {topic_name}: is the API's event transport sns, and its service running?")


def fire_over_sns(session, endpoint, bus, api, event, detail, fifo=False, ordered_by=None):
    """An API on `transports.event: sns` (or `sns-fifo`): publish the EventBridge-shaped envelope to the API's topic."""
    sns = session.client("sns", endpoint_url=endpoint)
    envelope = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "source": f"lightbus.{api}",
        "detail-type": f"{api}.{event}",
        "time": detail["firedAt"],
        "detail": detail,
    }
    extra = {}
    if fifo:
        extra = {"MessageGroupId": message_group(api, event, detail["parameters"], ordered_by), "MessageDeduplicationId": detail["id"]}
    out = sns.publish(TopicArn=topic_arn(sns, event_topic_name(bus, api, fifo)), Message=json.dumps(envelope), **extra)
    return {"id": detail["id"], "eventBridgeId": out["MessageId"]}


def fire(session, endpoint, bus, api, event, parameters, transport="eventbridge", ordered_by=None, parent_traceparent=None, offload_above=None):
    traceparent = new_traceparent(parent_traceparent)
    detail = {
        "v": WIRE_VERSION,
        "kind": "lightbus.event",
        "id": str(uuid.uuid4()),
        "api": api,
        "event": event,
        "parameters": parameters,
        "firedAt": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "sender": sender(),
        "traceparent": traceparent,
    }
    source, detail_type = f"lightbus.{api}", f"{api}.{event}"
    size = len(source.encode()) + len(detail_type.encode()) + len(json.dumps(detail).encode())
    if size > min(EVENT_LIMIT, offload_above or EVENT_LIMIT):
        detail = with_reference(detail, store_payload(session, endpoint, bus, api, "event", parameters))
    if transport in ("sns", "sns-fifo"):
        return {**fire_over_sns(session, endpoint, bus, api, event, detail, transport == "sns-fifo", ordered_by), "traceparent": traceparent}
    events = session.client("events", endpoint_url=endpoint)
    out = events.put_events(
        Entries=[
            {
                "EventBusName": event_bus_name(bus),
                "Source": source,
                "DetailType": detail_type,
                "Detail": json.dumps(detail),
            }
        ]
    )
    entry = out["Entries"][0]
    if out.get("FailedEntryCount", 0) or "EventId" not in entry:
        raise RuntimeError(f"PutEvents refused the entry: {entry.get('ErrorCode')}: {entry.get('ErrorMessage')}")
    return {"id": detail["id"], "eventBridgeId": entry["EventId"], "traceparent": traceparent}


# ---- RPC (wire-format.md, "Calling a procedure") ------------------------------------------------

# 1 to 64 letters, digits, "_" and "-": never "." (it ends the scope) nor "#" (other key kinds).
CALLER_SCOPE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def new_call_id(scope):
    if not CALLER_SCOPE.match(scope):
        raise ValueError(f"caller scope {scope!r}: expected 1 to 64 letters, digits, '_' and '-'")
    return f"{scope}.{uuid.uuid4()}"


def call(session, endpoint, bus, api, procedure, parameters, timeout_ms, scope, parent_traceparent=None, offload_above=None):
    sqs = session.client("sqs", endpoint_url=endpoint)
    dynamodb = session.client("dynamodb", endpoint_url=endpoint)
    table = results_table_name(bus)
    call_id = new_call_id(scope)
    deadline = now_ms() + timeout_ms
    traceparent = new_traceparent(parent_traceparent)
    request = {
        "v": WIRE_VERSION,
        "kind": "lightbus.rpc",
        "id": call_id,
        "api": api,
        "procedure": procedure,
        "parameters": parameters,
        "deadline": deadline,
        "returnPath": {"table": table},
        "sender": sender(),
        "traceparent": traceparent,
    }
    body = json.dumps(request)
    if len(body.encode("utf-8")) > min(SQS_LIMIT, offload_above or SQS_LIMIT):
        body = json.dumps(with_reference(request, store_payload(session, endpoint, bus, api, "call", parameters)))
    sqs.send_message(QueueUrl=queue_url(sqs, rpc_queue_name(bus, api)), MessageBody=body)

    delay = 0.005
    while True:
        item = dynamodb.get_item(TableName=table, Key={"pk": {"S": call_id}}, ConsistentRead=True).get("Item")
        state = item["state"]["S"] if item else None
        # The worker's execution span, a child of ours: the same trace id.
        traced = {"traceparent": traceparent, "resultTraceparent": item.get("traceparent", {}).get("S")} if item else {}
        if state == "ok" and "resultRef" in item:  # a large result: in the payload bucket
            return {"state": "ok", "id": call_id, "result": follow_reference(session, endpoint, json.loads(item["resultRef"]["S"])), **traced}
        if state == "ok":
            return {"state": "ok", "id": call_id, "result": json.loads(item["result"]["S"]), **traced}
        if state == "error":
            return {"state": "error", "id": call_id, "error": json.loads(item["error"]["S"]), **traced}
        # No item yet, or "claimed": a worker is running it. Keep reading until the deadline.
        remaining = (deadline - now_ms()) / 1000
        if remaining <= 0:
            return {"state": "timeout", "id": call_id, "traceparent": traceparent}
        time.sleep(min(delay, remaining))
        delay = min(delay * 1.5, 0.05)


# ---- Worker state (wire-format.md, "Worker state") -----------------------------------------------

WORKER_INDEX_KEY = "workers#index"


def workers(session, endpoint, bus):
    """The workers as they last reported: the index item names them, BatchGetItem reads them (no Scan)."""
    dynamodb = session.client("dynamodb", endpoint_url=endpoint)
    table = results_table_name(bus)
    now = time.time()
    index = dynamodb.get_item(TableName=table, Key={"pk": {"S": WORKER_INDEX_KEY}}, ConsistentRead=True).get("Item", {})
    # Every attribute but pk is an entry "<service>#<workerId>" whose value is its expiry (epoch seconds).
    live = [name for name, value in index.items() if "#" in name and float(value["N"]) >= now]
    items = []
    for start in range(0, len(live), 100):
        keys = [{"pk": {"S": "worker#" + name}} for name in live[start:start + 100]]
        while keys:
            out = dynamodb.batch_get_item(RequestItems={table: {"Keys": keys, "ConsistentRead": True}})
            items += out["Responses"].get(table, [])
            keys = out.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
    result = []
    for item in items:
        if float(item["expiresAt"]["N"]) < now:
            continue
        worker = {name: item[name]["S"] for name in ("service", "workerId", "status", "runtime", "version", "startedAt", "lastSeenAt")}
        worker["apis"] = [entry["S"] for entry in item["apis"]["L"]]
        worker["listeners"] = [{k: v["S"] for k, v in entry["M"].items()} for entry in item["listeners"]["L"]]
        worker["heartbeatSeconds"] = int(item["heartbeatSeconds"]["N"])
        # Stale: no report for more than two heartbeat intervals.
        last_seen = datetime.datetime.fromisoformat(worker["lastSeenAt"].replace("Z", "+00:00")).timestamp()
        worker["stale"] = worker["status"] == "running" and now - last_seen > 2 * worker["heartbeatSeconds"]
        result.append(worker)
    return {"workers": sorted(result, key=lambda w: (w["service"], w["workerId"]))}


# ---- Dead letters (wire-format.md, "Retries and dead-letter queues") -----------------------------

CAUSE_ATTRIBUTES = {"lightbus.reason", "lightbus.error.name", "lightbus.error.message", "lightbus.source-queue", "lightbus.receive-count"}


def dead_letter_queue_name(queue_name):
    """`<queue>-dlq`; a FIFO queue `<base>.fifo` has `<base>-dlq.fifo`."""
    return queue_name[: -len(".fifo")] + "-dlq.fifo" if queue_name.endswith(".fifo") else queue_name + "-dlq"


def redrive(session, endpoint, queue_name):
    """Moves a queue's dead letters back: body and attributes minus the cause; into a FIFO queue in the
    dead letter's own MessageGroupId, deduplicated by its message id. Deleted only after the send."""
    sqs = session.client("sqs", endpoint_url=endpoint)
    fifo = queue_name.endswith(".fifo")
    source, dlq = queue_url(sqs, queue_name), queue_url(sqs, dead_letter_queue_name(queue_name))
    moved = []
    while True:
        out = sqs.receive_message(
            QueueUrl=dlq, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=60,
            MessageAttributeNames=["All"], MessageSystemAttributeNames=["MessageGroupId"],
        )
        if not out.get("Messages"):
            return {"moved": moved}
        for message in out["Messages"]:
            extra = {}
            attributes = {
                name: {k: v for k, v in value.items() if k in ("DataType", "StringValue", "BinaryValue")}
                for name, value in message.get("MessageAttributes", {}).items() if name not in CAUSE_ATTRIBUTES
            }
            if attributes:
                extra["MessageAttributes"] = attributes
            group = message.get("Attributes", {}).get("MessageGroupId")
            if fifo:
                extra.update(MessageGroupId=group, MessageDeduplicationId=message["MessageId"])
            sqs.send_message(QueueUrl=source, MessageBody=message["Body"], **extra)
            sqs.delete_message(QueueUrl=dlq, ReceiptHandle=message["ReceiptHandle"])
            moved.append({"messageId": message["MessageId"], "messageGroupId": group})


def main(argv):
    parser = argparse.ArgumentParser(description="Fire a lightbus event or call a lightbus RPC with boto3.")
    parser.add_argument("--endpoint", default=os.environ.get("AWS_ENDPOINT_URL"), help="AWS-compatible endpoint (default: AWS_ENDPOINT_URL, else AWS)")
    parser.add_argument("--region", default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"))
    parser.add_argument("--bus", default=os.environ.get("LIGHTBUS_BUS_NAME", "lightbus"), help="bus name (default: LIGHTBUS_BUS_NAME, else lightbus)")
    parser.add_argument("--scope", default=os.environ.get("LIGHTBUS_CALLER_SCOPE") or "boto3", help="caller scope of call ids (default: LIGHTBUS_CALLER_SCOPE, else boto3)")
    parser.add_argument("--offload-above", type=int, default=int(os.environ.get("LIGHTBUS_PAYLOAD_OFFLOAD_ABOVE") or 0) or None,
                        help="offload parameters to the payload bucket above this many bytes (default: only past the transport's limit)")
    parser.add_argument("--traceparent", default=None, help="W3C traceparent of a span of yours to continue (default: a new trace)")
    sub = parser.add_subparsers(dest="command", required=True)
    fire_cmd = sub.add_parser("fire")
    fire_cmd.add_argument("api")
    fire_cmd.add_argument("event")
    fire_cmd.add_argument("parameters", nargs="?", default="{}")
    fire_cmd.add_argument("--transport", choices=["eventbridge", "sns", "sns-fifo"], default="eventbridge", help="the API's transports.event (default: eventbridge)")
    fire_cmd.add_argument("--ordered-by", default=None, help="sns-fifo: the API's orderedBy parameter")
    call_cmd = sub.add_parser("call")
    call_cmd.add_argument("api")
    call_cmd.add_argument("procedure")
    call_cmd.add_argument("parameters", nargs="?", default="{}")
    call_cmd.add_argument("--timeout-ms", type=int, default=5000)
    sub.add_parser("workers")
    redrive_cmd = sub.add_parser("redrive")
    redrive_cmd.add_argument("queue", help="the source queue's name (its dead-letter queue is derived)")
    args = parser.parse_args(argv)

    parameters = json.loads(getattr(args, "parameters", "{}"))
    if not isinstance(parameters, dict):
        parser.error("parameters must be a JSON object")
    if not CALLER_SCOPE.match(args.scope):
        parser.error("--scope must be 1 to 64 letters, digits, '_' and '-'")
    if args.traceparent is not None and not TRACEPARENT.match(args.traceparent):
        parser.error("--traceparent must be 00-<32 hex>-<16 hex>-<2 hex>, ids not all zero")
    session = boto3.session.Session(region_name=args.region)
    try:
        if args.command == "fire":
            out = fire(session, args.endpoint, args.bus, args.api, args.event, parameters, args.transport, args.ordered_by, args.traceparent, args.offload_above)
            status = 0
        elif args.command == "workers":
            out = workers(session, args.endpoint, args.bus)
            status = 0
        elif args.command == "redrive":
            out = redrive(session, args.endpoint, args.queue)
            status = 0
        else:
            out = call(session, args.endpoint, args.bus, args.api, args.procedure, parameters, args.timeout_ms, args.scope, args.traceparent, args.offload_above)
            status = {"ok": 0, "error": 1, "timeout": 2}[out["state"]]
    except Exception as error:  # noqa: BLE001 - report any AWS failure as JSON
        print(json.dumps({"state": "failed", "error": {"name": type(error).__name__, "message": str(error)}}))
        return 3
    print(json.dumps(out))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
