/* splitbrain run report: draws the space-time diagram from the JSON in #run-data.
 * Vanilla JS, no dependencies, no network. Errors are recorded in #errors so that a test
 * (and a person) can see that the page did not render cleanly. */
(function () {
  'use strict';

  var errorsEl = document.getElementById('errors');
  function recordError(text) {
    if (!errorsEl) { return; }
    var line = document.createElement('div');
    line.textContent = text;
    errorsEl.appendChild(line);
  }
  window.addEventListener('error', function (e) {
    recordError('error: ' + (e.message || String(e)) + (e.lineno ? ' (line ' + e.lineno + ')' : ''));
  });
  window.addEventListener('unhandledrejection', function (e) {
    recordError('unhandled rejection: ' + e.reason);
  });
  var consoleError = console.error;
  console.error = function () {
    recordError('console.error: ' + Array.prototype.map.call(arguments, String).join(' '));
    return consoleError.apply(console, arguments);
  };

  try {
    start();
  } catch (err) {
    recordError('report script failed: ' + (err && err.stack ? err.stack : err));
  }

  function start() {
    var D = JSON.parse(document.getElementById('run-data').textContent);
    var svg = document.getElementById('diagram');
    var wrap = document.getElementById('diagram-wrap');

    var LABEL_W = 56, AXIS_H = 22, FAULT_H = 16, LANE_H = 38, PAD_R = 12;
    var MAX_MSGS_DRAWN = 5000, MAX_OPS_DRAWN = 4000, MAX_EVENTS_DRAWN = 4000;
    var MIN_SPAN = 20;
    var END = Math.max(1, D.end_us);
    var EV = {};
    D.event_kinds.forEach(function (k, i) { EV[k] = i; });

    var S = {
      t0: 0,
      t1: END,
      laneOn: D.lanes.map(function () { return true; }),
      kindOn: D.kinds.map(function () { return true; }),
      fateOn: D.fates.map(function () { return true; }),
      evOn: D.event_kinds.map(function (k) { return k !== 'timer' && k !== 'sync'; })
    };

    // What the counterexample names, for highlighting.
    var hlOps = {}, namedLanes = {}, leaderTerms = [];
    D.highlights.forEach(function (h) {
      h.ops.forEach(function (o) { if (!hlOps[o]) { hlOps[o] = 'in'; } });
      if (h.culprit !== null && h.culprit !== undefined) { hlOps[h.culprit] = 'culprit'; }
      h.nodes.forEach(function (n) {
        var i = D.lanes.indexOf(n);
        if (i >= 0) {
          namedLanes[i] = true;
          h.terms.forEach(function (t) { leaderTerms.push([i, t]); });
        }
      });
    });

    // What the counterexample says about single operations, for their tooltips.
    var opNotes = {};
    D.highlights.forEach(function (h) {
      h.linearization.forEach(function (step, i) {
        if (step.op !== null) {
          opNotes[step.op] = 'linearized as step ' + (i + 1) + ' of the longest partial order; ' +
            'state after: ' + step.state_after;
        }
      });
      if (h.culprit !== null && h.culprit !== undefined) {
        opNotes[h.culprit] = 'cannot be placed in any order' + (h.culprit_states.length ?
          '; it could have seen: ' + h.culprit_states.join(' | ') : '');
      }
    });

    var segs = roleSegments();

    // Role and term along each lane, merged where neither changes.
    function roleSegments() {
      var per = D.lanes.map(function () { return []; });
      D.views.forEach(function (v) {
        var list = per[v[1]];
        if (!list) { return; }
        var last = list[list.length - 1];
        if (last && last.role === v[2] && last.term === v[3]) { return; }
        if (last) { last.to = v[0]; }
        list.push({ from: v[0], to: END, role: v[2], term: v[3] });
      });
      per.forEach(function (list, lane) {
        list.forEach(function (s) {
          s.viol = D.roles[s.role] === 'leader' && leaderTerms.some(function (lt) {
            return lt[0] === lane && lt[1] === s.term;
          });
        });
      });
      return per;
    }

    function esc(s) {
      return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
        .replace(/"/g, '&quot;');
    }
    function pad3(n) { return ('00' + n).slice(-3); }
    function fmtTime(t) {
      t = Math.round(t);
      var sign = t < 0 ? '-' : '';
      t = Math.abs(t);
      return sign + Math.floor(t / 1e6) + '.' + pad3(Math.floor(t / 1e3) % 1000) + '.' + pad3(t % 1000);
    }
    function niceStep(raw) {
      var p = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1))));
      var m = raw / p;
      return Math.max(1, (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p);
    }
    function fmtTick(t, step) {
      var decimals = Math.max(0, Math.ceil(-Math.log10(step / 1e6) - 1e-9));
      return (t / 1e6).toFixed(Math.min(6, decimals)) + 's';
    }
    function label(i) { return D.labels[i] === undefined ? '' : D.labels[i]; }

    function layout() {
      var ys = [], y = AXIS_H + FAULT_H;
      D.lanes.forEach(function (_, i) {
        if (S.laneOn[i]) { ys[i] = y; y += LANE_H; } else { ys[i] = -1; }
      });
      return { ys: ys, H: y + 4 };
    }

    /* Picks at most `max` of `items`, keeping those `keep` says and an even sample of the rest. */
    function bounded(items, max, keep) {
      if (items.length <= max) { return items; }
      var kept = items.filter(keep), rest = items.filter(function (x) { return !keep(x); });
      var room = Math.max(0, max - kept.length);
      var out = kept.slice(0, max);
      for (var j = 0; j < room; j++) { out.push(rest[Math.floor(j * rest.length / room)]); }
      return out;
    }

    var lastDrawn = { msgs: 0, msgsInView: 0, ops: 0, opsInView: 0 };

    function render() {
      var W = Math.max(480, Math.floor(wrap.clientWidth || 1200));
      var lay = layout(), ys = lay.ys, H = lay.H;
      var k = (W - LABEL_W - PAD_R) / (S.t1 - S.t0);
      var X = function (t) { return LABEL_W + (t - S.t0) * k; };
      var clampX = function (x) { return Math.max(LABEL_W - 4, Math.min(W + 4, x)); };
      var mid = function (lane) { return ys[lane] + LANE_H / 2; };
      var vis = function (lane) { return lane >= 0 && ys[lane] >= 0; };
      var top = AXIS_H + FAULT_H;
      var out = [];

      out.push('<defs><clipPath id="plot-clip"><rect x="' + LABEL_W + '" y="0" width="' +
        (W - LABEL_W) + '" height="' + H + '"/></clipPath>' +
        '<marker id="m-arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#607d8b"/></marker>' +
        '<marker id="m-dup" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#1e88e5"/></marker>' +
        '<marker id="m-x" viewBox="0 0 8 8" refX="4" refY="4" markerWidth="7" markerHeight="7"><path d="M0,0 L8,8 M8,0 L0,8" stroke="#e53935" stroke-width="2"/></marker>' +
        '</defs>');
      out.push('<g clip-path="url(#plot-clip)">');

      // Lanes.
      D.lanes.forEach(function (name, i) {
        if (!vis(i)) { return; }
        var cls = 'lane' + (namedLanes[i] ? ' named' : '');
        out.push('<g class="' + cls + '" data-node="' + esc(name) + '"><rect class="lane-bg' +
          (i >= D.servers ? ' client' : '') + '" x="0" y="' + ys[i] + '" width="' + W +
          '" height="' + LANE_H + '"/><line class="lane-line" x1="0" x2="' + W + '" y1="' +
          mid(i) + '" y2="' + mid(i) + '"/></g>');
      });

      // Fault bands.
      var bandLabelSeen = {};
      D.bands.forEach(function (b, bi) {
        if (b.to_us < S.t0 || b.from_us > S.t1) { return; }
        var y, h;
        if (b.lane < 0) { y = top; h = H - top; } else if (vis(b.lane)) { y = ys[b.lane]; h = LANE_H; } else { return; }
        var x0 = clampX(X(b.from_us)), x1 = clampX(X(b.to_us));
        out.push('<rect class="band band-' + b.kind + ' group-' + b.group + '" data-band="' + bi +
          '" x="' + x0.toFixed(1) + '" y="' + y + '" width="' + Math.max(1, x1 - x0).toFixed(1) +
          '" height="' + h + '"><title>' + esc(b.label + ' [' + fmtTime(b.from_us) + ' .. ' +
          fmtTime(b.to_us) + ']') + '</title></rect>');
        var key = b.from_us + '|' + b.label;
        // The fault's own line is labelled at its start; name the band only when that is
        // scrolled out of view.
        if (b.from_us < S.t0 && x1 - x0 > 60 && !bandLabelSeen[key]) {
          bandLabelSeen[key] = true;
          out.push('<text class="band-label" x="' + (Math.max(x0, LABEL_W) + 3).toFixed(1) + '" y="' +
            (y + 10) + '">' + esc(b.label.slice(0, Math.floor((x1 - x0) / 5.5))) + '</text>');
        }
      });

      // Time axis.
      var plotW = W - LABEL_W - PAD_R;
      var step = niceStep((S.t1 - S.t0) / Math.max(2, plotW / 110));
      out.push('<g class="axis">');
      for (var t = Math.ceil(S.t0 / step) * step; t <= S.t1; t += step) {
        var x = X(t).toFixed(1);
        out.push('<line x1="' + x + '" x2="' + x + '" y1="' + AXIS_H + '" y2="' + H + '"/>' +
          '<text x="' + (Number(x) + 2) + '" y="14">' + fmtTick(t, step) + '</text>');
      }
      out.push('</g>');

      // Role and term along each lane.
      segs.forEach(function (list, lane) {
        if (!vis(lane)) { return; }
        list.forEach(function (s) {
          var role = D.roles[s.role];
          if (role === 'member' || s.to < S.t0 || s.from > S.t1) { return; }
          // At least a few pixels: a leader elected at the run's last moment still shows.
          var x0 = clampX(X(s.from)), x1 = Math.max(clampX(X(s.to)), x0 + 4);
          var y = ys[lane] + LANE_H - 7;
          out.push('<rect class="role role-' + role + (s.viol ? ' violating' : '') + '" x="' +
            x0.toFixed(1) + '" y="' + y + '" width="' + Math.max(1, x1 - x0).toFixed(1) +
            '" height="5"><title>' + esc(D.lanes[lane] + ' ' + role + ' term ' + s.term + ' [' +
            fmtTime(s.from) + ' .. ' + fmtTime(s.to) + ']') + '</title></rect>');
          var text = x1 - x0 > 70 ? role + ' t' + s.term : x1 - x0 > 24 ? role[0].toUpperCase() + s.term : '';
          if (text) {
            out.push('<text class="role-label" x="' + (Math.max(x0, LABEL_W) + 2).toFixed(1) + '" y="' +
              (y - 2) + '">' + esc(text) + '</text>');
          }
        });
      });

      // Non-message events: faults as lines across the diagram, the rest on their lane.
      var evs = [];
      D.events.forEach(function (e, i) {
        if (!S.evOn[e[2]] || e[0] < S.t0 || e[0] > S.t1) { return; }
        if (e[2] !== EV.fault && e[2] !== EV.violation && !vis(e[1])) { return; }
        evs.push(i);
      });
      evs = bounded(evs, MAX_EVENTS_DRAWN, function (i) { return D.events[i][2] >= EV.crash; });
      var lastFaultLabelX = -1e9;
      evs.forEach(function (i) {
        var e = D.events[i], x = X(e[0]), kind = D.event_kinds[e[2]];
        var title = '<title>' + esc(fmtTime(e[0]) + ' ' + (e[1] >= 0 ? D.lanes[e[1]] + ' ' : '') +
          kind + ': ' + label(e[3])) + '</title>';
        var xs = x.toFixed(1);
        if (e[2] === EV.fault || e[2] === EV.violation) {
          var cls = e[2] === EV.fault ? 'fault-line' : 'violation-line';
          out.push('<line class="ev ev-' + kind + ' ' + cls + '" data-ev="' + i + '" x1="' + xs +
            '" x2="' + xs + '" y1="' + AXIS_H + '" y2="' + H + '">' + title + '</line>');
          // Violations are labelled by their highlight; faults here.
          if (e[2] === EV.fault && x > lastFaultLabelX + 8) {
            var text = label(e[3]).slice(0, 40);
            out.push('<text class="fault-label" x="' + (x + 2).toFixed(1) + '" y="' + (AXIS_H + 11) +
              '">' + esc(text) + '</text>');
            lastFaultLabelX = x + text.length * 5.5;
          }
          return;
        }
        var y = mid(e[1]);
        if (e[2] === EV.timer) {
          out.push('<line class="ev ev-timer" data-ev="' + i + '" x1="' + xs + '" x2="' + xs +
            '" y1="' + (y - 5) + '" y2="' + (y + 5) + '">' + title + '</line>');
        } else if (e[2] === EV.mark) {
          out.push('<path class="ev ev-mark" data-ev="' + i + '" d="M' + xs + ',' + (y - 13) +
            ' l4,4 l-4,4 l-4,-4 z">' + title + '</path>');
        } else if (e[2] === EV.sync) {
          out.push('<circle class="ev ev-sync" data-ev="' + i + '" cx="' + xs + '" cy="' + (y + 9) +
            '" r="1.5">' + title + '</circle>');
        } else if (e[2] === EV.crash) {
          out.push('<text class="ev ev-crash" data-ev="' + i + '" x="' + (x - 4).toFixed(1) +
            '" y="' + (y + 4) + '">\u2715' + title + '</text>');
        } else if (e[2] === EV.notice) {
          out.push('<text class="ev ev-notice" data-ev="' + i + '" x="' + (x - 3).toFixed(1) +
            '" y="' + (y - 6) + '">\u2691' + title + '</text>');
        } else if (e[2] === EV.restart && e[0] > 0) {
          out.push('<text class="ev ev-restart" data-ev="' + i + '" x="' + (x - 3).toFixed(1) +
            '" y="' + (y + 4) + '">\u25B6' + title + '</text>');
        }
      });

      // Messages.
      var cand = [];
      for (var mi = 0; mi < D.msgs.length; mi++) {
        var m = D.msgs[mi];
        if (m[0] > S.t1 || m[1] < S.t0 || !S.fateOn[m[4]] || !S.kindOn[m[5]]) { continue; }
        if (!vis(m[2]) || !vis(m[3])) { continue; }
        cand.push(mi);
      }
      var drawn = bounded(cand, MAX_MSGS_DRAWN, function (i) { return D.msgs[i][4] !== 0; });
      drawn.forEach(function (i) {
        var m = D.msgs[i], fate = m[4];
        var x1 = X(m[0]), y1 = mid(m[2]), x2 = X(m[1]), y2 = mid(m[3]);
        var marker = fate === 0 ? 'm-arrow' : fate === 1 ? 'm-dup' : 'm-x';
        if (fate >= 2 && m[1] <= m[0]) {
          // Lost as it was sent: a stub toward the destination that ends in a cross.
          x2 = x1 + 14;
          y2 = y1 + (y2 - y1) * 0.35;
        }
        out.push('<line class="msg msg-' + D.fates[fate] + '" data-m="' + i + '" x1="' +
          x1.toFixed(1) + '" y1="' + y1 + '" x2="' + x2.toFixed(1) + '" y2="' + y2.toFixed(1) +
          '" marker-end="url(#' + marker + ')"><title>' + esc(D.lanes[m[2]] + ' \u2192 ' +
          D.lanes[m[3]] + ' ' + D.fates[fate] + ': ' + label(m[6]) + '\nsent ' + fmtTime(m[0]) +
          ', ' + (fate === 0 || fate === 1 ? 'delivered ' : 'lost ') + fmtTime(m[1])) +
          '</title></line>');
      });
      lastDrawn.msgs = drawn.length;
      lastDrawn.msgsInView = cand.length;

      // Client operations as bars from call to return; indeterminate ones run to the end.
      var opsIn = [];
      D.ops.forEach(function (o, i) {
        var ret = o[3] < 0 ? END : o[3];
        if (!vis(o[1]) || o[2] > S.t1 || ret < S.t0) { return; }
        opsIn.push(i);
      });
      var opsDrawn = bounded(opsIn, MAX_OPS_DRAWN, function (i) { return hlOps[D.ops[i][0]]; });
      opsDrawn.forEach(function (i) {
        var o = D.ops[i], status = ['ok', 'fail', 'indeterminate'][o[4]];
        var open = o[3] < 0;
        var x0 = clampX(X(o[2])), x1 = clampX(X(open ? END : o[3]));
        var w = Math.max(2, x1 - x0);
        var h = hlOps[o[0]];
        var cls = 'op op-' + status + (h ? ' violating' : '') + (h === 'culprit' ? ' culprit' : '');
        var y = ys[o[1]] + 8;
        out.push('<rect class="' + cls + '" data-op="' + o[0] + '" x="' + x0.toFixed(1) + '" y="' + y +
          '" width="' + w.toFixed(1) + '" height="' + (LANE_H - 18) + '" rx="2"><title>' +
          esc('#' + o[0] + ' ' + D.lanes[o[1]] + ' ' + label(o[5]) + '\ncalled ' + fmtTime(o[2]) +
            ', ' + (open ? 'never returned (indeterminate)' : 'returned ' + fmtTime(o[3])) +
            (h ? '\nin the counterexample' : '') +
            (opNotes[o[0]] ? '\n' + opNotes[o[0]] : '')) + '</title></rect>');
        var chars = Math.floor((Math.min(x1, W) - Math.max(x0, LABEL_W) - 4) / 6);
        if (chars >= 6) {
          var text = label(o[5]);
          if (text.length > chars) { text = text.slice(0, chars - 1) + '\u2026'; }
          out.push('<text class="op-label" x="' + (Math.max(x0, LABEL_W) + 3).toFixed(1) + '" y="' +
            (y + LANE_H - 24) + '">' + esc(text) + '</text>');
        }
      });
      lastDrawn.ops = opsDrawn.length;
      lastDrawn.opsInView = opsIn.length;

      // Violations: a line at the moment, a ring on every node named, the stuck point.
      D.highlights.forEach(function (h, hi) {
        if (h.at_us >= S.t0 && h.at_us <= S.t1) {
          var x = X(h.at_us).toFixed(1);
          out.push('<line class="violation-line" data-hl="' + hi + '" x1="' + x + '" x2="' + x +
            '" y1="' + AXIS_H + '" y2="' + H + '"><title>' + esc(h.checker + ': ' + h.message) +
            '</title></line>');
          out.push('<text class="vlabel" x="' + (Number(x) + 3) + '" y="' + (AXIS_H + FAULT_H - 3) +
            '">\u26A0 ' + esc(h.checker) + '</text>');
          h.nodes.forEach(function (n) {
            var lane = D.lanes.indexOf(n);
            if (!vis(lane)) { return; }
            out.push('<circle class="vmark violating" data-hl="' + hi + '" data-node="' + esc(n) +
              '" cx="' + x + '" cy="' + mid(lane) + '" r="9"><title>' + esc(n + ': ' + h.message) +
              '</title></circle>');
            var named = [];
            if (lane < D.servers) {
              h.indices.forEach(function (ix) { named.push('index ' + ix); });
              h.terms.forEach(function (tm) { named.push('term ' + tm); });
            }
            if (named.length) {
              out.push('<text class="vlabel" x="' + (Number(x) + 12) + '" y="' + (mid(lane) - 6) +
                '">' + esc(named.join(', ')) + '</text>');
            }
          });
        }
        if (h.stuck_at_us !== null && h.stuck_at_us >= S.t0 && h.stuck_at_us <= S.t1) {
          var sx = X(h.stuck_at_us).toFixed(1);
          out.push('<line class="stuck-line" data-hl="' + hi + '" x1="' + sx + '" x2="' + sx +
            '" y1="' + AXIS_H + '" y2="' + H + '"><title>no order of the operations works past ' +
            'this point</title></line>');
          out.push('<text class="vlabel" x="' + (Number(sx) + 3) + '" y="' + (H - 4) +
            '">no order works past here</text>');
        }
      });

      out.push('</g>');
      // Lane names, over everything, outside the clipped plot.
      out.push('<rect class="label-bg" x="0" y="0" width="' + LABEL_W + '" height="' + H + '"/>');
      D.lanes.forEach(function (name, i) {
        if (!vis(i)) { return; }
        out.push('<text class="lane-label' + (namedLanes[i] ? ' named' : '') + '" data-node="' +
          esc(name) + '" x="8" y="' + (mid(i) + 4) + '">' + esc(name) + '</text>');
      });

      svg.setAttribute('width', W);
      svg.setAttribute('height', H);
      svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
      svg.innerHTML = out.join('');
      svg.setAttribute('data-rendered', '1');
      svg.setAttribute('data-msgs-drawn', String(lastDrawn.msgs));
      svg.setAttribute('data-ops-drawn', String(lastDrawn.ops));
      updateChrome();
    }

    function updateChrome() {
      document.getElementById('window-label').textContent =
        fmtTime(S.t0) + ' .. ' + fmtTime(S.t1) + ' of ' + fmtTime(END);
      var span = S.t1 - S.t0, lo = -END * 0.025, hi = END * 1.025;
      var slider = document.getElementById('scroll');
      var room = hi - span - lo;
      slider.disabled = room <= 1;
      slider.value = room <= 1 ? '0' : String(Math.round(1000 * (S.t0 - lo) / room));
      var notice = document.getElementById('draw-notice');
      var parts = [];
      if (lastDrawn.msgs < lastDrawn.msgsInView) {
        parts.push('drawing ' + lastDrawn.msgs + ' of ' + lastDrawn.msgsInView + ' messages');
      }
      if (lastDrawn.ops < lastDrawn.opsInView) {
        parts.push('drawing ' + lastDrawn.ops + ' of ' + lastDrawn.opsInView + ' operations');
      }
      notice.hidden = parts.length === 0;
      notice.textContent = parts.length ? 'This window is crowded: ' + parts.join(', ') +
        ' (every lost message and highlighted operation is drawn). Zoom in to see all.' : '';
    }

    // Redraw on the next frame; the timer is a fallback for pages that get no frames
    // (background tabs, headless browsers).
    var pending = false;
    function schedule() {
      if (pending) { return; }
      pending = true;
      var done = false;
      var go = function () {
        if (done) { return; }
        done = true;
        pending = false;
        render();
      };
      window.requestAnimationFrame(go);
      window.setTimeout(go, 40);
    }

    function setWindow(a, b) {
      var lo = -END * 0.025, hi = END * 1.025;
      var span = Math.min(Math.max(MIN_SPAN, b - a), hi - lo);
      if (a < lo) { a = lo; }
      if (a + span > hi) { a = hi - span; }
      S.t0 = a;
      S.t1 = a + span;
      schedule();
    }

    function zoom(f, center) {
      var c = center === undefined ? (S.t0 + S.t1) / 2 : center;
      setWindow(c - (c - S.t0) * f, c + (S.t1 - c) * f);
    }

    function pan(fraction) {
      var d = (S.t1 - S.t0) * fraction;
      setWindow(S.t0 + d, S.t1 + d);
    }

    function plotScale() {
      var w = svg.getBoundingClientRect().width || 1200;
      return (w - LABEL_W - PAD_R) / (S.t1 - S.t0);
    }

    wrap.addEventListener('wheel', function (e) {
      e.preventDefault();
      var k = plotScale();
      if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
        var d = Math.abs(e.deltaX) > Math.abs(e.deltaY) ? e.deltaX : e.deltaY;
        setWindow(S.t0 + d / k, S.t1 + d / k);
      } else {
        var px = e.clientX - svg.getBoundingClientRect().left;
        zoom(Math.exp(e.deltaY * 0.0015), S.t0 + Math.max(0, px - LABEL_W) / k);
      }
    }, { passive: false });

    var drag = null;
    wrap.addEventListener('mousedown', function (e) {
      drag = { x: e.clientX, t0: S.t0, t1: S.t1, moved: false };
      wrap.classList.add('dragging');
    });
    window.addEventListener('mousemove', function (e) {
      if (!drag) { return; }
      var dx = e.clientX - drag.x;
      if (Math.abs(dx) > 3) { drag.moved = true; }
      if (drag.moved) {
        var dt = dx / plotScale();
        setWindow(drag.t0 - dt, drag.t1 - dt);
      }
    });
    window.addEventListener('mouseup', function () {
      wrap.classList.remove('dragging');
      window.setTimeout(function () { drag = null; }, 0);
    });
    svg.addEventListener('click', function (e) {
      if (drag && drag.moved) { return; }
      var el = e.target;
      var prev = svg.querySelector('.selected');
      if (prev) { prev.classList.remove('selected'); }
      var title = el && el.querySelector ? el.querySelector('title') : null;
      if (!title) { return; }
      el.classList.add('selected');
      document.getElementById('detail').textContent = title.textContent;
    });

    function on(id, f) { document.getElementById(id).addEventListener('click', f); }
    on('zoom-in', function () { zoom(0.5); });
    on('zoom-out', function () { zoom(2); });
    on('zoom-fit', function () { setWindow(0, END); });
    on('pan-left', function () { pan(-0.5); });
    on('pan-right', function () { pan(0.5); });
    var gotos = document.querySelectorAll('button.goto');
    Array.prototype.forEach.call(gotos, function (btn) {
      btn.addEventListener('click', function () {
        setWindow(Number(btn.getAttribute('data-from')), Number(btn.getAttribute('data-to')));
        wrap.scrollIntoView({ block: 'nearest' });
      });
    });
    var gotoFirst = document.getElementById('goto-violation');
    if (gotos.length) {
      gotoFirst.addEventListener('click', function () { gotos[0].click(); });
    } else {
      gotoFirst.disabled = true;
    }
    document.getElementById('scroll').addEventListener('input', function (e) {
      var span = S.t1 - S.t0, lo = -END * 0.025, hi = END * 1.025;
      var a = lo + Number(e.target.value) / 1000 * Math.max(0, hi - span - lo);
      setWindow(a, a + span);
    });
    window.addEventListener('resize', schedule);

    var copy = document.getElementById('copy-repro');
    copy.addEventListener('click', function () {
      var code = document.getElementById('repro');
      var select = function () {
        var r = document.createRange();
        r.selectNodeContents(code);
        var sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(r);
        copy.textContent = 'selected: press Ctrl+C';
      };
      try {
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(code.textContent).then(function () {
            copy.textContent = 'copied';
          }, select);
          return;
        }
      } catch (err) { /* fall through to selecting the text */ }
      select();
    });

    function checkboxes(fieldsetId, names, flags, attr) {
      var fs = document.getElementById(fieldsetId);
      names.forEach(function (name, i) {
        var lab = document.createElement('label');
        var box = document.createElement('input');
        box.type = 'checkbox';
        box.checked = flags[i];
        box.setAttribute(attr, String(i));
        box.addEventListener('change', function () {
          flags[i] = box.checked;
          schedule();
        });
        lab.appendChild(box);
        lab.appendChild(document.createTextNode(' ' + name));
        fs.appendChild(lab);
      });
    }
    checkboxes('lane-filters', D.lanes, S.laneOn, 'data-lane');
    checkboxes('kind-filters', D.fates, S.fateOn, 'data-fate');
    checkboxes('kind-filters', D.kinds, S.kindOn, 'data-kind');
    checkboxes('event-filters', D.event_kinds, S.evOn, 'data-event');

    // Open on the first violation when there is one: that is what the reader came for.
    if (gotos.length) {
      var a = Number(gotos[0].getAttribute('data-from')), b = Number(gotos[0].getAttribute('data-to'));
      if (b > a) { S.t0 = a; S.t1 = b; }
    }
    render();
  }
})();
