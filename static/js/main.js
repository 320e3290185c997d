// Wiring only: connect to the room, feed the model, and render every view once per animation frame
// (several WebSocket messages between two frames are coalesced into one render).

import { Connection, roomUrl, takeToken } from './connection.js';
import { Model, emptyChange, mergeChange } from './model.js';
import { PhysicalView } from './views/physical.js';
import { LogicalView } from './views/logical.js';
import { ProducersView } from './views/producers.js';
import { GroupsView } from './views/groups.js';
import { AssignmentsView } from './views/assignments.js';
import { FlightsView } from './views/flights.js';
import { EventLogView, CaptionView } from './views/eventlog.js';
import { ClockView } from './views/clock.js';
import { DetailsView } from './views/details.js';
import { PresenterView } from './views/presenter.js';
import { TimelineView } from './views/timeline.js';
import { MetricsPanel } from './views/metrics.js';
import { Controls } from './controls.js';
import { Console } from './console.js';
import { Actions } from './actions.js';
import { Presenter } from './presenter.js';
import { LessonCatalog, LessonPicker } from './lessons.js';
import { Editor } from './editor.js';
import { Classroom } from './classroom.js';
import { initTheme } from './theme.js';
import { el } from './text.js';

/** How many `render` measures the performance timeline keeps (the benchmark reads them). */
const MEASURES_KEPT = 2000;

const room = document.body.dataset.room || 'demo';
// The presenter's token leaves the address bar before anything else happens (it is kept for this
// tab in sessionStorage). Until the server's `hello`, a shared page without a token is guessed to
// be following, so a student never sees live controls flash.
const token = takeToken();
const shared = Boolean(document.body.dataset.classUrl);
const model = new Model(room, { role: null, control: !shared || Boolean(token), shared });
const connection = new Connection(roomUrl(room, token));

const motionQuery = matchMedia('(prefers-reduced-motion: reduce)');
const reducedMotion = () => motionQuery.matches;

const stage = document.getElementById('stage');
const clockView = new ClockView(model, connection);
// toast() is hoisted; presenter and timeline report refusals with it.
const presenter = new Presenter(model, connection, { onError: toast, onChange: () => redraw({ lesson: true }) });
const details = new DetailsView(model, connection);
const classroom = new Classroom(model, connection, { toast: (text) => toast(text) });
const assignments = new AssignmentsView(document.getElementById('assignments'), stage, model);
const logical = new LogicalView(document.getElementById('logical'), model, { reducedMotion });
// Opening the metrics panel closes the other panels (the functions are hoisted or bound below).
const metrics = new MetricsPanel(model, { onOpen: () => closeOthers(), redraw: (flags) => redraw(flags) });
// Views render in this order (after every view has measured, see render()).
const views = [
  clockView,
  classroom,
  new TimelineView(model, connection, { onError: toast }),
  new PresenterView(model, presenter),
  new CaptionView(document.getElementById('caption'), model),
  new ProducersView(document.getElementById('producers'), model),
  logical,
  new PhysicalView(document.getElementById('physical'), model),
  new GroupsView(document.getElementById('groups'), model),
  new EventLogView(document.getElementById('event-log'), model),
  details,
  metrics,
  assignments,
  new FlightsView(document.getElementById('flights'), model, { reducedMotion, rowVisible: (id) => logical.isVisible(id) }),
];

// ---- render scheduling ------------------------------------------------------------------------

let pending = null;
let renders = 0;
/** Time spent per view (ms total, max, count): `playground.viewTimes` in the console. */
const viewTimes = {};

model.addEventListener('change', (e) => {
  if (pending) mergeChange(pending, e.detail);
  else {
    pending = e.detail;
    requestAnimationFrame(render);
  }
});

function render() {
  const change = pending;
  pending = null;
  if (!change) return;
  performance.mark('render-start');
  // Two phases: every view reads the layout first (still clean from the last frame, so no forced
  // layout), then every view writes. Positions read here are at most one frame old.
  for (const v of views) if (v.measure) timed(v, 'measure', change);
  for (const v of views) timed(v, 'render', change);
  performance.measure('render', 'render-start');
  performance.clearMarks('render-start');
  if (++renders % 500 === 0) trimMeasures();
}

