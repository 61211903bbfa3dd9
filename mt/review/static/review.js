/* mt review page: renders the embedded rows lazily (one page at a time).
   Works from file:// (static report) and from the review server (mode "server"),
   where it also posts accept / reject / edit decisions. No network access otherwise.
   Text from the corpus is only ever inserted as text nodes (never as HTML). */
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('mt-data').textContent);
  var SERVER = D.mode === 'server';
  var ROWS = D.rows, DOCS = D.docs, FLAGS = D.flags;
  var PAGE = D.pageSize || 50;
  var decisions = D.decisions || {};          // id -> {status, edited, version, at}
  var SHOW_STATUS = SERVER || Object.keys(decisions).length > 0;
  var state = { flags: new Set(), doc: '', status: '', q: '', sort: 'severity', captions: true, page: 0, sel: 0 };
  var filtered = [];
  var hay = null;                              // lower-cased search text per row, built on first search
  var editing = null;                          // row index being edited
  var notes = {};                              // row id -> {text, cls}: last server message
  var pending = {};                            // row id -> true while a decision is being saved
  var drafts = {};                             // row id -> text typed in an open editor
  var expanded = {};                           // row id + column -> true once "show all" was clicked
  var undoStack = [];                          // ids of the rows this tab decided, last on top
  var INDEX = {};                              // row id -> index into ROWS
  ROWS.forEach(function (r, n) { INDEX[r.i] = n; });
  var LABELS = { th: 'Thai', en: 'English', vi: 'Vietnamese' };
  var CLIP = 700, CLIP_TO = 480;               // longer cells show CLIP_TO characters and a "show all" button
  var WEIGHT = D.flagWeight || {}, THRESHOLD = D.alignThreshold;
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, attrs, kids) {
    var n = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (k === 'class') n.className = attrs[k];
      else if (k === 'text') n.textContent = attrs[k];
      else n.setAttribute(k, attrs[k]);
    }
    (kids || []).forEach(function (c) { if (c != null) n.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return n;
  }

  function statusOf(r) { var d = decisions[r.i]; return d ? d.status : 'unreviewed'; }

  // ---- ordering ---------------------------------------------------------
  var bySeverity = ROWS.map(function (_, n) { return n; }).sort(function (a, b) {
    return (ROWS[b].s - ROWS[a].s) || (a - b);
  });
  var byDoc = ROWS.map(function (_, n) { return n; }).sort(function (a, b) {
    var ra = ROWS[a], rb = ROWS[b];
    return (ra.d - rb.d) || ((ra.l || 0) - (rb.l || 0)) || (a - b);
  });

  function haystack() {
    if (!hay) hay = ROWS.map(function (r) {
      var d = decisions[r.i];
      return (r.i + '\n' + r.t + '\n' + r.e + '\n' + r.v + (d && d.edited ? '\n' + d.edited : '')).toLowerCase();
    });
    return hay;
  }

  function applyFilters(keepSel) {
    var q = state.q.trim().toLowerCase();
    var h = q ? haystack() : null;
    var order = state.sort === 'doc' ? byDoc : bySeverity;
    var doc = state.doc === '' ? -1 : +state.doc;
    var selId = keepSel && filtered.length ? ROWS[filtered[state.sel]].i : null;
    filtered = order.filter(function (n) {
      var r = ROWS[n];
      if (!state.captions && r.c) return false;
      if (doc >= 0 && r.d !== doc) return false;
      if (state.status && statusOf(r) !== state.status) return false;
      if (state.flags.size) {
        var f = r.f || [], hit = false;
        for (var j = 0; j < f.length; j++) if (state.flags.has(f[j])) { hit = true; break; }
        if (!hit && !(state.flags.has(-1) && !f.length)) return false;
      }
      if (h && h[n].indexOf(q) < 0) return false;
      return true;
    });
    state.sel = 0;
    if (selId) for (var j = 0; j < filtered.length; j++) if (ROWS[filtered[j]].i === selId) { state.sel = j; break; }
    state.page = Math.floor(state.sel / PAGE);
    render();
  }

  // ---- controls -----------------------------------------------------------
  function buildControls() {
    var counts = FLAGS.map(function () { return 0; }), clean = 0;
    ROWS.forEach(function (r) { (r.f || []).forEach(function (f) { counts[f]++; }); if (!r.f) clean++; });
    var bar = $('flagbar');
    FLAGS.forEach(function (name, k) {
      if (!counts[k]) return;
      var b = el('button', { type: 'button', class: 'chip', 'aria-pressed': 'false', 'data-flag': name,
        title: (D.flagDesc || {})[name] || name }, [name, el('span', { class: 'n', text: String(counts[k]) })]);
      b.addEventListener('click', function () { toggleFlag(k, b); });
      bar.appendChild(b);
    });
    var c = el('button', { type: 'button', class: 'chip', 'aria-pressed': 'false', 'data-flag': 'none',
      title: 'rows without any flag' }, ['no flags', el('span', { class: 'n', text: String(clean) })]);
    c.addEventListener('click', function () { toggleFlag(-1, c); });
    bar.appendChild(c);
    var sel = $('doc');
    DOCS.forEach(function (d, k) {
      var title = d.title_th || '', cut = title.length > 60;
      var label = (d.file || d.id) + (title ? ' — ' + title.slice(0, 60) + (cut ? '…' : '') : '') + ' (' + d.n + ')';
      sel.appendChild(el('option', { value: String(k), text: label, title: (d.file || d.id) + (title ? ' — ' + title : '') }));
    });
    if ($('sev-weights')) $('sev-weights').textContent = FLAGS.map(function (n) { return n + ' ' + WEIGHT[n]; }).join(', ');
    sel.addEventListener('change', function () { state.doc = sel.value; applyFilters(false); });
    $('sort').addEventListener('change', function () { state.sort = $('sort').value; applyFilters(true); });
    $('captions').addEventListener('change', function () { state.captions = $('captions').checked; applyFilters(true); });
    if ($('status')) $('status').addEventListener('change', function () { state.status = $('status').value; applyFilters(false); });
    var timer = null;
    $('q').addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () { state.q = $('q').value; applyFilters(false); }, 120);
    });
    $('help-btn').addEventListener('click', function () { $('help').hidden = !$('help').hidden; });
  }

  function toggleFlag(k, b) {
    if (state.flags.has(k)) state.flags.delete(k); else state.flags.add(k);
    b.setAttribute('aria-pressed', state.flags.has(k) ? 'true' : 'false');
    applyFilters(false);
  }

  // ---- rendering ----------------------------------------------------------
  function highlight(text) {
    var q = state.q.trim();
    if (!q || !text) return [text];
    var lower = text.toLowerCase(), ql = q.toLowerCase(), out = [], at = 0, i;
    while ((i = lower.indexOf(ql, at)) >= 0) {
      if (i > at) out.push(text.slice(at, i));
      out.push(el('mark', { text: text.slice(i, i + q.length) }));
      at = i + q.length;
    }
    out.push(text.slice(at));
    return out;
  }

  function clipped(text, key) {                // long text: shown cut, never silently
    if (!text || text.length <= CLIP || expanded[key]) return null;
    var q = state.q.trim().toLowerCase();
    if (q && text.toLowerCase().indexOf(q) >= CLIP_TO - q.length) return null;   // the match would be cut away
    return text.slice(0, CLIP_TO);
  }

  function cell(cls, lang, text, extra, id, n) {
    var key = id + '|' + cls, cut = clipped(text, key), kids;
    if (cut != null) {
      var more = el('button', { type: 'button', class: 'more', title: 'this text is cut here',
        text: '… show all ' + text.length + ' characters' });
      more.addEventListener('click', function () { expanded[key] = true; refreshRow(n); });
      kids = highlight(cut).concat([more]);
    } else {
      kids = text ? highlight(text)
        : cls === 'en' ? [el('span', { class: 'empty', text: '(empty)' })] : [el('span', { class: 'none', text: '—' })];
    }
    return el('div', { class: 'cell ' + cls, lang: lang, 'data-label': LABELS[cls] }, kids.concat(extra || []));
  }

  function sevTitle(r) {                       // what the severity number is made of
    var parts = (r.f || []).map(function (f) { return FLAGS[f] + ' ' + WEIGHT[FLAGS[f]]; });
    if (r.a != null && THRESHOLD != null && r.a < THRESHOLD && (r.f || []).indexOf(FLAGS.indexOf('low_align')) >= 0)
      parts.push('align below ' + THRESHOLD + ': 4 × ' + (THRESHOLD - r.a).toFixed(2));
    return parts.length ? 'severity ' + r.s + ' = ' + parts.join(' + ') : 'severity 0: no flags';
  }

  function renderRow(n, pos) {
    var r = ROWS[n], d = decisions[r.i], st = statusOf(r);
    var node = el('article', { class: 'row' + (r.c ? ' caption' : '') + (pos === state.sel ? ' sel' : ''),
      'data-id': r.i, 'data-pos': String(pos) });
    var sevCls = 'sev' + (r.s >= 6 ? ' hi' : r.s >= 3 ? ' mid' : '');
    node.appendChild(el('div', { class: sevCls, title: sevTitle(r), 'aria-label': sevTitle(r), text: String(Math.round(r.s)) }));
    var doc = DOCS[r.d] || {};
    var meta = el('div', { class: 'meta' }, [
      el('span', { class: 'rid', text: r.i }),
      el('span', { text: r.k + (r.c ? ' (caption line, read-only)' : '') }),
      doc.file && r.i.indexOf(doc.id) !== 0 ? el('span', { text: doc.file + (r.l != null ? ':' + r.l : '') }) : null,
      r.a != null ? el('span', { text: 'align ' + r.a.toFixed(2) }) : null,
      r.r ? el('span', { text: r.r }) : null,
      SHOW_STATUS && !r.c ? el('span', { class: 'status ' + st, text: st }) : null
    ]);
    (r.f || []).forEach(function (f) { meta.appendChild(el('span', { class: 'flag f-' + FLAGS[f], text: FLAGS[f] })); });
    node.appendChild(meta);
    node.appendChild(cell('th', 'th', r.t, null, r.i, n));
    if (SERVER && editing === n) {
      var ta = el('textarea', { 'aria-label': 'English translation' });
      ta.value = drafts[r.i] != null ? drafts[r.i] : d && d.status === 'edited' ? d.edited : r.e;
      ta.addEventListener('input', function () { drafts[r.i] = ta.value; });
      var save = el('button', { type: 'button', class: 'save', text: 'Save (Ctrl+Enter)' });
      var cancel = el('button', { type: 'button', class: 'cancel', text: 'Cancel (Esc)' });
      save.addEventListener('click', function () { decide(n, 'edit', ta.value); });
      cancel.addEventListener('click', function () { editing = null; delete drafts[r.i]; refreshRow(n); });
      ta.addEventListener('keydown', function (ev) {
        if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); decide(n, 'edit', ta.value); }
        else if (ev.key === 'Escape') { ev.preventDefault(); editing = null; delete drafts[r.i]; refreshRow(n); }
      });
      node.appendChild(el('div', { class: 'cell en editor', 'data-label': LABELS.en }, [ta, el('div', {}, [save, ' ', cancel])]));
    } else if (d && d.status === 'edited') {
      node.appendChild(cell('en', 'en', d.edited, [el('span', { class: 'orig', title: 'machine translation', text: r.e })], r.i, n));
    } else {
      node.appendChild(cell('en', 'en', r.e, r.ef === 'vi' ? [el('span', { class: 'from', text: ' (from the Vietnamese)' })] : [], r.i, n));
    }
    node.appendChild(cell('vi', 'vi', r.v, null, r.i, n));
    if (r.x) {
      var parts = (r.f || []).map(function (f, j) { return FLAGS[f] + ': ' + r.x[j]; });
      node.appendChild(el('div', { class: 'details', text: parts.join(' · ') }));
    }
    if (SERVER && !r.c) {
      var acts = el('div', { class: 'actions' });
      [['accept', 'Accept (a)'], ['reject', 'Reject (r)'], ['edit', 'Edit (e)']].forEach(function (a) {
        var b = el('button', { type: 'button', class: a[0], text: a[1] });
        b.addEventListener('click', function () {
          state.sel = pos;
          if (a[0] === 'edit') { var was = editing; editing = n; if (was != null && was !== n) refreshRow(was); refreshRow(n); markSelected(); }
          else { decide(n, a[0]); markSelected(); }
        });
        acts.appendChild(b);
      });
      if (d && d.at) acts.appendChild(el('span', { class: 'msg', text: 'last change ' + d.at }));
      var note = notes[r.i];
      if (note) acts.appendChild(el('span', { class: 'msg ' + note.cls, role: 'status', text: note.text }));
      node.appendChild(acts);
    }
    node.addEventListener('click', function (ev) {
      if (ev.target.closest('button, textarea')) return;
      if (state.sel !== pos) { state.sel = pos; markSelected(); }
    });
    return node;
  }

  function render() {
    var list = $('list');
    var pages = Math.max(1, Math.ceil(filtered.length / PAGE));
    if (state.page >= pages) state.page = pages - 1;
    var start = state.page * PAGE, end = Math.min(filtered.length, start + PAGE);
    var frag = document.createDocumentFragment(), lastDoc = -1;
    for (var p = start; p < end; p++) {
      var n = filtered[p];
      if (state.sort === 'doc' && ROWS[n].d !== lastDoc) {
        lastDoc = ROWS[n].d;
        var doc = DOCS[lastDoc] || {};
        frag.appendChild(el('div', { class: 'dochead' }, [doc.title_th || doc.file || doc.id || '',
          el('span', { class: 'muted', text: '  ' + [doc.file, doc.publication, doc.date].filter(Boolean).join(' · ') })]));
      }
      frag.appendChild(renderRow(n, p));
    }
    list.textContent = '';
    if (!filtered.length) list.appendChild(el('div', { class: 'nothing', text: 'No rows match these filters.' }));
    list.appendChild(frag);
    if (editing != null) focusEditor();
    $('summary').textContent = filtered.length
      ? 'rows ' + (start + 1) + '–' + end + ' of ' + filtered.length + ' matching (' + ROWS.length + ' in total)'
      : '0 matching (' + ROWS.length + ' in total)';
    var pager = $('pager');
    pager.textContent = '';
    var prev = el('button', { type: 'button', text: '← previous', id: 'prev' });
    var next = el('button', { type: 'button', text: 'next →', id: 'next' });
    prev.disabled = state.page === 0; next.disabled = state.page >= pages - 1;
    prev.addEventListener('click', function () { goPage(state.page - 1); });
    next.addEventListener('click', function () { goPage(state.page + 1); });
    pager.appendChild(prev);
    pager.appendChild(el('span', { text: 'page ' + (state.page + 1) + ' of ' + pages }));
    pager.appendChild(next);
  }

  function refreshRow(n) {                     // re-render one row, leaving the others (and any open editor) alone
    var nodes = document.querySelectorAll('#list article.row');
    for (var j = 0; j < nodes.length; j++) {
      if (nodes[j].getAttribute('data-id') === ROWS[n].i) {
        nodes[j].parentNode.replaceChild(renderRow(n, +nodes[j].getAttribute('data-pos')), nodes[j]);
        if (editing === n) focusEditor();
        return;
      }
    }
  }

  function focusEditor() {
    var ta = document.querySelector('#list .editor textarea');
    if (ta && document.activeElement !== ta) { ta.focus(); ta.setSelectionRange(ta.value.length, ta.value.length); }
  }

  function markSelected() {
    var nodes = document.querySelectorAll('#list .row');
    for (var j = 0; j < nodes.length; j++) {
      var on = +nodes[j].getAttribute('data-pos') === state.sel;
      nodes[j].classList.toggle('sel', on);
      if (on) scrollIntoViewIfNeeded(nodes[j]);
    }
  }

  function scrollIntoViewIfNeeded(node) {
    var head = $('top').getBoundingClientRect().bottom, r = node.getBoundingClientRect();
    if (r.top < head) window.scrollBy(0, r.top - head - 4);
    else if (r.bottom > window.innerHeight) window.scrollBy(0, r.bottom - window.innerHeight + 4);
  }

  function goPage(p) {
    var pages = Math.max(1, Math.ceil(filtered.length / PAGE));
    p = Math.max(0, Math.min(pages - 1, p));
    if (p === state.page) return;
    state.page = p; state.sel = p * PAGE; editing = null;
    render(); window.scrollTo(0, 0);
  }

  function move(delta) {
    if (!filtered.length) return;
    var s = Math.max(0, Math.min(filtered.length - 1, state.sel + delta));
    state.sel = s;
    var p = Math.floor(s / PAGE);
    if (p !== state.page) { state.page = p; editing = null; render(); }
    markSelected();
  }

  // ---- server decisions ---------------------------------------------------
  function post(url, body) {                   // -> Promise of {res, data}
    return fetch(url, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': D.csrf },
      body: JSON.stringify(body)
    }).then(function (res) {
      return res.json().catch(function () { return { error: res.status + ' ' + res.statusText }; })
        .then(function (data) { return { res: res, data: data }; });
    });
  }

  function decide(n, action, text) {
    if (!SERVER) return;
    var r = ROWS[n];
    if (r.c) return;
    if (pending[r.i]) return;                  // one request per row at a time (no self-conflict)
    pending[r.i] = true;
    var d = decisions[r.i];
    var body = { action: action, version: d ? d.version : 0 };
    if (action === 'edit') body.text = text;
    notes[r.i] = { text: 'saving…', cls: '' };
    refreshRow(n);
    post('/rows/' + encodeURIComponent(r.i), body).then(function (x) {
      delete pending[r.i];
      if (x.res.ok) {
        decisions[r.i] = x.data.decision;
        notes[r.i] = { text: 'saved: ' + x.data.decision.status, cls: 'ok' };
        if (editing === n) editing = null;
        delete drafts[r.i]; hay = null;
        undoStack.push(r.i); undoButton();
      } else {
        conflict(r, x);
        if (x.res.status === 409 && editing === n) editing = null;
      }
      refreshRow(n);
    }).catch(function (e) {
      delete pending[r.i];
      notes[r.i] = { text: 'not saved: ' + e, cls: 'err' };
      refreshRow(n);
    });
  }

  function conflict(r, x) {                    // a refused change: show why, and the row as it now is
    if (x.res.status === 409 && x.data.current) decisions[r.i] = x.data.current;
    if (x.res.status === 409 && !x.data.current) delete decisions[r.i];
    if (x.res.status === 409) hay = null;
    notes[r.i] = { text: x.data.error || ('error ' + x.res.status), cls: 'err' };
  }

  function undoButton() {
    var b = $('undo-btn');
    if (!b) return;
    b.disabled = !undoStack.length;
    b.title = undoStack.length ? 'Undo your last decision (u): row ' + undoStack[undoStack.length - 1]
      : 'Undo your last decision in this tab (u)';
  }

  function undo() {
    if (!SERVER || !undoStack.length) return;
    var id = undoStack[undoStack.length - 1], n = INDEX[id], d = decisions[id];
    if (pending[id]) return;
    pending[id] = true;
    post('/undo/' + encodeURIComponent(id), { version: d ? d.version : 0 }).then(function (x) {
      delete pending[id];
      undoStack.pop(); undoButton();
      if (x.res.ok) {
        if (x.data.decision) decisions[id] = x.data.decision; else delete decisions[id];
        notes[id] = { text: 'undone: now ' + (x.data.decision ? x.data.decision.status : 'unreviewed'), cls: 'ok' };
        hay = null;
      } else {
        conflict(ROWS[n], x);
      }
      showRow(n);
    }).catch(function (e) { delete pending[id]; notes[id] = { text: 'not undone: ' + e, cls: 'err' }; showRow(n); });
  }

  function showRow(n) {                        // select row n (if the filters show it) and re-render it
    var pos = filtered.indexOf(n);
    if (pos >= 0) {
      state.sel = pos;
      if (Math.floor(pos / PAGE) !== state.page) { state.page = Math.floor(pos / PAGE); editing = null; render(); }
      else refreshRow(n);
      markSelected();
    }
  }

  function exportCorpus() {
    var msg = $('export-msg'), btn = $('export-btn');
    btn.disabled = true;
    msg.className = 'msg'; msg.textContent = 'exporting…';
    post('/export', { drop_rejected: $('export-drop').checked }).then(function (x) {
      btn.disabled = false;
      if (x.res.ok) {
        var dropped = 0;
        for (var k in x.data.dropped) dropped += x.data.dropped[k];
        msg.className = 'msg ok';
        msg.textContent = 'exported ' + x.data.rows + ' rows (' + x.data.reviewed + ' reviewed' +
          (dropped ? ', ' + dropped + ' rejected left out' : '') + ') to ' + x.data.dir;
      } else { msg.className = 'msg err'; msg.textContent = x.data.error || ('error ' + x.res.status); }
    }).catch(function (e) { btn.disabled = false; msg.className = 'msg err'; msg.textContent = 'not exported: ' + e; });
  }

  // ---- keyboard -----------------------------------------------------------
  document.addEventListener('keydown', function (ev) {
    var t = ev.target, tag = t && t.tagName;
    if (tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT') {
      if (ev.key === 'Escape' && tag !== 'TEXTAREA') { t.blur(); ev.preventDefault(); }
      if (ev.key === 'Enter' && t.id === 'q') { t.blur(); }
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var cur = filtered[state.sel];
    switch (ev.key) {
      case 'j': case 'ArrowDown': move(1); break;
      case 'k': case 'ArrowUp': move(-1); break;
      case 'ArrowRight': goPage(state.page + 1); break;
      case 'ArrowLeft': goPage(state.page - 1); break;
      case '/': $('q').focus(); $('q').select(); break;
      case '?': $('help').hidden = !$('help').hidden; break;
      case 'a': if (SERVER && cur != null) { decide(cur, 'accept'); move(1); } else return; break;
      case 'r': if (SERVER && cur != null) { decide(cur, 'reject'); move(1); } else return; break;
      case 'u': if (SERVER) undo(); else return; break;
      case 'e': if (SERVER && cur != null && !ROWS[cur].c && editing !== cur) { var was = editing; editing = cur; if (was != null && was !== cur) refreshRow(was); refreshRow(cur); } else return; break;
      default: return;
    }
    ev.preventDefault();
  });

  buildControls();
  if (SERVER) {
    $('undo-btn').addEventListener('click', undo);
    $('export-btn').addEventListener('click', exportCorpus);
  }
  if (D.focus) { state.q = D.focus; $('q').value = D.focus; }
  applyFilters(false);
  document.body.setAttribute('data-ready', '1');
})();
