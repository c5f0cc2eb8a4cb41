/**
 * One page's server-sent event stream, with a bounded queue: what the page has not read yet is
 * counted in bytes, and a page that lets more than its limit pile up is dropped at once (its
 * queue is discarded, so its memory is freed; its `EventSource` reconnects and starts from a
 * fresh snapshot). The first message (a snapshot of many calls) is sent whole and does not count
 * against the limit, so a large snapshot still leaves the page `limitBytes` of updates.
 * @internal
 * @module
 */

/** Why a stream ended. */
export type StreamEnd = 'slow' | 'cancelled' | 'closed';

/** A page's stream. */
export interface EventStream {
  /** The body of the page's response. */
  readonly stream: ReadableStream<Uint8Array>;
  /** Queues a message; `false` when the stream has ended (now, for being too far behind, or before). */
  send(bytes: Uint8Array): boolean;
  /** Queues a last message, then ends the stream once the page has read what is queued. */
  close(last?: Uint8Array): void;
  readonly ended: boolean;
}

/** A stream whose unread messages may take up to `limitBytes`; `onEnd` is told once, why it ended. */
export function openEventStream(limitBytes: number, onEnd: (why: StreamEnd) => void): EventStream {
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  let ended = false;
  let allowance = limitBytes;
  let first = true;
  const end = (why: StreamEnd): void => {
    if (ended) return;
    ended = true;
    onEnd(why);
  };
  const stream = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      cancel() {
        end('cancelled');
      },
    },
    { highWaterMark: limitBytes, size: (chunk) => chunk.byteLength },
  );
  return {
    stream,
    send(bytes) {
      if (ended || controller === undefined) return false;
      const queued = limitBytes - (controller.desiredSize ?? limitBytes);
      if (first) {
        first = false;
        allowance += bytes.byteLength;
      } else if (queued + bytes.byteLength > allowance) {
        // error() drops the queue: the memory goes now, not when the page finally reads.
        controller.error(new Error('the page fell too far behind; it reconnects for a snapshot'));
        end('slow');
        return false;
      }
      controller.enqueue(bytes);
      return true;
    },
    close(last) {
      if (ended || controller === undefined) return;
      if (last !== undefined) controller.enqueue(last);
      controller.close();
      end('closed');
    },
    get ended() {
      return ended;
    },
  };
}
