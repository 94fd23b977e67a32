import { resolveBusSettings, settingsForApi, type ApiSettings, type BusSettings, type BusSettingsInput } from '../config';
import { createLogger, type Logger } from '../logging';
import type { Sender } from '../messages/wire';

/**
 * What one client is configured as, resolved once at `create()`: the bus's settings, each API's
 * settings, the logger, and who the client says it is in the messages it sends. Settings never
 * change after create(), so everything here is computed up front.
 */
export class ClientSettings {
  public readonly bus: BusSettings;
  public readonly logger: Logger;
  /** Who this process is, as written into the messages it sends. */
  public readonly sender: Sender;

  public constructor(options: BusSettingsInput & { readonly logger?: Logger | undefined }) {
    this.bus = resolveBusSettings(options);
    this.logger =
      options.logger ?? createLogger({ level: this.bus.logLevel, base: this.bus.serviceName ? { service: this.bus.serviceName } : {} });
    this.sender = {
      ...(this.bus.serviceName !== undefined ? { service: this.bus.serviceName } : {}),
      process: this.bus.processName,
    };
  }

  /** One API's settings: its own block over the `default` block over the defaults. */
  public forApi(api: string): ApiSettings {
    return settingsForApi(this.bus, api);
  }
}
