import {
  DescribeArchiveCommand,
  DescribeReplayCommand,
  DescribeRuleCommand,
  StartReplayCommand,
  type DescribeArchiveCommandOutput,
} from '@aws-sdk/client-eventbridge';
import { eventDetailType, eventSource } from '../../runtime/messages';
import { archiveName, fitName, listenerRuleName } from '../../runtime/topology';
import type { AwsClients } from '../../runtime/transport';
import { ReplayRefusedError } from './errors';
import { checkWindow, type HistoryWindow } from './window';

/** Replay history into one listener. */
export interface ListenerReplayRequest {
  readonly service: string;
  readonly listener: string;
  /** The API whose events to replay: the listener must listen to it. @default every event the listener listens to */
  readonly api?: string;
  /** One event of `api`; the listener must listen to no other event of the bus then. @default every event of `api` */
  readonly event?: string;
  readonly window: HistoryWindow;
}

export interface ReplayReport {
  readonly replayName: string;
  readonly archive: string;
  /** The rules the replay was limited to (`Destination.FilterArns`). */
  readonly rules: readonly string[];
  readonly window: HistoryWindow;
  /** `STARTING` when not waited for; else the final state: `COMPLETED`, `FAILED` or `CANCELLED`. */
  readonly state: string;
  readonly stateReason?: string;
}

const FINAL_STATES = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

/**
 * The bus's history (its `<bus>-history` archive): replays into one listener's rule only. EventBridge
 * delivers a replay to the rules in `Destination.FilterArns`, so the bus's other listeners do not see
 * the events again. The CLI (`lightbus replay`) only renders what this returns.
 */
