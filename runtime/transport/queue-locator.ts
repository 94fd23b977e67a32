import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { ClientEnvironment } from '../config/environment';
import type { AwsClients } from './aws-clients';

/**
 * Finds queue URLs by queue name. A deployment sets LIGHTBUS_QUEUE_URL_PREFIX (e.g.
 * `https://sqs.us-east-1.amazonaws.com/123456789012/`) so no lookup is needed; otherwise one
 * GetQueueUrl per queue, cached for the life of the process.
 */
export class QueueLocator {
  private readonly cache = new Map<string, Promise<string>>();

  public constructor(
    private readonly clients: AwsClients,
    private readonly urlPrefix: string | undefined = process.env[ClientEnvironment.QueueUrlPrefix],
  ) {}

  public url(queueName: string): Promise<string> {
    if (this.urlPrefix) return Promise.resolve(`${this.urlPrefix.replace(/\/?$/, '/')}${queueName}`);
    let url = this.cache.get(queueName);
    if (!url) {
      url = this.clients.sqs
        .send(new GetQueueUrlCommand({ QueueName: queueName }))
        .then((out) => {
          if (!out.QueueUrl) throw new Error(`GetQueueUrl returned no URL for ${queueName}`);
          return out.QueueUrl;
        });
      // A failed lookup (queue not created yet) must not be cached forever.
      url.catch(() => this.cache.delete(queueName));
      this.cache.set(queueName, url);
    }
    return url;
  }

  /** Remembers a URL learnt elsewhere (e.g. from CreateQueue). */
  public remember(queueName: string, url: string): void {
    this.cache.set(queueName, Promise.resolve(url));
  }
}

/** `arn:aws:sqs:us-east-1:123456789012:name` → `name`. */
export function queueNameFromArn(arn: string): string {
  return arn.slice(arn.lastIndexOf(':') + 1);
}
