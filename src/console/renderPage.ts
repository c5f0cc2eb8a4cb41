/**
 * The console's one page: HTML with its stylesheet, its script and the lifecycle chart inlined,
 * nothing fetched from anywhere but the console itself (relative URLs only). The page holds no
 * call data: calls arrive as JSON over the event stream and are written with `textContent`.
 * @internal
 * @module
 */
import { GRAPH_CALL_STATES } from '../graph/callState.js';
import { CALL_OUTCOME_REASONS } from '../machine/outcome.js';
import { escapeHtml } from './escapeHtml.js';
import { PAGE_SCRIPT } from './pageScript.js';
import { PAGE_STYLE } from './pageStyle.js';

/** What one rendering of the page needs. */
export interface PageParts {
  /** The CSP nonce of this response. */
  readonly nonce: string;
  readonly title: string;
  /** Show the hang-up button. */
  readonly actions: boolean;
  /** The lifecycle chart, as SVG. */
  readonly chart: string;
}

/** The page. */
export function renderPage(parts: PageParts): string {
  const nonce = escapeHtml(parts.nonce);
  const title = escapeHtml(parts.title);
  const options = (values: readonly string[]): string =>
    values.map((v) => `<option value="${escapeHtml(v)}">${escapeHtml(v)}</option>`).join('');
  const actions = parts.actions
    ? '<p><button id="hang-up" type="button">Hang up</button> <span id="action-note" class="muted"></span></p>'
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<link rel="icon" href="data:,">
<style nonce="${nonce}">${PAGE_STYLE}</style>
</head>
<body data-actions="${parts.actions ? 'true' : 'false'}">
<header>
<h1>${title}</h1>
<span id="status" data-status="waiting">connecting…</span>
<div class="counters">
<div><span class="label">Calls</span><span id="k-phase"></span><span id="k-seen" class="muted"></span></div>
<div><span class="label">Notifications</span><span id="k-verdict"></span></div>
<div><span class="label">Graph answers</span><span id="k-status"></span></div>
</div>
</header>
<main>
<section id="calls" aria-label="Calls">
<div class="filters">
<label>State <select id="f-state"><option value="">any</option>${options(GRAPH_CALL_STATES)}</select></label>
<label>Outcome <select id="f-outcome"><option value="">any</option><option value="live">live</option><option value="ended">ended</option>${options(CALL_OUTCOME_REASONS)}</select></label>
<input id="f-search" type="search" placeholder="Search by call id" aria-label="Search by call id" autocomplete="off">
<span id="shown" class="muted"></span>
</div>
<div id="list" role="table" aria-label="Calls">
<div class="row head" role="row"><span role="columnheader">Call</span><span role="columnheader">State</span><span role="columnheader">Phase</span><span role="columnheader">Age</span><span role="columnheader">Waiting on</span><span role="columnheader">Outcome</span></div>
<div class="group">Live</div>
<div id="live" role="rowgroup"></div>
<div class="group">Ended</div>
<div id="ended" role="rowgroup"></div>
</div>
</section>
<section id="detail-pane" aria-label="Selected call">
<p id="no-call">Select a call to see its path through the chart, its timeline, its participants and its operations.</p>
<div id="detail" hidden>
<p id="d-id"></p>
<dl id="d-summary"></dl>
${actions}
</div>
<h2>Lifecycle</h2>
<div id="chart">${parts.chart}</div>
<div id="detail-lists" hidden>
<h2>Timeline<span id="d-timeline-note" class="note"></span></h2>
<table><tbody id="timeline"></tbody></table>
<h2>Participants<span id="d-participants-note" class="note"></span></h2>
<table><tbody id="participants"></tbody></table>
<h2>Operations</h2>
<table><tbody id="operations"></tbody></table>
</div>
</section>
</main>
<script nonce="${nonce}">${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
