import type { RegistryEvent, RegistryEventType } from './types.js';

type Listener = (event: RegistryEvent) => void;

/**
 * The listeners of a registry. A listener that throws never breaks the call it listens to nor
 * the other listeners: its error is reported as `registry.error` instead.
 */
export class RegistryListeners {
  readonly #byType = new Map<RegistryEventType, Set<Listener>>();

  on<T extends RegistryEventType>(
    type: T,
    listener: (event: Extract<RegistryEvent, { type: T }>) => void,
  ): () => void {
    let set = this.#byType.get(type);
    if (set === undefined) {
      set = new Set();
      this.#byType.set(type, set);
    }
    const stored = listener as Listener;
    set.add(stored);
    return () => {
      this.#byType.get(type)?.delete(stored);
    };
  }

  emit(event: RegistryEvent): void {
    const set = this.#byType.get(event.type);
    if (set === undefined) return;
    for (const listener of set) {
      try {
        listener(event);
      } catch (error) {
        if (event.type !== 'registry.error') {
          this.report(error, 'callId' in event ? event.callId : undefined);
        }
      }
    }
  }

  report(error: unknown, callId?: string): void {
    const asError = error instanceof Error ? error : new Error(String(error));
    this.emit(
      callId === undefined
        ? { type: 'registry.error', error: asError }
        : { type: 'registry.error', callId, error: asError },
    );
  }
}
