// inspectInBrowser.ts: the pure machine in a web page (a playground, Storybook, a browser test),
// shown in the Stately inspector window.
import { createBrowserInspector } from '@statelyai/inspect';
import { callMachine, parseNotifications } from 'graph-call-machine';
import { createActor } from 'xstate';

const inspector = createBrowserInspector(); // opens https://stately.ai/inspect in a new window
export const call = createActor(callMachine, {
  input: { callId: 'c1', state: 'established' },
  inspect: inspector.inspect,
});
call.start();

call.send({ type: 'hangUp', at: Date.now() });
call.send({ type: 'delete.succeeded', at: Date.now() });
const body = {
  value: [
    {
      changeType: 'deleted',
      resourceUrl: '/communications/calls/c1',
      resourceData: {
        '@odata.type': '#microsoft.graph.call',
        state: 'terminated',
        resultInfo: { code: 200, subcode: 5001, message: 'The conversation has ended.' },
      },
    },
  ],
};
for (const notification of parseNotifications(body).notifications) {
  call.send({ type: 'notification', notification, at: Date.now() });
}
