/**
 * Messages in flight per queue when no `concurrency` is given. A receive under way holds 10 slots
 * (it may return 10), so 32 let a queue have only 3 receives under way; at AWS round trips that
 * capped a listener queue's drain, and an RPC request, which holds its slot through its claim and
 * its result write (two DynamoDB round trips a caller waits on), left calls waiting in SQS: 32
 * served 363–488 calls/s at 64 in flight in the AWS-like bench, 64 served 492–602, and the events
 * path went from 0.97× to 1.08× the raw path (bench/results/optimisations.md).
 */
export const DEFAULT_CONCURRENCY = 64;
