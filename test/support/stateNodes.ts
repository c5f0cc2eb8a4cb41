import { callMachine } from '../../src/index.js';

/** A state node of the call machine. */
export type CallStateNode = (typeof callMachine)['root'];

/** Every state node of the call machine, the root first, depth first. */
export function allStateNodes(): CallStateNode[] {
  const out: CallStateNode[] = [];
  const visit = (node: CallStateNode) => {
    out.push(node);
    for (const child of Object.values(node.states)) visit(child as CallStateNode);
  };
  visit(callMachine.root);
  return out;
}
