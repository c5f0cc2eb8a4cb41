// graph-call-machine/testing: helpers for tests of the library and of the bots that embed it.

export type { CallNotificationOptions } from './callNotification.js';
export { callNotification } from './callNotification.js';
