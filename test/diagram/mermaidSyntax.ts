/**
 * An offline check of the Mermaid `stateDiagram-v2` subset `toMermaid` writes, written from
 * Mermaid's state grammar (no Mermaid in the dev dependencies): every line has a known form,
 * ids are plain, labels hold none of the characters that end them, braces balance, a state is
 * declared before an edge names it (Mermaid places a state where it first meets it), and no
 * composite state gets description lines (Mermaid throws "Group nodes can only have label").
 * Returns the problems found, empty when none.
 */
export function mermaidProblems(diagram: string): string[] {
  const problems: string[] = [];
  const lines = diagram.split('\n');
  if (lines[0] !== 'stateDiagram-v2') problems.push('line 1 is not "stateDiagram-v2"');
  if (lines.at(-1) !== '') problems.push('the diagram does not end with a newline');
  const ID = '[A-Za-z_][A-Za-z0-9_]*';
  const TEXT = '[^:;]*[^:;\\s]';
  const forms: [string, RegExp][] = [
    ['direction', /^direction (TB|BT|LR|RL)$/],
    ['accTitle', /^accTitle: .+$/],
    ['accDescr', /^accDescr: .+$/],
    ['initial', new RegExp(`^\\[\\*\\] --> (${ID})$`)],
    ['final', new RegExp(`^(${ID}) --> \\[\\*\\]$`)],
    ['state', new RegExp(`^state "([^"]+)" as (${ID})$`)],
    ['composite', new RegExp(`^state "([^"]+)" as (${ID}) \\{$`)],
    ['close', /^\}$/],
    ['region', /^--$/],
    ['line', new RegExp(`^(${ID}) : ${TEXT}$`)],
    ['edge', new RegExp(`^(${ID}) --> (${ID}) : ${TEXT}$`)],
    ['note', new RegExp(`^note right of (${ID})$`)],
  ];
  const declared = new Set<string>();
  const composites = new Set<string>();
  let depth = 0;
  let inNote = false;
  lines.slice(1, -1).forEach((raw, i) => {
    const where = `line ${i + 2} "${raw}"`;
    const line = raw.trim();
    if (line.includes('%%')) problems.push(`${where}: %% starts a comment`);
    if (inNote) {
      if (line === 'end note') inNote = false;
      return;
    }
    const match = forms.map(([form, re]) => [form, re.exec(line)] as const).find(([, m]) => m);
    if (match === undefined) {
      problems.push(`${where}: not a form toMermaid writes`);
      return;
    }
    const [form, m] = match;
    if (m === null) return;
    const ids = form === 'state' || form === 'composite' ? [m[2]] : [m[1], m[2]];
    for (const id of ids) {
      if (id !== undefined && /^default/i.test(id))
        problems.push(`${where}: id starts with "default"`);
    }
    switch (form) {
      case 'state':
      case 'composite': {
        const id = m[2] ?? '';
        if (declared.has(id)) problems.push(`${where}: ${id} declared twice`);
        declared.add(id);
        if (form === 'composite') {
          composites.add(id);
          depth++;
        }
        break;
      }
      case 'close':
        depth--;
        if (depth < 0) problems.push(`${where}: unbalanced }`);
        break;
      case 'line':
        if (!declared.has(m[1] ?? '')) problems.push(`${where}: ${m[1]} not declared yet`);
        if (composites.has(m[1] ?? '')) problems.push(`${where}: description on composite ${m[1]}`);
        break;
      case 'edge':
      case 'initial':
      case 'final':
        for (const id of [m[1], m[2]]) {
          if (id !== undefined && !declared.has(id) && form === 'edge') {
            problems.push(`${where}: ${id} used before it is declared`);
          }
        }
        break;
      case 'note':
        inNote = true;
        break;
    }
  });
  if (depth !== 0) problems.push(`${depth} unclosed composite state(s)`);
  if (inNote) problems.push('unclosed note');
  return problems;
}
