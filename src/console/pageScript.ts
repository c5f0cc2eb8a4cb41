/**
 * The console page's script: plain ES2020 run in the browser, inlined in the page under the
 * response's CSP nonce. It opens the event stream (`events`), keeps one row per call keyed by its
 * id and updated in place, applies what arrived once per animation frame, refreshes the ages and
 * the deadlines' countdowns of the rows on screen only, and fetches the selected call's detail
 * (`calls/{id}`). Every text from a call goes through `textContent`: nothing is parsed as HTML.
 * Every URL is relative, so the console can be mounted under any path.
 * @internal
 * @module
 */

/** The script, as inlined. It holds no backtick and no `${`, so it lives in a raw template. */
// biome-ignore lint/complexity/noUselessStringRaw: a regular expression added later keeps its backslashes.
export const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var body = document.body;
  var actions = body.getAttribute('data-actions') === 'true';
  var byId = function (id) { return document.getElementById(id); };
  var list = byId('list');
  var liveRows = byId('live');
  var endedRows = byId('ended');
  var statusEl = byId('status');
  var shownEl = byId('shown');
  var fState = byId('f-state');
  var fOutcome = byId('f-outcome');
  var fSearch = byId('f-search');
  var detailEl = byId('detail');
  var listsEl = byId('detail-lists');
  var emptyEl = byId('no-call');
  var svg = document.querySelector('#chart svg');
  var taken = svg ? svg.querySelector('g.taken') : null;
  var SVG_NS = 'http://www.w3.org/2000/svg';

  // The chart's boxes by state value, read once.
  var boxes = new Map();
  if (svg) {
    svg.querySelectorAll('[data-state]').forEach(function (g) {
      boxes.set(g.getAttribute('data-state'), g);
    });
  }

  var rows = new Map(); // call id -> { el, cells, data, shown }
  var queued = new Map(); // call id -> latest row data, until the next frame
  var queuedRemovals = new Set();
  var counters = null;
  var countersDirty = false;
  var clockOffset = 0;
  var frozenAt = null;
  var frameRequested = false;
  var selected = null;
  var selectedDirty = false;
  var detailLoading = false;
  var inView = new Set();
  var shownCount = 0;

  function now() {
    return frozenAt !== null ? frozenAt : Date.now() + clockOffset;
  }

  function duration(ms) {
    if (!(ms >= 0)) return '';
    if (ms < 1000) return Math.round(ms) + ' ms';
    if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 1 : 0) + ' s';
    var minutes = Math.floor(ms / 60000);
    if (minutes < 60) return minutes + ' min ' + Math.round((ms % 60000) / 1000) + ' s';
    return Math.floor(minutes / 60) + ' h ' + (minutes % 60) + ' min';
  }

  function ageOf(data) {
    return duration((data.endedAt !== undefined ? data.endedAt : now()) - data.firstAt);
  }

  function setText(el, text) {
    if (el.textContent !== text) el.textContent = text;
  }

  function setAttr(el, name, value) {
    if (el.getAttribute(name) !== value) el.setAttribute(name, value);
  }

  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function schedule() {
    if (frameRequested) return;
    frameRequested = true;
    requestAnimationFrame(frame);
  }

  // ── the list ──────────────────────────────────────────────────────────────

  var COLUMNS = ['id', 'state', 'phase', 'age', 'pending', 'outcome'];

  function createRow(data) {
    var row = el('div', 'row');
    row.setAttribute('role', 'row');
    row.setAttribute('tabindex', '0');
    row.setAttribute('data-id', data.id);
    var cells = {};
    COLUMNS.forEach(function (name) {
      var cell = el('span', 'c-' + name);
      cell.setAttribute('role', 'cell');
      cells[name] = cell;
      row.appendChild(cell);
    });
    cells.id.textContent = data.id;
    cells.id.title = data.id;
    return { el: row, cells: cells, data: data, shown: true };
  }

  function outcomeText(data) {
    if (data.outcome === undefined) return '';
    return data.result ? data.outcome + ' · ' + data.result : data.outcome;
  }

  function pendingText(data) {
    var parts = [];
    if (data.pending) parts.push(data.pending);
    if (data.operations) parts.push(data.operations + (data.operations === 1 ? ' operation' : ' operations'));
    return parts.join(', ');
  }

  // A countdown as the list shows it: whole minutes past the first one (4 min), so that it fits.
  function brief(ms) {
    return ms < 60000 ? duration(ms) : ms < 3600000 ? Math.floor(ms / 60000) + ' min' : duration(ms);
  }

  // The countdown to the call's next deadline, against the console's time (frozen in a recording):
  // 28 s, overdue 1.2 s; '' when it waits on none.
  function dueText(data, format) {
    if (typeof data.dueAt !== 'number') return '';
    var left = data.dueAt - now();
    return left < 0 ? 'overdue ' + format(-left) : format(left);
  }

  // The list's waiting column: DELETE #2 · 28 s, 1 operation · 4 min, deadline in 4.2 s.
  function waitingText(data) {
    var pending = pendingText(data);
    var due = dueText(data, brief);
    if (due === '') return pending;
    if (pending !== '') return pending + ' · ' + due;
    return due.indexOf('overdue') === 0 ? due : 'deadline in ' + due;
  }

  // The detail's deadline: in 4 min 59 s, overdue 1.2 s.
  function deadlineText(data) {
    var due = dueText(data, duration);
    return due === '' || due.indexOf('overdue') === 0 ? due : 'in ' + due;
  }

  function matches(data) {
    if (fState.value && data.state !== fState.value) return false;
    var o = fOutcome.value;
    if (o === 'live' && data.phase === 'terminated') return false;
    if (o === 'ended' && data.phase !== 'terminated') return false;
    if (o && o !== 'live' && o !== 'ended' && data.outcome !== o) return false;
    var q = fSearch.value.trim().toLowerCase();
    if (q && data.id.toLowerCase().indexOf(q) < 0) return false;
    return true;
  }

  function applyFilter(r) {
    var show = matches(r.data);
    if (show !== r.shown) {
      r.shown = show;
      r.el.hidden = !show;
      shownCount += show ? 1 : -1;
    }
  }

  function render(r) {
    var d = r.data;
    setText(r.cells.state, d.state);
    setText(r.cells.phase, d.phase);
    setText(r.cells.age, ageOf(d));
    setText(r.cells.pending, waitingText(d));
    setText(r.cells.outcome, outcomeText(d));
    setAttr(r.el, 'data-state', d.state);
    setAttr(r.el, 'data-phase', d.phase);
    setAttr(r.el, 'data-outcome', d.outcome || '');
    r.cells.state.title = d.value || d.phase;
  }

  function upsert(data, atTop) {
    var r = rows.get(data.id);
    if (!r) {
      r = createRow(data);
      rows.set(data.id, r);
      shownCount += 1;
      var home = data.phase === 'terminated' ? endedRows : liveRows;
      if (atTop) home.insertBefore(r.el, home.firstChild);
      else home.appendChild(r.el);
      observer.observe(r.el);
    } else {
      var wasEnded = r.data.phase === 'terminated';
      r.data = data;
      if (!wasEnded && data.phase === 'terminated') endedRows.insertBefore(r.el, endedRows.firstChild);
    }
    r.data = data;
    render(r);
    applyFilter(r);
    if (data.id === selected) selectedDirty = true;
  }

  function remove(id) {
    var r = rows.get(id);
    if (!r) return;
    observer.unobserve(r.el);
    inView.delete(r.el);
    if (r.shown) shownCount -= 1;
    r.el.remove();
    rows.delete(id);
  }

  function showCount() {
    var total = rows.size;
    setText(shownEl, shownCount === total ? total + ' calls' : shownCount + ' of ' + total + ' calls');
  }

  function frame() {
    frameRequested = false;
    queuedRemovals.forEach(remove);
    queuedRemovals.clear();
    queued.forEach(function (data) { upsert(data, true); });
    queued.clear();
    if (countersDirty) renderCounters();
    showCount();
    if (selectedDirty) loadDetail();
  }

  function snapshot(message) {
    queued.clear();
    queuedRemovals.clear();
    rows.forEach(function (r) { observer.unobserve(r.el); });
    rows.clear();
    inView.clear();
    liveRows.textContent = '';
    endedRows.textContent = '';
    shownCount = 0;
    var sorted = message.rows.slice().sort(function (a, b) { return b.firstAt - a.firstAt; });
    var live = document.createDocumentFragment();
    var ended = document.createDocumentFragment();
    sorted.forEach(function (data) {
      var r = createRow(data);
      rows.set(data.id, r);
      shownCount += 1;
      (data.phase === 'terminated' ? ended : live).appendChild(r.el);
      render(r);
      applyFilter(r);
    });
    liveRows.appendChild(live);
    endedRows.appendChild(ended);
    rows.forEach(function (r) { observer.observe(r.el); });
    counters = message.counters;
    renderCounters();
    showCount();
    if (selected !== null) loadDetail();
  }

  function refilter() {
    rows.forEach(applyFilter);
    showCount();
  }

  fState.addEventListener('change', refilter);
  fOutcome.addEventListener('change', refilter);
  fSearch.addEventListener('input', refilter);

  function choose(target) {
    var row = target.closest ? target.closest('.row[data-id]') : null;
    if (row) select(row.getAttribute('data-id'));
  }
  list.addEventListener('click', function (e) { choose(e.target); });
  list.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      choose(e.target);
    }
  });

  // Only the rows on screen get their age and their deadline's countdown refreshed every second.
  var observer = new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (entry.isIntersecting) inView.add(entry.target);
      else inView.delete(entry.target);
    });
  }, { root: list });

  setInterval(function () {
    inView.forEach(function (rowEl) {
      var r = rows.get(rowEl.getAttribute('data-id'));
      if (!r || r.data.endedAt !== undefined) return;
      setText(r.cells.age, ageOf(r.data));
      if (r.data.dueAt !== undefined) setText(r.cells.pending, waitingText(r.data));
    });
    if (current !== null) {
      setText(byId('d-age'), ageOf(current.call));
      var due = byId('d-due');
      if (due) setText(due, deadlineText(current.call));
    }
  }, 1000);

  // ── counters ──────────────────────────────────────────────────────────────

  function renderGroup(id, values) {
    var box = byId(id);
    var keys = Object.keys(values);
    box.textContent = '';
    keys.forEach(function (key) {
      var item = el('span', 'count');
      item.setAttribute('data-key', key);
      item.appendChild(el('b', null, values[key]));
      item.appendChild(document.createTextNode(' ' + key));
      box.appendChild(item);
    });
    if (keys.length === 0) box.appendChild(el('span', 'muted', 'none yet'));
  }

  function renderCounters() {
    countersDirty = false;
    if (!counters) return;
    renderGroup('k-phase', counters.callsByPhase);
    renderGroup('k-verdict', counters.notificationsByVerdict);
    renderGroup('k-status', counters.requestsByStatus);
    setText(byId('k-seen'), counters.callsSeen + ' seen' + (counters.callsDropped ? ', ' + counters.callsDropped + ' let go' : ''));
  }

  // ── one call ──────────────────────────────────────────────────────────────

  var current = null;

  function select(id) {
    selected = id;
    selectedDirty = false;
    rows.forEach(function (r) {
      if (r.el.classList.contains('selected') !== (r.data.id === id)) r.el.classList.toggle('selected');
    });
    try {
      history.replaceState(null, '', '#call=' + encodeURIComponent(id));
    } catch (e) {
      /* a sandboxed page may refuse */
    }
    loadDetail();
  }

  function loadDetail() {
    selectedDirty = false;
    if (selected === null) return;
    if (detailLoading) {
      selectedDirty = true;
      return;
    }
    detailLoading = true;
    var id = selected;
    fetch('calls/' + encodeURIComponent(id), { headers: { accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (res) {
        if (res.status === 404) return null;
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.json();
      })
      .then(function (detail) {
        detailLoading = false;
        if (id !== selected) return loadDetail();
        showDetail(id, detail);
        if (selectedDirty) loadDetail();
      })
      .catch(function () {
        detailLoading = false;
      });
  }

  function fillTable(tbody, items, cellsOf, emptyText) {
    tbody.textContent = '';
    if (items.length === 0) {
      var tr = el('tr', 'muted');
      var td = el('td', null, emptyText);
      td.colSpan = 8;
      tr.appendChild(td);
      tbody.appendChild(tr);
      return;
    }
    var fragment = document.createDocumentFragment();
    items.forEach(function (item) {
      var tr = el('tr');
      cellsOf(item).forEach(function (cell) {
        var td = el('td', cell[1] || null, cell[0]);
        tr.appendChild(td);
      });
      fragment.appendChild(tr);
    });
    tbody.appendChild(fragment);
  }

  function showDetail(id, detail) {
    emptyEl.hidden = true;
    detailEl.hidden = false;
    listsEl.hidden = detail === null;
    if (detail === null) {
      current = null;
      setText(byId('d-id'), id);
      setText(byId('d-summary'), 'This call is no longer held by the console.');
      lightChart(null);
      return;
    }
    current = detail;
    var c = detail.call;
    setText(byId('d-id'), c.id);
    var summary = byId('d-summary');
    summary.textContent = '';
    var facts = [
      ['State', c.state, 'state'],
      ['Chart', c.value || c.phase],
      ['Phase', c.phase],
      ['Direction', c.direction || ''],
      ['Caller', detail.caller || ''],
      ['Called', detail.targets.join(', ')],
      ['Age', ageOf(c), 'age'],
      ['Waiting on', pendingText(c)],
      ['Deadline', deadlineText(c), 'due'],
      ['Outcome', outcomeText(c)],
      ['Key presses', detail.tones ? String(detail.tones) : '']
    ];
    facts.forEach(function (f) {
      if (f[1] === '') return;
      var dt = el('dt', null, f[0]);
      var dd = el('dd', null, f[1]);
      if (f[2] === 'age') dd.id = 'd-age';
      if (f[2] === 'due') {
        dd.id = 'd-due';
        var at = new Date(c.dueAt);
        if (!isNaN(at.getTime())) dd.title = at.toISOString();
      }
      if (f[2] === 'state') dd.setAttribute('data-state', c.state);
      summary.appendChild(dt);
      summary.appendChild(dd);
    });
    var hang = byId('hang-up');
    if (hang) hang.hidden = !actions || c.phase === 'terminated' || c.phase === 'terminating';
    lightChart(detail);
    var first = detail.timeline.length > 0 ? detail.timeline[0].at : c.firstAt;
    setText(byId('d-timeline-note'), detail.timelineDropped ? detail.timelineDropped + ' earlier entries not kept' : '');
    fillTable(byId('timeline'), detail.timeline, function (e) {
      var answer = e.status !== undefined ? (e.status === 0 ? 'no answer' : String(e.status)) : (e.ok ? 'ok' : '');
      return [
        ['+' + duration(e.at - first), 'num'],
        [e.kind, 'kind k-' + e.kind],
        [e.text],
        [e.verdict || answer, e.verdict ? 'verdict v-' + e.verdict : (e.ok === false ? 'bad' : '')],
        [e.moved ? '→ ' + e.moved + (e.state && e.moved.split('.').pop() !== e.state ? ' (' + e.state + ')' : '') : ''],
        [e.requests.join(' ')],
        [e.news.concat(e.outcome ? ['ended ' + e.outcome] : []).join(' ')]
      ];
    }, 'No inputs recorded yet.');
    setText(byId('d-participants-note'), detail.participantCount > detail.participants.length ? 'first ' + detail.participants.length + ' of ' + detail.participantCount : '');
    fillTable(byId('participants'), detail.participants, function (p) {
      return [[p.who], [p.id, 'mono'], [p.muted ? 'muted' : ''], [p.inLobby ? 'in lobby' : ''], [p.media.join(', ')]];
    }, 'No roster yet.');
    fillTable(byId('operations'), detail.operations, function (o) {
      return [[o.kind], [o.status, 'op-' + o.status], [o.failure || ''], [o.result || ''], [o.httpStatus !== undefined ? String(o.httpStatus) : ''], ['+' + duration(o.requestedAt - first), 'num']];
    }, 'No operations.');
  }

  function clearMarks() {
    if (!svg) return;
    svg.querySelectorAll('.current, .within, .visited').forEach(function (g) {
      g.classList.remove('current', 'within', 'visited');
    });
    if (taken) taken.textContent = '';
  }

  function prefixes(value) {
    var parts = value.split('.');
    var out = [];
    for (var i = 1; i < parts.length; i += 1) out.push(parts.slice(0, i).join('.'));
    return out;
  }

  function centre(g) {
    var rect = g.querySelector('rect');
    return {
      x: Number(rect.getAttribute('x')) + Number(rect.getAttribute('width')) / 2,
      y: Number(rect.getAttribute('y')) + Number(rect.getAttribute('height')) / 2
    };
  }

  function lightChart(detail) {
    clearMarks();
    if (!svg || detail === null) return;
    detail.visited.forEach(function (v) {
      var g = boxes.get(v);
      if (g) g.classList.add('visited');
    });
    var here = detail.call.value || detail.call.phase;
    var g = boxes.get(here);
    if (g) g.classList.add('current');
    prefixes(here).forEach(function (p) {
      var outer = boxes.get(p);
      if (outer) outer.classList.add('within');
    });
    // The path taken, drawn over the chart: one numbered arrow per move.
    detail.moves.slice(-24).forEach(function (move, i) {
      var a = boxes.get(move.from);
      var b = boxes.get(move.to);
      if (!a || !b) return;
      var p = centre(a);
      var q = centre(b);
      var mx = (p.x + q.x) / 2 + (q.y - p.y) * 0.15;
      var my = (p.y + q.y) / 2 - Math.abs(q.x - p.x) * 0.12 - 10;
      var path = document.createElementNS(SVG_NS, 'path');
      path.setAttribute('d', 'M' + p.x + ',' + p.y + ' Q' + mx + ',' + my + ' ' + q.x + ',' + q.y);
      path.setAttribute('class', 'taken-edge');
      path.setAttribute('marker-end', 'url(#arrow-taken)');
      var label = document.createElementNS(SVG_NS, 'text');
      label.setAttribute('x', String(mx));
      label.setAttribute('y', String(my + 3));
      label.setAttribute('class', 'taken-step');
      label.textContent = String(i + 1);
      taken.appendChild(path);
      taken.appendChild(label);
    });
  }

  var hangButton = byId('hang-up');
  if (hangButton) {
    hangButton.addEventListener('click', function () {
      if (selected === null) return;
      var note = byId('action-note');
      hangButton.disabled = true;
      setText(note, 'Hanging up…');
      fetch('actions/hang-up', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json', 'x-call-console': 'hang-up' },
        body: JSON.stringify({ callId: selected })
      })
        .then(function (res) {
          return res.json().then(function (answer) { return { ok: res.ok, answer: answer }; });
        })
        .then(function (r) {
          setText(note, r.ok ? 'Graph took the hang-up.' : (r.answer.detail || 'The hang-up failed.'));
        })
        .catch(function () {
          setText(note, 'The console could not be reached.');
        })
        .then(function () {
          hangButton.disabled = false;
        });
    });
  }

  // ── the stream ────────────────────────────────────────────────────────────

  function status(text, state) {
    setText(statusEl, text);
    setAttr(statusEl, 'data-status', state);
  }

  function time(message) {
    if (message.frozen) frozenAt = message.now;
    else if (typeof message.now === 'number') clockOffset = message.now - Date.now();
  }

  var source = new EventSource('events');
  source.addEventListener('open', function () { status('live', 'live'); });
  source.addEventListener('error', function () {
    // CLOSED: the console refused the stream (too many pages, not authorized); reloading retries.
    if (source.readyState === EventSource.CLOSED) status('not connected: reload to retry', 'closed');
    else status('reconnecting…', 'waiting');
  });
  source.addEventListener('snapshot', function (e) {
    var message = JSON.parse(e.data);
    time(message);
    status(message.frozen ? 'recording' : 'live', 'live');
    snapshot(message);
  });
  source.addEventListener('update', function (e) {
    var message = JSON.parse(e.data);
    time(message);
    message.removed.forEach(function (id) {
      queued.delete(id);
      queuedRemovals.add(id);
    });
    message.rows.forEach(function (data) {
      queuedRemovals.delete(data.id);
      queued.set(data.id, data);
    });
    counters = message.counters;
    countersDirty = true;
    schedule();
  });
  source.addEventListener('closed', function () {
    source.close();
    status('console closed', 'closed');
  });

  var hash = /^#call=(.+)$/.exec(location.hash);
  if (hash) {
    try {
      select(decodeURIComponent(hash[1]));
    } catch (e) {
      /* a hash that is not an id */
    }
  }
})();
`;
