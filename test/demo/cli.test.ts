// The demo's parts that need no process: its command line, its colours, its counts.
import { describe, expect, it } from 'vitest';
import { parseDemoArgs, USAGE, UsageError } from '../../demo/args.js';
import type { DemoEvent } from '../../demo/events.js';
import { redactNotificationPayload } from '../../demo/inspector.js';
import { chartPosition, describeParty } from '../../demo/observe.js';
import { colorEnabled, createStyle, padEnd, visibleLength } from '../../demo/style.js';
import { createTally, percentile } from '../../demo/tally.js';

describe('command line', () => {
  it('runs one call without faults when given nothing', () => {
    expect(parseDemoArgs([])).toEqual({
      help: false,
      scenario: 'hangup',
      calls: 1,
      seed: 6,
      faults: false,
      json: false,
      inspect: false,
      inspectPort: 8080,
      open: false,
      console: false,
      consolePort: 0,
      lingerSec: undefined,
    });
  });

  it('reads every flag', () => {
    expect(
      parseDemoArgs([
        '--faults',
        '--calls',
        '1000',
        '--seed',
        '42',
        '--json',
        '--inspect',
        '--inspect-port',
        '0',
        '--open',
        '--console',
        '--console-port',
        '9090',
        '--linger',
        '5',
      ]),
    ).toMatchObject({
      calls: 1000,
      seed: 42,
      faults: true,
      json: true,
      inspect: true,
      inspectPort: 0,
      open: true,
      console: true,
      consolePort: 9090,
      lingerSec: 5,
    });
    expect(parseDemoArgs(['-h']).help).toBe(true);
  });

  it('reads --scenario, and runs the hang-up flow by default or when named', () => {
    for (const scenario of ['hangup', 'answer', 'reject', 'redirect', 'transfer', 'place', 'ivr']) {
      expect(parseDemoArgs(['--scenario', scenario]).scenario).toBe(scenario);
    }
    expect(parseDemoArgs(['--scenario=transfer', '--json', '--seed', '3'])).toMatchObject({
      scenario: 'transfer',
      json: true,
      seed: 3,
    });
    expect(parseDemoArgs(['--scenario', 'hangup', '--calls', '20', '--faults'])).toMatchObject({
      scenario: 'hangup',
      calls: 20,
      faults: true,
    });
    // One call is what every scenario runs anyway.
    expect(parseDemoArgs(['--scenario', 'answer', '--calls', '1']).calls).toBe(1);
  });

  it('refuses an unknown scenario, and --calls or --faults with a call-control scenario', () => {
    expect(() => parseDemoArgs(['--scenario', 'voicemail'])).toThrow(
      new UsageError(
        '--scenario takes one of hangup, answer, reject, redirect, transfer, place, ivr, got "voicemail"',
      ),
    );
    expect(() => parseDemoArgs(['--scenario', 'Answer'])).toThrow(/--scenario takes one of/);
    expect(() => parseDemoArgs(['--scenario'])).toThrow(UsageError);
    expect(() => parseDemoArgs(['--scenario', 'reject', '--calls', '5'])).toThrow(
      new UsageError('--scenario reject runs one call; --calls 5 goes with --scenario hangup only'),
    );
    expect(() => parseDemoArgs(['--scenario', 'transfer', '--faults'])).toThrow(
      new UsageError(
        '--scenario transfer runs without faults; --faults goes with --scenario hangup only',
      ),
    );
    expect(() => parseDemoArgs(['--scenario', 'ivr', '--calls', '2'])).toThrow(
      new UsageError('--scenario ivr runs one call; --calls 2 goes with --scenario hangup only'),
    );
  });

  it('refuses what cannot run, naming the flag', () => {
    expect(() => parseDemoArgs(['--calls', '0'])).toThrow(
      new UsageError('--calls takes a whole number from 1 to 10000, got "0"'),
    );
    expect(() => parseDemoArgs(['--seed', '1.5'])).toThrow(/--seed takes a whole number/);
    expect(() => parseDemoArgs(['--inspect-port', '70000'])).toThrow(/--inspect-port/);
    expect(() => parseDemoArgs(['--console-port', 'x'])).toThrow(/--console-port/);
    expect(() => parseDemoArgs(['--fault'])).toThrow(UsageError);
    expect(() => parseDemoArgs(['extra'])).toThrow(UsageError);
  });

  it('documents every flag in --help', () => {
    for (const flag of [
      '--scenario',
      'hangup',
      'answer',
      'reject',
      'redirect',
      'transfer',
      'place',
      'ivr',
      '--faults',
      '--calls',
      '--seed',
      '--inspect',
      '--inspect-port',
      '--open',
      '--console',
      '--console-port',
      '--linger',
      '--json',
      '--help',
    ]) {
      expect(USAGE).toContain(flag);
    }
  });
});

