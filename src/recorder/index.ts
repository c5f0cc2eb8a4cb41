// graph-call-machine/recorder: the flight recorder's files (Node). See createFileRecorder.
export type { FileRecorder, FileRecorderOptions } from './createFileRecorder.js';
export { createFileRecorder } from './createFileRecorder.js';
export type { ReadRecords, RecordProblem } from './readFlightRecords.js';
export { readFlightRecords } from './readFlightRecords.js';
