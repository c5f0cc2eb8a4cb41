/** Webhook bodies shaped as Graph sends them (the test kit's builders will replace these). */
export function envelope(...items: object[]) {
  return { '@odata.type': '#microsoft.graph.commsNotifications', value: items };
}

export function callItem(
  callId: string,
  changeType: 'created' | 'updated' | 'deleted',
  state?: string,
  extra: Record<string, unknown> = {},
) {
  return {
    '@odata.type': '#microsoft.graph.commsNotification',
    changeType,
    resourceUrl: `/communications/calls/${callId}`,
    resourceData: {
      '@odata.type': '#microsoft.graph.call',
      ...(state === undefined ? {} : { state }),
      ...extra,
    },
  };
}

export function rosterItem(callId: string) {
  return {
    '@odata.type': '#microsoft.graph.commsNotification',
    changeType: 'updated',
    resourceUrl: `/communications/calls/${callId}/participants`,
    resourceData: [{ '@odata.type': '#microsoft.graph.participant', id: 'p1' }],
  };
}

export const terminatedItem = (callId: string) =>
  callItem(callId, 'deleted', 'terminated', {
    resultInfo: {
      '@odata.type': '#microsoft.graph.resultInfo',
      code: 200,
      subcode: 5001,
      message: 'The conversation has ended.',
    },
  });
