// How server.ts hands an HTTP route (not GraphQL) its request's logging.
import type { Logger } from '../services/logging';

export interface RouteLogging {
  /** The request's logger. */
  log?: Logger;
  /** Told the key id once the key is known, for the request's access line. */
  onKey?: (keyId: string) => void;
}