describe('colour', () => {
  it('only on a terminal, never with NO_COLOR, always with FORCE_COLOR', () => {
    expect(colorEnabled({ isTTY: true }, {})).toBe(true);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorEnabled({}, {})).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    // An empty NO_COLOR does not count (no-color.org).
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(colorEnabled({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorEnabled({ isTTY: true }, { FORCE_COLOR: '0' })).toBe(true);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: '0' })).toBe(false);
  });

  it('aligns coloured text by its visible width', () => {
    const style = createStyle(true);
    expect(style.green('applied')).toBe('\u001b[32mapplied\u001b[39m');
    expect(visibleLength(style.bold(style.red('stale')))).toBe(5);
    expect(visibleLength(padEnd(style.cyan('late'), 8))).toBe(8);
    expect(createStyle(false).green('applied')).toBe('applied');
  });
});

describe('the machine position, the caller and the inspector payload', () => {
  it('names a caller by display name, else by kind and id', () => {
    expect(describeParty({ identity: { user: { id: 'u1', displayName: 'Ada Lovelace' } } })).toBe(
      'Ada Lovelace',
    );
    expect(describeParty({ identity: { phone: { id: '+14255550100' } } })).toBe(
      'phone +14255550100',
    );
    expect(describeParty({ identity: {} })).toBe('an unknown caller');
    expect(describeParty(undefined)).toBe('an unknown caller');
  });

  it('names a chart position by its path', () => {
    expect(chartPosition({ terminating: 'hangingUp' })).toBe('terminating.hangingUp');
    expect(chartPosition('terminated')).toBe('terminated');
  });

  it('leaves the raw Graph item out of inspected notification events, and nothing else', () => {
    const event = {
      type: 'notification',
      at: 1,
      notification: {
        callId: 'c1',
        state: 'terminated',
        raw: { resourceData: { displayName: 'Ada' } },
      },
    };
    expect(redactNotificationPayload(event)).toEqual({
      type: 'notification',
      at: 1,
      notification: { callId: 'c1', state: 'terminated', raw: '[omitted]' },
    });
    const hangUp = { type: 'hangUp', at: 1 };
    expect(redactNotificationPayload(hangUp)).toBe(hangUp);
  });
});

