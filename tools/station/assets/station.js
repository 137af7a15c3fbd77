// ringmoe-edge station page: live fleet view from the station's server-sent events. Plain script,
// no build step, no network beyond the station itself.
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const PALETTE = [
    '#58a6ff',
    '#f78166',
    '#3fb950',
    '#d2a8ff',
    '#e3b341',
    '#39c5cf',
    '#ff7b72',
    '#a5d6ff',
    '#7ee787',
    '#ffa657',
    '#bc8cff',
    '#56d4dd',
  ];
  const colourOf = (i) => PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length];
  const world = new Image();
  world.src = '/assets/world.jpg';
  world.onload = () => render();
  let state = null;
  let selected = null;

  // ---- live updates -------------------------------------------------------------------------
  const link = $('link');
  function connect() {
    const es = new EventSource('/events');
    es.addEventListener('snapshot', (e) => {
      state = JSON.parse(e.data);
      link.textContent = 'live';
      link.className = 'link live';
      render();
    });
    es.onerror = () => {
      link.textContent = 'reconnecting';
      link.className = 'link down';
    };
  }
  connect();

  // ---- helpers ------------------------------------------------------------------------------
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const fmt = (x, d = 1) => (typeof x === 'number' && isFinite(x) ? x.toFixed(d) : '–');
  const clock = (ms) => new Date(ms).toTimeString().slice(0, 8);
  const ago = (ms) => {
    if (!ms) return 'never';
    const s = Math.max(0, (Date.now() - ms) / 1000);
    return s < 60
      ? `${s.toFixed(0)} s ago`
      : s < 3600
        ? `${(s / 60).toFixed(0)} min ago`
        : `${(s / 3600).toFixed(1)} h ago`;
  };

  /** Decodes the runtime's RLE masks (varint (value, length) pairs, base64). */
  function decodeRle(rle) {
    const bin = atob(rle.data);
    const out = new Uint16Array(rle.width * rle.height);
    let p = 0;
    let o = 0;
    const read = () => {
      let v = 0;
      let mul = 1;
      for (;;) {
        const b = bin.charCodeAt(p++);
        v += (b & 0x7f) * mul;
        if (b < 0x80) return v;
        mul *= 128;
      }
    };
    while (p < bin.length && o < out.length) {
      const value = read();
      const length = read();
      out.fill(value, o, Math.min(out.length, o + length));
      o += length;
    }
    return out;
  }

  /** Turbo-like colour map, t in [0, 1]. */
  function turbo(t) {
    const r = Math.round(255 * Math.max(0, Math.min(1, 0.13 + 4.6 * t - 3.9 * t * t)));
    const g = Math.round(255 * Math.max(0, Math.min(1, -0.05 + 3.2 * t - 3.1 * t * t + 0.3 * t)));
    const b = Math.round(255 * Math.max(0, Math.min(1, 0.9 + 0.8 * t - 4.5 * t * t + 2.6 * t * t * t)));
    return [r, g, b];
  }

  function hexRgb(h) {
    return [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];
  }

  // ---- rendering ----------------------------------------------------------------------------
  function render() {
    if (!state) return;
    $('fleet').textContent = state.fleet;
    const t = state.throughput;
    $('kpi-fps').textContent = fmt(t.framesPerSecond, 2);
    $('kpi-results').textContent = fmt(t.resultsPerSecond, 2);
    const l = state.latencyMs;
    $('kpi-latency').textContent =
      l.pipeline.p50 || l.pipeline.p95 ? `${fmt(l.pipeline.p50, 0)} / ${fmt(l.pipeline.p95, 0)} ms` : '–';
    $('kpi-delivery').textContent = l.delivery.p50 || l.delivery.p95 ? `${fmt(l.delivery.p50, 0)} ms` : '–';
    $('kpi-devices').textContent = `${state.totals.online} / ${state.totals.devices}`;
    $('kpi-frames').textContent =
      `${state.totals.frames} · ${state.totals.failed - state.totals.dropped} · ${state.totals.dropped}`;
    // Messages that did not verify against the fleet's trust file (0 without one): never in the counts above.
    $('kpi-unverified').textContent = String(state.totals.unverified ?? 0);
    spark(t.history);
    if (!selected || !state.devices.some((d) => d.device === selected))
      selected = (state.devices.find((d) => d.latest) || state.devices[0] || {}).device || null;
    devices();
    const dev = state.devices.find((d) => d.device === selected);
    frame(dev);
    map();
    classes();
    timeline();
  }

  function spark(history) {
    const c = $('spark');
    const g = c.getContext('2d');
    g.clearRect(0, 0, c.width, c.height);
    if (!history.length) return;
    const max = Math.max(0.1, ...history);
    g.strokeStyle = '#58a6ff';
    g.beginPath();
    history.forEach((v, i) => {
      const x = (i / Math.max(1, history.length - 1)) * (c.width - 2) + 1;
      const y = c.height - 2 - (v / max) * (c.height - 4);
      if (i) g.lineTo(x, y);
      else g.moveTo(x, y);
    });
    g.stroke();
  }

  function devices() {
    const ul = $('devices');
    ul.replaceChildren(
      ...state.devices.map((d) => {
        const li = el(
          'li',
          `${d.online === true ? 'online' : d.online === false ? 'offline' : ''}${d.device === selected ? ' selected' : ''}`,
        );
        li.dataset.device = d.device;
        li.dataset.online = String(d.online);
        const name = el('div', 'name');
        name.append(el('span', 'dot'), d.device);
        li.append(name);
        li.append(el('div', 'row', d.online === true ? 'online' : d.online === false ? 'offline' : 'liveness unknown'));
        li.append(el('div', 'row model', `model ${d.modelVersion || '?'}`));
        if (d.ota) {
          li.append(
            el(
              'div',
              'row ota',
              `OTA ${d.ota.state}${d.ota.current ? ` · running ${d.ota.current}` : ''}${d.ota.target ? ` → ${d.ota.target}` : ''}${d.ota.outcome ? ` · last: ${d.ota.outcome}` : ''}`,
            ),
          );
          if (typeof d.ota.progress === 'number') {
            const bar = el('div', 'bar');
            const b = el('b');
            b.style.width = `${(100 * d.ota.progress).toFixed(0)}%`;
            bar.append(b);
            li.append(bar);
          }
        } else li.append(el('div', 'row ota', 'OTA: no report'));
        li.append(
          el(
            'div',
            'row',
            `${d.frames} frames · ${
              Object.entries(d.results)
                .map(([k, v]) => `${k} ${v}`)
                .join(' · ') || 'no results'
            }`,
          ),
        );
        li.append(
          el(
            'div',
            'row',
            `failed ${Math.max(0, d.failed - d.dropped)} · dropped ${d.dropped}${d.outbox ? ` · outbox ${d.outbox.pending}` : ''}${typeof d.fps === 'number' ? ` · ${fmt(d.fps, 2)} fps` : ''}`,
          ),
        );
        li.append(el('div', 'row seen', `last update ${ago(d.lastSeen)}`));
        li.onclick = () => {
          selected = d.device;
          render();
        };
        return li;
      }),
    );
  }

  function frame(dev) {
    const c = $('frame');
    const g = c.getContext('2d');
    const latest = dev && dev.latest;
    $('frame-device').textContent = dev ? `— ${dev.device}` : '';
    g.fillStyle = '#0b0f14';
    g.fillRect(0, 0, c.width, c.height);
    const legend = $('legend');
    legend.replaceChildren();
    if (!latest || !latest.width || !latest.height) {
      $('frame-info').textContent = latest
        ? `frame ${latest.frameId}: no frame size in its messages`
        : 'waiting for results…';
      c.dataset.frame = '';
      return;
    }
    const s = Math.min(c.width / latest.width, c.height / latest.height);
    const w = latest.width * s;
    const h = latest.height * s;
    const ox = (c.width - w) / 2;
    const oy = (c.height - h) / 2;
    g.fillStyle = '#1b2330';
    g.fillRect(ox, oy, w, h);
    g.strokeStyle = '#263241';
    for (let i = 1; i < 10; i++) {
      g.beginPath();
      g.moveTo(ox + (w * i) / 10, oy);
      g.lineTo(ox + (w * i) / 10, oy + h);
      g.moveTo(ox, oy + (h * i) / 10);
      g.lineTo(ox + w, oy + (h * i) / 10);
      g.stroke();
    }
    const tasks = latest.tasks || {};
    const overlays = [];
    const depth = tasks.depth;
    if (depth && depth.depthGrid) {
      overlayGrid(g, depth.depthGrid, ox, oy, w, h);
      overlays.push('depth');
      addLegend(legend, 'depth (colour map)', '#e3b341');
    }
    const seg = tasks.segmentation;
    if (seg && seg.mask) {
      const labels = (seg.classes || []).reduce((m, k) => ((m[k.classId] = k), m), {});
      overlayMask(g, seg.mask, ox, oy, w, h, (v) => (v in labels ? [...hexRgb(colourOf(v)), 110] : null));
      overlays.push('segmentation');
      for (const k of (seg.classes || []).filter((k) => k.fraction > 0.01).slice(0, 8))
        addLegend(legend, `${k.label} ${(100 * k.fraction).toFixed(0)}%`, colourOf(k.classId));
    }
    const change = tasks.change;
    if (change && change.mask) {
      overlayMask(g, change.mask, ox, oy, w, h, (v) => (v === 1 ? [248, 81, 73, 150] : null));
      overlays.push('change');
      addLegend(legend, `changed ${(100 * (change.changedFraction || 0)).toFixed(1)}%`, '#f85149');
    }
    const det = tasks.detection;
    let boxes = 0;
    if (det && Array.isArray(det.detections)) {
      const tracks = tasks.tracking && Array.isArray(tasks.tracking.tracks) ? tasks.tracking.tracks : [];
      g.lineWidth = 2;
      for (const t of tracks) {
        const pts = (t.history || []).map((p) => [
          ox + ((p.box[0] + p.box[2]) / 2) * s,
          oy + ((p.box[1] + p.box[3]) / 2) * s,
        ]);
        if (pts.length < 2) continue;
        g.strokeStyle = colourOf(t.id);
        g.beginPath();
        pts.forEach(([x, y], i) => (i ? g.lineTo(x, y) : g.moveTo(x, y)));
        g.stroke();
      }
      g.font = '11px system-ui, sans-serif';
      for (const d of det.detections) {
        const [x1, y1, x2, y2] = d.box;
        const col = d.trackId !== undefined ? colourOf(d.trackId) : colourOf(d.classId);
        g.strokeStyle = col;
        g.lineWidth = 2;
        if (Array.isArray(d.polygon) && d.polygon.length > 2) {
          g.beginPath();
          d.polygon.forEach(([x, y], i) => (i ? g.lineTo(ox + x * s, oy + y * s) : g.moveTo(ox + x * s, oy + y * s)));
          g.closePath();
          g.stroke();
        } else g.strokeRect(ox + x1 * s, oy + y1 * s, (x2 - x1) * s, (y2 - y1) * s);
        const text = `${d.label}${d.trackId !== undefined ? ` #${d.trackId}` : ''} ${(100 * d.score).toFixed(0)}%`;
        const tw = g.measureText(text).width + 6;
        g.fillStyle = col;
        g.fillRect(ox + x1 * s, Math.max(oy, oy + y1 * s - 14), tw, 14);
        g.fillStyle = '#0b0f14';
        g.fillText(text, ox + x1 * s + 3, Math.max(oy, oy + y1 * s - 14) + 11);
        boxes++;
      }
      overlays.push('detection');
    }
    c.dataset.frame = latest.frameId;
    c.dataset.overlays = overlays.join(',');
    c.dataset.boxes = String(boxes);
    const cls = tasks.classification && tasks.classification.top && tasks.classification.top[0];
    const lat = latest.latencyMs ? ` · latency ${fmt(latest.latencyMs.total, 0)} ms` : '';
    const dep =
      depth && depth.stats && depth.stats.percentiles ? ` · depth p50 ${fmt(depth.stats.percentiles.p50, 2)} m` : '';
    $('frame-info').textContent =
      `${latest.frameId} · ${latest.modality || '?'} · ${latest.width}×${latest.height}${latest.crs ? ` · ${latest.crs}` : ''} · ${boxes} boxes${cls ? ` · class ${cls.label} ${(100 * cls.score).toFixed(0)}%` : ''}${dep}${lat} · ${clock(latest.receivedAt)}`;
  }

  function addLegend(legend, text, colour) {
    const span = el('span');
    const i = el('i');
    i.style.background = colour;
    span.append(i, text);
    legend.append(span);
  }

  /** Draws a mask (RLE) scaled into the frame rectangle; `colour(v)` gives RGBA or null. */
  function overlayMask(g, rle, ox, oy, w, h, colour) {
    let values;
    try {
      values = decodeRle(rle);
    } catch {
      return;
    }
    const img = new ImageData(rle.width, rle.height);
    for (let i = 0; i < values.length; i++) {
      const c = colour(values[i]);
      if (!c) continue;
      img.data.set(c, i * 4);
    }
    blit(g, img, ox, oy, w, h);
  }

  function overlayGrid(g, grid, ox, oy, w, h) {
    const vals = grid.values.filter((v) => v !== null);
    if (!vals.length) return;
    const lo = Math.min(...vals);
    const hi = Math.max(...vals);
    const img = new ImageData(grid.width, grid.height);
    grid.values.forEach((v, i) => {
      if (v === null) return;
      img.data.set([...turbo(hi > lo ? (v - lo) / (hi - lo) : 0.5), 150], i * 4);
    });
    blit(g, img, ox, oy, w, h);
  }

  function blit(g, img, ox, oy, w, h) {
    const tmp = document.createElement('canvas');
    tmp.width = img.width;
    tmp.height = img.height;
    tmp.getContext('2d').putImageData(img, 0, 0);
    g.imageSmoothingEnabled = false;
    g.drawImage(tmp, ox, oy, w, h);
    g.imageSmoothingEnabled = true;
  }

  function map() {
    const c = $('map');
    const g = c.getContext('2d');
    const geo = state.devices.filter((d) => d.latest && d.latest.footprint);
    // View: every footprint with a margin, or the whole world.
    let [w0, s0, e0, n0] = [-180, -90, 180, 90];
    if (geo.length) {
      const pts = geo.flatMap((d) => d.latest.footprint);
      const xs = pts.map((p) => p[0]);
      const ys = pts.map((p) => p[1]);
      const cx = (Math.min(...xs) + Math.max(...xs)) / 2;
      const cy = (Math.min(...ys) + Math.max(...ys)) / 2;
      let span = Math.max(Math.max(...xs) - Math.min(...xs), 2 * (Math.max(...ys) - Math.min(...ys)), 1.5) * 1.6;
      span = Math.min(360, span);
      [w0, e0] = [cx - span / 2, cx + span / 2];
      [s0, n0] = [cy - span / 4, cy + span / 4];
    }
    const px = (lon, lat) => [((lon - w0) / (e0 - w0)) * c.width, ((n0 - lat) / (n0 - s0)) * c.height];
    g.fillStyle = '#0b0f14';
    g.fillRect(0, 0, c.width, c.height);
    if (world.complete && world.naturalWidth) {
      const sx = ((w0 + 180) / 360) * world.naturalWidth;
      const sy = ((90 - n0) / 180) * world.naturalHeight;
      const sw = ((e0 - w0) / 360) * world.naturalWidth;
      const sh = ((n0 - s0) / 180) * world.naturalHeight;
      g.drawImage(world, sx, sy, sw, sh, 0, 0, c.width, c.height);
    }
    let drawn = 0;
    let points = 0;
    for (const d of geo) {
      const i = state.devices.indexOf(d);
      const col = colourOf(i);
      g.strokeStyle = col;
      g.fillStyle = `${col}33`;
      g.lineWidth = 2;
      g.beginPath();
      d.latest.footprint.forEach(([lon, lat], k) => {
        const [x, y] = px(lon, lat);
        if (k) g.lineTo(x, y);
        else g.moveTo(x, y);
      });
      g.closePath();
      g.fill();
      g.stroke();
      const [lx, ly] = px(...d.latest.footprint[0]);
      g.fillStyle = '#fff';
      g.font = '11px system-ui, sans-serif';
      g.fillText(d.device, lx + 3, ly - 4);
      drawn++;
      const det = d.latest.tasks && d.latest.tasks.detection;
      for (const x of (det && det.detections) || []) {
        if (!x.lonlat) continue;
        const [mx, my] = px(...x.lonlat);
        g.fillStyle = x.trackId !== undefined ? colourOf(x.trackId) : col;
        g.beginPath();
        g.arc(mx, my, 3, 0, 2 * Math.PI);
        g.fill();
        points++;
      }
      const tr = d.latest.tasks && d.latest.tasks.tracking;
      for (const t of (tr && tr.tracks) || []) {
        const pts = (t.history || []).filter((p) => p.lonlat).map((p) => px(...p.lonlat));
        if (pts.length < 2) continue;
        g.strokeStyle = colourOf(t.id);
        g.beginPath();
        pts.forEach(([x, y], k) => (k ? g.lineTo(x, y) : g.moveTo(x, y)));
        g.stroke();
      }
    }
    c.dataset.footprints = String(drawn);
    const other = state.devices
      .filter((d) => d.latest && d.latest.crs && !d.latest.footprint)
      .map((d) => `${d.device} (${d.latest.crs})`);
    $('map-info').textContent =
      `${drawn} footprint(s), ${points} detection(s) on the map${other.length ? ` · not drawn, CRS not supported: ${other.join(', ')}` : ''}${geo.length ? '' : ' · no georeferenced result yet'}`;
  }

  function classes() {
    const entries = Object.entries(state.classes)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 14);
    const max = Math.max(1, ...entries.map((e) => e[1]));
    $('classes').replaceChildren(
      ...(entries.length
        ? entries.map(([label, n]) => {
            const li = el('li');
            li.dataset.label = label;
            const bar = el('div', 'bar');
            bar.style.width = `${(100 * n) / max}%`;
            li.append(el('span', 'label', label), el('div', '', ''), el('span', 'n', String(n)));
            li.children[1].append(bar);
            return li;
          })
        : [el('li', 'row', 'no detections yet')]),
    );
  }

  function timeline() {
    $('timeline').replaceChildren(
      ...state.timeline.slice(0, 100).map((e) => {
        const li = el('li');
        li.dataset.kind = e.kind;
        li.append(
          el('span', 't', clock(e.at)),
          el('span', 'd', e.device),
          el('span', `k ${e.kind}`, e.kind),
          el('span', 'x', e.text),
        );
        return li;
      }),
    );
  }

  setInterval(() => state && devices(), 1000);
})();
