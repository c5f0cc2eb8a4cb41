// graph-call-machine/recorder: the flight recorder's files (Node). See createFileRecorder.
export type { ReadRecords, RecordProblem } from './readFlightRecords.js';
export { readFlightRecords } from './readFlightRecords.js';