function timed(view, phase, change) {
  const t0 = performance.now();
  try {
    view[phase](change);
  } catch (err) {
    // One broken view must not freeze the others.
    console.error(`playground: ${phase} failed in`, view.constructor.name, err);
    return;
  }
  const name = `${view.constructor.name}.${phase}`;
  const stat = viewTimes[name] || (viewTimes[name] = { ms: 0, max: 0, n: 0 });
  const dt = performance.now() - t0;
  stat.ms += dt;
  stat.n++;
  if (dt > stat.max) stat.max = dt;
}

/** Keep the last MEASURES_KEPT `render` measures on the timeline (re-recording them after a clear). */
function trimMeasures() {
  const all = performance.getEntriesByName('render', 'measure');
  if (all.length <= MEASURES_KEPT) return;
  const keep = all.slice(-MEASURES_KEPT);
  performance.clearMeasures('render');
  for (const m of keep) performance.measure('render', { start: m.startTime, duration: m.duration });
}

/** Render on the next animation frame with these change flags, without a message from the room. */
function redraw(flags = {}) {
  const change = Object.assign(emptyChange(), flags);
  if (pending) mergeChange(pending, change);
  else {
    pending = change;
    requestAnimationFrame(render);
  }
}

/** Something moved without a frame (resize, scroll): redraw the assignment lines. */
function relayout() {
  assignments.invalidate();
  redraw();
}
// Anything that changes size can move the ends of assignment lines: the stage, the columns, and
// the rows and member cards the lines attach to (observed as they appear).
const resizes = new ResizeObserver(relayout);
resizes.observe(stage);
for (const id of ['producers', 'physical', 'logical', 'groups']) resizes.observe(document.getElementById(id));
new MutationObserver((records) => {
  for (const r of records) for (const n of r.addedNodes) {
    if (n instanceof Element && n.matches('.partition, .member, .group, .topic')) resizes.observe(n);
  }
}).observe(stage, { childList: true, subtree: true });
stage.addEventListener('scroll', relayout, { capture: true, passive: true });
addEventListener('resize', relayout);

// ---- feedback ---------------------------------------------------------------------------------

const toastNode = document.getElementById('toast');
let toastTimer = null;
/** A short message at the top of the page (a refused click, a lost connection). */
function toast(text) {
  toastNode.replaceChildren(el('span', { text }));
  toastNode.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { toastNode.hidden = true; }, 6000);
}
toastNode.addEventListener('click', () => { toastNode.hidden = true; });

// ---- wiring -----------------------------------------------------------------------------------

const actions = new Actions(model, connection, details, { toast });
const catalog = new LessonCatalog(connection);
// One panel at a time: opening the lessons or the editor closes the others.
const lessons = new LessonPicker(model, connection, catalog, {
  onPicked: () => presenter.lessonPicked(),
  onOpen: () => { actions.closePopups(); editor.close(); metrics.close(); },
});
const editor = new Editor(model, connection, catalog, {
  onOpen: () => { actions.closePopups(); lessons.close(); metrics.close(); },
});
function closeOthers() { actions.closePopups(); lessons.close(); editor.close(); details.close(); }
new Controls(model, connection, {
  onError: toast,
  // The topmost thing open closes first.
  onEscape: () => { if (!classroom.close() && !lessons.close() && !editor.close() && !metrics.close() && !actions.closePopups()) details.close(); },
  keyHook: (e) => presenter.handleKey(e),
  onLocked: () => classroom.nudge(),
});
new Console(connection, model);
initTheme();

connection.addEventListener('hello', (e) => model.applyHello(e.detail));
connection.addEventListener('snapshot', (e) => model.applySnapshot(e.detail));
connection.addEventListener('frame', (e) => model.applyFrame(e.detail));
connection.addEventListener('status', (e) => clockView.showStatus(e.detail));
connection.connect();

// For tests and for curious people with a console open.
window.playground = { model, connection, details, actions, presenter, lessons, editor, classroom, metrics, renders: () => renders, viewTimes };
