import type { ResolvedSimulatedApp } from './app-list.js';
import { SimulatedApp } from './simulated-app.js';
import type { ResolvedSimulatorOptions } from './simulator.js';
import { tokenServiceFailureOption, type TokenServiceFailure } from './token-service.js';

/**
 * The apps a simulator serves, by AppID and by access token. An app's state is made on its first use;
 * until then it is its settings alone. A token belongs to the app that issued it, so a request's token
 * decides whose data it reads: one app's token can never read another's.
 */
export class AppRegistry {
  readonly #options: ResolvedSimulatorOptions;
  readonly #realClock: () => number;
  readonly #settings = new Map<string, ResolvedSimulatedApp>();
  readonly #apps = new Map<string, SimulatedApp>();
  readonly #owners = new Map<string, SimulatedApp>();
  /** The app used when a method is not told which: the first. */
  readonly defaultAppid: string;

  constructor(options: ResolvedSimulatorOptions, realClock: () => number) {
    this.#options = options;
    this.#realClock = realClock;
    for (const app of options.apps) this.#settings.set(app.appid, app);
    this.defaultAppid = options.apps[0]?.appid ?? options.appid;
  }

  /** The app `appid` names, made on first use; undefined for an AppID the simulator does not serve. */
  get(appid: string): SimulatedApp | undefined {
    let app = this.#apps.get(appid);
    if (app) return app;
    const settings = this.#settings.get(appid);
    if (!settings) return undefined;
    app = new SimulatedApp({
      app: settings,
      options: this.#options,
      realClock: this.#realClock,
      owners: {
        issued: (token) => this.#owners.set(token, app as SimulatedApp),
        dropped: (token) => this.#owners.delete(token),
      },
    });
    this.#apps.set(appid, app);
    return app;
  }

  /** Like get(), for the methods tests call: an AppID the simulator does not serve is a RangeError. */
  require(appid: string = this.defaultAppid): SimulatedApp {
    const app = this.get(appid);
    if (!app) {
      throw new RangeError(`Expected \`appid\` to be one of the simulator's apps, got ${JSON.stringify(appid)}`);
    }
    return app;
  }

  /** The app that issued `token`, if any did. */
  byToken(token: string): SimulatedApp | undefined {
    return this.#owners.get(token);
  }

  /** The apps made so far (the others have nothing to change). */
  created(): IterableIterator<SimulatedApp> {
    return this.#apps.values();
  }

  /** Every app served, in order, with its credentials. */
  list(): { appid: string; secret: string }[] {
    return this.#options.apps.map(({ appid, secret }) => ({ appid, secret }));
  }

  /** How the token service fails for `appid` now; undefined when it answers normally. */
  tokenServiceFailure(appid: string): TokenServiceFailure | undefined {
    return this.#options.tokenServiceFailures.get(appid);
  }

  setTokenServiceFailure(appid: string, failure: TokenServiceFailure | null): void {
    if (!this.#settings.has(appid)) {
      throw new RangeError(`Expected \`appid\` to be one of the simulator's apps, got ${JSON.stringify(appid)}`);
    }
    if (failure === null) this.#options.tokenServiceFailures.delete(appid);
    else this.#options.tokenServiceFailures.set(appid, tokenServiceFailureOption('failure', failure));
  }
}
