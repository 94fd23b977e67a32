import { DescribeEventBusCommand } from '@aws-sdk/client-eventbridge';
import { LightbusError } from '../errors/lightbus-error';
import { payloadBucketName } from '../topology/naming';
import type { AwsClients } from '../transport/aws-clients';

/**
 * Finds the bus's payload bucket: the deployment's LIGHTBUS_PAYLOAD_BUCKET if set, else the
 * conventional `<bus>-payloads-<account>-<region>` (docs/wire-format.md, "Finding the bus"), the
 * account and region read once from the event bus's ARN. Asks nothing until a payload needs it.
 */
export class PayloadBucketLocator {
  private resolving: Promise<string> | undefined;
  private resolved: string | undefined;

  public constructor(
    private readonly clients: AwsClients,
    private readonly busName: string,
    private readonly eventBusName: () => string,
    configured: string | undefined,
  ) {
    this.resolved = configured;
  }

  /** The bucket's name, if known without asking (configured, or found earlier). */
  public get known(): string | undefined {
    return this.resolved;
  }

  /** The bucket's name; the first call without a configured name asks EventBridge for the bus's ARN. */
  public name(): Promise<string> {
    if (this.resolved !== undefined) return Promise.resolve(this.resolved);
    this.resolving ??= this.fromEventBusArn().then(
      (name) => (this.resolved = name),
      (error: unknown) => {
        this.resolving = undefined;
        throw error;
      },
    );
    return this.resolving;
  }

  private async fromEventBusArn(): Promise<string> {
    const eventBusName = this.eventBusName();
    const out = await this.clients.eventBridge.send(new DescribeEventBusCommand({ Name: eventBusName }));
    const parts = (out.Arn ?? '').split(':');
    const [region, account] = [parts[3], parts[4]];
    if (!region || !account) {
      throw new LightbusError(
        'PAYLOAD_BUCKET_UNKNOWN',
        `Cannot name the payload bucket of bus "${this.busName}": the event bus "${eventBusName}" has no usable ARN (${String(out.Arn)}). ` +
          'Set LIGHTBUS_PAYLOAD_BUCKET.',
        { busName: this.busName },
      );
    }
    return payloadBucketName(this.busName, account, region);
  }
}
