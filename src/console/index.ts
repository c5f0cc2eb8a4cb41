// graph-call-machine/console: a live page of a registry's calls (or of a recording) that a bot serves itself.

export type {
  CallConsole,
  CallConsoleOptions,
  ConsoleAuthorization,
  ConsoleStats,
} from './consoleOptions.js';
export type {
  ConsoleCallDetail,
  ConsoleCallRow,
  ConsoleCounters,
  ConsoleMove,
  ConsoleOperation,
  ConsoleParticipant,
  ConsoleSnapshot,
  ConsoleTimelineEntry,
  ConsoleUpdate,
  ConsoleVerdict,
  TimelineKind,
} from './consoleTypes.js';
export type { ConsoleRegistry } from './createCallConsole.js';
export { createCallConsole } from './createCallConsole.js';
export type { RecordedConsoleOptions } from './createRecordedConsole.js';
export { createRecordedConsole } from './createRecordedConsole.js';
