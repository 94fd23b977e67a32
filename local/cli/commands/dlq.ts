import { InvalidArgumentError, type Command } from 'commander';
import { resolveBusSettings } from '../../../runtime/config';
import { ConfigurationError } from '../../../runtime/errors';
import { AwsClients } from '../../../runtime/transport';
import { DeadLetters, type DeadLetter, type DeadLetterListing, type DeadLetterSelector, type RedriveReport } from '../../dead-letters';
import { addCommonOptions, applyCommonOptions, type CommonOptions } from '../common';
import { parsePositiveInt } from '../options';

export interface DlqOptions extends CommonOptions {
  readonly listener?: string;
  readonly api?: string;
  readonly limit?: number;
  readonly id?: readonly string[];
  readonly format: 'pretty' | 'json';
}

type Write = (text: string) => void;

/** `--listener L` (of --service-name) or `--api A`: exactly one. */
export function dlqSelector(options: Pick<DlqOptions, 'listener' | 'api'>, serviceName: string | undefined): DeadLetterSelector {
  if ((options.listener === undefined) === (options.api === undefined)) {
    throw new ConfigurationError('Name one dead-letter queue: --listener <name> (with --service-name) or --api <name>; got ' +
      (options.listener === undefined ? 'neither.' : 'both.'));
  }
  if (options.api !== undefined) return { api: options.api };
  if (serviceName === undefined) {
    throw new ConfigurationError(`--listener ${options.listener}: listener queues are named after their service; give --service-name (or LIGHTBUS_SERVICE_NAME).`);
  }
  return { listener: options.listener as string, service: serviceName };
}

/** Runs `action` with the resolved queue, then closes the clients. */
async function withDeadLetters<T>(options: DlqOptions, action: (dl: DeadLetters, selector: DeadLetterSelector) => Promise<T>): Promise<T> {
  applyCommonOptions(options);
  const settings = resolveBusSettings();
  const selector = dlqSelector(options, settings.serviceName);
  const clients = new AwsClients(settings.aws);
  try {
    return await action(new DeadLetters(clients, settings.busName), selector);
  } finally {
    clients.destroy();
  }
}

export async function listDeadLetters(options: DlqOptions, write: Write): Promise<DeadLetterListing> {
  return withDeadLetters(options, async (dl, selector) => {
    const listing = await dl.list(await dl.resolve(selector), options.limit !== undefined ? { limit: options.limit } : {});
    write(formatListing(listing, options.format));
    return listing;
  });
}

export async function showDeadLetter(id: string, options: DlqOptions, write: Write): Promise<DeadLetter> {
  return withDeadLetters(options, async (dl, selector) => {
    const queue = await dl.resolve(selector);
    const letter = await dl.show(queue, id);
    if (letter === undefined) {
      throw new ConfigurationError(`No message "${id}" in ${queue.deadLetterQueueName} (by SQS message id or lightbus id).`, { id });
    }
    write(options.format === 'json' ? `${JSON.stringify(letter)}\n` : `${formatLetter(letter)}\n  body: ${letter.body}\n`);
    return letter;
  });
}

export async function redriveDeadLetters(options: DlqOptions, write: Write): Promise<RedriveReport> {
  return withDeadLetters(options, async (dl, selector) => {
    const report = await dl.redrive(await dl.resolve(selector), options.id !== undefined ? { ids: options.id } : {});
    write(formatRedrive(report, options.format));
    return report;
  });
}

export function formatListing(listing: DeadLetterListing, format: 'pretty' | 'json'): string {
  if (format === 'json') return listing.messages.map((m) => `${JSON.stringify(m)}\n`).join('');
  const { queue, messages } = listing;
  if (messages.length === 0) return `${queue.deadLetterQueueName}: empty, nothing to do.\n`;
  const header = `${queue.deadLetterQueueName}: ${messages.length} message(s) shown, about ${listing.approximateCount} in the queue\n`;
  return header + messages.map((m) => `${formatLetter(m)}\n`).join('');
}

export function formatLetter(letter: DeadLetter): string {
  const what = letter.content.kind === 'unknown' ? 'unreadable body' : `${letter.content.kind} ${letter.content.api ?? '?'}.${letter.content.member ?? '?'} id=${letter.content.id ?? '?'}`;
  const cause = letter.cause
    ? `${letter.cause.reason}${letter.cause.errorName ? ` (${letter.cause.errorName}: ${letter.cause.errorMessage ?? ''})` : ''}, after ${letter.cause.receiveCount ?? '?'} receive(s)`
    : 'no cause recorded (moved by the queue\'s redrive policy: a worker crashed or hung)';
  const expired = letter.expired ? '\n  past its deadline: kept here, not redriven' : '';
  return `${letter.messageId}  ${what}\n  cause: ${cause}${expired}`;
}

export function formatRedrive(report: RedriveReport, format: 'pretty' | 'json'): string {
  if (format === 'json') return `${JSON.stringify(report)}\n`;
  const name = report.queue.deadLetterQueueName;
  const lines: string[] = [];
  if (report.nothingToDo) lines.push(`${name}: nothing to redrive.`);
  else if (report.method === 'move-task') lines.push(`${name}: started an SQS message move task (${report.taskHandle ?? 'no handle'}) for about ${report.moved} message(s).`);
  else lines.push(`${name}: moved ${report.moved} message(s) back to ${report.queue.sourceQueueName}.`);
  for (const letter of report.keptExpired) lines.push(`kept ${letter.messageId} (call ${letter.content.id ?? '?'}): an RPC request past its deadline is not redriven`);
  for (const failure of report.failures) {
    lines.push(failure.step === 'send'
      ? `not moved ${failure.messageId}: ${failure.error} (still in the dead-letter queue)`
      : `moved ${failure.messageId}, but could not delete it from the dead-letter queue (${failure.error}): it may be moved again`);
  }
  return `${lines.join('\n')}\n`;
}

export function registerDlqCommand(program: Command): void {
  const dlq = program.command('dlq').description("A listener's or an API's dead-letter queue: list, show and redrive its messages");
  const selectOptions = (command: Command): Command => {
    command
      .option('--listener <name>', "a listener's dead-letter queue (of --service-name)")
      .option('--api <name>', "an API's request dead-letter queue")
      .option('--format <format>', 'pretty or json (one JSON object per line)', parseFormat, 'pretty');
    return addCommonOptions(command, ['busName', 'serviceName', 'config', 'logLevel', 'local', 'endpoint']);
  };
  const out: Write = (text) => process.stdout.write(text);
  selectOptions(dlq.command('list').description('List the messages with their causes and receive counts (they stay in the queue)'))
    .option('--limit <n>', 'at most this many messages (default 100)', (v) => parsePositiveInt('--limit', v))
    .action(async (options: DlqOptions) => {
      await listDeadLetters(options, out);
    });
  selectOptions(dlq.command('show').argument('<id>', 'SQS message id or lightbus id').description('Show one message: cause, receive count, body'))
    .action(async (id: string, options: DlqOptions) => {
      await showDeadLetter(id, options, out);
    });
  selectOptions(
    dlq.command('redrive').description(
      'Move messages back to the queue they came from. RPC requests past their deadline stay in the dead-letter queue.',
    ),
  )
    .option('--id <id...>', 'only these messages (SQS message ids or lightbus ids)')
    .action(async (options: DlqOptions) => {
      await redriveDeadLetters(options, out);
    });
}

function parseFormat(value: string): 'pretty' | 'json' {
  if (value !== 'pretty' && value !== 'json') throw new InvalidArgumentError(`--format must be pretty or json; got "${value}".`);
  return value;
}