export class BusHistory {
  public constructor(
    private readonly clients: AwsClients,
    private readonly busName: string,
    private readonly eventBusName: string,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /** Checks everything first (window, archive, listener and its events); starts a replay only if all holds. */
  public async replayIntoListener(request: ListenerReplayRequest, options: { wait?: boolean } = {}): Promise<ReplayReport> {
    const window = checkWindow(request.window, this.now());
    const archive = await this.archive();
    this.checkWithinArchive(archive, window);
    const ruleArn = await this.listenerRule(request);
    return this.start(archive, [ruleArn], window, `${request.service}-${request.listener}`, options.wait ?? true);
  }

  /** Replays a window into the given rules only (inspect's temporary rule). */
  public async replayIntoRules(ruleArns: readonly string[], window: HistoryWindow, label: string, wait: boolean): Promise<ReplayReport> {
    const checked = checkWindow(window, this.now());
    const archive = await this.archive();
    this.checkWithinArchive(archive, checked);
    return this.start(archive, ruleArns, checked, label, wait);
  }

  private async start(archive: DescribeArchiveCommandOutput, rules: readonly string[], window: HistoryWindow, label: string, wait: boolean): Promise<ReplayReport> {
    if (rules.length === 0) throw new ReplayRefusedError('No rule to replay into.');
    const replayName = fitName(`${label}-${this.now().toString(36)}`.replace(/[^A-Za-z0-9._-]/g, '-'), 64);
    const started = await this.clients.eventBridge.send(
      new StartReplayCommand({
        ReplayName: replayName,
        EventSourceArn: archive.ArchiveArn,
        EventStartTime: window.from,
        EventEndTime: window.to,
        Destination: { Arn: archive.EventSourceArn, FilterArns: [...rules] },
        Description: `lightbus replay into ${label}`,
      }),
    );
    const base = { replayName, archive: archive.ArchiveName ?? archiveName(this.busName), rules, window };
    if (!wait) return { ...base, state: started.State ?? 'STARTING' };
    for (;;) {
      const described = await this.clients.eventBridge.send(new DescribeReplayCommand({ ReplayName: replayName }));
      const state = described.State ?? 'UNKNOWN';
      if (FINAL_STATES.has(state)) return { ...base, state, ...(described.StateReason ? { stateReason: described.StateReason } : {}) };
      await this.sleep(500);
    }
  }

  private async archive(): Promise<DescribeArchiveCommandOutput> {
    const name = archiveName(this.busName);
    try {
      return await this.clients.eventBridge.send(new DescribeArchiveCommand({ ArchiveName: name }));
    } catch (error) {
      const problem = (error as Error).name;
      if (problem === 'ResourceNotFoundException') {
        throw new ReplayRefusedError(
          `The bus "${this.busName}" has no history archive "${name}": deploy it with LightbusBus (archive is on by default) or run a worker with \`lightbus run --local\`.`,
          { archive: name },
        );
      }
      if (/InvalidAction|UnknownOperation|NotImplemented/.test(problem)) {
        throw new ReplayRefusedError(`The endpoint has no EventBridge archives (${problem}).`, { archive: name });
      }
      throw error;
    }
  }

  private checkWithinArchive(archive: DescribeArchiveCommandOutput, window: HistoryWindow): void {
    const created = archive.CreationTime?.getTime();
    if (created !== undefined && window.to.getTime() <= created) {
      throw new ReplayRefusedError(
        `The window ends before the history starts: the archive ${archive.ArchiveName} exists since ${new Date(created).toISOString()}.`,
      );
    }
    const retentionDays = archive.RetentionDays ?? 0;
    if (retentionDays > 0 && window.to.getTime() <= this.now() - retentionDays * 86_400_000) {
      throw new ReplayRefusedError(`The window ends before the history kept: the archive ${archive.ArchiveName} keeps ${retentionDays} day(s).`);
    }
  }

  /** The listener's rule ARN, after checking that it listens to exactly what was asked. */
  private async listenerRule(request: ListenerReplayRequest): Promise<string> {
    const ruleName = listenerRuleName(this.busName, request.service, request.listener);
    let rule;
    try {
      rule = await this.clients.eventBridge.send(new DescribeRuleCommand({ Name: ruleName, EventBusName: this.eventBusName }));
    } catch (error) {
      if ((error as Error).name !== 'ResourceNotFoundException') throw error;
      throw new ReplayRefusedError(
        `Service "${request.service}" has no listener "${request.listener}" on the bus "${this.busName}" (no rule ${ruleName}; a listener that ` +
          'takes only events of APIs on SNS has no rule, and SNS keeps no history).',
        {
          rule: ruleName,
        },
      );
    }
    const pattern = JSON.parse(rule.EventPattern ?? '{}') as { source?: unknown[]; 'detail-type'?: unknown[] };
    const sources = (pattern.source ?? []).filter((s): s is string => typeof s === 'string');
    const detailTypes = (pattern['detail-type'] ?? []).filter((s): s is string => typeof s === 'string');
    const listened = detailTypes.join(', ') || '(nothing)';
    if (request.api === undefined) {
      if (request.event !== undefined) throw new ReplayRefusedError('--event needs --api (or a qualified name such as customers.newCustomer).');
      return rule.Arn as string;
    }
    if (!sources.includes(eventSource(request.api))) {
      throw new ReplayRefusedError(`Listener "${request.listener}" does not listen to the API "${request.api}"; it listens to ${listened}.`);
    }
    const asked = request.event !== undefined ? [eventDetailType(request.api, request.event)] : detailTypes.filter((d) => d.startsWith(`${request.api}.`));
    if (request.event !== undefined && !detailTypes.includes(asked[0] as string)) {
      throw new ReplayRefusedError(`Listener "${request.listener}" does not listen to ${asked[0]}; it listens to ${listened}.`);
    }
    // A replay goes to the listener's whole rule: it must not carry events beyond the ones asked for.
    const beyond = detailTypes.filter((d) => !asked.includes(d));
    if (beyond.length > 0) {
      throw new ReplayRefusedError(
        `Listener "${request.listener}" also listens to ${beyond.join(', ')}, which a replay into it would replay too (a replay goes to the ` +
          "listener's whole rule). Leave out --api and --event to replay everything the listener listens to.",
      );
    }
    return rule.Arn as string;
  }
}