describe('counting a run', () => {
  const call = 'c1';
  const request = (status: number): DemoEvent => ({
    type: 'request',
    t: 1,
    callId: call,
    kind: 'deleteCall',
    method: 'DELETE',
    path: `/communications/calls/${call}`,
    status,
    durationMs: 1,
  });
  const hangUp: DemoEvent = { type: 'bot', t: 0, callId: call, action: 'hangUp', detail: '' };
  const terminated: DemoEvent = {
    type: 'terminated',
    t: 2,
    callId: call,
    outcome: { callId: call, reason: 'hungUp', at: 2 },
    confirmedBy: 'notification',
    sinceHangUpMs: 2,
  };

  it('accepts a DELETE retried after a 429 as one hang-up', () => {
    const tally = createTally();
    for (const event of [hangUp, request(429), request(204), terminated]) tally.add(event);
    expect(tally.summarize(10)).toMatchObject({
      ok: true,
      hangUps: 1,
      deleteRequests: 2,
      deleteRetries: 1,
      outcomes: { hungUp: 1 },
    });
  });

  it('fails a run with a second accepted DELETE, or a call that never ended', () => {
    const twice = createTally();
    for (const event of [hangUp, request(204), request(204), terminated]) twice.add(event);
    expect(twice.summarize(10).problems).toEqual([
      'call c1: 2 DELETE requests (2 accepted) for one hang-up, only 0 of them answered with a status worth retrying',
    ]);
    const open = createTally();
    for (const event of [hangUp, request(204)]) open.add(event);
    expect(open.summarize(10)).toMatchObject({ ok: false, problems: ['call c1 did not end'] });
  });

  it('fails a call that ends otherwise than its scenario expects', () => {
    const rejected: DemoEvent = {
      type: 'terminated',
      t: 2,
      callId: call,
      outcome: { callId: call, reason: 'rejected', at: 2 },
      confirmedBy: 'notification',
    };
    const asExpected = createTally({ scenario: 'reject', expectedOutcome: 'rejected' });
    asExpected.add(rejected);
    expect(asExpected.summarize(10)).toMatchObject({
      ok: true,
      scenario: 'reject',
      expectedOutcome: 'rejected',
      outcomes: { rejected: 1 },
    });
    const hungUpInstead = createTally({ scenario: 'reject', expectedOutcome: 'rejected' });
    hungUpInstead.add(terminated);
    expect(hungUpInstead.summarize(10).problems).toEqual([
      'call c1 ended as hungUp; the reject scenario expects rejected',
    ]);
  });

  it('counts requests by kind and failed transfers; a failed or refused command fails the run', () => {
    const tally = createTally({ scenario: 'transfer', expectedOutcome: 'transferred' });
    const transfer: DemoEvent = {
      type: 'request',
      t: 1,
      callId: call,
      kind: 'transferCall',
      method: 'POST',
      path: `/communications/calls/${call}/transfer`,
      status: 202,
      durationMs: 1,
    };
    for (const event of [
      transfer,
      { type: 'transferFailed', t: 1, callId: call } as const,
      transfer,
      {
        type: 'commandFailed',
        t: 1,
        callId: call,
        verb: 'transfer',
        status: 400,
        attempts: 1,
        error: 'Bad transfer target.',
      } as const,
      {
        type: 'commandRejected',
        t: 1,
        callId: call,
        verb: 'answer',
        state: 'established',
        phase: 'active',
        reason: 'the call is not incoming',
      } as const,
      {
        type: 'terminated',
        t: 2,
        callId: call,
        outcome: { callId: call, reason: 'transferred', at: 2 },
        confirmedBy: 'notification',
      } as const,
    ]) {
      tally.add(event);
    }
    const summary = tally.summarize(10);
    expect(summary.requests).toMatchObject({ transferCall: 2, answerCall: 0, deleteCall: 0 });
    expect(summary.transferFailures).toBe(1);
    expect(summary.problems).toEqual([
      'call c1: transfer failed with status 400 after 1 request(s): Bad transfer target.',
      'call c1: answer was refused in state established, nothing was sent: the call is not incoming',
    ]);
  });

  it('counts operation requests by kind, their ends and the key presses; a failed or refused operation fails the run', () => {
    const tally = createTally({ scenario: 'ivr', expectedOutcome: 'transferred' });
    const operation = (kind: 'playPrompt' | 'subscribeToTone', status: number): DemoEvent => ({
      type: 'request',
      t: 1,
      callId: call,
      kind,
      method: 'POST',
      path: `/communications/calls/${call}/${kind}`,
      status,
      operationStatus: kind === 'playPrompt' ? 'running' : 'completed',
      durationMs: 1,
    });
    for (const event of [
      operation('subscribeToTone', 200),
      { type: 'operationCompleted', t: 1, callId: call, kind: 'subscribeToTone', durationMs: 1 },
      operation('playPrompt', 200),
      operation('playPrompt', 200),
      {
        type: 'operationCompleted',
        t: 1,
        callId: call,
        kind: 'playPrompt',
        resultInfo: { code: 200, subcode: 0 },
        durationMs: 400,
      },
      {
        type: 'operationFailed',
        t: 1,
        callId: call,
        kind: 'playPrompt',
        failure: 'graph',
        resultInfo: { code: 500, subcode: 9999 },
        durationMs: 3,
      },
      { type: 'tone', t: 1, callId: call, tone: 'tone1', sequenceId: 1 },
      {
        type: 'operationRejected',
        t: 1,
        callId: call,
        kind: 'subscribeToTone',
        state: 'incoming',
        reason: 'the call is not connected',
      },
      {
        type: 'terminated',
        t: 2,
        callId: call,
        outcome: { callId: call, reason: 'transferred', at: 2 },
        confirmedBy: 'notification',
      },
    ] satisfies DemoEvent[]) {
      tally.add(event);
    }
    const summary = tally.summarize(10);
    expect(summary.requests).toMatchObject({
      subscribeToTone: 1,
      playPrompt: 2,
      recordResponse: 0,
      transferCall: 0,
    });
    expect(summary.operations).toEqual({ completed: 2, failed: 1, rejected: 1 });
    expect(summary.tones).toBe(1);
    expect(summary.problems).toEqual([
      'call c1: playPrompt failed (graph, 500/9999)',
      'call c1: subscribeToTone was refused in state incoming, nothing was sent: the call is not connected',
    ]);
  });

  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 0.5)).toBe(50);
    expect(percentile(values, 0.99)).toBe(99);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([], 0.5)).toBe(0);
  });
});
