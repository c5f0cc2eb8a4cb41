import { describe, expect, it } from 'vitest';
import { classifyNotification, type ReconcileView } from '../../src/index.js';
import { callNotification } from '../../src/testing/index.js';

const note = callNotification.bind(null, 'c1');
const view = (state: ReconcileView['state'], phase: ReconcileView['phase'], etag?: string) =>
  etag === undefined ? { state, phase } : { state, phase, etag };

describe('classifyNotification: the reconciliation rules', () => {
  it('rule 0: participants and operations never move the call', () => {
    expect(
      classifyNotification(
        view('established', 'active'),
        note(undefined, { resource: 'participants' }),
      ),
    ).toBe('subresource');
    expect(
      classifyNotification(
        view('terminated', 'terminated'),
        note(undefined, { resource: 'operation' }),
      ),
    ).toBe('subresource');
  });

  it('rule 1: anything about a terminated call is late', () => {
    const ended = view('terminated', 'terminated');
    expect(classifyNotification(ended, note('terminating'))).toBe('late');
    expect(classifyNotification(ended, note('terminated'))).toBe('late');
    expect(classifyNotification(ended, note(undefined, { changeType: 'deleted' }))).toBe('late');
  });

  it('rule 2: deleted or terminated applies from any live state, whatever the etag', () => {
    for (const v of [
      view('incoming', 'setup'),
      view('hold', 'active', 'W/"9"'),
      view('terminating', 'terminating'),
    ]) {
      expect(classifyNotification(v, note('terminated', { etag: 'W/"1"' }))).toBe('apply');
      expect(classifyNotification(v, note(undefined, { changeType: 'deleted' }))).toBe('apply');
      expect(classifyNotification(v, note('established', { changeType: 'deleted' }))).toBe('apply');
    }
    // 2018 payloads: updated + terminated, then a bare deleted.
    expect(
      classifyNotification(
        view('established', 'active'),
        note('terminated', { changeType: 'updated' }),
      ),
    ).toBe('apply');
  });

  it('rule 3: no state, or a state the library does not know, changes nothing', () => {
    expect(classifyNotification(view('established', 'active'), note(undefined))).toBe('unchanged');
    expect(classifyNotification(view('established', 'active'), note('unknownFutureValue'))).toBe(
      'unchanged',
    );
  });

  it('rule 4: a state of an earlier phase is stale', () => {
    expect(classifyNotification(view('established', 'active'), note('establishing'))).toBe('stale');
    expect(classifyNotification(view('terminating', 'terminating'), note('established'))).toBe(
      'stale',
    );
    // A hang-up in progress is terminating even while Graph still says established.
    expect(classifyNotification(view('established', 'terminating'), note('established'))).toBe(
      'stale',
    );
    // Stale even when its etag looks newer: phases are the truth, etags only break ties.
    expect(
      classifyNotification(
        view('established', 'active', 'W/"1"'),
        note('incoming', { etag: 'W/"99"' }),
      ),
    ).toBe('stale');
  });

  it('rule 5: the same state again is unchanged (same etag, no etag, or a newer one); older numeric etag is stale', () => {
    expect(classifyNotification(view('established', 'active'), note('established'))).toBe(
      'unchanged',
    );
    expect(
      classifyNotification(
        view('established', 'active', 'W/"5"'),
        note('established', { etag: 'W/"5"' }),
      ),
    ).toBe('unchanged');
    expect(classifyNotification(view('established', 'active', 'W/"5"'), note('established'))).toBe(
      'unchanged',
    );
    expect(
      classifyNotification(
        view('established', 'active', 'W/"5"'),
        note('established', { etag: 'W/"6"' }),
      ),
    ).toBe('unchanged');
    expect(
      classifyNotification(
        view('established', 'active', 'W/"5"'),
        note('established', { etag: 'W/"4"' }),
      ),
    ).toBe('stale');
  });

  it('rule 6: a later phase applies even when states were skipped', () => {
    expect(classifyNotification(view('incoming', 'setup'), note('established'))).toBe('apply');
    expect(classifyNotification(view('establishing', 'setup'), note('terminating'))).toBe('apply');
    // The docs give consecutive states the same etag: equal etags never block a move.
    expect(
      classifyNotification(
        view('incoming', 'setup', 'W/"5445"'),
        note('establishing', { etag: 'W/"5445"' }),
      ),
    ).toBe('apply');
  });

  it('rule 7: inside a phase, numeric etags that differ decide', () => {
    const transferring = view('transferring', 'active', 'W/"10"');
    expect(classifyNotification(transferring, note('established', { etag: 'W/"11"' }))).toBe(
      'apply',
    );
    expect(classifyNotification(transferring, note('established', { etag: 'W/"9"' }))).toBe(
      'stale',
    );
    // Numeric comparison, not text: 9 < 10.
    expect(
      classifyNotification(
        view('hold', 'active', 'W/"9"'),
        note('established', { etag: 'W/"10"' }),
      ),
    ).toBe('apply');
  });

  it('rule 7: without comparable etags, active applies in arrival order', () => {
    expect(classifyNotification(view('transferAccepted', 'active'), note('established'))).toBe(
      'apply',
    );
    expect(
      classifyNotification(
        view('transferring', 'active', 'W/"x"'),
        note('established', { etag: 'W/"y"' }),
      ),
    ).toBe('apply');
    expect(classifyNotification(view('established', 'active', 'W/"3"'), note('hold'))).toBe(
      'apply',
    );
  });

  it('rule 7: without comparable etags, setup follows its sub-order', () => {
    expect(classifyNotification(view('establishing', 'setup'), note('incoming'))).toBe('stale');
    expect(classifyNotification(view('establishing', 'setup'), note('ringing'))).toBe('stale');
    expect(classifyNotification(view('incoming', 'setup'), note('redirecting'))).toBe('apply');
    expect(classifyNotification(view('ringing', 'setup'), note('establishing'))).toBe('apply');
    expect(classifyNotification(view('ringing', 'setup'), note('redirecting'))).toBe('apply');
    // …unless numeric etags say otherwise.
    expect(
      classifyNotification(
        view('establishing', 'setup', 'W/"1"'),
        note('incoming', { etag: 'W/"2"' }),
      ),
    ).toBe('apply');
  });

  it('a terminating notification while hanging up applies (same phase, other state)', () => {
    expect(classifyNotification(view('established', 'terminating'), note('terminating'))).toBe(
      'apply',
    );
  });
});
